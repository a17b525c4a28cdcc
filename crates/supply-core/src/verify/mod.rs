//! Verifying images: fetch what is attached, check every candidate, decide. Fails closed: a
//! registry or network failure is an `Err` (could not decide), never a pass; a rejection is a
//! report with a reason per layer.

pub mod check;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ErrorKind;
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Manifest, Reference, RegistryClient, RegistryError};
use crate::sign::MAX_SIGNATURE_LAYERS;
use check::{Rejection, SignatureLayer, check_signature_layer};

/// Largest signature payload we fetch (real ones are a few hundred bytes).
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// Verification could not be carried out.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The registry failed: nothing was decided.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl VerifyError {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
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

enum Fetch {
    Payload(Vec<u8>),
    Rejected(Rejection),
    Failed(RegistryError),
}

/// Verifies the cosign signatures of an image with a public key.
pub async fn verify_image_signatures(
    client: &RegistryClient,
    image: &Reference,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
) -> Result<SignatureReport, VerifyError> {
    let digest = client.resolve(image).await?;
    let sig_reference = api::attachment_reference(image, &digest, Attachment::Signature);
    let mut report = SignatureReport {
        image: image.to_string(),
        digest: digest.clone(),
        signature_reference: sig_reference.to_string(),
        verified: Vec::new(),
        rejected: Vec::new(),
    };
    let whole = |reason: String| RejectedSignature {
        layer: None,
        reason,
    };
    let raw = match client.manifest(&sig_reference).await {
        Ok(raw) => raw,
        Err(e) if e.is_not_found() => {
            report.rejected.push(whole(format!(
                "no signatures found ({sig_reference} does not exist)"
            )));
            return Ok(report);
        }
        Err(e) => return Err(e.into()),
    };
    let layers = match raw.decode() {
        Ok(Manifest::Image(manifest)) => manifest.layers,
        Ok(Manifest::Index(_)) => {
            report.rejected.push(whole(
                "the signature tag holds an index, not a signature image".into(),
            ));
            return Ok(report);
        }
        Err(e) => {
            report.rejected.push(whole(format!(
                "the signature tag holds no valid manifest: {e}"
            )));
            return Ok(report);
        }
    };
    if layers.len() > MAX_SIGNATURE_LAYERS {
        report.rejected.push(whole(format!(
            "the signature image has {} layers, over cosign's limit of {MAX_SIGNATURE_LAYERS}",
            layers.len()
        )));
        return Ok(report);
    }
    // Fetch every candidate payload concurrently; the checks themselves are cheap.
    let fetches = layers.iter().map(|layer| async {
        if layer.size > MAX_PAYLOAD_BYTES {
            return Fetch::Rejected(Rejection::TooLarge {
                size: layer.size,
                limit: MAX_PAYLOAD_BYTES,
            });
        }
        match client
            .blob_limited(&sig_reference, &layer.digest, MAX_PAYLOAD_BYTES)
            .await
        {
            Ok(bytes) => Fetch::Payload(bytes),
            Err(
                e @ (RegistryError::DigestMismatch { .. }
                | RegistryError::TooLarge { .. }
                | RegistryError::NotFound { .. }),
            ) => Fetch::Rejected(Rejection::Blob(e.to_string())),
            Err(e) => Fetch::Failed(e),
        }
    });
    let fetched = futures_util::future::join_all(fetches).await;
    for (layer, fetch) in layers.iter().zip(fetched) {
        let outcome = match fetch {
            // Could not decide for this layer: the whole verification fails closed.
            Fetch::Failed(e) => return Err(e.into()),
            Fetch::Rejected(rejection) => Err(rejection),
            Fetch::Payload(payload) => check_signature_layer(
                SignatureLayer {
                    media_type: &layer.media_type,
                    payload: &payload,
                    annotations: &layer.annotations,
                },
                key,
                &digest,
                required,
            ),
        };
        match outcome {
            Ok(payload) => report.verified.push(VerifiedSignature {
                layer: layer.digest.clone(),
                payload,
            }),
            Err(rejection) => {
                report.rejected.push(RejectedSignature {
                    layer: Some(layer.digest.clone()),
                    reason: rejection.to_string(),
                });
            }
        }
    }
    Ok(report)
}
