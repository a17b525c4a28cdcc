//! The C API of `supply`: thin `extern "C"` wrappers over `supply-core`, with a generated
//! header (`include/supply.h`, checked for drift by a test).
//!
//! Conventions (rustls-ffi's): names are `supply_<noun>_<verb>`; fallible functions return a
//! `supply_result` (0 is success, errors from 1000, numbers never reused); outputs come last
//! and are written only on success; details of a failure come back through an optional
//! `supply_error **` out-parameter, never a thread-local, so many threads can call at once.
//! No panic crosses the boundary.
#![allow(unsafe_code)] // The one crate whose job is the unsafe boundary.
#![warn(clippy::undocumented_unsafe_blocks, missing_docs)]

mod boundary;
mod sbom;

pub use boundary::{
    supply_error, supply_error_free, supply_error_message, supply_result, supply_string_free,
    supply_version,
};
pub use sbom::{supply_ecosystem, supply_sbom_from_lockfile, supply_sbom_validate};
