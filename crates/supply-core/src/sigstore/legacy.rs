//! cosign's legacy keyless layer annotations (`dev.sigstore.cosign/certificate`, `…/chain`,
//! `…/bundle`, `…/rfc3161timestamp` on a `.sig` or `.att` layer) read as the Sigstore bundle
//! they amount to, so one verifier checks both formats the same way.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

use super::bundle::{Bundle, Content, Material, TlogEntry};
use super::encoding;

/// The leaf certificate (PEM).
pub const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The issuing chain (PEM); never trusted, the path comes from the trusted root.
pub const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// Rekor's signed entry timestamp and entry.
pub const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";
/// An RFC 3161 timestamp over the signature.
pub const TIMESTAMP_ANNOTATION: &str = "dev.sigstore.cosign/rfc3161timestamp";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RekorBundle {
    signed_entry_timestamp: String,
    payload: RekorPayload,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RekorPayload {
    body: String,
    integrated_time: i64,
    log_index: i64,
    #[serde(rename = "logID")]
    log_id: String,
}

#[derive(Deserialize)]
struct Timestamp {
    #[serde(rename = "SignedRFC3161Timestamp")]
    signed: String,
}

/// Whether a layer carries a keyless certificate.
pub fn is_keyless(annotations: &BTreeMap<String, String>) -> bool {
    annotations
        .get(CERTIFICATE_ANNOTATION)
        .is_some_and(|c| !c.is_empty())
}

/// The bundle a legacy layer's annotations amount to, over `content`; `Err` says what is
/// missing or malformed.
pub fn bundle_from_annotations(
    annotations: &BTreeMap<String, String>,
    content: Content,
) -> Result<Bundle, &'static str> {
    let certificate = annotations
        .get(CERTIFICATE_ANNOTATION)
        .ok_or("no certificate annotation")?;
    let der = pem_der(certificate).ok_or("the certificate annotation is not a PEM certificate")?;
    let mut tlog_entries = Vec::new();
    if let Some(text) = annotations.get(BUNDLE_ANNOTATION).filter(|t| !t.is_empty()) {
        let rekor: RekorBundle =
            serde_json::from_str(text).map_err(|_| "the bundle annotation does not parse")?;
        let body =
            encoding::base64(&rekor.payload.body).map_err(|_| "the logged body is not base64")?;
        let parsed: serde_json::Value =
            serde_json::from_slice(&body).map_err(|_| "the logged body is not JSON")?;
        let field = |name: &str| {
            parsed
                .get(name)
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        let log_id = encoding::hex_decode(&rekor.payload.log_id).ok_or("the log id is not hex")?;
        tlog_entries.push(TlogEntry {
            log_index: rekor.payload.log_index,
            log_id,
            kind: field("kind"),
            version: field("apiVersion"),
            integrated_time: rekor.payload.integrated_time,
            signed_entry_timestamp: Some(
                encoding::base64(&rekor.signed_entry_timestamp)
                    .map_err(|_| "the SET is not base64")?,
            ),
            inclusion_proof: None,
            body,
        });
    }
    let mut timestamps = Vec::new();
    if let Some(text) = annotations
        .get(TIMESTAMP_ANNOTATION)
        .filter(|t| !t.is_empty())
    {
        let timestamp: Timestamp =
            serde_json::from_str(text).map_err(|_| "the timestamp annotation does not parse")?;
        timestamps
            .push(encoding::base64(&timestamp.signed).map_err(|_| "the timestamp is not base64")?);
    }
    Ok(Bundle {
        minor_version: 1,
        material: Material::Certificate(der),
        tlog_entries,
        timestamps,
        content,
    })
}

/// cosign's legacy annotations for a keyless bundle (the inverse of
/// [`bundle_from_annotations`]): the leaf, the issuing `chain` (DER, as Fulcio returned it),
/// the first log entry's SET and body, the first timestamp.
pub fn annotations_from_bundle(bundle: &Bundle, chain: &[Vec<u8>]) -> BTreeMap<String, String> {
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let pem = |der: &[u8]| {
        pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
            .unwrap_or_default()
    };
    let mut annotations = BTreeMap::new();
    if let Material::Certificate(der) = &bundle.material {
        annotations.insert(CERTIFICATE_ANNOTATION.to_owned(), pem(der));
    }
    annotations.insert(
        CHAIN_ANNOTATION.to_owned(),
        chain.iter().map(|der| pem(der)).collect::<String>(),
    );
    if let Some(entry) = bundle.tlog_entries.first()
        && let Some(set) = &entry.signed_entry_timestamp
    {
        let value = serde_json::json!({
            "SignedEntryTimestamp": b64(set),
            "Payload": {
                "body": b64(&entry.body),
                "integratedTime": entry.integrated_time,
                "logIndex": entry.log_index,
                "logID": encoding::hex(&entry.log_id),
            },
        });
        annotations.insert(BUNDLE_ANNOTATION.to_owned(), value.to_string());
    }
    if let Some(timestamp) = bundle.timestamps.first() {
        annotations.insert(
            TIMESTAMP_ANNOTATION.to_owned(),
            serde_json::json!({"SignedRFC3161Timestamp": b64(timestamp)}).to_string(),
        );
    }
    annotations
}

/// The first certificate of a PEM text.
fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")?;
    let body = pem.get(start + "-----BEGIN CERTIFICATE-----".len()..)?;
    let end = body.find("-----END CERTIFICATE-----")?;
    let text: String = body.get(..end)?.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotations(log_id: &str) -> BTreeMap<String, String> {
        let body = base64::engine::general_purpose::STANDARD
            .encode(br#"{"apiVersion":"0.0.1","kind":"hashedrekord"}"#);
        BTreeMap::from([
            (
                CERTIFICATE_ANNOTATION.to_owned(),
                "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n".to_owned(),
            ),
            (
                BUNDLE_ANNOTATION.to_owned(),
                format!(
                    r#"{{"SignedEntryTimestamp":"AAEC","Payload":{{"body":"{body}","integratedTime":1,"logIndex":2,"logID":"{log_id}"}}}}"#
                ),
            ),
        ])
    }

    /// An odd-length or signed log id was read in part ("c0d" as `c0`); it is refused.
    #[test]
    fn the_log_id_must_be_whole_hex() {
        let content = || Content::MessageSignature {
            algorithm: super::super::bundle::HashAlgorithm::Sha256,
            digest: vec![0; 32],
            signature: vec![1],
        };
        let bundle = bundle_from_annotations(&annotations("c0d2"), content()).unwrap();
        assert_eq!(bundle.tlog_entries[0].log_id, [0xc0, 0xd2]);
        for bad in ["c0d", "+c0d", "zz"] {
            assert!(
                bundle_from_annotations(&annotations(bad), content()).is_err(),
                "{bad}"
            );
        }
    }
}
