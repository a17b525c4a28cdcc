//! OCI registries: references, manifests, and an async client for the distribution API.
//!
//! `reference`, `manifest` and `api` are pure (no I/O); `client` is the network edge and
//! `auth` reads credentials. Everything fetched is size-bounded, and everything fetched by
//! digest is hashed and compared before use: content that does not match is an error, never
//! used.

pub mod api;
pub mod auth;
pub mod client;
pub mod manifest;
pub mod reference;
mod referrers;
mod tls;
mod transport;
mod upload;

use std::path::PathBuf;

pub use client::{ClientOptions, RegistryClient};
pub use manifest::{Descriptor, ImageManifest, Index, Manifest, RawManifest};
pub use reference::{Reference, ReferenceError};

use crate::ErrorKind;
use crate::digest::Digest;

/// The largest manifest we accept (the distribution spec's own recommendation).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;
/// Default cap on a blob read into memory.
pub const DEFAULT_MAX_BLOB_BYTES: u64 = 64 * 1024 * 1024;

/// Talking to a registry failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A CA file could not be read or parsed.
    #[error("cannot use CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The connection failed (refused, reset, TLS).
    #[error("cannot reach registry {registry}")]
    Connect {
        /// The registry.
        registry: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The registry's TLS certificate is not trusted (no chain to a trusted root, wrong name,
    /// expired).
    #[error("the TLS certificate of registry {registry} is not trusted: {reason}")]
    UntrustedCertificate {
        /// The registry.
        registry: String,
        /// What the TLS library said.
        reason: String,
    },
    /// A credential helper failed.
    #[error("credential helper {helper} failed: {message}")]
    CredentialHelper {
        /// The helper program.
        helper: String,
        /// What it said (never a secret).
        message: String,
    },
    /// Content did not hash to the digest it was fetched by or announced with.
    #[error("{what} does not match its digest: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was fetched.
        what: String,
        /// The digest asked for or announced.
        expected: Digest,
        /// The digest of the bytes received.
        actual: Digest,
    },
    /// The docker config file is unreadable.
    #[error("cannot read docker config {path}: {reason}")]
    DockerConfig {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A manifest could not be decoded.
    #[error("{what}: invalid manifest")]
    Manifest {
        /// Which manifest.
        what: String,
        /// Why.
        #[source]
        source: manifest::ManifestError,
    },
    /// The registry has no such manifest, blob or repository.
    #[error("{what} not found")]
    NotFound {
        /// What was asked for.
        what: String,
    },
    /// The registry broke the protocol (e.g. an upload without a `Location`).
    #[error("registry {registry} broke the protocol: {message}")]
    Protocol {
        /// The registry.
        registry: String,
        /// What it did.
        message: String,
    },
    /// The registry answered with an unexpected status.
    #[error("registry {registry} answered {status} to {method} {path}{detail}")]
    Status {
        /// The registry.
        registry: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// Status code.
        status: u16,
        /// `: <message>` from the registry's error body, if any.
        detail: String,
    },
    /// The request or its response took too long.
    #[error("registry {registry} did not answer {method} {path} within {seconds} s")]
    Timeout {
        /// The registry.
        registry: String,
        /// HTTP method.
        method: String,
        /// Request path.
        path: String,
        /// The limit.
        seconds: u64,
    },
    /// Content larger than we accept.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge {
        /// What was fetched.
        what: String,
        /// The limit.
        limit: u64,
    },
    /// The registry refused our credentials, or asked for some we do not have.
    #[error("registry {registry} requires authentication{detail}")]
    Unauthorized {
        /// The registry.
        registry: String,
        /// What happened (`: credentials were rejected`, …).
        detail: String,
    },
    /// The blocking facade could not run the request.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
    /// A reference could not be formed (e.g. an attachment tag for a sha512 digest).
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// A redirect was refused (from HTTPS to plain HTTP, or too many).
    #[error(
        "registry {registry} redirected to {to}, which is refused (a downgrade from HTTPS, or too many redirects)"
    )]
    Redirect {
        /// The registry.
        registry: String,
        /// Where it pointed.
        to: String,
    },
    /// The token service for an HTTPS registry is plain HTTP.
    #[error(
        "registry {registry} sends its token requests to {realm}, plain HTTP; the credentials would travel unencrypted"
    )]
    InsecureRealm {
        /// The registry.
        registry: String,
        /// The realm it named.
        realm: String,
    },
    /// Plain HTTP was needed but not allowed.
    #[error("registry {registry} is not reachable over HTTPS and plain HTTP is not allowed for it")]
    InsecureNotAllowed {
        /// The registry.
        registry: String,
    },
}

impl crate::error::Classify for RegistryError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::CaFile { .. } | Self::DockerConfig { .. } | Self::CredentialHelper { .. } => {
                ErrorKind::Io
            }
            Self::Timeout { .. } => ErrorKind::Timeout,
            Self::Unauthorized { .. } => ErrorKind::Unauthorized,
            Self::Connect { .. }
            | Self::UntrustedCertificate { .. }
            | Self::Protocol { .. }
            | Self::Status { .. }
            | Self::InsecureNotAllowed { .. }
            | Self::InsecureRealm { .. }
            | Self::Redirect { .. } => ErrorKind::Network,
            Self::DigestMismatch { .. } => ErrorKind::VerificationFailed,
            Self::Manifest { .. } | Self::TooLarge { .. } => ErrorKind::InvalidInput,
            Self::NotFound { .. } => ErrorKind::NotFound,
            Self::Reference(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
        }
    }
}

impl RegistryError {
    /// Whether this is a "not found" answer (as opposed to a failure to ask).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::NotFound { .. })
    }
}
