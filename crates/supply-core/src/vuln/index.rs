//! The prepared index cached next to an OSV database (`<db>/.supply-index`), so a repeated
//! scan reads only the records about the packages it looks up instead of every record.
//!
//! Layout (little-endian): magic `SUPPLYIX`, format version, the SHA-256 fingerprint of the
//! database's files (relative path, size, modification time) and of the skip setting, then
//! three sections, each length-prefixed and CRC-32-checked: the skipped records (JSON), the
//! key table (sorted `ecosystem\0name` keys, each with the indices of the records about it)
//! and the record table (offset, length and CRC-32 of each record's compact JSON), followed
//! by the records. Only the records a scan needs are read, and each is checked.
//!
//! The index is a cache, never a source of truth: a fingerprint that differs (a file added,
//! removed, rewritten or touched) or any section that does not decode within its bounds makes
//! the scan rebuild it from the database. It lives in the database's own directory, so
//! whoever can change it can change the records it was made from; it is bounds-checked
//! against corruption (CRC-32 at gigabytes per second keeps a warm scan fast; a digest of
//! every section would cost more than the lookup), not authenticated against tampering.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::db::{self, Database};
use super::osv::Record;

/// The file name, a dotfile so that loading the database never reads it as a record.
pub const FILE_NAME: &str = ".supply-index";
const MAGIC: &[u8; 8] = b"SUPPLYIX";
const FORMAT: u32 = 2;
/// Sections larger than this are corruption (the npm export's key table is a few MB).
const MAX_SECTION: u64 = 1 << 30;
const MAX_RECORD: u32 = 8 * 1024 * 1024;
/// Bytes per record-table entry: offset (u64), length (u32), CRC-32 (u32).
const ENTRY: usize = 16;

/// How a scan got its records.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum IndexUse {
    /// The cached index matched the database and was read.
    Warm,
    /// There was none or it was stale; the database was loaded and the index written.
    Built,
    /// The database was loaded, but the index could not be written (e.g. a read-only mount).
    Unwritable,
}

/// The fingerprint of the database files under `dir` with the skip setting.
pub(crate) fn fingerprint(
    dir: &Path,
    files: &[PathBuf],
    skip_invalid: bool,
) -> Result<[u8; 32], std::io::Error> {
    let mut hash = Sha256::new();
    hash.update([u8::from(skip_invalid)]);
    for file in files {
        let meta = std::fs::metadata(file)?;
        let relative = file.strip_prefix(dir).unwrap_or(file);
        let mtime = meta
            .modified()?
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        hash.update(relative.as_os_str().as_encoded_bytes());
        hash.update([0]);
        hash.update(meta.len().to_le_bytes());
        hash.update(mtime.to_le_bytes());
    }
    Ok(hash.finalize().into())
}

/// The index bytes for a loaded database.
pub(crate) fn encode(db: &Database, print: &[u8; 32]) -> Result<Vec<u8>, String> {
    let mut keys: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
    let mut bodies = Vec::new();
    let mut table = Vec::new();
    for (i, record) in db.records().iter().enumerate() {
        let at = u32::try_from(i).map_err(|_| "too many records")?;
        for affected in &record.affected {
            let (ecosystem, name) = db::key(&affected.ecosystem, &affected.name);
            keys.entry(format!("{ecosystem}\0{name}"))
                .or_default()
                .insert(at);
        }
        let body = serde_json::to_vec(record).map_err(|e| e.to_string())?;
        let offset = u64::try_from(bodies.len()).map_err(|_| "index too large")?;
        let len = u32::try_from(body.len()).map_err(|_| "record too large")?;
        table.extend_from_slice(&offset.to_le_bytes());
        table.extend_from_slice(&len.to_le_bytes());
        table.extend_from_slice(&crc32fast::hash(&body).to_le_bytes());
        bodies.extend_from_slice(&body);
    }
    let mut key_section = Vec::new();
    put_u32(&mut key_section, keys.len())?;
    for (key, records) in &keys {
        put_u32(&mut key_section, key.len())?;
        key_section.extend_from_slice(key.as_bytes());
        put_u32(&mut key_section, records.len())?;
        for r in records {
            key_section.extend_from_slice(&r.to_le_bytes());
        }
    }
    let skipped: Vec<(String, &str)> = db
        .skipped
        .iter()
        .map(|(file, reason)| (file.to_string_lossy().into_owned(), reason.as_str()))
        .collect();
    let skipped = serde_json::to_vec(&skipped).map_err(|e| e.to_string())?;

    let mut out = Vec::with_capacity(bodies.len() + key_section.len() + table.len() + 128);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.extend_from_slice(print);
    for section in [&skipped, &key_section, &table] {
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
        out.extend_from_slice(&crc32fast::hash(section).to_le_bytes());
        out.extend_from_slice(section);
    }
    out.extend_from_slice(&bodies);
    Ok(out)
}

