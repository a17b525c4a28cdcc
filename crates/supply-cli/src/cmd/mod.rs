//! One module per subcommand; each takes its parsed arguments and returns an exit status.

mod image;
mod sbom;

use crate::ExitStatus;
use crate::cli::{Cli, Command};

/// Runs the chosen subcommand.
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Sbom(args) => sbom::run(args),
        Command::Digest(args) => image::digest(&args),
        Command::Triangulate(args) => image::triangulate(&args),
        Command::Tree(args) => image::tree(&args),
    }
}
