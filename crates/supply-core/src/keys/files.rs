//! Key files on disk: the pair cosign writes (`<prefix>.key` mode 0600, `<prefix>.pub`), never
//! overwritten unless asked, and bounded reads of key files.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{KeyError, SigningKey, VerifyingKey};
use crate::fsio::{self, FileError};

const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// A key file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyFileError {
    /// Reading or writing failed.
    #[error(transparent)]
    File(#[from] FileError),
    /// The target exists and overwriting was not asked for.
    #[error("{path} already exists")]
    Exists {
        /// The file.
        path: PathBuf,
    },
    /// The file's content is not a usable key.
    #[error("{path}")]
    Key {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: KeyError,
    },
}

impl crate::error::Classify for KeyFileError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::File(e) => e.kind(),
            Self::Exists { .. } => crate::ErrorKind::InvalidInput,
            Self::Key { source, .. } => source.kind(),
        }
    }
}

/// Writes `<prefix>.key` (encrypted, mode 0600) and `<prefix>.pub`; returns both paths.
pub fn write_key_pair(
    prefix: &Path,
    key: &SigningKey,
    password: &[u8],
    force: bool,
) -> Result<(PathBuf, PathBuf), KeyFileError> {
    let private_path = with_suffix(prefix, "key");
    let public_path = with_suffix(prefix, "pub");
    for path in [&private_path, &public_path] {
        if !force && path.exists() {
            return Err(KeyFileError::Exists { path: path.clone() });
        }
    }
    let private_pem = key
        .to_encrypted_pem(password)
        .map_err(|source| KeyFileError::Key {
            path: private_path.clone(),
            source,
        })?;
    let public_pem = key
        .verifying_key()
        .to_pem()
        .map_err(|source| KeyFileError::Key {
            path: public_path.clone(),
            source,
        })?;
    let private = temporary(&private_path, private_pem.as_bytes(), 0o600)?;
    let public = temporary(&public_path, public_pem.as_bytes(), 0o644)?;
    persist_pair(private, public, &private_path, &public_path, force)?;
    Ok((private_path, public_path))
}

/// Moves both written temporaries into place. Without `force` neither target may exist, even
/// one that appeared after the check: each is linked into place only if absent (no-clobber),
/// and the private key is removed again when its public half cannot be placed, so a failure
/// never leaves a new `.key` beside an old `.pub`.
fn persist_pair(
    private: tempfile::NamedTempFile,
    public: tempfile::NamedTempFile,
    private_path: &Path,
    public_path: &Path,
    force: bool,
) -> Result<(), KeyFileError> {
    let persist_error = |path: &Path, error: tempfile::PersistError| {
        if !force && error.error.kind() == std::io::ErrorKind::AlreadyExists {
            KeyFileError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            KeyFileError::File(FileError::Write {
                path: path.to_path_buf(),
                source: error.error,
            })
        }
    };
    if force {
        // The public half first: if the private key cannot follow, the old key still matches
        // nothing new that could be trusted in its name.
        public
            .persist(public_path)
            .map_err(|e| persist_error(public_path, e))?;
        private
            .persist(private_path)
            .map_err(|e| persist_error(private_path, e))?;
        return Ok(());
    }
    private
        .persist_noclobber(private_path)
        .map_err(|e| persist_error(private_path, e))?;
    if let Err(error) = public.persist_noclobber(public_path) {
        let _ = std::fs::remove_file(private_path);
        return Err(persist_error(public_path, error));
    }
    Ok(())
}

/// Reads and decrypts a cosign private key file.
pub fn read_signing_key(path: &Path, password: &[u8]) -> Result<SigningKey, KeyFileError> {
    let pem = fsio::read_bounded(path, MAX_KEY_FILE_BYTES)?;
    SigningKey::from_encrypted_pem(&pem, password).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads an unencrypted private key to import (`PRIVATE KEY`, `EC PRIVATE KEY`,
/// `RSA PRIVATE KEY`), with cosign's rules on sizes and curves.
pub fn read_key_to_import(path: &Path) -> Result<SigningKey, KeyFileError> {
    let pem = zeroize::Zeroizing::new(fsio::read_bounded(path, MAX_KEY_FILE_BYTES)?);
    SigningKey::from_import_pem(&pem).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a PKIX public key file.
pub fn read_verifying_key(path: &Path) -> Result<VerifyingKey, KeyFileError> {
    let text = fsio::read_text_bounded(path, MAX_KEY_FILE_BYTES)?;
    VerifyingKey::from_pem(&text).map_err(|source| KeyFileError::Key {
        path: path.to_path_buf(),
        source,
    })
}

fn with_suffix(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(".");
    name.push(suffix);
    PathBuf::from(name)
}

/// A synced temporary file beside `path` holding `bytes`, created with `mode` from the start
/// (a private key is never readable by others, not even for a moment).
fn temporary(
    path: &Path,
    bytes: &[u8],
    mode: u32,
) -> Result<tempfile::NamedTempFile, KeyFileError> {
    let write_error = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .tempfile_in(dir)
        .map_err(write_error)?;
    temp.write_all(bytes).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    Ok(temp)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn pair_is_written_once_with_private_mode() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("cosign");
        let key = SigningKey::generate();
        let (private, public) = write_key_pair(&prefix, &key, b"pw", false).unwrap();
        assert_eq!(
            std::fs::metadata(&private).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let loaded = read_signing_key(&private, b"pw").unwrap();
        assert_eq!(loaded.verifying_key(), read_verifying_key(&public).unwrap());
        assert!(matches!(
            write_key_pair(&prefix, &key, b"pw", false),
            Err(KeyFileError::Exists { .. })
        ));
        write_key_pair(&prefix, &SigningKey::generate(), b"pw", true).unwrap();
        assert_ne!(read_verifying_key(&public).unwrap(), key.verifying_key());
    }

    /// Regression: a `.pub` that appeared between the existence check and the write was
    /// overwritten, and a failure could leave a new `.key` beside an old `.pub`.
    #[test]
    fn a_file_appearing_after_the_check_is_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let private_path = dir.path().join("k.key");
        let public_path = dir.path().join("k.pub");
        let private = temporary(&private_path, b"new private", 0o600).unwrap();
        let public = temporary(&public_path, b"new public", 0o644).unwrap();
        // Another process writes the public key now, after any check we could have made.
        std::fs::write(&public_path, b"theirs").unwrap();
        let error = persist_pair(private, public, &private_path, &public_path, false).unwrap_err();
        assert!(
            matches!(error, KeyFileError::Exists { ref path } if *path == public_path),
            "{error}"
        );
        assert_eq!(std::fs::read(&public_path).unwrap(), b"theirs");
        assert!(!private_path.exists(), "no new .key beside the other .pub");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporaries left"
        );

        // The same for the private key appearing first.
        let private = temporary(&private_path, b"new private", 0o600).unwrap();
        let public = temporary(&dir.path().join("k2.pub"), b"new public", 0o644).unwrap();
        std::fs::write(&private_path, b"theirs").unwrap();
        let error = persist_pair(
            private,
            public,
            &private_path,
            &dir.path().join("k2.pub"),
            false,
        )
        .unwrap_err();
        assert!(matches!(error, KeyFileError::Exists { .. }), "{error}");
        assert_eq!(std::fs::read(&private_path).unwrap(), b"theirs");
        assert!(!dir.path().join("k2.pub").exists());
    }
}
