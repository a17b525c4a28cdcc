//! The async registry client: one `reqwest` client (rustls, see `tls`), its options, and the
//! pull operations (resolve, manifests, blobs, tags), each bounded and digest-checked. The
//! exchange under them (authentication, retries, timeouts, counting) is `transport`; pushes
//! are `upload`; referrers are `referrers`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use zeroize::Zeroizing;

use super::api;
use super::auth::Credentials;
use super::manifest::{ACCEPT_MANIFESTS, RawManifest};
use super::transport::{Request, header_text};
use super::{DEFAULT_MAX_BLOB_BYTES, MAX_MANIFEST_BYTES, Reference, RegistryError};
use crate::digest::Digest;

/// How the client connects and authenticates. [`Default`] reads nothing from the environment
/// (no docker config, no `SSL_CERT_FILE`); [`ClientOptions::from_env`] does what the docker
/// CLI and cosign do.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Credentials for every registry (else the docker config, else anonymous).
    pub credentials: Option<Credentials>,
    /// A docker `config.json` to read credentials from (`credHelpers`, `credsStore`, `auths`).
    pub docker_config: Option<PathBuf>,
    /// Extra trusted CA certificates (PEM), besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Allow plain HTTP for every registry (it is always allowed for loopback hosts).
    pub allow_insecure: bool,
    /// Limit on establishing a connection.
    pub connect_timeout: Duration,
    /// Limit on a whole request, body included.
    pub request_timeout: Duration,
    /// Retries after the first attempt for 429, 5xx and connection errors.
    pub max_retries: u32,
    /// First backoff delay; doubled each retry.
    pub initial_backoff: Duration,
    /// Cap on one wait, including a server's `Retry-After`.
    pub max_backoff: Duration,
    /// Largest blob read into memory.
    pub max_blob_bytes: u64,
}

impl ClientOptions {
    /// The defaults plus what the environment says: the docker config
    /// (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`) and `SSL_CERT_FILE`.
    pub fn from_env() -> Self {
        Self {
            docker_config: super::auth::docker_config_path(),
            ca_file: std::env::var_os("SSL_CERT_FILE").map(PathBuf::from),
            ..Self::default()
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        Self {
            credentials: None,
            docker_config: None,
            ca_file: None,
            allow_insecure: false,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_blob_bytes: DEFAULT_MAX_BLOB_BYTES,
        }
    }
}

/// A registry client; cheap to share (`&self` everywhere), caches tokens per scope.
pub struct RegistryClient {
    pub(super) http: reqwest::Client,
    pub(super) options: ClientOptions,
    /// `Authorization` values by (registry, scope): bearer tokens, or `Basic …` when the
    /// registry asked for basic auth. Secret: wiped on drop, never in `Debug`.
    pub(super) tokens: Mutex<HashMap<(String, String), Zeroizing<String>>>,
    /// Registries found to speak plain HTTP.
    pub(super) plain_http: Mutex<HashMap<String, bool>>,
    /// Credentials found for each registry (docker config, credential helpers), asked once
    /// per client: a helper is a process run, and its answer does not change under us.
    pub(super) found_credentials: tokio::sync::Mutex<HashMap<String, Option<Credentials>>>,
    pub(super) round_trips: AtomicU64,
}

impl std::fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scopes = self
            .tokens
            .lock()
            .map(|tokens| tokens.len())
            .unwrap_or_default();
        f.debug_struct("RegistryClient")
            .field("options", &self.options)
            .field("tokens", &format_args!("<{scopes} redacted>"))
            .field("round_trips", &self.round_trips())
            .finish_non_exhaustive()
    }
}

