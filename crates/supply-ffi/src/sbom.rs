//! SBOMs: from lockfile bytes or from a path (a lockfile, or a directory searched as the
//! command does), and validation against the CycloneDX schemas.

use std::ffi::c_char;
use std::path::Path;

use supply_core::sbom::{self, BuildOptions, Ecosystem, Timestamp};

use crate::boundary::{self, Failure, fail, supply_error};
use crate::result::supply_result;

/// Which lockfile format (the values a `uint32_t ecosystem` argument takes).
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

/// A `uint32_t` from C, checked: any other number is an error, never undefined behaviour.
fn ecosystem_arg(value: u32) -> Result<Ecosystem, Failure> {
    match value {
        0 => Ok(Ecosystem::Cargo),
        1 => Ok(Ecosystem::Npm),
        2 => Ok(Ecosystem::Uv),
        other => Err(Failure::argument(&format!(
            "ecosystem {other} is not SUPPLY_ECOSYSTEM_CARGO, _NPM or _UV"
        ))),
    }
}

fn options() -> Result<BuildOptions, Failure> {
    Ok(BuildOptions {
        timestamp: Some(Timestamp::from_env_or_now().map_err(fail)?),
        ..BuildOptions::default()
    })
}

/// Builds a CycloneDX 1.6 JSON SBOM from lockfile bytes (`SOURCE_DATE_EPOCH` pins the
/// timestamp, as on the command line). `ecosystem` is a `supply_ecosystem` value;
/// `lockfile_name` labels local packages in bom-refs (e.g. "Cargo.lock"). Free `*json_out`
/// with `supply_string_free`.
///
/// # Safety
/// `lockfile` must point to `len` readable bytes; `lockfile_name` to a NUL-terminated string;
/// `json_out` to writable storage for one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sbom_from_lockfile(
    ecosystem: u32,
    lockfile: *const u8,
    len: usize,
    lockfile_name: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        let ecosystem = ecosystem_arg(ecosystem)?;
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { boundary::bytes_arg(lockfile, len, "lockfile")? };
        // SAFETY: forwarded from this function's contract.
        let name = unsafe { boundary::str_arg(lockfile_name, "lockfile_name")? };
        boundary::out_arg(json_out, "json_out")?;
        let graph = sbom::parse_lockfile_bytes(ecosystem, bytes).map_err(fail)?;
        let bom = sbom::Builder::new(options()?).add(name, graph).build(name);
        let json = boundary::into_c_string(bom.to_json())?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(json_out, json) };
        Ok(supply_result::Ok)
    })
}

/// Builds an SBOM from a lockfile, or from every lockfile under a directory (as `supply sbom
/// PATH` does). Free `*json_out` with `supply_string_free`.
///
/// # Safety
/// `path` must be a NUL-terminated string; `json_out` writable storage for one pointer;
/// `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sbom_from_path(
    path: *const c_char,
    json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { boundary::str_arg(path, "path")? };
        boundary::out_arg(json_out, "json_out")?;
        let generated = sbom::generate(Path::new(path), options()?).map_err(fail)?;
        let json = boundary::into_c_string(generated.bom.json().to_owned())?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(json_out, json) };
        Ok(supply_result::Ok)
    })
}

/// Validates CycloneDX 1.5/1.6 JSON against the official schema and for dangling refs. A
/// result, not an error: `SUPPLY_RESULT_OK` with `*problems_out` the number of problems (0:
/// valid) and `*report_json_out` (may be NULL to skip) a JSON array of `{path, message}`.
/// Other codes mean the document could not be checked (not JSON, too large).
///
/// # Safety
/// `json` must point to `len` readable bytes; `problems_out` to a writable `size_t`;
/// `report_json_out` NULL or writable storage for one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sbom_validate(
    json: *const u8,
    len: usize,
    problems_out: *mut usize,
    report_json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let bytes = unsafe { boundary::bytes_arg(json, len, "json")? };
        boundary::out_arg(problems_out, "problems_out")?;
        let findings = sbom::validate(bytes).map_err(fail)?;
        let report = if report_json_out.is_null() {
            None
        } else {
            let list: Vec<serde_json::Value> = findings
                .iter()
                .map(|f| serde_json::json!({"path": f.path, "message": f.message}))
                .collect();
            Some(boundary::into_c_string(
                serde_json::Value::Array(list).to_string(),
            )?)
        };
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(problems_out, findings.len()) };
        if let Some(report) = report {
            // SAFETY: not NULL; writable per the contract.
            unsafe { boundary::write(report_json_out, report) };
        }
        Ok(supply_result::Ok)
    })
}
