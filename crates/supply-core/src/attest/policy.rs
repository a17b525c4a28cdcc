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

/// A policy file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("invalid policy: {0}")]
pub struct PolicyError(String);

impl Policy {
    /// Parses policy TOML.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        toml::from_str(text).map_err(|e| PolicyError(e.to_string()))
    }

    /// Violations of the provenance part by a predicate (empty: satisfied).
    pub fn provenance_violations(&self, predicate: &Value) -> Vec<String> {
        let facts = slsa::build_facts(predicate);
        let rules = &self.provenance;
        let mut violations = Vec::new();
        let show = |v: &Option<String>| v.clone().unwrap_or_else(|| "(none)".into());
        if let Some(expected) = &rules.builder_id
            && facts.builder_id.as_ref() != Some(expected)
        {
            violations.push(format!(
                "builder id is {}, policy requires {expected}",
                show(&facts.builder_id)
            ));
        }
        if let Some(prefix) = &rules.builder_id_prefix
            && !facts
                .builder_id
                .as_deref()
                .is_some_and(|id| id.starts_with(prefix.as_str()))
        {
            violations.push(format!(
                "builder id is {}, policy requires a prefix {prefix}",
                show(&facts.builder_id)
            ));
        }
        if let Some(expected) = &rules.source_repository
            && facts
                .source_repository
                .as_deref()
                .map(|r| r.trim_end_matches(".git"))
                != Some(expected.trim_end_matches(".git"))
        {
            violations.push(format!(
                "source repository is {}, policy requires {expected}",
                show(&facts.source_repository)
            ));
        }
        if let Some(expected) = &rules.source_ref
            && facts.source_ref.as_ref() != Some(expected)
        {
            violations.push(format!(
                "source ref is {}, policy requires {expected}",
                show(&facts.source_ref)
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
                violations.push(format!(
                    "buildType is {}, policy accepts {}",
                    show(&facts.build_type),
                    allowed.join(", ")
                ));
            }
        }
        violations
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(
            violations[0].contains("refs/heads/dev") || violations[1].contains("refs/heads/dev")
        );
    }
}
