//! Deciding one image against a [`PolicySet`]: the policies whose globs match must all pass,
//! any one authority of a policy suffices. Verdicts are cached by (image digest, policy hash)
//! and tag resolutions briefly; concurrent identical work is done once (see [`super::cache`]).
//! A verification that could not be carried out is never a pass: the image is denied (or, in
//! `warn` mode, admitted with a warning) and the failure is not cached.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::cache::{Abandoned, Lookup, SingleFlight};
use super::policy::{Authority, Check, ImagePolicy, Mode, NoMatch, PolicySet};
use crate::digest::Digest;
use crate::error::Classify;
use crate::oci::{Reference, RegistryClient};
use crate::verify::attestation::{AttestationOptions, verify_attestations};
use crate::verify::finding::finding;
use crate::verify::{Code, Finding, Severity, Signer, VerifyOptions, verify_image};

/// How long results are kept, and how many.
#[derive(Clone, Copy, Debug)]
pub struct CacheConfig {
    /// Verdicts kept at most.
    pub capacity: usize,
    /// How long a pass is kept.
    pub positive_ttl: Duration,
    /// How long a definitive failure is kept (shorter: a signature may be added).
    pub negative_ttl: Duration,
    /// How long a tag's digest is kept.
    pub resolve_ttl: Duration,
    /// The longest one verification may run (past it, it fails and is not cached), so work
    /// stuck on a stalled registry cannot hold back the reviews that would join it.
    pub work_timeout: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            capacity: 10_000,
            positive_ttl: Duration::from_secs(600),
            negative_ttl: Duration::from_secs(30),
            resolve_ttl: Duration::from_secs(10),
            work_timeout: Duration::from_secs(60),
        }
    }
}

/// What one policy decided about one image digest.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyOutcome {
    /// The policy's name.
    pub policy: String,
    /// Its mode.
    pub mode: Mode,
    /// Whether an authority passed.
    pub passed: bool,
    /// The authority that passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// Who signed what that authority verified.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub signers: Vec<Signer>,
    /// Why the authorities that did not pass failed (`subject` starts with the authority).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// Whether the answer came from the cache.
    #[serde(skip)]
    pub cached: bool,
}

/// The decision on one image.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageDecision {
    /// The image as written.
    pub image: String,
    /// The digest decided on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Whether it is admitted.
    pub allowed: bool,
    /// The matching policies' outcomes.
    pub policies: Vec<PolicyOutcome>,
    /// Why it is refused (errors) or admitted with reservations (warnings), with stable codes.
    pub findings: Vec<Finding>,
}

impl ImageDecision {
    /// An admitted image with nothing to report (what an image no check applies to gets).
    pub fn allowed(image: &str) -> Self {
        Self::new(image)
    }

    fn new(image: &str) -> Self {
        Self {
            image: image.to_owned(),
            digest: None,
            allowed: true,
            policies: Vec::new(),
            findings: Vec::new(),
        }
    }

    fn flag(&mut self, severity: Severity, code: Code, subject: &str, message: String) {
        if severity == Severity::Error {
            self.allowed = false;
        }
        let mut found = finding(code, subject, message);
        found.severity = severity;
        self.findings.push(found);
    }

    /// The warnings, one line each (for admission `warnings`).
    pub fn warnings(&self) -> impl Iterator<Item = String> + '_ {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Warning)
            .map(|f| format!("{}: {} [{}]", self.image, f.message, f.code))
    }

    /// Whether the decision rests on a failure to verify (nothing was decided).
    pub fn unverified(&self) -> bool {
        self.findings
            .iter()
            .any(|f| matches!(f.code, Code::VerificationError | Code::DeadlineExceeded))
    }
}

/// Could not decide: why, shared with every caller waiting on the same work.
#[derive(Clone, Debug)]
pub struct Unverified {
    /// Whether retrying may help (network, timeout, credentials).
    pub unreachable: bool,
    /// What failed.
    pub message: String,
}

impl From<Abandoned> for Unverified {
    fn from(abandoned: Abandoned) -> Self {
        Self {
            unreachable: false,
            message: abandoned.to_string(),
        }
    }
}

fn unverified(error: &(impl Classify + std::fmt::Display)) -> Unverified {
    Unverified {
        unreachable: error.kind().is_unreachable(),
        message: error.to_string(),
    }
}

/// Decides images against policies, with caches. Cheap to share (`Arc`).
pub struct Evaluator {
    client: RegistryClient,
    config: CacheConfig,
    verdicts: SingleFlight<(Digest, Digest), PolicyOutcome, Unverified>,
    resolutions: SingleFlight<Reference, Digest, Unverified>,
}

impl Evaluator {
    /// An evaluator using `client` for every registry.
    pub fn new(client: RegistryClient, config: CacheConfig) -> Self {
        Self {
            client,
            config,
            verdicts: SingleFlight::new(config.capacity),
            resolutions: SingleFlight::new(config.capacity),
        }
    }

