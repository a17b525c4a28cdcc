//! `supply completion SHELL` and `supply man`: generated from the same clap grammar the
//! binary parses, so they never drift from it.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use clap::CommandFactory;
use supply_core::fsio;

use crate::ExitStatus;
use crate::cli::Cli;

pub(crate) fn completion(shell: clap_complete::Shell) -> anyhow::Result<ExitStatus> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "supply", &mut out);
    std::io::stdout().lock().write_all(&out)?;
    Ok(ExitStatus::Success)
}

fn page(command: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command).render(&mut out)?;
    Ok(out)
}

pub(crate) fn man(out_dir: Option<&Path>) -> anyhow::Result<ExitStatus> {
    let command = Cli::command();
    let Some(dir) = out_dir else {
        std::io::stdout().lock().write_all(&page(command)?)?;
        return Ok(ExitStatus::Success);
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    fsio::write_atomic(&dir.join("supply.1"), &page(command.clone())?)?;
    for sub in command.get_subcommands() {
        // A subcommand's page is named and titled as man expects: supply-sign(1).
        let name = format!("supply-{}", sub.get_name());
        let sub = sub.clone().name(name.clone());
        fsio::write_atomic(&dir.join(format!("{name}.1")), &page(sub)?)?;
    }
    Ok(ExitStatus::Success)
}
