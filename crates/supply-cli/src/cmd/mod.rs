//! One module per subcommand; each takes its parsed arguments and returns an exit status.

pub(crate) mod admission;
mod attest;
mod bundle;
mod docs;
pub(crate) mod image;
mod keyless;
mod keys;
mod sbom;
mod scan;
mod sign;

use crate::ExitStatus;
use crate::cli::{AdmissionAction, Cli, Command};

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Sbom(args) => sbom::run(args),
        Command::Digest(args) => image::digest(&args),
        Command::Triangulate(args) => image::triangulate(&args),
        Command::Tree(args) => image::tree(&args),
        Command::GenerateKeyPair(args) => keys::generate_key_pair(&args),
        Command::ImportKeyPair(args) => keys::import_key_pair(&args),
        Command::Sign(args) => sign::sign(&args),
        Command::Verify(args) => sign::verify(&args),
        Command::Provenance(args) => attest::provenance(&args),
        Command::Attest(args) => attest::attest(&args),
        Command::VerifyAttestation(args) => attest::verify_attestation(&args),
        Command::SignBlob(args) => sign::sign_blob(&args),
        Command::VerifyBlob(args) => sign::verify_blob(&args),
        Command::VerifyBundle(args) => bundle::verify_bundle(&args),
        Command::SignBundle(args) => keyless::sign_bundle(&args),
        Command::Admission(args) => match args.action {
            AdmissionAction::Serve(args) => crate::serve::run(&args),
        },
        Command::Scan(args) => scan::run(&args),
        Command::Db(args) => scan::db(&args),
        Command::Completion { shell } => docs::completion(shell),
        Command::Man { out_dir } => docs::man(out_dir.as_deref()),
    }
}
