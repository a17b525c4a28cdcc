//! RFC 3161 timestamps from a timestamp authority of the trusted root: the response parsed, its
//! CMS signature over the signed attributes verified with the signer's certificate, the signer
//! chained to the authority at the time it states (with the timestamping usage, and pinned to
//! the authority's own leaf when the root names one), and the imprint checked against the
//! signature it stamps. The time it gives is what keyless certificates are checked at.

use cms::cert::CertificateChoices;
use cms::signed_data::{SignedData, SignerIdentifier};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};

use super::bundle::HashAlgorithm;
use super::fulcio::verify_path;
use super::trust_root::{CertificateAuthority, TrustedRoot};
use crate::keys::VerifyingKey;

const SIGNED_DATA: &str = "1.2.840.113549.1.7.2";
const TST_INFO: &str = "1.2.840.113549.1.9.16.1.4";
const MESSAGE_DIGEST: &str = "1.2.840.113549.1.9.4";
const TIME_STAMPING: &str = "1.3.6.1.5.5.7.3.8";
const TIME_STAMPING_DER: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08];

/// Why a timestamp does not give a trusted time.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TimestampProblem {
    /// Not a timestamp response we read.
    #[error("the timestamp does not parse: {0}")]
    Malformed(&'static str),
    /// The authority did not grant it.
    #[error("the timestamp authority did not grant the timestamp")]
    NotGranted,
    /// It stamps something else than this signature.
    #[error("the timestamp is not about this signature")]
    Imprint,
    /// No authority of the trusted root signed it (valid at its time).
    #[error("no trusted timestamp authority signed it at its time: {0}")]
    Untrusted(String),
}

/// Verifies one `TimeStampResp` over `signature`; returns its time (Unix seconds).
pub fn verify_timestamp(
    response: &[u8],
    signature: &[u8],
    root: &TrustedRoot,
) -> Result<i64, TimestampProblem> {
    let malformed = TimestampProblem::Malformed;
    let response = x509_tsp::TimeStampResp::from_der(response)
        .map_err(|_| malformed("not a TimeStampResp"))?;
    if response.status.status != cmpv2::status::PkiStatus::Accepted {
        return Err(TimestampProblem::NotGranted);
    }
    let token = response.time_stamp_token.ok_or(malformed("no token"))?;
    if token.content_type.to_string() != SIGNED_DATA {
        return Err(malformed("the token is not CMS signed data"));
    }
    let signed = SignedData::from_der(&token.content.to_der().map_err(|_| malformed("the token"))?)
        .map_err(|_| malformed("the token is not CMS signed data"))?;
    if signed.encap_content_info.econtent_type.to_string() != TST_INFO {
        return Err(malformed("the token does not hold TSTInfo"));
    }
    let content = signed
        .encap_content_info
        .econtent
        .as_ref()
        .ok_or(malformed("the token has no TSTInfo"))?;
    let tst_der = x509_cert::der::asn1::OctetString::from_der(
        &content.to_der().map_err(|_| malformed("TSTInfo"))?,
    )
    .map_err(|_| malformed("TSTInfo is not an octet string"))?;
    let info = x509_tsp::TstInfo::from_der(tst_der.as_bytes())
        .map_err(|_| malformed("TSTInfo does not parse"))?;
    let imprint_hash = hash_for_oid(&info.message_imprint.hash_algorithm.oid.to_string())
        .ok_or(malformed("an unsupported imprint hash"))?;
    if info.message_imprint.hashed_message.as_bytes() != imprint_hash.digest(signature) {
        return Err(TimestampProblem::Imprint);
    }
    let time = info.gen_time.to_unix_duration().as_secs() as i64;
    let embedded: Vec<Vec<u8>> = signed
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|choice| match choice {
            CertificateChoices::Certificate(c) => c.to_der().ok(),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let mut reason = "the trusted root has no timestamp authority valid then".to_owned();
    for authority in root
        .timestamp_authorities
        .iter()
        .filter(|a| a.valid.contains(time))
    {
        match verify_with(&signed, tst_der.as_bytes(), &embedded, authority, time) {
            Ok(()) => return Ok(time),
            Err(why) => reason = why,
        }
    }
    Err(TimestampProblem::Untrusted(reason))
}

/// The CMS signature and the signer's chain against one authority.
fn verify_with(
    signed: &SignedData,
    tst_der: &[u8],
    embedded: &[Vec<u8>],
    authority: &CertificateAuthority,
    time: i64,
) -> Result<(), String> {
    let signer_info = signed.signer_infos.0.iter().next().ok_or("no signer")?;
    let SignerIdentifier::IssuerAndSerialNumber(sid) = &signer_info.sid else {
        return Err("the signer is named by key identifier".into());
    };
    // The authority's leaf is pinned when its chain starts with a non-CA certificate.
    let pinned = authority.chain.first().filter(|der| !is_ca(der)).cloned();
    let candidates: Vec<&Vec<u8>> = embedded.iter().chain(pinned.iter()).collect();
    let signer_der = candidates
        .into_iter()
        .find(|der| {
            x509_cert::Certificate::from_der(der).is_ok_and(|c| {
                c.tbs_certificate.issuer == sid.issuer
                    && c.tbs_certificate.serial_number == sid.serial_number
            })
        })
        .ok_or("no certificate for the signer")?;
    if pinned.as_ref().is_some_and(|p| p != signer_der) {
        return Err("the signer is not the authority's certificate".into());
    }
    let signer = x509_cert::Certificate::from_der(signer_der).map_err(|e| e.to_string())?;
    check_timestamping_leaf(&signer)?;
    // Signed attributes: the message digest of the content, then the signature over them.
    let attributes = signer_info
        .signed_attrs
        .as_ref()
        .ok_or("no signed attributes")?;
    let digest_hash =
        hash_for_oid(&signer_info.digest_alg.oid.to_string()).ok_or("an unsupported digest")?;
    let message_digest = attributes
        .iter()
        .find(|a| a.oid.to_string() == MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| x509_cert::der::asn1::OctetString::from_der(&v.to_der().ok()?).ok())
        .ok_or("no message digest attribute")?;
    if message_digest.as_bytes() != digest_hash.digest(tst_der) {
        return Err("the message digest attribute is not the content's".into());
    }
    let signature_hash = match signer_info.signature_algorithm.oid.to_string().as_str() {
        "1.2.840.10045.4.3.2" | "1.2.840.113549.1.1.11" => HashAlgorithm::Sha256,
        "1.2.840.10045.4.3.3" | "1.2.840.113549.1.1.12" => HashAlgorithm::Sha384,
        "1.2.840.10045.4.3.4" | "1.2.840.113549.1.1.13" => HashAlgorithm::Sha512,
        "1.2.840.113549.1.1.1" => digest_hash,
        _ => return Err("an unsupported signature algorithm".into()),
    };
    let attributes_der = attributes.to_der().map_err(|e| e.to_string())?;
    let key_der = signer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|e| e.to_string())?;
    let key = VerifyingKey::from_der(&key_der).map_err(|e| e.to_string())?;
    key.verify_digest(
        &signature_hash.digest(&attributes_der),
        signer_info.signature.as_bytes(),
    )
    .map_err(|e| e.to_string())?;
    // The chain at the stated time: the authority's intermediates and the token's certificates.
    let mut chain = embedded.to_vec();
    chain.extend(
        authority
            .chain
            .iter()
            .skip(usize::from(pinned.is_some()))
            .cloned(),
    );
    let path = CertificateAuthority {
        uri: authority.uri.clone(),
        chain,
        valid: authority.valid,
    };
    verify_path(signer_der, &path, time, TIME_STAMPING_DER)
}

