//! The OSV database on disk: a directory tree of OSV JSON records and/or the per-ecosystem
//! `all.zip` archives OSV publishes (kept as `<ecosystem>.zip` by `db update`), loaded with
//! each record size-bounded and indexed by ecosystem and name. A malformed record names its
//! file (and archive entry) and field and fails the load, unless invalid records are to be
//! skipped, when they are counted.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::ScanError;
use super::component::Component;
use super::index::{self, IndexUse};
use super::osv::Record;

const MAX_RECORD_BYTES: u64 = 8 * 1024 * 1024;
const MAX_DEPTH: usize = 8;
/// More entries than any real export has (npm's is about 220,000).
const MAX_ARCHIVE_ENTRIES: usize = 2_000_000;
/// Ten times npm's export (about 200 MB in 2026).
pub(crate) const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Loaded records, indexed.
#[derive(Debug, Default)]
pub struct Database {
    records: Vec<Record>,
    index: HashMap<(String, String), Vec<(usize, usize)>>,
    /// Records skipped as invalid (with `skip_invalid`): file and reason.
    pub skipped: Vec<(PathBuf, String)>,
    /// How many records the whole database has, when only some were read from its index.
    pub(crate) total: Option<usize>,
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
    /// Loads every record under `dir` (JSON files and zip archives).
    pub fn load(dir: &Path, skip_invalid: bool) -> Result<Self, ScanError> {
        Self::load_files(&list(dir)?, skip_invalid)
    }

    /// Loads the records about `components`, through the prepared index next to the
    /// database when it matches the files, else from the files (then writing the index).
    pub fn load_indexed(
        dir: &Path,
        skip_invalid: bool,
        components: &[Component],
    ) -> Result<(Self, IndexUse), ScanError> {
        let files = list(dir)?;
        let print = |files: &[PathBuf]| {
            index::fingerprint(dir, files, skip_invalid).map_err(|e| ScanError::Record {
                file: dir.to_owned(),
                reason: e.to_string(),
            })
        };
        let before = print(&files)?;
        let path = dir.join(index::FILE_NAME);
        let wanted = components
            .iter()
            .filter_map(|c| Some(key(c.ecosystem?, &c.name)))
            .collect();
        match index::read(&path, &before, &wanted) {
            Ok(Some(db)) => return Ok((db, IndexUse::Warm)),
            Ok(None) => {}
            Err(reason) => {
                tracing::warn!(index = %path.display(), %reason, "prepared index unreadable; rebuilding it")
            }
        }
        let db = Self::load_files(&files, skip_invalid)?;
        // Files that changed while they were read must not be cached under the old print.
        if list(dir).and_then(|now| print(&now)).ok() != Some(before) {
            return Ok((db, IndexUse::Unwritable));
        }
        let written = index::encode(&db, &before)
            .and_then(|bytes| crate::fsio::write_atomic(&path, &bytes).map_err(|e| e.to_string()));
        match written {
            Ok(()) => Ok((db, IndexUse::Built)),
            Err(reason) => {
                tracing::warn!(index = %path.display(), %reason, "prepared index not written");
                Ok((db, IndexUse::Unwritable))
            }
        }
    }

    fn load_files(files: &[PathBuf], skip_invalid: bool) -> Result<Self, ScanError> {
        let mut db = Self::default();
        for file in files {
            let file = file.clone();
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

    /// Loads every `*.json` entry of an OSV archive, in contiguous parts on as many threads
    /// as there are cores (at most 4): inflating and parsing is the whole cost of a cold scan.
    fn load_archive(&mut self, file: &Path, skip_invalid: bool) -> Result<(), ScanError> {
        // In memory, because the zip reader seeks before every entry and a buffered file
        // reader drops its buffer on each seek: a syscall storm on 200,000 entries.
        let bytes =
            crate::fsio::read_bounded(file, MAX_ARCHIVE_BYTES).map_err(|e| ScanError::Record {
                file: file.to_owned(),
                reason: e.to_string(),
            })?;
        let bytes = bytes.as_slice();
        let entries = open_archive(file, bytes)?.len();
        if entries > MAX_ARCHIVE_ENTRIES {
            return Err(ScanError::Record {
                file: file.to_owned(),
                reason: format!("{entries} entries, more than {MAX_ARCHIVE_ENTRIES}"),
            });
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, 4)
            .min(entries.max(1));
        let chunk = entries.div_ceil(threads);
        let parts: Vec<Result<Part, ScanError>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let range = t * chunk..((t + 1) * chunk).min(entries);
                    scope.spawn(move || read_part(file, bytes, range, skip_invalid))
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join().unwrap_or_else(|_| {
                        Err(ScanError::Record {
                            file: file.to_owned(),
                            reason: "reading the archive failed".into(),
                        })
                    })
                })
                .collect()
        });
        for part in parts {
            let part = part?;
            for record in part.records {
                self.add(record);
            }
            self.skipped.extend(part.skipped);
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

    pub(crate) fn records(&self) -> &[Record] {
        &self.records
    }

    /// How many records apply.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// How many records the database has (all of them, even when only those about the
    /// scanned packages were read).
    pub fn total(&self) -> usize {
        self.total.unwrap_or(self.records.len())
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

/// What one thread read of an archive.
#[derive(Default)]
struct Part {
    records: Vec<Record>,
    skipped: Vec<(PathBuf, String)>,
}

fn open_archive<'a>(
    file: &Path,
    bytes: &'a [u8],
) -> Result<zip::ZipArchive<std::io::Cursor<&'a [u8]>>, ScanError> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| ScanError::Record {
        file: file.to_owned(),
        reason: format!("not a zip archive: {e}"),
    })
}

/// Reads the entries `range` of the archive `file`.
fn read_part(
    file: &Path,
    bytes: &[u8],
    range: std::ops::Range<usize>,
    skip_invalid: bool,
) -> Result<Part, ScanError> {
    let mut archive = open_archive(file, bytes)?;
    let mut part = Part::default();
    let mut json = Vec::new();
    for i in range {
        let mut entry = archive.by_index(i).map_err(|e| ScanError::Record {
            file: file.to_owned(),
            reason: e.to_string(),
        })?;
        if !entry.is_file() || !entry.name().ends_with(".json") {
            continue;
        }
        let name = entry.name().to_owned();
        let entry_file = || file.join(&name);
        if entry.size() > MAX_RECORD_BYTES {
            let reason = format!("larger than {MAX_RECORD_BYTES} bytes");
            if skip_invalid {
                part.skipped.push((entry_file(), reason));
                continue;
            }
            return Err(ScanError::Record {
                file: entry_file(),
                reason,
            });
        }
        json.clear();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut entry, MAX_RECORD_BYTES),
            &mut json,
        );
        if let Err(e) = read {
            return Err(ScanError::Record {
                file: entry_file(),
                reason: e.to_string(),
            });
        }
        match Record::from_json(&json) {
            Ok(record) => part.records.push(record),
            Err(reason) if skip_invalid => part.skipped.push((entry_file(), reason)),
            Err(reason) => {
                return Err(ScanError::Record {
                    file: entry_file(),
                    reason,
                });
            }
        }
    }
    Ok(part)
}

/// The database files under `dir`, sorted.
fn list(dir: &Path) -> Result<Vec<PathBuf>, ScanError> {
    if !dir.is_dir() {
        return Err(ScanError::DatabaseMissing(dir.to_owned()));
    }
    let mut files = Vec::new();
    collect(dir, 0, &mut files)?;
    files.sort();
    Ok(files)
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
