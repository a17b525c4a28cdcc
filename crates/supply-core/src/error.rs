//! The small, stable classification every error of the library maps onto, and the one trait
//! through which every public error type gives it.
//!
//! An `Err` from this library always means "could not decide" (or "could not do"); a decision
//! against what was checked is a [`Verdict`](crate::verify::Verdict) with findings, never an
//! error. The CLI derives its exit codes from the kind and the C API its result codes, so a
//! variant is never renamed or reused.

/// What kind of failure an error is, independent of the module that raised it.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input was malformed, inconsistent or too large.
    InvalidInput,
    /// Reading or writing a local file failed.
    Io,
    /// A remote service could not be reached or answered badly.
    Network,
    /// The thing asked for does not exist.
    NotFound,
    /// The input is well-formed but uses a version or feature we do not support.
    Unsupported,
    /// Content did not match what it was checked against (a digest, a signature), so nothing
    /// built on it can be decided; a verdict is the usual answer, this kind is for content a
    /// registry served under a digest it does not have.
    VerificationFailed,
    /// A remote service did not answer in time.
    Timeout,
    /// A registry refused our credentials or asked for ones we do not have.
    Unauthorized,
    /// The library could not run the work (e.g. the blocking facade called inside an async
    /// runtime, or a runtime that cannot start).
    Internal,
}

impl ErrorKind {
    /// Whether the failure is about reaching a service (network, timeout, authentication):
    /// retrying later may succeed, and nothing was decided. The CLI exits 3 for these.
    pub fn is_unreachable(self) -> bool {
        matches!(self, Self::Network | Self::Timeout | Self::Unauthorized)
    }
}

/// Every public error type of the library classifies itself.
pub trait Classify {
    /// The stable classification of this error.
    fn kind(&self) -> ErrorKind;
}