/// A timestamping leaf: not a CA, a critical extended key usage of exactly timeStamping.
fn check_timestamping_leaf(certificate: &x509_cert::Certificate) -> Result<(), String> {
    let mut eku_ok = false;
    for extension in certificate.tbs_certificate.extensions.iter().flatten() {
        let value = extension.extn_value.as_bytes();
        match extension.extn_id.to_string().as_str() {
            "2.5.29.19" if BasicConstraints::from_der(value).is_ok_and(|b| b.ca) => {
                return Err("the signer is a CA".into());
            }
            "2.5.29.37" => {
                let usage = ExtendedKeyUsage::from_der(value).map_err(|e| e.to_string())?;
                eku_ok = extension.critical
                    && usage.0.len() == 1
                    && usage.0.iter().all(|oid| oid.to_string() == TIME_STAMPING);
            }
            _ => {}
        }
    }
    if eku_ok {
        Ok(())
    } else {
        Err("the signer's extended key usage is not exactly a critical timeStamping".into())
    }
}

fn is_ca(der: &[u8]) -> bool {
    x509_cert::Certificate::from_der(der).is_ok_and(|c| {
        c.tbs_certificate.extensions.iter().flatten().any(|e| {
            e.extn_id.to_string() == "2.5.29.19"
                && BasicConstraints::from_der(e.extn_value.as_bytes()).is_ok_and(|b| b.ca)
        })
    })
}

fn hash_for_oid(oid: &str) -> Option<HashAlgorithm> {
    match oid {
        "2.16.840.1.101.3.4.2.1" => Some(HashAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Some(HashAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Some(HashAlgorithm::Sha512),
        _ => None,
    }
}