    /// The registry client (for its counters).
    pub fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The verdict cache's counters.
    pub fn verdict_stats(&self) -> &super::cache::CacheStats {
        &self.verdicts.stats
    }

    /// The resolution cache's counters.
    pub fn resolution_stats(&self) -> &super::cache::CacheStats {
        &self.resolutions.stats
    }

    /// Decides one image (as written in a pod spec or on the command line).
    pub async fn evaluate(self: &Arc<Self>, set: &PolicySet, written: &str) -> ImageDecision {
        let mut decision = ImageDecision::new(written);
        let image: Reference = match written.parse() {
            Ok(image) => image,
            Err(error) => {
                decision.flag(
                    Severity::Error,
                    Code::ImageReferenceInvalid,
                    written,
                    format!("{error}"),
                );
                return decision;
            }
        };
        let matching: Vec<&ImagePolicy> = set.matching(&image, written).collect();
        if matching.is_empty() {
            match set.no_match {
                NoMatch::Allow => {}
                NoMatch::Deny | NoMatch::Warn => {
                    let severity = if set.no_match == NoMatch::Deny {
                        Severity::Error
                    } else {
                        Severity::Warning
                    };
                    decision.flag(
                        severity,
                        Code::PolicyNoMatch,
                        written,
                        "no ClusterImagePolicy matches the image".into(),
                    );
                }
            }
            return decision;
        }
        let needs_digest = matching.iter().any(|policy| {
            policy
                .authorities
                .iter()
                .any(|a| matches!(a.check, Check::Signed { .. }))
        });
        let digest = if needs_digest {
            match self.resolve(&image).await {
                Ok(digest) => Some(digest),
                Err(failure) => {
                    for policy in &matching {
                        flag_unverified(&mut decision, policy, &failure.message);
                    }
                    return decision;
                }
            }
        } else {
            None
        };
        decision.digest.clone_from(&digest);
        let pinned = digest.clone().map(|d| image.with_digest(d));
        let outcomes = futures_util::future::join_all(
            matching
                .iter()
                .map(|policy| self.policy_outcome(policy, pinned.clone(), digest.clone())),
        )
        .await;
        for (policy, outcome) in matching.iter().zip(outcomes) {
            match outcome {
                Ok(outcome) => {
                    if !outcome.passed {
                        let severity = severity_of(policy.mode);
                        let why = outcome
                            .findings
                            .iter()
                            .map(|f| format!("{} [{}]", f.message, f.code))
                            .collect::<Vec<_>>()
                            .join("; ");
                        let mut summary = finding(
                            outcome
                                .findings
                                .first()
                                .map_or(Code::NoSignatures, |f| f.code),
                            &policy.name,
                            format!("failed policy {}: {why}", policy.name),
                        );
                        summary.severity = severity;
                        if severity == Severity::Error {
                            decision.allowed = false;
                        }
                        decision.findings.push(summary);
                    }
                    decision.policies.push(outcome);
                }
                Err(failure) => flag_unverified(&mut decision, policy, &failure.message),
            }
        }
        decision
    }

    /// Decides one image by `deadline`: past it, a denial saying so (the work goes on and
    /// fills the cache for the next try).
    pub async fn evaluate_by(
        self: &Arc<Self>,
        set: &PolicySet,
        written: &str,
        deadline: tokio::time::Instant,
    ) -> ImageDecision {
        match tokio::time::timeout_at(deadline, self.evaluate(set, written)).await {
            Ok(decision) => decision,
            Err(_) => {
                let mut decision = ImageDecision::new(written);
                let image = written.parse::<Reference>().ok();
                let matching: Vec<&ImagePolicy> = image
                    .as_ref()
                    .map(|image| set.matching(image, written).collect())
                    .unwrap_or_default();
                let all_warn =
                    !matching.is_empty() && matching.iter().all(|p| p.mode == Mode::Warn);
                let severity = if all_warn {
                    Severity::Warning
                } else {
                    Severity::Error
                };
                decision.flag(
                    severity,
                    Code::DeadlineExceeded,
                    written,
                    "verification did not finish before the admission deadline (it goes on; retry shortly)".into(),
                );
                decision
            }
        }
    }

    async fn resolve(self: &Arc<Self>, image: &Reference) -> Result<Digest, Unverified> {
        if let Some(digest) = image.digest() {
            return Ok(digest.clone());
        }
        let this = self.clone();
        let target = image.clone();
        let ttl = self.config.resolve_ttl;
        let work = async move {
            this.client
                .resolve(&target)
                .await
                .map_err(|e| unverified(&e))
        };
        self.resolutions
            .get(image.clone(), work, move |_| ttl)
            .await
            .0
    }

