//! `supply-core`: the library behind the `supply` command and the C API.
//!
//! It owns all of the logic; the CLI and the FFI only parse their inputs, call in here and
//! render the result. It builds CycloneDX SBOMs from lockfiles, offline ([`sbom`]); talks to OCI
//! registries ([`oci`]); signs images and files cosign's way ([`sign`]), attaches in-toto
//! attestations and SLSA provenance ([`attest`]) and verifies both ([`verify`]), answering with a
//! [`verify::Verdict`] whose findings carry stable codes. Network entry points are async; the
//! [`blocking`] facade runs them for synchronous callers on one process-wide runtime. Every
//! error classifies itself through [`Classify`]; an `Err` always means "could not decide".
//!
//! ```
//! use supply_core::sbom::{self, BuildOptions, Ecosystem};
//!
//! let lock = "version = 4\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\n";
//! let graph = sbom::parse_lockfile(Ecosystem::Cargo, lock)?;
//! let bom = sbom::Builder::new(BuildOptions::default())
//!     .add("Cargo.lock", graph)
//!     .build("demo");
//! assert!(bom.to_json().contains("\"specVersion\": \"1.6\""));
//! assert!(sbom::validate(bom.to_json().as_bytes())?.is_empty());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![warn(missing_docs)]

pub mod admission;
pub mod attach;
pub mod attest;
pub mod blocking;
mod byte_set;
pub mod digest;
pub mod error;
pub mod fsio;
pub mod keyless;
pub mod keys;
pub mod oci;
pub mod progress;
pub mod purl;
pub mod sbom;
pub mod sign;
pub mod sigstore;
pub mod text;
pub mod verify;
pub mod vuln;

pub use error::{Classify, ErrorKind};
