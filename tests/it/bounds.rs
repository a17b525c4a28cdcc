//! What an attacker-pushed attachment can cost a verifier: a `.att` or `.sig` image whose 1000
//! layers all name one 30 MiB blob must be refused with the blob fetched once and memory near one
//! payload, against the real registry (behind the counting proxy).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use supply_core::attest::{DSSE_MEDIA_TYPE, PREDICATE_TYPE_ANNOTATION};
use supply_core::digest::Digest;
use supply_core::oci::api::{Attachment, attachment_reference};
use supply_core::oci::manifest::OCI_MANIFEST;
use supply_core::oci::{RawManifest, Reference, RegistryClient};
use supply_core::sign::payload::{self, Layer, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

use crate::fault_proxy::Proxy;
use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{Registry, require_tool};
use crate::util::stderr;

const BLOB_BYTES: usize = 30 * 1024 * 1024;
const LAYERS: usize = 1000;
/// Peak resident memory allowed for the whole `supply` process.
const MAX_RSS_KB: u64 = 150 * 1024;

/// Runs `supply` under GNU time; returns its output and peak RSS in KiB.
fn supply_measured(dir: &Path, args: &[&str]) -> (Output, u64) {
    let time = require_tool("time", "time");
    let report = dir.join("rss");
    let output = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_supply"))
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    let rss = std::fs::read_to_string(&report).unwrap();
    let rss = rss
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .unwrap_or_else(|| panic!("no RSS in {rss:?}"));
    (output, rss)
}

/// Pushes an attachment image whose `LAYERS` layers all name `blob`, declared `size` bytes.
async fn push_attachment(
    client: &RegistryClient,
    reference: &Reference,
    blob: &Digest,
    size: u64,
    media_type: &str,
    annotations: &BTreeMap<String, String>,
) {
    let layers = vec![
        Layer {
            media_type: media_type.to_owned(),
            size,
            digest: blob.clone(),
            annotations: annotations.clone(),
        };
        LAYERS
    ];
    let config = payload::signature_config(&layers);
    client.push_blob(reference, config.clone()).await.unwrap();
    let manifest = payload::signature_manifest(&config, &layers);
    client
        .push_manifest(reference, &RawManifest::new(OCI_MANIFEST, manifest))
        .await
        .unwrap();
}

#[test]
fn a_thousand_layers_naming_one_large_blob_cost_one_fetch() {
    let registry = Registry::plain();
    let dir = tempfile::tempdir().unwrap();
    let keys = Command::new(env!("CARGO_BIN_EXE_supply"))
        .arg("generate-key-pair")
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(keys.status.success(), "{}", stderr(&keys));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let proxy = rt.block_on(Proxy::start(registry.host.clone(), Vec::new()));
    let client = client_for(&registry, None);
    let image: Reference = registry.image("bounds/app", "v1").parse().unwrap();
    let pushed = rt.block_on(push_test_image(&client, &image, "bounds"));
    // Incompressible bytes, so nothing along the way can shrink them.
    let big: Vec<u8> = (0..BLOB_BYTES as u64)
        .map(|i| (i.wrapping_mul(6_364_136_223_846_793_005) >> 56) as u8)
        .collect();
    let blob = rt.block_on(client.push_blob(&image, big)).unwrap();
    let through_proxy = format!("{}/bounds/app:v1", proxy.host);

    // `.att`: the size is declared truthfully and is under the envelope limit, so the blob is
    // fetched, once, and refused as no envelope for all 1000 layers.
    let att = attachment_reference(&image, &pushed.digest, Attachment::Attestation).unwrap();
    let annotations = BTreeMap::from([
        (SIGNATURE_ANNOTATION.to_owned(), String::new()),
        (
            PREDICATE_TYPE_ANNOTATION.to_owned(),
            "https://slsa.dev/provenance/v1".to_owned(),
        ),
    ]);
    rt.block_on(push_attachment(
        &client,
        &att,
        &blob,
        BLOB_BYTES as u64,
        DSSE_MEDIA_TYPE,
        &annotations,
    ));
    let (output, rss) = supply_measured(
        dir.path(),
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "slsaprovenance1",
            &through_proxy,
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let blob_path = format!("/blobs/{blob}");
    assert_eq!(proxy.count(&blob_path), 1, "{:#?}", proxy.seen());
    assert!(rss < MAX_RSS_KB, "peak RSS {rss} KiB");
    assert_eq!(
        stderr(&output).matches("rejected [").count(),
        LAYERS,
        "every layer gets its reason"
    );

    // `.sig`: the descriptors claim 300 bytes; reading stops one byte past that, once.
    let sig = attachment_reference(&image, &pushed.digest, Attachment::Signature).unwrap();
    let annotations = BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), "MEUCIQ==".to_owned())]);
    rt.block_on(push_attachment(
        &client,
        &sig,
        &blob,
        300,
        SIMPLE_SIGNING_MEDIA_TYPE,
        &annotations,
    ));
    let (output, rss) = supply_measured(
        dir.path(),
        &["verify", "--key", "cosign.pub", &through_proxy],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(proxy.count(&blob_path), 2, "{:#?}", proxy.seen());
    assert!(rss < MAX_RSS_KB, "peak RSS {rss} KiB");
    assert!(
        stderr(&output).contains("its descriptor says 300"),
        "{}",
        stderr(&output)
    );
}
