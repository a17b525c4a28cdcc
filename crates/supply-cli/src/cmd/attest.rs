//! `supply provenance`, `supply attest`, `supply verify-attestation`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde_json::Value;
use supply_core::attest::intoto::{self, SLSA_PROVENANCE_V1, Statement, Subject};
use supply_core::attest::policy::Policy;
use supply_core::attest::slsa::{self, ManualBuild};
use supply_core::digest::Digest;
use supply_core::fsio;
use supply_core::keys::files;
use supply_core::verify::attestation;

use super::image::{client, reference, report_round_trips, runtime};
use super::keys::load_signing_key;
use crate::ExitStatus;
use crate::cli::{AttestArgs, OutputFormat, ProvenanceArgs, VerifyAttestationArgs};
use crate::output;

const MAX_PREDICATE_BYTES: u64 = 256 * 1024 * 1024;

pub(crate) fn provenance(args: &ProvenanceArgs) -> anyhow::Result<ExitStatus> {
    let manual = ManualBuild {
        builder_id: args.builder_id.clone(),
        source_uri: args.source_uri.clone(),
        source_ref: args.source_ref.clone(),
        source_commit: args.source_commit.clone(),
    };
    let predicate = slsa::predicate_from_env(&|name| std::env::var(name).ok(), &manual)?;
    let mut subjects = Vec::new();
    // One runtime and one client for every image subject: reqwest's pooled connections belong
    // to the runtime that opened them, so a client must not outlive its runtime.
    let mut registry = None;
    for subject in &args.subjects {
        let path = Path::new(subject);
        if path.is_file() {
            let bytes = fsio::read_bounded(path, 16 * 1024 * 1024 * 1024)?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            subjects.push(Subject::new(name, &Digest::sha256(&bytes)));
        } else {
            let image = reference(subject)
                .with_context(|| format!("{subject} is neither a file nor an image reference"))?;
            let (runtime, client) = match &registry {
                Some(registry) => registry,
                None => registry.insert((runtime()?, client(&args.registry)?)),
            };
            let digest = runtime
                .block_on(client.resolve(&image))
                .with_context(|| format!("resolving {image}"))?;
            subjects.push(Subject::new(Some(image.repository_name()), &digest));
        }
    }
    let statement = Statement::new(subjects, SLSA_PROVENANCE_V1, predicate);
    let mut text = serde_json::to_string_pretty(&statement)?;
    text.push('\n');
    output::write_document(args.output.as_deref(), &text)?;
    Ok(ExitStatus::Success)
}

/// Reads a predicate file; a whole statement gives its predicate.
fn read_predicate(path: &Path) -> anyhow::Result<Value> {
    let bytes = fsio::read_bounded(path, MAX_PREDICATE_BYTES)?;
    let value: Value = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not JSON", path.display()))?;
    let is_statement = value
        .get("_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"));
    Ok(if is_statement {
        value.get("predicate").cloned().unwrap_or(Value::Null)
    } else {
        value
    })
}

pub(crate) fn attest(args: &AttestArgs) -> anyhow::Result<ExitStatus> {
    let predicate = read_predicate(&args.predicate)?;
    let attested = attest_value(
        &args.image.image,
        &args.key,
        &args.predicate_type,
        predicate,
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

/// Attests `predicate` (shared with `supply sbom --attest`).
pub(crate) fn attest_value(
    image: &str,
    key: &Path,
    predicate_type: &str,
    predicate: Value,
    replace: bool,
    registry: &crate::cli::RegistryArgs,
) -> anyhow::Result<supply_core::attest::Attested> {
    let image = reference(image)?;
    let predicate_type = intoto::predicate_type(predicate_type)?;
    let key = load_signing_key(key)?;
    let client = client(registry)?;
    let attested = runtime()?
        .block_on(supply_core::attest::attest_image(
            &client,
            &image,
            &key,
            &predicate_type,
            predicate,
            replace,
        ))
        .with_context(|| format!("attesting {image}"))?;
    report_round_trips(&client, registry);
    Ok(attested)
}

pub(crate) fn verify_attestation(args: &VerifyAttestationArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let predicate_type = intoto::predicate_type(&args.predicate_type)?;
    let key = files::read_verifying_key(&args.key)?;
    let policy = match &args.policy {
        Some(path) => {
            let text = fsio::read_bounded(path, 1024 * 1024)?;
            Policy::parse(&String::from_utf8_lossy(&text))
                .with_context(|| format!("reading policy {}", path.display()))?
        }
        None => Policy::default(),
    };
    let client = client(&args.image.registry)?;
    let report = runtime()?
        .block_on(attestation::verify_image_attestations(
            &client,
            &image,
            &key,
            &predicate_type,
            &policy,
        ))
        .with_context(|| format!("verifying attestations of {image} (nothing was verified)"))?;
    let mut stderr = std::io::stderr().lock();
    if report.accepted() {
        writeln!(
            stderr,
            "Verified {} attestation(s) of type {predicate_type} for {}@{}",
            report.verified.len(),
            image.repository_name(),
            report.digest
        )?;
    } else {
        writeln!(
            stderr,
            "error: no valid attestation of type {predicate_type} for {image} ({})",
            report.digest
        )?;
    }
    output::write_rejections(&mut stderr, &report.rejected)?;
    let mut stdout = std::io::stdout().lock();
    match args.image.output {
        OutputFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?,
        OutputFormat::Text => {
            for statement in &report.verified {
                writeln!(stdout, "{}", serde_json::to_string(statement)?)?;
            }
        }
    }
    report_round_trips(&client, &args.image.registry);
    Ok(if report.accepted() {
        ExitStatus::Success
    } else {
        ExitStatus::Rejected
    })
}
