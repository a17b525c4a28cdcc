//! VEX: statements that a vulnerability does not affect a product, from CycloneDX
//! (`vulnerabilities[].analysis.state` `not_affected`, `resolved`, `false_positive`, with
//! `affects[].ref` purls) and OpenVEX (`statements[]` with `status` `not_affected` or `fixed`
//! and `products[]` purls). A statement suppresses a finding whose id or alias it names for a
//! product whose purl (with or without version) is the finding's; its justification is kept.

use serde_json::Value;

use super::{Finding, ScanError, Suppression};

/// One statement.
#[derive(Clone, Debug)]
struct Statement {
    id: String,
    products: Vec<String>,
    reason: String,
    by: &'static str,
}

/// Statements from any number of VEX documents.
#[derive(Clone, Debug, Default)]
pub struct Vex {
    statements: Vec<Statement>,
}

fn text(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

impl Vex {
    /// Adds a document (CycloneDX JSON with `vulnerabilities`, or OpenVEX); `name` labels errors.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), ScanError> {
        let bad = |reason: String| ScanError::Vex(format!("{name}: {reason}"));
        let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        if let Some(statements) = doc.get("statements").and_then(Value::as_array) {
            for (i, s) in statements.iter().enumerate() {
                let status = text(s, "status")
                    .ok_or_else(|| bad(format!("statements[{i}].status missing")))?;
                if status != "not_affected" && status != "fixed" {
                    continue;
                }
                let vulnerability = s.get("vulnerability");
                let id = vulnerability
                    .and_then(|v| v.as_str().map(str::to_owned).or_else(|| text(v, "name")))
                    .ok_or_else(|| bad(format!("statements[{i}].vulnerability missing")))?;
                let products = s
                    .get("products")
                    .and_then(Value::as_array)
                    .map(|p| {
                        p.iter()
                            .filter_map(|p| {
                                p.as_str().map(str::to_owned).or_else(|| text(p, "@id"))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let reason = [text(s, "justification"), text(s, "impact_statement")]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": ");
                self.statements.push(Statement {
                    id,
                    products,
                    reason: if reason.is_empty() { status } else { reason },
                    by: "openvex",
                });
            }
            return Ok(());
        }
        if let Some(vulnerabilities) = doc.get("vulnerabilities").and_then(Value::as_array) {
            for (i, v) in vulnerabilities.iter().enumerate() {
                let Some(analysis) = v.get("analysis") else {
                    continue;
                };
                let state = text(analysis, "state").unwrap_or_default();
                if !matches!(
                    state.as_str(),
                    "not_affected" | "resolved" | "false_positive"
                ) {
                    continue;
                }
                let id =
                    text(v, "id").ok_or_else(|| bad(format!("vulnerabilities[{i}].id missing")))?;
                let products = v
                    .get("affects")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|a| text(a, "ref")).collect())
                    .unwrap_or_default();
                let reason = [
                    Some(state.clone()),
                    text(analysis, "justification"),
                    text(analysis, "detail"),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(": ");
                self.statements.push(Statement {
                    id,
                    products,
                    reason,
                    by: "cyclonedx-vex",
                });
            }
            return Ok(());
        }
        Err(bad(
            "neither OpenVEX statements nor CycloneDX vulnerabilities".into(),
        ))
    }

    /// The statement that applies to `finding`, if any.
    pub(crate) fn suppression(&self, finding: &Finding) -> Option<Suppression> {
        let base = finding.purl_base();
        self.statements
            .iter()
            .find(|s| {
                (s.id == finding.id || finding.aliases.contains(&s.id))
                    && s.products.iter().any(|p| p == &finding.purl || p == base)
            })
            .map(|s| Suppression {
                by: s.by,
                reason: s.reason.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn both_formats_read_and_other_statuses_do_not_suppress() {
        let mut vex = Vex::default();
        vex.add("a.json", br#"{"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
            {"vulnerability": {"name": "CVE-1"}, "products": [{"@id": "pkg:npm/a"}], "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "CVE-2"}, "products": [{"@id": "pkg:npm/a"}], "status": "affected"}]}"#).unwrap();
        vex.add("b.json", br#"{"bomFormat": "CycloneDX", "vulnerabilities": [
            {"id": "GHSA-3", "analysis": {"state": "not_affected", "justification": "code_not_reachable"}, "affects": [{"ref": "pkg:npm/b@1.0.0"}]},
            {"id": "GHSA-4", "analysis": {"state": "exploitable"}, "affects": [{"ref": "pkg:npm/b@1.0.0"}]}]}"#).unwrap();
        assert_eq!(vex.statements.len(), 2);
        assert!(vex.add("c.json", b"{}").is_err());
    }
}