    async fn policy_outcome(
        self: &Arc<Self>,
        policy: &ImagePolicy,
        pinned: Option<Reference>,
        digest: Option<Digest>,
    ) -> Result<PolicyOutcome, Unverified> {
        let Some(digest) = digest else {
            // Static authorities only: nothing to fetch, nothing worth caching.
            return evaluate_policy(self.clone(), policy.clone(), None).await;
        };
        let this = self.clone();
        let owned = policy.clone();
        let config = self.config;
        let work = bounded(config.work_timeout, evaluate_policy(this, owned, pinned));
        let ttl = move |outcome: &PolicyOutcome| {
            if outcome.passed {
                config.positive_ttl
            } else {
                config.negative_ttl
            }
        };
        let (outcome, lookup) = self
            .verdicts
            .get((digest, policy.hash.clone()), work, ttl)
            .await;
        outcome.map(|mut outcome| {
            outcome.cached = lookup != Lookup::Miss;
            outcome
        })
    }
}

/// `work`, failing (as unreachable) when it runs past `limit`.
async fn bounded<T>(
    limit: Duration,
    work: impl std::future::Future<Output = Result<T, Unverified>>,
) -> Result<T, Unverified> {
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(Unverified {
            unreachable: true,
            message: format!("the registry did not answer within {} s", limit.as_secs()),
        })
    })
}

fn severity_of(mode: Mode) -> Severity {
    match mode {
        Mode::Enforce => Severity::Error,
        Mode::Warn => Severity::Warning,
    }
}

fn flag_unverified(decision: &mut ImageDecision, policy: &ImagePolicy, message: &str) {
    decision.flag(
        severity_of(policy.mode),
        Code::VerificationError,
        &policy.name,
        format!(
            "policy {} could not be evaluated, so the image is not admitted on it: {message}",
            policy.name
        ),
    );
}

/// One policy against one pinned image: the authorities in order, the first that passes wins.
async fn evaluate_policy(
    evaluator: Arc<Evaluator>,
    policy: ImagePolicy,
    pinned: Option<Reference>,
) -> Result<PolicyOutcome, Unverified> {
    let mut outcome = PolicyOutcome {
        policy: policy.name.clone(),
        mode: policy.mode,
        passed: false,
        authority: None,
        signers: Vec::new(),
        findings: Vec::new(),
        cached: false,
    };
    let mut failure = None;
    for authority in &policy.authorities {
        match check_authority(&evaluator.client, authority, pinned.as_ref()).await {
            Ok(Ok(signers)) => {
                outcome.passed = true;
                outcome.authority = Some(authority.name.clone());
                outcome.signers = signers;
                outcome.findings.clear();
                return Ok(outcome);
            }
            Ok(Err(findings)) => outcome.findings.extend(findings.into_iter().map(|mut f| {
                f.subject = format!("{}: {}", authority.name, f.subject);
                f
            })),
            Err(error) => failure = Some(error),
        }
    }
    // A definitive failure of every authority is an answer; one we could not check is not.
    match failure {
        Some(error) => Err(error),
        None => Ok(outcome),
    }
}

type AuthorityResult = Result<Result<Vec<Signer>, Vec<Finding>>, Unverified>;

async fn check_authority(
    client: &RegistryClient,
    authority: &Authority,
    pinned: Option<&Reference>,
) -> AuthorityResult {
    let (key, trusted_root, formats, attestations) = match &authority.check {
        Check::Static { pass: true, .. } => return Ok(Ok(Vec::new())),
        Check::Static {
            pass: false,
            message,
        } => {
            let message = message
                .clone()
                .unwrap_or_else(|| "static authority fails".into());
            return Ok(Err(vec![finding(
                Code::PolicyStaticFail,
                "static",
                message,
            )]));
        }
        Check::Signed {
            key,
            trusted_root,
            formats,
            attestations,
        } => (key, trusted_root, *formats, attestations),
    };
    let Some(image) = pinned else {
        return Err(Unverified {
            unreachable: false,
            message: "no digest to verify".into(),
        });
    };
    if attestations.is_empty() {
        let options = VerifyOptions {
            key: key.clone(),
            annotations: Default::default(),
            trusted_root: trusted_root.clone(),
            formats,
        };
        let verdict = verify_image(client, image, &options)
            .await
            .map_err(|e| unverified(&e))?;
        return Ok(if verdict.accepted {
            Ok(verdict.verified.into_iter().map(|v| v.signer).collect())
        } else {
            Err(verdict.findings)
        });
    }
    let mut signers = Vec::new();
    for rule in attestations {
        let options = AttestationOptions {
            key: key.clone(),
            trusted_root: trusted_root.clone(),
            predicate_type: rule.predicate_type.clone(),
            policy: rule.conditions.clone(),
            formats,
        };
        let verdict = verify_attestations(client, image, &options)
            .await
            .map_err(|e| unverified(&e))?;
        if !verdict.accepted {
            return Ok(Err(verdict
                .findings
                .into_iter()
                .map(|mut f| {
                    f.subject = format!("attestation {}: {}", rule.name, f.subject);
                    f
                })
                .collect()));
        }
        signers.extend(verdict.verified.into_iter().map(|v| v.signer));
    }
    Ok(Ok(signers))
}
