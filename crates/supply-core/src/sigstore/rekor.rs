//! Rekor's proofs, pure: the signed entry timestamp (SET) of Rekor v1, RFC 6962 Merkle
//! inclusion proofs, signed checkpoints (C2SP signed notes: Rekor v1's strict form and Rekor
//! v2's, which ignores cosigners), and the entry body matched against the bundle (v1 bodies
//! compared field by field, v2 bodies rebuilt from the bundle and proven included).

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::bundle::{Content, HashAlgorithm, TlogEntry};
use super::encoding::{self, hex};
use super::trust_root::TransparencyLog;
use crate::keys::{KeyKind, VerifyingKey};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Why a log entry does not prove what the bundle says.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TlogProblem {
    /// The signed entry timestamp does not verify (or the log key was not valid then).
    #[error("the signed entry timestamp does not verify with the log's key")]
    SignedEntryTimestamp,
    /// The inclusion proof does not lead to the root hash.
    #[error("the inclusion proof does not hash to the tree root")]
    InclusionProof,
    /// The checkpoint is malformed, unsigned by the log, or for another tree.
    #[error("the checkpoint is not valid: {0}")]
    Checkpoint(&'static str),
    /// The logged body says something else than the bundle.
    #[error("the log entry does not match the bundle: {0}")]
    BodyMismatch(&'static str),
    /// A kind or version of entry we do not verify.
    #[error("unsupported log entry {kind} {version}")]
    Unsupported {
        /// The kind.
        kind: String,
        /// The version.
        version: String,
    },
}

/// The SET: the log's signature over the canonical JSON of the entry's body, integrated time,
/// log id and index; the log key must have been valid at the integrated time.
pub fn verify_signed_entry_timestamp(
    entry: &TlogEntry,
    log: &TransparencyLog,
) -> Result<(), TlogProblem> {
    let set = entry
        .signed_entry_timestamp
        .as_deref()
        .ok_or(TlogProblem::SignedEntryTimestamp)?;
    if !log.valid.contains(entry.integrated_time) {
        return Err(TlogProblem::SignedEntryTimestamp);
    }
    // Keys in RFC 8785 order; integers plain; the body re-encoded as padded standard base64.
    let payload = format!(
        r#"{{"body":"{}","integratedTime":{},"logID":"{}","logIndex":{}}}"#,
        B64.encode(&entry.body),
        entry.integrated_time,
        hex(&entry.log_id),
        entry.log_index
    );
    log.key
        .verify(payload.as_bytes(), set)
        .map_err(|_| TlogProblem::SignedEntryTimestamp)
}

/// The RFC 6962 leaf hash of a body.
pub fn leaf_hash(body: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(body);
    hasher.finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update([1u8]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// Whether `hashes` prove the leaf at `index` of a tree of `size` leaves under `root`
/// (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf: &[u8; 32],
    index: i64,
    size: i64,
    hashes: &[Vec<u8>],
    root: &[u8],
) -> bool {
    let (Ok(index), Ok(size)) = (u64::try_from(index), u64::try_from(size)) else {
        return false;
    };
    if index >= size || hashes.iter().any(|h| h.len() != 32) {
        return false;
    }
    let inner = (u64::BITS - (index ^ (size - 1)).leading_zeros()) as usize;
    let border = (index >> inner).count_ones() as usize;
    if hashes.len() != inner + border {
        return false;
    }
    let mut hash = *leaf;
    for (i, sibling) in hashes.iter().enumerate() {
        hash = if i < inner && (index >> i) & 1 == 0 {
            node_hash(&hash, sibling)
        } else {
            node_hash(sibling, &hash)
        };
    }
    hash.as_slice() == root
}

/// A parsed signed note: the signed text, and each signature line's name, key hint and bytes.
struct Note<'a> {
    text: &'a str,
    signatures: Vec<(&'a str, [u8; 4], Vec<u8>)>,
}

fn parse_note(envelope: &str) -> Result<Note<'_>, TlogProblem> {
    let malformed = TlogProblem::Checkpoint("malformed signed note");
    if envelope.chars().any(|c| c.is_control() && c != '\n') || !envelope.ends_with('\n') {
        return Err(malformed);
    }
    let split = envelope.rfind("\n\n").ok_or(malformed.clone())?;
    let text = envelope.get(..=split).ok_or(malformed.clone())?;
    let block = envelope.get(split + 2..).ok_or(malformed.clone())?;
    let mut signatures = Vec::new();
    for line in block.lines() {
        let rest = line.strip_prefix("\u{2014} ").ok_or(malformed.clone())?;
        let (name, encoded) = rest.split_once(' ').ok_or(malformed.clone())?;
        if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
            return Err(malformed);
        }
        let blob = B64.decode(encoded).map_err(|_| malformed.clone())?;
        let (hint, signature) = blob.split_at_checked(4).ok_or(malformed.clone())?;
        if signature.is_empty() {
            return Err(malformed);
        }
        let hint: [u8; 4] = hint.try_into().map_err(|_| malformed.clone())?;
        signatures.push((name, hint, signature.to_vec()));
    }
    if signatures.is_empty() || signatures.len() > 100 {
        return Err(malformed);
    }
    Ok(Note { text, signatures })
}

/// A checkpoint's origin, tree size and root hash.
struct Checkpoint<'a> {
    origin: &'a str,
    size: i64,
    root: Vec<u8>,
}

