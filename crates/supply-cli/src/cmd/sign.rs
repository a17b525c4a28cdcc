//! `supply sign`, `supply verify`, `supply sign-blob`, `supply verify-blob`.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Context;
use base64::Engine as _;
use supply_core::fsio;
use supply_core::keys::files;
use supply_core::sign;
use supply_core::verify;

use super::image::{client, reference, report_round_trips, runtime};
use super::keys::load_signing_key;
use crate::ExitStatus;
use crate::cli::{OutputFormat, SignArgs, SignBlobArgs, VerifyArgs, VerifyBlobArgs};
use crate::output;

const MAX_BLOB_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

pub(crate) fn sign(args: &SignArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let key = load_signing_key(&args.key)?;
    let client = client(&args.image.registry)?;
    let annotations: BTreeMap<String, String> = args.annotations.iter().cloned().collect();
    let signed = runtime()?
        .block_on(sign::sign_image(
            &client,
            &image,
            &key,
            &annotations,
            args.recursive,
        ))
        .with_context(|| format!("signing {image}"))?;
    let mut stdout = std::io::stdout().lock();
    match args.image.output {
        OutputFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&signed)?)?,
        OutputFormat::Text => {
            for entry in &signed {
                let note = if entry.added {
                    ""
                } else {
                    " (already signed with this key)"
                };
                writeln!(stdout, "{}{note}", entry.signature_reference)?;
            }
        }
    }
    report_round_trips(&client, &args.image.registry);
    Ok(ExitStatus::Success)
}

pub(crate) fn verify(args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let key = files::read_verifying_key(&args.key)?;
    let client = client(&args.image.registry)?;
    let required: BTreeMap<String, String> = args.annotations.iter().cloned().collect();
    let report = runtime()?
        .block_on(verify::verify_image_signatures(
            &client, &image, &key, &required,
        ))
        .with_context(|| format!("verifying {image} (nothing was verified)"))?;
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    if report.accepted() {
        writeln!(
            stderr,
            "Verification for {}@{} --",
            image.repository_name(),
            report.digest
        )?;
        writeln!(
            stderr,
            "The following checks were performed on each of these signatures:"
        )?;
        writeln!(
            stderr,
            "  - The signatures were verified against the specified public key"
        )?;
        writeln!(
            stderr,
            "  - The signed digest is the image's digest; required annotations are present"
        )?;
    } else {
        writeln!(
            stderr,
            "error: no valid signature for {image} ({})",
            report.digest
        )?;
    }
    output::write_rejections(&mut stderr, &report.rejected)?;
    match args.image.output {
        OutputFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&report)?)?,
        OutputFormat::Text => {
            let payloads: Vec<&serde_json::Value> =
                report.verified.iter().map(|v| &v.payload).collect();
            if !payloads.is_empty() {
                writeln!(stdout, "{}", serde_json::to_string(&payloads)?)?;
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

pub(crate) fn sign_blob(args: &SignBlobArgs) -> anyhow::Result<ExitStatus> {
    let bytes = fsio::read_bounded(&args.file, MAX_BLOB_FILE_BYTES)?;
    let key = load_signing_key(&args.key)?;
    let signature = sign::sign_blob(&key, &bytes);
    if let Some(path) = &args.output_signature {
        fsio::write_atomic(path, signature.as_bytes())?;
    }
    writeln!(std::io::stdout().lock(), "{signature}")?;
    Ok(ExitStatus::Success)
}

pub(crate) fn verify_blob(args: &VerifyBlobArgs) -> anyhow::Result<ExitStatus> {
    let key = files::read_verifying_key(&args.key)?;
    let bytes = fsio::read_bounded(&args.file, MAX_BLOB_FILE_BYTES)?;
    let signature_text = fsio::read_bounded(&args.signature, 64 * 1024)?;
    let signature_text = String::from_utf8_lossy(&signature_text);
    let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature_text.trim())
    else {
        writeln!(
            std::io::stderr().lock(),
            "error: {} is not a base64 signature",
            args.signature.display()
        )?;
        return Ok(ExitStatus::Rejected);
    };
    match key.verify(&bytes, &signature) {
        Ok(()) => {
            writeln!(std::io::stderr().lock(), "Verified OK")?;
            Ok(ExitStatus::Success)
        }
        Err(e) => {
            writeln!(std::io::stderr().lock(), "error: {e}")?;
            Ok(ExitStatus::Rejected)
        }
    }
}
