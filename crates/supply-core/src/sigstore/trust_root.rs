//! The Sigstore trusted root (`application/vnd.dev.sigstore.trustedroot+json`): the Fulcio CAs,
//! the Rekor logs, the CT logs and the timestamp authorities a verifier trusts, each with its
//! validity window. Parsed strictly: an unknown field, an unsupported key type or a log key
//! without a start of validity makes the whole root unusable, as in sigstore-go.

use serde::Deserialize;

use super::encoding::{self, EncodingError};
use crate::keys::VerifyingKey;

/// The trusted root could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustRootError {
    /// Not a trusted-root document.
    #[error("not a Sigstore trusted root: {0}")]
    Malformed(String),
    /// A media type we do not read.
    #[error("unsupported trusted root media type {0:?}")]
    MediaType(String),
    /// A log whose key we cannot use or whose validity has no start.
    #[error("transparency log {url}: {reason}")]
    Log {
        /// The log's base URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A field in the wrong encoding.
    #[error(transparent)]
    Encoding(#[from] EncodingError),
}

impl crate::error::Classify for TrustRootError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::MediaType(_) => crate::ErrorKind::Unsupported,
            _ => crate::ErrorKind::InvalidInput,
        }
    }
}

/// A closed interval of Unix seconds; an absent bound is unbounded.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub struct Validity {
    /// First second of validity.
    pub start: Option<i64>,
    /// Last second of validity.
    pub end: Option<i64>,
}

impl Validity {
    /// Whether `time` is inside, both ends included.
    pub fn contains(&self, time: i64) -> bool {
        self.start.is_none_or(|s| s <= time) && self.end.is_none_or(|e| time <= e)
    }
}

/// The signature scheme of a log's key (protobuf `PublicKeyDetails`, the ones logs use).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyDetails {
    /// ECDSA P-256, SHA-256.
    EcdsaP256Sha256,
    /// ECDSA P-384, SHA-384.
    EcdsaP384Sha384,
    /// ECDSA P-521, SHA-512.
    EcdsaP521Sha512,
    /// Ed25519 (pure).
    Ed25519,
    /// RSA PKCS#1 v1.5, SHA-256 (any size, and the deprecated PKCS#1-encoded form).
    RsaPkcs1Sha256,
}

/// A Rekor or CT log.
#[derive(Clone, Debug)]
pub struct TransparencyLog {
    /// `https://rekor.sigstore.dev`.
    pub base_url: String,
    /// Its key.
    pub key: VerifyingKey,
    /// The key's DER SubjectPublicKeyInfo.
    pub key_der: Vec<u8>,
    /// How it signs.
    pub key_details: KeyDetails,
    /// The log id bytes entries and SCTs name it by (opaque: for Rekor v2 it is not a hash of
    /// the key alone).
    pub log_id: Vec<u8>,
    /// When its key may sign.
    pub valid: Validity,
}

/// A Fulcio CA or a timestamp authority: its chain (leaf or intermediate first, the trust anchor
/// last), as DER.
#[derive(Clone, Debug)]
pub struct CertificateAuthority {
    /// The authority's URI.
    pub uri: String,
    /// DER certificates, the root last.
    pub chain: Vec<Vec<u8>>,
    /// When it may have issued.
    pub valid: Validity,
}

