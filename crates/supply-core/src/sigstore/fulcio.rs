//! Fulcio certificates: the leaf's identity (its subject alternative name and the
//! 1.3.6.1.4.1.57264.1.x extensions), its profile (digital signature, code signing, not a CA),
//! its chain to a CA of the trusted root at a given time (webpki path validation), and the
//! signed certificate timestamps (SCTs) a CT log of the trusted root gave it.

use std::collections::BTreeMap;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, UnixTime};
use sha2::{Digest as _, Sha256};
use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages, SubjectAltName,
};

use super::trust_root::{CertificateAuthority, TrustedRoot};
use crate::keys::VerifyingKey;

/// The Fulcio OID arc.
const FULCIO_ARC: &str = "1.3.6.1.4.1.57264.1.";
const OTHER_NAME_USERNAME: &str = "1.3.6.1.4.1.57264.1.7";
const SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
const CODE_SIGNING: &str = "1.3.6.1.5.5.7.3.3";
/// id-kp-codeSigning, DER content bytes (for webpki).
pub(crate) const CODE_SIGNING_DER: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x03];

/// A certificate that cannot be used as a signer.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateProblem {
    /// Not a certificate we can read.
    #[error("the certificate does not parse: {0}")]
    Malformed(String),
    /// Not a code-signing leaf (key usage, extended key usage, or a CA).
    #[error("the certificate is not for code signing: {0}")]
    Usage(&'static str),
    /// No chain to a CA of the trusted root, valid at the time.
    #[error("the certificate does not chain to a trusted Fulcio CA valid at {time}: {reason}")]
    Chain {
        /// The time checked (Unix seconds).
        time: i64,
        /// Why.
        reason: String,
    },
    /// No valid SCT from a trusted CT log.
    #[error("no signed certificate timestamp from a trusted CT log verifies: {0}")]
    Sct(&'static str),
    /// The identity cannot be read (no SAN, two different issuers).
    #[error("the certificate's identity cannot be read: {0}")]
    Identity(&'static str),
}

/// A parsed leaf certificate.
#[derive(Clone, Debug)]
pub struct Leaf {
    /// The DER.
    pub der: Vec<u8>,
    /// Its key.
    pub key: VerifyingKey,
    /// notBefore, Unix seconds.
    pub not_before: i64,
    /// notAfter, Unix seconds.
    pub not_after: i64,
    /// The identity cosign and sigstore-go match: the first URI SAN, else the first email, else
    /// Fulcio's username otherName.
    pub subject: Option<String>,
    /// The OIDC issuer (extension …1.8, else …1.1).
    pub issuer: Option<String>,
    /// Every Fulcio extension, by OID, decoded to text.
    pub extensions: BTreeMap<String, String>,
    certificate: x509_cert::Certificate,
}

impl Leaf {
    /// Parses a DER certificate and reads its identity.
    pub fn parse(der: &[u8]) -> Result<Self, CertificateProblem> {
        let certificate = x509_cert::Certificate::from_der(der)
            .map_err(|e| CertificateProblem::Malformed(e.to_string()))?;
        let tbs = &certificate.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| CertificateProblem::Malformed(e.to_string()))?;
        let key = VerifyingKey::from_der(&spki)
            .map_err(|_| CertificateProblem::Malformed("an unsupported public key".into()))?;
        let mut subject = None;
        let mut issuer_v1 = None;
        let mut issuer_v2 = None;
        let mut extensions = BTreeMap::new();
        for extension in tbs.extensions.iter().flatten() {
            let oid = extension.extn_id.to_string();
            let value = extension.extn_value.as_bytes();
            if oid == "2.5.29.17" {
                subject = san_identity(value)?;
            } else if let Some(arc) = oid.strip_prefix(FULCIO_ARC) {
                // …1.1–1.6 hold the raw string; …1.8 and later a DER string.
                let text = match arc.parse::<u32>() {
                    Ok(1..=6) => String::from_utf8(value.to_vec()).ok(),
                    _ => der_string(value),
                };
                let Some(text) = text else {
                    return Err(CertificateProblem::Malformed(format!(
                        "extension {oid} is not a string"
                    )));
                };
                match arc {
                    "1" => issuer_v1 = Some(text.clone()),
                    "8" => issuer_v2 = Some(text.clone()),
                    _ => {}
                }
                extensions.insert(oid, text);
            }
        }
        let issuer = match (issuer_v1, issuer_v2) {
            (Some(v1), Some(v2)) if v1 != v2 => {
                return Err(CertificateProblem::Identity(
                    "two different issuer extensions",
                ));
            }
            (v1, v2) => v2.or(v1),
        };
        Ok(Self {
            der: der.to_vec(),
            key,
            not_before: tbs.validity.not_before.to_unix_duration().as_secs() as i64,
            not_after: tbs.validity.not_after.to_unix_duration().as_secs() as i64,
            subject,
            issuer,
            extensions,
            certificate,
        })
    }

    /// Whether the certificate is valid at `time` (both ends included).
    pub fn valid_at(&self, time: i64) -> bool {
        self.not_before <= time && time <= self.not_after
    }

    /// The code-signing profile: key usage digital signature, extended key usage code signing,
    /// not a CA.
    pub fn check_code_signing(&self) -> Result<(), CertificateProblem> {
        let mut digital_signature = false;
        let mut code_signing = false;
        for extension in self.certificate.tbs_certificate.extensions.iter().flatten() {
            let value = extension.extn_value.as_bytes();
            match extension.extn_id.to_string().as_str() {
                "2.5.29.15" => {
                    let usage = KeyUsage::from_der(value)
                        .map_err(|_| CertificateProblem::Usage("its key usage does not parse"))?;
                    digital_signature = usage.0.contains(KeyUsages::DigitalSignature);
                }
                "2.5.29.37" => {
                    let usage = ExtendedKeyUsage::from_der(value).map_err(|_| {
                        CertificateProblem::Usage("its extended key usage does not parse")
                    })?;
                    code_signing = usage.0.iter().any(|oid| oid.to_string() == CODE_SIGNING);
                }
                "2.5.29.19" => {
                    let constraints = BasicConstraints::from_der(value).map_err(|_| {
                        CertificateProblem::Usage("its basic constraints do not parse")
                    })?;
                    if constraints.ca {
                        return Err(CertificateProblem::Usage("it is a CA certificate"));
                    }
                }
                _ => {}
            }
        }
        if !digital_signature {
            return Err(CertificateProblem::Usage("no digital-signature key usage"));
        }
        if !code_signing {
            return Err(CertificateProblem::Usage(
                "no code-signing extended key usage",
            ));
        }
        Ok(())
    }

    /// Verifies the chain to one of the root's Fulcio CAs valid at `time`; returns the DER of
    /// the certificate that issued the leaf.
    pub fn verify_chain(
        &self,
        root: &TrustedRoot,
        time: i64,
    ) -> Result<Vec<u8>, CertificateProblem> {
        let mut reason = "the trusted root has no Fulcio CA valid then".to_owned();
        for ca in root
            .certificate_authorities
            .iter()
            .filter(|ca| ca.valid.contains(time))
        {
            match verify_path(&self.der, ca, time, CODE_SIGNING_DER) {
                Ok(()) => {
                    return issuer_of(&self.certificate, ca).ok_or(CertificateProblem::Chain {
                        time,
                        reason: "no issuer in the CA's chain".into(),
                    });
                }
                Err(e) => reason = e,
            }
        }
        Err(CertificateProblem::Chain { time, reason })
    }

    /// Verifies the embedded SCTs: at least one must be from a CT log of the root, signed over
    /// the precertificate (this TBS without the SCT list) and the issuer's key hash.
    pub fn verify_sct(
        &self,
        issuer_der: &[u8],
        root: &TrustedRoot,
    ) -> Result<(), CertificateProblem> {
        let tbs = &self.certificate.tbs_certificate;
        let list = tbs
            .extensions
            .iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == SCT_LIST)
            .ok_or(CertificateProblem::Sct("the certificate has none"))?;
        // The extension value is an OCTET STRING holding the TLS-encoded list.
        let inner = x509_cert::der::asn1::OctetString::from_der(list.extn_value.as_bytes())
            .map_err(|_| CertificateProblem::Sct("the SCT list does not parse"))?;
        let scts = parse_sct_list(inner.as_bytes())
            .ok_or(CertificateProblem::Sct("the SCT list does not parse"))?;
        let mut precert = tbs.clone();
        precert.extensions = precert.extensions.map(|list| {
            list.into_iter()
                .filter(|e| e.extn_id.to_string() != SCT_LIST)
                .collect()
        });
        let precert_der = precert
            .to_der()
            .map_err(|_| CertificateProblem::Sct("cannot rebuild the precertificate"))?;
        let issuer = x509_cert::Certificate::from_der(issuer_der)
            .map_err(|_| CertificateProblem::Sct("the issuer does not parse"))?;
        let issuer_spki = issuer
            .tbs_certificate
            .subject_public_key_info
            .to_der()
            .map_err(|_| CertificateProblem::Sct("the issuer key does not encode"))?;
        let issuer_key_hash = Sha256::digest(&issuer_spki);
        for sct in &scts {
            let Some(log) = root.ctlog(&sct.log_id) else {
                continue;
            };
            if sct.version != 0
                || sct.hash_algorithm != 4
                || !log.valid.contains((sct.timestamp / 1000) as i64)
            {
                continue;
            }
            let mut signed = vec![0u8, 0u8];
            signed.extend_from_slice(&sct.timestamp.to_be_bytes());
            signed.extend_from_slice(&1u16.to_be_bytes());
            signed.extend_from_slice(&issuer_key_hash);
            let Ok(length) = u32::try_from(precert_der.len()) else {
                continue;
            };
            signed.extend_from_slice(&length.to_be_bytes()[1..]);
            signed.extend_from_slice(&precert_der);
            signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
            signed.extend_from_slice(&sct.extensions);
            if log.key.verify(&signed, &sct.signature).is_ok() {
                return Ok(());
            }
        }
        Err(CertificateProblem::Sct(
            "none is from a trusted log and verifies",
        ))
    }
}

