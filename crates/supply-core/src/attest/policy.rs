//! Policies over verified attestations, read from TOML:
//!
//! ```toml
//! [provenance]
//! builder-id = "https://github.com/o/r/.github/workflows/release.yml@refs/heads/main"
//! builder-id-prefix = "https://github.com/o/r/"      # instead of builder-id
//! source-repository = "https://github.com/o/r"
//! source-ref = "refs/heads/main"
//! build-types = ["https://actions.github.io/buildtypes/workflow/v1"]
//!
//! [sbom]
//! require-valid = true
//! ```
//! Unknown keys are errors: a typo must not silently weaken a policy.

use serde::Deserialize;
use serde_json::Value;

use super::slsa::{self, GITHUB_BUILD_TYPE, GITHUB_BUILD_TYPE_2024};
use crate::verify::finding::Code;

/// A parsed policy.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Policy {
    /// Checks on SLSA provenance.
    #[serde(default)]
    pub provenance: ProvenancePolicy,
    /// Checks on SBOM attestations.
    #[serde(default)]
    pub sbom: SbomPolicy,
}

/// Provenance requirements; each absent field is not checked.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ProvenancePolicy {
    /// Exact builder id.
    pub builder_id: Option<String>,
    /// Builder id prefix.
    pub builder_id_prefix: Option<String>,
    /// Source repository URI.
    pub source_repository: Option<String>,
    /// Source ref.
    pub source_ref: Option<String>,
    /// Accepted buildTypes (default: any; `"github"` stands for both GitHub buildTypes).
    pub build_types: Option<Vec<String>>,
}

/// SBOM requirements.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SbomPolicy {
    /// The SBOM must be a valid CycloneDX 1.5/1.6 document.
    #[serde(default)]
    pub require_valid: bool,
}

/// A policy that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML does not parse, or names a key we do not know.
    #[error("invalid policy: {message}")]
    Syntax {
        /// The parser's message, with the line and column.
        message: String,
    },
    /// The policy file could not be read (missing, too large, not UTF-8).
    #[error(transparent)]
    File(#[from] crate::fsio::FileError),
    /// A section of the policy cannot apply to the attestations asked for: evaluating it would
    /// be impossible, and skipping it would silently check less than the policy says.
    #[error("the policy's [{section}] section cannot apply to {predicate_type} attestations")]
    NotApplicable {
        /// The section.
        section: &'static str,
        /// The predicate type verified.
        predicate_type: String,
    },
}

impl crate::error::Classify for PolicyError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::File(e) => e.kind(),
            _ => crate::ErrorKind::InvalidInput,
        }
    }
}

/// SLSA provenance predicate types (v0.2, v1) start with this.
pub const SLSA_PROVENANCE_PREFIX: &str = "https://slsa.dev/provenance/";
/// The CycloneDX predicate type.
pub const CYCLONEDX_PREDICATE: &str = "https://cyclonedx.org/bom";

impl Policy {
    /// Parses policy TOML.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError::Syntax {
            message: e.to_string(),
        })
    }

    /// Reads a policy file (at most 1 MiB of UTF-8).
    pub fn from_file(path: &std::path::Path) -> Result<Self, PolicyError> {
        Self::parse(&crate::fsio::read_text_bounded(path, 1024 * 1024)?)
    }

    /// Checks that every section the policy sets can be evaluated on `predicate_type`
    /// attestations.
    pub fn check_applies_to(&self, predicate_type: &str) -> Result<(), PolicyError> {
        let not_applicable = |section| {
            Err(PolicyError::NotApplicable {
                section,
                predicate_type: predicate_type.to_owned(),
            })
        };
        let rules = &self.provenance;
        let provenance_set = rules.builder_id.is_some()
            || rules.builder_id_prefix.is_some()
            || rules.source_repository.is_some()
            || rules.source_ref.is_some()
            || rules.build_types.is_some();
        if provenance_set && !predicate_type.starts_with(SLSA_PROVENANCE_PREFIX) {
            return not_applicable("provenance");
        }
        if self.sbom.require_valid && predicate_type != CYCLONEDX_PREDICATE {
            return not_applicable("sbom");
        }
        Ok(())
    }

    /// Violations of the provenance part by a predicate (empty: satisfied).
    pub fn provenance_violations(&self, predicate: &Value) -> Vec<Violation> {
        let facts = slsa::build_facts(predicate);
        let rules = &self.provenance;
        let mut violations = Vec::new();
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        if let Some(expected) = &rules.builder_id
            && facts.builder_id.as_ref() != Some(expected)
        {
            violations.push(Violation::new(
                Code::PolicyBuilderMismatch,
                format!(
                    "builder id is {}, policy requires {expected}",
                    show(&facts.builder_id)
                ),
            ));
        }
        if let Some(prefix) = &rules.builder_id_prefix
            && !facts
                .builder_id
                .as_deref()
                .is_some_and(|id| has_path_prefix(id, prefix))
        {
            violations.push(Violation::new(
                Code::PolicyBuilderPrefixMismatch,
                format!(
                    "builder id is {}, policy requires a prefix {prefix}",
                    show(&facts.builder_id)
                ),
            ));
        }
        if let Some(expected) = &rules.source_repository
            && facts
                .source_repository
                .as_deref()
                .map(|r| r.trim_end_matches(".git"))
                != Some(expected.trim_end_matches(".git"))
        {
            violations.push(Violation::new(
                Code::PolicySourceRepositoryMismatch,
                format!(
                    "source repository is {}, policy requires {expected}",
                    show(&facts.source_repository)
                ),
            ));
        }
        if let Some(expected) = &rules.source_ref
            && facts.source_ref.as_ref() != Some(expected)
        {
            violations.push(Violation::new(
                Code::PolicySourceRefMismatch,
                format!(
                    "source ref is {}, policy requires {expected}",
                    show(&facts.source_ref)
                ),
            ));
        }
        if let Some(allowed) = &rules.build_types {
            let accepted = facts.build_type.as_deref().is_some_and(|t| {
                allowed.iter().any(|a| {
                    a == t
                        || (a == "github"
                            && (t == GITHUB_BUILD_TYPE || t == GITHUB_BUILD_TYPE_2024))
                })
            });
            if !accepted {
                violations.push(Violation::new(
                    Code::PolicyBuildTypeMismatch,
                    format!(
                        "buildType is {}, policy accepts {}",
                        show(&facts.build_type),
                        allowed.join(", ")
                    ),
                ));
            }
        }
        violations
    }
}

