//! End-to-end tests: the real `supply` binary over real inputs (lockfiles made by cargo, uv
//! and npm; later, a real registry). One test binary, so linking happens once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.
mod admission_fixture;
mod admission_gate;
mod admission_webhook;
mod attesting;
mod bounds;
mod bundles;
mod c_api;
mod ci_habits;
mod credentials;
mod deploy;
mod fault_proxy;
mod faults;
mod keyless;
mod packaging;
mod registry;
mod registry_fixture;
mod release_image;
mod sbom_cli;
mod sbom_fixtures;
mod sbom_formats;
mod scan;
mod signing;
mod sigstore_fixture;
mod static_server;
mod tuf;
mod util;
mod verdicts;
mod workflows;
