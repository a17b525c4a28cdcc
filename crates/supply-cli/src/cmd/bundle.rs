//! `supply verify-bundle` (the Sigstore conformance suite's client protocol) and the bundle
//! form of `supply verify-blob`; the keyless identity flags and the trusted root they share with
//! `verify` and `verify-attestation`.

use std::path::Path;

use anyhow::{Context, bail};
use supply_core::fsio;
use supply_core::keys::files;
use supply_core::sigstore::identity::{Identity, Matcher, extension_oid};
use supply_core::sigstore::tuf::{self, TufOptions};
use supply_core::sigstore::verify::{Artifact, Expected};
use supply_core::sigstore::{self, TrustedRoot};

use crate::ExitStatus;
use crate::cli::{OutputFormat, SignerArgs, TrustArgs, VerifyBundleArgs};
use crate::output;

const MAX_ARTIFACT_BYTES: u64 = 4 * 1024 * 1024 * 1024;
const MAX_BUNDLE_BYTES: u64 = 64 * 1024 * 1024;

/// Whose signature the flags accept: a key, or an identity and issuer (both required for
/// keyless, as in cosign) with any extension values.
pub(crate) fn expected(args: &SignerArgs) -> anyhow::Result<Expected> {
    if let Some(path) = &args.key {
        return Ok(Expected::Key(files::read_verifying_key(path)?));
    }
    let subject = match (
        &args.certificate_identity,
        &args.certificate_identity_regexp,
    ) {
        (Some(exact), _) => Matcher::Exact(exact.clone()),
        (None, Some(pattern)) => {
            Matcher::regex(pattern).context("--certificate-identity-regexp")?
        }
        (None, None) => bail!(
            "keyless verification needs --certificate-identity (or --certificate-identity-regexp) and --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp); or pass --key"
        ),
    };
    let issuer = match (
        &args.certificate_oidc_issuer,
        &args.certificate_oidc_issuer_regexp,
    ) {
        (Some(exact), _) => Matcher::Exact(exact.clone()),
        (None, Some(pattern)) => {
            Matcher::regex(pattern).context("--certificate-oidc-issuer-regexp")?
        }
        (None, None) => bail!(
            "keyless verification needs --certificate-oidc-issuer (or --certificate-oidc-issuer-regexp)"
        ),
    };
    let mut extensions = std::collections::BTreeMap::new();
    let named = [
        (
            "githubWorkflowTrigger",
            &args.certificate_github_workflow_trigger,
        ),
        ("githubWorkflowSHA", &args.certificate_github_workflow_sha),
        ("githubWorkflowName", &args.certificate_github_workflow_name),
        (
            "githubWorkflowRepository",
            &args.certificate_github_workflow_repository,
        ),
        ("githubWorkflowRef", &args.certificate_github_workflow_ref),
        (
            "sourceRepositoryURI",
            &args.certificate_source_repository_uri,
        ),
        (
            "sourceRepositoryDigest",
            &args.certificate_source_repository_digest,
        ),
        (
            "sourceRepositoryRef",
            &args.certificate_source_repository_ref,
        ),
    ];
    for (name, value) in named {
        if let (Some(oid), Some(value)) = (extension_oid(name), value) {
            extensions.insert(oid.to_owned(), value.clone());
        }
    }
    for (name, value) in &args.certificate_extensions {
        let oid = extension_oid(name).map(str::to_owned).or_else(|| {
            name.starts_with("1.3.6.1.4.1.57264.1.")
                .then(|| name.clone())
        });
        let Some(oid) = oid else {
            bail!("--certificate-extension {name}: not a Fulcio extension name or OID");
        };
        extensions.insert(oid, value.clone());
    }
    Ok(Expected::Identity(Identity {
        subject,
        issuer,
        extensions,
    }))
}

/// The trusted root: the file given, else through TUF from the repository given or the
/// public-good (or staging) one, cached in the user's cache directory.
pub(crate) fn trusted_root(args: &TrustArgs) -> anyhow::Result<TrustedRoot> {
    let (bytes, from) = trusted_root_json(args)?;
    TrustedRoot::from_json(&bytes).with_context(|| format!("reading trusted root {from}"))
}

