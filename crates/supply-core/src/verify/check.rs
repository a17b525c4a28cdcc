//! The checks on one signature layer, pure: media type, signature over the exact payload
//! bytes, payload type, the signed digest, the required annotations. In that order, as
//! cosign does; the first failure is the reason.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::finding::Code;
use crate::attach::Unusable;
use crate::digest::Digest;
use crate::keys::{KeyError, VerifyingKey};
use crate::sign::payload::{SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, SIMPLE_SIGNING_TYPE};

/// Why a signature layer was not accepted.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The layer is not a simple-signing payload.
    #[error("layer media type is {found:?}, not {SIMPLE_SIGNING_MEDIA_TYPE}")]
    WrongMediaType {
        /// The media type found.
        found: String,
    },
    /// No `dev.cosignproject.cosign/signature` annotation, or an empty one.
    #[error("the layer has no signature annotation")]
    MissingSignature,
    /// The annotation is not base64.
    #[error("the signature annotation is not base64")]
    MalformedSignature,
    /// The signature does not verify.
    #[error("{0}")]
    BadSignature(String),
    /// The payload is not simple-signing JSON.
    #[error("the payload is not a simple-signing JSON document")]
    PayloadNotJson,
    /// `critical.type` is not cosign's.
    #[error("payload type is {found:?}, not {SIMPLE_SIGNING_TYPE:?}")]
    WrongPayloadType {
        /// The type found.
        found: String,
    },
    /// The payload signs another image.
    #[error("the payload signs {found}, not this image ({expected})")]
    OtherDigest {
        /// The digest in the payload.
        found: String,
        /// The image's digest.
        expected: String,
    },
    /// A required annotation is missing from `optional`.
    #[error("annotation {key:?} is required but not signed")]
    AnnotationMissing {
        /// The key.
        key: String,
    },
    /// A required annotation has another value.
    #[error("annotation {key:?} is {found:?}, required {expected:?}")]
    AnnotationDiffers {
        /// The key.
        key: String,
        /// Required value.
        expected: String,
        /// Signed value.
        found: String,
    },
    /// The payload was not fetched, or what was fetched is unusable.
    #[error(transparent)]
    Payload(#[from] Unusable),
}

impl Rejection {
    /// The finding's code.
    pub fn code(&self) -> Code {
        match self {
            Self::WrongMediaType { .. } => Code::MediaTypeMismatch,
            Self::MissingSignature => Code::SignatureMissing,
            Self::MalformedSignature => Code::SignatureMalformed,
            Self::BadSignature(_) => Code::SignatureInvalid,
            Self::PayloadNotJson => Code::PayloadMalformed,
            Self::WrongPayloadType { .. } => Code::PayloadTypeMismatch,
            Self::OtherDigest { .. } => Code::DigestMismatch,
            Self::AnnotationMissing { .. } => Code::AnnotationMissing,
            Self::AnnotationDiffers { .. } => Code::AnnotationMismatch,
            Self::Payload(unusable) => unusable.code(),
        }
    }
}

/// One layer of a `.sig` image, with its fetched payload.
#[derive(Clone, Copy, Debug)]
pub struct SignatureLayer<'a> {
    /// Layer media type.
    pub media_type: &'a str,
    /// The payload bytes (digest already checked).
    pub payload: &'a [u8],
    /// Layer annotations.
    pub annotations: &'a BTreeMap<String, String>,
}

/// Checks one layer; on success returns the parsed payload.
pub fn check_signature_layer(
    layer: SignatureLayer<'_>,
    key: &VerifyingKey,
    image_digest: &Digest,
    required: &BTreeMap<String, String>,
) -> Result<Value, Rejection> {
    if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
        return Err(Rejection::WrongMediaType {
            found: layer.media_type.to_owned(),
        });
    }
    let encoded = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingSignature)?;
    let signature = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| Rejection::MalformedSignature)?;
    key.verify(layer.payload, &signature)
        .map_err(|e: KeyError| Rejection::BadSignature(e.to_string()))?;
    let payload: Value =
        serde_json::from_slice(layer.payload).map_err(|_| Rejection::PayloadNotJson)?;
    let critical = payload.get("critical").ok_or(Rejection::PayloadNotJson)?;
    let kind = critical
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != SIMPLE_SIGNING_TYPE {
        return Err(Rejection::WrongPayloadType {
            found: kind.to_owned(),
        });
    }
    let signed = critical
        .pointer("/image/docker-manifest-digest")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let same = signed.parse::<Digest>().is_ok_and(|d| d == *image_digest);
    if !same {
        return Err(Rejection::OtherDigest {
            found: signed.to_owned(),
            expected: image_digest.to_string(),
        });
    }
    for (key, expected) in required {
        match payload.get("optional").and_then(|o| o.get(key)) {
            None => return Err(Rejection::AnnotationMissing { key: key.clone() }),
            Some(found) if found.as_str() != Some(expected.as_str()) => {
                return Err(Rejection::AnnotationDiffers {
                    key: key.clone(),
                    expected: expected.clone(),
                    found: found
                        .as_str()
                        .map_or_else(|| found.to_string(), str::to_owned),
                });
            }
            Some(_) => {}
        }
    }
    Ok(payload)
}
