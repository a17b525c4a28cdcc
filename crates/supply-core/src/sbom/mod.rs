//! CycloneDX SBOMs from lockfiles, read offline.
//!
//! `Cargo.lock` (v1–v4), `uv.lock` (v1, all revisions), npm `package-lock.json` /
//! `npm-shrinkwrap.json` (v1–v3), `pnpm-lock.yaml` (v6, v9), `yarn.lock` (classic v1 and
//! Berry), `poetry.lock` (1.x, 2.x) and PEP 751 `pylock.toml` are parsed into a [`DepGraph`]
//! by pure functions
//! ([`parse_lockfile`]); the [`Builder`] merges one or more graphs into a [`Bom`]
//! (CycloneDX 1.6 or 1.5) with deterministic output; [`validate`] checks any CycloneDX
//! JSON against the official schema and for referential integrity.
//!
//! Invariant: parsers and the builder do no I/O; only [`read_lockfile`] and [`discover`]
//! touch the file system, and they bound what they read.

mod builder;
mod cargo;
mod cyclonedx;
mod de;
pub mod discover;
mod graph;
mod hash_behind;
mod hex;
mod npm;
mod npm_v1;
mod pnpm;
mod poetry;
mod pylock;
mod render;
mod scan;
mod time;
mod toml_fast;
mod uv;
mod validate;
mod yaml;
mod yarn;

use std::fmt;
use std::path::{Path, PathBuf};

pub use builder::{BuildOptions, Builder, SpecVersion};
pub use cyclonedx::Bom;
pub use discover::{Generated, Subject, generate};
pub use graph::{DepGraph, ExternalReference, Hash, HashAlg, Package, ReferenceKind, Scope};
pub use hex::{Hex, HexText};
pub use time::Timestamp;
pub use validate::{Finding, ValidateError, validate};

use crate::ErrorKind;
use crate::fsio::{self, FileError};

/// The largest lockfile we read; real ones are a few MB.
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Which lockfile format.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub enum Ecosystem {
    /// `Cargo.lock`.
    Cargo,
    /// `package-lock.json` or `npm-shrinkwrap.json`.
    Npm,
    /// `uv.lock`.
    Uv,
    /// `pnpm-lock.yaml` (lockfile versions 6 and 9).
    Pnpm,
    /// `yarn.lock`, classic (v1) or Berry (v2+).
    Yarn,
    /// `poetry.lock` (lock-version 1.1 and 2.x).
    Poetry,
    /// PEP 751 `pylock.toml` (or `pylock.<name>.toml`).
    Pylock,
}

impl Ecosystem {
    /// The ecosystem of a lockfile, from its file name.
    pub fn from_file_name(path: &Path) -> Option<Self> {
        match path.file_name()?.to_str()? {
            "Cargo.lock" => Some(Self::Cargo),
            "package-lock.json" | "npm-shrinkwrap.json" => Some(Self::Npm),
            "uv.lock" => Some(Self::Uv),
            "pnpm-lock.yaml" => Some(Self::Pnpm),
            "yarn.lock" => Some(Self::Yarn),
            "poetry.lock" => Some(Self::Poetry),
            "pylock.toml" => Some(Self::Pylock),
            name if is_named_pylock(name) => Some(Self::Pylock),
            _ => None,
        }
    }

    /// Short lower-case name (`cargo`, `npm`, `uv`, `pnpm`, `yarn`, `poetry`, `pylock`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Npm => "npm",
            Self::Uv => "uv",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Poetry => "poetry",
            Self::Pylock => "pylock",
        }
    }
}

/// PEP 751 names: `pylock.<name>.toml`, the name without dots.
fn is_named_pylock(file_name: &str) -> bool {
    file_name
        .strip_prefix("pylock.")
        .and_then(|rest| rest.strip_suffix(".toml"))
        .is_some_and(|name| !name.is_empty() && !name.contains('.'))
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A lockfile's text is not what its format allows.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LockfileError {
    /// Two packages match a dependency string and nothing tells them apart.
    #[error("package `{from}` depends on `{dependency}`, which matches several packages")]
    AmbiguousDependency {
        /// The depending package.
        from: String,
        /// The dependency as written.
        dependency: String,
    },
    /// A dependency names a package the lockfile does not define.
    #[error("package `{from}` depends on `{dependency}`, which the lockfile does not define")]
    DanglingDependency {
        /// The depending package.
        from: String,
        /// The dependency as written.
        dependency: String,
    },
    /// A field holds a value its format does not allow.
    #[error("package `{package}` has an invalid `{field}` ({reason}): {value:?}")]
    InvalidField {
        /// The package.
        package: String,
        /// The field.
        field: &'static str,
        /// The offending value (never a secret: lockfiles carry none we keep).
        value: String,
        /// Why it is invalid.
        reason: &'static str,
    },
    /// The text is not valid UTF-8.
    #[error("not UTF-8 text (invalid byte at line {line}, column {column})")]
    NotUtf8 {
        /// 1-based line.
        line: usize,
        /// 1-based column (in bytes).
        column: usize,
    },
    /// The text is not valid TOML/JSON, or a field has the wrong type or is duplicated.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// The lockfile declares a format version we do not read.
    #[error("lockfile version {found} is not supported (supported: {supported})")]
    UnsupportedVersion {
        /// The version found.
        found: String,
        /// The versions we read.
        supported: &'static str,
    },
}