/// webpki path validation of `leaf` to the CA's last certificate, its others as intermediates,
/// at `time`, requiring extended key usage `eku`.
pub(crate) fn verify_path(
    leaf: &[u8],
    ca: &CertificateAuthority,
    time: i64,
    eku: &'static [u8],
) -> Result<(), String> {
    let (root, intermediates) = ca.chain.split_last().ok_or("an empty CA chain")?;
    let root = CertificateDer::from(root.as_slice());
    let anchor = webpki::anchor_from_trusted_cert(&root).map_err(|e| format!("{e:?}"))?;
    let intermediates: Vec<CertificateDer<'_>> = intermediates
        .iter()
        .map(|c| CertificateDer::from(c.as_slice()))
        .collect();
    let leaf = CertificateDer::from(leaf);
    let end_entity = webpki::EndEntityCert::try_from(&leaf).map_err(|e| format!("{e:?}"))?;
    let time = UnixTime::since_unix_epoch(Duration::from_secs(u64::try_from(time).unwrap_or(0)));
    end_entity
        .verify_for_usage(
            webpki::ALL_VERIFICATION_ALGS,
            &[anchor],
            &intermediates,
            time,
            webpki::KeyUsage::required(eku),
            None,
            None,
        )
        .map(|_| ())
        .map_err(|e| format!("{e:?}"))
}

