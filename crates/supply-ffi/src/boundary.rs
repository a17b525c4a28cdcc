//! The boundary: result codes, the error object, strings handed to C, and the panic guard.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use supply_core::ErrorKind;

/// Outcome of a call. 0 is success; errors start at 1000 and a number is never reused.
#[repr(u32)]
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[allow(non_camel_case_types)]
pub enum supply_result {
    /// Success.
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
    /// A signature, digest or policy check said no.
    VerificationFailed = 1005,
    /// A required pointer argument was NULL, or a string was not UTF-8.
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

/// Details of a failed call: a message with the whole cause chain. Free with `supply_error_free`.
#[allow(non_camel_case_types)]
pub struct supply_error {
    message: CString,
}

/// A failure inside a call: its code and message.
pub(crate) struct Failure {
    pub(crate) code: supply_result,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn argument(message: &str) -> Self {
        Self {
            code: supply_result::InvalidArgument,
            message: message.to_owned(),
        }
    }

    /// From a library error: its kind gives the code, its chain the message.
    pub(crate) fn from_error(kind: ErrorKind, error: &dyn std::error::Error) -> Self {
        let mut message = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self {
            code: kind.into(),
            message,
        }
    }
}

/// Runs `body`; a failure or panic becomes a result code and, when `error_out` is not NULL, an
/// error object written there.
pub(crate) fn call(
    error_out: *mut *mut supply_error,
    body: impl FnOnce() -> Result<(), Failure>,
) -> supply_result {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return supply_result::Ok,
        Ok(Err(failure)) => failure,
        Err(_) => Failure {
            code: supply_result::Panic,
            message: "internal error (panic) in supply".into(),
        },
    };
    if !error_out.is_null() {
        let message = CString::new(failure.message.replace('\0', " ")).unwrap_or_default();
        let error = Box::into_raw(Box::new(supply_error { message }));
        // SAFETY: `error_out` is not NULL, and the caller promises it points to writable storage
        // for one pointer (the documented contract of every function taking `error_out`).
        unsafe { *error_out = error };
    }
    failure.code
}

/// Borrows a NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `text` must be NULL or point to a NUL-terminated string that outlives the call.
pub(crate) unsafe fn str_arg<'a>(text: *const c_char, name: &str) -> Result<&'a str, Failure> {
    if text.is_null() {
        return Err(Failure::argument(&format!("{name} is NULL")));
    }
    // SAFETY: not NULL (checked above); NUL-terminated and alive per this function's contract.
    let text = unsafe { CStr::from_ptr(text) };
    text.to_str()
        .map_err(|_| Failure::argument(&format!("{name} is not UTF-8")))
}

/// Hands a Rust string to C (free with `supply_string_free`).
pub(crate) fn into_c_string(text: String) -> Result<*mut c_char, Failure> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure::argument("output contains a NUL byte"))
}

/// The error's message: valid until `supply_error_free`. NULL for a NULL error.
///
/// # Safety
/// `error` must be NULL or a pointer returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_error_message(error: *const supply_error) -> *const c_char {
    if error.is_null() {
        return std::ptr::null();
    }
    // SAFETY: not NULL, and per the contract a live error this library allocated.
    unsafe { (*error).message.as_ptr() }
}

/// Frees an error. NULL is ignored.
///
/// # Safety
/// `error` must be NULL or a pointer returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_error_free(error: *mut supply_error) {
    if !error.is_null() {
        // SAFETY: allocated by `Box::into_raw` in `call`, and freed only once per the contract.
        drop(unsafe { Box::from_raw(error) });
    }
}

/// Frees a string this library returned. NULL is ignored.
///
/// # Safety
/// `text` must be NULL or a string returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_string_free(text: *mut c_char) {
    if !text.is_null() {
        // SAFETY: allocated by `CString::into_raw` in `into_c_string`, freed only once.
        drop(unsafe { CString::from_raw(text) });
    }
}

/// The library version, a static NUL-terminated string (never freed).
#[unsafe(no_mangle)]
pub extern "C" fn supply_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
