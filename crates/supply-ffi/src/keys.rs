//! Keys from PEM bytes: `supply_signing_key` (cosign's encrypted private key, the password as
//! bytes and wiped after use) and `supply_verifying_key` (a PEM public key); a new key pair in
//! cosign's format.

use std::ffi::c_char;

use supply_core::keys::{SigningKey, VerifyingKey};
use zeroize::Zeroizing;

use crate::boundary::{self, fail, supply_error};
use crate::result::supply_result;

/// A private key. Never printed; its memory is wiped when freed.
#[allow(non_camel_case_types)]
pub struct supply_signing_key {
    pub(crate) key: SigningKey,
}

/// A public key.
#[allow(non_camel_case_types)]
pub struct supply_verifying_key {
    pub(crate) key: VerifyingKey,
}

/// Decrypts cosign's encrypted private key (`ENCRYPTED SIGSTORE PRIVATE KEY` or
/// `ENCRYPTED COSIGN PRIVATE KEY` PEM). Free with `supply_signing_key_free`.
///
/// # Safety
/// `pem` must point to `pem_len` readable bytes, `password` to `password_len` (NULL with 0 for
/// an empty password); `key_out` to writable storage for one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_signing_key_from_pem(
    pem: *const u8,
    pem_len: usize,
    password: *const u8,
    password_len: usize,
    key_out: *mut *mut supply_signing_key,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        boundary::out_arg(key_out, "key_out")?;
        // SAFETY: forwarded from this function's contract.
        let pem = unsafe { boundary::bytes_arg(pem, pem_len, "pem")? };
        // SAFETY: forwarded from this function's contract.
        let password = unsafe { boundary::bytes_arg(password, password_len, "password")? };
        let password = Zeroizing::new(password.to_vec());
        let key = SigningKey::from_encrypted_pem(pem, &password).map_err(fail)?;
        let key = Box::into_raw(Box::new(supply_signing_key { key }));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(key_out, key) };
        Ok(supply_result::Ok)
    })
}

/// Reads a PEM public key (`PUBLIC KEY`: ECDSA P-256/384/521, RSA, Ed25519). Free with
/// `supply_verifying_key_free`.
///
/// # Safety
/// `pem` must point to `len` readable bytes; `key_out` to writable storage for one pointer;
/// `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verifying_key_from_pem(
    pem: *const u8,
    len: usize,
    key_out: *mut *mut supply_verifying_key,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        boundary::out_arg(key_out, "key_out")?;
        // SAFETY: forwarded from this function's contract.
        let pem = unsafe { boundary::bytes_arg(pem, len, "pem")? };
        let text = std::str::from_utf8(pem)
            .map_err(|_| boundary::Failure::argument("pem is not UTF-8"))?;
        let key = VerifyingKey::from_pem(text).map_err(fail)?;
        let key = Box::into_raw(Box::new(supply_verifying_key { key }));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(key_out, key) };
        Ok(supply_result::Ok)
    })
}

/// A new ECDSA P-256 key pair in cosign's format: the private key encrypted with `password`
/// (scrypt and secretbox, as `cosign generate-key-pair`), the public key as PEM. Both strings
/// are freed with `supply_string_free`.
///
/// # Safety
/// `password` must point to `password_len` readable bytes (NULL with 0 for an empty one); both
/// outputs to writable storage for one pointer; `error_out` NULL or too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_generate_key_pair(
    password: *const u8,
    password_len: usize,
    private_pem_out: *mut *mut c_char,
    public_pem_out: *mut *mut c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        boundary::out_arg(private_pem_out, "private_pem_out")?;
        boundary::out_arg(public_pem_out, "public_pem_out")?;
        // SAFETY: forwarded from this function's contract.
        let password = unsafe { boundary::bytes_arg(password, password_len, "password")? };
        let key = SigningKey::generate();
        let private = key.to_encrypted_pem(password).map_err(fail)?;
        let public = key.verifying_key().to_pem().map_err(fail)?;
        let private = boundary::into_c_string(private)?;
        let public = match boundary::into_c_string(public) {
            Ok(public) => public,
            Err(failure) => {
                // SAFETY: made just above by `into_c_string`, not handed out.
                unsafe { boundary::supply_string_free(private) };
                return Err(failure);
            }
        };
        // SAFETY: both checked non-NULL; writable per the contract.
        unsafe {
            boundary::write(private_pem_out, private);
            boundary::write(public_pem_out, public);
        }
        Ok(supply_result::Ok)
    })
}

/// The public half of a private key. Free with `supply_verifying_key_free`.
///
/// # Safety
/// `key` must be a live signing key; `key_out` must point to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_signing_key_public(
    key: *const supply_signing_key,
    key_out: *mut *mut supply_verifying_key,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded from this function's contract.
        let key = unsafe { boundary::object_arg(key, "key")? };
        boundary::out_arg(key_out, "key_out")?;
        let public = Box::into_raw(Box::new(supply_verifying_key {
            key: key.key.verifying_key(),
        }));
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(key_out, public) };
        Ok(supply_result::Ok)
    })
}

/// Frees (and wipes) a private key. NULL is ignored.
///
/// # Safety
/// `key` must be NULL or a live signing key, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_signing_key_free(key: *mut supply_signing_key) {
    // SAFETY: forwarded from this function's contract.
    unsafe { boundary::free_box(key) }
}

/// Frees a public key. NULL is ignored.
///
/// # Safety
/// `key` must be NULL or a live verifying key, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_verifying_key_free(key: *mut supply_verifying_key) {
    // SAFETY: forwarded from this function's contract.
    unsafe { boundary::free_box(key) }
}
