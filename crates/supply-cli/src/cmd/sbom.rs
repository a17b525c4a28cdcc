//! `supply sbom [PATH]` and `supply sbom validate FILE`.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use supply_core::fsio;
use supply_core::sbom::discover::Subject;
use supply_core::sbom::{self, BuildOptions, SpecVersion, Timestamp};

use crate::ExitStatus;
use crate::cli::{SbomAction, SbomArgs, SpecVersionArg};
use crate::output;

/// The largest SBOM `validate` reads.
const MAX_SBOM_BYTES: u64 = 512 * 1024 * 1024;

pub(crate) fn run(args: SbomArgs) -> anyhow::Result<ExitStatus> {
    if let Some(SbomAction::Validate { file }) = &args.action {
        return validate(file);
    }
    let options = BuildOptions {
        spec_version: match args.spec_version {
            SpecVersionArg::V1_5 => SpecVersion::V1_5,
            SpecVersionArg::V1_6 => SpecVersion::V1_6,
        },
        exclude_dev: args.exclude_dev,
        timestamp: Some(Timestamp::from_env_or_now()?),
    };
    let subject = Subject {
        name: args.name.clone(),
        version: args.version.clone(),
    };
    // Every `SbomError` names its file or directory already: no context that would repeat it.
    let generated = sbom::discover::generate_with_subject(&args.path, options, subject)?;
    let mut stderr = std::io::stderr().lock();
    for notice in &generated.notices {
        let _ = writeln!(stderr, "note: {notice}");
    }
    for warning in &generated.warnings {
        let _ = writeln!(stderr, "warning: {warning}");
    }
    output::write_bom(args.output.as_deref(), &generated.bom)?;
    if let Some(path) = &args.output {
        crate::github::outputs(&[("sbom-path", path.display().to_string())])?;
    }
    if let Some(image) = &args.attest {
        let predicate: serde_json::Value = serde_json::from_str(generated.bom.json())?;
        let signing = super::attest::Signing {
            key: args.key.as_deref(),
            bundle: args.format.bundle(args.key.is_none()),
            keyless: &args.keyless,
        };
        let attested = super::attest::attest_value(
            image,
            &signing,
            "cyclonedx",
            predicate,
            false,
            &args.registry,
        )?;
        // The SBOM may be on standard output: the note goes to standard error.
        let _ = writeln!(
            stderr,
            "SBOM attestation attached: {}",
            attested.attestation_reference
        );
    }
    // The process ends right after this; freeing tens of thousands of small allocations one by
    // one costs more than the rest of the output step, so let the OS reclaim them.
    std::mem::forget(generated);
    Ok(ExitStatus::Success)
}

fn validate(file: &Path) -> anyhow::Result<ExitStatus> {
    let bytes = fsio::read_bounded(file, MAX_SBOM_BYTES)?;
    let findings =
        sbom::validate(&bytes).with_context(|| format!("cannot validate {}", file.display()))?;
    let mut stdout = std::io::stdout().lock();
    if findings.is_empty() {
        writeln!(stdout, "{}: valid", file.display())?;
        return Ok(ExitStatus::Success);
    }
    for finding in &findings {
        let path = if finding.path.is_empty() {
            "/"
        } else {
            &finding.path
        };
        writeln!(stdout, "{}: {path}: {}", file.display(), finding.message)?;
    }
    writeln!(
        stdout,
        "{}: invalid ({} problems)",
        file.display(),
        findings.len()
    )?;
    Ok(ExitStatus::Rejected)
}
