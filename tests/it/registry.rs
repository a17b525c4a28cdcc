//! The registry client against a real registry: push and pull, tags, auth, credentials from
//! docker config and credential helpers, what skopeo wrote, attachments and round trips.

use std::process::Command;

use supply_core::digest::Digest;
use supply_core::oci::auth::Credentials;
use supply_core::oci::manifest::{OCI_INDEX, OCI_MANIFEST};
use supply_core::oci::{
    ClientOptions, Manifest, RawManifest, Reference, RegistryClient, RegistryError,
};

use crate::registry_fixture::{PASSWORD, Registry, USER, require_tool};
use crate::util::{stderr, stdout};

pub(crate) fn client_for(registry: &Registry, credentials: Option<Credentials>) -> RegistryClient {
    RegistryClient::new(ClientOptions {
        credentials,
        docker_config: None,
        ca_file: registry.ca_file.clone(),
        ..ClientOptions::default()
    })
    .unwrap()
}

/// An image made of bytes: a config and two layers (the second pushed in chunks).
pub(crate) struct TestImage {
    pub(crate) digest: Digest,
    pub(crate) manifest: RawManifest,
    pub(crate) layers: Vec<Vec<u8>>,
}

/// Pushes a test image (content named after `repository`) to `repository:v1` of a plain
/// registry from synchronous test code; its reference.
pub(crate) fn push_image(registry: &Registry, repository: &str) -> String {
    let reference: supply_core::oci::Reference = registry.image(repository, "v1").parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(push_test_image(
        &client_for(registry, None),
        &reference,
        repository,
    ));
    reference.to_string()
}

pub(crate) async fn push_test_image(
    client: &RegistryClient,
    reference: &Reference,
    seed: &str,
) -> TestImage {
    let config = format!(r#"{{"architecture":"amd64","os":"linux","config":{{"Labels":{{"seed":"{seed}"}}}},"rootfs":{{"type":"layers","diff_ids":[]}}}}"#).into_bytes();
    let small = format!("layer one of {seed}").into_bytes();
    let large: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .chain(seed.bytes())
        .collect();
    let config_digest = client.push_blob(reference, config.clone()).await.unwrap();
    let small_digest = client.push_blob(reference, small.clone()).await.unwrap();
    let large_digest = client
        .push_blob_in_chunks(reference, large.clone(), Some(64 * 1024))
        .await
        .unwrap();
    let descriptor = |media_type: &str, digest: &Digest, size: usize| {
        format!(r#"{{"mediaType":"{media_type}","digest":"{digest}","size":{size}}}"#)
    };
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{},"layers":[{},{}]}}"#,
        descriptor(
            "application/vnd.oci.image.config.v1+json",
            &config_digest,
            config.len()
        ),
        descriptor(
            "application/vnd.oci.image.layer.v1.tar",
            &small_digest,
            small.len()
        ),
        descriptor(
            "application/vnd.oci.image.layer.v1.tar",
            &large_digest,
            large.len()
        ),
    );
    let manifest = RawManifest::new(OCI_MANIFEST, manifest.into_bytes());
    let digest = client.push_manifest(reference, &manifest).await.unwrap();
    TestImage {
        digest,
        manifest,
        layers: vec![small, large],
    }
}

