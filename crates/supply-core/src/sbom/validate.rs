//! Validation of any CycloneDX 1.5/1.6 JSON document: the official JSON schema (embedded,
//! `$ref`s resolved locally, formats checked) plus what a schema cannot say: every
//! `bom-ref` unique, every dependency `ref` and `dependsOn` entry pointing at one.

use std::collections::{HashSet, VecDeque};
use std::sync::OnceLock;

use jsonschema::{Draft, Registry, Validator};
use serde::Serialize;
use serde_json::Value;

use crate::ErrorKind;

pub(crate) const SPDX_SCHEMA: &str = include_str!("../../schemas/cyclonedx/spdx.schema.json");
const JSF_SCHEMA: &str = include_str!("../../schemas/cyclonedx/jsf-0.82.schema.json");
const BOM_1_5: &str = include_str!("../../schemas/cyclonedx/bom-1.5.schema.json");
const BOM_1_6: &str = include_str!("../../schemas/cyclonedx/bom-1.6.schema.json");

/// One reason a document is not valid.
#[derive(Clone, Debug, Eq, Ord, PartialEq, PartialOrd, Serialize)]
pub struct Finding {
    /// JSON pointer to the offending value (`""` for the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// The document could not be checked at all (which is not the same as "invalid").
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// Not JSON.
    #[error("not JSON (line {line}, column {column}): {message}")]
    NotJson {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// Not a CycloneDX document, or a version we have no schema for.
    #[error("not a CycloneDX 1.5 or 1.6 document (bomFormat {format:?}, specVersion {version:?})")]
    UnsupportedDocument {
        /// `bomFormat` found.
        format: Option<String>,
        /// `specVersion` found.
        version: Option<String>,
    },
    /// The embedded schema failed to load (a bug in this build).
    #[error("the embedded CycloneDX {version} schema failed to load: {message}")]
    Schema {
        /// Which schema.
        version: &'static str,
        /// What failed.
        message: String,
    },
}

impl crate::error::Classify for ValidateError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::NotJson { .. } => ErrorKind::InvalidInput,
            Self::UnsupportedDocument { .. } => ErrorKind::Unsupported,
            Self::Schema { .. } => ErrorKind::Io,
        }
    }
}

