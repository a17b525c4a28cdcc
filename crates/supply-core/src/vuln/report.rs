//! A scan rendered: a terminal table (most severe first), JSON, and SARIF 2.1.0 for code
//! scanning (one rule per issue, each result located at the lockfile or SBOM the package came
//! from, `security-severity` set so GitHub ranks it).

use serde_json::{Value, json};

use super::{Finding, Scan, Severity};

/// The finding code of a counted finding.
pub const CODE_FOUND: &str = "vulnerability-found";
/// The finding code of a suppressed one.
pub const CODE_SUPPRESSED: &str = "vulnerability-suppressed";

fn code(finding: &Finding) -> &'static str {
    if finding.suppressed.is_some() {
        CODE_SUPPRESSED
    } else {
        CODE_FOUND
    }
}

/// The JSON document: the decision, every finding with its code, what was not scanned.
pub fn to_json(scan: &Scan, threshold: Severity) -> Value {
    let findings: Vec<Value> = scan
        .findings
        .iter()
        .map(|f| {
            let mut value = serde_json::to_value(f).unwrap_or_default();
            value["code"] = json!(code(f));
            value
        })
        .collect();
    json!({
        "passed": !scan.fails(threshold),
        "threshold": threshold,
        "scanned": scan.scanned,
        "findings": findings,
        "notScanned": scan.not_scanned,
        "notes": scan.notes,
    })
}

/// A terminal table.
pub fn to_table(scan: &Scan) -> String {
    let mut out = String::new();
    let rows: Vec<[String; 5]> = scan
        .findings
        .iter()
        .map(|f| {
            let severity = format!("{:?}", f.severity).to_uppercase();
            [
                if f.suppressed.is_some() {
                    format!("({severity})")
                } else {
                    severity
                },
                f.id.clone(),
                format!("{}@{}", f.name, f.installed),
                f.fixed.clone().unwrap_or_else(|| "-".into()),
                crate::text::printable(&f.summary)
                    .chars()
                    .take(70)
                    .collect(),
            ]
        })
        .collect();
    let header = ["SEVERITY", "ID", "PACKAGE", "FIXED IN", "SUMMARY"];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .chain(header.get(i).map(|h| h.len()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let width = widths.get(i).copied().unwrap_or(0);
            text.push_str(&format!("{cell:<width$}  "));
        }
        text.trim_end().to_owned() + "\n"
    };
    out.push_str(&line(header));
    for r in &rows {
        out.push_str(&line(r.each_ref().map(String::as_str)));
    }
    out
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

/// SARIF 2.1.0; `location` is the lockfile or SBOM path each purl type was read from.
pub fn to_sarif(scan: &Scan, location: &dyn Fn(&Finding) -> String) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results = Vec::new();
    for finding in &scan.findings {
        if seen.insert(finding.id.clone()) {
            let score = finding.score.map_or_else(
                || match finding.severity {
                    Severity::Critical => "9.0".to_owned(),
                    Severity::High => "7.0".to_owned(),
                    Severity::Medium => "4.0".to_owned(),
                    Severity::Low => "0.1".to_owned(),
                    _ => "0.0".to_owned(),
                },
                |s| format!("{s:.1}"),
            );
            rules.push(json!({
                "id": finding.id,
                "name": finding.id.replace('-', ""),
                "shortDescription": {"text": clip(if finding.summary.is_empty() { &finding.id } else { &finding.summary })},
                "fullDescription": {"text": clip(&full_description(finding))},
                "helpUri": format!("https://osv.dev/vulnerability/{}", finding.id),
                "help": {"text": format!("{} ({}). Aliases: {}.", finding.id, finding.summary, finding.aliases.join(", "))},
                "defaultConfiguration": {"level": level(finding.severity)},
                "properties": {"security-severity": score, "tags": ["security", "vulnerability"]},
            }));
        }
        let mut result = json!({
            "ruleId": finding.id,
            "level": level(finding.severity),
            "message": {"text": format!(
                "{}@{} is affected by {}{}",
                finding.name,
                finding.installed,
                finding.id,
                finding.fixed.as_deref().map(|f| format!("; fixed in {f}")).unwrap_or_default()
            )},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": location(finding)},
                "region": {"startLine": 1},
            }}],
            "partialFingerprints": {"packageVulnerability": format!("{}:{}", finding.purl, finding.id)},
        });
        if let Some(suppressed) = &finding.suppressed {
            result["suppressions"] =
                json!([{"kind": "external", "justification": suppressed.reason}]);
        }
        results.push(result);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "supply",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/supply-chain/supply",
                "rules": rules,
            }},
            "results": results,
        }],
    })
}