/// The certificate in the CA's chain whose subject is the leaf's issuer.
fn issuer_of(leaf: &x509_cert::Certificate, ca: &CertificateAuthority) -> Option<Vec<u8>> {
    ca.chain.iter().find_map(|der| {
        let candidate = x509_cert::Certificate::from_der(der).ok()?;
        (candidate.tbs_certificate.subject == leaf.tbs_certificate.issuer).then(|| der.clone())
    })
}

/// The identity in a SAN extension: the first URI, else the first email, else the Fulcio
/// username otherName; `None` when it has none of them.
fn san_identity(value: &[u8]) -> Result<Option<String>, CertificateProblem> {
    let names = SubjectAltName::from_der(value)
        .map_err(|_| CertificateProblem::Identity("the subject alternative name does not parse"))?;
    let mut uri = None;
    let mut email = None;
    let mut username = None;
    for name in &names.0 {
        match name {
            GeneralName::UniformResourceIdentifier(text) if uri.is_none() => {
                uri = Some(text.to_string())
            }
            GeneralName::Rfc822Name(text) if email.is_none() => email = Some(text.to_string()),
            GeneralName::OtherName(other) if other.type_id.to_string() == OTHER_NAME_USERNAME => {
                // `[0] EXPLICIT UTF8String`, carried as the value's content.
                username = der_string(other.value.value());
            }
            _ => {}
        }
    }
    Ok(uri.or(email).or(username))
}

