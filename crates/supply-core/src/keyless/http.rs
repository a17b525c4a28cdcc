//! HTTP for the signing services: bounded answers, a timeout, and no redirects (a redirect
//! would carry the identity token, or the request bearing it, to another host).

use std::time::Duration;

use super::KeylessError;

/// A client for Fulcio, Rekor, the TSA and token endpoints.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
}

/// A service's answer.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Http {
    /// A client with `timeout` per request.
    pub fn new(timeout: Duration) -> Result<Self, KeylessError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("supply/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| KeylessError::Service {
                service: "HTTP client",
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { client })
    }

    /// Sends a request and reads at most `limit` bytes of the answer, whatever its status.
    pub(crate) async fn send(
        &self,
        service: &'static str,
        url: &str,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Answer, KeylessError> {
        let failed = |e: reqwest::Error| {
            if e.is_timeout() {
                KeylessError::Timeout {
                    service,
                    url: url.to_owned(),
                }
            } else {
                KeylessError::Service {
                    service,
                    url: url.to_owned(),
                    // Without the URL: reqwest's text repeats it, never a header or body.
                    reason: e.without_url().to_string(),
                }
            }
        };
        let response = request.send().await.map_err(failed)?;
        let status = response.status().as_u16();
        // The URL of the service, never the request: its body or header holds the token.
        tracing::debug!(service, url, status, "signing service request");
        let mut body = Vec::new();
        let mut response = response;
        while let Some(chunk) = response.chunk().await.map_err(failed)? {
            if body.len() + chunk.len() > limit {
                return Err(KeylessError::Service {
                    service,
                    url: url.to_owned(),
                    reason: format!("the answer is larger than {limit} bytes"),
                });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    pub(crate) fn post(&self, url: &str) -> reqwest::RequestBuilder {
        self.client.post(url)
    }

    /// A POST of `body` as JSON.
    pub(crate) fn post_json(&self, url: &str, body: &serde_json::Value) -> reqwest::RequestBuilder {
        self.client
            .post(url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(body.to_string())
    }

    /// GET with a bearer token; a status other than 200 is an error.
    pub(crate) async fn get_bearer(
        &self,
        service: &'static str,
        url: &str,
        bearer: &str,
        limit: usize,
    ) -> Result<Vec<u8>, KeylessError> {
        let request = self.client.get(url).bearer_auth(bearer);
        let answer = self.send(service, url, request, limit).await?;
        answer.expect(service, url, &[200])
    }
}

impl Answer {
    /// The body when the status is one of `expected`, else an error quoting the service's
    /// message.
    pub(crate) fn expect(
        self,
        service: &'static str,
        url: &str,
        expected: &[u16],
    ) -> Result<Vec<u8>, KeylessError> {
        if expected.contains(&self.status) {
            return Ok(self.body);
        }
        Err(KeylessError::Refused {
            service,
            url: url.to_owned(),
            status: self.status,
            message: service_message(&self.body),
        })
    }
}

/// The human part of an error answer: a JSON `message`/`error`, else the start of the text.
fn service_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        for key in ["message", "error", "detail"] {
            if let Some(text) = value.get(key).and_then(serde_json::Value::as_str) {
                return shorten(text);
            }
        }
    }
    shorten(&String::from_utf8_lossy(body))
}

/// At most 300 characters, printable (service text is untrusted).
fn shorten(text: &str) -> String {
    let short: String = text.trim().chars().take(300).collect();
    crate::text::printable(&short).into_owned()
}
