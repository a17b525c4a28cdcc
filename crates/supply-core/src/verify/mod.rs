//! Verifying images: fetch what is attached, check every candidate, decide. Fails closed: a
//! registry or network failure is an `Err` (could not decide), never a pass; a rejection is a
//! report with a reason per layer.

pub mod attestation;
pub mod check;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ErrorKind;
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Descriptor, Manifest, Reference, RegistryClient, RegistryError};
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

/// One layer and its payload, or why the payload could not be used.
pub(crate) type FetchedLayer = (Descriptor, Result<Vec<u8>, Rejection>);

/// An attached cosign image (`.sig` / `.att`) with each layer's payload fetched or rejected.
pub(crate) struct Attached {
    pub(crate) digest: Digest,
    pub(crate) reference: Reference,
    /// `Err` when the tag itself is unusable (missing, an index, too many layers).
    pub(crate) layers: Result<Vec<FetchedLayer>, String>,
}

/// Resolves the image once and fetches its `kind` attachment, payloads concurrently and bounded.
/// Registry failures are `Err`: the caller could not decide and must fail closed.
pub(crate) async fn fetch_attached(
    client: &RegistryClient,
    image: &Reference,
    kind: Attachment,
    max_payload: u64,
) -> Result<Attached, VerifyError> {
    let digest = client.resolve(image).await?;
    let reference = api::attachment_reference(image, &digest, kind);
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
    let fetches = layers.iter().map(|layer| async {
        if layer.size > max_payload {
            return Ok(Err(Rejection::TooLarge {
                size: layer.size,
                limit: max_payload,
            }));
        }
        match client
            .blob_limited(&reference, &layer.digest, max_payload)
            .await
        {
            Ok(bytes) => Ok(Ok(bytes)),
            Err(
                e @ (RegistryError::DigestMismatch { .. }
                | RegistryError::TooLarge { .. }
                | RegistryError::NotFound { .. }),
            ) => Ok(Err(Rejection::Blob(e.to_string()))),
            Err(e) => Err(e),
        }
    });
    let mut fetched = Vec::with_capacity(layers.len());
    for (layer, outcome) in layers
        .iter()
        .zip(futures_util::future::join_all(fetches).await)
    {
        // One layer that could not be fetched for a network reason: nothing is decided.
        fetched.push((layer.clone(), outcome?));
    }
    done(Ok(fetched))
}

/// Verifies the cosign signatures of an image with a public key.
pub async fn verify_image_signatures(
    client: &RegistryClient,
    image: &Reference,
    key: &VerifyingKey,
    required: &BTreeMap<String, String>,
) -> Result<SignatureReport, VerifyError> {
    let attached = fetch_attached(client, image, Attachment::Signature, MAX_PAYLOAD_BYTES).await?;
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
    for (layer, payload) in layers {
        let outcome = payload.and_then(|payload| {
            check_signature_layer(
                SignatureLayer {
                    media_type: &layer.media_type,
                    payload: &payload,
                    annotations: &layer.annotations,
                },
                key,
                &attached.digest,
                required,
            )
        });
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
