//! Verifying attestations: the envelope, every DSSE signature with the key, the statement's
//! subject against the image digest, the predicate type, then the policy. A layer is accepted
//! only when all hold; each failure is a typed [`Rejection`] with its code.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::finding::{Code, Finding, Signer, Verdict, VerdictKind, Verified, finding};
use super::{KeySource, VerifyError, bundles, tag_finding};
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
use crate::sigstore::TrustedRoot;
use crate::sigstore::bundle::Content;
use crate::sigstore::verify::Artifact;

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
    /// The Sigstore trusted root (required for keyless identities).
    pub trusted_root: Option<Arc<TrustedRoot>>,
    /// The predicate type asked for (a URI; see `attest::intoto::predicate_type`).
    pub predicate_type: String,
    /// The policy over the predicate.
    pub policy: Policy,
    /// Which formats are read.
    pub formats: super::Formats,
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
    /// The keyless checks (certificate, log, timestamps, identity) refused it.
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join("; "))]
    Keyless(Vec<(Code, String)>),
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
            Self::Keyless(reasons) => {
                return reasons
                    .iter()
                    .map(|(code, message)| finding(*code, subject, message.clone()))
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
    check_policy(&statement, predicate_type, policy)?;
    Ok(statement)
}

/// The policy over a verified statement of `predicate_type`.
pub fn check_policy(
    statement: &Statement,
    predicate_type: &str,
    policy: &Policy,
) -> Result<(), Rejection> {
    let mut violations = Vec::new();
    if predicate_type.starts_with(SLSA_PROVENANCE_PREFIX) {
        violations = policy.provenance_violations(&statement.predicate);
    }
    if predicate_type == CYCLONEDX_PREDICATE && policy.sbom.require_valid {
        violations.extend(sbom_violation(&statement.predicate));
    }
    if violations.is_empty() {
        Ok(())
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

/// Verifies the image's attestations of the predicate type asked for, with the key (or the
/// keyless identity) and the policy: bundles attached as referrers first (cosign v3), then the
/// `sha256-<hex>.att` tag. A policy section that cannot apply to that predicate type is an
/// error before anything is fetched.
pub async fn verify_attestations(
    client: &RegistryClient,
    image: &Reference,
    options: &AttestationOptions,
) -> Result<Verdict, VerifyError> {
    options.policy.check_applies_to(&options.predicate_type)?;
    let root = super::root_for(&options.key, options.trusted_root.as_ref())?;
    let digest = client.resolve(image).await?;
    let pinned = image.with_digest(digest.clone());
    let wanted = bundles::Wanted {
        key: &options.key,
        root: &root,
        predicate_type: &options.predicate_type,
        limits: ATTESTATION_LIMITS,
    };
    let (mut verified, mut findings) = if options.formats.bundles() {
        bundles::referrer_bundles(client, &pinned, &digest, &wanted, |statement| {
            check_policy(statement, &options.predicate_type, &options.policy)
                .map_err(|rejection| rejection.findings("bundle"))
        })
        .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let found_bundles = !verified.is_empty() || !findings.is_empty();
    if verified.is_empty() && !options.formats.legacy() && !found_bundles {
        findings.push(finding(
            Code::NoAttestations,
            pinned.to_string(),
            "no Sigstore bundle is attached as a referrer (the policy reads bundles only)",
        ));
    }
    if verified.is_empty() && options.formats.legacy() {
        let (legacy, reasons) =
            legacy_attestations(client, &pinned, &digest, options, &root, found_bundles).await?;
        verified.extend(legacy);
        findings.extend(reasons);
    }
    Ok(Verdict::decide(
        VerdictKind::Attestation,
        image.to_string(),
        Some(digest),
        verified,
        findings,
    ))
}

/// The `.att` tag's layers: with a key, checked with it; keyless, each layer's certificate
/// annotations verified as a bundle over its envelope. A blob named by many descriptors is
/// checked once per (media type, annotations), the fields the check reads.
async fn legacy_attestations(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    options: &AttestationOptions,
    root: &TrustedRoot,
    found_bundles: bool,
) -> Result<(Vec<Verified>, Vec<Finding>), VerifyError> {
    let attached = attach::read(client, image, Attachment::Attestation).await?;
    let layers = match &attached.layers {
        Ok(layers) => layers,
        Err((Code::NoAttestations, _)) if found_bundles => return Ok((Vec::new(), Vec::new())),
        Err(unusable) => return Ok((Vec::new(), vec![tag_finding(&attached, unusable)])),
    };
    let outcomes = for_each_payload(
        client,
        &attached.reference,
        layers,
        ATTESTATION_LIMITS,
        |indexes, envelope| {
            type Memo<'a> = HashMap<(&'a str, &'a BTreeMap<String, String>), Result<(), Rejection>>;
            let mut memo: Memo<'_> = HashMap::new();
            let mut outcomes = Vec::with_capacity(indexes.len());
            for (index, layer) in indexes.iter().filter_map(|&i| Some((i, layers.get(i)?))) {
                let key = (layer.media_type.as_str(), &layer.annotations);
                let outcome = match memo.get(&key) {
                    Some(Ok(())) => Ok(None),
                    Some(Err(rejection)) => Err(rejection.clone()),
                    None => {
                        let checked =
                            envelope
                                .clone()
                                .map_err(Rejection::Payload)
                                .and_then(|envelope| {
                                    check_attached_attestation(
                                        layer, envelope, digest, options, root,
                                    )
                                });
                        memo.insert(key, checked.as_ref().map(|_| ()).map_err(Clone::clone));
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
            Ok(Some(entry)) => verified.push(entry),
            Ok(None) => {}
            Err(rejection) => findings.extend(rejection.findings(&layer.digest.to_string())),
        }
    }
    Ok((verified, findings))
}

/// One `.att` layer, with the key or keyless.
pub fn check_attached_attestation(
    layer: &crate::oci::Descriptor,
    envelope: &[u8],
    digest: &Digest,
    options: &AttestationOptions,
    root: &TrustedRoot,
) -> Result<Verified, Rejection> {
    match &options.key {
        KeySource::Key(key) => {
            let statement = check_attestation(
                &layer.media_type,
                envelope,
                key,
                digest,
                &options.predicate_type,
                &options.policy,
            )?;
            Ok(Verified {
                layer: Some(layer.digest.clone()),
                signer: Signer::Key {
                    key_id: key.key_id(),
                },
                annotations: BTreeMap::new(),
                predicate_type: Some(statement.predicate_type.clone()),
                payload: serde_json::to_value(&statement).unwrap_or_default(),
            })
        }
        KeySource::Identity(_) | KeySource::AnyIdentity(_) => {
            if layer.media_type != DSSE_MEDIA_TYPE {
                return Err(Rejection::WrongMediaType {
                    found: layer.media_type.clone(),
                });
            }
            let parsed =
                Envelope::from_json(envelope).map_err(|e| Rejection::Envelope(e.to_string()))?;
            let payload = parsed
                .payload_bytes()
                .map_err(|e| Rejection::Envelope(e.to_string()))?;
            let signatures = parsed
                .signatures
                .iter()
                .map(|s| Ok((s.keyid.clone(), crate::sigstore::encoding::base64(&s.sig)?)))
                .collect::<Result<Vec<_>, crate::sigstore::encoding::EncodingError>>()
                .map_err(|_| Rejection::Envelope("a signature is not base64".into()))?;
            let content = Content::Dsse {
                payload_type: parsed.payload_type.clone(),
                payload,
                signatures,
            };
            let digest_bytes = digest.to_bytes();
            let outcome = bundles::legacy_keyless(
                &layer.annotations,
                content,
                Artifact::Sha256(&digest_bytes),
                &options.key,
                root,
            )
            .map_err(|reasons| {
                Rejection::Keyless(reasons.into_iter().map(|f| (f.code, f.message)).collect())
            })?;
            let statement = outcome
                .statement
                .clone()
                .ok_or(Rejection::Statement("no statement".into()))?;
            if statement.predicate_type != options.predicate_type {
                return Err(Rejection::PredicateType {
                    found: statement.predicate_type,
                    expected: options.predicate_type.clone(),
                });
            }
            check_policy(&statement, &options.predicate_type, &options.policy)?;
            Ok(bundles::verified_part(Some(layer.digest.clone()), outcome))
        }
    }
}
