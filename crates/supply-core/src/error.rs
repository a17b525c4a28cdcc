//! The small, stable classification every error of the library maps onto.
//!
//! The CLI derives its exit codes from it and the C API its result codes, so a variant is
//! never renamed or reused.

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
    /// A signature, digest or policy check decided "no".
    VerificationFailed,
}
