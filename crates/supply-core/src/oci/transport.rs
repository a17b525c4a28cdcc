//! The HTTP exchange under every registry call: authentication on challenge (bearer tokens,
//! basic), retries with backoff on 429/5xx and connection errors (honouring `Retry-After`),
//! HTTPS with a plain-HTTP fallback only where allowed, bounded body reads, and the count of
//! exchanges.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use reqwest::{Method, StatusCode, Url};
use zeroize::Zeroizing;

use super::api::{self, Challenge};
use super::auth::{self, Credentials};
use super::{Reference, RegistryClient, RegistryError};

/// A request, retryable because its body is cheap to clone.
pub(crate) struct Request<'a> {
    pub(crate) method: Method,
    pub(crate) reference: &'a Reference,
    /// Path (and query) below the registry root, starting with `/`. URLs the registry sends
    /// are resolved to such a path first, and refused when they name another origin
    /// ([`api::same_origin_path`]).
    pub(crate) path: String,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Bytes>,
    pub(crate) push: bool,
}

impl<'a> Request<'a> {
    /// A body-less pull request for `path` in the reference's registry.
    pub(crate) fn new(method: Method, reference: &'a Reference, path: impl Into<String>) -> Self {
        Self {
            method,
            reference,
            path: path.into(),
            headers: HeaderMap::new(),
            body: None,
            push: false,
        }
    }

