//! Where results go: data to standard output or to a file written atomically, messages to
//! standard error; verdicts rendered for people or as JSON; the exit code an error gives and
//! the `hint:` lines printed under known errors.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use supply_core::admission::PolicyLoadError;
use supply_core::attach::AttachError;
use supply_core::attest::policy::PolicyError;
use supply_core::attest::slsa::ProvenanceError;
use supply_core::attest::subject::SubjectError;
use supply_core::attest::{AttestError, intoto::StatementError};
use supply_core::blocking::BlockingError;
use supply_core::fsio::{self, FileError};
use supply_core::keyless::KeylessError;
use supply_core::keys::KeyError;
use supply_core::keys::files::KeyFileError;
use supply_core::oci::{ReferenceError, RegistryError};
use supply_core::sbom::{Bom, LockfileError, SbomError, ValidateError};
use supply_core::sign::SignError;
use supply_core::sigstore::TrustRootError;
use supply_core::sigstore::tuf::TufError;
use supply_core::verify::{Severity, Verdict, VerdictKind, VerifyError};
use supply_core::vuln::ScanError;
use supply_core::{Classify, ErrorKind};

use crate::cli::OutputFormat;

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

/// An SBOM to `path` (streamed into the file, never all in memory) or to standard output.
pub(crate) fn write_bom(path: Option<&Path>, bom: &Bom) -> anyhow::Result<()> {
    match path {
        Some(path) => Ok(fsio::write_atomic_with(path, |file| bom.write_json(file))?),
        None => write_document(None, bom.json()),
    }
}

/// A verdict: JSON on standard output (exactly the library's model), or for people a summary
/// and one line per finding on standard error and the verified documents on standard output.
pub(crate) fn write_verdict(
    verdict: &Verdict,
    format: OutputFormat,
    accepted_lines: &[&str],
) -> anyhow::Result<()> {
    crate::github::verdict(verdict)?;
    let mut stdout = std::io::stdout().lock();
    if format == OutputFormat::Json {
        writeln!(stdout, "{}", verdict.to_json())?;
        return Ok(());
    }
    let mut stderr = std::io::stderr().lock();
    let digest = verdict
        .digest
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    if verdict.accepted {
        writeln!(stderr, "Verification for {} ({digest}) --", verdict.subject)?;
        for line in accepted_lines {
            writeln!(stderr, "  - {line}")?;
        }
    } else {
        writeln!(
            stderr,
            "error: {} ({digest}) was not verified",
            verdict.subject
        )?;
    }
    for finding in &verdict.findings {
        let label = match finding.severity {
            Severity::Error => "rejected",
            Severity::Warning => "warning",
        };
        writeln!(
            stderr,
            "  {label} [{}] {}: {}",
            finding.code, finding.subject, finding.message
        )?;
    }
    // As cosign prints them: image signature payloads as one JSON array, attestation
    // statements one per line.
    let payloads: Vec<&serde_json::Value> = verdict
        .verified
        .iter()
        .map(|v| &v.payload)
        .filter(|p| !p.is_null())
        .collect();
    match verdict.kind {
        VerdictKind::Attestation => {
            for payload in payloads {
                writeln!(stdout, "{}", serde_json::to_string(payload)?)?;
            }
        }
        _ if !payloads.is_empty() => writeln!(stdout, "{}", serde_json::to_string(&payloads)?)?,
        _ => {}
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

/// The classification of the first library error in the chain.
fn error_kind(error: &anyhow::Error) -> Option<ErrorKind> {
    macro_rules! first_of {
        ($cause:expr, $($error:ty),* $(,)?) => {
            $(if let Some(e) = $cause.downcast_ref::<$error>() { return Some(e.kind()); })*
        };
    }
    for cause in error.chain() {
        first_of!(
            cause,
            VerifyError,
            SignError,
            AttestError,
            AttachError,
            RegistryError,
            SubjectError,
            PolicyError,
            KeyFileError,
            KeyError,
            SbomError,
            LockfileError,
            ValidateError,
            ProvenanceError,
            StatementError,
            ReferenceError,
            FileError,
            TufError,
            TrustRootError,
            BlockingError,
            PolicyLoadError,
            KeylessError,
            ScanError,
        );
    }
    None
}

/// The exit code of a failed command: 3 when a service could not be reached (network,
/// timeout, authentication: nothing was decided, retrying may help), 1 when content failed a
/// check on the way (a registry serving bytes that do not match their digest), 2 otherwise
/// (usage, bad input, local files).
pub(crate) fn exit_code(error: &anyhow::Error) -> u8 {
    match error_kind(error) {
        Some(kind) if kind.is_unreachable() => 3,
        Some(ErrorKind::VerificationFailed) => 1,
        _ => 2,
    }
}

/// The registry error a cause is or wraps: library errors wrap it transparently, so it does
/// not appear in the chain by itself.
fn registry_error<'a>(cause: &'a (dyn std::error::Error + 'static)) -> Option<&'a RegistryError> {
    let attach = |e: &'a AttachError| match e {
        AttachError::Registry(e) => Some(e),
        _ => None,
    };
    if let Some(e) = cause.downcast_ref::<RegistryError>() {
        return Some(e);
    }
    if let Some(e) = cause.downcast_ref::<AttachError>() {
        return attach(e);
    }
    match (
        cause.downcast_ref::<VerifyError>(),
        cause.downcast_ref::<SignError>(),
        cause.downcast_ref::<AttestError>(),
        cause.downcast_ref::<SubjectError>(),
    ) {
        (Some(VerifyError::Registry(e)), ..)
        | (_, Some(SignError::Registry(e)), ..)
        | (_, _, Some(AttestError::Registry(e)), _)
        | (.., Some(SubjectError::Registry(e))) => Some(e),
        (Some(VerifyError::Attach(e)), ..)
        | (_, Some(SignError::Attach(e)), ..)
        | (_, _, Some(AttestError::Attach(e)), _) => attach(e),
        _ => None,
    }
}

/// Suggestions for errors a user can fix.
pub(crate) fn hints(error: &anyhow::Error) -> Vec<&'static str> {
    let mut hints = Vec::new();
    for cause in error.chain() {
        match registry_error(cause) {
            Some(RegistryError::UntrustedCertificate { .. }) => hints.push(
                "the registry's TLS certificate is not trusted: pass its CA (or the certificate itself) with --ca-file (or SSL_CERT_FILE)",
            ),
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
        if let Some(ProvenanceError::NoCi) = cause.downcast_ref::<ProvenanceError>() {
            hints.push(
                "outside CI, describe the build with --builder-id (and --source-uri, --source-ref, --source-commit)",
            );
        }
        match cause.downcast_ref::<SbomError>() {
            Some(SbomError::NoLockfiles { .. }) => hints.push(
                "run `cargo generate-lockfile`, `uv lock`, `poetry lock`, `npm install --package-lock-only`, `pnpm install --lockfile-only` or `yarn install --mode=update-lockfile` first",
            ),
            Some(SbomError::InvalidSourceDateEpoch { .. }) => {
                hints.push("unset SOURCE_DATE_EPOCH or set it to seconds since 1970, e.g. `git log -1 --format=%ct`");
            }
            _ => {}
        }
    }
    hints
}
