//! Signing and attesting images with a key, through the context's registry client.

use std::collections::BTreeMap;
use std::ffi::c_char;

use supply_core::attest::{AttestOptions, intoto};
use supply_core::blocking;
use supply_core::oci::Reference;
use supply_core::sign::SignOptions;

use crate::boundary::{self, Failure, fail, supply_error};
use crate::context::supply_context;
use crate::keys::supply_signing_key;
use crate::result::supply_result;

/// An image reference argument.
///
/// # Safety
/// As `boundary::str_arg`.
pub(crate) unsafe fn image_arg(image: *const c_char) -> Result<Reference, Failure> {
    // SAFETY: forwarded from this function's contract.
    let text = unsafe { boundary::str_arg(image, "image")? };
    text.parse().map_err(fail)
}

/// Annotations given as a JSON object of strings (NULL: none).
///
/// # Safety
/// As `boundary::opt_str_arg`.
pub(crate) unsafe fn annotations_arg(
    json: *const c_char,
) -> Result<BTreeMap<String, String>, Failure> {
    // SAFETY: forwarded from this function's contract.
    match unsafe { boundary::opt_str_arg(json, "annotations_json")? } {
        None => Ok(BTreeMap::new()),
        Some(text) => serde_json::from_str(text).map_err(|e| Failure {
            code: supply_result::InvalidInput,
            message: format!("annotations_json is not a JSON object of strings: {e}"),
        }),
    }
}

/// Signs an image as cosign does (the `sha256-<hex>.sig` tag, or with `bundle` true a Sigstore
/// bundle attached as an OCI referrer, cosign v3's format), with annotations from
/// `annotations_json` (a JSON object of strings, or NULL). `*result_json_out` receives what was
/// written (JSON: digest, signature reference, whether it was new); free it with
/// `supply_string_free`.
///
/// # Safety
/// `context` and `key` must be live objects; `image` a NUL-terminated string;
/// `annotations_json` NULL or one; `result_json_out` writable storage for one pointer;
/// `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_sign_image(
    context: *const supply_context,
    key: *const supply_signing_key,
    image: *const c_char,
    annotations_json: *const c_char,
    bundle: bool,
    result_json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { boundary::object_arg(context, "context")? };
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { boundary::object_arg(key, "key")? };
        // SAFETY: forwarded from this function's contract.
        let image = unsafe { image_arg(image)? };
        // SAFETY: forwarded from this function's contract.
        let annotations = unsafe { annotations_arg(annotations_json)? };
        boundary::out_arg(result_json_out, "result_json_out")?;
        let options = SignOptions {
            annotations,
            recursive: false,
        };
        let signed = if bundle {
            blocking::sign_image_bundle(&context.client, &image, &key.key, &options)
        } else {
            blocking::sign_image(&context.client, &image, &key.key, &options)
        }
        .map_err(fail)?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write_json(result_json_out, &signed) }
    })
}

/// Attaches a signed in-toto attestation (DSSE) to an image as cosign does (`.att`).
/// `predicate_type` is a URI or one of cosign's names (`slsaprovenance1`, `cyclonedx`, …);
/// `predicate` the predicate's JSON (a whole statement is accepted too: its predicate is used);
/// `replace` removes earlier attestations of the same type. `*result_json_out` receives what was
/// written (JSON); free it with `supply_string_free`.
///
/// # Safety
/// `context` and `key` must be live objects; `image` and `predicate_type` NUL-terminated
/// strings; `predicate` `predicate_len` readable bytes; `result_json_out` writable storage for
/// one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
#[allow(
    clippy::too_many_arguments,
    reason = "a flat C signature, documented above"
)]
pub unsafe extern "C" fn supply_attest_image(
    context: *const supply_context,
    key: *const supply_signing_key,
    image: *const c_char,
    predicate_type: *const c_char,
    predicate: *const u8,
    predicate_len: usize,
    replace: bool,
    result_json_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { boundary::object_arg(context, "context")? };
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { boundary::object_arg(key, "key")? };
        // SAFETY: forwarded from this function's contract.
        let image = unsafe { image_arg(image)? };
        // SAFETY: forwarded from this function's contract.
        let predicate_type = unsafe { boundary::str_arg(predicate_type, "predicate_type")? };
        // SAFETY: forwarded from this function's contract.
        let predicate = unsafe { boundary::bytes_arg(predicate, predicate_len, "predicate")? };
        boundary::out_arg(result_json_out, "result_json_out")?;
        let predicate: serde_json::Value =
            serde_json::from_slice(predicate).map_err(|e| Failure {
                code: supply_result::InvalidInput,
                message: format!("the predicate is not JSON: {e}"),
            })?;
        let options = AttestOptions {
            predicate_type: intoto::predicate_type(predicate_type).map_err(fail)?,
            predicate: intoto::predicate_of(predicate),
            replace,
        };
        let attested =
            blocking::attest_image(&context.client, &image, &key.key, &options).map_err(fail)?;
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write_json(result_json_out, &attested) }
    })
}
