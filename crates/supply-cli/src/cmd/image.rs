//! `supply digest`, `supply triangulate`, `supply tree`: reading what a registry holds.

use std::io::{Read, Write};

use anyhow::Context;
use supply_core::blocking;
use supply_core::oci::api::{self, Attachment};
use supply_core::oci::auth::Credentials;
use supply_core::oci::{ClientOptions, Reference, RegistryClient};
use supply_core::text::printable;

use crate::ExitStatus;
use crate::cli::{AttachmentArg, ImageArgs, OutputFormat, RegistryArgs, TriangulateArgs};

/// A registry client configured from the command line.
pub(crate) fn client(args: &RegistryArgs) -> anyhow::Result<RegistryClient> {
    Ok(RegistryClient::new(client_options(args)?)?)
}

/// The registry client's options from the command line and the environment.
pub(crate) fn client_options(args: &RegistryArgs) -> anyhow::Result<ClientOptions> {
    let mut options = ClientOptions::from_env();
    if let Some(username) = &args.registry_username {
        let password = match (&args.registry_password, args.registry_password_stdin) {
            (Some(password), _) => password.clone(),
            (None, _) => {
                let mut password = String::new();
                std::io::stdin()
                    .read_to_string(&mut password)
                    .context("reading the registry password from standard input")?;
                password.trim_end_matches(['\n', '\r']).to_owned()
            }
        };
        options.credentials = Some(Credentials::new(username.as_str(), password));
    }
    if args.ca_file.is_some() {
        options.ca_file.clone_from(&args.ca_file);
    }
    options.allow_insecure = args.allow_insecure_registry;
    Ok(options)
}

/// Prints the round-trip count when asked (`--show-round-trips`).
pub(crate) fn report_round_trips(client: &RegistryClient, args: &RegistryArgs) {
    if args.show_round_trips {
        let _ = writeln!(
            std::io::stderr().lock(),
            "registry round trips: {}",
            client.round_trips()
        );
    }
}

pub(crate) fn reference(text: &str) -> anyhow::Result<Reference> {
    text.parse()
        .with_context(|| format!("invalid image reference {text:?}"))
}

pub(crate) fn digest(args: &ImageArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image)?;
    let client = client(&args.registry)?;
    let digest =
        blocking::resolve(&client, &image).with_context(|| format!("resolving {image}"))?;
    let mut stdout = std::io::stdout().lock();
    match args.output {
        OutputFormat::Text => writeln!(stdout, "{digest}")?,
        OutputFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::json!({"image": image.to_string(), "digest": digest})
        )?,
    }
    report_round_trips(&client, &args.registry);
    Ok(ExitStatus::Success)
}

pub(crate) fn triangulate(args: &TriangulateArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image.image)?;
    let client = client(&args.image.registry)?;
    let digest =
        blocking::resolve(&client, &image).with_context(|| format!("resolving {image}"))?;
    let kind = match args.kind {
        AttachmentArg::Sig => Attachment::Signature,
        AttachmentArg::Att => Attachment::Attestation,
        AttachmentArg::Sbom => Attachment::Sbom,
    };
    let target = api::attachment_reference(&image, &digest, kind)?;
    let mut stdout = std::io::stdout().lock();
    match args.image.output {
        OutputFormat::Text => writeln!(stdout, "{target}")?,
        OutputFormat::Json => writeln!(
            stdout,
            "{}",
            serde_json::json!({"image": image.to_string(), "digest": digest, "reference": target.to_string()})
        )?,
    }
    report_round_trips(&client, &args.image.registry);
    Ok(ExitStatus::Success)
}

pub(crate) fn tree(args: &ImageArgs) -> anyhow::Result<ExitStatus> {
    let image = reference(&args.image)?;
    let client = client(&args.registry)?;
    let attachments = blocking::attachments(&client, &image)
        .with_context(|| format!("listing what is attached to {image}"))?;
    let mut out = std::io::stdout().lock();
    if args.output == OutputFormat::Json {
        writeln!(out, "{}", serde_json::to_string_pretty(&attachments)?)?;
        report_round_trips(&client, &args.registry);
        return Ok(ExitStatus::Success);
    }
    writeln!(out, "📦 {}@{}", image.repository_name(), attachments.digest)?;
    if attachments.tags.is_empty() && attachments.referrers.is_empty() {
        writeln!(out, "└── nothing attached")?;
    }
    for tagged in &attachments.tags {
        writeln!(
            out,
            "└── {} ({} layer(s)): {}",
            tagged.kind,
            tagged.layers.len(),
            tagged.reference
        )?;
        for layer in &tagged.layers {
            writeln!(
                out,
                "    └── {} {}",
                layer.digest,
                printable(&layer.media_type)
            )?;
        }
    }
    if !attachments.referrers.is_empty() {
        let source = if attachments.referrers_api {
            "referrers API"
        } else {
            "referrers fallback tag"
        };
        writeln!(out, "└── referrers ({source}):")?;
        for referrer in &attachments.referrers {
            let kind = referrer
                .artifact_type
                .as_deref()
                .unwrap_or(&referrer.media_type);
            writeln!(out, "    └── {} {}", referrer.digest, printable(kind))?;
        }
    }
    report_round_trips(&client, &args.registry);
    Ok(ExitStatus::Success)
}
