//! Sigstore bundles v0.1–v0.3 (`application/vnd.dev.sigstore.bundle…`): what was signed (a
//! message signature or a DSSE envelope), by what (a certificate, a certificate chain, or a
//! managed key's hint), and the proofs that go with it (transparency-log entries, RFC 3161
//! timestamps). Parsed strictly (unknown fields refused, as protobuf's JSON decoder does) and
//! checked for the structure each version requires, before any cryptography.

use serde::Deserialize;

use super::encoding::{self, EncodingError};
use super::trust_root::{RawCertificate, RawChain, RawLogId};

/// A bundle that cannot be used, before any signature is looked at.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Not bundle JSON.
    #[error("not a Sigstore bundle: {0}")]
    Malformed(String),
    /// A media type or version we do not read.
    #[error("unsupported Sigstore bundle media type {0:?}")]
    UnsupportedVersion(String),
    /// Well-formed JSON that breaks the bundle's rules.
    #[error("invalid Sigstore bundle: {0}")]
    Invalid(&'static str),
}

/// Hash algorithms a message digest may use.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum HashAlgorithm {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The digest of `bytes`.
    pub fn digest(self, bytes: &[u8]) -> Vec<u8> {
        use sha2::Digest as _;
        match self {
            Self::Sha256 => sha2::Sha256::digest(bytes).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(bytes).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(bytes).to_vec(),
        }
    }

    /// The name Rekor v1 bodies use (`sha256`).
    pub fn rekor_name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

/// Who the bundle says signed.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Material {
    /// A certificate (v0.3) or the leaf of a chain (v0.1/v0.2), DER.
    Certificate(Vec<u8>),
    /// A key the verifier must already have; the hint is not trusted.
    PublicKey {
        /// The signer's key hint.
        hint: String,
    },
}

/// What was signed.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Content {
    /// A signature over an artifact, with the artifact's (unauthenticated) digest.
    MessageSignature {
        /// The digest's algorithm.
        algorithm: HashAlgorithm,
        /// The artifact digest as the signer stated it.
        digest: Vec<u8>,
        /// The raw signature.
        signature: Vec<u8>,
    },
    /// A DSSE envelope (exactly one signature is enforced when verifying).
    Dsse {
        /// The payload type.
        payload_type: String,
        /// The payload.
        payload: Vec<u8>,
        /// The signatures: key id and raw signature bytes.
        signatures: Vec<(String, Vec<u8>)>,
    },
}

impl Content {
    /// The signature the transparency log and the timestamps are about: the message signature,
    /// or the envelope's first.
    pub fn signature(&self) -> &[u8] {
        match self {
            Self::MessageSignature { signature, .. } => signature,
            Self::Dsse { signatures, .. } => signatures.first().map_or(&[], |(_, s)| s),
        }
    }
}

/// A Merkle inclusion proof with its signed checkpoint.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct InclusionProof {
    /// The leaf index in the tree the proof is for (a shard's own index in Rekor v1).
    pub log_index: i64,
    /// The tree root.
    pub root_hash: Vec<u8>,
    /// The tree size.
    pub tree_size: i64,
    /// Sibling hashes, leaf to root.
    pub hashes: Vec<Vec<u8>>,
    /// The signed note of the tree head.
    pub checkpoint: String,
}

/// One transparency-log entry.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct TlogEntry {
    /// The entry's global index.
    pub log_index: i64,
    /// The log it claims to be in.
    pub log_id: Vec<u8>,
    /// `hashedrekord`, `dsse`, `intoto`.
    pub kind: String,
    /// The kind's version.
    pub version: String,
    /// When the log says it integrated the entry (0 for Rekor v2).
    pub integrated_time: i64,
    /// The signed entry timestamp (Rekor v1's inclusion promise).
    pub signed_entry_timestamp: Option<Vec<u8>>,
    /// The inclusion proof.
    pub inclusion_proof: Option<InclusionProof>,
    /// The exact body bytes the log hashed.
    pub body: Vec<u8>,
}

/// A parsed bundle.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Bundle {
    /// The minor version (1, 2 or 3: all are 0.x).
    pub minor_version: u32,
    /// Who signed.
    pub material: Material,
    /// Transparency-log entries.
    pub tlog_entries: Vec<TlogEntry>,
    /// RFC 3161 `TimeStampResp`s, DER.
    pub timestamps: Vec<Vec<u8>>,
    /// What was signed.
    pub content: Content,
}

