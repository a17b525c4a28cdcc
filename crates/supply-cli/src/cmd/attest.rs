//! `supply provenance`, `supply attest`, `supply verify-attestation`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use supply_core::attest::intoto::{self, SLSA_PROVENANCE_V1, Statement};
use supply_core::attest::policy::Policy;
use supply_core::attest::slsa::{self, ManualBuild};
use supply_core::attest::subject::SubjectSource;
use supply_core::attest::{AttestOptions, Attested};
use supply_core::verify::attestation::AttestationOptions;
use supply_core::{blocking, fsio};

use super::image::{client, reference, report_round_trips};
use super::keys::load_signing_key;
use crate::ExitStatus;
use crate::cli::{
    AttestArgs, KeylessArgs, OutputFormat, ProvenanceArgs, RegistryArgs, VerifyAttestationArgs,
};
use crate::output;
use supply_core::sign::bundle::BundleSigner;

const MAX_PREDICATE_BYTES: u64 = 256 * 1024 * 1024;

pub(crate) fn provenance(args: &ProvenanceArgs) -> anyhow::Result<ExitStatus> {
    let manual = ManualBuild {
        builder_id: args.builder_id.clone(),
        source_uri: args.source_uri.clone(),
        source_ref: args.source_ref.clone(),
        source_commit: args.source_commit.clone(),
    };
    let predicate = slsa::predicate_from_env(&|name| std::env::var(name).ok(), &manual)?;
    let sources = args
        .subjects
        .iter()
        .map(|subject| SubjectSource::parse(subject))
        .collect::<Result<Vec<_>, _>>()?;
    let client = client(&args.registry)?;
    let subjects = blocking::resolve_subjects(&client, &sources)?;
    let statement = Statement::new(subjects, SLSA_PROVENANCE_V1, predicate);
    let mut text = serde_json::to_string_pretty(&statement)?;
    text.push('\n');
    output::write_document(args.output.as_deref(), &text)?;
    Ok(ExitStatus::Success)
}

pub(crate) fn attest(args: &AttestArgs) -> anyhow::Result<ExitStatus> {
    let bytes = fsio::read_bounded(&args.predicate, MAX_PREDICATE_BYTES)?;
    let document: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", args.predicate.display()))?;
    let attested = attest_value(
        &args.image.image,
        &Signing {
            key: args.key.as_deref(),
            bundle: args.format.bundle(args.key.is_none()),
            keyless: &args.keyless,
        },
        &args.predicate_type,
        intoto::predicate_of(document),
        args.replace,
        &args.image.registry,
    )?;
    let mut stdout = std::io::stdout().lock();
    match args.image.output {
        OutputFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&attested)?)?,
        OutputFormat::Text => writeln!(stdout, "{}", attested.attestation_reference)?,
    }
    Ok(ExitStatus::Success)
}

/// Who attests and in which format.
pub(crate) struct Signing<'a> {
    /// The private key, or keyless.
    pub(crate) key: Option<&'a Path>,
    /// A bundle referrer rather than the legacy `.att` tag.
    pub(crate) bundle: bool,
    /// The keyless flags.
    pub(crate) keyless: &'a KeylessArgs,
}

/// Attests `predicate` (shared with `supply sbom --attest`).
pub(crate) fn attest_value(
    image: &str,
    signing: &Signing<'_>,
    predicate_type: &str,
    predicate: Value,
    replace: bool,
    registry: &RegistryArgs,
) -> anyhow::Result<Attested> {
    let image = reference(image)?;
    let options = AttestOptions {
        predicate_type: intoto::predicate_type(predicate_type)?,
        predicate,
        replace,
    };
    let client = client(registry)?;
    let key = signing.key.map(load_signing_key).transpose()?;
    let attested = if !signing.bundle {
        match &key {
            Some(key) => blocking::attest_image(&client, &image, key, &options),
            None => {
                let signer = super::keyless::signer(signing.keyless)?;
                blocking::attest_image_keyless_legacy(&client, &image, &signer, &options)
            }
        }
        .map_err(anyhow::Error::from)
    } else {
        if replace {
            anyhow::bail!(
                "--replace applies to the legacy .att tag; bundle referrers are never removed"
            );
        }
        let keyless;
        let signer = match &key {
            Some(key) => BundleSigner::Key(key),
            None => {
                keyless = super::keyless::signer(signing.keyless)?;
                BundleSigner::Keyless(&keyless)
            }
        };
        blocking::attest_image_bundle(
            &client,
            &image,
            signer,
            &options.predicate_type,
            options.predicate.clone(),
        )
        .map(|(digest, reference)| Attested {
            digest,
            attestation_reference: reference,
            replaced: 0,
        })
        .map_err(anyhow::Error::from)
    }
    .with_context(|| format!("attesting {image}"))?;
    crate::github::outputs(&[(
        "attestation-ref",
        attested.attestation_reference.to_string(),
    )])?;
    report_round_trips(&client, registry);
    Ok(attested)
}

pub(crate) fn verify_attestation(args: &VerifyAttestationArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let policy = match &args.policy {
        Some(path) => {
            Policy::from_file(path).with_context(|| format!("reading policy {}", path.display()))?
        }
        None => Policy::default(),
    };
    let key = super::bundle::expected(&args.signer)?;
    let trusted_root = super::bundle::trusted_root_for(&key, &args.trust)?;
    let options = AttestationOptions {
        key,
        trusted_root,
        predicate_type: intoto::predicate_type(&args.predicate_type)?,
        policy,
        formats: Default::default(),
    };
    let client = client(&args.image.registry)?;
    let verdict = blocking::verify_attestations(&client, &image, &options)
        .with_context(|| format!("verifying attestations of {image} (nothing was verified)"))?;
    let checked = format!(
        "attestations of type {} were verified against the specified public key, about this image, and against the policy",
        options.predicate_type
    );
    output::write_verdict(&verdict, args.image.output, &[&checked])?;
    report_round_trips(&client, &args.image.registry);
    Ok(ExitStatus::of(verdict.accepted))
}
