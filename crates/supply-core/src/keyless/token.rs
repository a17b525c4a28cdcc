//! The OIDC identity token keyless signing presents to Fulcio: given directly, or fetched from
//! GitHub Actions' token endpoint (audience `sigstore`). The token is a bearer secret: it is
//! held zeroized-on-drop, never printed by `Debug`, and never named in an error. Its claims are
//! read without verifying the JWT signature: Fulcio verifies it, and we check the certificate
//! Fulcio returns against these claims.

use base64::Engine as _;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::KeylessError;
use super::http::Http;

/// The issuer of GitHub Actions' tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// The claims keyless signing needs.
#[derive(Clone, Debug, Deserialize)]
pub struct Claims {
    /// The issuer (`iss`).
    pub iss: String,
    /// The subject (`sub`).
    #[serde(default)]
    pub sub: String,
    /// The email, for email identities.
    #[serde(default)]
    pub email: Option<String>,
    /// Expiry, Unix seconds.
    #[serde(default)]
    pub exp: Option<i64>,
    /// GitHub's `job_workflow_ref` (the workflow that ran), for GitHub tokens.
    #[serde(default)]
    pub job_workflow_ref: Option<String>,
}

/// An OIDC identity token.
pub struct IdentityToken {
    raw: Zeroizing<String>,
    claims: Claims,
}

impl std::fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdentityToken(iss={}, <redacted>)", self.claims.iss)
    }
}

impl IdentityToken {
    /// Reads a compact JWT (`header.payload.signature`) and its claims.
    pub fn parse(token: &str) -> Result<Self, KeylessError> {
        let raw = Zeroizing::new(token.trim().to_owned());
        let invalid = |reason: &str| KeylessError::Token {
            reason: reason.to_owned(),
        };
        if raw.len() > MAX_TOKEN_BYTES {
            return Err(invalid("larger than 64 KiB"));
        }
        let mut parts = raw.split('.');
        let (Some(_), Some(payload), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("not a JWT (three dot-separated parts)"));
        };
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| invalid("its payload is not base64url"))?;
        let claims: Claims = serde_json::from_slice(&json)
            .map_err(|e| invalid(&format!("its claims do not parse ({e})")))?;
        if claims.iss.is_empty() {
            return Err(invalid("no issuer (iss)"));
        }
        if claims.sub.is_empty() && claims.email.is_none() {
            return Err(invalid("no subject (sub) or email"));
        }
        Ok(Self { raw, claims })
    }

    /// The claims.
    pub fn claims(&self) -> &Claims {
        &self.claims
    }

    /// The token itself, for the request to Fulcio only.
    pub(crate) fn secret(&self) -> &str {
        &self.raw
    }

    /// Refuses a token that expired before `now` (Unix seconds).
    pub fn check_fresh(&self, now: i64) -> Result<(), KeylessError> {
        match self.claims.exp {
            Some(exp) if exp <= now => Err(KeylessError::Token {
                reason: format!("it expired {} s ago", now - exp),
            }),
            _ => Ok(()),
        }
    }

    /// What the proof of possession signs: the email for email identities, else the subject
    /// (what Fulcio checks the challenge against).
    pub fn challenge(&self) -> &str {
        self.claims.email.as_deref().unwrap_or(&self.claims.sub)
    }

    /// The certificate identities Fulcio may derive from these claims: the email, GitHub's
    /// workflow URI, or the subject.
    pub fn expected_subjects(&self) -> Vec<String> {
        let mut subjects = Vec::new();
        if let Some(email) = &self.claims.email {
            subjects.push(email.clone());
        }
        if self.claims.iss == GITHUB_ISSUER
            && let Some(workflow) = &self.claims.job_workflow_ref
        {
            subjects.push(format!("https://github.com/{workflow}"));
        }
        if !self.claims.sub.is_empty() {
            subjects.push(self.claims.sub.clone());
        }
        subjects
    }
}

/// Where GitHub Actions serves job tokens (`ACTIONS_ID_TOKEN_REQUEST_URL` and `_TOKEN`, present
/// when the workflow has `permissions: id-token: write`).
pub struct GithubTokenRequest {
    /// The request URL.
    pub url: String,
    /// The bearer token that authorises the request (a secret).
    pub bearer: Zeroizing<String>,
}

impl std::fmt::Debug for GithubTokenRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GithubTokenRequest({}, <redacted>)", self.url)
    }
}

/// Where a token comes from when none is given: `SIGSTORE_ID_TOKEN` (also GitLab's `id_tokens`
/// convention), else GitHub Actions' token endpoint.
#[derive(Debug)]
pub enum TokenSource {
    /// A token at hand.
    Token(IdentityToken),
    /// GitHub Actions' endpoint, to be asked.
    Github(GithubTokenRequest),
}

