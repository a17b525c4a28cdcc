//! Image references, parsed and normalized exactly as docker and containerd do
//! (distribution/reference): `docker.io` and `library/` defaults, registry ports, `localhost`,
//! tags, digests, tag + digest.

use std::fmt;
use std::str::FromStr;

use crate::digest::Digest;

/// The registry images without a registry part come from.
pub const DOCKER_HUB: &str = "docker.io";
const MAX_NAME_LENGTH: usize = 255;

/// A normalized image reference.
#[derive(Clone, Debug, Eq, Hash, PartialEq)]
pub struct Reference {
    registry: String,
    repository: String,
    tag: Option<String>,
    digest: Option<Digest>,
}

/// Why a reference did not parse.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReferenceError {
    /// The text is empty.
    #[error("empty image reference")]
    Empty,
    /// The digest part is not a digest.
    #[error("invalid digest in image reference {reference:?}")]
    Digest {
        /// The reference.
        reference: String,
        /// What is wrong with the digest.
        #[source]
        source: crate::digest::DigestError,
    },
    /// The repository path is not valid.
    #[error("invalid repository name in {reference:?}: {reason}")]
    Repository {
        /// The reference.
        reference: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The registry host is not valid.
    #[error("invalid registry {registry:?} in image reference")]
    Registry {
        /// The registry part.
        registry: String,
    },
    /// The tag is not valid.
    #[error(
        "invalid tag {tag:?}: at most 128 characters from [A-Za-z0-9_.-], not starting with . or -"
    )]
    Tag {
        /// The tag.
        tag: String,
    },
    /// A tag derived from a digest (cosign's `sha512-<hex>.sig`, the referrers fallback
    /// `sha512-<hex>`) would be longer than the 128 characters a tag may have.
    #[error(
        "no tag can name what is attached to {digest}: `{tag}` is {} characters, over the tag limit of 128",
        tag.len()
    )]
    DigestTagTooLong {
        /// The digest.
        digest: Digest,
        /// The tag it would need.
        tag: String,
    },
}

impl crate::error::Classify for ReferenceError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::DigestTagTooLong { .. } => crate::ErrorKind::Unsupported,
            _ => crate::ErrorKind::InvalidInput,
        }
    }
}

impl Reference {
    /// A reference to `repository` on `registry` at `digest`.
    pub fn with_digest(&self, digest: Digest) -> Self {
        Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: None,
            digest: Some(digest),
        }
    }

    /// A reference to another tag in the same repository.
    pub fn with_tag(&self, tag: &str) -> Result<Self, ReferenceError> {
        validate_tag(tag)?;
        Ok(Self {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        })
    }

    /// The registry as written (`docker.io`, `ghcr.io`, `localhost:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host to talk to: Docker Hub's API lives on `registry-1.docker.io`.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The repository path (`library/alpine`).
    pub fn repository(&self) -> &str {
        &self.repository
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if any.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// What to ask the registry for: the digest when there is one, else the tag (`latest`).
    pub fn manifest_key(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// `registry/repository`, the form cosign uses as the simple-signing docker-reference.
    pub fn repository_name(&self) -> String {
        format!("{}/{}", self.registry, self.repository)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Err(ReferenceError::Empty);
        }
        let repository_error = |reason| ReferenceError::Repository {
            reference: text.to_owned(),
            reason,
        };
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                let digest = digest.parse().map_err(|source| ReferenceError::Digest {
                    reference: text.to_owned(),
                    source,
                })?;
                (rest, Some(digest))
            }
            None => (text, None),
        };
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].find(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        if let Some(tag) = tag {
            validate_tag(tag)?;
        }
        let (registry, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                (first.to_owned(), path.to_owned())
            }
            _ => (DOCKER_HUB.to_owned(), name.to_owned()),
        };
        let registry = if registry == "index.docker.io" {
            DOCKER_HUB.to_owned()
        } else {
            registry
        };
        validate_registry(&registry)?;
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path
        };
        if repository.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(repository_error("repository name must be lowercase"));
        }
        if repository.is_empty() || !repository.split('/').all(valid_path_component) {
            return Err(repository_error(
                "components must be lowercase letters and digits, separated by '.', '_', '__' or '-'",
            ));
        }
        if registry.len() + 1 + repository.len() > MAX_NAME_LENGTH {
            return Err(repository_error("name longer than 255 characters"));
        }
        Ok(Self {
            registry,
            repository,
            tag: tag.map(str::to_owned),
            digest,
        })
    }
}

impl serde::Serialize for Reference {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        if self.tag.is_none() && self.digest.is_none() {
            f.write_str(":latest")?;
        }
        Ok(())
    }
}

fn validate_tag(tag: &str) -> Result<(), ReferenceError> {
    let valid = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(())
    } else {
        Err(ReferenceError::Tag {
            tag: tag.to_owned(),
        })
    }
}

fn validate_registry(registry: &str) -> Result<(), ReferenceError> {
    let (host, port) = match registry.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (host, Some(port)),
        _ => (registry, None),
    };
    let host_ok = if let Some(ipv6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        ipv6.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok());
    if host_ok && port_ok {
        Ok(())
    } else {
        Err(ReferenceError::Registry {
            registry: registry.to_owned(),
        })
    }
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn valid_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Reference {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn normalizes_like_docker() {
        let cases = [
            ("alpine", "docker.io/library/alpine:latest"),
            ("alpine:3.20", "docker.io/library/alpine:3.20"),
            ("user/app", "docker.io/user/app:latest"),
            (
                "index.docker.io/library/alpine:1",
                "docker.io/library/alpine:1",
            ),
            ("localhost/app", "localhost/app:latest"),
            ("localhost:5000/a/b:v1", "localhost:5000/a/b:v1"),
            ("127.0.0.1:5000/app", "127.0.0.1:5000/app:latest"),
            ("ghcr.io/o/r/deep/name:tag", "ghcr.io/o/r/deep/name:tag"),
            ("[::1]:5000/app:x", "[::1]:5000/app:x"),
        ];
        for (input, canonical) in cases {
            assert_eq!(parse(input).to_string(), canonical, "{input}");
        }
    }

    #[test]
    fn tags_and_digests() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let both = parse(&format!("ghcr.io/o/app:v1@{digest}"));
        assert_eq!(both.tag(), Some("v1"));
        assert_eq!(both.digest().unwrap().to_string(), digest);
        assert_eq!(both.manifest_key(), digest);
        let only_digest = parse(&format!("localhost:5000/app@{digest}"));
        assert_eq!(only_digest.tag(), None);
        assert_eq!(
            only_digest.to_string(),
            format!("localhost:5000/app@{digest}")
        );
        assert_eq!(parse("alpine").manifest_key(), "latest");
        assert_eq!(parse("alpine").api_host(), "registry-1.docker.io");
        assert_eq!(parse("ghcr.io/o/app:v1").repository_name(), "ghcr.io/o/app");
    }

    #[test]
    fn rejects_malformed_references() {
        let long = format!("a/{}", "b".repeat(300));
        let bad = [
            "",
            "Alpine",
            "ghcr.io/Owner/app",
            "app:",
            "app:-bad",
            "app@sha256:short",
            "app@md5:0011",
            "ghcr.io//app",
            "ghcr.io/app/",
            "app:a:b",
            "host:99999/app",
            "a..b/c",
            "ghcr.io/a--/b",
            &long,
        ];
        for text in bad {
            assert!(
                text.parse::<Reference>().is_err(),
                "{text:?} should be rejected"
            );
        }
        assert!(parse("a/b__c/d-e--f.g").repository().ends_with("d-e--f.g"));
    }
}