fn parse_checkpoint(text: &str) -> Result<Checkpoint<'_>, TlogProblem> {
    let mut lines = text.split('\n');
    let origin = lines.next().filter(|o| !o.is_empty());
    let size = lines.next().and_then(|s| {
        (!s.starts_with('0') || s == "0")
            .then(|| s.parse::<i64>().ok())
            .flatten()
    });
    let root = lines.next().and_then(|h| B64.decode(h).ok());
    match (origin, size, root) {
        (Some(origin), Some(size), Some(root)) => Ok(Checkpoint { origin, size, root }),
        _ => Err(TlogProblem::Checkpoint("malformed checkpoint body")),
    }
}

/// Whether a checkpoint is Rekor v1's (`host - treeID` origin).
pub fn is_rekor_v1_checkpoint(envelope: &str) -> bool {
    let first = envelope.split('\n').next().unwrap_or_default();
    let v1_origin = first
        .rsplit_once(" - ")
        .is_some_and(|(_, tree)| !tree.is_empty() && tree.bytes().all(|b| b.is_ascii_digit()));
    v1_origin && envelope.split('\n').count() >= 4
}

/// Rekor v1: every signature line must be the log's (its key hint) and verify; the checkpoint
/// must be for the proof's tree.
pub fn verify_checkpoint_v1(
    envelope: &str,
    log: &TransparencyLog,
    root: &[u8],
    size: i64,
) -> Result<(), TlogProblem> {
    let note = parse_note(envelope)?;
    let hint = log.log_id.get(..4).unwrap_or_default();
    for (_, line_hint, signature) in &note.signatures {
        if line_hint.as_slice() != hint {
            return Err(TlogProblem::Checkpoint("a signature by another key"));
        }
        log.key
            .verify_pure(note.text.as_bytes(), signature)
            .map_err(|_| TlogProblem::Checkpoint("the log's signature does not verify"))?;
    }
    let checkpoint = parse_checkpoint(note.text)?;
    if checkpoint.root != root || checkpoint.size != size {
        return Err(TlogProblem::Checkpoint("it is for another tree"));
    }
    Ok(())
}

/// Rekor v2: lines from other keys (witnesses, a second key under the log's name) are ignored;
/// the log's own (its name and key hint) must verify; the origin must be the log's name.
/// Returns the tree size and root the proof is checked against.
pub fn verify_checkpoint_v2(
    envelope: &str,
    log: &TransparencyLog,
) -> Result<(i64, Vec<u8>), TlogProblem> {
    let note = parse_note(envelope)?;
    let name = log_name(&log.base_url).ok_or(TlogProblem::Checkpoint("the log has no name"))?;
    let hint = log.log_id.get(..4).unwrap_or_default();
    let mut verified = false;
    for (line_name, line_hint, signature) in &note.signatures {
        if *line_name == name && line_hint.as_slice() == hint {
            log.key
                .verify_pure(note.text.as_bytes(), signature)
                .map_err(|_| TlogProblem::Checkpoint("the log's signature does not verify"))?;
            verified = true;
        }
    }
    if !verified {
        return Err(TlogProblem::Checkpoint("no signature by the log"));
    }
    let checkpoint = parse_checkpoint(note.text)?;
    if checkpoint.origin != name {
        return Err(TlogProblem::Checkpoint("its origin is not the log"));
    }
    Ok((checkpoint.size, checkpoint.root))
}

/// The host name of a log's base URL (its checkpoint origin for Rekor v2).
fn log_name(base_url: &str) -> Option<String> {
    reqwest::Url::parse(base_url)
        .ok()?
        .host_str()
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
}