impl TokenSource {
    /// Reads the environment: the explicit opt-in of callers that want it (the CLI does).
    pub fn from_env() -> Result<Option<Self>, KeylessError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), over any variable lookup.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, KeylessError> {
        if let Some(token) = lookup("SIGSTORE_ID_TOKEN").filter(|t| !t.trim().is_empty()) {
            return IdentityToken::parse(&Zeroizing::new(token)).map(|t| Some(Self::Token(t)));
        }
        match (
            lookup("ACTIONS_ID_TOKEN_REQUEST_URL"),
            lookup("ACTIONS_ID_TOKEN_REQUEST_TOKEN"),
        ) {
            (Some(url), Some(bearer)) if !url.is_empty() => {
                Ok(Some(Self::Github(GithubTokenRequest {
                    url,
                    bearer: Zeroizing::new(bearer),
                })))
            }
            _ => Ok(None),
        }
    }

    /// The token, asking GitHub for one with audience `sigstore` when needed.
    pub async fn token(self, http: &Http) -> Result<IdentityToken, KeylessError> {
        match self {
            Self::Token(token) => Ok(token),
            Self::Github(request) => request.fetch("sigstore", http).await,
        }
    }
}

#[derive(Deserialize)]
struct GithubTokenResponse {
    value: String,
}

impl GithubTokenRequest {
    /// Fetches a token for `audience` (`sigstore` for Fulcio).
    pub async fn fetch(&self, audience: &str, http: &Http) -> Result<IdentityToken, KeylessError> {
        let separator = if self.url.contains('?') { '&' } else { '?' };
        let url = format!("{}{separator}audience={audience}", self.url);
        let body = http
            .get_bearer(
                "GitHub Actions token endpoint",
                &url,
                &self.bearer,
                64 * 1024,
            )
            .await?;
        let response: GithubTokenResponse =
            serde_json::from_slice(&body).map_err(|e| KeylessError::Token {
                reason: format!("the GitHub Actions token endpoint's answer does not parse ({e})"),
            })?;
        IdentityToken::parse(&Zeroizing::new(response.value))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jwt(claims: &str) -> String {
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.c2ln", b64(r#"{"alg":"ES256"}"#), b64(claims))
    }

    #[test]
    fn github_claims_give_the_workflow_identity() {
        let token = IdentityToken::parse(&jwt(
            r#"{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main","job_workflow_ref":"o/r/.github/workflows/ci.yml@refs/heads/main","exp":100}"#,
        ))
        .unwrap();
        assert_eq!(
            token.expected_subjects()[0],
            "https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main"
        );
        assert_eq!(token.challenge(), "repo:o/r:ref:refs/heads/main");
        assert!(token.check_fresh(99).is_ok());
        assert!(token.check_fresh(100).is_err());
    }

    #[test]
    fn the_token_never_shows_in_debug_or_errors() {
        let raw = jwt(r#"{"iss":"https://issuer.example","email":"a@example.com"}"#);
        let token = IdentityToken::parse(&raw).unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains(&raw) && !shown.contains("c2ln"), "{shown}");
        assert_eq!(token.challenge(), "a@example.com");
        let error = IdentityToken::parse(&format!("{raw}.extra")).unwrap_err();
        assert!(!error.to_string().contains("c2ln"), "{error}");
    }

    #[test]
    fn the_environment_gives_sigstore_id_token_first_then_github() {
        let token = jwt(r#"{"iss":"https://gitlab.example","sub":"project_path:g/p"}"#);
        let both = |name: &str| match name {
            "SIGSTORE_ID_TOKEN" => Some(token.clone()),
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some("http://127.0.0.1:1/t?api-version=2.0".into()),
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN" => Some("bearer-secret".into()),
            _ => None,
        };
        assert!(matches!(
            TokenSource::from_lookup(both).unwrap(),
            Some(TokenSource::Token(_))
        ));
        let github = |name: &str| both(name).filter(|_| name != "SIGSTORE_ID_TOKEN");
        let source = TokenSource::from_lookup(github).unwrap().unwrap();
        assert!(!format!("{source:?}").contains("bearer-secret"));
        assert!(TokenSource::from_lookup(|_| None).unwrap().is_none());
    }

    #[test]
    fn malformed_tokens_are_errors() {
        for bad in [
            "",
            "a.b",
            "a.!!!.c",
            &jwt("[]"),
            &jwt(r#"{"iss":""}"#),
            &jwt(r#"{"iss":"x"}"#),
        ] {
            assert!(IdentityToken::parse(bad).is_err(), "{bad}");
        }
    }
}
