//! `supply`: the command-line front end. Parses arguments, calls `supply-core` (through its
//! blocking facade), renders the result and maps it to an exit code: 0 done or accepted,
//! 1 rejected (verification failed, document invalid), 2 usage or input error, 3 could not
//! verify (registry, network, timeout, authentication). Logic that could be reused lives in
//! the library, not here.

mod cli;
mod cmd;
mod github;
mod logging;
mod output;
mod serve;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// What a command decided, as opposed to failing to decide (an `Err`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// Done, or the thing checked was accepted.
    Success,
    /// The thing checked was rejected.
    Rejected,
    /// Refused only because something could not be checked (a registry unreachable).
    Unverified,
}

impl ExitStatus {
    /// Success when accepted, else rejected.
    pub(crate) fn of(accepted: bool) -> Self {
        if accepted {
            Self::Success
        } else {
            Self::Rejected
        }
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    logging::init(cli.verbose, cli.quiet);
    match cmd::run(cli) {
        Ok(ExitStatus::Success) => ExitCode::SUCCESS,
        Ok(ExitStatus::Rejected) => ExitCode::from(1),
        Ok(ExitStatus::Unverified) => ExitCode::from(3),
        Err(error) if output::is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {error:#}");
            for hint in output::hints(&error) {
                let _ = writeln!(stderr, "hint: {hint}");
            }
            ExitCode::from(output::exit_code(&error))
        }
    }
}
