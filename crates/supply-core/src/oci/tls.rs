//! TLS trust for registries: the system's roots plus the user's CA file under the normal chain
//! rules, and one addition that curl, docker, skopeo and Go make too: a server certificate that
//! is byte for byte one the user listed in the CA file is accepted as itself, still only for the
//! host names and IPs it names and within its validity dates. That is what a certificate made
//! the common way (`openssl req -x509 … -addext subjectAltName=IP:…`, which OpenSSL 3 marks
//! `CA:TRUE`) needs: the chain rules refuse it as `CaUsedAsEndEntity`. Every other certificate
//! goes through the chain rules unchanged.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use x509_cert::der::Decode as _;

/// A client configuration trusting the system's roots and `extra` (from a CA file).
pub(crate) fn client_config(
    extra: &[CertificateDer<'static>],
) -> Result<rustls::ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    // Unreadable system certificates are skipped, as every TLS client does.
    let _ = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    for certificate in extra {
        roots
            .add(certificate.clone())
            .map_err(|e| format!("a certificate in it cannot be used: {e}"))?;
    }
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| format!("no usable trust anchors: {e}"))?;
    let verifier = Arc::new(PinnedOrChain {
        chain,
        pinned: extra.to_vec(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

/// The chain rules, then exact-certificate trust for what the user listed.
#[derive(Debug)]
struct PinnedOrChain {
    chain: Arc<WebPkiServerVerifier>,
    pinned: Vec<CertificateDer<'static>>,
}

impl ServerCertVerifier for PinnedOrChain {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.chain.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Ok(verified) => Ok(verified),
            Err(error)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                verify_pinned(end_entity, server_name, now)
                    .map(|()| ServerCertVerified::assertion())
                    .map_err(|pinned| match pinned {
                        Some(reason) => rustls::Error::InvalidCertificate(reason),
                        None => error,
                    })
            }
            Err(error) => Err(error),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

/// A listed certificate is valid for this host (its SANs) and at this time (its dates).
/// `Err(None)`: it does not even parse, so the chain's own error is the better report.
fn verify_pinned(
    certificate: &CertificateDer<'_>,
    server_name: &ServerName<'_>,
    now: UnixTime,
) -> Result<(), Option<CertificateError>> {
    let parsed = webpki::EndEntityCert::try_from(certificate).map_err(|_| None)?;
    parsed
        .verify_is_valid_for_subject_name(server_name)
        .map_err(|_| Some(CertificateError::NotValidForName))?;
    let decoded = x509_cert::Certificate::from_der(certificate.as_ref()).map_err(|_| None)?;
    let validity = &decoded.tbs_certificate.validity;
    let now = now.as_secs();
    if now < validity.not_before.to_unix_duration().as_secs() {
        return Err(Some(CertificateError::NotValidYet));
    }
    if now > validity.not_after.to_unix_duration().as_secs() {
        return Err(Some(CertificateError::Expired));
    }
    Ok(())
}
