//! `supply_context`: what every network call shares — the registry client (its connection pool,
//! credential and token caches) and the trusted root for keyless checks. Built once through
//! `supply_context_builder`, then used by any number of threads at once: every call takes a
//! `const supply_context *`. Calls run on the library's one process-wide runtime (the
//! blocking facade), so contexts are cheap and a connection pool is never tied to a thread.

use std::ffi::c_char;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use supply_core::oci::{ClientOptions, RegistryClient};
use supply_core::sigstore::TrustedRoot;

use crate::boundary::{self, Failure, fail, supply_error};
use crate::result::supply_result;

/// Options for a context, set one by one, then consumed by `supply_context_builder_build`.
#[allow(non_camel_case_types)]
pub struct supply_context_builder {
    options: ClientOptions,
    trusted_root: Option<Arc<TrustedRoot>>,
}

/// A registry client and trusted root shared by calls from many threads.
#[allow(non_camel_case_types)]
pub struct supply_context {
    pub(crate) client: RegistryClient,
    pub(crate) trusted_root: Option<Arc<TrustedRoot>>,
}

/// A new builder with the defaults: nothing read from the environment (no docker config, no
/// `SSL_CERT_FILE`), 120 s per request, 3 retries. Free with `supply_context_builder_free` if
/// it is not built.
///
/// # Safety
/// `builder_out` must point to writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_new(
    builder_out: *mut *mut supply_context_builder,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        boundary::out_arg(builder_out, "builder_out")?;
        let builder = Box::new(supply_context_builder {
            options: ClientOptions::default(),
            trusted_root: None,
        });
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(builder_out, Box::into_raw(builder)) };
        Ok(supply_result::Ok)
    })
}

/// Mutably borrows a builder argument.
///
/// # Safety
/// `builder` must be NULL or a live builder from `supply_context_builder_new`, used by one
/// thread at a time.
unsafe fn builder_arg<'a>(
    builder: *mut supply_context_builder,
) -> Result<&'a mut supply_context_builder, Failure> {
    // SAFETY: per this function's contract; `as_mut` handles NULL.
    unsafe { builder.as_mut() }.ok_or_else(|| Failure::argument("builder is NULL"))
}

/// Reads what the `supply` command reads: the docker config (`$DOCKER_CONFIG/config.json`,
/// else `~/.docker/config.json`, for credentials and credential helpers) and `SSL_CERT_FILE`.
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_use_environment(
    builder: *mut supply_context_builder,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        let env = ClientOptions::from_env();
        builder.options.docker_config = env.docker_config;
        builder.options.ca_file = env.ca_file;
        Ok(supply_result::Ok)
    })
}

/// The limit on one registry request (connection included), in milliseconds (at least 1).
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_timeout_ms(
    builder: *mut supply_context_builder,
    timeout_ms: u32,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        let timeout = Duration::from_millis(u64::from(timeout_ms.max(1)));
        builder.options.request_timeout = timeout;
        builder.options.connect_timeout = builder.options.connect_timeout.min(timeout);
        Ok(supply_result::Ok)
    })
}

/// Retries after the first attempt for 429, 5xx and connection errors (0 for none).
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_retries(
    builder: *mut supply_context_builder,
    retries: u32,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        builder.options.max_retries = retries;
        Ok(supply_result::Ok)
    })
}

/// Also trust the CA certificates in this PEM file (NULL: the system's only).
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time; `path` NULL or a
/// NUL-terminated string; `error_out` NULL or writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_ca_file(
    builder: *mut supply_context_builder,
    path: *const c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        // SAFETY: forwarded from this function's contract.
        let path = unsafe { boundary::opt_str_arg(path, "path")? };
        builder.options.ca_file = path.map(PathBuf::from);
        Ok(supply_result::Ok)
    })
}

/// Read registry credentials from `<dir>/config.json` (docker's format, credential helpers
/// included); NULL: none.
///
/// # Safety
/// As `supply_context_builder_set_ca_file`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_docker_config_dir(
    builder: *mut supply_context_builder,
    dir: *const c_char,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        // SAFETY: forwarded from this function's contract.
        let dir = unsafe { boundary::opt_str_arg(dir, "dir")? };
        builder.options.docker_config = dir.map(|d| PathBuf::from(d).join("config.json"));
        Ok(supply_result::Ok)
    })
}

/// Allow plain HTTP to every registry (it is always allowed for loopback hosts).
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_allow_insecure(
    builder: *mut supply_context_builder,
    allow: bool,
) -> supply_result {
    boundary::call(std::ptr::null_mut(), || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        builder.options.allow_insecure = allow;
        Ok(supply_result::Ok)
    })
}

/// The Sigstore trusted root (JSON) keyless verification uses; without one, keyless calls
/// fail with `SUPPLY_RESULT_INVALID_INPUT`.
///
/// # Safety
/// `builder` must be a live builder used by one thread at a time; `json` must point to `len`
/// readable bytes; `error_out` NULL or writable storage for one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_set_trusted_root(
    builder: *mut supply_context_builder,
    json: *const u8,
    len: usize,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        // SAFETY: forwarded from this function's contract.
        let builder = unsafe { builder_arg(builder)? };
        // SAFETY: forwarded from this function's contract.
        let json = unsafe { boundary::bytes_arg(json, len, "json")? };
        builder.trusted_root = Some(Arc::new(TrustedRoot::from_json(json).map_err(fail)?));
        Ok(supply_result::Ok)
    })
}

/// Builds the context and frees the builder, whether or not it succeeds. Free the context
/// with `supply_context_free`.
///
/// # Safety
/// `builder` must be a live builder (not used again after this call); `context_out` must
/// point to writable storage for one pointer; `error_out` NULL or writable storage too.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_build(
    builder: *mut supply_context_builder,
    context_out: *mut *const supply_context,
    error_out: *mut *mut supply_error,
) -> supply_result {
    boundary::call(error_out, || {
        if builder.is_null() {
            return Err(Failure::argument("builder is NULL"));
        }
        // SAFETY: a live builder from `supply_context_builder_new`, consumed here once.
        let builder = unsafe { Box::from_raw(builder) };
        boundary::out_arg(context_out, "context_out")?;
        let client = RegistryClient::new(builder.options).map_err(fail)?;
        let context = Box::new(supply_context {
            client,
            trusted_root: builder.trusted_root,
        });
        // SAFETY: checked non-NULL; writable per the contract.
        unsafe { boundary::write(context_out, Box::into_raw(context).cast_const()) };
        Ok(supply_result::Ok)
    })
}

/// Frees a builder that was not built. NULL is ignored.
///
/// # Safety
/// `builder` must be NULL or a live builder, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_builder_free(builder: *mut supply_context_builder) {
    // SAFETY: forwarded from this function's contract.
    unsafe { boundary::free_box(builder) }
}

/// Frees a context once no call uses it any more. NULL is ignored.
///
/// # Safety
/// `context` must be NULL or a live context; no call may be using it, and it is not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn supply_context_free(context: *const supply_context) {
    // SAFETY: forwarded from this function's contract.
    unsafe { boundary::free_box(context.cast_mut()) }
}
