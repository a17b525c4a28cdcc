//! The C API of `supply`: thin `extern "C"` wrappers over `supply-core`, with a generated
//! header (`include/supply.h`, checked for drift by a test). One file per C object or family:
//! `context.rs` (the shared, thread-safe registry client and trusted root), `keys.rs`,
//! `verdict.rs`, `sign.rs`, `verify.rs`, `sbom.rs`; `boundary.rs` holds the argument checks,
//! the error object and the panic guard, `result.rs` the codes.
//!
//! Conventions (rustls-ffi's): names are `supply_<noun>_<verb>`; fallible functions return a
//! `supply_result` (0 is success, errors from 1000, numbers never reused); outputs come last
//! and are written only on success; details of a failure come back through an optional
//! `supply_error **` out-parameter, never a thread-local, so many threads can call at once.
//! Enums are taken as `uint32_t` and checked. No panic crosses the boundary.
#![allow(unsafe_code)] // The one crate whose job is the unsafe boundary.
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

mod boundary;
mod context;
mod keys;
mod result;
mod sbom;
mod sign;
mod verdict;
mod verify;

pub use boundary::{
    supply_error, supply_error_code, supply_error_free, supply_error_message,
    supply_selftest_panic, supply_string_free, supply_version,
};
pub use context::{
    supply_context, supply_context_builder, supply_context_builder_build,
    supply_context_builder_free, supply_context_builder_new,
    supply_context_builder_set_allow_insecure, supply_context_builder_set_ca_file,
    supply_context_builder_set_docker_config_dir, supply_context_builder_set_retries,
    supply_context_builder_set_timeout_ms, supply_context_builder_set_trusted_root,
    supply_context_builder_use_environment, supply_context_free,
};
pub use keys::{
    supply_generate_key_pair, supply_signing_key, supply_signing_key_free,
    supply_signing_key_from_pem, supply_signing_key_public, supply_verifying_key,
    supply_verifying_key_free, supply_verifying_key_from_pem,
};
pub use result::{supply_result, supply_result_could_not_verify, supply_result_name};
pub use sbom::{
    supply_ecosystem, supply_sbom_from_lockfile, supply_sbom_from_path, supply_sbom_validate,
};
pub use sign::{supply_attest_image, supply_sign_image};
pub use verdict::{
    supply_verdict, supply_verdict_accepted, supply_verdict_digest, supply_verdict_finding_code,
    supply_verdict_finding_count, supply_verdict_finding_message, supply_verdict_free,
    supply_verdict_json,
};
pub use verify::{supply_verify_attestations, supply_verify_bundle, supply_verify_image};
