//! `supply generate-key-pair`, and where key passwords come from.

use std::io::IsTerminal;

use anyhow::{Context, bail};
use supply_core::keys::{SigningKey, files};
use zeroize::Zeroizing;

use crate::ExitStatus;
use crate::cli::{GenerateKeyPairArgs, ImportKeyPairArgs};

/// The key password: `COSIGN_PASSWORD` if set (even empty), else `SUPPLY_PASSWORD`, else a
/// prompt on the terminal (twice when `confirm`). Never a command-line argument.
pub(crate) fn password(confirm: bool) -> anyhow::Result<Zeroizing<String>> {
    for variable in ["COSIGN_PASSWORD", "SUPPLY_PASSWORD"] {
        if let Some(value) = std::env::var_os(variable) {
            let value = value
                .into_string()
                .map_err(|_| anyhow::anyhow!("{variable} is not UTF-8"))?;
            return Ok(Zeroizing::new(value));
        }
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "no key password: set COSIGN_PASSWORD (or SUPPLY_PASSWORD), or run on a terminal to be asked"
        );
    }
    let first = Zeroizing::new(
        rpassword::prompt_password("Enter password for private key: ")
            .context("reading the password")?,
    );
    if confirm {
        let second = Zeroizing::new(
            rpassword::prompt_password("Enter password for private key again: ")
                .context("reading the password")?,
        );
        if *first != *second {
            bail!("the passwords do not match");
        }
    }
    Ok(first)
}

pub(crate) fn generate_key_pair(args: &GenerateKeyPairArgs) -> anyhow::Result<ExitStatus> {
    let password = password(true)?;
    let key = SigningKey::generate();
    let (private, public) = files::write_key_pair(
        &args.output_key_prefix,
        &key,
        password.as_bytes(),
        args.force,
    )?;
    report_written(&private, &public);
    Ok(ExitStatus::Success)
}

pub(crate) fn import_key_pair(args: &ImportKeyPairArgs) -> anyhow::Result<ExitStatus> {
    let key = files::read_key_to_import(&args.key)?;
    let password = password(true)?;
    let (private, public) = files::write_key_pair(
        &args.output_key_prefix,
        &key,
        password.as_bytes(),
        args.force,
    )?;
    report_written(&private, &public);
    Ok(ExitStatus::Success)
}

fn report_written(private: &std::path::Path, public: &std::path::Path) {
    eprintln!("Private key written to {}", private.display());
    eprintln!("Public key written to {}", public.display());
}
