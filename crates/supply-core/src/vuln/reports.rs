//! Reports of the scanners teams already run, read as findings so the same thresholds,
//! exceptions and outputs apply: Trivy's JSON (`Results[].Vulnerabilities[]`) and Grype's JSON
//! (`matches[]`). Severities are the report's (a CVSS v3 vector in it is scored as ours are).

use serde_json::Value;

use super::{Finding, ScanError, Severity, cvss};

fn severity(text: &str) -> Severity {
    match text.to_ascii_uppercase().as_str() {
        "CRITICAL" => Severity::Critical,
        "HIGH" => Severity::High,
        "MEDIUM" | "MODERATE" => Severity::Medium,
        "LOW" | "NEGLIGIBLE" => Severity::Low,
        _ => Severity::Unknown,
    }
}

fn s(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The purl type of a Trivy/Grype package type.
fn purl_type(kind: &str) -> &str {
    match kind {
        "cargo" | "rust-crate" => "cargo",
        "pip" | "pipenv" | "poetry" | "uv" | "python" | "python-pkg" => "pypi",
        "npm" | "yarn" | "pnpm" | "node-pkg" => "npm",
        other => other,
    }
}

fn ecosystem(purl: &str) -> String {
    match purl.split(['/', ':']).nth(1) {
        Some("cargo") => "crates.io",
        Some("pypi") => "PyPI",
        Some("npm") => "npm",
        Some(other) => other,
        None => "",
    }
    .to_owned()
}

fn finding(id: String, name: String, installed: String, purl: String) -> Finding {
    Finding {
        id,
        aliases: Vec::new(),
        ecosystem: ecosystem(&purl),
        purl,
        name,
        installed,
        fixed: None,
        severity: Severity::Unknown,
        score: None,
        summary: String::new(),
        bom_ref: None,
        suppressed: None,
    }
}

/// The findings of a Trivy or Grype JSON report.
pub fn from_report(name: &str, bytes: &[u8]) -> Result<Vec<Finding>, ScanError> {
    let bad = |reason: String| ScanError::Record {
        file: name.into(),
        reason,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
    let mut out = Vec::new();
    if let Some(results) = doc.get("Results").and_then(Value::as_array) {
        for (i, result) in results.iter().enumerate() {
            let kind = s(result, "Type");
            for (j, v) in result
                .get("Vulnerabilities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let id = s(v, "VulnerabilityID");
                if id.is_empty() {
                    return Err(bad(format!(
                        "Results[{i}].Vulnerabilities[{j}].VulnerabilityID missing"
                    )));
                }
                let (pkg, version) = (s(v, "PkgName"), s(v, "InstalledVersion"));
                let purl = v
                    .pointer("/PkgIdentifier/PURL")
                    .and_then(Value::as_str)
                    .map_or_else(
                        || format!("pkg:{}/{pkg}@{version}", purl_type(&kind)),
                        str::to_owned,
                    );
                let mut f = finding(id, pkg, version, purl);
                f.fixed = Some(s(v, "FixedVersion"))
                    .filter(|x| !x.is_empty())
                    .map(|x| x.split(',').next().unwrap_or_default().trim().to_owned());
                f.summary = s(v, "Title");
                f.severity = severity(&s(v, "Severity"));
                f.score = v
                    .get("CVSS")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flat_map(|m| m.values())
                    .flat_map(|c| {
                        ["V3Vector", "V40Vector"]
                            .into_iter()
                            .filter_map(|k| c.get(k).and_then(Value::as_str))
                            .filter_map(cvss::any_base_score)
                    })
                    .reduce(f64::max);
                out.push(f);
            }
        }
        return Ok(out);
    }
    if let Some(matches) = doc.get("matches").and_then(Value::as_array) {
        for (i, m) in matches.iter().enumerate() {
            let (Some(v), Some(a)) = (m.get("vulnerability"), m.get("artifact")) else {
                return Err(bad(format!("matches[{i}]: no vulnerability or artifact")));
            };
            let id = s(v, "id");
            if id.is_empty() {
                return Err(bad(format!("matches[{i}].vulnerability.id missing")));
            }
            let (pkg, version) = (s(a, "name"), s(a, "version"));
            let purl = Some(s(a, "purl"))
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| format!("pkg:{}/{pkg}@{version}", purl_type(&s(a, "type"))));
            let mut f = finding(id, pkg, version, purl);
            f.fixed = v
                .pointer("/fix/versions/0")
                .and_then(Value::as_str)
                .map(str::to_owned);
            f.summary = s(v, "description")
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned();
            f.severity = severity(&s(v, "severity"));
            f.score = v
                .get("cvss")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|c| {
                    c.get("vector")
                        .and_then(Value::as_str)
                        .and_then(cvss::any_base_score)
                })
                .reduce(f64::max);
            f.aliases = m
                .get("relatedVulnerabilities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|r| s(r, "id"))
                .filter(|r| !r.is_empty() && *r != f.id)
                .collect();
            out.push(f);
        }
        return Ok(out);
    }
    Err(bad(
        "neither a Trivy report (Results) nor a Grype report (matches)".into(),
    ))
}
