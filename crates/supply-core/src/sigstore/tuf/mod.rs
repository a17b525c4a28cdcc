//! The Sigstore trusted root obtained through TUF, as cosign does: a pinned TUF root embedded in
//! the binary is the trust anchor; newer roots, the timestamp, snapshot and targets are fetched
//! and verified from it, cached on disk and re-verified on every run; `trusted_root.json` is
//! the target used. Offline, only the cache is read, and only while it has not expired.
//! This is the network edge of `sigstore`: everything else there is pure.

mod canonical;
mod client;
mod metadata;

use std::path::PathBuf;

use super::trust_root::{TrustRootError, TrustedRoot};

/// The public-good instance's TUF repository.
pub const PUBLIC_GOOD_URL: &str = "https://tuf-repo-cdn.sigstore.dev";
/// The public-good staging instance's TUF repository.
pub const STAGING_URL: &str = "https://tuf-repo-cdn.sigstage.dev";
/// The pinned public-good TUF root (see `roots/ORIGIN.md`).
pub const PUBLIC_GOOD_ROOT: &[u8] = include_bytes!("roots/public-good.root.json");
/// The pinned staging TUF root.
pub const STAGING_ROOT: &[u8] = include_bytes!("roots/staging.root.json");
/// The target holding the Sigstore trusted root.
pub const TRUSTED_ROOT_TARGET: &str = "trusted_root.json";

/// The trusted root could not be obtained through TUF.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TufError {
    /// A metadata document is malformed.
    #[error("TUF {role} metadata is not valid: {reason}")]
    Invalid {
        /// The role.
        role: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// Not signed by enough of the keys it must be.
    #[error("TUF {role} metadata is signed by {signed} of the {threshold} keys it needs")]
    Unsigned {
        /// The role.
        role: &'static str,
        /// Distinct keys whose signatures verified.
        signed: usize,
        /// How many are needed.
        threshold: u64,
    },
    /// Expired.
    #[error("TUF {role} metadata has expired")]
    Expired {
        /// The role.
        role: &'static str,
    },
    /// A version other than the one it must have.
    #[error("TUF {role} metadata has version {found}, expected {expected}")]
    Version {
        /// The role.
        role: &'static str,
        /// Expected.
        expected: u64,
        /// Found.
        found: u64,
    },
    /// Older than what was already trusted (a rollback attack, or a stale mirror).
    #[error("TUF {role} metadata went back from version {trusted} to {new}")]
    Rollback {
        /// The role.
        role: &'static str,
        /// The version trusted before.
        trusted: u64,
        /// The version offered now.
        new: u64,
    },
    /// A file's length or hashes are not what the metadata lists.
    #[error("{file} is not the file the TUF metadata lists: {reason}")]
    FileMismatch {
        /// The file.
        file: String,
        /// What differs.
        reason: String,
    },
    /// A metadata file the repository must have is missing.
    #[error("the TUF repository has no {file}")]
    Missing {
        /// The file.
        file: String,
    },
    /// The target is not listed.
    #[error("the TUF repository lists no target {0}")]
    TargetMissing(String),
    /// Offline, and the cache does not have it (valid and unexpired).
    #[error("offline, and no valid cached {file} (run once online to fill the cache)")]
    Offline {
        /// The file.
        file: &'static str,
    },
    /// The repository could not be reached.
    #[error("cannot fetch {url}: {reason}")]
    Network {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The cache could not be written.
    #[error("cannot write the TUF cache {path}: {reason}")]
    Cache {
        /// The path.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The target is not a trusted root we can use.
    #[error(transparent)]
    TrustedRoot(#[from] TrustRootError),
    /// The blocking facade could not run the fetch.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pinned_roots_sign_themselves() {
        assert_eq!(check_pinned_root(PUBLIC_GOOD_ROOT).unwrap(), 15);
        assert_eq!(check_pinned_root(STAGING_ROOT).unwrap(), 13);
        let mut tampered = String::from_utf8(PUBLIC_GOOD_ROOT.to_vec()).unwrap();
        tampered = tampered.replacen("\"version\": 15", "\"version\": 16", 1);
        assert!(matches!(
            check_pinned_root(tampered.as_bytes()),
            Err(TufError::Unsigned { .. })
        ));
    }
}

impl crate::error::Classify for TufError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Network { .. } => crate::ErrorKind::Network,
            Self::Offline { .. } | Self::Missing { .. } | Self::TargetMissing(_) => {
                crate::ErrorKind::NotFound
            }
            Self::Cache { .. } => crate::ErrorKind::Io,
            Self::TrustedRoot(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
            _ => crate::ErrorKind::VerificationFailed,
        }
    }
}

/// Where and how to fetch.
#[derive(Clone, Debug)]
pub struct TufOptions {
    /// The pinned TUF root (the trust anchor).
    pub pinned_root: Vec<u8>,
    /// Metadata base URL.
    pub metadata_url: String,
    /// Targets base URL.
    pub targets_url: String,
    /// Where verified metadata and targets are kept between runs (`None`: nowhere).
    pub cache_dir: Option<PathBuf>,
    /// The reference time (Unix seconds) every expiry is checked at.
    pub now: i64,
    /// Use only the cache.
    pub offline: bool,
}

impl TufOptions {
    /// The public-good (or staging) instance, with no cache; `now` is the current time.
    pub fn public_good(staging: bool) -> Self {
        let (url, root) = if staging {
            (STAGING_URL, STAGING_ROOT)
        } else {
            (PUBLIC_GOOD_URL, PUBLIC_GOOD_ROOT)
        };
        Self::for_repository(url, root.to_vec())
    }

    /// Any TUF repository at `url` (metadata at the root, targets under `targets/`).
    pub fn for_repository(url: &str, pinned_root: Vec<u8>) -> Self {
        let url = url.trim_end_matches('/');
        Self {
            pinned_root,
            metadata_url: url.to_owned(),
            targets_url: format!("{url}/targets"),
            cache_dir: None,
            now: super::now(),
            offline: false,
        }
    }
}

/// The cache directory the CLI uses for a repository: `$SUPPLY_TUF_CACHE`, else
/// `$XDG_CACHE_HOME/supply/tuf/<repository>`, else `~/.cache/supply/tuf/<repository>`.
pub fn default_cache_dir(repository_url: &str) -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SUPPLY_TUF_CACHE") {
        return Some(PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
    let name: String = repository_url
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(base.join("supply").join("tuf").join(name))
}

/// Checks that `bytes` are a TUF root signed by a threshold of its own root keys (what a pinned
/// root must be); returns its version.
pub fn check_pinned_root(bytes: &[u8]) -> Result<u64, TufError> {
    let root = metadata::Metadata::parse(bytes, "root")?;
    root.check_signed_by(
        root.field("keys").unwrap_or(&serde_json::Value::Null),
        root.field("roles")
            .and_then(|r| r.get("root"))
            .unwrap_or(&serde_json::Value::Null),
        "root",
    )?;
    Ok(root.version)
}

/// Fetches (or reads from the cache) and verifies a target.
pub async fn fetch_target(options: &TufOptions, name: &str) -> Result<Vec<u8>, TufError> {
    client::Client::new(options)?.target(name).await
}

/// The Sigstore trusted root from the TUF repository.
pub async fn trusted_root(options: &TufOptions) -> Result<TrustedRoot, TufError> {
    let bytes = fetch_target(options, TRUSTED_ROOT_TARGET).await?;
    Ok(TrustedRoot::from_json(&bytes)?)
}