impl crate::error::Classify for LockfileError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::UnsupportedVersion { .. } => ErrorKind::Unsupported,
            _ => ErrorKind::InvalidInput,
        }
    }
}

impl LockfileError {
    /// A syntax error at byte `offset` of `text`.
    pub(crate) fn at_offset(text: &str, offset: usize, message: impl Into<String>) -> Self {
        let (line, column) = line_column(text.as_bytes(), offset);
        Self::Syntax {
            line,
            column,
            message: message.into(),
        }
    }
}

/// Producing an SBOM from files failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SbomError {
    /// A file could not be read, or was too large.
    #[error(transparent)]
    File(#[from] FileError),
    /// A directory could not be searched.
    #[error("cannot search {path} for lockfiles")]
    Walk {
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A lockfile is malformed.
    #[error("{path}: invalid {ecosystem} lockfile")]
    Lockfile {
        /// The lockfile.
        path: PathBuf,
        /// Its format.
        ecosystem: Ecosystem,
        /// What is wrong with it.
        #[source]
        source: LockfileError,
    },
    /// The directory holds no lockfile we read.
    #[error(
        "no lockfile (Cargo.lock, package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock, pylock.toml) found under {dir}"
    )]
    NoLockfiles {
        /// The directory searched.
        dir: PathBuf,
    },
    /// A file was given whose name is not a lockfile we know.
    #[error(
        "{path} is not a lockfile supply reads (expected Cargo.lock, package-lock.json, npm-shrinkwrap.json, pnpm-lock.yaml, yarn.lock, uv.lock, poetry.lock, pylock.toml or pylock.<name>.toml)"
    )]
    UnknownLockfile {
        /// The file.
        path: PathBuf,
    },
    /// `SOURCE_DATE_EPOCH` is set but not a non-negative integer.
    #[error("SOURCE_DATE_EPOCH must be a whole number of seconds since 1970, got {value:?}")]
    InvalidSourceDateEpoch {
        /// The value found.
        value: String,
    },
}

impl crate::error::Classify for SbomError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::File(e) => e.kind(),
            Self::Walk { .. } => ErrorKind::Io,
            Self::Lockfile { source, .. } => source.kind(),
            Self::NoLockfiles { .. } => ErrorKind::NotFound,
            Self::UnknownLockfile { .. } => ErrorKind::Unsupported,
            Self::InvalidSourceDateEpoch { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// Parses lockfile text of the given ecosystem. Pure: no file access, no panic on bad input.
pub fn parse_lockfile(ecosystem: Ecosystem, text: &str) -> Result<DepGraph, LockfileError> {
    match ecosystem {
        Ecosystem::Cargo => cargo::parse(text),
        Ecosystem::Npm => npm::parse(text),
        Ecosystem::Uv => uv::parse(text),
        Ecosystem::Pnpm => pnpm::parse(text),
        Ecosystem::Yarn => yarn::parse(text),
        Ecosystem::Poetry => poetry::parse(text),
        Ecosystem::Pylock => pylock::parse(text),
    }
}

/// Parses lockfile bytes, checking they are UTF-8 first.
pub fn parse_lockfile_bytes(ecosystem: Ecosystem, bytes: &[u8]) -> Result<DepGraph, LockfileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = line_column(bytes, e.valid_up_to());
        LockfileError::NotUtf8 { line, column }
    })?;
    parse_lockfile(ecosystem, text)
}

/// Reads and parses one lockfile from disk, size-bounded, its ecosystem from its file name.
pub fn read_lockfile(path: &Path) -> Result<DepGraph, SbomError> {
    let ecosystem = Ecosystem::from_file_name(path).ok_or_else(|| SbomError::UnknownLockfile {
        path: path.to_path_buf(),
    })?;
    let bytes = fsio::read_bounded(path, MAX_LOCKFILE_BYTES)?;
    parse_lockfile_bytes(ecosystem, &bytes).map_err(|source| SbomError::Lockfile {
        path: path.to_path_buf(),
        ecosystem,
        source,
    })
}

/// 1-based line and column of byte `offset`.
fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    (line, before.len() - line_start + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_is_located() {
        let err = parse_lockfile_bytes(Ecosystem::Cargo, b"version = 4\n# \xff\n").unwrap_err();
        assert!(
            matches!(err, LockfileError::NotUtf8 { line: 2, column: 3 }),
            "{err:?}"
        );
    }

    #[test]
    fn file_names_pick_the_ecosystem() {
        assert_eq!(
            Ecosystem::from_file_name(Path::new("a/Cargo.lock")),
            Some(Ecosystem::Cargo)
        );
        assert_eq!(
            Ecosystem::from_file_name(Path::new("npm-shrinkwrap.json")),
            Some(Ecosystem::Npm)
        );
        assert_eq!(
            Ecosystem::from_file_name(Path::new("yarn.lock")),
            Some(Ecosystem::Yarn)
        );
        assert_eq!(
            Ecosystem::from_file_name(Path::new("pylock.dev.toml")),
            Some(Ecosystem::Pylock)
        );
        assert_eq!(
            Ecosystem::from_file_name(Path::new("pylock.a.b.toml")),
            None
        );
        assert_eq!(Ecosystem::from_file_name(Path::new("pylock..toml")), None);
        assert_eq!(Ecosystem::from_file_name(Path::new("yarn.lock.bak")), None);
    }
}
