//! The OSV database on disk: a directory tree of OSV JSON records (as OSV's per-ecosystem
//! exports unpack), loaded with each file size-bounded and indexed by ecosystem and name. A
//! malformed record names its file and field and fails the load, unless invalid records are to
//! be skipped, when they are counted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ScanError;
use super::osv::Record;

const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;
const MAX_DEPTH: usize = 8;

/// Loaded records, indexed.
#[derive(Debug, Default)]
pub struct Database {
    records: Vec<Record>,
    index: HashMap<(String, String), Vec<(usize, usize)>>,
    /// Records skipped as invalid (with `skip_invalid`): file and reason.
    pub skipped: Vec<(PathBuf, String)>,
}

/// The index key of a package: PyPI names normalised, crates lower-cased.
pub(crate) fn key(ecosystem: &str, name: &str) -> (String, String) {
    let name = match ecosystem {
        "PyPI" => crate::purl::normalize_pypi_name(name),
        "crates.io" => name.to_ascii_lowercase(),
        _ => name.to_owned(),
    };
    (ecosystem.to_owned(), name)
}

impl Database {
    /// Loads every `*.json` under `dir`.
    pub fn load(dir: &Path, skip_invalid: bool) -> Result<Self, ScanError> {
        if !dir.is_dir() {
            return Err(ScanError::DatabaseMissing(dir.to_owned()));
        }
        let mut files = Vec::new();
        collect(dir, 0, &mut files)?;
        files.sort();
        let mut db = Self::default();
        for file in files {
            let bytes = crate::fsio::read_bounded(&file, MAX_RECORD_BYTES).map_err(|e| {
                ScanError::Record {
                    file: file.clone(),
                    reason: e.to_string(),
                }
            })?;
            match Record::from_json(&bytes) {
                Ok(record) => db.add(record),
                Err(reason) if skip_invalid => db.skipped.push((file, reason)),
                Err(reason) => return Err(ScanError::Record { file, reason }),
            }
        }
        Ok(db)
    }

    /// Adds a record (withdrawn ones are kept out).
    pub fn add(&mut self, record: Record) {
        if record.withdrawn {
            return;
        }
        let at = self.records.len();
        for (i, affected) in record.affected.iter().enumerate() {
            self.index
                .entry(key(&affected.ecosystem, &affected.name))
                .or_default()
                .push((at, i));
        }
        self.records.push(record);
    }

    /// How many records apply.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether none do.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The records (and which of their affected entries) about a package.
    pub(crate) fn about(
        &self,
        ecosystem: &str,
        name: &str,
    ) -> impl Iterator<Item = (&Record, &super::osv::Affected)> {
        self.index
            .get(&key(ecosystem, name))
            .into_iter()
            .flatten()
            .filter_map(|&(r, a)| {
                let record = self.records.get(r)?;
                Some((record, record.affected.get(a)?))
            })
    }
}

fn collect(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<(), ScanError> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|e| ScanError::Record {
        file: dir.to_owned(),
        reason: e.to_string(),
    })?;
    for entry in entries.flatten() {
        let path = entry.path();
        let kind = entry.file_type().map_err(|e| ScanError::Record {
            file: path.clone(),
            reason: e.to_string(),
        })?;
        if kind.is_dir() {
            collect(&path, depth + 1, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    Ok(())
}
