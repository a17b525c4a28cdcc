//! `supply scan`: the vulnerability gate.

use std::io::Write;

use anyhow::Context;
use supply_core::attest::intoto;
use supply_core::attest::policy::Policy;
use supply_core::blocking;
use supply_core::sbom::Timestamp;
use supply_core::verify::attestation::AttestationOptions;
use supply_core::vuln::{self, Database, Severity, ignore::IgnoreList, index::IndexUse, report};

use crate::ExitStatus;
use crate::cli::{FailOn, ScanArgs, ScanFormat};

pub(crate) fn run(args: &ScanArgs) -> anyhow::Result<ExitStatus> {
    let threshold = match args.fail_on {
        FailOn::Critical => Severity::Critical,
        FailOn::High => Severity::High,
        FailOn::Medium => Severity::Medium,
        FailOn::Low => Severity::Low,
        FailOn::Any => Severity::Unknown,
    };
    let ignores = match &args.ignore {
        Some(path) => IgnoreList::parse(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )?,
        None => IgnoreList::default(),
    };
    let mut vex = vuln::vex::Vex::default();
    for path in &args.vex {
        let bytes = supply_core::fsio::read_bounded(path, 64 * 1024 * 1024)?;
        vex.add(&path.display().to_string(), &bytes)?;
    }
    let started = Timestamp::from_env_or_now()?.to_rfc3339();
    let today = started.get(..10).unwrap_or_default().to_owned();
    let (scan, target, records) = if let Some(path) = &args.report {
        let bytes = supply_core::fsio::read_bounded(path, 512 * 1024 * 1024)?;
        let findings = vuln::reports::from_report(&path.display().to_string(), &bytes)?;
        let target = vuln::target::Target {
            sources: vec![("", path.display().to_string())],
            ..Default::default()
        };
        let count = findings.len();
        (
            vuln::from_findings(findings, &ignores, &vex, &today),
            target,
            count,
        )
    } else {
        let Some(db_dir) = &args.db else {
            anyhow::bail!("scanning needs --db (or --report with another scanner's report)");
        };
        if !db_dir.is_dir() {
            eprintln!("error: no vulnerability database at {}", db_dir.display());
            eprintln!(
                "hint: point --db at a directory of OSV records or archives (supply db update fetches them)"
            );
            return Ok(ExitStatus::Unverified);
        }
        if let Some(days) = args.max_db_age
            && let Some(age) = newest_age_days(db_dir)
            && age > days
        {
            eprintln!(
                "error: the vulnerability database at {} is {age} days old (more than --max-db-age {days})",
                db_dir.display()
            );
            return Ok(ExitStatus::Unverified);
        }
        let Some(target_path) = &args.target else {
            anyhow::bail!("scan needs a target: an SBOM, a lockfile, a directory or an image");
        };
        let target = if target_path.exists() {
            vuln::target::load(target_path)?
        } else {
            match image_sbom(args, target_path)? {
                Ok(target) => target,
                Err(status) => return Ok(status),
            }
        };
        let (db, index) =
            Database::load_indexed(db_dir, args.skip_invalid_records, &target.components)?;
        match index {
            IndexUse::Warm => tracing::info!(
                "read {} of {} records from the prepared index",
                db.len(),
                db.total()
            ),
            IndexUse::Built => {
                tracing::info!("loaded {} records; prepared index written", db.len())
            }
            IndexUse::Unwritable => tracing::info!("loaded {} records; no index written", db.len()),
        }
        let mut scan = vuln::scan(&db, &target.components, &ignores, &vex, &today);
        scan.not_scanned.extend(target.not_scanned.iter().cloned());
        scan.notes.extend(target.notices.iter().cloned());
        for (file, reason) in &db.skipped {
            scan.notes
                .push(format!("skipped {}: {reason}", file.display()));
        }
        (scan, target, db.total())
    };
    let mut stdout = std::io::stdout().lock();
    match args.output {
        ScanFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&report::to_json(&scan, threshold))?
        )?,
        ScanFormat::Sarif => {
            let sarif = report::to_sarif(&scan, &|f| target.source(&f.ecosystem));
            writeln!(stdout, "{}", serde_json::to_string_pretty(&sarif)?)?;
        }
        ScanFormat::Cyclonedx => writeln!(
            stdout,
            "{}",
            serde_json::to_string_pretty(&report::to_cyclonedx(&scan, &target.bom))?
        )?,
        ScanFormat::CosignVuln => {
            let finished = Timestamp::from_env_or_now()?.to_rfc3339();
            let predicate = report::to_cosign_vuln(
                &scan,
                threshold,
                &args
                    .db
                    .as_ref()
                    .or(args.report.as_ref())
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                &started,
                &finished,
            );
            writeln!(stdout, "{}", serde_json::to_string_pretty(&predicate)?)?;
        }
        ScanFormat::Table => {
            write!(stdout, "{}", report::to_table(&scan))?;
        }
    }
    let mut stderr = std::io::stderr().lock();
    for note in &scan.notes {
        writeln!(stderr, "note: {note}")?;
    }
    for missing in &scan.not_scanned {
        writeln!(
            stderr,
            "not scanned: {} ({})",
            missing.component, missing.reason
        )?;
    }
    let counted = scan
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .count();
    let suppressed = scan.findings.len() - counted;
    match &args.report {
        Some(path) => writeln!(
            stderr,
            "{}: {counted} findings ({suppressed} suppressed)",
            path.display()
        )?,
        None => writeln!(
            stderr,
            "{} packages scanned against {records} records: {counted} findings ({suppressed} suppressed)",
            scan.scanned
        )?,
    }
    Ok(ExitStatus::of(!scan.fails(threshold)))
}

