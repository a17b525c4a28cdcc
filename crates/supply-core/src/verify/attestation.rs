//! Verifying attestations: every DSSE signature with the key, the statement's subject against
//! the image digest, the predicate type, then the policy. A layer is accepted only when all hold.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::Value;

use super::{Attached, VerifyError, fetch_attached};
use crate::attach::FetchLimits;
use crate::attach::fetch::for_each_payload;
use crate::attest::DSSE_MEDIA_TYPE;
use crate::attest::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::attest::intoto::Statement;
use crate::attest::policy::{CYCLONEDX_PREDICATE, Policy, SLSA_PROVENANCE_PREFIX};
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

/// The outcome of verifying an image's attestations.
#[derive(Clone, Debug, Serialize)]
pub struct AttestationReport {
    /// The image as given.
    pub image: String,
    /// The digest checked.
    pub digest: Digest,
    /// The `.att` tag read.
    pub attestation_reference: String,
    /// Statements that passed every check.
    pub verified: Vec<Value>,
    /// Why each other layer (or the tag) was rejected.
    pub rejected: Vec<super::RejectedSignature>,
}

impl AttestationReport {
    /// Accepted when at least one attestation passed.
    pub fn accepted(&self) -> bool {
        !self.verified.is_empty()
    }
}

/// Checks one attestation layer; returns the verified statement or the reason it failed.
pub fn check_attestation(
    media_type: &str,
    envelope: &[u8],
    key: &VerifyingKey,
    digest: &Digest,
    predicate_type: &str,
    policy: &Policy,
) -> Result<Statement, String> {
    if media_type != DSSE_MEDIA_TYPE {
        return Err(format!(
            "layer media type is {media_type:?}, not {DSSE_MEDIA_TYPE}"
        ));
    }
    let envelope = Envelope::from_json(envelope).map_err(|e| e.to_string())?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(format!(
            "envelope payload type is {:?}, not {IN_TOTO_PAYLOAD_TYPE}",
            envelope.payload_type
        ));
    }
    let payload = envelope.verify(key).map_err(|e| e.to_string())?;
    let statement = Statement::parse(&payload).map_err(|e| e.to_string())?;
    if !statement.has_subject(digest) {
        return Err(format!("the statement is not about this image ({digest})"));
    }
    if statement.predicate_type != predicate_type {
        return Err(format!(
            "predicate type is {}, not {predicate_type}",
            statement.predicate_type
        ));
    }
    let mut violations = Vec::new();
    if predicate_type.starts_with(SLSA_PROVENANCE_PREFIX) {
        violations = policy.provenance_violations(&statement.predicate);
    }
    if predicate_type == CYCLONEDX_PREDICATE && policy.sbom.require_valid {
        let document = serde_json::to_vec(&statement.predicate).unwrap_or_default();
        match crate::sbom::validate(&document) {
            Ok(findings) if findings.is_empty() => {}
            Ok(findings) => violations.push(format!(
                "the SBOM is not valid CycloneDX ({} problems, first: {} {})",
                findings.len(),
                findings[0].path,
                findings[0].message
            )),
            Err(e) => violations.push(format!("the SBOM cannot be checked: {e}")),
        }
    }
    if violations.is_empty() {
        Ok(statement)
    } else {
        Err(format!("policy: {}", violations.join("; ")))
    }
}

/// Verifies the image's attestations of `predicate_type` with a key and a policy.
pub async fn verify_image_attestations(
    client: &RegistryClient,
    image: &Reference,
    key: &VerifyingKey,
    predicate_type: &str,
    policy: &Policy,
) -> Result<AttestationReport, VerifyError> {
    policy.check_applies_to(predicate_type)?;
    let Attached {
        digest,
        reference,
        layers,
    } = fetch_attached(client, image, Attachment::Attestation).await?;
    let mut report = AttestationReport {
        image: image.to_string(),
        digest: digest.clone(),
        attestation_reference: reference.to_string(),
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    let layers = match layers {
        Ok(layers) => layers,
        Err(reason) => {
            report.rejected.push(super::RejectedSignature {
                layer: None,
                reason,
            });
            return Ok(report);
        }
    };
    let outcomes = for_each_payload(
        client,
        &reference,
        &layers,
        ATTESTATION_LIMITS,
        |indexes, envelope| {
            // Every descriptor naming this blob gets the verdict on it, computed once per media
            // type (the only layer field the check reads); a statement is reported once.
            let mut by_media_type: HashMap<&str, Result<(), String>> = HashMap::new();
            let mut outcomes = Vec::with_capacity(indexes.len());
            for (index, layer) in indexes.iter().filter_map(|&i| Some((i, layers.get(i)?))) {
                let outcome = match by_media_type.get(layer.media_type.as_str()) {
                    Some(Ok(())) => Ok(None),
                    Some(Err(reason)) => Err(reason.clone()),
                    None => {
                        let checked = envelope
                            .clone()
                            .map_err(|unusable| unusable.to_string())
                            .and_then(|envelope| {
                                check_attestation(
                                    &layer.media_type,
                                    envelope,
                                    key,
                                    &digest,
                                    predicate_type,
                                    policy,
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
    for (index, outcome) in outcomes {
        match outcome {
            Ok(Some(statement)) => report
                .verified
                .push(serde_json::to_value(&statement).unwrap_or_default()),
            Ok(None) => {}
            Err(reason) => report.rejected.push(super::RejectedSignature {
                layer: layers.get(index).map(|l| l.digest.clone()),
                reason,
            }),
        }
    }
    Ok(report)
}
