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
    #[error("{path} already exists (use --force to overwrite it)")]
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
    write_private(&private_path, private_pem.as_bytes())?;
    fsio::write_atomic(&public_path, public_pem.as_bytes())?;
    Ok((private_path, public_path))
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
    let bytes = fsio::read_bounded(path, MAX_KEY_FILE_BYTES)?;
    let text = String::from_utf8_lossy(&bytes);
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

/// Private keys are created 0600 from the start, never chmod-ed after being readable.
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), KeyFileError> {
    let write_error = |source| FileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))
        .tempfile_in(dir)
        .map_err(write_error)?;
    temp.write_all(bytes).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|e| write_error(e.error))?;
    Ok(())
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
}
