//! Keyless signing, the network edge of Sigstore: an ephemeral P-256 key held only in memory,
//! an OIDC identity token, a Fulcio certificate for the key, a Rekor entry for each signature
//! and, when a timestamp authority is configured, an RFC 3161 timestamp. Every answer is
//! checked before it is used: the certificate must chain to the trusted root with a valid SCT,
//! certify our key and carry the token's identity; each bundle is then verified as a verifier
//! would (log entry body against what we signed, SET, inclusion proof and checkpoint,
//! timestamps) before it is handed back, so nothing unverified reaches a registry or a file.

mod ca;
pub mod http;
pub mod services;
mod timestamp;
mod tlog;
pub mod token;

use std::sync::Arc;

use crate::attest::dsse::{self, IN_TOTO_PAYLOAD_TYPE};
use crate::attest::intoto::Statement;
use crate::digest::Digest;
use crate::keys::SigningKey;
use crate::sigstore::bundle::{Bundle, Content, HashAlgorithm, Material};
use crate::sigstore::fulcio::Leaf;
use crate::sigstore::identity::{Identity, Matcher};
use crate::sigstore::verify::{Artifact, Expected, verify_bundle};
use crate::sigstore::{TrustedRoot, now};
pub use http::Http;
pub use services::Services;
pub use token::IdentityToken;

/// Keyless signing failed; nothing was written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeylessError {
    /// The identity token is unusable (never quoted).
    #[error("the identity token is not usable: {reason}")]
    Token {
        /// Why.
        reason: String,
    },
    /// The signing configuration is unusable.
    #[error("the signing configuration is not usable: {reason}")]
    SigningConfig {
        /// Why.
        reason: String,
    },
    /// A service could not be reached.
    #[error("{service} at {url} could not be reached: {reason}")]
    Service {
        /// Which service.
        service: &'static str,
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A service did not answer in time.
    #[error("{service} at {url} did not answer in time")]
    Timeout {
        /// Which service.
        service: &'static str,
        /// Its URL.
        url: String,
    },
    /// A service refused the request.
    #[error("{service} at {url} refused the request (HTTP {status}): {message}")]
    Refused {
        /// Which service.
        service: &'static str,
        /// Its URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The service's message (printable, shortened).
        message: String,
    },
    /// A service answered something we cannot read.
    #[error("{service} at {url} answered something unreadable: {reason}")]
    BadAnswer {
        /// Which service.
        service: &'static str,
        /// Its URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// What a service returned does not check out (certificate, log entry, timestamp).
    #[error("{service} returned something that does not verify: {reason}")]
    Untrusted {
        /// Which service's answer.
        service: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An internal failure (encoding what we built).
    #[error("keyless signing failed: {0}")]
    Internal(String),
    /// The blocking facade could not run the work.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl crate::error::Classify for KeylessError {
    fn kind(&self) -> crate::ErrorKind {
        use crate::ErrorKind;
        match self {
            Self::Token { .. } | Self::SigningConfig { .. } => ErrorKind::InvalidInput,
            Self::Service { .. } | Self::BadAnswer { .. } => ErrorKind::Network,
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Refused {
                status: 401 | 403, ..
            } => ErrorKind::Unauthorized,
            Self::Refused { status, .. } if *status < 500 => ErrorKind::InvalidInput,
            Self::Refused { .. } => ErrorKind::Network,
            // A service that answers with something that does not verify "answered badly":
            // nothing was signed, and another attempt (or instance) may succeed.
            Self::Untrusted { .. } => ErrorKind::Network,
            Self::Internal(_) => ErrorKind::Internal,
            Self::Blocking(e) => crate::error::Classify::kind(e),
        }
    }
}

/// How to sign keylessly.
#[derive(Clone, Debug)]
pub struct KeylessOptions {
    /// Fulcio, Rekor and the optional timestamp authority.
    pub services: Services,
    /// The trusted root the answers are checked against (it must hold the services' keys).
    pub trusted_root: Arc<TrustedRoot>,
    /// Per-request timeout.
    pub timeout: std::time::Duration,
}

/// An ephemeral key with its Fulcio certificate, ready to sign (one certificate per run, as
/// cosign does: several signatures share it). The key is zeroized when this is dropped.
pub struct KeylessSigner {
    http: Http,
    services: Services,
    root: Arc<TrustedRoot>,
    key: SigningKey,
    chain: Vec<Vec<u8>>,
    identity: Identity,
    subject: String,
    issuer: String,
}

impl std::fmt::Debug for KeylessSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "KeylessSigner({} from {}, <key redacted>)",
            self.subject, self.issuer
        )
    }
}

impl KeylessSigner {
    /// Makes an ephemeral key and gets it certified for `token`'s identity.
    pub async fn new(
        options: &KeylessOptions,
        token: &IdentityToken,
    ) -> Result<Self, KeylessError> {
        Self::with_http(options, token, Http::new(options.timeout)?).await
    }

    /// As [`new`](Self::new), on a client the caller already has (the one that fetched the
    /// token, say).
    pub async fn with_http(
        options: &KeylessOptions,
        token: &IdentityToken,
        http: Http,
    ) -> Result<Self, KeylessError> {
        token.check_fresh(now())?;
        let key = SigningKey::generate();
        let chain =
            ca::request_certificate(&http, &options.services.fulcio_endpoint(), token, &key)
                .await?;
        let leaf_der = chain.first().cloned().unwrap_or_default();
        let (subject, issuer) = check_certificate(&leaf_der, &key, token, &options.trusted_root)?;
        tracing::info!(subject, issuer, "Fulcio certificate verified");
        Ok(Self {
            http,
            services: options.services.clone(),
            root: Arc::clone(&options.trusted_root),
            key,
            chain,
            identity: Identity {
                subject: Matcher::Exact(subject.clone()),
                issuer: Matcher::Exact(issuer.clone()),
                extensions: Default::default(),
            },
            subject,
            issuer,
        })
    }

