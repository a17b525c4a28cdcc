//! RFC 3161 timestamps for a signature: a DER `TimeStampReq` over the signature's SHA-256 with
//! a random nonce, sent as `application/timestamp-query`; the DER `TimeStampResp` goes into the
//! bundle once the bundle verifies with it.

use x509_cert::der::Encode as _;
use x509_cert::der::asn1::{Int, OctetString};
use x509_cert::spki::AlgorithmIdentifier;

use super::KeylessError;
use super::http::Http;
use crate::digest::Digest;

const SHA256_OID: x509_cert::der::oid::ObjectIdentifier =
    x509_cert::der::oid::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const MAX_RESPONSE_BYTES: usize = 128 * 1024;
const SERVICE: &str = "timestamp authority";

fn request(signature: &[u8]) -> Result<Vec<u8>, KeylessError> {
    let mut nonce = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut nonce);
    // A positive INTEGER: clear the top bit.
    if let Some(first) = nonce.first_mut() {
        *first &= 0x7f;
    }
    let internal = |e: x509_cert::der::Error| KeylessError::Internal(e.to_string());
    let request = x509_tsp::TimeStampReq {
        version: x509_tsp::TspVersion::V1,
        message_imprint: x509_tsp::MessageImprint {
            hash_algorithm: AlgorithmIdentifier {
                oid: SHA256_OID,
                parameters: None,
            },
            hashed_message: OctetString::new(Digest::sha256(signature).to_bytes())
                .map_err(internal)?,
        },
        req_policy: None,
        nonce: Some(Int::new(&nonce).map_err(internal)?),
        cert_req: true,
        extensions: None,
    };
    request.to_der().map_err(internal)
}

/// A timestamp over `signature` from the authority at `url`.
pub(crate) async fn timestamp(
    http: &Http,
    url: &str,
    signature: &[u8],
) -> Result<Vec<u8>, KeylessError> {
    let request = http
        .post(url)
        .header("Content-Type", "application/timestamp-query")
        .header("Accept", "application/timestamp-reply")
        .body(request(signature)?);
    let answer = http.send(SERVICE, url, request, MAX_RESPONSE_BYTES).await?;
    answer.expect(SERVICE, url, &[200, 201])
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use x509_cert::der::Decode as _;

    #[test]
    fn the_request_stamps_the_signatures_hash() {
        let der = request(b"signature").unwrap();
        let parsed = x509_tsp::TimeStampReq::from_der(&der).unwrap();
        assert_eq!(
            parsed.message_imprint.hashed_message.as_bytes(),
            Digest::sha256(b"signature").to_bytes()
        );
        assert!(parsed.cert_req && parsed.nonce.is_some());
    }
}
