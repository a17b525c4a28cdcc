//! Pure pieces of the distribution protocol: parsing `WWW-Authenticate`, `Link` and
//! `Retry-After` headers, token responses and tag lists, and naming attached artifacts.
//! No I/O, so hostile server answers are tested here byte for byte.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::{Reference, ReferenceError};
use crate::digest::Digest;

/// An authentication challenge from a `401` response.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Challenge {
    /// `Basic realm="…"`.
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`: get a token from `realm`.
    Bearer {
        /// Token endpoint.
        realm: String,
        /// Service name to ask the token for.
        service: Option<String>,
        /// Scope the registry asked for, if it said.
        scope: Option<String>,
    },
}

/// Parses a `WWW-Authenticate` header value; `None` for schemes we do not speak.
pub fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, params) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let params = parse_params(params);
    Some(Challenge::Bearer {
        realm: params.get("realm")?.clone(),
        service: params.get("service").cloned(),
        scope: params.get("scope").cloned(),
    })
}

/// `key="value", key=value` pairs; quoted values may contain commas and escaped quotes.
fn parse_params(text: &str) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let Some((key, after)) = rest.split_once('=') else {
            break;
        };
        let key = key
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        let after = after.trim_start();
        let (value, remaining) = if let Some(quoted) = after.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let mut end = quoted.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, escaped)) = chars.next() {
                            value.push(escaped);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => value.push(c),
                }
            }
            (value, &quoted[end.min(quoted.len())..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].trim().to_owned(), &after[end..])
        };
        params.insert(key, value);
        rest = remaining.trim_start().trim_start_matches(',').trim_start();
    }
    params
}

/// The token endpoint's answer (`token` or the OAuth2 `access_token`).
#[derive(Deserialize)]
pub struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
}

impl TokenResponse {
    /// The token, whichever field carried it.
    pub fn into_token(self) -> Option<String> {
        self.token.or(self.access_token).filter(|t| !t.is_empty())
    }
}

/// The target of the `rel="next"` link in a `Link` header, as written (resolve it with
/// [`same_origin_path`] before following it).
pub fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

/// Resolves a URL reference the registry sent (a `Link` target, an upload `Location`) against
/// `base` with a real URL parser and returns its path and query, or `None` when it names
/// another origin (scheme, host or port): requests there would carry the registry's
/// credentials.
pub fn same_origin_path(base: &Url, target: &str) -> Option<String> {
    let resolved = base.join(target).ok()?;
    if !same_origin(base, &resolved) {
        return None;
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    Some(path)
}

/// Whether two URLs share scheme, host and port (the origin credentials belong to).
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str() == b.host_str()
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `Retry-After` in seconds (HTTP dates are treated as absent), capped at `max`.
pub fn retry_after(header: &str, max: Duration) -> Option<Duration> {
    header
        .trim()
        .parse::<u64>()
        .ok()
        .map(|s| Duration::from_secs(s).min(max))
}

/// A page of a tag listing.
#[derive(Debug, Deserialize)]
pub struct TagList {
    /// The tags (registries send `null` for none).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// The kinds of artifact cosign attaches to an image under a tag derived from its digest.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum Attachment {
    /// Signatures: `sha256-<hex>.sig`.
    Signature,
    /// Attestations: `sha256-<hex>.att`.
    Attestation,
    /// SBOMs: `sha256-<hex>.sbom`.
    Sbom,
}

impl Attachment {
    /// The tag suffix.
    pub fn suffix(self) -> &'static str {
        match self {
            Self::Signature => "sig",
            Self::Attestation => "att",
            Self::Sbom => "sbom",
        }
    }
}

/// The referrers fallback tag for a digest: `sha256-<hex>` (OCI distribution spec 1.1).
pub fn fallback_tag(digest: &Digest) -> String {
    digest.to_string().replacen(':', "-", 1)
}

/// Where cosign stores an attachment of the image at `digest`: the same repository, tag
/// `sha256-<hex>.<suffix>`. A sha512 digest gives a tag over the 128-character limit: an error,
/// never some other reference.
pub fn attachment_reference(
    image: &Reference,
    digest: &Digest,
    kind: Attachment,
) -> Result<Reference, ReferenceError> {
    digest_tag(
        image,
        digest,
        &format!("{}.{}", fallback_tag(digest), kind.suffix()),
    )
}

/// The referrers fallback index of `digest`: tag `sha256-<hex>` in the image's repository.
pub fn fallback_reference(image: &Reference, digest: &Digest) -> Result<Reference, ReferenceError> {
    digest_tag(image, digest, &fallback_tag(digest))
}

fn digest_tag(image: &Reference, digest: &Digest, tag: &str) -> Result<Reference, ReferenceError> {
    image
        .with_tag(tag)
        .map_err(|_| ReferenceError::DigestTagTooLong {
            digest: digest.clone(),
            tag: tag.to_owned(),
        })
}

/// The token scope for a repository.
pub fn scope(repository: &str, push: bool) -> String {
    if push {
        format!("repository:{repository}:pull,push")
    } else {
        format!("repository:{repository}:pull")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;
        assert_eq!(
            parse_challenge(header),
            Some(Challenge::Bearer {
                realm: "https://auth.docker.io/token".into(),
                service: Some("registry.docker.io".into()),
                scope: Some("repository:library/alpine:pull".into()),
            })
        );
        let commas = r#"bearer realm="https://r/t", scope="repository:a:pull,push", error="insufficient_scope""#;
        let Some(Challenge::Bearer { scope, service, .. }) = parse_challenge(commas) else {
            panic!()
        };
        assert_eq!(scope.as_deref(), Some("repository:a:pull,push"));
        assert_eq!(service, None);
        assert_eq!(
            parse_challenge(r#"Basic realm="Registry Realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenge("Bearer service=\"x\""),
            None,
            "no realm, no token flow"
        );
        assert_eq!(parse_challenge("Negotiate"), None);
        assert_eq!(
            parse_challenge("Bearer realm=\"unterminated"),
            Some(Challenge::Bearer {
                realm: "unterminated".into(),
                service: None,
                scope: None
            })
        );
    }

    #[test]
    fn links_and_retry_after() {
        let base = Url::parse("https://r.example/v2/app/tags/list?n=1").unwrap();
        let next =
            |header: &str| next_link(header).and_then(|target| same_origin_path(&base, &target));
        assert_eq!(
            next(r#"</v2/app/tags/list?last=b&n=1>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?last=b&n=1")
        );
        assert_eq!(
            next(r#"<https://r.example/v2/app/tags/list?n=2&last=c>; rel="next""#).as_deref(),
            Some("/v2/app/tags/list?n=2&last=c")
        );
        assert_eq!(next_link(r#"</x>; rel="prev""#), None);
        // Other origins are never followed: they would get the registry's credentials.
        for other in [
            "<https://evil.example/v2/app/tags/list>; rel=\"next\"",
            "<//evil.example/v2/app/tags/list>; rel=\"next\"",
            "<http://r.example/v2/app/tags/list>; rel=\"next\"",
            "<https://r.example:444/v2/app/tags/list>; rel=\"next\"",
        ] {
            assert_eq!(next(other), None, "{other}");
        }
    }

    /// Regression: relative upload locations used to be glued onto the host string, so
    /// `@evil/x` named the host `evil` (with the registry host as user info).
    #[test]
    fn relative_locations_stay_on_the_registry() {
        let base = Url::parse("https://r.example:5000/v2/app/blobs/uploads/").unwrap();
        assert_eq!(
            same_origin_path(&base, "@evil.example/x").as_deref(),
            Some("/v2/app/blobs/uploads/@evil.example/x")
        );
        assert_eq!(
            same_origin_path(&base, ".evil.example/x").as_deref(),
            Some("/v2/app/blobs/uploads/.evil.example/x")
        );
        assert_eq!(
            same_origin_path(&base, "/v2/app/blobs/uploads/u1?_state=s").as_deref(),
            Some("/v2/app/blobs/uploads/u1?_state=s")
        );
        assert_eq!(same_origin_path(&base, "https://evil.example/x"), None);
        assert_eq!(
            same_origin_path(&base, "https://r.example:5000@evil.example/x"),
            None
        );
    }

    #[test]
    fn retry_after_is_bounded() {
        let max = Duration::from_secs(10);
        assert_eq!(retry_after("3", max), Some(Duration::from_secs(3)));
        assert_eq!(retry_after("99999", max), Some(max));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT", max), None);
    }

    #[test]
    fn attachment_tags_follow_cosign() {
        let image: Reference = "ghcr.io/o/app:v1".parse().unwrap();
        let digest = Digest::sha256(b"x");
        let sig = attachment_reference(&image, &digest, Attachment::Signature).unwrap();
        assert_eq!(
            sig.to_string(),
            format!("ghcr.io/o/app:sha256-{}.sig", digest.hex())
        );
        assert_eq!(fallback_tag(&digest), format!("sha256-{}", digest.hex()));
    }

    /// Regression: a sha512 digest used to fall back to the image itself as its `.sig` image.
    #[test]
    fn sha512_digests_have_no_attachment_tag() {
        let image: Reference = "ghcr.io/o/app:v1".parse().unwrap();
        let digest = Digest::of(crate::digest::Algorithm::Sha512, b"x");
        let error = attachment_reference(&image, &digest, Attachment::Signature).unwrap_err();
        assert!(matches!(error, ReferenceError::DigestTagTooLong { .. }));
        assert!(
            error.to_string().contains("over the tag limit of 128"),
            "{error}"
        );
        assert!(fallback_reference(&image, &digest).is_err());
    }

    #[test]
    fn token_responses() {
        let t: TokenResponse = serde_json::from_str(r#"{"access_token":"abc"}"#).unwrap();
        assert_eq!(t.into_token().as_deref(), Some("abc"));
        let t: TokenResponse = serde_json::from_str(r#"{"token":""}"#).unwrap();
        assert_eq!(t.into_token(), None);
    }
}
