//! Verification from C: image signatures (with a key, or keyless under the context's trusted
//! root), attestations with a policy, Sigstore bundles. A verdict is handed out whenever one
//! was reached: with `SUPPLY_RESULT_OK` (accepted) or `SUPPLY_RESULT_VERIFICATION_FAILED`
//! (rejected, the findings say why). Any other code means nothing was decided; then no verdict
//! is written.

use std::ffi::c_char;
use std::sync::Arc;

use supply_core::attest::intoto;
use supply_core::attest::policy::Policy;
use supply_core::blocking;
use supply_core::sigstore::identity::{Identity, Matcher};
use supply_core::sigstore::verify::Artifact;
use supply_core::sigstore::{self, TrustedRoot};
use supply_core::verify::attestation::AttestationOptions;
use supply_core::verify::{KeySource, VerifyOptions};

use crate::boundary::{self, Failure, fail, supply_error};
use crate::context::supply_context;
use crate::keys::supply_verifying_key;
use crate::result::supply_result;
use crate::sign::{annotations_arg, image_arg};
use crate::verdict::{self, supply_verdict};

/// Whose signatures count: the key when given, else the exact identity and issuer (keyless,
/// under the context's trusted root).
///
/// # Safety
/// `key` NULL or a live key; `identity` and `issuer` NULL or NUL-terminated strings.
unsafe fn signer_arg(
    context: &supply_context,
    key: *const supply_verifying_key,
    identity: *const c_char,
    issuer: *const c_char,
) -> Result<(KeySource, Option<Arc<TrustedRoot>>), Failure> {
    // SAFETY: per this function's contract.
    if let Some(key) = unsafe { key.as_ref() } {
        return Ok((
            KeySource::Key(key.key.clone()),
            context.trusted_root.clone(),
        ));
    }
    // SAFETY: forwarded from this function's contract.
    let identity = unsafe { boundary::str_arg(identity, "identity (or a key)")? };
    // SAFETY: forwarded from this function's contract.
    let issuer = unsafe { boundary::str_arg(issuer, "issuer")? };
    let root = context.trusted_root.clone().ok_or_else(|| Failure {
        code: supply_result::InvalidInput,
        message: "keyless verification needs a trusted root: set one on the context builder".into(),
    })?;
    Ok((
        KeySource::Identity(Identity {
            subject: Matcher::Exact(identity.to_owned()),
            issuer: Matcher::Exact(issuer.to_owned()),
            extensions: Default::default(),
        }),
        Some(root),
    ))
}

/// Verifies an image's signatures: with `key` (not NULL), or keyless for the certificate
/// `identity` and OIDC `issuer` (exact values; `key` NULL). Bundles attached as referrers
/// (cosign v3) are read first, then the legacy `.sig` tag. `annotations_json` (a JSON object
/// of strings, or NULL) lists annotations the signature must carry. Free the verdict with
/// `supply_verdict_free`.
///
/// # Safety
/// `context` must be live; `key` NULL or live; strings NULL or NUL-terminated (`image` not
/// NULL); `verdict_out` writable storage for one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verify_image(
    context: *const supply_context,
    key: *const supply_verifying_key,
    identity: *const c_char,
    issuer: *const c_char,
    image: *const c_char,
    annotations_json: *const c_char,
    verdict_out: *mut *mut supply_verdict,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { boundary::object_arg(context, "context")? };
        // SAFETY: forwarded from this function's contract.
        let (key, trusted_root) = unsafe { signer_arg(context, key, identity, issuer)? };
        // SAFETY: forwarded from this function's contract.
        let image = unsafe { image_arg(image)? };
        // SAFETY: forwarded from this function's contract.
        let annotations = unsafe { annotations_arg(annotations_json)? };
        boundary::out_arg(verdict_out, "verdict_out")?;
        let options = VerifyOptions {
            key,
            annotations,
            trusted_root,
            formats: Default::default(),
        };
        let verdict = blocking::verify_image(&context.client, &image, &options).map_err(fail)?;
        // SAFETY: `verdict_out` checked above.
        Ok(unsafe { verdict::hand_out(verdict, verdict_out) })
    })
}