/// Bundles carry at most this many entries and timestamps (sigstore-go's limits).
const MAX_PROOFS: usize = 32;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawBundle {
    media_type: String,
    verification_material: Option<RawMaterial>,
    #[serde(default)]
    message_signature: Option<RawMessageSignature>,
    #[serde(default)]
    dsse_envelope: Option<RawEnvelope>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMaterial {
    #[serde(default)]
    public_key: Option<RawHint>,
    #[serde(default)]
    x509_certificate_chain: Option<RawChain>,
    #[serde(default)]
    certificate: Option<RawCertificate>,
    #[serde(default)]
    tlog_entries: Option<Vec<RawEntry>>,
    #[serde(default)]
    timestamp_verification_data: Option<RawTimestamps>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHint {
    #[serde(default)]
    hint: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTimestamps {
    #[serde(default)]
    rfc3161_timestamps: Option<Vec<RawTimestamp>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawTimestamp {
    #[serde(deserialize_with = "encoding::bytes")]
    signed_timestamp: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEntry {
    #[serde(default, deserialize_with = "encoding::int64")]
    log_index: i64,
    log_id: Option<RawLogId>,
    kind_version: Option<RawKindVersion>,
    #[serde(default, deserialize_with = "encoding::int64")]
    integrated_time: i64,
    #[serde(default)]
    inclusion_promise: Option<RawPromise>,
    #[serde(default)]
    inclusion_proof: Option<RawProof>,
    #[serde(default, deserialize_with = "encoding::optional_bytes")]
    canonicalized_body: Option<Vec<u8>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKindVersion {
    kind: String,
    version: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPromise {
    #[serde(deserialize_with = "encoding::bytes")]
    signed_entry_timestamp: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawProof {
    #[serde(default, deserialize_with = "encoding::int64")]
    log_index: i64,
    #[serde(deserialize_with = "encoding::bytes")]
    root_hash: Vec<u8>,
    #[serde(default, deserialize_with = "encoding::int64")]
    tree_size: i64,
    #[serde(default)]
    hashes: Vec<String>,
    #[serde(default)]
    checkpoint: Option<RawCheckpoint>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCheckpoint {
    #[serde(default)]
    envelope: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    #[serde(deserialize_with = "encoding::bytes")]
    signature: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDigest {
    algorithm: String,
    #[serde(deserialize_with = "encoding::bytes")]
    digest: Vec<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawEnvelope {
    #[serde(deserialize_with = "encoding::bytes")]
    payload: Vec<u8>,
    payload_type: String,
    #[serde(default)]
    signatures: Vec<RawSignature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    #[serde(deserialize_with = "encoding::bytes")]
    sig: Vec<u8>,
    #[serde(default)]
    keyid: String,
}

/// The minor version a bundle media type names (`0.x`).
pub fn minor_version(media_type: &str) -> Option<u32> {
    match media_type {
        "application/vnd.dev.sigstore.bundle+json;version=0.1"
        | "application/vnd.dev.sigstore.bundle.v0.1+json" => Some(1),
        "application/vnd.dev.sigstore.bundle+json;version=0.2"
        | "application/vnd.dev.sigstore.bundle.v0.2+json" => Some(2),
        "application/vnd.dev.sigstore.bundle+json;version=0.3"
        | "application/vnd.dev.sigstore.bundle.v0.3+json" => Some(3),
        _ => None,
    }
}

impl Bundle {
    /// Parses bundle JSON and checks its structure.
    pub fn from_json(bytes: &[u8]) -> Result<Self, BundleError> {
        let raw: RawBundle =
            serde_json::from_slice(bytes).map_err(|e| BundleError::Malformed(e.to_string()))?;
        let minor_version = minor_version(&raw.media_type)
            .ok_or_else(|| BundleError::UnsupportedVersion(raw.media_type.clone()))?;
        let material = raw
            .verification_material
            .ok_or(BundleError::Invalid("no verification material"))?;
        let content = match (raw.message_signature, raw.dsse_envelope) {
            (Some(message), None) => {
                let digest = message.message_digest.ok_or(BundleError::Invalid(
                    "a message signature without its digest",
                ))?;
                let algorithm = match digest.algorithm.as_str() {
                    "SHA2_256" => HashAlgorithm::Sha256,
                    "SHA2_384" => HashAlgorithm::Sha384,
                    "SHA2_512" => HashAlgorithm::Sha512,
                    _ => {
                        return Err(BundleError::Invalid(
                            "an unsupported message digest algorithm",
                        ));
                    }
                };
                Content::MessageSignature {
                    algorithm,
                    digest: digest.digest,
                    signature: message.signature,
                }
            }
            (None, Some(envelope)) => Content::Dsse {
                payload_type: envelope.payload_type,
                payload: envelope.payload,
                signatures: envelope
                    .signatures
                    .into_iter()
                    .map(|s| (s.keyid, s.sig))
                    .collect(),
            },
            (Some(_), Some(_)) => {
                return Err(BundleError::Invalid(
                    "both a message signature and a DSSE envelope",
                ));
            }
            (None, None) => return Err(BundleError::Invalid("no message signature or envelope")),
        };
        let signer = match (
            material.public_key,
            material.x509_certificate_chain,
            material.certificate,
        ) {
            (Some(key), None, None) => Material::PublicKey { hint: key.hint },
            (None, Some(chain), None) => {
                if minor_version >= 3 {
                    return Err(BundleError::Invalid("a certificate chain in a v0.3 bundle"));
                }
                // Only the leaf is used: the path is built from the trusted root alone, so a
                // root or intermediate the signer added is never trusted (real v0.1 bundles
                // carry them).
                let leaf = chain
                    .certificates
                    .into_iter()
                    .next()
                    .ok_or(BundleError::Invalid("an empty certificate chain"))?;
                Material::Certificate(leaf.raw_bytes)
            }
            (None, None, Some(certificate)) => Material::Certificate(certificate.raw_bytes),
            (None, None, None) => return Err(BundleError::Invalid("no certificate or key")),
            _ => {
                return Err(BundleError::Invalid(
                    "more than one kind of verification material",
                ));
            }
        };
        let tlog_entries: Vec<TlogEntry> = material
            .tlog_entries
            .unwrap_or_default()
            .into_iter()
            .map(entry)
            .collect::<Result<_, _>>()?;
        let timestamps: Vec<Vec<u8>> = material
            .timestamp_verification_data
            .and_then(|t| t.rfc3161_timestamps)
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.signed_timestamp)
            .collect();
        if tlog_entries.len() > MAX_PROOFS || timestamps.len() > MAX_PROOFS {
            return Err(BundleError::Invalid(
                "more than 32 log entries or timestamps",
            ));
        }
        if !tlog_entries.is_empty() {
            if minor_version == 1
                && !tlog_entries
                    .iter()
                    .any(|e| e.signed_entry_timestamp.is_some())
            {
                return Err(BundleError::Invalid(
                    "a v0.1 bundle without an inclusion promise",
                ));
            }
            if minor_version >= 2 && !tlog_entries.iter().any(|e| e.inclusion_proof.is_some()) {
                return Err(BundleError::Invalid(
                    "a v0.2+ bundle without an inclusion proof",
                ));
            }
        }
        Ok(Self {
            minor_version,
            material: signer,
            tlog_entries,
            timestamps,
            content,
        })
    }
}

impl Bundle {
    /// The bundle as JSON of its own version (what we sign is v0.3,
    /// `application/vnd.dev.sigstore.bundle.v0.3+json`), in protobuf's JSON mapping: int64 as
    /// strings, bytes as standard base64. Each version keeps its rules: written as v0.3, a v0.1
    /// bundle with only an inclusion promise would no longer parse.
    pub fn to_json(&self) -> Vec<u8> {
        use base64::Engine as _;
        use serde_json::{Value, json};
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut material = serde_json::Map::new();
        match &self.material {
            Material::Certificate(der) if self.minor_version >= 3 => {
                material.insert("certificate".into(), json!({"rawBytes": b64(der)}));
            }
            Material::Certificate(der) => {
                material.insert(
                    "x509CertificateChain".into(),
                    json!({"certificates": [{"rawBytes": b64(der)}]}),
                );
            }
            Material::PublicKey { hint } => {
                material.insert("publicKey".into(), json!({"hint": hint}));
            }
        }
        let entries: Vec<Value> = self
            .tlog_entries
            .iter()
            .map(|e| {
                let mut entry = json!({
                    "logIndex": e.log_index.to_string(),
                    "logId": {"keyId": b64(&e.log_id)},
                    "kindVersion": {"kind": e.kind, "version": e.version},
                    "integratedTime": e.integrated_time.to_string(),
                    "canonicalizedBody": b64(&e.body),
                });
                if let Some(set) = &e.signed_entry_timestamp {
                    entry["inclusionPromise"] = json!({"signedEntryTimestamp": b64(set)});
                }
                if let Some(proof) = &e.inclusion_proof {
                    entry["inclusionProof"] = json!({
                        "logIndex": proof.log_index.to_string(),
                        "rootHash": b64(&proof.root_hash),
                        "treeSize": proof.tree_size.to_string(),
                        "hashes": proof.hashes.iter().map(|h| b64(h)).collect::<Vec<_>>(),
                        "checkpoint": {"envelope": proof.checkpoint},
                    });
                }
                entry
            })
            .collect();
        material.insert("tlogEntries".into(), Value::Array(entries));
        if !self.timestamps.is_empty() {
            let timestamps: Vec<Value> = self
                .timestamps
                .iter()
                .map(|t| json!({"signedTimestamp": b64(t)}))
                .collect();
            material.insert(
                "timestampVerificationData".into(),
                json!({"rfc3161Timestamps": timestamps}),
            );
        }
        let media_type = match self.minor_version {
            1 => "application/vnd.dev.sigstore.bundle+json;version=0.1",
            2 => "application/vnd.dev.sigstore.bundle+json;version=0.2",
            _ => "application/vnd.dev.sigstore.bundle.v0.3+json",
        };
        let mut bundle = json!({
            "mediaType": media_type,
            "verificationMaterial": Value::Object(material),
        });
        match &self.content {
            Content::MessageSignature {
                algorithm,
                digest,
                signature,
            } => {
                let algorithm = match algorithm {
                    HashAlgorithm::Sha256 => "SHA2_256",
                    HashAlgorithm::Sha384 => "SHA2_384",
                    HashAlgorithm::Sha512 => "SHA2_512",
                };
                bundle["messageSignature"] = json!({
                    "messageDigest": {"algorithm": algorithm, "digest": b64(digest)},
                    "signature": b64(signature),
                });
            }
            Content::Dsse {
                payload_type,
                payload,
                signatures,
            } => {
                let signatures: Vec<Value> = signatures
                    .iter()
                    .map(|(keyid, sig)| json!({"sig": b64(sig), "keyid": keyid}))
                    .collect();
                bundle["dsseEnvelope"] = json!({
                    "payload": b64(payload),
                    "payloadType": payload_type,
                    "signatures": signatures,
                });
            }
        }
        serde_json::to_vec(&bundle).unwrap_or_default()
    }
}

fn entry(raw: RawEntry) -> Result<TlogEntry, BundleError> {
    if raw.log_index < 0 {
        return Err(BundleError::Invalid("a negative log index"));
    }
    let log_id = raw
        .log_id
        .ok_or(BundleError::Invalid("a log entry without a log id"))?;
    let kind = raw
        .kind_version
        .ok_or(BundleError::Invalid("a log entry without its kind"))?;
    let body = raw
        .canonicalized_body
        .ok_or(BundleError::Invalid("a log entry without its body"))?;
    let inclusion_proof = match raw.inclusion_proof {
        None => None,
        Some(proof) => {
            let checkpoint = proof
                .checkpoint
                .map(|c| c.envelope)
                .filter(|e| !e.is_empty())
                .ok_or(BundleError::Invalid(
                    "an inclusion proof without its checkpoint",
                ))?;
            let hashes = proof
                .hashes
                .iter()
                .map(|h| encoding::base64(h))
                .collect::<Result<_, EncodingError>>()
                .map_err(|_| BundleError::Invalid("an inclusion proof hash that is not base64"))?;
            Some(InclusionProof {
                log_index: proof.log_index,
                root_hash: proof.root_hash,
                tree_size: proof.tree_size,
                hashes,
                checkpoint,
            })
        }
    };
    Ok(TlogEntry {
        log_index: raw.log_index,
        log_id: log_id.key_id,
        kind: kind.kind,
        version: kind.version,
        integrated_time: raw.integrated_time,
        signed_entry_timestamp: raw.inclusion_promise.map(|p| p.signed_entry_timestamp),
        inclusion_proof,
        body,
    })
}