fn cyclonedx_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::None => "none",
        Severity::Unknown => "unknown",
    }
}

/// The scanned SBOM with a CycloneDX 1.6 `vulnerabilities` array: one entry per finding, its
/// rating, fix, aliases as references, the affected component by `bom-ref`, and a suppression
/// as the analysis (`not_affected` with the reason).
pub fn to_cyclonedx(scan: &Scan, bom: &Value) -> Value {
    let mut bom = bom.clone();
    let vulnerabilities: Vec<Value> = scan
        .findings
        .iter()
        .map(|f| {
            let rating = match f.score {
                Some(score) => json!({"score": score, "severity": cyclonedx_severity(f.severity), "method": "CVSSv31"}),
                None => json!({"severity": cyclonedx_severity(f.severity)}),
            };
            let mut v = json!({
                "bom-ref": format!("{}@{}", f.id, f.purl),
                "id": f.id,
                "source": {"name": "OSV", "url": format!("https://osv.dev/vulnerability/{}", f.id)},
                "references": f.aliases.iter().map(|a| json!({"id": a, "source": {"name": "OSV"}})).collect::<Vec<_>>(),
                "ratings": [rating],
                "description": f.summary,
            });
            if let Some(fixed) = &f.fixed {
                v["recommendation"] = json!(format!("Upgrade {} to {fixed} or later", f.name));
            }
            if let Some(bom_ref) = &f.bom_ref {
                v["affects"] = json!([{"ref": bom_ref}]);
            }
            if let Some(suppressed) = &f.suppressed {
                v["analysis"] = json!({"state": "not_affected", "detail": format!("{}: {}", suppressed.by, suppressed.reason)});
            }
            v
        })
        .collect();
    bom["vulnerabilities"] = Value::Array(vulnerabilities);
    if bom.get("specVersion").and_then(Value::as_str).is_none() {
        bom["specVersion"] = json!("1.6");
    }
    bom
}

/// cosign's vulnerability predicate (`https://cosign.sigstore.dev/attestation/vuln/v1`) with
/// the JSON report as its result, for `supply attest --type vuln`.
pub fn to_cosign_vuln(
    scan: &Scan,
    threshold: Severity,
    db: &str,
    started: &str,
    finished: &str,
) -> Value {
    json!({
        "invocation": {"parameters": null, "uri": "", "event_id": "", "builder.id": ""},
        "scanner": {
            "uri": format!("pkg:github/supply-chain/supply@{}", env!("CARGO_PKG_VERSION")),
            "version": env!("CARGO_PKG_VERSION"),
            "db": {"uri": db, "version": ""},
            "result": to_json(scan, threshold),
        },
        "metadata": {"scanStartedOn": started, "scanFinishedOn": finished},
    })
}

/// GitHub code scanning refuses descriptions over 1,000 characters.
fn clip(text: &str) -> String {
    const MAX: usize = 1000;
    match text.char_indices().nth(MAX - 1) {
        Some((at, _)) => format!("{}…", text.get(..at).unwrap_or_default()),
        None => text.to_owned(),
    }
}

fn full_description(finding: &Finding) -> String {
    let mut text = format!(
        "{} in the {} package {}",
        finding.id, finding.ecosystem, finding.name
    );
    if !finding.summary.is_empty() {
        text = format!("{text}: {}", finding.summary);
    }
    if !finding.aliases.is_empty() {
        text = format!("{text} (also {})", finding.aliases.join(", "));
    }
    text.push('.');
    text
}