#[tokio::test]
async fn push_and_pull_over_plain_http() {
    let registry = Registry::plain();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("team/app", "v1").parse().unwrap();
    let image = push_test_image(&client, &reference, "plain").await;

    assert_eq!(client.resolve(&reference).await.unwrap(), image.digest);
    let fetched = client.manifest(&reference).await.unwrap();
    assert_eq!(
        fetched.bytes, image.manifest.bytes,
        "registry serves the exact bytes pushed"
    );
    assert_eq!(fetched.media_type, OCI_MANIFEST);
    let Manifest::Image(manifest) = fetched.decode().unwrap() else {
        panic!("an image manifest")
    };
    for (descriptor, expected) in manifest.layers.iter().zip(&image.layers) {
        assert_eq!(
            &client.blob(&reference, &descriptor.digest).await.unwrap(),
            expected
        );
    }
    let by_digest = reference.with_digest(image.digest.clone());
    assert_eq!(
        client.manifest(&by_digest).await.unwrap().bytes,
        image.manifest.bytes
    );

    let missing = reference.with_tag("nope").unwrap();
    assert!(matches!(
        client.resolve(&missing).await,
        Err(RegistryError::NotFound { .. })
    ));
    let unknown_blob = Digest::sha256(b"never pushed");
    assert!(matches!(
        client.blob(&reference, &unknown_blob).await,
        Err(RegistryError::NotFound { .. })
    ));
}

#[tokio::test]
async fn tags_are_listed_across_pages() {
    let registry = Registry::plain();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("paged", "a").parse().unwrap();
    let image = push_test_image(&client, &reference, "paged").await;
    for tag in ["b", "c", "d"] {
        client
            .push_manifest(&reference.with_tag(tag).unwrap(), &image.manifest)
            .await
            .unwrap();
    }
    // Debian's distribution 2.8 ignores `n` and answers in one page; `Link` pagination is
    // exercised through the fault proxy in `faults.rs`.
    let mut tags = client.tags(&reference, 1).await.unwrap();
    assert_eq!(tags.len(), 4, "no tag twice: {tags:?}");
    tags.sort();
    assert_eq!(tags, ["a", "b", "c", "d"]);
}

#[tokio::test]
async fn tls_registry_requires_and_accepts_basic_auth() {
    let registry = Registry::tls_with_auth();
    let reference: Reference = registry.image("secure/app", "v1").parse().unwrap();

    let anonymous = client_for(&registry, None);
    let error = anonymous.resolve(&reference).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(error, RegistryError::Unauthorized { .. }),
        "{message}"
    );
    assert!(
        message.contains(&registry.host) && message.contains("no credentials"),
        "{message}"
    );
    // The library names no CLI flag or command; the CLI adds those as hints.
    assert!(
        !message.contains("docker login") && !message.contains("--"),
        "{message}"
    );

    let wrong = client_for(&registry, Some(Credentials::new(USER, "wrong password")));
    let message = wrong.resolve(&reference).await.unwrap_err().to_string();
    assert!(
        message.contains("rejected") && !message.contains("wrong password"),
        "{message}"
    );

    let client = client_for(&registry, Some(Credentials::new(USER, PASSWORD)));
    let image = push_test_image(&client, &reference, "tls").await;
    assert_eq!(client.resolve(&reference).await.unwrap(), image.digest);

    let untrusting = RegistryClient::new(ClientOptions {
        credentials: Some(Credentials::new(USER, PASSWORD)),
        docker_config: None,
        ca_file: None,
        ..ClientOptions::default()
    })
    .unwrap();
    let error = untrusting.resolve(&reference).await.unwrap_err();
    assert!(
        matches!(error, RegistryError::UntrustedCertificate { .. }),
        "an unknown CA is refused, as a typed error: {error}"
    );
    let chain = format!("{:?}", anyhow_chain(&error));
    assert!(
        chain.contains("certificate"),
        "the reason names the certificate: {chain}"
    );
}

