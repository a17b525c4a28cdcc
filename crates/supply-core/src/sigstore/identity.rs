//! Who a keyless signature must come from: the certificate's identity (its SAN) and OIDC
//! issuer, exactly or by a fully anchored regular expression, and any Fulcio extension values
//! (the `--certificate-github-workflow-*` and source-repository checks cosign offers).

use std::collections::BTreeMap;

/// A string expectation.
#[derive(Clone, Debug)]
pub enum Matcher {
    /// This exact value.
    Exact(String),
    /// A regular expression matching the whole value (anchored at both ends, as cosign's
    /// `--certificate-identity-regexp` is documented to be used).
    Regex(regex::Regex),
}

impl Matcher {
    /// A fully anchored regular expression.
    pub fn regex(pattern: &str) -> Result<Self, regex::Error> {
        regex::Regex::new(&format!("^(?:{pattern})$")).map(Self::Regex)
    }

    /// Whether `value` meets the expectation.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(expected) => expected == value,
            Self::Regex(pattern) => pattern.is_match(value),
        }
    }
}

impl std::fmt::Display for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Exact(value) => write!(f, "{value:?}"),
            Self::Regex(pattern) => write!(f, "/{}/", pattern.as_str()),
        }
    }
}

/// A keyless signer's required identity.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The certificate's identity (a URI, an email, a username).
    pub subject: Matcher,
    /// The OIDC issuer.
    pub issuer: Matcher,
    /// Fulcio extension values that must be present, by OID (`1.3.6.1.4.1.57264.1.x`).
    pub extensions: BTreeMap<String, String>,
}

/// Fulcio's extensions by OID, with the names sigstore-go and cosign give them.
pub const EXTENSIONS: &[(&str, &str)] = &[
    ("1.3.6.1.4.1.57264.1.1", "issuer"),
    ("1.3.6.1.4.1.57264.1.2", "githubWorkflowTrigger"),
    ("1.3.6.1.4.1.57264.1.3", "githubWorkflowSHA"),
    ("1.3.6.1.4.1.57264.1.4", "githubWorkflowName"),
    ("1.3.6.1.4.1.57264.1.5", "githubWorkflowRepository"),
    ("1.3.6.1.4.1.57264.1.6", "githubWorkflowRef"),
    ("1.3.6.1.4.1.57264.1.8", "issuerV2"),
    ("1.3.6.1.4.1.57264.1.9", "buildSignerURI"),
    ("1.3.6.1.4.1.57264.1.10", "buildSignerDigest"),
    ("1.3.6.1.4.1.57264.1.11", "runnerEnvironment"),
    ("1.3.6.1.4.1.57264.1.12", "sourceRepositoryURI"),
    ("1.3.6.1.4.1.57264.1.13", "sourceRepositoryDigest"),
    ("1.3.6.1.4.1.57264.1.14", "sourceRepositoryRef"),
    ("1.3.6.1.4.1.57264.1.15", "sourceRepositoryIdentifier"),
    ("1.3.6.1.4.1.57264.1.16", "sourceRepositoryOwnerURI"),
    ("1.3.6.1.4.1.57264.1.17", "sourceRepositoryOwnerIdentifier"),
    ("1.3.6.1.4.1.57264.1.18", "buildConfigURI"),
    ("1.3.6.1.4.1.57264.1.19", "buildConfigDigest"),
    ("1.3.6.1.4.1.57264.1.20", "buildTrigger"),
    ("1.3.6.1.4.1.57264.1.21", "runInvocationURI"),
    (
        "1.3.6.1.4.1.57264.1.22",
        "sourceRepositoryVisibilityAtSigning",
    ),
];

/// The name of a Fulcio extension OID (the OID itself when unknown).
pub fn extension_name(oid: &str) -> &str {
    EXTENSIONS
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or(oid, |(_, name)| name)
}

/// The OID of a Fulcio extension name.
pub fn extension_oid(name: &str) -> Option<&'static str> {
    EXTENSIONS
        .iter()
        .find(|(_, n)| *n == name)
        .map(|(oid, _)| *oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexps_are_anchored() {
        let matcher = Matcher::regex("https://github.com/o/r/.*").unwrap();
        assert!(matcher.matches("https://github.com/o/r/.github/workflows/x.yml@refs/heads/main"));
        assert!(
            !matcher.matches("evil https://github.com/o/r/x"),
            "anchored at the start"
        );
        let exact_host = Matcher::regex("https://accounts\\.google\\.com").unwrap();
        assert!(
            !exact_host.matches("https://accounts.google.com.evil"),
            "anchored at the end"
        );
        assert_eq!(
            extension_oid("githubWorkflowRepository"),
            Some("1.3.6.1.4.1.57264.1.5")
        );
        assert_eq!(
            extension_name("1.3.6.1.4.1.57264.1.12"),
            "sourceRepositoryURI"
        );
    }
}
