//! SBOMs from lockfile text.

use std::ffi::c_char;

use supply_core::Classify as _;
use supply_core::sbom::{self, BuildOptions, Ecosystem, Timestamp};

use crate::boundary::{self, Failure, supply_error, supply_result};

/// Which lockfile format.
#[repr(u32)]
#[derive(Clone, Copy, Debug)]
#[allow(non_camel_case_types)]
pub enum supply_ecosystem {
    /// `Cargo.lock`.
    Cargo = 0,
    /// `package-lock.json` / `npm-shrinkwrap.json`.
    Npm = 1,
    /// `uv.lock`.
    Uv = 2,
}

/// Builds a CycloneDX 1.6 JSON SBOM from NUL-terminated lockfile text (`SOURCE_DATE_EPOCH`
/// pins the timestamp, as on the command line). `lockfile_name` labels local packages in
/// bom-refs (e.g. "Cargo.lock"). On success `*json_out` owns a string to free with
/// `supply_string_free`; on failure nothing is written there and, if `error_out` is not NULL,
/// `*error_out` receives an error to free with `supply_error_free`.
///
/// # Safety
/// `lockfile` and `lockfile_name` must be NULL or NUL-terminated strings alive for the call;
/// `json_out` must point to writable storage for one pointer; `error_out` must be NULL or do too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sbom_from_lockfile(
    ecosystem: supply_ecosystem,
    lockfile: *const c_char,
    lockfile_name: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        if json_out.is_null() {
            return Err(Failure::argument("json_out is NULL"));
        }
        // SAFETY: forwarded from this function's contract.
        let text = unsafe { boundary::str_arg(lockfile, "lockfile")? };
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { boundary::str_arg(lockfile_name, "lockfile_name")? };
        let ecosystem = match ecosystem {
            supply_ecosystem::Cargo => Ecosystem::Cargo,
            supply_ecosystem::Npm => Ecosystem::Npm,
            supply_ecosystem::Uv => Ecosystem::Uv,
        };
        let graph =
            sbom::parse_lockfile(ecosystem, text).map_err(|e| Failure::from_error(e.kind(), &e))?;
        let timestamp =
            Timestamp::from_env_or_now().map_err(|e| Failure::from_error(e.kind(), &e))?;
        let options = BuildOptions {
            timestamp: Some(timestamp),
            ..BuildOptions::default()
        };
        let bom = sbom::Builder::new(options).add(name, graph).build(name);
        let json = boundary::into_c_string(bom.to_json())?;
        // SAFETY: `json_out` is not NULL (checked) and writable per the contract.
        unsafe { *json_out = json };
        Ok(())
    })
}

/// Validates CycloneDX 1.5/1.6 JSON: `SUPPLY_RESULT_OK` with `*problems_out` = 0 when valid,
/// `SUPPLY_RESULT_VERIFICATION_FAILED` with the count (and the list in the error) when not.
///
/// # Safety
/// `json` must be NULL or a NUL-terminated string alive for the call; `problems_out` must point
/// to a writable `size_t`; `error_out` must be NULL or point to writable storage for a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sbom_validate(
    json: *const c_char,
    problems_out: *mut usize,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        if problems_out.is_null() {
            return Err(Failure::argument("problems_out is NULL"));
        }
        // SAFETY: forwarded from this function's contract.
        let text = unsafe { boundary::str_arg(json, "json")? };
        let findings =
            sbom::validate(text.as_bytes()).map_err(|e| Failure::from_error(e.kind(), &e))?;
        // SAFETY: `problems_out` is not NULL (checked) and writable per the contract.
        unsafe { *problems_out = findings.len() };
        if findings.is_empty() {
            return Ok(());
        }
        let list: Vec<String> = findings
            .iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect();
        Err(Failure {
            code: supply_result::VerificationFailed,
            message: list.join("\n"),
        })
    })
}