#[test]
fn cli_reads_docker_config_and_credential_helpers() {
    let registry = Registry::tls_with_auth();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let reference: Reference = registry.image("cred/app", "v1").parse().unwrap();
    let client = client_for(&registry, Some(Credentials::new(USER, PASSWORD)));
    let image = runtime.block_on(push_test_image(&client, &reference, "creds"));
    let ca = registry
        .ca_file
        .as_ref()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let image_ref = reference.to_string();

    let home = tempfile::tempdir().unwrap();
    let run = |envs: &[(&str, String)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_supply"));
        command
            .args(["digest", &image_ref, "--ca-file", &ca])
            .env("HOME", home.path())
            .env_remove("DOCKER_CONFIG");
        for (key, value) in envs {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let output = run(&[]);
    assert_eq!(
        output.status.code(),
        Some(3),
        "no credentials: could not verify: {}",
        stdout(&output)
    );
    assert!(
        stderr(&output).contains("docker login"),
        "{}",
        stderr(&output)
    );

    // Inline `auths` in $DOCKER_CONFIG/config.json.
    let config_dir = tempfile::tempdir().unwrap();
    let auth = base64_encode(&format!("{USER}:{PASSWORD}"));
    std::fs::write(
        config_dir.path().join("config.json"),
        format!(r#"{{"auths":{{"{}":{{"auth":"{auth}"}}}}}}"#, registry.host),
    )
    .unwrap();
    let output = run(&[(
        "DOCKER_CONFIG",
        config_dir.path().to_str().unwrap().to_owned(),
    )]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), image.digest.to_string());

    // A credential helper, found on PATH, as `credsStore`.
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-supplytest");
    std::fs::write(&helper, format!("#!/bin/sh\nread server\n[ \"$1\" = get ] || exit 1\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{PASSWORD}\"}}' \"$server\"\n")).unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&helper)
        .status()
        .unwrap();
    let store_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        store_dir.path().join("config.json"),
        r#"{"credsStore":"supplytest"}"#,
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap()
    );
    let output = run(&[
        (
            "DOCKER_CONFIG",
            store_dir.path().to_str().unwrap().to_owned(),
        ),
        ("PATH", path),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), image.digest.to_string());

    // Explicit flags, password on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_supply"))
        .args([
            "digest",
            &image_ref,
            "--ca-file",
            &ca,
            "--registry-username",
            USER,
            "--registry-password-stdin",
        ])
        .env("HOME", home.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), image.digest.to_string());
}

