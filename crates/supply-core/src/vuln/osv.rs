//! OSV records (https://ossf.github.io/osv-schema/), the fields a package scan needs: id,
//! aliases, withdrawn, summary, severity vectors, and per affected package its ecosystem,
//! name, explicit versions and `SEMVER` / `ECOSYSTEM` ranges of `introduced` / `fixed` /
//! `last_affected` / `limit` events. Unknown fields are ignored (the schema grows); fields we
//! use must have the right shape, or the record is refused with the field named.

use serde::{Deserialize, Serialize};

/// One range event.
#[derive(Clone, Debug, Eq, PartialEq, Deserialize, Serialize)]
pub enum Event {
    /// Affected from this version (`"0"`: from the first).
    Introduced(String),
    /// Fixed in this version (not affected from here).
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Nothing at or above this version is covered by the range.
    Limit(String),
}

impl Event {
    /// The event's version.
    pub fn version(&self) -> &str {
        match self {
            Self::Introduced(v) | Self::Fixed(v) | Self::LastAffected(v) | Self::Limit(v) => v,
        }
    }
}

/// How a range's versions are ordered.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Deserialize, Serialize)]
pub enum RangeKind {
    /// SemVer 2.0.0.
    Semver,
    /// The ecosystem's own ordering.
    Ecosystem,
    /// Commits: not about package versions.
    Git,
}

/// A range.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Range {
    /// Its ordering.
    pub kind: RangeKind,
    /// Its events, as listed.
    pub events: Vec<Event>,
}

/// An affected package.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Affected {
    /// The OSV ecosystem (`crates.io`, `PyPI`, `npm`, …).
    pub ecosystem: String,
    /// The package name as the ecosystem spells it.
    pub name: String,
    /// Explicitly listed affected versions.
    pub versions: Vec<String>,
    /// Ranges.
    pub ranges: Vec<Range>,
    /// A severity the database gives this package (GHSA's `database_specific.severity`).
    pub database_severity: Option<String>,
}

/// A record.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Record {
    /// Its id (`GHSA-…`, `RUSTSEC-…`, `PYSEC-…`).
    pub id: String,
    /// Other ids of the same issue.
    pub aliases: Vec<String>,
    /// One line.
    pub summary: String,
    /// Withdrawn records do not apply.
    pub withdrawn: bool,
    /// CVSS vectors (`CVSS_V3` / `CVSS_V4` scores).
    pub cvss: Vec<String>,
    /// The record-level database severity.
    pub database_severity: Option<String>,
    /// What it affects.
    pub affected: Vec<Affected>,
}

#[derive(Deserialize)]
struct RawRecord {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    database_specific: Option<RawDatabaseSpecific>,
}

#[derive(Deserialize)]
struct RawSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct RawAffected {
    package: Option<RawPackage>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    severity: Vec<RawSeverity>,
    #[serde(default)]
    database_specific: Option<RawDatabaseSpecific>,
}

#[derive(Deserialize)]
struct RawPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// Only the severity of `database_specific`; its other fields (large in malicious-package
/// records) are skipped unparsed.
#[derive(Deserialize)]
struct RawDatabaseSpecific {
    #[serde(default)]
    severity: Option<serde_json::Value>,
}

fn severity_of(value: &Option<RawDatabaseSpecific>) -> Option<String> {
    value
        .as_ref()?
        .severity
        .as_ref()?
        .as_str()
        .map(str::to_ascii_uppercase)
}

impl Record {
    /// Parses one record; the error names the field.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let raw: RawRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if raw.id.is_empty() {
            return Err("id: empty".into());
        }
        let mut cvss: Vec<String> = Vec::new();
        let mut affected = Vec::with_capacity(raw.affected.len());
        for (i, a) in raw.affected.into_iter().enumerate() {
            let Some(package) = a.package else {
                continue;
            };
            let mut ranges = Vec::with_capacity(a.ranges.len());
            for (j, range) in a.ranges.into_iter().enumerate() {
                let kind = match range.kind.as_str() {
                    "SEMVER" => RangeKind::Semver,
                    "ECOSYSTEM" => RangeKind::Ecosystem,
                    "GIT" => RangeKind::Git,
                    other => return Err(format!("affected[{i}].ranges[{j}].type: {other:?}")),
                };
                let mut events = Vec::with_capacity(range.events.len());
                for (k, event) in range.events.into_iter().enumerate() {
                    let field = format!("affected[{i}].ranges[{j}].events[{k}]");
                    let mut entries = event.into_iter();
                    let (Some((name, value)), None) = (entries.next(), entries.next()) else {
                        return Err(format!("{field}: not exactly one event"));
                    };
                    let version = value
                        .as_str()
                        .ok_or_else(|| format!("{field}.{name}: not a string"))?
                        .to_owned();
                    events.push(match name.as_str() {
                        "introduced" => Event::Introduced(version),
                        "fixed" => Event::Fixed(version),
                        "last_affected" => Event::LastAffected(version),
                        "limit" => Event::Limit(version),
                        other => return Err(format!("{field}: unknown event {other:?}")),
                    });
                }
                ranges.push(Range { kind, events });
            }
            cvss.extend(
                a.severity
                    .iter()
                    .filter(|s| s.kind.starts_with("CVSS_V"))
                    .map(|s| s.score.clone()),
            );
            affected.push(Affected {
                ecosystem: package.ecosystem,
                name: package.name,
                versions: a.versions,
                ranges,
                database_severity: severity_of(&a.database_specific),
            });
        }
        cvss.extend(
            raw.severity
                .iter()
                .filter(|s| s.kind.starts_with("CVSS_V"))
                .map(|s| s.score.clone()),
        );
        let summary = raw
            .summary
            .or_else(|| {
                raw.details
                    .map(|d| d.lines().next().unwrap_or_default().to_owned())
            })
            .unwrap_or_default();
        Ok(Self {
            id: raw.id,
            aliases: raw.aliases,
            summary,
            withdrawn: raw.withdrawn.is_some(),
            cvss,
            database_severity: severity_of(&raw.database_specific),
            affected,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_record_reads_its_ranges_and_severity() {
        let record = Record::from_json(br#"{"id": "GHSA-x", "aliases": ["CVE-1"], "summary": "s",
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
            "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
              "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}],
              "database_specific": {"severity": "high"}}]}"#).unwrap();
        assert_eq!(
            record.affected[0].ranges[0].events[1],
            Event::Fixed("4.17.21".into())
        );
        assert_eq!(
            record.affected[0].database_severity.as_deref(),
            Some("HIGH")
        );
        assert_eq!(record.cvss.len(), 1);
    }

    #[test]
    fn malformed_records_name_the_field() {
        let error = Record::from_json(
            br#"{"id": "X", "affected": [{"package": {"ecosystem": "npm", "name": "a"},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": 0}]}]}]}"#,
        )
        .unwrap_err();
        assert!(
            error.contains("affected[0].ranges[0].events[0].introduced"),
            "{error}"
        );
        assert!(Record::from_json(b"{}").is_err());
    }
}
