//! DSSE envelopes (secure-systems-lab/dsse v1): the signature covers the pre-authentication
//! encoding `DSSEv1 <len(type)> <type> <len(body)> <body>`, never the base64 or the JSON.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::keys::{KeyError, SigningKey, VerifyingKey};

/// The in-toto payload type.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// A DSSE envelope as JSON carries it.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Base64 of the payload.
    pub payload: String,
    /// What the payload is.
    pub payload_type: String,
    /// One or more signatures over the PAE.
    pub signatures: Vec<EnvelopeSignature>,
}

/// One signature in an envelope.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct EnvelopeSignature {
    /// Optional key hint; cosign writes `""`.
    #[serde(default)]
    pub keyid: String,
    /// Base64 of the signature.
    pub sig: String,
}

/// An envelope that does not verify or is malformed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DsseError {
    /// Not an envelope.
    #[error("not a DSSE envelope: {0}")]
    Malformed(String),
    /// No signature verified with the key.
    #[error("no DSSE signature verifies with the key: {0}")]
    BadSignature(String),
}

impl crate::error::Classify for DsseError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Malformed(_) => crate::ErrorKind::InvalidInput,
            Self::BadSignature(_) => crate::ErrorKind::VerificationFailed,
        }
    }
}

/// The pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// Signs `payload` into an envelope with one signature (`keyid` empty, as cosign writes).
pub fn sign(key: &SigningKey, payload_type: &str, payload: &[u8]) -> Envelope {
    let b64 = base64::engine::general_purpose::STANDARD;
    Envelope {
        payload: b64.encode(payload),
        payload_type: payload_type.to_owned(),
        signatures: vec![EnvelopeSignature {
            keyid: String::new(),
            sig: b64.encode(key.sign(&pae(payload_type, payload))),
        }],
    }
}

impl Envelope {
    /// Parses envelope JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DsseError> {
        serde_json::from_slice(bytes).map_err(|e| DsseError::Malformed(e.to_string()))
    }

    /// The decoded payload (standard or URL-safe base64, as the spec allows).
    pub fn payload_bytes(&self) -> Result<Vec<u8>, DsseError> {
        decode(&self.payload).ok_or_else(|| DsseError::Malformed("payload is not base64".into()))
    }

    /// Verifies that at least one signature is `key`'s over the PAE; returns the payload.
    pub fn verify(&self, key: &VerifyingKey) -> Result<Vec<u8>, DsseError> {
        let payload = self.payload_bytes()?;
        if self.signatures.is_empty() {
            return Err(DsseError::BadSignature(
                "the envelope has no signatures".into(),
            ));
        }
        let message = pae(&self.payload_type, &payload);
        let mut last = String::new();
        for signature in &self.signatures {
            let Some(bytes) = decode(&signature.sig) else {
                last = "a signature is not base64".into();
                continue;
            };
            match key.verify(&message, &bytes) {
                Ok(()) => return Ok(payload),
                Err(e @ KeyError::BadSignature { .. }) => last = e.to_string(),
                Err(e) => last = e.to_string(),
            }
        }
        Err(DsseError::BadSignature(last))
    }

    /// The envelope as compact JSON (what goes in a `.att` layer).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

fn decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    STANDARD
        .decode(text)
        .or_else(|_| URL_SAFE.decode(text))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_specification_example() {
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
    }

    #[test]
    fn sign_and_verify_and_tamper() {
        let key = SigningKey::generate();
        let envelope = sign(&key, IN_TOTO_PAYLOAD_TYPE, b"{}");
        assert_eq!(envelope.verify(&key.verifying_key()).unwrap(), b"{}");
        let mut changed_type = envelope.clone();
        changed_type.payload_type = "application/json".into();
        assert!(changed_type.verify(&key.verifying_key()).is_err());
        let mut changed_payload = envelope;
        changed_payload.payload = base64::engine::general_purpose::STANDARD.encode(b"{\"a\":1}");
        assert!(changed_payload.verify(&key.verifying_key()).is_err());
    }
}