/// A parsed trusted root.
#[derive(Clone, Debug, Default)]
pub struct TrustedRoot {
    /// Rekor logs.
    pub tlogs: Vec<TransparencyLog>,
    /// Certificate Transparency logs (for Fulcio's SCTs).
    pub ctlogs: Vec<TransparencyLog>,
    /// Fulcio CAs.
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// RFC 3161 timestamp authorities.
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

const MEDIA_TYPES: [&str; 3] = [
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
    #[serde(default)]
    timestamp_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawLog {
    #[serde(default)]
    base_url: String,
    hash_algorithm: String,
    public_key: RawPublicKey,
    log_id: RawLogId,
    #[serde(default)]
    checkpoint_key_id: Option<RawLogId>,
    #[serde(default)]
    operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPublicKey {
    #[serde(deserialize_with = "encoding::bytes")]
    raw_bytes: Vec<u8>,
    key_details: String,
    #[serde(default)]
    valid_for: Option<RawValidity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawLogId {
    #[serde(deserialize_with = "encoding::bytes")]
    pub(crate) key_id: Vec<u8>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    subject: Option<serde_json::Value>,
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    #[serde(default)]
    valid_for: Option<RawValidity>,
    #[serde(default)]
    operator: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChain {
    pub(crate) certificates: Vec<RawCertificate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct RawCertificate {
    #[serde(deserialize_with = "encoding::bytes")]
    pub(crate) raw_bytes: Vec<u8>,
}

impl TrustedRoot {
    /// Parses trusted-root JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, TrustRootError> {
        let raw: RawRoot =
            serde_json::from_slice(bytes).map_err(|e| TrustRootError::Malformed(e.to_string()))?;
        if !MEDIA_TYPES.contains(&raw.media_type.as_str()) {
            return Err(TrustRootError::MediaType(raw.media_type));
        }
        Ok(Self {
            tlogs: raw.tlogs.into_iter().map(log).collect::<Result<_, _>>()?,
            ctlogs: raw.ctlogs.into_iter().map(log).collect::<Result<_, _>>()?,
            certificate_authorities: raw
                .certificate_authorities
                .into_iter()
                .map(authority)
                .collect::<Result<_, _>>()?,
            timestamp_authorities: raw
                .timestamp_authorities
                .into_iter()
                .map(authority)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The Rekor log with this id.
    pub fn tlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        // A later duplicate wins, as it does in sigstore-go's map.
        self.tlogs.iter().rev().find(|l| l.log_id == log_id)
    }

    /// The CT log with this id.
    pub fn ctlog(&self, log_id: &[u8]) -> Option<&TransparencyLog> {
        self.ctlogs.iter().rev().find(|l| l.log_id == log_id)
    }
}

fn validity(raw: Option<RawValidity>) -> Result<Validity, TrustRootError> {
    let raw = raw.unwrap_or_default();
    let time = |t: Option<String>| t.map(|t| encoding::rfc3339_seconds(&t)).transpose();
    Ok(Validity {
        start: time(raw.start)?,
        end: time(raw.end)?,
    })
}

fn log(raw: RawLog) -> Result<TransparencyLog, TrustRootError> {
    let url = raw.base_url.clone();
    let fail = |reason: &str| TrustRootError::Log {
        url: url.clone(),
        reason: reason.to_owned(),
    };
    let _ = (raw.checkpoint_key_id, raw.operator);
    if raw.hash_algorithm != "SHA2_256" {
        return Err(fail("its Merkle hash is not SHA2_256"));
    }
    let valid = validity(raw.public_key.valid_for)?;
    if valid.start.is_none() {
        return Err(fail("its key has no start of validity"));
    }
    let (key_details, key_der) = match raw.public_key.key_details.as_str() {
        "PKIX_ECDSA_P256_SHA_256" => (KeyDetails::EcdsaP256Sha256, raw.public_key.raw_bytes),
        "PKIX_ECDSA_P384_SHA_384" => (KeyDetails::EcdsaP384Sha384, raw.public_key.raw_bytes),
        "PKIX_ECDSA_P521_SHA_512" => (KeyDetails::EcdsaP521Sha512, raw.public_key.raw_bytes),
        "PKIX_ED25519" => (KeyDetails::Ed25519, raw.public_key.raw_bytes),
        "PKIX_RSA_PKCS1V15_2048_SHA256"
        | "PKIX_RSA_PKCS1V15_3072_SHA256"
        | "PKIX_RSA_PKCS1V15_4096_SHA256" => (KeyDetails::RsaPkcs1Sha256, raw.public_key.raw_bytes),
        // Deprecated: a bare PKCS#1 RSAPublicKey (the staging CT log), wrapped into SPKI.
        "PKCS1_RSA_PKCS1V5" => (
            KeyDetails::RsaPkcs1Sha256,
            rsa_spki(&raw.public_key.raw_bytes),
        ),
        _ => return Err(fail("its key type is not supported")),
    };
    let key = VerifyingKey::from_der(&key_der).map_err(|_| fail("its key does not parse"))?;
    Ok(TransparencyLog {
        base_url: raw.base_url,
        key,
        key_der,
        key_details,
        log_id: raw.log_id.key_id,
        valid,
    })
}

fn authority(raw: RawAuthority) -> Result<CertificateAuthority, TrustRootError> {
    let _ = (raw.subject, raw.operator);
    Ok(CertificateAuthority {
        uri: raw.uri,
        chain: raw
            .cert_chain
            .certificates
            .into_iter()
            .map(|c| c.raw_bytes)
            .collect(),
        valid: validity(raw.valid_for)?,
    })
}

/// A PKCS#1 `RSAPublicKey` as a SubjectPublicKeyInfo; already-SPKI input passes through.
fn rsa_spki(pkcs1: &[u8]) -> Vec<u8> {
    if VerifyingKey::from_der(pkcs1).is_ok() {
        return pkcs1.to_vec();
    }
    // AlgorithmIdentifier { rsaEncryption, NULL }
    let algorithm = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let mut bits = vec![0u8];
    bits.extend_from_slice(pkcs1);
    let mut body = algorithm.to_vec();
    body.extend(der_tlv(0x03, &bits));
    der_tlv(0x30, &body)
}

/// One DER tag-length-value.
pub(crate) fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(content);
    out
}