/// The trusted root's JSON, and where it came from.
pub(crate) fn trusted_root_json(args: &TrustArgs) -> anyhow::Result<(Vec<u8>, String)> {
    if let Some(path) = &args.trusted_root {
        let bytes = fsio::read_bounded(path, 16 * 1024 * 1024)?;
        return Ok((bytes, path.display().to_string()));
    }
    let mut options = match (&args.tuf_url, &args.tuf_root) {
        (Some(url), Some(root)) => {
            TufOptions::for_repository(url, fsio::read_bounded(root, 1024 * 1024)?)
        }
        _ => TufOptions::public_good(args.staging),
    };
    options.cache_dir = tuf::default_cache_dir(&options.metadata_url);
    options.offline = args.offline;
    let bytes = supply_core::blocking::tuf_fetch_target(&options, tuf::TRUSTED_ROOT_TARGET)
        .with_context(|| {
            format!(
                "getting the Sigstore trusted root from {}",
                options.metadata_url
            )
        })?;
    Ok((bytes, options.metadata_url))
}

/// What the bundle is checked against.
enum Input {
    /// The file's bytes.
    Bytes(Vec<u8>),
    /// A SHA-256 digest only.
    Digest(Vec<u8>),
}

/// The trusted root an image verification uses: for a key only when given (then the key's
/// bundles' log entries count too), for keyless always.
pub(crate) fn trusted_root_for(
    key: &Expected,
    args: &TrustArgs,
) -> anyhow::Result<Option<std::sync::Arc<TrustedRoot>>> {
    match key {
        Expected::Key(_) if args.trusted_root.is_none() => Ok(None),
        _ => Ok(Some(std::sync::Arc::new(trusted_root(args)?))),
    }
}

pub(crate) fn verify_bundle(args: &VerifyBundleArgs) -> anyhow::Result<ExitStatus> {
    let input = artifact(&args.artifact)?;
    verify(
        &args.bundle,
        &args.artifact,
        &input,
        &args.signer,
        &args.trust,
        args.output,
    )
}

/// `verify-blob --bundle`.
pub(crate) fn verify_blob_bundle(
    bundle: &Path,
    file: &Path,
    signer: &SignerArgs,
    trust: &TrustArgs,
    format: OutputFormat,
) -> anyhow::Result<ExitStatus> {
    let input = Input::Bytes(fsio::read_bounded(file, MAX_ARTIFACT_BYTES)?);
    verify(
        bundle,
        &file.to_string_lossy(),
        &input,
        signer,
        trust,
        format,
    )
}

fn verify(
    bundle: &Path,
    subject: &str,
    input: &Input,
    signer: &SignerArgs,
    trust: &TrustArgs,
    format: OutputFormat,
) -> anyhow::Result<ExitStatus> {
    let expected = expected(signer)?;
    // With a key and no root given, the key alone is trusted (a key bundle has no log entry
    // to check); keyless always needs the root.
    let root = match (&expected, &trust.trusted_root) {
        (Expected::Key(_), None) => TrustedRoot::default(),
        _ => trusted_root(trust)?,
    };
    let bundle = fsio::read_bounded(bundle, MAX_BUNDLE_BYTES)?;
    let artifact = match input {
        Input::Bytes(bytes) => Artifact::Bytes(bytes),
        Input::Digest(digest) => Artifact::Sha256(digest),
    };
    let verdict = sigstore::verify_bundle_json(
        &bundle,
        subject,
        artifact,
        &expected,
        &root,
        sigstore::now(),
    );
    let checked = if root.tlogs.is_empty() && root.certificate_authorities.is_empty() {
        "the bundle's signature was verified with the key (no trusted root: log entries and timestamps were not checked)"
    } else {
        "the bundle's signature, transparency-log entry, timestamps and certificate were verified against the trusted root"
    };
    output::write_verdict(&verdict, format, &[checked])?;
    Ok(ExitStatus::of(verdict.accepted))
}

/// The conformance protocol's artifact: `sha256:<64 hex>` that is not an existing path is a
/// digest; anything else is a file.
fn artifact(text: &str) -> anyhow::Result<Input> {
    if text.starts_with("sha256:") && !Path::new(text).exists() {
        let digest: supply_core::digest::Digest = text
            .parse()
            .with_context(|| format!("{text:?} is not a sha256 digest"))?;
        return Ok(Input::Digest(digest.to_bytes()));
    }
    Ok(Input::Bytes(fsio::read_bounded(
        Path::new(text),
        MAX_ARTIFACT_BYTES,
    )?))
}
