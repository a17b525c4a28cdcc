//! TUF metadata documents: the signed envelope, the checks every role shares (type, spec
//! version, version, expiry, unique signature key ids), thresholds counted over distinct key
//! material (key ids are opaque labels: Sigstore's are computed in more than one way), and the
//! length and hashes a file must have.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use sha2::{Digest as _, Sha256, Sha512};

use super::TufError;
use super::canonical::canonical;
use crate::keys::{KeyKind, VerifyingKey};
use crate::sigstore::encoding::{self, hex};

/// A verified-shape (not yet signature-checked) metadata document.
#[derive(Clone, Debug)]
pub(crate) struct Metadata {
    /// The `signed` object as parsed.
    pub(crate) signed: Value,
    /// Its canonical bytes (what signatures cover).
    canonical: Vec<u8>,
    /// Signatures by key id (hex strings as written).
    signatures: BTreeMap<String, String>,
    /// `signed.version`.
    pub(crate) version: u64,
    /// `signed.expires`, Unix seconds.
    pub(crate) expires: i64,
}

impl Metadata {
    /// Parses a document of role `role` (`root`, `timestamp`, `snapshot`, `targets`).
    pub(crate) fn parse(bytes: &[u8], role: &'static str) -> Result<Self, TufError> {
        let fail = |reason: String| TufError::Invalid { role, reason };
        let document: Value =
            serde_json::from_slice(bytes).map_err(|e| fail(format!("not JSON: {e}")))?;
        let signed = document
            .get("signed")
            .filter(|s| s.is_object())
            .ok_or_else(|| fail("no signed object".into()))?
            .clone();
        let list = document
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or_else(|| fail("no signatures".into()))?;
        let mut signatures = BTreeMap::new();
        for entry in list {
            let keyid = entry
                .get("keyid")
                .and_then(Value::as_str)
                .ok_or_else(|| fail("a signature without a key id".into()))?;
            let sig = entry.get("sig").and_then(Value::as_str).unwrap_or_default();
            if signatures
                .insert(keyid.to_owned(), sig.to_owned())
                .is_some()
            {
                return Err(fail(format!("two signatures by key id {keyid}")));
            }
        }
        if signed.get("_type").and_then(Value::as_str) != Some(role) {
            return Err(fail(format!("its _type is not {role}")));
        }
        let spec = signed
            .get("spec_version")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let parts: Vec<&str> = spec.split('.').collect();
        if !(2..=3).contains(&parts.len())
            || parts.first() != Some(&"1")
            || !parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(fail(format!("unsupported spec_version {spec:?}")));
        }
        let version = signed
            .get("version")
            .and_then(Value::as_u64)
            .filter(|v| *v >= 1)
            .ok_or_else(|| fail("version must be an integer of 1 or more".into()))?;
        let expires = signed
            .get("expires")
            .and_then(Value::as_str)
            .and_then(|t| encoding::rfc3339_seconds(t).ok())
            .ok_or_else(|| fail("expires is not a time".into()))?;
        let canonical =
            canonical(&signed).ok_or_else(|| fail("a number that is not an integer".into()))?;
        Ok(Self {
            signed,
            canonical,
            signatures,
            version,
            expires,
        })
    }

    /// Whether the document has expired at `now`.
    pub(crate) fn expired(&self, now: i64) -> bool {
        now >= self.expires
    }

    /// `signed.<field>`.
    pub(crate) fn field(&self, field: &str) -> Option<&Value> {
        self.signed.get(field)
    }

    /// Checks that at least `threshold` distinct keys of `role_name` in `authority` (a root's
    /// or a delegating targets' `keys` and `roles`) signed this document.
    pub(crate) fn check_signed_by(
        &self,
        keys: &Value,
        role: &Value,
        what: &'static str,
    ) -> Result<(), TufError> {
        let threshold = role
            .get("threshold")
            .and_then(Value::as_u64)
            .filter(|t| *t >= 1)
            .ok_or(TufError::Invalid {
                role: what,
                reason: "no threshold".into(),
            })?;
        let mut verified: BTreeSet<String> = BTreeSet::new();
        for keyid in role
            .get("keyids")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(keyid) = keyid.as_str() else {
                continue;
            };
            let (Some(key), Some(signature)) = (keys.get(keyid), self.signatures.get(keyid)) else {
                continue;
            };
            // An unreadable key or signature is "not signed", never an error.
            let Some(key) = tuf_key(key) else { continue };
            let Some(signature) = hex_bytes(signature) else {
                continue;
            };
            let verifies = match key.kind() {
                KeyKind::Ed25519 => key.verify_pure(&self.canonical, &signature).is_ok(),
                KeyKind::EcdsaP256 => key.verify(&self.canonical, &signature).is_ok(),
                _ => false,
            };
            if verifies && let Ok(der) = key.to_der() {
                verified.insert(hex(&Sha256::digest(&der)));
            }
        }
        if (verified.len() as u64) < threshold {
            return Err(TufError::Unsigned {
                role: what,
                signed: verified.len(),
                threshold,
            });
        }
        Ok(())
    }
}

/// A TUF key (`ecdsa`/`ecdsa-sha2-nistp256` PEM, or `ed25519` hex) as a verifying key.
fn tuf_key(key: &Value) -> Option<VerifyingKey> {
    let keytype = key.get("keytype")?.as_str()?;
    let scheme = key.get("scheme")?.as_str()?;
    let public = key.get("keyval")?.get("public")?.as_str()?;
    match (keytype, scheme) {
        ("ecdsa" | "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256") => VerifyingKey::from_pem(public)
            .ok()
            .filter(|k| k.kind() == KeyKind::EcdsaP256),
        ("ed25519", "ed25519") => {
            let raw = hex_bytes(public).filter(|r| r.len() == 32)?;
            // SubjectPublicKeyInfo of an Ed25519 key: the fixed prefix, then the 32 bytes.
            let mut der = vec![
                0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
            ];
            der.extend_from_slice(&raw);
            VerifyingKey::from_der(&der).ok()
        }
        _ => None,
    }
}

fn hex_bytes(text: &str) -> Option<Vec<u8>> {
    crate::sigstore::encoding::hex_decode(text).filter(|bytes| !bytes.is_empty())
}

/// Checks `bytes` against a META/TARGET entry's `length` and `hashes`, where present.
pub(crate) fn check_file(entry: &Value, bytes: &[u8], what: &str) -> Result<(), TufError> {
    let mismatch = |reason: String| TufError::FileMismatch {
        file: what.to_owned(),
        reason,
    };
    if let Some(length) = entry.get("length").and_then(Value::as_u64)
        && length != bytes.len() as u64
    {
        return Err(mismatch(format!(
            "{} bytes, listed as {length}",
            bytes.len()
        )));
    }
    for (algorithm, expected) in entry
        .get("hashes")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let actual = match algorithm.as_str() {
            "sha256" => hex(&Sha256::digest(bytes)),
            "sha512" => hex(&Sha512::digest(bytes)),
            other => return Err(mismatch(format!("an unsupported hash {other}"))),
        };
        if Some(actual.as_str()) != expected.as_str() {
            return Err(mismatch(format!("its {algorithm} is not the one listed")));
        }
    }
    Ok(())
}