fn put_u32(out: &mut Vec<u8>, n: usize) -> Result<(), String> {
    let n = u32::try_from(n).map_err(|_| "index too large")?;
    out.extend_from_slice(&n.to_le_bytes());
    Ok(())
}

/// Reads from the index at `path` the records about `wanted` (`(ecosystem, name)` keys as
/// [`db::key`] spells them). `Ok(None)`: no index, or one made from other files.
pub(crate) fn read(
    path: &Path,
    print: &[u8; 32],
    wanted: &BTreeSet<(String, String)>,
) -> Result<Option<Database>, String> {
    let mut file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e.to_string()),
    };
    let mut head = [0u8; 44];
    if file.read_exact(&mut head).is_err() {
        return Ok(None);
    }
    if head.get(..8) != Some(MAGIC.as_slice())
        || head.get(8..12) != Some(FORMAT.to_le_bytes().as_slice())
        || head.get(12..44) != Some(print.as_slice())
    {
        return Ok(None);
    }
    let skipped = section(&mut file)?;
    let keys = section(&mut file)?;
    let table = section(&mut file)?;
    let bodies_start = file.stream_position().map_err(|e| e.to_string())?;

    let mut wanted_records = BTreeSet::new();
    let mut cursor = Cursor(&keys);
    let count = cursor.u32()?;
    let wanted: BTreeSet<String> = wanted.iter().map(|(e, n)| format!("{e}\0{n}")).collect();
    for _ in 0..count {
        let len = cursor.u32()?;
        let key = cursor.bytes(len)?;
        let records = cursor.u32()?;
        let ids = cursor.bytes(records.checked_mul(4).ok_or("key table overflow")?)?;
        let key = std::str::from_utf8(key).map_err(|_| "key not UTF-8")?;
        if wanted.contains(key) {
            wanted_records.extend(
                ids.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
    }

    let mut db = Database::default();
    db.total = Some(table.len() / ENTRY);
    let skipped: Vec<(String, String)> =
        serde_json::from_slice(&skipped).map_err(|e| format!("skipped list: {e}"))?;
    db.skipped = skipped
        .into_iter()
        .map(|(file, reason)| (PathBuf::from(file), reason))
        .collect();
    for at in wanted_records {
        let entry = usize::try_from(at)
            .ok()
            .and_then(|at| at.checked_mul(ENTRY))
            .and_then(|start| table.get(start..start + ENTRY))
            .ok_or("record table too short")?;
        let mut cursor = Cursor(entry);
        let offset = cursor.u64()?;
        let len = cursor.u32()?;
        let crc = cursor.u32()?;
        if len > MAX_RECORD {
            return Err("record too large".into());
        }
        let start = bodies_start
            .checked_add(offset)
            .ok_or("record offset overflow")?;
        file.seek(SeekFrom::Start(start))
            .map_err(|e| e.to_string())?;
        let mut body = vec![0; len as usize];
        file.read_exact(&mut body)
            .map_err(|_| "record past the end of the index")?;
        if crc32fast::hash(&body) != crc {
            return Err(format!("record {at}: checksum mismatch"));
        }
        let record: Record =
            serde_json::from_slice(&body).map_err(|e| format!("record {at}: {e}"))?;
        db.add(record);
    }
    Ok(Some(db))
}

fn section(file: &mut File) -> Result<Vec<u8>, String> {
    let mut head = [0u8; 12];
    file.read_exact(&mut head)
        .map_err(|_| "index truncated".to_owned())?;
    let mut cursor = Cursor(&head);
    let len = cursor.u64()?;
    let crc = cursor.u32()?;
    if len > MAX_SECTION {
        return Err(format!("section of {len} bytes"));
    }
    let mut bytes = Vec::new();
    file.take(len)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 != len {
        return Err("index truncated".into());
    }
    if crc32fast::hash(&bytes) != crc {
        return Err("section checksum mismatch".into());
    }
    Ok(bytes)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn bytes(&mut self, n: u32) -> Result<&'a [u8], String> {
        let n = n as usize;
        let (head, rest) = (self.0.get(..n), self.0.get(n..));
        match (head, rest) {
            (Some(head), Some(rest)) => {
                self.0 = rest;
                Ok(head)
            }
            _ => Err("index truncated".into()),
        }
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.bytes(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, String> {
        let lo = u64::from(self.u32()?);
        let hi = u64::from(self.u32()?);
        Ok(lo | hi << 32)
    }
}

#[cfg(test)]
#[path = "index_tests.rs"]
mod tests;