    /// Sets the headers.
    pub(crate) fn with_headers(mut self, headers: HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// Sets the body.
    pub(crate) fn body(mut self, body: Bytes) -> Self {
        self.body = Some(body);
        self
    }

    /// Asks for push rights (the token scope `pull,push`).
    pub(crate) fn push(mut self) -> Self {
        self.push = true;
        self
    }
}

impl RegistryClient {
    /// Sends a request: authenticates on a challenge, retries transient failures.
    pub(crate) async fn send(
        &self,
        request: Request<'_>,
    ) -> Result<reqwest::Response, RegistryError> {
        let registry = request.reference.registry().to_owned();
        let scope = api::scope(request.reference.repository(), request.push);
        let mut authenticated_once = false;
        loop {
            let response = self.send_with_retries(&request, &scope).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            // A challenge from anywhere but the registry itself (a blob store it redirected us
            // to, say) must not get the registry's credentials: CVE-2020-15157's pattern.
            let origin = self.origin(request.reference)?;
            if !api::same_origin(response.url(), &origin) {
                return Err(RegistryError::Unauthorized {
                    registry,
                    detail: format!(
                        ": {} (where the registry redirected) asked for credentials; the registry's are sent to the registry only",
                        crate::text::printable(response.url().host_str().unwrap_or("another host"))
                    ),
                });
            }
            if authenticated_once {
                return Err(RegistryError::Unauthorized {
                    registry,
                    detail: ": the credentials were rejected".into(),
                });
            }
            authenticated_once = true;
            let challenge = header_text(response.headers(), WWW_AUTHENTICATE.as_str())
                .and_then(|h| api::parse_challenge(&h));
            tracing::debug!(
                registry,
                scheme = match &challenge {
                    Some(Challenge::Bearer { .. }) => "bearer",
                    Some(Challenge::Basic) => "basic",
                    None => "unknown",
                },
                "registry asked for credentials"
            );
            let credentials = self.credentials(&registry).await?;
            let authorization = match challenge {
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope: asked,
                }) => {
                    self.fetch_token(
                        request.reference,
                        &origin,
                        &realm,
                        service.as_deref(),
                        asked.as_deref().unwrap_or(&scope),
                        credentials.as_ref(),
                    )
                    .await?
                }
                Some(Challenge::Basic) => match &credentials {
                    Some(credentials) => credentials.basic_header(),
                    None => return Err(unauthorized_without_credentials(&registry)),
                },
                None => {
                    return Err(RegistryError::Unauthorized {
                        registry,
                        detail: ": it sent no challenge we understand".into(),
                    });
                }
            };
            self.lock_tokens().insert(
                (registry.clone(), scope.clone()),
                Zeroizing::new(authorization),
            );
        }
    }

    async fn fetch_token(
        &self,
        reference: &Reference,
        origin: &Url,
        realm: &str,
        service: Option<&str>,
        scope: &str,
        credentials: Option<&Credentials>,
    ) -> Result<String, RegistryError> {
        let registry = reference.registry().to_owned();
        let realm_url = Url::parse(realm)
            .ok()
            .filter(|url| matches!(url.scheme(), "https" | "http"))
            .ok_or_else(|| RegistryError::Protocol {
                registry: registry.clone(),
                message: format!(
                    "token realm {:?} is not an http(s) URL",
                    crate::text::printable(realm)
                ),
            })?;
        // Credentials sent over plain HTTP for a registry reached over TLS would be a downgrade.
        if origin.scheme() == "https"
            && realm_url.scheme() == "http"
            && !self.options.allow_insecure
        {
            return Err(RegistryError::InsecureRealm {
                registry,
                realm: crate::text::printable(realm).into_owned(),
            });
        }
        let mut query = vec![("scope", scope)];
        if let Some(service) = service {
            query.push(("service", service));
        }
        let mut builder = self.http.get(realm_url).query(&query);
        if let Some(credentials) = credentials {
            builder = builder.basic_auth(credentials.username(), Some(credentials.secret()));
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        let response = builder
            .send()
            .await
            .map_err(|source| connect_error(&registry, source))?;
        if response.status() == StatusCode::UNAUTHORIZED
            || response.status() == StatusCode::FORBIDDEN
        {
            return Err(match credentials {
                Some(_) => RegistryError::Unauthorized {
                    registry,
                    detail: ": the token service rejected the credentials".into(),
                },
                None => unauthorized_without_credentials(&registry),
            });
        }
        let what = format!("token from {realm}");
        let response = self
            .expect_success(reference, "GET", response, &what)
            .await?;
        let body = self
            .read_limited(reference, response, 1024 * 1024, &what)
            .await?;
        let token: api::TokenResponse =
            serde_json::from_slice(&body).map_err(|e| RegistryError::Protocol {
                registry: registry.clone(),
                message: format!("token response is not JSON: {e}"),
            })?;
        token
            .into_token()
            .map(|t| format!("Bearer {t}"))
            .ok_or(RegistryError::Protocol {
                registry,
                message: "token response has no token".into(),
            })
    }

    /// The credentials for `registry`: the explicit ones, else the docker config's, looked up
    /// once per client and off the async executor (a credential helper is a process we wait
    /// for).
    async fn credentials(&self, registry: &str) -> Result<Option<Credentials>, RegistryError> {
        if let Some(credentials) = &self.options.credentials {
            return Ok(Some(credentials.clone()));
        }
        let Some(path) = self.options.docker_config.clone() else {
            return Ok(None);
        };
        // Held across the lookup, so concurrent requests ask the helper once.
        let mut found = self.found_credentials.lock().await;
        if let Some(credentials) = found.get(registry) {
            return Ok(credentials.clone());
        }
        let owned = registry.to_owned();
        let credentials =
            tokio::task::spawn_blocking(move || auth::from_docker_config(&path, &owned))
                .await
                .map_err(|e| RegistryError::CredentialHelper {
                    helper: "(docker config)".into(),
                    message: format!("the lookup did not finish: {e}"),
                })??;
        tracing::debug!(
            registry,
            found = credentials.is_some(),
            "credentials looked up in the docker config"
        );
        found.insert(registry.to_owned(), credentials.clone());
        Ok(credentials)
    }

    async fn send_with_retries(
        &self,
        request: &Request<'_>,
        scope: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let registry = request.reference.registry();
        let mut attempt = 0;
        loop {
            let result = self.send_once(request, scope).await;
            // The path only: queries can carry upload state, and headers carry credentials.
            match &result {
                Ok(response) => tracing::debug!(
                    registry,
                    method = %request.method,
                    path = %path_only(&request.path),
                    status = response.status().as_u16(),
                    "registry request"
                ),
                Err(error) => tracing::debug!(
                    registry,
                    method = %request.method,
                    path = %path_only(&request.path),
                    %error,
                    "registry request failed"
                ),
            }
            let retry_wait = match &result {
                Ok(response)
                    if response.status() == StatusCode::TOO_MANY_REQUESTS
                        || response.status().is_server_error() =>
                {
                    let asked = header_text(response.headers(), RETRY_AFTER.as_str())
                        .and_then(|v| api::retry_after(&v, self.options.max_backoff));
                    Some(asked.unwrap_or_else(|| self.backoff(attempt)))
                }
                Err(RegistryError::Connect { source, .. }) if !source.is_timeout() => {
                    Some(self.backoff(attempt))
                }
                _ => None,
            };
            match retry_wait {
                Some(wait) if attempt < self.options.max_retries => {
                    attempt += 1;
                    tracing::info!(
                        registry,
                        attempt,
                        wait_ms = wait.as_millis() as u64,
                        "retrying"
                    );
                    tokio::time::sleep(wait).await;
                }
                _ => {
                    return result.map_err(|e| match e {
                        RegistryError::Connect { source, .. } if source.is_timeout() => {
                            RegistryError::Timeout {
                                registry: registry.to_owned(),
                                method: request.method.to_string(),
                                path: path_only(&request.path),
                                seconds: self.options.request_timeout.as_secs(),
                            }
                        }
                        other => other,
                    });
                }
            }
        }
    }

    async fn send_once(
        &self,
        request: &Request<'_>,
        scope: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let registry = request.reference.registry();
        let host = request.reference.api_host();
        let plain = self.lock_plain().get(registry).copied();
        let may_use_http = self.options.allow_insecure || is_loopback(host);
        let use_http = plain.unwrap_or(false);
        let result = self
            .exchange(request, scope, if use_http { "http" } else { "https" })
            .await;
        match result {
            // A loopback (or explicitly insecure) registry that does not speak TLS: try HTTP once
            // and remember the answer.
            Err(ref error @ RegistryError::Connect { ref source, .. })
                if plain.is_none()
                    && may_use_http
                    && !source.is_timeout()
                    && !plain_http_cannot_help(error) =>
            {
                let retry = self.exchange(request, scope, "http").await;
                if retry.is_ok() {
                    self.lock_plain().insert(registry.to_owned(), true);
                }
                retry
            }
            other => {
                if other.is_ok() && plain.is_none() {
                    self.lock_plain().insert(registry.to_owned(), false);
                }
                other
            }
        }
    }

    async fn exchange(
        &self,
        request: &Request<'_>,
        scope: &str,
        scheme: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let registry = request.reference.registry();
        if !request.path.starts_with('/') {
            return Err(RegistryError::Protocol {
                registry: registry.to_owned(),
                message: format!(
                    "refusing a request path that does not start with `/`: {:?}",
                    crate::text::printable(&request.path)
                ),
            });
        }
        let url = format!(
            "{scheme}://{}{}",
            request.reference.api_host(),
            request.path
        );
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .headers(request.headers.clone());
        let authorization = self
            .lock_tokens()
            .get(&(registry.to_owned(), scope.to_owned()))
            .cloned();
        if let Some(authorization) = authorization {
            let mut value =
                HeaderValue::from_str(&authorization).map_err(|_| RegistryError::Protocol {
                    registry: registry.to_owned(),
                    message: "the token service answered a token that is not a header value".into(),
                })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        self.round_trips.fetch_add(1, Ordering::Relaxed);
        builder
            .send()
            .await
            .map_err(|source| connect_error(registry, source))
    }

    /// The origin (scheme, host, port) the registry is spoken to at; HTTPS until plain HTTP
    /// was found to be what it speaks.
    pub(crate) fn origin(&self, reference: &Reference) -> Result<Url, RegistryError> {
        let plain = self
            .lock_plain()
            .get(reference.registry())
            .copied()
            .unwrap_or(false);
        let scheme = if plain { "http" } else { "https" };
        Url::parse(&format!("{scheme}://{}/", reference.api_host())).map_err(|e| {
            RegistryError::Protocol {
                registry: reference.registry().to_owned(),
                message: format!("the registry host is not a URL host: {e}"),
            }
        })
    }

    /// Turns a non-2xx response into an error naming the registry and what was asked.
    pub(crate) async fn expect_success(
        &self,
        reference: &Reference,
        method: &str,
        response: reqwest::Response,
        what: &str,
    ) -> Result<reqwest::Response, RegistryError> {
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status == StatusCode::NOT_FOUND {
            return Err(RegistryError::NotFound {
                what: what.to_owned(),
            });
        }
        let path = path_only(response.url().path());
        let body = self
            .read_limited(reference, response, 16 * 1024, what)
            .await
            .unwrap_or_default();
        Err(RegistryError::Status {
            registry: reference.registry().to_owned(),
            method: method.to_owned(),
            path,
            status: status.as_u16(),
            detail: error_detail(&body),
        })
    }

    /// Reads a body, refusing more than `limit` bytes (checked against `Content-Length` first,
    /// then while streaming, so a lying or missing length cannot get past it).
    pub(crate) async fn read_limited(
        &self,
        reference: &Reference,
        mut response: reqwest::Response,
        limit: u64,
        what: &str,
    ) -> Result<Vec<u8>, RegistryError> {
        let too_large = || RegistryError::TooLarge {
            what: what.to_owned(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|length| length > limit)
        {
            return Err(too_large());
        }
        let path = path_only(response.url().as_str());
        let mut body = Vec::new();
        loop {
            let chunk = response.chunk().await.map_err(|source| {
                if source.is_timeout() {
                    RegistryError::Timeout {
                        registry: reference.registry().to_owned(),
                        method: "GET".into(),
                        path: path.clone(),
                        seconds: self.options.request_timeout.as_secs(),
                    }
                } else {
                    RegistryError::Connect {
                        registry: reference.registry().to_owned(),
                        source,
                    }
                }
            })?;
            let Some(chunk) = chunk else { return Ok(body) };
            if body.len() as u64 + chunk.len() as u64 > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options
            .initial_backoff
            .saturating_mul(1 << attempt.min(16))
            .min(self.options.max_backoff)
    }

    fn lock_tokens(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, String), Zeroizing<String>>> {
        // A poisoned lock only means another task panicked mid-insert; the map is still usable.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_plain(&self) -> std::sync::MutexGuard<'_, HashMap<String, bool>> {
        self.plain_http
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn unauthorized_without_credentials(registry: &str) -> RegistryError {
    RegistryError::Unauthorized {
        registry: registry.to_owned(),
        detail: ": no credentials found for it".into(),
    }
}

/// A failed exchange; a refused redirect is a decision of ours, not a connection failure to
/// retry.
fn connect_error(registry: &str, source: reqwest::Error) -> RegistryError {
    if let Some(reason) = certificate_problem(&source) {
        return RegistryError::UntrustedCertificate {
            registry: registry.to_owned(),
            reason,
        };
    }
    if source.is_redirect() {
        return RegistryError::Redirect {
            registry: registry.to_owned(),
            to: source
                .url()
                .map(|u| crate::text::printable(u.as_str()).into_owned())
                .unwrap_or_default(),
        };
    }
    RegistryError::Connect {
        registry: registry.to_owned(),
        source,
    }
}

pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// `: <message>` from a distribution error body (`{"errors":[{"code","message"}]}`), bounded.
fn error_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        code: Option<String>,
        message: Option<String>,
    }
    let Ok(errors) = serde_json::from_slice::<Errors>(body) else {
        return String::new();
    };
    let text: Vec<String> = errors
        .errors
        .iter()
        .map(|e| {
            let text = format!(
                "{} {}",
                e.code.as_deref().unwrap_or_default(),
                e.message.as_deref().unwrap_or_default()
            );
            crate::text::printable(text.trim()).into_owned()
        })
        .collect();
    if text.is_empty() {
        String::new()
    } else {
        format!(
            ": {}",
            text.join("; ").chars().take(300).collect::<String>()
        )
    }
}

/// The path of a request, without a query that may carry upload state.
fn path_only(path: &str) -> String {
    let path = path
        .split_once("://")
        .map_or(path, |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
    path.split('?').next().unwrap_or_default().to_owned()
}

/// Whether plain HTTP cannot help after this HTTPS failure: the server's certificate was
/// refused (it speaks TLS; falling back would be a downgrade), or the name did not resolve
/// (HTTP would fail the same way, and its error would hide the real one).
fn plain_http_cannot_help(error: &RegistryError) -> bool {
    match error {
        RegistryError::UntrustedCertificate { .. } => true,
        RegistryError::Connect { source, .. } => {
            let mut cause: Option<&dyn std::error::Error> = Some(source);
            while let Some(current) = cause {
                if current.to_string().contains("dns error") {
                    return true;
                }
                cause = current.source();
            }
            false
        }
        _ => false,
    }
}

/// The certificate problem behind a failed exchange, if that is what it was. rustls's error
/// sits inside `io::Error`s (hyper wraps one in another), whose `source()` skips the error they
/// carry, so each `io::Error` is opened with `get_ref` too.
fn certificate_problem(error: &reqwest::Error) -> Option<String> {
    fn search(error: &(dyn std::error::Error + 'static), depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        if let Some(rustls::Error::InvalidCertificate(reason)) =
            error.downcast_ref::<rustls::Error>()
        {
            return Some(format!("{reason:?}"));
        }
        if let Some(inner) = error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && let Some(found) = search(inner, depth + 1)
        {
            return Some(found);
        }
        search(error.source()?, depth + 1)
    }
    search(error, 0)
}

fn is_loopback(host: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.parse::<u16>().is_ok() => name,
        _ => host,
    };
    let name = name.trim_start_matches('[').trim_end_matches(']');
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["ghcr.io", "10.0.0.1:5000", "localhost.example"] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn error_bodies_are_summarised() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        assert_eq!(error_detail(body), ": MANIFEST_UNKNOWN manifest unknown");
        assert_eq!(error_detail(b"<html>"), "");
        // Regression: registry text reached the terminal raw (escape sequences, CR).
        let hostile = br#"{"errors":[{"code":"DENIED","message":"\u001b[2J\roverwritten"}]}"#;
        assert_eq!(error_detail(hostile), r": DENIED \u{1b}[2J\u{d}overwritten");
        assert_eq!(
            path_only("http://h:5000/v2/a/blobs/uploads/x?_state=secret"),
            "/v2/a/blobs/uploads/x"
        );
    }
}
