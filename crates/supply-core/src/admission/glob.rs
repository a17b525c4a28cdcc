//! Image globs exactly as sigstore policy-controller reads them, so a `ClusterImagePolicy`
//! matches the same images here as in a cluster: `*` is any run of characters without `/`,
//! `**` any run at all, the whole name must match, and the bare globs `*` and `*/*` stand for
//! Docker Hub's `library/` images and all of Docker Hub. Names are compared in
//! go-containerregistry's form (`index.docker.io/library/nginx:latest`,
//! `ghcr.io/o/app@sha256:…`), and then as written.

use crate::oci::Reference;
use crate::oci::reference::DOCKER_HUB;

/// A compiled image glob.
#[derive(Clone, Debug)]
pub struct Glob {
    text: String,
    pattern: regex::Regex,
}

/// Why a glob does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob {glob:?}: {reason}")]
pub struct GlobError {
    glob: String,
    reason: String,
}

impl Glob {
    /// Compiles a glob: letters, digits and `-_:/*.@` only.
    pub fn new(text: &str) -> Result<Self, GlobError> {
        let error = |reason: &str| GlobError {
            glob: text.to_owned(),
            reason: reason.to_owned(),
        };
        let expanded = match text {
            "*/*" => "index.docker.io/*/*",
            "*" => "index.docker.io/library/*",
            other => other,
        };
        if expanded.is_empty()
            || !expanded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_:/*.@".contains(c))
        {
            return Err(error("only letters, digits and - _ : / * . @ may appear"));
        }
        let mut pattern = String::from("^");
        let mut rest = expanded;
        while let Some(c) = rest.chars().next() {
            if let Some(after) = rest.strip_prefix("**") {
                pattern.push_str(".*");
                rest = after;
                continue;
            }
            match c {
                '*' => pattern.push_str("[^/]*"),
                '.' => pattern.push_str(r"\."),
                other => pattern.push(other),
            }
            rest = &rest[c.len_utf8()..];
        }
        pattern.push('$');
        let pattern = regex::Regex::new(&pattern).map_err(|e| error(&e.to_string()))?;
        Ok(Self {
            text: text.to_owned(),
            pattern,
        })
    }

    /// The glob as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the image (parsed, and as written) matches.
    pub fn matches(&self, image: &Reference, written: &str) -> bool {
        self.pattern.is_match(&ggcr_name(image)) || self.pattern.is_match(written)
    }
}

/// go-containerregistry's `Reference.Name()`: the registry as `index.docker.io` for Docker
/// Hub, then the repository, then `@digest` (which wins over a tag) or `:tag` (`latest` when
/// none is given).
pub fn ggcr_name(image: &Reference) -> String {
    let registry = match image.registry() {
        DOCKER_HUB => "index.docker.io",
        other => other,
    };
    match (image.digest(), image.tag()) {
        (Some(digest), _) => format!("{registry}/{}@{digest}", image.repository()),
        (None, tag) => format!(
            "{registry}/{}:{}",
            image.repository(),
            tag.unwrap_or("latest")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, image: &str) -> bool {
        Glob::new(glob)
            .unwrap()
            .matches(&image.parse().unwrap(), image)
    }

    /// The cases of policy-controller's own glob tests, with its answers.
    #[test]
    fn policy_controller_semantics() {
        assert!(matches("*", "nginx"));
        assert!(matches("*", "library/nginx:1.25"));
        assert!(!matches("*", "someone/nginx"));
        assert!(matches("*/*", "someone/nginx"));
        assert!(!matches("*/*", "ghcr.io/someone/nginx"));
        assert!(matches("ghcr.io/o/*", "ghcr.io/o/app:v1"));
        assert!(!matches("ghcr.io/o/*", "ghcr.io/o/team/app:v1"));
        assert!(matches("ghcr.io/o/**", "ghcr.io/o/team/app:v1"));
        assert!(matches(
            "ghcr.io/o/app*",
            &format!("ghcr.io/o/app@sha256:{}", "a".repeat(64))
        ));
        // The tag is part of the name: a bare repository glob needs a `*` or `**` after it.
        assert!(!matches("ghcr.io/o/app", "ghcr.io/o/app:v1"));
        assert!(matches("ghcr.io/o/app:v1", "ghcr.io/o/app:v1"));
        // `.` is literal.
        assert!(!matches("ghcr.io/o/app*", "ghcrxio/o/app:v1"));
        // The name as written is tried too.
        assert!(matches("nginx*", "nginx:1.25"));
        assert!(matches("localhost:5000/**", "localhost:5000/a/b:c"));
    }

    #[test]
    fn bad_globs_are_refused() {
        for bad in ["", "ghcr.io/o/[a-z]", "a b", "ghcr.io/ö/*", "x?y"] {
            assert!(Glob::new(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn names_in_go_containerregistry_form() {
        let name = |s: &str| ggcr_name(&s.parse().unwrap());
        assert_eq!(name("nginx"), "index.docker.io/library/nginx:latest");
        assert_eq!(name("ghcr.io/o/a:1"), "ghcr.io/o/a:1");
        let digest = format!("sha256:{}", "b".repeat(64));
        assert_eq!(
            name(&format!("ghcr.io/o/a:1@{digest}")),
            format!("ghcr.io/o/a@{digest}")
        );
    }
}