/// A Rekor v1 body (hashedrekord 0.0.1, dsse 0.0.1, intoto 0.0.2) compared with the bundle:
/// same signature, same signer (certificate or key, as DER), same digest.
pub fn match_v1_body(
    entry: &TlogEntry,
    content: &Content,
    signer_der: &[u8],
) -> Result<(), TlogProblem> {
    let mismatch = TlogProblem::BodyMismatch;
    let body: Value =
        serde_json::from_slice(&entry.body).map_err(|_| mismatch("the body is not JSON"))?;
    let (kind, version) = (
        body.get("kind").and_then(Value::as_str).unwrap_or_default(),
        body.get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    if kind != entry.kind || version != entry.version {
        return Err(mismatch("its kind is not the one the bundle names"));
    }
    let text = |pointer: &str| body.pointer(pointer).and_then(Value::as_str);
    let b64 = |pointer: &str| text(pointer).and_then(|t| encoding::base64(t).ok());
    let pem_der = |pointer: &str| b64(pointer).and_then(|pem| pem_to_der(&pem));
    match (kind, version, content) {
        (
            "hashedrekord",
            "0.0.1",
            Content::MessageSignature {
                algorithm,
                digest,
                signature,
            },
        ) => {
            if b64("/spec/signature/content").as_deref() != Some(signature.as_slice()) {
                return Err(mismatch("another signature"));
            }
            if pem_der("/spec/signature/publicKey/content").as_deref() != Some(signer_der) {
                return Err(mismatch("another signer"));
            }
            if text("/spec/data/hash/algorithm") != Some(algorithm.rekor_name())
                || text("/spec/data/hash/value") != Some(hex(digest).as_str())
            {
                return Err(mismatch("another artifact digest"));
            }
            Ok(())
        }
        (
            "dsse",
            "0.0.1",
            Content::Dsse {
                payload,
                signatures,
                ..
            },
        ) => {
            let signature = signatures.first().map(|(_, s)| s.as_slice());
            if text("/spec/payloadHash/algorithm") != Some("sha256")
                || text("/spec/payloadHash/value") != Some(hex(&Sha256::digest(payload)).as_str())
            {
                return Err(mismatch("another payload"));
            }
            if b64("/spec/signatures/0/signature").as_deref() != signature {
                return Err(mismatch("another signature"));
            }
            if pem_der("/spec/signatures/0/verifier").as_deref() != Some(signer_der) {
                return Err(mismatch("another signer"));
            }
            Ok(())
        }
        (
            "intoto",
            "0.0.2",
            Content::Dsse {
                payload,
                signatures,
                ..
            },
        ) => {
            // Rekor's intoto 0.0.2 stores the already-encoded signature base64 again.
            let logged_signature = b64("/spec/content/envelope/signatures/0/sig")
                .and_then(|inner| String::from_utf8(inner).ok())
                .and_then(|inner| encoding::base64(&inner).ok());
            if logged_signature.as_deref() != signatures.first().map(|(_, s)| s.as_slice()) {
                return Err(mismatch("another signature"));
            }
            if pem_der("/spec/content/envelope/signatures/0/publicKey").as_deref()
                != Some(signer_der)
            {
                return Err(mismatch("another signer"));
            }
            if text("/spec/content/payloadHash/value")
                != Some(hex(&Sha256::digest(payload)).as_str())
            {
                return Err(mismatch("another payload"));
            }
            Ok(())
        }
        _ => Err(TlogProblem::Unsupported {
            kind: entry.kind.clone(),
            version: entry.version.clone(),
        }),
    }
}

/// How a signer is named in a Rekor v2 entry.
pub enum V2Signer<'a> {
    /// The leaf certificate, DER.
    Certificate(&'a [u8]),
    /// A managed key, its SPKI DER.
    Key(&'a [u8]),
}

/// The hashedrekord 0.0.2 body Rekor v2 would have logged for this bundle content, as the
/// canonical (RFC 8785) JSON it hashed. DSSE content is logged over the digest of its PAE.
pub fn rebuild_v2_body(
    content: &Content,
    signer: &V2Signer<'_>,
    key: &VerifyingKey,
) -> Result<Vec<u8>, TlogProblem> {
    let (details, algorithm) = match key.kind() {
        KeyKind::EcdsaP256 => ("PKIX_ECDSA_P256_SHA_256", HashAlgorithm::Sha256),
        KeyKind::EcdsaP384 => ("PKIX_ECDSA_P384_SHA_384", HashAlgorithm::Sha384),
        KeyKind::EcdsaP521 => ("PKIX_ECDSA_P521_SHA_512", HashAlgorithm::Sha512),
        KeyKind::Rsa(2048) => ("PKIX_RSA_PKCS1V15_2048_SHA256", HashAlgorithm::Sha256),
        KeyKind::Rsa(3072) => ("PKIX_RSA_PKCS1V15_3072_SHA256", HashAlgorithm::Sha256),
        KeyKind::Rsa(4096) => ("PKIX_RSA_PKCS1V15_4096_SHA256", HashAlgorithm::Sha256),
        KeyKind::Ed25519 => ("PKIX_ED25519_PH", HashAlgorithm::Sha512),
        _ => {
            return Err(TlogProblem::BodyMismatch(
                "a signing key Rekor v2 does not log",
            ));
        }
    };
    let (digest, signature) = match content {
        Content::MessageSignature {
            digest, signature, ..
        } => (digest.clone(), signature.as_slice()),
        Content::Dsse {
            payload_type,
            payload,
            signatures,
        } => (
            algorithm.digest(&crate::attest::dsse::pae(payload_type, payload)),
            signatures.first().map_or(&[][..], |(_, s)| s.as_slice()),
        ),
    };
    let algorithm_name = match algorithm {
        HashAlgorithm::Sha256 => "SHA2_256",
        HashAlgorithm::Sha384 => "SHA2_384",
        HashAlgorithm::Sha512 => "SHA2_512",
    };
    let verifier = match signer {
        V2Signer::Certificate(der) => {
            format!(r#""x509Certificate":{{"rawBytes":"{}"}}"#, B64.encode(der))
        }
        V2Signer::Key(der) => format!(r#""publicKey":{{"rawBytes":"{}"}}"#, B64.encode(der)),
    };
    Ok(format!(
        r#"{{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{{"hashedRekordV002":{{"data":{{"algorithm":"{algorithm_name}","digest":"{}"}},"signature":{{"content":"{}","verifier":{{"keyDetails":"{details}",{verifier}}}}}}}}}}}"#,
        B64.encode(digest),
        B64.encode(signature),
    )
    .into_bytes())
}

/// The DER inside a PEM document (a certificate or a public key). Lenient about line length:
/// some signers write the base64 on one line, which strict RFC 7468 parsers refuse.
fn pem_to_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    if !lines.next()?.starts_with("-----BEGIN ") {
        return None;
    }
    let mut base64 = String::new();
    for line in lines {
        if line.starts_with("-----END ") {
            return B64.decode(base64).ok();
        }
        base64.push_str(line);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inclusion_proofs_follow_rfc_9162() {
        // A 3-leaf tree: root = node(node(l0, l1), l2).
        let leaves: Vec<[u8; 32]> = [b"a", b"b", b"c"].iter().map(|b| leaf_hash(*b)).collect();
        let left = node_hash(&leaves[0], &leaves[1]);
        let root = node_hash(&left, &leaves[2]);
        assert!(verify_inclusion(
            &leaves[0],
            0,
            3,
            &[leaves[1].to_vec(), leaves[2].to_vec()],
            &root
        ));
        assert!(verify_inclusion(&leaves[2], 2, 3, &[left.to_vec()], &root));
        assert!(!verify_inclusion(
            &leaves[2],
            2,
            3,
            &[leaves[0].to_vec()],
            &root
        ));
        assert!(
            !verify_inclusion(&leaves[0], 3, 3, &[], &root),
            "index past the size"
        );
        assert!(!verify_inclusion(&leaves[0], -1, 3, &[], &root));
    }

    #[test]
    fn notes_are_parsed_strictly() {
        let good = "origin\n1\nAAAA\n\n\u{2014} origin AAAAAAE=\n";
        assert_eq!(parse_note(good).unwrap().signatures.len(), 1);
        for bad in [
            "origin\n1\nAAAA\n\n",
            "origin\n1\nAAAA\n\n\u{2014} origin AAAAAAE=",
            "origin\n1\nAAAA\n\n- origin AAAAAAE=\n",
            "origin\n1\nAAAA\n\n\u{2014} origin AAAA\n",
            "ori\rgin\n1\nAAAA\n\n\u{2014} origin AAAAAAE=\n",
        ] {
            assert!(parse_note(bad).is_err(), "{bad:?}");
        }
        assert!(is_rekor_v1_checkpoint(
            "rekor.sigstore.dev - 2605736670972794746\n23083062\nAAAA\n\n"
        ));
        assert!(!is_rekor_v1_checkpoint(
            "log2025-1.rekor.sigstore.dev\n736\nAAAA\n\n"
        ));
    }
}
