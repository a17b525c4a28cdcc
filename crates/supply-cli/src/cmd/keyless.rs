//! The keyless flags: where the identity token comes from, which Sigstore services sign, and
//! the trusted root their answers are checked against; `supply sign-bundle`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, bail};
use supply_core::attest::intoto::Statement;
use supply_core::keyless::token::TokenSource;
use supply_core::keyless::{IdentityToken, KeylessOptions, KeylessSigner, Services};
use supply_core::{blocking, fsio, sigstore};
use zeroize::Zeroizing;

use crate::ExitStatus;
use crate::cli::{KeylessArgs, SignBundleArgs};

const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
const MAX_ARTIFACT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// An ephemeral key certified for the caller's identity; says who on stderr.
pub(crate) fn signer(args: &KeylessArgs) -> anyhow::Result<KeylessSigner> {
    let source = match &args.identity_token {
        Some(given) => {
            // A path to a file holding the token, or the token itself (cosign accepts both).
            let text = if Path::new(&given.0).is_file() {
                let bytes = Zeroizing::new(fsio::read_bounded(Path::new(&given.0), 64 * 1024)?);
                Zeroizing::new(String::from_utf8_lossy(&bytes).into_owned())
            } else {
                Zeroizing::new(given.0.clone())
            };
            TokenSource::Token(IdentityToken::parse(&text)?)
        }
        None => match TokenSource::from_env()? {
            Some(source) => source,
            None => bail!(
                "keyless signing needs an OIDC identity token: pass --identity-token, set SIGSTORE_ID_TOKEN, or run in GitHub Actions with `permissions: id-token: write` (or sign with --key)"
            ),
        },
    };
    let options = KeylessOptions {
        services: services(args)?,
        trusted_root: Arc::new(super::bundle::trusted_root(&args.trust)?),
        timeout: TIMEOUT,
    };
    let signer = blocking::keyless_signer(&options, source).context("keyless signing")?;
    let (subject, issuer) = signer.identity();
    eprintln!("signing as {subject} (issuer {issuer})");
    Ok(signer)
}

fn services(args: &KeylessArgs) -> anyhow::Result<Services> {
    if let Some(path) = &args.signing_config {
        let bytes = fsio::read_bounded(path, 1024 * 1024)?;
        return Services::from_signing_config(&bytes, sigstore::now())
            .with_context(|| format!("reading signing config {}", path.display()));
    }
    let defaults = if args.trust.staging {
        Services::staging()
    } else {
        Services::public_good()
    };
    if args.fulcio_url.is_none() && args.rekor_url.is_none() {
        return Ok(Services {
            tsa: args.timestamp_server_url.clone().or(defaults.tsa),
            ..defaults
        });
    }
    // A private instance: the public timestamp authority is not assumed.
    Ok(Services {
        fulcio: args.fulcio_url.clone().unwrap_or(defaults.fulcio),
        rekor: args.rekor_url.clone().unwrap_or(defaults.rekor),
        tsa: args.timestamp_server_url.clone(),
    })
}

pub(crate) fn sign_bundle(args: &SignBundleArgs) -> anyhow::Result<ExitStatus> {
    let bytes = fsio::read_bounded(&args.file, MAX_ARTIFACT_BYTES)?;
    let statement = if args.in_toto {
        Some(
            Statement::parse(&bytes)
                .with_context(|| format!("{} is not an in-toto statement", args.file.display()))?,
        )
    } else {
        None
    };
    let signer = signer(&args.keyless)?;
    let bundle = match &statement {
        Some(statement) => blocking::keyless_sign_statement(&signer, statement),
        None => blocking::keyless_sign_artifact(&signer, &bytes),
    }
    .context("keyless signing")?;
    fsio::write_atomic(&args.bundle, &bundle.to_json())?;
    Ok(ExitStatus::Success)
}
