//! `supply verify --policy` (the CI gate over ClusterImagePolicy files) and the policy loading
//! it shares with `supply admission serve`.

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use supply_core::admission::{
    CacheConfig, Evaluator, ImageDecision, NoMatch, PolicyFile, PolicySet, TrustRoot, TrustRoots,
};
use supply_core::verify::Severity;
use supply_core::{blocking, fsio};

use super::image::{client, report_round_trips};
use crate::ExitStatus;
use crate::cli::{NoMatchArg, OutputFormat, PolicyArgs, TrustArgs, VerifyArgs};

const MAX_ROOT_BYTES: u64 = 16 * 1024 * 1024;

/// Reads, validates and compiles the policy files with the trusted roots they name; the
/// default root (TUF or --trusted-root) is fetched only when a policy needs it.
pub(crate) fn load_policies(policy: &PolicyArgs, trust: &TrustArgs) -> anyhow::Result<PolicySet> {
    let files = policy
        .files
        .iter()
        .map(|path| PolicyFile::read(path))
        .collect::<Result<Vec<_>, _>>()?;
    let mut roots = TrustRoots::default();
    for (name, path) in &policy.trust_roots {
        let bytes = fsio::read_bounded(path, MAX_ROOT_BYTES)?;
        let root = TrustRoot::from_json(&bytes)
            .with_context(|| format!("reading trusted root {name} from {}", path.display()))?;
        roots.named.insert(name.clone(), root);
    }
    if files.iter().any(PolicyFile::needs_default_root) {
        let (bytes, from) = super::bundle::trusted_root_json(trust)?;
        let root =
            TrustRoot::from_json(&bytes).with_context(|| format!("reading trusted root {from}"))?;
        roots.default = Some(root);
    }
    let no_match = match policy.no_match_policy {
        NoMatchArg::Deny => NoMatch::Deny,
        NoMatchArg::Allow => NoMatch::Allow,
        NoMatchArg::Warn => NoMatch::Warn,
    };
    Ok(PolicySet::compile(&files, &roots, no_match)?)
}

pub(crate) fn verify_with_policies(args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    let signer = &args.signer;
    if signer.key.is_some()
        || signer.certificate_identity.is_some()
        || signer.certificate_identity_regexp.is_some()
        || !args.annotations.is_empty()
    {
        anyhow::bail!(
            "--policy takes whose signatures count from the policies; leave out --key, --certificate-identity and --annotation"
        );
    }
    let set = load_policies(&args.policy, &args.trust)?;
    let client = client(&args.registry)?;
    let evaluator = Arc::new(Evaluator::new(client, CacheConfig::default()));
    let decisions = blocking::evaluate_images(&evaluator, &set, &args.images)?;
    match args.output {
        OutputFormat::Json => writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&decisions)?
        )?,
        OutputFormat::Text => write_decisions(&decisions)?,
    }
    report_round_trips(evaluator.client(), &args.registry);
    Ok(status_of(&decisions))
}

/// Refused on its merits is 1; refused only because something could not be checked is 3.
fn status_of(decisions: &[ImageDecision]) -> ExitStatus {
    let refused = decisions.iter().filter(|d| !d.allowed);
    let mut status = ExitStatus::Success;
    for decision in refused {
        if decision.unverified() {
            status = ExitStatus::Unverified;
        } else {
            return ExitStatus::Rejected;
        }
    }
    status
}

fn write_decisions(decisions: &[ImageDecision]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    for decision in decisions {
        let digest = decision
            .digest
            .as_ref()
            .map(|d| format!("@{d}"))
            .unwrap_or_default();
        let verdict = if decision.allowed {
            "allowed"
        } else {
            "denied"
        };
        let passed: Vec<String> = decision
            .policies
            .iter()
            .filter(|p| p.passed)
            .map(|p| format!("{} ({})", p.policy, p.authority.as_deref().unwrap_or("-")))
            .collect();
        let by = if passed.is_empty() {
            String::new()
        } else {
            format!(": passed {}", passed.join(", "))
        };
        writeln!(stdout, "{}{digest} {verdict}{by}", decision.image)?;
        for finding in &decision.findings {
            let label = match finding.severity {
                Severity::Error => "denied",
                Severity::Warning => "warning",
            };
            writeln!(stderr, "  {label} [{}] {}", finding.code, finding.message)?;
        }
    }
    Ok(())
}