fn anyhow_chain(error: &dyn std::error::Error) -> Vec<String> {
    let mut chain = vec![error.to_string()];
    let mut source = error.source();
    while let Some(current) = source {
        chain.push(current.to_string());
        source = current.source();
    }
    chain
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

#[tokio::test]
async fn reads_an_image_pushed_by_skopeo() {
    let registry = Registry::plain();
    require_tool("umoci", "umoci");
    let skopeo = require_tool("skopeo", "skopeo");
    let layout = registry.dir.path().join("layout");
    let script = crate::util::testdata().join("oci/make-image.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(&layout)
        .arg("v1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "make-image.sh: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let built: Digest = String::from_utf8(output.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let target = format!("docker://{}", registry.image("skopeo/app", "v1"));
    let output = Command::new(skopeo)
        .args(["copy", "--preserve-digests", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(&target)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo copy: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let client = client_for(&registry, None);
    let reference: Reference = registry.image("skopeo/app", "v1").parse().unwrap();
    assert_eq!(
        client.resolve(&reference).await.unwrap(),
        built,
        "skopeo kept the OCI manifest digest"
    );
    let raw = client.manifest(&reference).await.unwrap();
    let Manifest::Image(manifest) = raw.decode().unwrap() else {
        panic!("an image manifest")
    };
    assert_eq!(manifest.layers.len(), 1);
    let layer = client
        .blob(&reference, &manifest.layers[0].digest)
        .await
        .unwrap();
    assert_eq!(layer.len() as u64, manifest.layers[0].size);
    client
        .blob(&reference, &manifest.config.digest)
        .await
        .unwrap();

    // The same image converted by skopeo to a Docker schema 2 manifest.
    let output = Command::new(require_tool("skopeo", "skopeo"))
        .args(["copy", "--format", "v2s2", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(format!(
            "docker://{}",
            registry.image("skopeo/app", "docker")
        ))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "skopeo copy --format v2s2: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let docker: Reference = registry.image("skopeo/app", "docker").parse().unwrap();
    let raw = client.manifest(&docker).await.unwrap();
    assert_eq!(raw.media_type, supply_core::oci::manifest::DOCKER_MANIFEST);
    assert_eq!(client.resolve(&docker).await.unwrap(), raw.digest);
    let Manifest::Image(manifest) = raw.decode().unwrap() else {
        panic!("a Docker image manifest")
    };
    client
        .blob(&docker, &manifest.layers[0].digest)
        .await
        .unwrap();
}

#[test]
fn cli_digest_triangulate_and_tree() {
    let registry = Registry::plain();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("cli/app", "v1").parse().unwrap();
    let image = runtime.block_on(push_test_image(&client, &reference, "cli"));
    let image_ref = reference.to_string();
    let supply = |args: &[&str]| crate::util::supply(args);

    let output = supply(&["digest", &image_ref]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output).trim(), image.digest.to_string());

    let sig_tag = format!(
        "{}/cli/app:sha256-{}.sig",
        registry.host,
        image.digest.hex()
    );
    let output = supply(&["triangulate", &image_ref]);
    assert_eq!(stdout(&output).trim(), sig_tag);
    let output = supply(&[
        "triangulate",
        "--type",
        "att",
        &image_ref,
        "--output",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(json["reference"], sig_tag.replace(".sig", ".att"));

    let output = supply(&["tree", &image_ref]);
    assert!(
        stdout(&output).contains("nothing attached"),
        "{}",
        stdout(&output)
    );

    // Attach something at the .sig tag and a referrer through the fallback tag.
    let sig_reference: Reference = sig_tag.parse().unwrap();
    let sig = runtime.block_on(push_test_image(&client, &sig_reference, "signature"));
    let referrer = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"artifactType":"application/vnd.example.sbom"}}]}}"#,
        sig.digest,
        sig.manifest.bytes.len()
    );
    let fallback = reference
        .with_tag(&format!("sha256-{}", image.digest.hex()))
        .unwrap();
    runtime
        .block_on(client.push_manifest(
            &fallback,
            &RawManifest::new(OCI_INDEX, referrer.into_bytes()),
        ))
        .unwrap();

    let output = supply(&["tree", &image_ref, "--output", "json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let tree: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(tree["digest"], image.digest.to_string());
    assert_eq!(tree["tags"][0]["kind"], "signature");
    assert_eq!(tree["tags"][0]["layers"].as_array().unwrap().len(), 2);
    assert_eq!(
        tree["referrers"][0]["artifactType"],
        "application/vnd.example.sbom"
    );
    assert_eq!(
        tree["referrers_api"], false,
        "distribution 2.8 has no referrers API"
    );

    let (filtered, _) = runtime
        .block_on(client.referrers(&reference, &image.digest, Some("application/other")))
        .unwrap();
    assert!(
        filtered.is_empty(),
        "artifactType filter applies on the fallback too"
    );

    let output = supply(&["digest", "NOT A REFERENCE"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid image reference"));
}

#[tokio::test]
async fn round_trips_for_resolve_manifest_and_sig_tag() {
    let registry = Registry::plain();
    let pusher = client_for(&registry, None);
    let reference: Reference = registry.image("count/app", "v1").parse().unwrap();
    push_test_image(&pusher, &reference, "count").await;

    let client = client_for(&registry, None);
    let digest = client.resolve(&reference).await.unwrap();
    client
        .manifest(&reference.with_digest(digest.clone()))
        .await
        .unwrap();
    let sig = supply_core::oci::api::attachment_reference(
        &reference,
        &digest,
        supply_core::oci::api::Attachment::Signature,
    )
    .unwrap();
    assert_eq!(client.manifest_exists(&sig).await.unwrap(), None);
    // 1 refused TLS attempt (loopback registries are tried over HTTPS first), HEAD tag,
    // GET manifest, HEAD .sig tag.
    let trips = client.round_trips();
    eprintln!("round trips for resolve + manifest + .sig: {trips}");
    assert!(trips <= 4, "{trips} round trips");
}
