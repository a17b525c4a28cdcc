//! Verifying attestations: the envelope, every DSSE signature with the key, the statement's
//! subject against the image digest, the predicate type, then the policy. A layer is accepted
//! only when all hold; each failure is a typed [`Rejection`] with its code.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::finding::{Code, Finding, Verdict, VerdictKind, Verified, finding};
use super::{KeySource, VerifyError, decide, tag_finding};
use crate::attach::fetch::for_each_payload;
use crate::attach::{self, FetchLimits, Unusable};
use crate::attest::DSSE_MEDIA_TYPE;
use crate::attest::dsse::{DsseError, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::attest::intoto::{Statement, StatementError};
use crate::attest::policy::{CYCLONEDX_PREDICATE, Policy, SLSA_PROVENANCE_PREFIX, Violation};
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::Attachment;
use crate::oci::{Reference, RegistryClient};

/// Largest attestation envelope we fetch (SBOM attestations run to megabytes).
pub const MAX_ENVELOPE_BYTES: u64 = 32 * 1024 * 1024;

/// What verifying one image's attestations may fetch.
pub const ATTESTATION_LIMITS: FetchLimits = FetchLimits {
    max_payload: MAX_ENVELOPE_BYTES,
    budget: 256 * 1024 * 1024,
    concurrency: 8,
};

/// What an attestation must satisfy.
#[derive(Clone, Debug)]
pub struct AttestationOptions {
    /// Whose signatures count.
    pub key: KeySource,
    /// The predicate type asked for (a URI; see `attest::intoto::predicate_type`).
    pub predicate_type: String,
    /// The policy over the predicate.
    pub policy: Policy,
}

/// Why an attestation layer was not accepted.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The layer is not a DSSE envelope.
    #[error("layer media type is {found:?}, not {DSSE_MEDIA_TYPE}")]
    WrongMediaType {
        /// The media type found.
        found: String,
    },
    /// The payload could not be fetched or used.
    #[error(transparent)]
    Payload(#[from] Unusable),
    /// Not an envelope.
    #[error("{0}")]
    Envelope(String),
    /// The envelope carries something other than an in-toto statement.
    #[error("envelope payload type is {found:?}, not {IN_TOTO_PAYLOAD_TYPE}")]
    PayloadType {
        /// The type found.
        found: String,
    },
    /// No signature verifies with the key.
    #[error("{0}")]
    Signature(String),
    /// The payload is not a statement we read.
    #[error("{0}")]
    Statement(String),
    /// The statement is about something else.
    #[error("the statement is not about this image ({digest})")]
    OtherSubject {
        /// The image digest.
        digest: Digest,
    },
    /// Another predicate type.
    #[error("predicate type is {found}, not {expected}")]
    PredicateType {
        /// In the statement.
        found: String,
        /// Asked for.
        expected: String,
    },
    /// The policy is not met.
    #[error("policy: {}", .0.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("; "))]
    Policy(Vec<Violation>),
}

impl Rejection {
    /// The findings this rejection gives: one per policy violation, else one.
    pub fn findings(&self, subject: &str) -> Vec<Finding> {
        let code = match self {
            Self::WrongMediaType { .. } => Code::MediaTypeMismatch,
            Self::Payload(unusable) => unusable.code(),
            Self::Envelope(_) => Code::EnvelopeMalformed,
            Self::PayloadType { .. } => Code::PayloadTypeMismatch,
            Self::Signature(_) => Code::SignatureInvalid,
            Self::Statement(_) => Code::StatementMalformed,
            Self::OtherSubject { .. } => Code::SubjectMismatch,
            Self::PredicateType { .. } => Code::PredicateTypeMismatch,
            Self::Policy(violations) => {
                return violations
                    .iter()
                    .map(|v| finding(v.code, subject, format!("policy: {}", v.message)))
                    .collect();
            }
        };
        vec![finding(code, subject, self.to_string())]
    }
}

/// Checks one attestation layer; returns the verified statement or why it failed.
pub fn check_attestation(
    media_type: &str,
    envelope: &[u8],
    key: &VerifyingKey,
    digest: &Digest,
    predicate_type: &str,
    policy: &Policy,
) -> Result<Statement, Rejection> {
    if media_type != DSSE_MEDIA_TYPE {
        return Err(Rejection::WrongMediaType {
            found: media_type.to_owned(),
        });
    }
    let envelope = Envelope::from_json(envelope).map_err(|e| Rejection::Envelope(e.to_string()))?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Rejection::PayloadType {
            found: envelope.payload_type,
        });
    }
    let payload = envelope.verify(key).map_err(|e| match e {
        DsseError::Malformed(_) => Rejection::Envelope(e.to_string()),
        _ => Rejection::Signature(e.to_string()),
    })?;
    let statement = Statement::parse(&payload)
        .map_err(|e: StatementError| Rejection::Statement(e.to_string()))?;
    if !statement.has_subject(digest) {
        return Err(Rejection::OtherSubject {
            digest: digest.clone(),
        });
    }
    if statement.predicate_type != predicate_type {
        return Err(Rejection::PredicateType {
            found: statement.predicate_type,
            expected: predicate_type.to_owned(),
        });
    }
    let mut violations = Vec::new();
    if predicate_type.starts_with(SLSA_PROVENANCE_PREFIX) {
        violations = policy.provenance_violations(&statement.predicate);
    }
    if predicate_type == CYCLONEDX_PREDICATE && policy.sbom.require_valid {
        violations.extend(sbom_violation(&statement.predicate));
    }
    if violations.is_empty() {
        Ok(statement)
    } else {
        Err(Rejection::Policy(violations))
    }
}