/// One requirement of the policy that a predicate does not meet.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Violation {
    /// The finding's code.
    pub code: Code,
    /// What differs.
    pub message: String,
}

impl Violation {
    fn new(code: Code, message: String) -> Self {
        Self { code, message }
    }
}

/// Whether `id` starts with `prefix` at a path boundary: the prefix ends with `/`, or what
/// follows it starts a new segment (`/`) or a ref (`@`). `…/o/r` admits `…/o/r/x` and
/// `…/o/r@refs/…`, never `…/o/r-evil`.
fn has_path_prefix(id: &str, prefix: &str) -> bool {
    match id.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || prefix.ends_with('/') || rest.starts_with(['/', '@']),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `builder-id-prefix` was a plain string prefix.
    #[test]
    fn builder_id_prefixes_match_at_path_boundaries() {
        let prefix = "https://github.com/o/r";
        assert!(has_path_prefix("https://github.com/o/r", prefix));
        assert!(has_path_prefix(
            "https://github.com/o/r/.github/workflows/x.yml",
            prefix
        ));
        assert!(has_path_prefix(
            "https://github.com/o/r@refs/tags/v1",
            prefix
        ));
        assert!(!has_path_prefix(
            "https://github.com/o/r-evil/.github/workflows/x.yml",
            prefix
        ));
        assert!(!has_path_prefix("https://github.com/o/rr", prefix));
        assert!(has_path_prefix(
            "https://github.com/o/r/x",
            "https://github.com/o/r/"
        ));
        let policy =
            Policy::parse("[provenance]\nbuilder-id-prefix = \"https://github.com/o/r\"\n")
                .unwrap();
        let evil = serde_json::json!({"runDetails": {"builder": {"id": "https://github.com/o/r-evil/.github/workflows/x.yml@refs/heads/main"}}});
        assert_eq!(policy.provenance_violations(&evil).len(), 1);
    }

    /// Regression: a `[provenance]` policy on a CycloneDX verification was silently skipped.
    #[test]
    fn sections_that_cannot_apply_are_errors() {
        let provenance = Policy::parse("[provenance]\nsource-ref = \"refs/heads/main\"\n").unwrap();
        assert!(matches!(
            provenance.check_applies_to(CYCLONEDX_PREDICATE),
            Err(PolicyError::NotApplicable {
                section: "provenance",
                ..
            })
        ));
        provenance
            .check_applies_to("https://slsa.dev/provenance/v1")
            .unwrap();
        provenance
            .check_applies_to("https://slsa.dev/provenance/v0.2")
            .unwrap();
        let sbom = Policy::parse("[sbom]\nrequire-valid = true\n").unwrap();
        assert!(
            sbom.check_applies_to("https://slsa.dev/provenance/v1")
                .is_err()
        );
        sbom.check_applies_to(CYCLONEDX_PREDICATE).unwrap();
        Policy::default()
            .check_applies_to("https://example.com/any")
            .unwrap();
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(Policy::parse("[provenance]\nbuilder-idd = \"x\"\n").is_err());
        assert!(Policy::parse("[provenance]\nbuilder-id = \"x\"\n").is_ok());
    }

    #[test]
    fn violations_name_what_differs() {
        let predicate = serde_json::json!({
            "buildDefinition": {"buildType": GITHUB_BUILD_TYPE_2024, "externalParameters": {"workflow": {"ref": "refs/heads/dev", "repository": "https://github.com/o/r"}}},
            "runDetails": {"builder": {"id": "https://github.com/o/r/.github/workflows/x.yml@refs/heads/dev"}}
        });
        let policy = Policy::parse("[provenance]\nbuilder-id-prefix = \"https://github.com/o/r/\"\nsource-repository = \"https://github.com/o/r\"\nbuild-types = [\"github\"]\n").unwrap();
        assert!(policy.provenance_violations(&predicate).is_empty());
        let strict = Policy::parse("[provenance]\nsource-ref = \"refs/heads/main\"\nsource-repository = \"https://github.com/o/other\"\n").unwrap();
        let violations = strict.provenance_violations(&predicate);
        assert_eq!(violations.len(), 2, "{violations:?}");
        assert!(violations.iter().any(
            |v| v.code == Code::PolicySourceRefMismatch && v.message.contains("refs/heads/dev")
        ));
        assert!(
            violations
                .iter()
                .any(|v| v.code == Code::PolicySourceRepositoryMismatch)
        );
    }
}