/// Days since the newest file in the database changed.
fn newest_age_days(dir: &std::path::Path) -> Option<u64> {
    let mut newest = None;
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).ok()?.flatten() {
            let meta = entry.metadata().ok()?;
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(modified) = meta.modified() {
                newest = Some(newest.map_or(modified, |n: std::time::SystemTime| n.max(modified)));
            }
        }
    }
    let age = std::time::SystemTime::now().duration_since(newest?).ok()?;
    Some(age.as_secs() / 86_400)
}

/// The SBOM of an image: its CycloneDX attestation, verified first (a rejection is the
/// answer: exit 1 with the verdict's findings).
fn image_sbom(
    args: &ScanArgs,
    target: &std::path::Path,
) -> anyhow::Result<Result<vuln::target::Target, ExitStatus>> {
    let text = target.to_string_lossy();
    let image = super::image::reference(&text)
        .with_context(|| format!("{text} is neither a file nor an image reference"))?;
    let key = super::bundle::expected(&args.signer)
        .context("scanning an image verifies its SBOM attestation first")?;
    let trusted_root = super::bundle::trusted_root_for(&key, &args.trust)?;
    let options = AttestationOptions {
        key,
        trusted_root,
        predicate_type: intoto::predicate_type("cyclonedx")?,
        policy: Policy::default(),
        formats: Default::default(),
    };
    let client = super::image::client(&args.registry)?;
    let verdict = blocking::verify_attestations(&client, &image, &options).with_context(|| {
        format!("verifying the SBOM attestation of {image} (nothing was scanned)")
    })?;
    if !verdict.accepted {
        crate::output::write_verdict(&verdict, crate::cli::OutputFormat::Text, &[])?;
        return Ok(Err(ExitStatus::Rejected));
    }
    let sbom = verdict
        .verified
        .last()
        .map(|v| v.payload["predicate"].clone())
        .unwrap_or_default();
    eprintln!("scanning the verified SBOM attestation of {image}");
    Ok(Ok(vuln::target::from_bom(
        sbom,
        vec![("", image.to_string())],
    )))
}

pub(crate) fn db(args: &crate::cli::DbArgs) -> anyhow::Result<ExitStatus> {
    let crate::cli::DbAction::Update {
        mirror,
        dir,
        ecosystems,
        timeout,
    } = &args.action;
    let ecosystems: Vec<String> = if ecosystems.is_empty() {
        vuln::update::ECOSYSTEMS
            .iter()
            .map(|e| (*e).to_owned())
            .collect()
    } else {
        ecosystems.clone()
    };
    for ecosystem in &ecosystems {
        if !vuln::update::ECOSYSTEMS.contains(&ecosystem.as_str()) {
            anyhow::bail!("--ecosystem {ecosystem}: supply scans crates.io, PyPI and npm");
        }
    }
    let updated = blocking::vuln_db_update(
        mirror,
        dir,
        &ecosystems,
        std::time::Duration::from_secs(*timeout),
    )
    .context("updating the vulnerability database (the old archives were kept)")?;
    let mut stdout = std::io::stdout().lock();
    for u in &updated {
        writeln!(
            stdout,
            "{}: {} records, {} bytes -> {}",
            u.ecosystem,
            u.records,
            u.bytes,
            u.path.display()
        )?;
    }
    Ok(ExitStatus::Success)
}
