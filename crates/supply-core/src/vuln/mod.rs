//! The vulnerability gate: an SBOM's packages looked up in an OSV database offline, findings
//! merged across aliases (one GHSA/CVE/RUSTSEC/PYSEC issue is one finding), severities from
//! the highest CVSS v3.x or v4.0 base score computed from the vectors (else the database's
//! rating, else "unknown"), exceptions from VEX statements and an ignore file with reasons and expiry
//! dates, and a threshold.
//! Components without a purl or of an ecosystem we cannot scan are reported as not scanned,
//! never as clean.

pub mod component;
pub mod cvss;
pub mod cvss4;
pub mod db;
pub mod ignore;
pub mod index;
pub mod matcher;
pub mod osv;
pub mod report;
pub mod reports;
pub mod target;
pub mod update;
pub mod version;
pub mod vex;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde::Serialize;

pub use component::Component;
pub use db::Database;

/// A severity level, lowest first.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// No rating is known.
    Unknown,
    /// Scored 0.
    None,
    /// 0.1–3.9.
    Low,
    /// 4.0–6.9.
    Medium,
    /// 7.0–8.9.
    High,
    /// 9.0–10.0.
    Critical,
}

impl Severity {
    fn from_database(text: &str) -> Option<Self> {
        match text {
            "CRITICAL" => Some(Self::Critical),
            "HIGH" => Some(Self::High),
            "MODERATE" | "MEDIUM" => Some(Self::Medium),
            "LOW" => Some(Self::Low),
            _ => None,
        }
    }
}

/// Scanning could not be done.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// No database there.
    #[error("no vulnerability database at {0}")]
    DatabaseMissing(PathBuf),
    /// A record (or the database folder) could not be read.
    #[error("{}: {reason}", file.display())]
    Record {
        /// The file.
        file: PathBuf,
        /// What is wrong (the field, for a malformed record).
        reason: String,
    },
    /// The ignore file is not usable.
    #[error("ignore file: {0}")]
    Ignore(String),
    /// A VEX document is not usable.
    #[error("VEX: {0}")]
    Vex(String),
    /// The mirror could not be read, or served something unusable (nothing was replaced).
    #[error("{url}: {reason}")]
    Mirror {
        /// What was fetched.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The blocking facade could not run the work.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl crate::error::Classify for ScanError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::DatabaseMissing(_) => crate::ErrorKind::NotFound,
            Self::Record { .. } | Self::Ignore(_) | Self::Vex(_) => crate::ErrorKind::InvalidInput,
            Self::Mirror { .. } => crate::ErrorKind::Network,
            Self::Blocking(e) => crate::error::Classify::kind(e),
        }
    }
}

/// Why a finding does not count.
#[derive(Clone, Debug, Serialize)]
pub struct Suppression {
    /// `ignore` (an ignore file entry), `openvex` or `cyclonedx-vex`.
    pub by: &'static str,
    /// The reason given.
    pub reason: String,
}

/// One vulnerability in one package.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The id: one of its records' ids, GHSA before RUSTSEC/PYSEC before others.
    pub id: String,
    /// Its other ids.
    pub aliases: Vec<String>,
    /// The package's purl.
    pub purl: String,
    /// The OSV ecosystem.
    pub ecosystem: String,
    /// The package name.
    pub name: String,
    /// The installed version.
    pub installed: String,
    /// The first fixed version above it, if one is known.
    pub fixed: Option<String>,
    /// The severity.
    pub severity: Severity,
    /// The CVSS base score, when one was computed.
    pub score: Option<f64>,
    /// One line.
    pub summary: String,
    /// The component's `bom-ref` in the SBOM, if it has one.
    #[serde(skip)]
    pub bom_ref: Option<String>,
    /// Set when an exception applies.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// The purl without its version (what exceptions may name).
    pub fn purl_base(&self) -> &str {
        self.purl
            .rsplit_once('@')
            .map_or(self.purl.as_str(), |(base, _)| base)
    }
}

/// A component that was not looked up.
#[derive(Clone, Debug, Serialize)]
pub struct NotScanned {
    /// Its purl or name.
    pub component: String,
    /// Why.
    pub reason: String,
}

/// A scan's result.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Scan {
    /// Findings, most severe first (suppressed ones included, marked).
    pub findings: Vec<Finding>,
    /// Components not looked up.
    pub not_scanned: Vec<NotScanned>,
    /// Components looked up.
    pub scanned: usize,
    /// Notes (expired exceptions, records that could not be evaluated).
    pub notes: Vec<String>,
}

impl Scan {
    /// Whether an unsuppressed finding is at or above `threshold` (`Unknown` as a threshold:
    /// any finding at all).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| {
            f.suppressed.is_none() && (threshold == Severity::Unknown || f.severity >= threshold)
        })
    }
}

