//! The command-line grammar (clap derive). The only file that knows clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Supply-chain security for lockfiles and container images: SBOMs, signing, verification.
#[derive(Debug, Parser)]
#[command(name = "supply", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Write a CycloneDX SBOM from lockfiles (Cargo.lock, uv.lock, package-lock.json), offline.
    Sbom(SbomArgs),
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SbomArgs {
    #[command(subcommand)]
    pub(crate) action: Option<SbomAction>,
    /// A lockfile, or a directory to search for Cargo.lock, uv.lock, package-lock.json and
    /// npm-shrinkwrap.json (skipping node_modules, target, .venv, .git).
    #[arg(default_value = ".")]
    pub(crate) path: PathBuf,
    /// Write the SBOM to this file (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value_t = SpecVersionArg::V1_6)]
    pub(crate) spec_version: SpecVersionArg,
    /// Leave out packages only needed for development (dev dependencies, dependency groups).
    #[arg(long)]
    pub(crate) exclude_dev: bool,
}

#[derive(Debug, Subcommand)]
pub(crate) enum SbomAction {
    /// Check a CycloneDX 1.5/1.6 JSON file against the official schema and for dangling refs.
    Validate {
        /// The SBOM file.
        file: PathBuf,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SpecVersionArg {
    #[value(name = "1.5")]
    V1_5,
    #[value(name = "1.6")]
    V1_6,
}
