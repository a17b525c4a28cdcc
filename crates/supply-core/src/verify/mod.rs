//! Verifying images: fetch what is attached, check every candidate, decide. Fails closed: a
//! registry or network failure is an `Err` (could not decide), never a pass; a rejection is a
//! report with a reason per layer.

pub mod attestation;
pub mod check;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ErrorKind;
use crate::attach::FetchLimits;
use crate::attach::fetch::for_each_payload;
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Descriptor, Manifest, Reference, RegistryClient, RegistryError};
use crate::sign::MAX_SIGNATURE_LAYERS;
use check::{Rejection, SignatureLayer, check_signature_layer};

/// Largest signature payload we fetch (real ones are a few hundred bytes).
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// What verifying one image's signatures may fetch: 1000 layers of a few hundred bytes each are
/// far below the budget.
pub const SIGNATURE_LIMITS: FetchLimits = FetchLimits {
    max_payload: MAX_PAYLOAD_BYTES,
    budget: 64 * 1024 * 1024,
    concurrency: 8,
};

/// Verification could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The registry failed: nothing was decided.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The policy cannot be evaluated as asked.
    #[error(transparent)]
    Policy(#[from] crate::attest::policy::PolicyError),
}

impl VerifyError {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Policy(e) => e.kind(),
        }
    }
}

/// The outcome of verifying an image's signatures.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureReport {
    /// The image as given.
    pub image: String,
    /// The digest verified (the tag resolved once).
    pub digest: Digest,
    /// The `.sig` tag read.
    pub signature_reference: String,
    /// Payloads whose signature and claims checked out.
    pub verified: Vec<VerifiedSignature>,
    /// Why each other layer (or the whole tag) was rejected.
    pub rejected: Vec<RejectedSignature>,
}

impl SignatureReport {
    /// Accepted when at least one signature checked out.
    pub fn accepted(&self) -> bool {
        !self.verified.is_empty()
    }
}

/// A signature that checked out.
#[derive(Clone, Debug, Serialize)]
pub struct VerifiedSignature {
    /// The layer (payload) digest.
    pub layer: Digest,
    /// The signed payload.
    pub payload: serde_json::Value,
}

/// A signature (or the whole signature tag) that did not.
#[derive(Clone, Debug, Serialize)]
pub struct RejectedSignature {
    /// The layer digest, when the reason concerns one layer.
    pub layer: Option<Digest>,
    /// Why.
    pub reason: String,
}

/// An attached cosign image (`.sig` / `.att`): its layers, not yet fetched.
pub(crate) struct Attached {
    pub(crate) digest: Digest,
    pub(crate) reference: Reference,
    /// `Err` when the tag itself is unusable (missing, an index, too many layers).
    pub(crate) layers: Result<Vec<Descriptor>, String>,
}

/// Resolves the image once and reads its `kind` attachment's manifest. Registry failures are
/// `Err`: the caller could not decide and must fail closed.
pub(crate) async fn fetch_attached(
    client: &RegistryClient,
    image: &Reference,
    kind: Attachment,
) -> Result<Attached, VerifyError> {
    let digest = client.resolve(image).await?;
    let reference = api::attachment_reference(image, &digest, kind).map_err(RegistryError::from)?;
    let noun = match kind {
        Attachment::Signature => "signature",
        Attachment::Attestation => "attestation",
        Attachment::Sbom => "SBOM",
    };
    let done = |layers| {
        Ok(Attached {
            digest: digest.clone(),
            reference: reference.clone(),
            layers,
        })
    };
    let raw = match client.manifest(&reference).await {
        Ok(raw) => raw,
        Err(e) if e.is_not_found() => {
            return done(Err(format!(
                "no {noun}s found ({reference} does not exist)"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    let layers = match raw.decode() {
        Ok(Manifest::Image(manifest)) => manifest.layers,
        Ok(Manifest::Index(_)) => {
            return done(Err(format!(
                "the {noun} tag holds an index, not a cosign {noun} image"
            )));
        }
        Err(e) => return done(Err(format!("the {noun} tag holds no valid manifest: {e}"))),
    };
    if layers.len() > MAX_SIGNATURE_LAYERS {
        return done(Err(format!(
            "the {noun} image has {} layers, over cosign's limit of {MAX_SIGNATURE_LAYERS}",
            layers.len()
        )));
    }
    done(Ok(layers))
}

/// Verifies the cosign signatures of an image with a public key.
pub async fn verify_image_signatures(
    client: &RegistryClient,
    image: &Reference,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
) -> Result<SignatureReport, VerifyError> {
    let attached = fetch_attached(client, image, Attachment::Signature).await?;
    let mut report = SignatureReport {
        image: image.to_string(),
        digest: attached.digest.clone(),
        signature_reference: attached.reference.to_string(),
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    let layers = match attached.layers {
        Ok(layers) => layers,
        Err(reason) => {
            report.rejected.push(RejectedSignature {
                layer: None,
                reason,
            });
            return Ok(report);
        }
    };
    let outcomes = for_each_payload(
        client,
        &attached.reference,
        &layers,
        SIGNATURE_LIMITS,
        |indexes, payload| {
            indexes
                .iter()
                .filter_map(|&i| Some((i, layers.get(i)?)))
                .map(|(i, layer)| {
                    let outcome = payload
                        .clone()
                        .map_err(Rejection::Payload)
                        .and_then(|payload| {
                            check_signature_layer(
                                SignatureLayer {
                                    media_type: &layer.media_type,
                                    payload,
                                    annotations: &layer.annotations,
                                },
                                key,
                                &attached.digest,
                                required,
                            )
                        });
                    (i, outcome)
                })
                .collect()
        },
    )
    .await?;
    for (index, outcome) in outcomes {
        let Some(layer) = layers.get(index) else {
            continue;
        };
        match outcome {
            Ok(payload) => report.verified.push(VerifiedSignature {
                layer: layer.digest.clone(),
                payload,
            }),
            Err(rejection) => report.rejected.push(RejectedSignature {
                layer: Some(layer.digest.clone()),
                reason: rejection.to_string(),
            }),
        }
    }
    Ok(report)
}