/// Verifies an image's attestations of `predicate_type` (a URI or cosign's name) with `key`
/// or keyless (as `supply_verify_image`), and `policy_toml` (the TOML of `supply
/// verify-attestation --policy`: builder id, source repository and ref, buildTypes, SBOM
/// validity; NULL for none). Free the verdict with `supply_verdict_free`.
///
/// # Safety
/// As `supply_verify_image`; `predicate_type` a NUL-terminated string, `policy_toml` NULL or one.
#[unsafe(no_mangle)]
#[allow(
    clippy::too_many_arguments,
    reason = "a flat C signature, documented above"
)]
pub unsafe extern "C" fn supply_verify_attestations(
    context: *const supply_context,
    key: *const supply_verifying_key,
    identity: *const c_char,
    issuer: *const c_char,
    image: *const c_char,
    predicate_type: *const c_char,
    policy_toml: *const c_char,
    verdict_out: *mut *mut supply_verdict,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { boundary::object_arg(context, "context")? };
        // SAFETY: forwarded from this function's contract.
        let (key, trusted_root) = unsafe { signer_arg(context, key, identity, issuer)? };
        // SAFETY: forwarded from this function's contract.
        let image = unsafe { image_arg(image)? };
        // SAFETY: forwarded from this function's contract.
        let predicate_type = unsafe { boundary::str_arg(predicate_type, "predicate_type")? };
        // SAFETY: forwarded from this function's contract.
        let policy = match unsafe { boundary::opt_str_arg(policy_toml, "policy_toml")? } {
            Some(text) => Policy::parse(text).map_err(fail)?,
            None => Policy::default(),
        };
        boundary::out_arg(verdict_out, "verdict_out")?;
        let options = AttestationOptions {
            key,
            trusted_root,
            predicate_type: intoto::predicate_type(predicate_type).map_err(fail)?,
            policy,
            formats: Default::default(),
        };
        let verdict =
            blocking::verify_attestations(&context.client, &image, &options).map_err(fail)?;
        // SAFETY: `verdict_out` checked above.
        Ok(unsafe { verdict::hand_out(verdict, verdict_out) })
    })
}

/// Verifies a Sigstore bundle (JSON, v0.1–v0.3) over `artifact` with `key` or keyless (as
/// `supply_verify_image`), offline, under the context's trusted root (with a key and no root,
/// the key alone is trusted). Free the verdict with `supply_verdict_free`.
///
/// # Safety
/// `context` must be live; `key` NULL or live; `bundle` and `artifact` readable for their
/// lengths; strings NULL or NUL-terminated; `verdict_out` writable storage for one pointer;
/// `error_out` NULL or too.
#[unsafe(no_mangle)]
#[allow(
    clippy::too_many_arguments,
    reason = "a flat C signature, documented above"
)]
pub unsafe extern "C" fn supply_verify_bundle(
    context: *const supply_context,
    key: *const supply_verifying_key,
    identity: *const c_char,
    issuer: *const c_char,
    bundle: *const u8,
    bundle_len: usize,
    artifact: *const u8,
    artifact_len: usize,
    verdict_out: *mut *mut supply_verdict,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let context = unsafe { boundary::object_arg(context, "context")? };
        // SAFETY: forwarded from this function's contract.
        let (key, root) = unsafe { signer_arg(context, key, identity, issuer)? };
        // SAFETY: forwarded from this function's contract.
        let bundle = unsafe { boundary::bytes_arg(bundle, bundle_len, "bundle")? };
        // SAFETY: forwarded from this function's contract.
        let artifact = unsafe { boundary::bytes_arg(artifact, artifact_len, "artifact")? };
        boundary::out_arg(verdict_out, "verdict_out")?;
        let root = root.unwrap_or_default();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let verdict = sigstore::verify_bundle_json(
            bundle,
            "artifact",
            Artifact::Bytes(artifact),
            &key,
            &root,
            now,
        );
        // SAFETY: `verdict_out` checked above.
        Ok(unsafe { verdict::hand_out(verdict, verdict_out) })
    })
}
