//! `supply_verdict`: the library's verification model for C — accepted or not, the digest
//! decided on, the findings with their stable codes (`docs/codes.md`), and the whole verdict as
//! JSON (the shape `supply verify --output json` prints).

use std::ffi::{CString, c_char};

use supply_core::verify::Verdict;

use crate::boundary::{self, supply_error};
use crate::result::supply_result;

/// A verification's outcome. Strings it hands out stay valid until `supply_verdict_free`.
#[allow(non_camel_case_types)]
pub struct supply_verdict {
    verdict: Verdict,
    digest: Option<CString>,
    codes: Vec<CString>,
    messages: Vec<CString>,
}

fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// Hands a verdict to C through `verdict_out` and returns its code: `SUPPLY_RESULT_OK` when
/// accepted, `SUPPLY_RESULT_VERIFICATION_FAILED` when not (the verdict says why).
///
/// # Safety
/// `verdict_out` must have been checked with `boundary::out_arg`.
pub(crate) unsafe fn hand_out(
    verdict: Verdict,
    verdict_out: *mut *mut supply_verdict,
) -> supply_result {
    let code = if verdict.accepted {
        supply_result::Ok
    } else {
        supply_result::VerificationFailed
    };
    let object = supply_verdict {
        digest: verdict.digest.as_ref().map(|d| c_string(&d.to_string())),
        codes: verdict
            .findings
            .iter()
            .map(|f| c_string(f.code.as_str()))
            .collect(),
        messages: verdict
            .findings
            .iter()
            .map(|f| c_string(&f.message))
            .collect(),
        verdict,
    };
    // SAFETY: non-NULL and writable per this function's contract.
    unsafe { boundary::write(verdict_out, Box::into_raw(Box::new(object))) };
    code
}

/// Whether the verdict accepts (false for NULL).
///
/// # Safety
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_accepted(verdict: *const supply_verdict) -> bool {
    // SAFETY: per the contract.
    unsafe { verdict.as_ref() }.is_some_and(|v| v.verdict.accepted)
}

/// The digest decided on (`sha256:<hex>`), or NULL when there is none (or for NULL).
///
/// # Safety
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_digest(verdict: *const supply_verdict) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { verdict.as_ref() }
        .and_then(|v| v.digest.as_ref())
        .map_or(std::ptr::null(), |d| d.as_ptr())
}

/// How many findings the verdict has (0 for NULL).
///
/// # Safety
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_finding_count(verdict: *const supply_verdict) -> usize {
    // SAFETY: per the contract.
    unsafe { verdict.as_ref() }.map_or(0, |v| v.codes.len())
}

/// The stable code of finding `index` (`signature-invalid`, …), NULL when out of range.
///
/// # Safety
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_finding_code(
    verdict: *const supply_verdict,
    index: usize,
) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { verdict.as_ref() }
        .and_then(|v| v.codes.get(index))
        .map_or(std::ptr::null(), |c| c.as_ptr())
}

/// The message of finding `index` (for people; match on the code), NULL when out of range.
///
/// # Safety
/// `verdict` must be NULL or a live verdict.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_finding_message(
    verdict: *const supply_verdict,
    index: usize,
) -> *const c_char {
    // SAFETY: per the contract.
    unsafe { verdict.as_ref() }
        .and_then(|v| v.messages.get(index))
        .map_or(std::ptr::null(), |m| m.as_ptr())
}

/// The whole verdict as JSON (what was verified, who signed, every finding). Free the string
/// with `supply_string_free`.
///
/// # Safety
/// `verdict` must be a live verdict; `json_out` must point to writable storage for one
/// pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_json(
    verdict: *const supply_verdict,
    json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let verdict = unsafe { boundary::object_arg(verdict, "verdict")? };
        boundary::out_arg(json_out, "json_out")?;
        let json = boundary::into_c_string(verdict.verdict.to_json())?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(json_out, json) };
        Ok(supply_result::Ok)
    })
}

/// Frees a verdict. NULL is ignored.
///
/// # Safety
/// `verdict` must be NULL or a live verdict, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verdict_free(verdict: *mut supply_verdict) {
    // SAFETY: forwarded from this function's contract.
    unsafe { boundary::free_box(verdict) }
}
