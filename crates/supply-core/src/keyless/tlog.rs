//! Rekor v1's `POST /api/v1/log/entries`: a `hashedrekord` entry for a message signature, a
//! `dsse` entry for an envelope, each with the certificate; the answer becomes the bundle's log
//! entry (body, integrated time, SET, inclusion proof with its checkpoint), which the caller
//! verifies like any other before it is used.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::KeylessError;
use super::http::Http;
use crate::sigstore::bundle::{InclusionProof, TlogEntry};
use crate::sigstore::encoding;

const MAX_ENTRY_BYTES: usize = 1024 * 1024;
const SERVICE: &str = "Rekor";

/// What is logged.
pub(crate) enum Proposed<'a> {
    /// A signature over an artifact's SHA-256 digest.
    HashedRekord {
        /// The artifact's SHA-256.
        sha256: &'a [u8],
        /// The signature.
        signature: &'a [u8],
    },
    /// A DSSE envelope (its JSON as signed).
    Dsse {
        /// The envelope JSON.
        envelope: &'a [u8],
    },
}

fn pem_certificate(der: &[u8]) -> Result<String, KeylessError> {
    pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
        .map_err(|e| KeylessError::Internal(e.to_string()))
}

/// The proposed entry's JSON.
fn proposed_json(proposed: &Proposed<'_>, certificate: &[u8]) -> Result<Value, KeylessError> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let verifier = b64(pem_certificate(certificate)?.as_bytes());
    Ok(match proposed {
        Proposed::HashedRekord { sha256, signature } => json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": encoding::hex(sha256)}},
                "signature": {"content": b64(signature), "publicKey": {"content": verifier}},
            },
        }),
        Proposed::Dsse { envelope } => json!({
            "apiVersion": "0.0.1",
            "kind": "dsse",
            "spec": {
                "proposedContent": {
                    "envelope": String::from_utf8_lossy(envelope),
                    "verifiers": [verifier],
                },
            },
        }),
    })
}

/// Logs the entry at `endpoint`.
pub(crate) async fn upload(
    http: &Http,
    endpoint: &str,
    proposed: &Proposed<'_>,
    certificate: &[u8],
) -> Result<TlogEntry, KeylessError> {
    let body = proposed_json(proposed, certificate)?;
    let request = http.post_json(endpoint, &body);
    let answer = http
        .send(SERVICE, endpoint, request, MAX_ENTRY_BYTES)
        .await?;
    let bytes = answer.expect(SERVICE, endpoint, &[200, 201])?;
    parse_entry(&bytes).map_err(|reason| KeylessError::BadAnswer {
        service: SERVICE,
        url: endpoint.to_owned(),
        reason,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    body: String,
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    log_index: i64,
    verification: Option<RawVerification>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVerification {
    signed_entry_timestamp: Option<String>,
    inclusion_proof: Option<RawProof>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProof {
    log_index: i64,
    root_hash: String,
    tree_size: i64,
    #[serde(default)]
    hashes: Vec<String>,
    checkpoint: String,
}

fn hex(text: &str) -> Result<Vec<u8>, String> {
    encoding::hex_decode(text)
        .ok_or_else(|| format!("{:?} is not hex", crate::text::printable(text)))
}

/// Rekor's answer: `{"<uuid>": {body, integratedTime, logID, logIndex, verification}}`.
fn parse_entry(bytes: &[u8]) -> Result<TlogEntry, String> {
    let map: serde_json::Map<String, Value> =
        serde_json::from_slice(bytes).map_err(|e| format!("does not parse: {e}"))?;
    let mut values = map.into_iter();
    let (Some((_, value)), None) = (values.next(), values.next()) else {
        return Err("not exactly one entry".into());
    };
    let raw: RawEntry =
        serde_json::from_value(value).map_err(|e| format!("the entry does not parse: {e}"))?;
    let body = encoding::base64(&raw.body).map_err(|e| format!("its body: {e}"))?;
    let kind: Value =
        serde_json::from_slice(&body).map_err(|_| "its body is not JSON".to_owned())?;
    let field = |name: &str| kind.get(name).and_then(Value::as_str).map(str::to_owned);
    let (Some(kind_name), Some(version)) = (field("kind"), field("apiVersion")) else {
        return Err("its body has no kind or apiVersion".into());
    };
    let verification = raw.verification.ok_or("no verification data")?;
    let set = verification
        .signed_entry_timestamp
        .map(|s| encoding::base64(&s))
        .transpose()
        .map_err(|e| format!("its signed entry timestamp: {e}"))?;
    let proof = verification
        .inclusion_proof
        .map(|p| -> Result<InclusionProof, String> {
            Ok(InclusionProof {
                log_index: p.log_index,
                root_hash: hex(&p.root_hash)?,
                tree_size: p.tree_size,
                hashes: p.hashes.iter().map(|h| hex(h)).collect::<Result<_, _>>()?,
                checkpoint: p.checkpoint,
            })
        })
        .transpose()?;
    Ok(TlogEntry {
        log_index: raw.log_index,
        log_id: hex(&raw.log_id)?,
        kind: kind_name,
        version,
        integrated_time: raw.integrated_time,
        signed_entry_timestamp: set,
        inclusion_proof: proof,
        body,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_answer_becomes_a_log_entry() {
        let body = base64::engine::general_purpose::STANDARD
            .encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}"#);
        let answer = format!(
            r#"{{"24296fb2": {{"body": "{body}", "integratedTime": 1700000000, "logID": "c0d2", "logIndex": 7,
               "verification": {{"signedEntryTimestamp": "AAEC", "inclusionProof": {{"logIndex": 7, "rootHash": "00ff", "treeSize": 8, "hashes": ["01"], "checkpoint": "cp"}}}}}}}}"#
        );
        let entry = parse_entry(answer.as_bytes()).unwrap();
        assert_eq!(
            (entry.kind.as_str(), entry.version.as_str()),
            ("hashedrekord", "0.0.1")
        );
        assert_eq!(entry.log_id, [0xc0, 0xd2]);
        assert_eq!(entry.signed_entry_timestamp.unwrap(), [0, 1, 2]);
        let proof = entry.inclusion_proof.unwrap();
        assert_eq!((proof.tree_size, proof.hashes), (8, vec![vec![1]]));
    }

    #[test]
    fn malformed_answers_are_errors() {
        for answer in [
            "{}",
            r#"{"a": {}, "b": {}}"#,
            r#"{"a": {"body": "!!", "integratedTime": 1, "logID": "00", "logIndex": 0}}"#,
            r#"{"a": {"body": "e30=", "integratedTime": 1, "logID": "0g", "logIndex": 0, "verification": {}}}"#,
        ] {
            assert!(parse_entry(answer.as_bytes()).is_err(), "{answer}");
        }
    }
}
