//! `supply_result`: what a call did, with numbers that are never renumbered or reused.

use supply_core::ErrorKind;

/// Outcome of a call. 0 is success; errors start at 1000 and a number is never reused.
/// `SUPPLY_RESULT_VERIFICATION_FAILED` means a check ran and said no (a verdict is returned
/// with it); `SUPPLY_RESULT_NETWORK`, `_TIMEOUT` and `_UNAUTHORIZED` mean nothing could be
/// checked (`supply_result_could_not_verify`): the caller chooses to fail open or closed.
#[repr(u32)]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[allow(non_camel_case_types)]
pub enum supply_result {
    /// Success (for a verification: accepted).
    Ok = 0,
    /// The input was malformed, inconsistent or too large.
    InvalidInput = 1000,
    /// A local file could not be read or written.
    Io = 1001,
    /// A remote service could not be reached or answered badly.
    Network = 1002,
    /// What was asked for does not exist.
    NotFound = 1003,
    /// A version or feature that is not supported.
    Unsupported = 1004,
    /// A signature, digest or policy check said no; the verdict says why.
    VerificationFailed = 1005,
    /// A required pointer argument was NULL, a string was not UTF-8, or an enum value is out
    /// of range.
    InvalidArgument = 1006,
    /// A bug: the library panicked (the call had no effect).
    Panic = 1007,
    /// A remote service did not answer in time.
    Timeout = 1008,
    /// A registry refused the credentials, or asked for some we do not have.
    Unauthorized = 1009,
    /// The library could not run the work (e.g. its runtime would not start).
    Internal = 1010,
}

impl From<ErrorKind> for supply_result {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidInput => Self::InvalidInput,
            ErrorKind::Io => Self::Io,
            ErrorKind::Network => Self::Network,
            ErrorKind::NotFound => Self::NotFound,
            ErrorKind::Unsupported => Self::Unsupported,
            ErrorKind::VerificationFailed => Self::VerificationFailed,
            ErrorKind::Timeout => Self::Timeout,
            ErrorKind::Unauthorized => Self::Unauthorized,
            ErrorKind::Internal => Self::Internal,
            _ => Self::Internal,
        }
    }
}

/// Whether `result` means nothing could be checked (a registry or service unreachable, too
/// slow, or refusing the credentials): retrying may help, and it is never a pass.
#[unsafe(no_mangle)]
pub extern "C" fn supply_result_could_not_verify(result: u32) -> bool {
    [
        supply_result::Network as u32,
        supply_result::Timeout as u32,
        supply_result::Unauthorized as u32,
    ]
    .contains(&result)
}

/// A short, static description of a result code (never freed; "unknown result" for a number
/// that is not one).
#[unsafe(no_mangle)]
pub extern "C" fn supply_result_name(result: u32) -> *const std::ffi::c_char {
    let name: &'static str = match result {
        0 => "ok\0",
        1000 => "invalid input\0",
        1001 => "local file error\0",
        1002 => "network error\0",
        1003 => "not found\0",
        1004 => "unsupported\0",
        1005 => "verification failed\0",
        1006 => "invalid argument\0",
        1007 => "internal error (panic)\0",
        1008 => "timeout\0",
        1009 => "unauthorized\0",
        1010 => "internal error\0",
        _ => "unknown result\0",
    };
    name.as_ptr().cast()
}