/// Validates a CycloneDX JSON document. `Ok(empty)` means valid; `Ok(findings)` lists every
/// problem found; `Err` means it could not be checked.
pub fn validate(text: &[u8]) -> Result<Vec<Finding>, ValidateError> {
    let document: Value = serde_json::from_slice(text).map_err(|e| ValidateError::NotJson {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let format = document.get("bomFormat").and_then(Value::as_str);
    let version = document.get("specVersion").and_then(Value::as_str);
    let validator = match (format, version) {
        (Some("CycloneDX"), Some("1.5")) => schema_validator("1.5")?,
        (Some("CycloneDX"), Some("1.6")) => schema_validator("1.6")?,
        _ => {
            return Err(ValidateError::UnsupportedDocument {
                format: format.map(str::to_owned),
                version: version.map(str::to_owned),
            });
        }
    };
    let mut findings: Vec<Finding> = validator
        .iter_errors(&document)
        .map(|e| Finding {
            path: e.instance_path().to_string(),
            message: e.to_string(),
        })
        .collect();
    findings.extend(reference_findings(&document));
    findings.sort();
    findings.dedup();
    Ok(findings)
}

fn schema_validator(version: &'static str) -> Result<&'static Validator, ValidateError> {
    static V1_5: OnceLock<Result<Validator, String>> = OnceLock::new();
    static V1_6: OnceLock<Result<Validator, String>> = OnceLock::new();
    let (cell, text) = match version {
        "1.5" => (&V1_5, BOM_1_5),
        _ => (&V1_6, BOM_1_6),
    };
    cell.get_or_init(|| build_validator(text))
        .as_ref()
        .map_err(|message| ValidateError::Schema {
            version,
            message: message.clone(),
        })
}

fn build_validator(schema_text: &str) -> Result<Validator, String> {
    let parse = |text: &str| serde_json::from_str::<Value>(text).map_err(|e| e.to_string());
    let (spdx, jsf) = (parse(SPDX_SCHEMA)?, parse(JSF_SCHEMA)?);
    let registry = Registry::new()
        .add("http://cyclonedx.org/schema/spdx.schema.json", spdx)
        .and_then(|r| r.add("http://cyclonedx.org/schema/jsf-0.82.schema.json", jsf))
        .and_then(|r| r.prepare())
        .map_err(|e| e.to_string())?;
    jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .offline()
        .with_registry(&registry)
        .build(&parse(schema_text)?)
        .map_err(|e| e.to_string())
}

fn reference_findings(document: &Value) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut refs = HashSet::new();
    // Breadth-first in document order, so the second use of a ref is the one reported.
    let mut queue: VecDeque<(String, &Value)> = VecDeque::new();
    if let Some(component) = document.pointer("/metadata/component") {
        queue.push_back(("/metadata/component".into(), component));
    }
    for key in ["components", "services"] {
        for (i, item) in document
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            queue.push_back((format!("/{key}/{i}"), item));
        }
    }
    while let Some((path, item)) = queue.pop_front() {
        if let Some(bom_ref) = item.get("bom-ref").and_then(Value::as_str)
            && !refs.insert(bom_ref)
        {
            findings.push(Finding {
                path: format!("{path}/bom-ref"),
                message: format!("bom-ref {bom_ref:?} is used more than once"),
            });
        }
        for key in ["components", "services"] {
            for (i, child) in item
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                queue.push_back((format!("{path}/{key}/{i}"), child));
            }
        }
    }
    let mut seen_refs = HashSet::new();
    let dependencies = document.get("dependencies").and_then(Value::as_array);
    for (i, dependency) in dependencies.into_iter().flatten().enumerate() {
        if let Some(reference) = dependency.get("ref").and_then(Value::as_str) {
            if !refs.contains(reference) {
                findings.push(Finding {
                    path: format!("/dependencies/{i}/ref"),
                    message: format!("ref {reference:?} is not the bom-ref of any component"),
                });
            }
            if !seen_refs.insert(reference) {
                findings.push(Finding {
                    path: format!("/dependencies/{i}/ref"),
                    message: format!("ref {reference:?} has more than one dependencies entry"),
                });
            }
        }
        let depends_on = dependency.get("dependsOn").and_then(Value::as_array);
        for (j, target) in depends_on.into_iter().flatten().enumerate() {
            if let Some(target) = target.as_str().filter(|t| !refs.contains(t)) {
                findings.push(Finding {
                    path: format!("/dependencies/{i}/dependsOn/{j}"),
                    message: format!("dependsOn {target:?} is not the bom-ref of any component"),
                });
            }
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_document_is_valid() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1}"#;
        assert_eq!(validate(doc).unwrap(), vec![]);
    }

    #[test]
    fn schema_and_reference_errors_are_found() {
        let doc = br#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "serialNumber": "urn:uuid:NOT-A-UUID",
            "components": [{"type": "library", "name": "a", "bom-ref": "a",
                            "licenses": [{"license": {"id": "Not-A-License"}}]},
                           {"type": "library", "name": "b", "bom-ref": "a"}],
            "dependencies": [{"ref": "a", "dependsOn": ["ghost"]}]}"#;
        let findings = validate(doc).unwrap();
        let paths: Vec<&str> = findings.iter().map(|f| f.path.as_str()).collect();
        assert!(paths.contains(&"/serialNumber"), "{findings:?}");
        assert!(
            paths
                .iter()
                .any(|p| p.starts_with("/components/0/licenses")),
            "{findings:?}"
        );
        assert!(paths.contains(&"/components/1/bom-ref"), "{findings:?}");
        assert!(
            paths.contains(&"/dependencies/0/dependsOn/0"),
            "{findings:?}"
        );
    }

    #[test]
    fn other_documents_cannot_be_checked() {
        assert!(matches!(validate(b"{"), Err(ValidateError::NotJson { .. })));
        assert!(matches!(
            validate(br#"{"bomFormat": "CycloneDX", "specVersion": "1.2"}"#),
            Err(ValidateError::UnsupportedDocument { .. })
        ));
    }
}
