//! Fulcio's `POST /api/v2/signingCert`: the identity token and the ephemeral public key with a
//! proof of possession (a signature over the token's subject or email) in, a certificate chain
//! with an embedded SCT out. What comes back is checked by the caller before it is used.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use super::KeylessError;
use super::http::Http;
use super::token::IdentityToken;
use crate::keys::SigningKey;

const MAX_CHAIN_BYTES: usize = 256 * 1024;
const SERVICE: &str = "Fulcio";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAnswer {
    signed_certificate_embedded_sct: Option<RawSigned>,
    signed_certificate_detached_sct: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawSigned {
    chain: RawChain,
}

#[derive(Deserialize)]
struct RawChain {
    certificates: Vec<String>,
}

/// Asks Fulcio at `endpoint` for a certificate over `key`'s public half; returns the chain as
/// DER, leaf first.
pub(crate) async fn request_certificate(
    http: &Http,
    endpoint: &str,
    token: &IdentityToken,
    key: &SigningKey,
) -> Result<Vec<Vec<u8>>, KeylessError> {
    let public = key
        .verifying_key()
        .to_pem()
        .map_err(|e| KeylessError::Internal(e.to_string()))?;
    let proof =
        base64::engine::general_purpose::STANDARD.encode(key.sign(token.challenge().as_bytes()));
    let body = json!({
        "credentials": {"oidcIdentityToken": token.secret()},
        "publicKeyRequest": {
            "publicKey": {"algorithm": "ECDSA", "content": public},
            "proofOfPossession": proof,
        },
    });
    let request = http.post_json(endpoint, &body).bearer_auth(token.secret());
    let answer = http
        .send(SERVICE, endpoint, request, MAX_CHAIN_BYTES)
        .await?;
    // Fulcio answers 201 Created; some deployments 200.
    let bytes = answer.expect(SERVICE, endpoint, &[200, 201])?;
    parse_chain(&bytes, endpoint)
}

fn parse_chain(bytes: &[u8], endpoint: &str) -> Result<Vec<Vec<u8>>, KeylessError> {
    let bad = |reason: String| KeylessError::BadAnswer {
        service: SERVICE,
        url: endpoint.to_owned(),
        reason,
    };
    let answer: RawAnswer =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("does not parse: {e}")))?;
    let Some(signed) = answer.signed_certificate_embedded_sct else {
        return Err(bad(if answer.signed_certificate_detached_sct.is_some() {
            "a certificate with a detached SCT (only embedded SCTs are supported)".into()
        } else {
            "no certificate".into()
        }));
    };
    let mut chain = Vec::with_capacity(signed.chain.certificates.len());
    for pem in &signed.chain.certificates {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes())
            .map_err(|_| bad("a certificate that is not PEM".into()))?;
        if label != "CERTIFICATE" {
            return Err(bad(format!("a PEM {label:?} block in the chain")));
        }
        chain.push(der);
    }
    if chain.is_empty() {
        return Err(bad("an empty certificate chain".into()));
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_without_an_embedded_sct_chain_are_errors() {
        for answer in [
            &b"{}"[..],
            br#"{"signedCertificateDetachedSct": {}}"#,
            br#"{"signedCertificateEmbeddedSct": {"chain": {"certificates": []}}}"#,
            br#"{"signedCertificateEmbeddedSct": {"chain": {"certificates": ["not pem"]}}}"#,
            b"<html>",
        ] {
            assert!(parse_chain(answer, "http://f").is_err());
        }
    }
}
