//! The OSV database on disk: a directory tree of OSV JSON records and/or the per-ecosystem
//! `all.zip` archives OSV publishes (kept as `<ecosystem>.zip` by `db update`), loaded with
//! each record size-bounded and indexed by ecosystem and name. A malformed record names its
//! file (and archive entry) and field and fails the load, unless invalid records are to be
//! skipped, when they are counted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ScanError;
use super::osv::Record;

const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;
const MAX_DEPTH: usize = 8;
/// More entries than any real export has (npm's is about 200,000).
const MAX_ARCHIVE_ENTRIES: usize = 2_000_000;

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
            if file.extension().is_some_and(|e| e == "zip") {
                db.load_archive(&file, skip_invalid)?;
                continue;
            }
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

    /// Loads every `*.json` entry of an OSV archive.
    fn load_archive(&mut self, file: &Path, skip_invalid: bool) -> Result<(), ScanError> {
        let failed = |reason: String| ScanError::Record {
            file: file.to_owned(),
            reason,
        };
        let reader = std::fs::File::open(file).map_err(|e| failed(e.to_string()))?;
        let mut archive =
            zip::ZipArchive::new(reader).map_err(|e| failed(format!("not a zip archive: {e}")))?;
        if archive.len() > MAX_ARCHIVE_ENTRIES {
            return Err(failed(format!(
                "{} entries, more than {MAX_ARCHIVE_ENTRIES}",
                archive.len()
            )));
        }
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).map_err(|e| failed(e.to_string()))?;
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            let name = entry.name().to_owned();
            let entry_file = file.join(&name);
            if entry.size() > MAX_RECORD_BYTES {
                let reason = format!("larger than {MAX_RECORD_BYTES} bytes");
                if skip_invalid {
                    self.skipped.push((entry_file, reason));
                    continue;
                }
                return Err(ScanError::Record {
                    file: entry_file,
                    reason,
                });
            }
            let mut bytes = Vec::with_capacity(entry.size() as usize);
            std::io::Read::read_to_end(
                &mut std::io::Read::take(&mut entry, MAX_RECORD_BYTES),
                &mut bytes,
            )
            .map_err(|e| ScanError::Record {
                file: entry_file.clone(),
                reason: e.to_string(),
            })?;
            match Record::from_json(&bytes) {
                Ok(record) => self.add(record),
                Err(reason) if skip_invalid => self.skipped.push((entry_file, reason)),
                Err(reason) => {
                    return Err(ScanError::Record {
                        file: entry_file,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Loads an archive strictly (every record must parse), for checking a download.
    pub(crate) fn load_archive_checked(&mut self, file: &Path) -> Result<(), ScanError> {
        self.load_archive(file, false)
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
        // `db update`'s downloads in progress.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let kind = entry.file_type().map_err(|e| ScanError::Record {
            file: path.clone(),
            reason: e.to_string(),
        })?;
        if kind.is_dir() {
            collect(&path, depth + 1, out)?;
        } else if kind.is_file() && path.extension().is_some_and(|e| e == "json" || e == "zip") {
            out.push(path);
        }
    }
    Ok(())
}