/// The text of a DER string value (UTF8String, PrintableString, IA5String, …), or `None`.
fn der_string(der: &[u8]) -> Option<String> {
    let (&tag, rest) = der.split_first()?;
    if !matches!(tag, 0x0c | 0x12 | 0x13 | 0x14 | 0x16 | 0x1a | 0x1e) {
        return None;
    }
    let (&length, rest) = rest.split_first()?;
    let (length, rest) = if length < 0x80 {
        (usize::from(length), rest)
    } else {
        let count = usize::from(length & 0x7f);
        let (bytes, rest) = rest.split_at_checked(count)?;
        (
            bytes.iter().fold(0usize, |n, &b| (n << 8) | usize::from(b)),
            rest,
        )
    };
    (rest.len() == length).then(|| String::from_utf8(rest.to_vec()).ok())?
}

/// One signed certificate timestamp.
struct Sct {
    version: u8,
    log_id: Vec<u8>,
    timestamp: u64,
    extensions: Vec<u8>,
    hash_algorithm: u8,
    signature: Vec<u8>,
}

/// The TLS-encoded `SignedCertificateTimestampList`.
fn parse_sct_list(bytes: &[u8]) -> Option<Vec<Sct>> {
    let mut reader = Reader(bytes);
    let mut list = Reader(reader.take_u16_prefixed()?);
    if !reader.0.is_empty() {
        return None;
    }
    let mut scts = Vec::new();
    while !list.0.is_empty() {
        let mut sct = Reader(list.take_u16_prefixed()?);
        let version = sct.take(1)?.first().copied()?;
        let log_id = sct.take(32)?.to_vec();
        let timestamp = u64::from_be_bytes(sct.take(8)?.try_into().ok()?);
        let extensions = sct.take_u16_prefixed()?.to_vec();
        let hash_algorithm = sct.take(1)?.first().copied()?;
        let _signature_algorithm = sct.take(1)?;
        let signature = sct.take_u16_prefixed()?.to_vec();
        if !sct.0.is_empty() {
            return None;
        }
        scts.push(Sct {
            version,
            log_id,
            timestamp,
            extensions,
            hash_algorithm,
            signature,
        });
    }
    Some(scts)
}

/// Reads a TLS byte string without ever indexing past its end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn take_u16_prefixed(&mut self) -> Option<&'a [u8]> {
        let length = u16::from_be_bytes(self.take(2)?.try_into().ok()?);
        self.take(usize::from(length))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf(name: &str) -> Leaf {
        let path = format!(
            "{}/../../testdata/sigstore/certs/{name}.der",
            env!("CARGO_MANIFEST_DIR")
        );
        Leaf::parse(&std::fs::read(path).unwrap()).unwrap()
    }

    #[test]
    fn only_code_signing_leaves_sign() {
        let accepted = leaf("code-signing");
        accepted.check_code_signing().unwrap();
        assert_eq!(accepted.subject.as_deref(), Some("test@example.com"));
        for (name, reason) in [
            ("server-auth", "no code-signing extended key usage"),
            ("no-digital-signature", "no digital-signature key usage"),
            ("ca", "it is a CA certificate"),
        ] {
            assert_eq!(
                leaf(name).check_code_signing(),
                Err(CertificateProblem::Usage(reason)),
                "{name}"
            );
        }
    }

    #[test]
    fn der_strings_and_sct_lists_never_read_past_their_end() {
        assert_eq!(der_string(&[0x0c, 0x02, b'o', b'k']).as_deref(), Some("ok"));
        assert_eq!(der_string(&[0x0c, 0x05, b'o']), None);
        assert_eq!(der_string(&[0x0c]), None);
        assert_eq!(der_string(&[0x04, 0x01, b'x']), None, "not a string type");
        assert!(parse_sct_list(&[0x00, 0x05, 0x00]).is_none());
        assert!(parse_sct_list(&[]).is_none());
        assert_eq!(parse_sct_list(&[0x00, 0x00]).map(|l| l.len()), Some(0));
    }
}
