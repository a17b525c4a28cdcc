//! Embedding supply-core from synchronous Rust through the blocking facade: sign an image with
//! a fresh key, verify it, and verify it again with another key, printing each verdict's
//! findings by code.
//!
//! ```text
//! cargo run -p supply-core --example sign_and_verify -- 127.0.0.1:5000/app:v1
//! ```
//!
//! Credentials and extra CA certificates come from the environment as the docker CLI reads
//! them (`ClientOptions::from_env`). Exit status: 0 when the first verification accepted and
//! the second rejected, 1 otherwise, 2 when something could not be done.
#![allow(clippy::print_stdout, clippy::print_stderr)] // An example program talks to its user.

use std::process::ExitCode;

use supply_core::keys::SigningKey;
use supply_core::oci::{ClientOptions, Reference, RegistryClient};
use supply_core::sign::SignOptions;
use supply_core::verify::{Verdict, VerifyOptions};
use supply_core::{Classify, blocking};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<bool, Box<dyn std::error::Error>> {
    let image: Reference = std::env::args()
        .nth(1)
        .ok_or("usage: sign_and_verify IMAGE")?
        .parse()?;
    let client = RegistryClient::new(ClientOptions::from_env())?;
    let key = SigningKey::generate();
    let signed = blocking::sign_image(&client, &image, &key, &SignOptions::default())
        .map_err(|e| format!("signing failed ({:?}): {e}", e.kind()))?;
    for entry in &signed {
        println!("signed {} -> {}", entry.digest, entry.signature_reference);
    }
    let accepted = blocking::verify_image(
        &client,
        &image,
        &VerifyOptions::with_key(key.verifying_key()),
    )?;
    report("with the signing key", &accepted);
    let other = SigningKey::generate().verifying_key();
    let rejected = blocking::verify_image(&client, &image, &VerifyOptions::with_key(other))?;
    report("with another key", &rejected);
    Ok(accepted.accepted && !rejected.accepted)
}

fn report(label: &str, verdict: &Verdict) {
    let digest = verdict
        .digest
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    println!("{label}: accepted={} digest={digest}", verdict.accepted);
    for finding in &verdict.findings {
        println!(
            "  {} [{:?}] {}: {}",
            finding.code, finding.severity, finding.subject, finding.message
        );
    }
}
