//! `supply generate-key-pair`, and where key passwords come from.

use std::io::IsTerminal;
use std::path::Path;

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
    write_pair(&SigningKey::generate(), &args.output_key_prefix, args.force)
}

pub(crate) fn import_key_pair(args: &ImportKeyPairArgs) -> anyhow::Result<ExitStatus> {
    write_pair(
        &files::read_key_to_import(&args.key)?,
        &args.output_key_prefix,
        args.force,
    )
}

/// Asks for a new password (twice on a terminal) and writes the pair in cosign's format.
fn write_pair(key: &SigningKey, prefix: &Path, force: bool) -> anyhow::Result<ExitStatus> {
    let password = password(true)?;
    let (private, public) = files::write_key_pair(prefix, key, password.as_bytes(), force)?;
    eprintln!("Private key written to {}", private.display());
    eprintln!("Public key written to {}", public.display());
    Ok(ExitStatus::Success)
}

/// Reads a cosign private key, its password from the usual sources.
pub(crate) fn load_signing_key(path: &Path) -> anyhow::Result<SigningKey> {
    let password = password(false)?;
    Ok(files::read_signing_key(path, password.as_bytes())?)
}