fn sbom_violation(predicate: &Value) -> Option<Violation> {
    let document = serde_json::to_vec(predicate).unwrap_or_default();
    let message = match crate::sbom::validate(&document) {
        Ok(findings) => {
            let first = findings.first()?;
            format!(
                "the SBOM is not valid CycloneDX ({} problems, first: {} {})",
                findings.len(),
                first.path,
                first.message
            )
        }
        Err(e) => format!("the SBOM cannot be checked: {e}"),
    };
    Some(Violation {
        code: Code::PolicySbomInvalid,
        message,
    })
}

/// Verifies the image's attestations (the `sha256-<hex>.att` tag) of the predicate type asked
/// for, with the key and the policy. A policy section that cannot apply to that predicate type
/// is an error before anything is fetched.
pub async fn verify_attestations(
    client: &RegistryClient,
    image: &Reference,
    options: &AttestationOptions,
) -> Result<Verdict, VerifyError> {
    options.policy.check_applies_to(&options.predicate_type)?;
    let attached = attach::read(client, image, Attachment::Attestation).await?;
    let decide = |verified, findings| {
        decide(
            VerdictKind::Attestation,
            image,
            &attached,
            verified,
            findings,
        )
    };
    let layers = match &attached.layers {
        Ok(layers) => layers,
        Err(unusable) => return Ok(decide(Vec::new(), vec![tag_finding(&attached, unusable)])),
    };
    let key = options.key.key();
    let outcomes = for_each_payload(
        client,
        &attached.reference,
        layers,
        ATTESTATION_LIMITS,
        |indexes, envelope| {
            // Every descriptor naming this blob gets the verdict on it, computed once per media
            // type (the only layer field the check reads); a statement is reported once.
            let mut by_media_type: HashMap<&str, Result<(), Rejection>> = HashMap::new();
            let mut outcomes = Vec::with_capacity(indexes.len());
            for (index, layer) in indexes.iter().filter_map(|&i| Some((i, layers.get(i)?))) {
                let outcome = match by_media_type.get(layer.media_type.as_str()) {
                    Some(Ok(())) => Ok(None),
                    Some(Err(rejection)) => Err(rejection.clone()),
                    None => {
                        let checked =
                            envelope
                                .clone()
                                .map_err(Rejection::Payload)
                                .and_then(|envelope| {
                                    check_attestation(
                                        &layer.media_type,
                                        envelope,
                                        key,
                                        &attached.digest,
                                        &options.predicate_type,
                                        &options.policy,
                                    )
                                });
                        by_media_type.insert(
                            &layer.media_type,
                            checked.as_ref().map(|_| ()).map_err(Clone::clone),
                        );
                        checked.map(Some)
                    }
                };
                outcomes.push((index, outcome));
            }
            outcomes
        },
    )
    .await?;
    let mut verified = Vec::new();
    let mut findings = Vec::new();
    for (index, outcome) in outcomes {
        let Some(layer) = layers.get(index) else {
            continue;
        };
        match outcome {
            Ok(Some(statement)) => verified.push(Verified {
                layer: Some(layer.digest.clone()),
                signer: options.key.signer(),
                annotations: BTreeMap::new(),
                predicate_type: Some(statement.predicate_type.clone()),
                payload: serde_json::to_value(&statement).unwrap_or_default(),
            }),
            Ok(None) => {}
            Err(rejection) => findings.extend(rejection.findings(&layer.digest.to_string())),
        }
    }
    Ok(decide(verified, findings))
}
