//! Exceptions teams keep: an ignore file (TOML) of `[[ignore]]` entries with the issue `id`
//! (any of its aliases), optionally the `package` (name or version-less purl), a required
//! `reason`, and an optional `expires` date (`YYYY-MM-DD`) after which the entry stops
//! applying and the scan says so.

use serde::Deserialize;

use super::{Finding, ScanError, Suppression};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    id: String,
    #[serde(default)]
    package: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    ignore: Vec<Entry>,
}

/// The entries.
#[derive(Debug, Default)]
pub struct IgnoreList {
    entries: Vec<Entry>,
}

fn valid_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2
        && [y, m, d].iter().all(|p| p.bytes().all(|b| b.is_ascii_digit())))
}

impl IgnoreList {
    /// Parses an ignore file.
    pub fn parse(text: &str) -> Result<Self, ScanError> {
        let file: File = toml::from_str(text).map_err(|e| ScanError::Ignore(e.to_string()))?;
        for entry in &file.ignore {
            if entry.reason.trim().is_empty() {
                return Err(ScanError::Ignore(format!(
                    "{}: a reason is required",
                    entry.id
                )));
            }
            if let Some(date) = &entry.expires
                && !valid_date(date)
            {
                return Err(ScanError::Ignore(format!(
                    "{}: expires {date:?} is not YYYY-MM-DD",
                    entry.id
                )));
            }
        }
        Ok(Self {
            entries: file.ignore,
        })
    }

    fn expired(entry: &Entry, today: &str) -> bool {
        entry.expires.as_deref().is_some_and(|d| d < today)
    }

    fn expired_note(entry: &Entry) -> String {
        format!(
            "the ignore entry for {} expired on {}; it no longer applies",
            entry.id,
            entry.expires.as_deref().unwrap_or_default()
        )
    }

    /// The exception that applies to `finding`, if any.
    pub(crate) fn suppression(
        &self,
        finding: &Finding,
        today: &str,
        notes: &mut Vec<String>,
    ) -> Option<Suppression> {
        let purl_base = finding.purl_base();
        for entry in &self.entries {
            let id_matches = entry.id == finding.id || finding.aliases.contains(&entry.id);
            let package_matches = entry
                .package
                .as_deref()
                .is_none_or(|p| p == finding.name || p == purl_base);
            if !(id_matches && package_matches) {
                continue;
            }
            if Self::expired(entry, today) {
                notes.push(Self::expired_note(entry));
                continue;
            }
            return Some(Suppression {
                by: "ignore",
                reason: entry.reason.clone(),
            });
        }
        None
    }

    /// Notes for every expired entry.
    pub(crate) fn unused_expired(&self, today: &str) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| Self::expired(e, today))
            .map(Self::expired_note)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_need_a_reason_and_a_real_date() {
        assert!(IgnoreList::parse("[[ignore]]\nid = \"X\"\nreason = \"\"\n").is_err());
        assert!(
            IgnoreList::parse("[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"soon\"\n")
                .is_err()
        );
        assert!(IgnoreList::parse("[[ignore]]\nid = \"X\"\nreason = \"r\"\nwhy = 1\n").is_err());
        assert!(
            IgnoreList::parse("[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"2027-01-31\"\n")
                .is_ok()
        );
    }
}
