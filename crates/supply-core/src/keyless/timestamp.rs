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
    let mut random = [0u8; 16];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut random);
    request_with_nonce(signature, random)
}

/// The request with `nonce` made a positive INTEGER whose DER is minimal: top bit clear and
/// first byte non-zero. (A first byte of 0 followed by one below 0x80 is not DER; a TSA echoes
/// the nonce as sent, and the strict parser then refuses the whole TSTInfo — one timestamp in
/// 256 failed that way.)
fn request_with_nonce(signature: &[u8], mut nonce: [u8; 16]) -> Result<Vec<u8>, KeylessError> {
    if let Some(first) = nonce.first_mut() {
        *first = (*first & 0x7f) | 0x01;
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

    #[test]
    fn the_nonce_is_minimal_der_whatever_the_random_bytes() {
        for first in [[0x00, 0x12], [0x00, 0x80], [0x80, 0x00], [0xff, 0xff]] {
            let mut random = [0x5a; 16];
            random[..2].copy_from_slice(&first);
            let der = request_with_nonce(b"signature", random).unwrap();
            let parsed = x509_tsp::TimeStampReq::from_der(&der)
                .unwrap_or_else(|e| panic!("{first:02x?}: {e}"));
            let nonce = parsed.nonce.as_ref().unwrap();
            assert_eq!(nonce.as_bytes().len(), 16, "{first:02x?}");
            assert_eq!(parsed.to_der().unwrap(), der);
        }
    }
}