impl RegistryClient {
    /// A client with these options.
    pub fn new(options: ClientOptions) -> Result<Self, RegistryError> {
        let allow_insecure = options.allow_insecure;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            // Redirects (to blob stores) are followed, but never from HTTPS down to plain HTTP:
            // reqwest keeps `Authorization` when only the scheme changes.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                let downgrade = attempt
                    .previous()
                    .last()
                    .is_some_and(|previous| previous.scheme() == "https")
                    && attempt.url().scheme() != "https";
                if attempt.previous().len() >= 10 {
                    attempt.error("too many redirects")
                } else if downgrade && !allow_insecure {
                    attempt.error("redirect from HTTPS to plain HTTP")
                } else {
                    attempt.follow()
                }
            }))
            .user_agent(concat!("supply/", env!("CARGO_PKG_VERSION")));
        let mut extra = Vec::new();
        if let Some(path) = &options.ca_file {
            let ca_error = |reason: String| RegistryError::CaFile {
                path: path.clone(),
                reason,
            };
            let pem = crate::fsio::read_bounded(path, 1024 * 1024)
                .map_err(|e| ca_error(e.to_string()))?;
            for certificate in CertificateDer::pem_slice_iter(&pem) {
                extra.push(certificate.map_err(|e| ca_error(e.to_string()))?);
            }
            if extra.is_empty() {
                return Err(ca_error("no PEM certificate in it".into()));
            }
        }
        let tls = super::tls::client_config(&extra).map_err(|reason| RegistryError::CaFile {
            path: options.ca_file.clone().unwrap_or_default(),
            reason,
        })?;
        builder = builder.use_preconfigured_tls(tls);
        let http = builder.build().map_err(|source| RegistryError::Connect {
            registry: "(client setup)".into(),
            source,
        })?;
        Ok(Self {
            http,
            options,
            tokens: Mutex::new(HashMap::new()),
            plain_http: Mutex::new(HashMap::new()),
            found_credentials: tokio::sync::Mutex::new(HashMap::new()),
            round_trips: AtomicU64::new(0),
        })
    }

    /// HTTP exchanges made so far (each attempt counts, retries and token requests included).
    pub fn round_trips(&self) -> u64 {
        self.round_trips.load(Ordering::Relaxed)
    }

    /// The manifest digest a reference names: its own digest, else the tag resolved with a
    /// `HEAD` (a `GET` when the registry sends no `Docker-Content-Digest`).
    pub async fn resolve(&self, reference: &Reference) -> Result<Digest, RegistryError> {
        if let Some(digest) = reference.digest() {
            return Ok(digest.clone());
        }
        let response = self.send(manifest_request(Method::HEAD, reference)).await?;
        let announced = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<Digest>().ok());
        match (response.status(), announced) {
            (StatusCode::OK, Some(digest)) => Ok(digest),
            (StatusCode::NOT_FOUND, _) => Err(RegistryError::NotFound {
                what: format!("image {reference}"),
            }),
            // Some registries refuse HEAD (405) or omit the header: ask with GET instead.
            (status, _) if status.is_success() || status == StatusCode::METHOD_NOT_ALLOWED => {
                Ok(self.manifest(reference).await?.digest)
            }
            _ => {
                let what = format!("image {reference}");
                self.expect_success(reference, "HEAD", response, &what)
                    .await?;
                Err(RegistryError::Protocol {
                    registry: reference.registry().to_owned(),
                    message: "unexpected answer to HEAD".into(),
                })
            }
        }
    }

    /// Fetches a manifest, at most 4 MiB, checked against the reference's digest (or, for a
    /// tag, against the digest the registry announces).
    pub async fn manifest(&self, reference: &Reference) -> Result<RawManifest, RegistryError> {
        let what = format!("manifest {reference}");
        let response = self.send(manifest_request(Method::GET, reference)).await?;
        let response = self
            .expect_success(reference, "GET", response, &what)
            .await?;
        let media_type = header_text(response.headers(), CONTENT_TYPE.as_str())
            .map(|t| t.split(';').next().unwrap_or_default().trim().to_owned())
            .unwrap_or_default();
        let announced = header_text(response.headers(), "docker-content-digest")
            .and_then(|v| v.parse::<Digest>().ok());
        let bytes = self
            .read_limited(reference, response, MAX_MANIFEST_BYTES, &what)
            .await?;
        let expected = reference.digest().cloned().or(announced);
        if let Some(expected) = expected
            && !expected.matches(&bytes)
        {
            return Err(RegistryError::DigestMismatch {
                what,
                actual: Digest::of(expected.algorithm(), &bytes),
                expected,
            });
        }
        Ok(RawManifest {
            media_type,
            digest: Digest::sha256(&bytes),
            bytes,
        })
    }

    /// Whether a manifest exists (`HEAD`), without fetching it.
    pub async fn manifest_exists(
        &self,
        reference: &Reference,
    ) -> Result<Option<Digest>, RegistryError> {
        match self.resolve(reference).await {
            Ok(digest) => Ok(Some(digest)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Fetches a blob (following redirects to blob stores), bounded and digest-checked.
    pub async fn blob(
        &self,
        reference: &Reference,
        digest: &Digest,
    ) -> Result<Vec<u8>, RegistryError> {
        self.blob_limited(reference, digest, self.options.max_blob_bytes)
            .await
    }

    /// Like [`Self::blob`] with a tighter limit for this read.
    pub async fn blob_limited(
        &self,
        reference: &Reference,
        digest: &Digest,
        limit: u64,
    ) -> Result<Vec<u8>, RegistryError> {
        let limit = limit.min(self.options.max_blob_bytes);
        let path = format!("/v2/{}/blobs/{digest}", reference.repository());
        let what = format!("blob {digest} of {}", reference.repository_name());
        let response = self
            .send(Request::new(Method::GET, reference, path))
            .await?;
        let response = self
            .expect_success(reference, "GET", response, &what)
            .await?;
        let bytes = self.read_limited(reference, response, limit, &what).await?;
        if !digest.matches(&bytes) {
            return Err(RegistryError::DigestMismatch {
                what,
                expected: digest.clone(),
                actual: Digest::of(digest.algorithm(), &bytes),
            });
        }
        Ok(bytes)
    }

    /// Every tag of the repository, following `Link` pagination (bounded at 100 pages).
    pub async fn tags(
        &self,
        reference: &Reference,
        page_size: u32,
    ) -> Result<Vec<String>, RegistryError> {
        let mut tags = Vec::new();
        let mut path = format!("/v2/{}/tags/list?n={page_size}", reference.repository());
        for _ in 0..100 {
            let what = format!("tags of {}", reference.repository_name());
            let response = self
                .send(Request::new(Method::GET, reference, path.clone()))
                .await?;
            let response = self
                .expect_success(reference, "GET", response, &what)
                .await?;
            let next =
                match header_text(response.headers(), "link").and_then(|l| api::next_link(&l)) {
                    None => None,
                    Some(target) => Some(
                        api::same_origin_path(
                            &self.origin(reference)?.join(&path).map_err(|e| {
                                RegistryError::Protocol {
                                    registry: reference.registry().to_owned(),
                                    message: format!("cannot resolve the tag list URL: {e}"),
                                }
                            })?,
                            &target,
                        )
                        .ok_or_else(|| RegistryError::Protocol {
                            registry: reference.registry().to_owned(),
                            message: format!(
                                "its next-page Link points to another origin ({}); not followed",
                                crate::text::printable(&target)
                            ),
                        })?,
                    ),
                };
            let body = self
                .read_limited(reference, response, MAX_MANIFEST_BYTES, &what)
                .await?;
            let page: api::TagList =
                serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                    registry: reference.registry().to_owned(),
                    message: format!("tag list is not JSON: {e}"),
                })?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) if next != path => path = next,
                _ => return Ok(tags),
            }
        }
        Err(RegistryError::Protocol {
            registry: reference.registry().to_owned(),
            message: "more than 100 pages of tags".into(),
        })
    }
}

/// A request for the reference's manifest (its digest, else its tag) accepting every kind we read.
fn manifest_request(method: Method, reference: &Reference) -> Request<'_> {
    let path = format!(
        "/v2/{}/manifests/{}",
        reference.repository(),
        reference.manifest_key()
    );
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static(ACCEPT_MANIFESTS));
    Request::new(method, reference, path).with_headers(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `RegistryClient` derived `Debug`, tokens and `Basic` values included.
    #[test]
    fn debug_shows_no_token() {
        let client = RegistryClient::new(ClientOptions {
            credentials: Some(Credentials::new("alice", "hunter2")),
            ..ClientOptions::default()
        })
        .unwrap();
        client.tokens.lock().unwrap().insert(
            ("r.example".into(), "repository:a:pull".into()),
            Zeroizing::new("Bearer s3cr3t-t0ken".into()),
        );
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("s3cr3t-t0ken") && !shown.contains("hunter2"),
            "{shown}"
        );
        assert!(shown.contains("<1 redacted>"), "{shown}");
    }
}
