//! in-toto Statements (v1, and v0.1 on read): subjects by digest, a predicate type, a predicate.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::digest::Digest;

/// `_type` of in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older v0.1 (cosign's legacy attest, slsa-github-generator).
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";
/// SLSA provenance v1.
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";

/// An in-toto Statement.
#[derive(Clone, Debug, Deserialize, PartialEq, Serialize)]
pub struct Statement {
    /// Statement version URI.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// What the statement is about.
    pub subject: Vec<Subject>,
    /// What kind of predicate.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// The predicate (absent means empty).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub predicate: Value,
}

/// A subject: a name (optional) and digests by algorithm.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct Subject {
    /// Name (for images, the repository).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Algorithm → lower-case hex.
    pub digest: BTreeMap<String, String>,
    /// Annotations (cosign v3 puts an image signature's `-a` values here).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, Value>,
}

/// A statement that is not one we read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// Not statement JSON.
    #[error("not an in-toto statement: {0}")]
    Malformed(String),
    /// An unknown `_type`.
    #[error("unsupported in-toto statement type {0:?}")]
    UnsupportedType(String),
    /// A `--type` that is neither a known shortcut nor a URI.
    #[error("predicate type {0:?} is neither a known name nor a URI")]
    PredicateType(String),
}

impl crate::error::Classify for StatementError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Malformed(_) | Self::PredicateType(_) => crate::ErrorKind::InvalidInput,
            Self::UnsupportedType(_) => crate::ErrorKind::Unsupported,
        }
    }
}

impl Subject {
    /// A subject for `digest`, optionally named.
    pub fn new(name: Option<String>, digest: &Digest) -> Self {
        let (algorithm, hex) = digest
            .to_string()
            .split_once(':')
            .map(|(a, h)| (a.to_owned(), h.to_owned()))
            .unwrap_or_default();
        Self {
            name,
            digest: BTreeMap::from([(algorithm, hex)]),
            annotations: BTreeMap::new(),
        }
    }
}

impl Statement {
    /// A v1 statement.
    pub fn new(subject: Vec<Subject>, predicate_type: &str, predicate: Value) -> Self {
        Self {
            statement_type: STATEMENT_V1.to_owned(),
            subject,
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// Parses v1 or v0.1.
    pub fn parse(bytes: &[u8]) -> Result<Self, StatementError> {
        let statement: Self =
            serde_json::from_slice(bytes).map_err(|e| StatementError::Malformed(e.to_string()))?;
        if statement.statement_type != STATEMENT_V1 && statement.statement_type != STATEMENT_V01 {
            return Err(StatementError::UnsupportedType(statement.statement_type));
        }
        Ok(statement)
    }

    /// Whether a subject carries exactly this digest.
    pub fn has_subject(&self, digest: &Digest) -> bool {
        let text = digest.to_string();
        let Some((algorithm, hex)) = text.split_once(':') else {
            return false;
        };
        self.subject.iter().any(|s| {
            s.digest
                .get(algorithm)
                .is_some_and(|h| h.eq_ignore_ascii_case(hex))
        })
    }

    /// Compact JSON.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The predicate in a predicate file: the document itself, or, when it is a whole in-toto
/// statement, the statement's predicate (so a statement made elsewhere can be re-attested).
pub fn predicate_of(document: Value) -> Value {
    let is_statement = document
        .get("_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"));
    if is_statement {
        document.get("predicate").cloned().unwrap_or(Value::Null)
    } else {
        document
    }
}

/// cosign's `--type` names → predicate type URIs; any other value must be a URI.
pub fn predicate_type(name: &str) -> Result<String, StatementError> {
    let uri = match name {
        "slsaprovenance" | "slsaprovenance02" => "https://slsa.dev/provenance/v0.2",
        "slsaprovenance1" => SLSA_PROVENANCE_V1,
        "spdx" | "spdxjson" => "https://spdx.dev/Document",
        "cyclonedx" => "https://cyclonedx.org/bom",
        "link" => "https://in-toto.io/Link/v1",
        "vuln" => "https://cosign.sigstore.dev/attestation/vuln/v1",
        "openvex" => "https://openvex.dev/ns",
        "custom" => "https://cosign.sigstore.dev/attestation/v1",
        uri if uri.contains("://") => uri,
        other => return Err(StatementError::PredicateType(other.to_owned())),
    };
    Ok(uri.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_match_by_digest() {
        let digest = Digest::sha256(b"x");
        let statement = Statement::new(
            vec![Subject::new(Some("r/app".into()), &digest)],
            SLSA_PROVENANCE_V1,
            Value::Null,
        );
        let parsed = Statement::parse(&statement.to_json()).unwrap();
        assert!(parsed.has_subject(&digest));
        assert!(!parsed.has_subject(&Digest::sha256(b"y")));
        assert!(
            !String::from_utf8(statement.to_json())
                .unwrap()
                .contains("predicate\"")
        );
        assert!(Statement::parse(br#"{"_type":"x","subject":[],"predicateType":"p"}"#).is_err());
    }

    #[test]
    fn predicate_type_names() {
        assert_eq!(
            predicate_type("cyclonedx").unwrap(),
            "https://cyclonedx.org/bom"
        );
        assert_eq!(
            predicate_type("https://example.com/p").unwrap(),
            "https://example.com/p"
        );
        assert!(predicate_type("nonsense").is_err());
    }
}
