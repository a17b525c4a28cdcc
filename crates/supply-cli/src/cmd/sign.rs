//! `supply sign`, `supply verify`, `supply sign-blob`, `supply verify-blob`.

use std::io::Write;

use anyhow::Context;
use base64::Engine as _;
use supply_core::keys::files;
use supply_core::sign::SignOptions;
use supply_core::sign::bundle::BundleSigner;
use supply_core::verify::VerifyOptions;
use supply_core::{blocking, fsio};

use super::image::{client, reference, report_round_trips};
use super::keys::load_signing_key;
use crate::ExitStatus;
use crate::cli::{OutputFormat, SignArgs, SignBlobArgs, VerifyArgs, VerifyBlobArgs};
use crate::output;

const MAX_BLOB_FILE_BYTES: u64 = 4 * 1024 * 1024 * 1024;

pub(crate) fn sign(args: &SignArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let options = SignOptions {
        annotations: args.annotations.iter().cloned().collect(),
        recursive: args.recursive,
    };
    let bundle = args.format.bundle(args.key.is_none());
    let client = client(&args.image.registry)?;
    let signed = match &args.key {
        Some(path) => {
            let key = load_signing_key(path)?;
            if bundle {
                blocking::sign_image_bundle(&client, &image, &key, &options)
            } else {
                blocking::sign_image(&client, &image, &key, &options)
            }
        }
        None => {
            let signer = super::keyless::signer(&args.keyless)?;
            if bundle {
                blocking::sign_image_bundle_with(
                    &client,
                    &image,
                    BundleSigner::Keyless(&signer),
                    &options,
                )
            } else {
                blocking::sign_image_keyless_legacy(&client, &image, &signer, &options)
            }
        }
    }
    .with_context(|| format!("signing {image}"))?;
    let references: Vec<String> = signed
        .iter()
        .map(|s| s.signature_reference.to_string())
        .collect();
    crate::github::outputs(&[
        ("signature-refs", references.join("\n")),
        (
            "digest",
            signed
                .first()
                .map(|s| s.digest.to_string())
                .unwrap_or_default(),
        ),
    ])?;
    crate::github::summary(&format!(
        "### supply: signed `{image}`\n\n{}\n\n",
        references
            .iter()
            .map(|r| format!("- `{r}`"))
            .collect::<Vec<_>>()
            .join("\n")
    ))?;
    let mut stdout = std::io::stdout().lock();
    match args.image.output {
        OutputFormat::Json => writeln!(stdout, "{}", serde_json::to_string_pretty(&signed)?)?,
        OutputFormat::Text => {
            for entry in &signed {
                let note = if entry.added {
                    ""
                } else {
                    " (already signed with this key)"
                };
                writeln!(stdout, "{}{note}", entry.signature_reference)?;
            }
        }
    }
    report_round_trips(&client, &args.image.registry);
    Ok(ExitStatus::Success)
}

pub(crate) fn verify(args: &VerifyArgs) -> anyhow::Result<ExitStatus> {
    if !args.policy.files.is_empty() {
        return super::admission::verify_with_policies(args);
    }
    let [image] = args.images.as_slice() else {
        anyhow::bail!(
            "verify takes one image with --key or a certificate identity; several with --policy"
        );
    };
    let image = reference(image)?;
    let key = super::bundle::expected(&args.signer)?;
    let trusted_root = super::bundle::trusted_root_for(&key, &args.trust)?;
    let options = VerifyOptions {
        key,
        annotations: args.annotations.iter().cloned().collect(),
        trusted_root,
        formats: Default::default(),
    };
    let client = client(&args.registry)?;
    let verdict = blocking::verify_image(&client, &image, &options)
        .with_context(|| format!("verifying {image} (nothing was verified)"))?;
    output::write_verdict(
        &verdict,
        args.output,
        &[
            "the signatures were verified against the specified key or certificate identity",
            "the signed digest is the image's digest; required annotations are present",
        ],
    )?;
    report_round_trips(&client, &args.registry);
    Ok(ExitStatus::of(verdict.accepted))
}

pub(crate) fn sign_blob(args: &SignBlobArgs) -> anyhow::Result<ExitStatus> {
    let bytes = fsio::read_bounded(&args.file, MAX_BLOB_FILE_BYTES)?;
    let Some(key) = &args.key else {
        let Some(bundle_path) = &args.bundle else {
            anyhow::bail!(
                "keyless sign-blob writes a Sigstore bundle: pass --bundle FILE (or sign with --key)"
            );
        };
        let signer = super::keyless::signer(&args.keyless)?;
        let bundle = blocking::keyless_sign_artifact(&signer, &bytes).context("keyless signing")?;
        fsio::write_atomic(bundle_path, &bundle.to_json())?;
        if let Some(path) = &args.output_signature {
            let signature =
                base64::engine::general_purpose::STANDARD.encode(bundle.content.signature());
            fsio::write_atomic(path, signature.as_bytes())?;
        }
        return Ok(ExitStatus::Success);
    };
    let key = load_signing_key(key)?;
    if let Some(bundle_path) = &args.bundle {
        let bundle = supply_core::sign::bundle::key_message_bundle(&key, &bytes);
        fsio::write_atomic(bundle_path, &bundle.to_json())?;
    }
    let signature = blocking::sign_blob(&key, &bytes);
    if let Some(path) = &args.output_signature {
        fsio::write_atomic(path, signature.as_bytes())?;
    }
    writeln!(std::io::stdout().lock(), "{signature}")?;
    Ok(ExitStatus::Success)
}

pub(crate) fn verify_blob(args: &VerifyBlobArgs) -> anyhow::Result<ExitStatus> {
    if let Some(bundle) = &args.bundle {
        return super::bundle::verify_blob_bundle(
            bundle,
            &args.file,
            &args.signer,
            &args.trust,
            args.output,
        );
    }
    let (Some(key), Some(signature)) = (&args.signer.key, &args.signature) else {
        anyhow::bail!("verify-blob needs --key with --signature, or --bundle");
    };
    let key = files::read_verifying_key(key)?;
    let bytes = fsio::read_bounded(&args.file, MAX_BLOB_FILE_BYTES)?;
    let signature = fsio::read_bounded(signature, 64 * 1024)?;
    let verdict = blocking::verify_blob(&args.file.to_string_lossy(), &bytes, &signature, &key);
    if args.output == OutputFormat::Text && verdict.accepted {
        writeln!(std::io::stderr().lock(), "Verified OK")?;
    } else {
        output::write_verdict(&verdict, args.output, &[])?;
    }
    Ok(ExitStatus::of(verdict.accepted))
}
