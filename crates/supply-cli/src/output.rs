//! Where results go: data to standard output or to a file written atomically, messages to
//! standard error; and the `hint:` lines printed under known errors.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use supply_core::fsio;
use supply_core::keys::files::KeyFileError;
use supply_core::oci::RegistryError;
use supply_core::sbom::SbomError;

/// Writes a document to `path` atomically, or to standard output when `path` is `None`.
pub(crate) fn write_document(path: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match path {
        Some(path) => fsio::write_atomic(path, text.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .context("writing to standard output")?;
            stdout.flush().context("writing to standard output")?;
        }
    }
    Ok(())
}

/// One `rejected:` line per rejected signature or attestation, with its layer digest.
pub(crate) fn write_rejections(
    out: &mut impl Write,
    rejected: &[supply_core::verify::RejectedSignature],
) -> std::io::Result<()> {
    for rejection in rejected {
        let layer = rejection
            .layer
            .as_ref()
            .map(|d| format!("layer {d}: "))
            .unwrap_or_default();
        writeln!(out, "  rejected: {layer}{}", rejection.reason)?;
    }
    Ok(())
}

/// A closed pipe (`supply sbom | head`) is not an error worth reporting.
pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Suggestions for errors a user can fix.
pub(crate) fn hints(error: &anyhow::Error) -> Vec<&'static str> {
    let mut hints = Vec::new();
    if error
        .chain()
        .any(|cause| cause.to_string().contains("invalid peer certificate"))
    {
        hints.push("the registry's TLS certificate is not trusted: pass its CA with --ca-file (or SSL_CERT_FILE)");
    }
    for cause in error.chain() {
        match cause.downcast_ref::<RegistryError>() {
            Some(RegistryError::Unauthorized { .. }) => hints.push(
                "pass --registry-username with --registry-password-stdin, or log in with `docker login <registry>`",
            ),
            Some(RegistryError::InsecureRealm { .. } | RegistryError::Redirect { .. }) => hints
                .push("if this registry is meant to be reached over plain HTTP, pass --allow-insecure-registry"),
            _ => {}
        }
        if let Some(KeyFileError::Exists { .. }) = cause.downcast_ref::<KeyFileError>() {
            hints.push("pass --force to overwrite the existing key files");
        }
        match cause.downcast_ref::<SbomError>() {
            Some(SbomError::NoLockfiles { .. }) => hints.push(
                "run `cargo generate-lockfile`, `uv lock` or `npm install --package-lock-only` first",
            ),
            Some(SbomError::InvalidSourceDateEpoch { .. }) => {
                hints.push("unset SOURCE_DATE_EPOCH or set it to seconds since 1970, e.g. `git log -1 --format=%ct`");
            }
            _ => {}
        }
    }
    hints
}
