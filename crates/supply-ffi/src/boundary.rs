//! The boundary: the error object, argument checks, outputs handed to C, and the panic guard.
//! Every exported function runs its body through [`call`]; arguments are checked here before
//! any work; outputs are written only when the whole call succeeded.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

use supply_core::{Classify, ErrorKind};

use crate::result::supply_result;

/// Details of a failed call: its code and a message with the whole cause chain. Free with
/// `supply_error_free`.
#[allow(non_camel_case_types)]
pub struct supply_error {
    code: supply_result,
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

/// Any classified library error becomes a failure with its code.
pub(crate) fn fail<E: Classify + std::error::Error>(error: E) -> Failure {
    Failure::from_error(error.kind(), &error)
}

/// Runs `body`; a failure or panic becomes a result code and, when `error_out` is not NULL, an
/// error object written there. A body returns the code of its success (`Ok`, or
/// `VerificationFailed` for a verdict that said no).
pub(crate) fn call(
    error_out: *mut *mut supply_error,
    body: impl FnOnce() -> Result<supply_result, Failure>,
) -> supply_result {
    let failure = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(code)) => return code,
        Ok(Err(failure)) => failure,
        Err(_) => Failure {
            code: supply_result::Panic,
            message: "internal error (panic) in supply; the call had no effect".into(),
        },
    };
    if !error_out.is_null() {
        let message = CString::new(failure.message.replace('\0', " ")).unwrap_or_default();
        let error = Box::into_raw(Box::new(supply_error {
            code: failure.code,
            message,
        }));
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

/// Like [`str_arg`], NULL meaning "not given".
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(
    text: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, Failure> {
    if text.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded from this function's contract.
    unsafe { str_arg(text, name) }.map(Some)
}

/// Borrows a byte buffer argument; NULL is allowed only with length 0.
///
/// # Safety
/// `data` must be NULL or point to `len` readable bytes that outlive the call.
pub(crate) unsafe fn bytes_arg<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if data.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(Failure::argument(&format!("{name} is NULL")))
        };
    }
    if len > isize::MAX as usize {
        return Err(Failure::argument(&format!("{name}: length out of range")));
    }
    // SAFETY: not NULL, `len` bytes readable and alive per this function's contract.
    Ok(unsafe { std::slice::from_raw_parts(data, len) })
}

/// Borrows an object this library handed out.
///
/// # Safety
/// `object` must be NULL or a live pointer of this type returned by this library.
pub(crate) unsafe fn object_arg<'a, T>(object: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: forwarded from this function's contract; `as_ref` handles NULL.
    unsafe { object.as_ref() }.ok_or_else(|| Failure::argument(&format!("{name} is NULL")))
}

/// Fails unless an out-parameter can be written.
pub(crate) fn out_arg<T>(out: *mut T, name: &str) -> Result<(), Failure> {
    if out.is_null() {
        Err(Failure::argument(&format!("{name} is NULL")))
    } else {
        Ok(())
    }
}

/// Writes an out-parameter checked by [`out_arg`].
///
/// # Safety
/// `out` must be non-NULL and point to writable storage for a `T`.
pub(crate) unsafe fn write<T>(out: *mut T, value: T) {
    // SAFETY: per this function's contract.
    unsafe { out.write(value) };
}

/// Hands a Rust string to C (free with `supply_string_free`).
pub(crate) fn into_c_string(text: String) -> Result<*mut c_char, Failure> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Failure::argument("output contains a NUL byte"))
}

/// Hands `value` to C as JSON through an out-parameter checked by [`out_arg`].
///
/// # Safety
/// As [`write`].
pub(crate) unsafe fn write_json<T: serde::Serialize>(
    out: *mut *mut c_char,
    value: &T,
) -> Result<supply_result, Failure> {
    let json = serde_json::to_string(value).map_err(|e| Failure {
        code: supply_result::Internal,
        message: e.to_string(),
    })?;
    let json = into_c_string(json)?;
    // SAFETY: per this function's contract.
    unsafe { write(out, json) };
    Ok(supply_result::Ok)
}

/// Frees a boxed object this library handed out. NULL is ignored.
///
/// # Safety
/// `object` must be NULL or a pointer from `Box::into_raw` of this type, not yet freed.
pub(crate) unsafe fn free_box<T>(object: *mut T) {
    if !object.is_null() {
        // SAFETY: per this function's contract.
        drop(unsafe { Box::from_raw(object) });
    }
}

/// The error's message: valid until `supply_error_free`. NULL for a NULL error.
///
/// # Safety
/// `error` must be NULL or a pointer returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_error_message(error: *const supply_error) -> *const c_char {
    // SAFETY: per the contract, NULL or a live error this library allocated.
    match unsafe { error.as_ref() } {
        Some(error) => error.message.as_ptr(),
        None => std::ptr::null(),
    }
}

/// The error's result code (`SUPPLY_RESULT_OK` for a NULL error).
///
/// # Safety
/// `error` must be NULL or a pointer returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_error_code(error: *const supply_error) -> supply_result {
    // SAFETY: per the contract, NULL or a live error this library allocated.
    unsafe { error.as_ref() }.map_or(supply_result::Ok, |e| e.code)
}

/// Frees an error. NULL is ignored.
///
/// # Safety
/// `error` must be NULL or a pointer returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_error_free(error: *mut supply_error) {
    // SAFETY: forwarded from this function's contract.
    unsafe { free_box(error) }
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

/// The library version, a static NUL-terminated string (never freed); equal to the header's
/// `SUPPLY_VERSION`.
#[unsafe(no_mangle)]
pub extern "C" fn supply_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// Panics inside the library on purpose and returns what the boundary makes of it
/// (`SUPPLY_RESULT_PANIC`, with an error): for testing that a host survives a bug in supply.
///
/// # Safety
/// `error_out` must be NULL or point to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_selftest_panic(error_out: *mut *mut supply_error) -> supply_result {
    call(error_out, || {
        let empty: Vec<u8> = Vec::new();
        // An index out of bounds, the kind of bug the boundary exists for.
        let byte = empty
            .get(1)
            .copied()
            .unwrap_or_else(|| panic!("selftest panic"));
        Ok(if byte == 0 {
            supply_result::Ok
        } else {
            supply_result::Internal
        })
    })
}