fn severity_of(records: &[(&osv::Record, &osv::Affected)]) -> (Severity, Option<f64>) {
    let score = records
        .iter()
        .flat_map(|(r, _)| r.cvss.iter())
        .filter_map(|v| cvss::any_base_score(v))
        .fold(None, |best: Option<f64>, s| {
            Some(best.map_or(s, |b| b.max(s)))
        });
    if let Some(score) = score {
        return (cvss::rating(score), Some(score));
    }
    let rated = records
        .iter()
        .filter_map(|(r, a)| {
            a.database_severity
                .as_deref()
                .or(r.database_severity.as_deref())
                .and_then(Severity::from_database)
        })
        .max();
    (rated.unwrap_or(Severity::Unknown), None)
}

/// Looks every component up in `db`; `today` (`YYYY-MM-DD`) decides which exceptions expired.
pub fn scan(
    db: &Database,
    components: &[Component],
    ignores: &ignore::IgnoreList,
    vex: &vex::Vex,
    today: &str,
) -> Scan {
    let mut result = Scan::default();
    for component in components {
        let Some(ecosystem) = component.ecosystem else {
            result.not_scanned.push(NotScanned {
                component: component.purl.clone(),
                reason: "an ecosystem the database does not cover".into(),
            });
            continue;
        };
        result.scanned += 1;
        let mut hits: Vec<(&osv::Record, &osv::Affected, Option<String>)> = Vec::new();
        for (record, affected) in db.about(ecosystem, &component.name) {
            match matcher::check(affected, &component.version) {
                Ok(Some(hit)) => hits.push((record, affected, hit.fixed)),
                Ok(None) => {}
                Err(reason) => result.notes.push(format!("{}: {reason}", record.id)),
            }
        }
        // One finding per issue: records whose ids or aliases meet are merged.
        let mut groups: Vec<(BTreeSet<String>, Vec<usize>)> = Vec::new();
        for (i, (record, _, _)) in hits.iter().enumerate() {
            let mut ids: BTreeSet<String> = record.aliases.iter().cloned().collect();
            ids.insert(record.id.clone());
            let mut members = vec![i];
            groups.retain(|(other, other_members)| {
                if other.is_disjoint(&ids) {
                    true
                } else {
                    ids.extend(other.iter().cloned());
                    members.extend(other_members);
                    false
                }
            });
            groups.push((ids, members));
        }
        for (ids, members) in groups {
            let records: Vec<(&osv::Record, &osv::Affected)> = members
                .iter()
                .filter_map(|&m| hits.get(m).map(|(r, a, _)| (*r, *a)))
                .collect();
            let (severity, score) = severity_of(&records);
            // Named by one of its records (an alias may be a CVE no record is about).
            let mut own: Vec<&str> = records.iter().map(|(r, _)| r.id.as_str()).collect();
            own.sort_by_key(|id| (id_rank(id), *id));
            let id = own.first().map(|s| (*s).to_owned()).unwrap_or_default();
            let mut aliases: Vec<String> = ids.into_iter().filter(|a| *a != id).collect();
            aliases.sort_by_key(|a| (id_rank(a), a.clone()));
            let fixed = members
                .iter()
                .filter_map(|&m| hits.get(m).and_then(|(_, _, f)| f.clone()))
                .next();
            let summary = records
                .iter()
                .map(|(r, _)| r.summary.clone())
                .find(|s| !s.is_empty())
                .unwrap_or_default();
            let finding = Finding {
                id,
                aliases,
                purl: component.purl.clone(),
                ecosystem: ecosystem.to_owned(),
                name: component.name.clone(),
                installed: component.version.clone(),
                fixed,
                severity,
                score,
                summary,
                bom_ref: component.bom_ref.clone(),
                suppressed: None,
            };
            result.findings.push(finding);
        }
    }
    settle(result, ignores, vex, today)
}

/// Applies the exceptions (VEX first, then the ignore file), notes expired ones, and sorts
/// the findings most severe first.
fn settle(mut result: Scan, ignores: &ignore::IgnoreList, vex: &vex::Vex, today: &str) -> Scan {
    for finding in &mut result.findings {
        finding.suppressed = vex
            .suppression(finding)
            .or_else(|| ignores.suppression(finding, today, &mut result.notes));
    }
    result.notes.extend(ignores.unused_expired(today));
    result.notes.sort();
    result.notes.dedup();
    result.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.purl.cmp(&b.purl))
            .then_with(|| a.id.cmp(&b.id))
    });
    result
}

/// A scan of another scanner's findings: exceptions applied, sorted as [`scan`] sorts.
pub fn from_findings(
    findings: Vec<Finding>,
    ignores: &ignore::IgnoreList,
    vex: &vex::Vex,
    today: &str,
) -> Scan {
    let result = Scan {
        scanned: findings.len(),
        findings,
        ..Scan::default()
    };
    settle(result, ignores, vex, today)
}

/// Which id names a merged issue: the advisory databases' own ids before CVEs.
fn id_rank(id: &str) -> u8 {
    if id.starts_with("GHSA-") {
        0
    } else if id.starts_with("RUSTSEC-") || id.starts_with("PYSEC-") {
        1
    } else if id.starts_with("CVE-") {
        2
    } else {
        3
    }
}