    /// The certified identity and its issuer.
    pub fn identity(&self) -> (&str, &str) {
        (&self.subject, &self.issuer)
    }

    /// The certificate chain Fulcio returned, DER, leaf first.
    pub fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn leaf(&self) -> Vec<u8> {
        self.chain.first().cloned().unwrap_or_default()
    }

    /// A v0.3 bundle with a message signature over `artifact`.
    pub async fn sign_artifact(&self, artifact: &[u8]) -> Result<Bundle, KeylessError> {
        let signature = self.key.sign(artifact);
        let sha256 = Digest::sha256(artifact).to_bytes();
        let proposed = tlog::Proposed::HashedRekord {
            sha256: &sha256,
            signature: &signature,
        };
        let content = Content::MessageSignature {
            algorithm: HashAlgorithm::Sha256,
            digest: sha256.clone(),
            signature: signature.clone(),
        };
        self.finish(content, &proposed, &signature, Artifact::Bytes(artifact))
            .await
    }

    /// A v0.3 bundle with a DSSE envelope over `statement` (in-toto).
    pub async fn sign_statement(&self, statement: &Statement) -> Result<Bundle, KeylessError> {
        let payload = statement.to_json();
        let envelope = dsse::sign(&self.key, IN_TOTO_PAYLOAD_TYPE, &payload);
        let envelope_json = envelope.to_json();
        let signature = crate::sigstore::encoding::base64(
            envelope.signatures.first().map_or("", |s| s.sig.as_str()),
        )
        .map_err(|e| KeylessError::Internal(e.to_string()))?;
        let proposed = tlog::Proposed::Dsse {
            envelope: &envelope_json,
        };
        let content = Content::Dsse {
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            payload: payload.clone(),
            signatures: vec![(String::new(), signature.clone())],
        };
        // The statement's subject digest is what a verifier matches the envelope against.
        let artifact = statement
            .subject
            .first()
            .and_then(|s| s.digest.get("sha256"))
            .and_then(|hex| format!("sha256:{hex}").parse::<Digest>().ok())
            .map(|d| d.to_bytes())
            .unwrap_or_default();
        self.finish(content, &proposed, &signature, Artifact::Sha256(&artifact))
            .await
    }

    async fn finish(
        &self,
        content: Content,
        proposed: &tlog::Proposed<'_>,
        signature: &[u8],
        artifact: Artifact<'_>,
    ) -> Result<Bundle, KeylessError> {
        let leaf = self.leaf();
        let entry =
            tlog::upload(&self.http, &self.services.rekor_endpoint(), proposed, &leaf).await?;
        tracing::info!(
            log_index = entry.log_index,
            kind = entry.kind,
            "Rekor entry"
        );
        let mut timestamps = Vec::new();
        if let Some(url) = &self.services.tsa {
            timestamps.push(timestamp::timestamp(&self.http, url, signature).await?);
        }
        let bundle = Bundle {
            minor_version: 3,
            material: Material::Certificate(leaf),
            tlog_entries: vec![entry],
            timestamps,
            content,
        };
        let expected = Expected::Identity(self.identity.clone());
        verify_bundle(&bundle, artifact, &expected, &self.root, now()).map_err(|findings| {
            KeylessError::Untrusted {
                service: "Rekor or the timestamp authority",
                reason: findings
                    .iter()
                    .map(|f| format!("{}: {}", f.code, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
            }
        })?;
        Ok(bundle)
    }
}

/// The certificate must certify `key`, carry the token's issuer and one of the identities its
/// claims give, and chain to the trusted root now with a valid SCT. Returns its identity.
fn check_certificate(
    der: &[u8],
    key: &SigningKey,
    token: &IdentityToken,
    root: &TrustedRoot,
) -> Result<(String, String), KeylessError> {
    let untrusted = |reason: String| KeylessError::Untrusted {
        service: "Fulcio",
        reason,
    };
    let leaf = Leaf::parse(der).map_err(|e| untrusted(e.to_string()))?;
    if leaf.key != key.verifying_key() {
        return Err(untrusted("the certificate is for another key".into()));
    }
    let claims = token.claims();
    let issuer = leaf.issuer.clone().unwrap_or_default();
    if issuer != claims.iss {
        return Err(untrusted(format!(
            "the certificate's issuer is {issuer:?}, the token's {:?}",
            claims.iss
        )));
    }
    let subject = leaf.subject.clone().unwrap_or_default();
    if !token.expected_subjects().contains(&subject) {
        return Err(untrusted(format!(
            "the certificate is for {subject:?}, not the token's identity"
        )));
    }
    leaf.check_code_signing()
        .map_err(|e| untrusted(e.to_string()))?;
    let time = leaf.not_before;
    let issuer_der = leaf
        .verify_chain(root, time)
        .map_err(|e| untrusted(e.to_string()))?;
    leaf.verify_sct(&issuer_der, root)
        .map_err(|e| untrusted(e.to_string()))?;
    Ok((subject, issuer))
}
