//! Bounded reads and atomic writes of local files.
//!
//! Untrusted files are read with a size cap so a hostile or mistaken input cannot exhaust
//! memory, and outputs are written to a temporary file beside the target and renamed into
//! place, so a reader never sees half a document.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::ErrorKind;

/// A local file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The file is larger than the limit for its kind.
    #[error("{path} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size (or the number of bytes read before giving up).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading failed.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not UTF-8 text.
    #[error("{path} is not UTF-8 (invalid byte at offset {offset})")]
    NotUtf8 {
        /// The file.
        path: PathBuf,
        /// Where the first invalid byte is.
        offset: usize,
    },
    /// Writing failed; the target was left untouched.
    #[error("cannot write {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl crate::error::Classify for FileError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::TooLarge { .. } | Self::NotUtf8 { .. } => ErrorKind::InvalidInput,
            Self::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                ErrorKind::NotFound
            }
            Self::Read { .. } | Self::Write { .. } => ErrorKind::Io,
        }
    }
}

/// Reads a whole file, refusing one larger than `limit` bytes.
///
/// The limit is enforced while reading, not only from metadata, so a growing file or a
/// device node cannot slip past it.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let read_error = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    let hint = file.metadata().map(|m| m.len()).unwrap_or(0);
    if hint > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: hint,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() as u64 > limit {
        return Err(FileError::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// The SHA-256 digest of a file, read in 64 KiB pieces (a multi-gigabyte build artifact is
/// never held in memory).
pub fn sha256_file(path: &Path) -> Result<crate::digest::Digest, FileError> {
    use sha2::Digest as _;
    let read_error = |source| FileError::Read {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let read = file.read(&mut buffer).map_err(read_error)?;
        let Some(chunk) = buffer.get(..read).filter(|c| !c.is_empty()) else {
            break;
        };
        hasher.update(chunk);
    }
    Ok(crate::digest::Digest::from_sha256_bytes(&hasher.finalize()))
}

/// Reads a UTF-8 text file, bounded; invalid UTF-8 is an error naming where it starts (a lossy
/// read of a policy or key would silently change what it says).
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, FileError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|e| FileError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, renamed over
/// the target. On any error the target is unchanged and no temporary is left. Readers see the
/// old file or the whole new one. It does not fsync: outputs are reproducible documents, and a
/// sync of a multi-megabyte SBOM costs more than making it (key files, which must survive a
/// crash, are synced by their own writer).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// [`write_atomic`] for content that `write` produces into the new file (which it may seek
/// in), so that it need not be in memory first.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<(), FileError> {
    let write_error = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(write_error)?;
    write(temp.as_file_mut()).map_err(write_error)?;
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_files_over_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 11]).unwrap();
        let err = read_bounded(&path, 10).unwrap_err();
        assert!(matches!(
            err,
            FileError::TooLarge {
                size: 11,
                limit: 10,
                ..
            }
        ));
        assert_eq!(read_bounded(&path, 11).unwrap().len(), 11);
    }

    #[test]
    fn files_hash_in_pieces_and_text_must_be_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("artifact");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(
            sha256_file(&path).unwrap(),
            crate::digest::Digest::sha256(&bytes)
        );
        std::fs::write(&path, b"ok \xff").unwrap();
        assert!(matches!(
            read_text_bounded(&path, 10),
            Err(FileError::NotUtf8 { offset: 3, .. })
        ));
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_write_into_missing_directory_fails_cleanly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("out.json");
        assert!(matches!(
            write_atomic(&path, b"x"),
            Err(FileError::Write { .. })
        ));
        assert!(!path.exists());
    }
}
