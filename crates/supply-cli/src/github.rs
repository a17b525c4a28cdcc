//! GitHub Actions step outputs and job summaries: when `$GITHUB_OUTPUT` is set, results are
//! appended as `name=value` (multi-line values in the heredoc form GitHub documents); when
//! `$GITHUB_STEP_SUMMARY` is set, a Markdown summary. Outside Actions nothing is written.

use std::io::Write as _;

use supply_core::verify::{Severity, Verdict};

fn append(variable: &str, text: &str) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os(variable).filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// Appends step outputs.
pub(crate) fn outputs(pairs: &[(&str, String)]) -> anyhow::Result<()> {
    let mut text = String::new();
    for (name, value) in pairs {
        if value.contains('\n') {
            // A delimiter that cannot occur in the value.
            let mut delimiter = String::from("SUPPLY_EOF");
            while value.contains(&delimiter) {
                delimiter.push('_');
            }
            text.push_str(&format!("{name}<<{delimiter}\n{value}\n{delimiter}\n"));
        } else {
            text.push_str(&format!("{name}={value}\n"));
        }
    }
    append("GITHUB_OUTPUT", &text)
}

/// Appends Markdown to the job summary.
pub(crate) fn summary(markdown: &str) -> anyhow::Result<()> {
    append("GITHUB_STEP_SUMMARY", markdown)
}

/// Table cells hold untrusted text (registry names, messages): no pipes, no newlines, no HTML.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A verdict's outputs (`accepted`, `digest`) and summary.
pub(crate) fn verdict(verdict: &Verdict) -> anyhow::Result<()> {
    let digest = verdict
        .digest
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    outputs(&[
        ("accepted", verdict.accepted.to_string()),
        ("digest", digest.clone()),
    ])?;
    let mut markdown = format!(
        "### supply: {} {}\n\n`{}` `{digest}`\n\n",
        cell(&verdict.subject),
        if verdict.accepted {
            "verified ✅"
        } else {
            "rejected ❌"
        },
        cell(&verdict.subject)
    );
    if !verdict.findings.is_empty() {
        markdown.push_str("| | code | subject | message |\n|---|---|---|---|\n");
        for finding in &verdict.findings {
            let mark = match finding.severity {
                Severity::Error => "❌",
                Severity::Warning => "⚠️",
            };
            markdown.push_str(&format!(
                "| {mark} | `{}` | {} | {} |\n",
                finding.code,
                cell(&finding.subject),
                cell(&finding.message)
            ));
        }
        markdown.push('\n');
    }
    summary(&markdown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untrusted_text_cannot_break_the_table() {
        assert_eq!(cell("a|b\n<script>"), "a\\|b &lt;script&gt;");
    }
}
