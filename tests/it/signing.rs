//! Keys, signing and verification as a user runs them, against the real registry; openssl as
//! an independent check of our signatures; attacks that need a registry (forged blobs, huge or
//! bogus `.sig` images, registry failures).

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use supply_core::digest::Digest;
use supply_core::oci::manifest::{OCI_INDEX, OCI_MANIFEST};
use supply_core::oci::{Manifest, RawManifest, Reference, RegistryClient};
use supply_core::sign::payload::{self, Layer, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

use crate::fault_proxy::{Action, Proxy, Rule};
use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{Registry, require_tool};
use crate::util::{stderr, stdout};

const PASSWORD: &str = "s3cret pass";

fn supply(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

/// A directory with `cosign.key` / `cosign.pub` made by `supply generate-key-pair`.
fn key_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = supply(dir.path(), &["generate-key-pair"]);
    assert!(output.status.success(), "{}", stderr(&output));
    dir
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn generate_key_pair_writes_cosigns_format() {
    let dir = key_dir();
    let key = dir.path().join("cosign.key");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let pem = std::fs::read_to_string(&key).unwrap();
    assert!(
        pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"),
        "{pem}"
    );
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let json: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        json["kdf"]["params"],
        serde_json::json!({"N": 65536, "r": 8, "p": 1})
    );
    assert_eq!(json["cipher"]["name"], "nacl/secretbox");
    let public = std::fs::read_to_string(dir.path().join("cosign.pub")).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));

    let again = supply(dir.path(), &["generate-key-pair"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&key).unwrap(),
        pem,
        "nothing overwritten"
    );
    assert!(
        supply(dir.path(), &["generate-key-pair", "--force"])
            .status
            .success()
    );

    let no_password = Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(["generate-key-pair", "--output-key-prefix", "other"])
        .current_dir(dir.path())
        .env_remove("COSIGN_PASSWORD")
        .env_remove("SUPPLY_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(no_password.status.code(), Some(2));
    assert!(
        stderr(&no_password).contains("COSIGN_PASSWORD"),
        "{}",
        stderr(&no_password)
    );
    // Set but empty means an empty password, as in cosign.
    let empty = Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(["generate-key-pair", "--output-key-prefix", "empty"])
        .current_dir(dir.path())
        .env("COSIGN_PASSWORD", "")
        .output()
        .unwrap();
    assert!(empty.status.success(), "{}", stderr(&empty));
}

#[test]
fn sign_then_verify_through_the_registry() {
    let registry = Registry::plain();
    let keys = key_dir();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("signed/app", "v1").parse().unwrap();
    let rt = runtime();
    let image = rt.block_on(push_test_image(&client, &reference, "signed"));
    let image_ref = reference.to_string();
    let dir = keys.path();

    let unsigned = supply(dir, &["verify", "--key", "cosign.pub", &image_ref]);
    assert_eq!(unsigned.status.code(), Some(1));
    assert!(
        stderr(&unsigned).contains("no signatures found"),
        "{}",
        stderr(&unsigned)
    );

    let signed = supply(dir, &["sign", "--key", "cosign.key", &image_ref]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert_eq!(
        stdout(&signed).trim(),
        format!(
            "{}/signed/app:sha256-{}.sig",
            registry.host,
            image.digest.hex()
        )
    );

    let verified = supply(dir, &["verify", "--key", "cosign.pub", &image_ref]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    let payloads: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(
        payloads[0]["critical"]["image"]["docker-manifest-digest"],
        image.digest.to_string()
    );
    assert_eq!(
        payloads[0]["critical"]["identity"]["docker-reference"],
        format!("{}/signed/app", registry.host)
    );
    assert_eq!(payloads[0]["optional"], serde_json::Value::Null);

    // Same key, same payload: not added twice. With an annotation: a second layer.
    let again = supply(dir, &["sign", "--key", "cosign.key", &image_ref]);
    assert!(
        stdout(&again).contains("already signed"),
        "{}",
        stdout(&again)
    );
    assert!(
        supply(
            dir,
            &["sign", "--key", "cosign.key", "-a", "env=prod", &image_ref]
        )
        .status
        .success()
    );
    let sig: Reference = stdout(&signed).trim().parse().unwrap();
    assert_eq!(layers(&rt, &client, &sig).len(), 2);

    let with_annotation = supply(
        dir,
        &[
            "verify",
            "--key",
            "cosign.pub",
            "-a",
            "env=prod",
            &image_ref,
        ],
    );
    assert!(
        with_annotation.status.success(),
        "{}",
        stderr(&with_annotation)
    );
    let wrong_annotation = supply(
        dir,
        &["verify", "--key", "cosign.pub", "-a", "env=dev", &image_ref],
    );
    assert_eq!(wrong_annotation.status.code(), Some(1));
    assert!(
        stderr(&wrong_annotation).contains("\"env\" is \"prod\", required \"dev\""),
        "{}",
        stderr(&wrong_annotation)
    );

    let other_keys = key_dir();
    let other = supply(
        dir,
        &[
            "verify",
            "--key",
            other_keys.path().join("cosign.pub").to_str().unwrap(),
            &image_ref,
        ],
    );
    assert_eq!(other.status.code(), Some(1));
    assert!(
        stderr(&other).contains("not made by this key"),
        "{}",
        stderr(&other)
    );

    // Cold-cache cost of a verify: a refused TLS probe (loopback registries are tried over
    // HTTPS first), HEAD of the tag, the referrers API (distribution 2.8 answers 404) and its
    // fallback tag (cosign v3's place for bundles, read first), GET of the .sig manifest, GET of
    // the payload blob.
    let counted = supply(
        dir,
        &[
            "verify",
            "--key",
            "cosign.pub",
            "--show-round-trips",
            &image_ref,
        ],
    );
    let line = stderr(&counted)
        .lines()
        .find(|l| l.starts_with("registry round trips: "))
        .map(str::to_owned)
        .unwrap();
    let trips: u32 = line
        .trim_start_matches("registry round trips: ")
        .parse()
        .unwrap();
    assert!(
        trips <= 6 + 1,
        "{trips} round trips for verify (two signature layers fetched in parallel)"
    );

    // The digest form is verified as given.
    let by_digest = format!("{}/signed/app@{}", registry.host, image.digest);
    assert!(
        supply(
            dir,
            &[
                "verify",
                "--key",
                "cosign.pub",
                &by_digest,
                "--output",
                "json"
            ]
        )
        .status
        .success()
    );

    // openssl, an independent implementation, accepts the stored signature over the payload.
    let layer = &layers(&rt, &client, &sig)[0];
    let payload = rt.block_on(client.blob(&sig, &layer.digest)).unwrap();
    openssl_verifies(
        &dir.join("cosign.pub"),
        &payload,
        layer.annotations[SIGNATURE_ANNOTATION].as_str(),
    );
}

/// The layers of a `.sig` image. `rt` must be the runtime the client was first used on:
/// reqwest's pooled connections belong to it.
fn layers(rt: &tokio::runtime::Runtime, client: &RegistryClient, sig: &Reference) -> Vec<Layer> {
    let raw = rt.block_on(client.manifest(sig)).unwrap();
    let Manifest::Image(manifest) = raw.decode().unwrap() else {
        panic!("image manifest")
    };
    manifest.layers.into_iter().map(Layer::from).collect()
}

fn openssl_verifies(public_key: &Path, message: &[u8], signature_b64: &str) {
    openssl_verifies_with("-sha256", public_key, message, signature_b64);
}

fn openssl_verifies_with(digest: &str, public_key: &Path, message: &[u8], signature_b64: &str) {
    let openssl = require_tool("openssl", "openssl");
    let dir = tempfile::tempdir().unwrap();
    let message_path = dir.path().join("message");
    let signature_path = dir.path().join("signature.der");
    std::fs::write(&message_path, message).unwrap();
    std::fs::write(
        &signature_path,
        base64::engine::general_purpose::STANDARD
            .decode(signature_b64.trim())
            .unwrap(),
    )
    .unwrap();
    let output = Command::new(openssl)
        .args(["dgst", digest, "-verify"])
        .arg(public_key)
        .arg("-signature")
        .arg(&signature_path)
        .arg(&message_path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "openssl: {} {}",
        stdout(&output),
        stderr(&output)
    );
    assert_eq!(stdout(&output).trim(), "Verified OK");
}

#[test]
fn imported_keys_sign_as_cosign_does() {
    let dir = tempfile::tempdir().unwrap();
    for (file, prefix) in [
        ("validrsapkcs1.key", "rsa"),
        ("validecp384.key", "p384"),
        ("ed25519.key", "ed"),
    ] {
        let source = crate::util::testdata().join("keys/import").join(file);
        let output = supply(
            dir.path(),
            &[
                "import-key-pair",
                "--key",
                source.to_str().unwrap(),
                "--output-key-prefix",
                prefix,
            ],
        );
        assert!(output.status.success(), "{file}: {}", stderr(&output));
        std::fs::write(dir.path().join("blob"), b"blob").unwrap();
        let signed = supply(
            dir.path(),
            &[
                "sign-blob",
                "--key",
                &format!("{prefix}.key"),
                "--output-signature",
                "blob.sig",
                "blob",
            ],
        );
        assert!(signed.status.success(), "{file}: {}", stderr(&signed));
        let verified = supply(
            dir.path(),
            &[
                "verify-blob",
                "--key",
                &format!("{prefix}.pub"),
                "--signature",
                "blob.sig",
                "blob",
            ],
        );
        assert!(verified.status.success(), "{file}: {}", stderr(&verified));
        if prefix != "ed" {
            // openssl checks RSA PKCS#1 v1.5 and ECDSA directly; cosign's Ed25519 is pre-hashed.
            let signature = std::fs::read_to_string(dir.path().join("blob.sig")).unwrap();
            let digest = if prefix == "p384" {
                "-sha384"
            } else {
                "-sha256"
            };
            openssl_verifies_with(
                digest,
                &dir.path().join(format!("{prefix}.pub")),
                b"blob",
                &signature,
            );
        }
    }
    let rejected = supply(
        dir.path(),
        &[
            "import-key-pair",
            "--key",
            crate::util::testdata()
                .join("keys/import/invalidrsasmallkey.key")
                .to_str()
                .unwrap(),
        ],
    );
    assert_eq!(rejected.status.code(), Some(2));
    assert!(stderr(&rejected).contains("1024"), "{}", stderr(&rejected));
}

#[test]
fn sign_blob_is_accepted_by_openssl_and_verify_blob() {
    let keys = key_dir();
    let dir = keys.path();
    std::fs::write(dir.join("artifact.tgz"), b"release bytes").unwrap();
    let output = supply(
        dir,
        &[
            "sign-blob",
            "--key",
            "cosign.key",
            "--output-signature",
            "artifact.sig",
            "artifact.tgz",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let signature = std::fs::read_to_string(dir.join("artifact.sig")).unwrap();
    assert_eq!(stdout(&output).trim(), signature.trim());
    openssl_verifies(&dir.join("cosign.pub"), b"release bytes", &signature);
    let ok = supply(
        dir,
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "artifact.sig",
            "artifact.tgz",
        ],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    std::fs::write(dir.join("artifact.tgz"), b"release bytes, tampered").unwrap();
    let bad = supply(
        dir,
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "artifact.sig",
            "artifact.tgz",
        ],
    );
    assert_eq!(bad.status.code(), Some(1));
}

/// Pushes a hand-made `.sig` image for `digest` with these (payload, annotations) layers.
async fn push_sig_image(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    layers: Vec<(Vec<u8>, String)>,
) -> Reference {
    let sig = supply_core::oci::api::attachment_reference(
        image,
        digest,
        supply_core::oci::api::Attachment::Signature,
    )
    .unwrap();
    let mut descriptors = Vec::new();
    for (bytes, signature) in layers {
        let size = bytes.len() as u64;
        let digest = client.push_blob(&sig, bytes).await.unwrap();
        let annotations =
            std::collections::BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), signature)]);
        descriptors.push(Layer {
            media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
            size,
            digest,
            annotations,
        });
    }
    let config = payload::signature_config(&descriptors);
    client.push_blob(&sig, config.clone()).await.unwrap();
    let manifest = payload::signature_manifest(&config, &descriptors);
    client
        .push_manifest(&sig, &RawManifest::new(OCI_MANIFEST, manifest))
        .await
        .unwrap();
    sig
}

fn sign_payload(keys: &Path, payload: &[u8]) -> String {
    let pem = std::fs::read(keys.join("cosign.key")).unwrap();
    let key = supply_core::keys::SigningKey::from_encrypted_pem(&pem, PASSWORD.as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD.encode(key.sign(payload))
}

#[test]
fn registry_level_attacks_are_rejected() {
    let registry = Registry::plain();
    let keys = key_dir();
    let dir = keys.path();
    let rt = runtime();
    let client = client_for(&registry, None);
    let a: Reference = registry.image("attack/a", "v1").parse().unwrap();
    let b: Reference = registry.image("attack/a", "v2").parse().unwrap();
    let image_a = rt.block_on(push_test_image(&client, &a, "image a"));
    let image_b = rt.block_on(push_test_image(&client, &b, "image b"));
    let verify =
        |image: &Reference| supply(dir, &["verify", "--key", "cosign.pub", &image.to_string()]);
    let expect_rejected = |image: &Reference, words: &str| {
        let output = verify(image);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{image}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(words),
            "{image}: expected {words:?} in {}",
            stderr(&output)
        );
    };

    // Replay: a valid signature for image A copied under image B's .sig tag.
    let payload_a = payload::simple_signing_payload(&a, &image_a.digest, &Default::default());
    let signature_a = sign_payload(dir, &payload_a);
    rt.block_on(push_sig_image(
        &client,
        &b,
        &image_b.digest,
        vec![(payload_a.clone(), signature_a.clone())],
    ));
    expect_rejected(&b, "not this image");

    // A `.sig` tag holding an index.
    let c: Reference = registry.image("attack/c", "v1").parse().unwrap();
    let image_c = rt.block_on(push_test_image(&client, &c, "image c"));
    let sig_c = supply_core::oci::api::attachment_reference(
        &c,
        &image_c.digest,
        supply_core::oci::api::Attachment::Signature,
    )
    .unwrap();
    let index = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[]}}"#);
    rt.block_on(client.push_manifest(&sig_c, &RawManifest::new(OCI_INDEX, index.into_bytes())))
        .unwrap();
    expect_rejected(&c, "index");

    // A payload layer over the size cap (declared and real).
    let d: Reference = registry.image("attack/d", "v1").parse().unwrap();
    let image_d = rt.block_on(push_test_image(&client, &d, "image d"));
    let mut huge = payload::simple_signing_payload(&d, &image_d.digest, &Default::default());
    huge.extend(std::iter::repeat_n(b' ', 2 * 1024 * 1024));
    let huge_signature = sign_payload(dir, &huge);
    rt.block_on(push_sig_image(
        &client,
        &d,
        &image_d.digest,
        vec![(huge, huge_signature)],
    ));
    expect_rejected(&d, "over the limit");

    // Thousands of layers.
    let e: Reference = registry.image("attack/e", "v1").parse().unwrap();
    let image_e = rt.block_on(push_test_image(&client, &e, "image e"));
    let payload_e = payload::simple_signing_payload(&e, &image_e.digest, &Default::default());
    let signature_e = sign_payload(dir, &payload_e);
    rt.block_on(push_sig_image(
        &client,
        &e,
        &image_e.digest,
        vec![(payload_e, signature_e); 1001],
    ));
    expect_rejected(&e, "layers");

    // The signature stays valid for A, so A verifies: the attacks above changed nothing there.
    rt.block_on(push_sig_image(
        &client,
        &a,
        &image_a.digest,
        vec![(payload_a, signature_a)],
    ));
    assert!(verify(&a).status.success());
}

#[test]
fn forged_blobs_and_registry_failures_never_verify() {
    let registry = Registry::plain();
    let keys = key_dir();
    let dir = keys.path();
    let rt = runtime();
    let client = client_for(&registry, None);
    let image: Reference = registry.image("forged/app", "v1").parse().unwrap();
    let pushed = rt.block_on(push_test_image(&client, &image, "forged"));
    assert!(
        supply(dir, &["sign", "--key", "cosign.key", &image.to_string()])
            .status
            .success()
    );
    let sig: Reference = format!(
        "{}/forged/app:sha256-{}.sig",
        registry.host,
        pushed.digest.hex()
    )
    .parse()
    .unwrap();
    let layer = layers(&rt, &client, &sig)[0].clone();

    // The CLI runs against proxies served by a runtime with its own worker thread.
    let public = dir.join("cosign.pub");
    let public = public.to_str().unwrap();
    let rt2 = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let forged = Action::Respond {
        status: 200,
        headers: vec![],
        body: b"{\"critical\":{}}".to_vec(),
    };
    let proxy = rt2.block_on(Proxy::start(
        registry.host.clone(),
        vec![Rule::new(
            Some("GET"),
            format!("/blobs/{}", layer.digest),
            10,
            forged,
        )],
    ));
    let output = supply(
        dir,
        &[
            "verify",
            "--key",
            public,
            &format!("{}/forged/app:v1", proxy.host),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("does not match its digest"),
        "{}",
        stderr(&output)
    );

    let failing = rt2.block_on(Proxy::start(
        registry.host.clone(),
        vec![Rule::new(
            None,
            ".sig",
            100,
            Action::Respond {
                status: 500,
                headers: vec![],
                body: vec![],
            },
        )],
    ));
    let output = supply(
        dir,
        &[
            "verify",
            "--key",
            public,
            &format!("{}/forged/app:v1", failing.host),
        ],
    );
    assert_eq!(
        output.status.code(),
        Some(3),
        "a registry failure is an error (could not verify), never a pass: {}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("nothing was verified"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn recursive_signing_covers_an_index_and_its_manifests() {
    let registry = Registry::plain();
    let keys = key_dir();
    let dir = keys.path();
    let rt = runtime();
    let client = client_for(&registry, None);
    let amd64: Reference = registry.image("multi/app", "amd64").parse().unwrap();
    let arm64: Reference = registry.image("multi/app", "arm64").parse().unwrap();
    let first = rt.block_on(push_test_image(&client, &amd64, "amd64"));
    let second = rt.block_on(push_test_image(&client, &arm64, "arm64"));
    let entry = |image: &crate::registry::TestImage, arch: &str| {
        format!(
            r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":{},"platform":{{"architecture":"{arch}","os":"linux"}}}}"#,
            image.digest,
            image.manifest.bytes.len()
        )
    };
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{},{}]}}"#,
        entry(&first, "amd64"),
        entry(&second, "arm64")
    );
    let tagged: Reference = registry.image("multi/app", "v1").parse().unwrap();
    let index_digest = rt
        .block_on(client.push_manifest(&tagged, &RawManifest::new(OCI_INDEX, index.into_bytes())))
        .unwrap();

    let signed = supply(
        dir,
        &[
            "sign",
            "--key",
            "cosign.key",
            "--recursive",
            "--output",
            "json",
            &tagged.to_string(),
        ],
    );
    assert!(signed.status.success(), "{}", stderr(&signed));
    let entries: serde_json::Value = serde_json::from_str(&stdout(&signed)).unwrap();
    assert_eq!(
        entries.as_array().unwrap().len(),
        3,
        "the index and both manifests"
    );
    for digest in [&index_digest, &first.digest, &second.digest] {
        let by_digest = format!("{}/multi/app@{digest}", registry.host);
        let output = supply(dir, &["verify", "--key", "cosign.pub", &by_digest]);
        assert!(output.status.success(), "{digest}: {}", stderr(&output));
    }
}

/// cosign v3's default layout with a key: a Sigstore bundle (DSSE over the sign/v1 statement)
/// pushed as an OCI 1.1 referrer; Debian's distribution 2.8 has no referrers API, so the
/// `sha256-<hex>` fallback index is written and read.
#[test]
fn bundles_as_referrers_with_a_key() {
    let registry = Registry::plain();
    let keys = key_dir();
    let dir = keys.path();
    let rt = runtime();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("bundled/app", "v1").parse().unwrap();
    let image = rt.block_on(push_test_image(&client, &reference, "bundled"));
    let image_ref = reference.to_string();
    let signed = supply(
        dir,
        &[
            "sign",
            "--key",
            "cosign.key",
            "--new-bundle-format",
            "-a",
            "env=prod",
            &image_ref,
        ],
    );
    assert!(signed.status.success(), "{}", stderr(&signed));
    // Nothing at the legacy tag; the referrer is in the fallback index.
    let tree = supply(dir, &["tree", "--output", "json", &image_ref]);
    let tree: serde_json::Value = serde_json::from_str(&stdout(&tree)).unwrap();
    assert_eq!(tree["tags"].as_array().unwrap().len(), 0, "{tree:#}");
    assert_eq!(tree["referrers_api"], false);
    assert_eq!(
        tree["referrers"][0]["artifactType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let verify = |extra: &[&str], key: &str| {
        let mut args = vec!["verify", "--key", key, "--output", "json"];
        args.extend_from_slice(extra);
        args.push(&image_ref);
        supply(dir, &args)
    };
    let accepted = verify(&["-a", "env=prod"], "cosign.pub");
    assert!(
        accepted.status.success(),
        "{}{}",
        stdout(&accepted),
        stderr(&accepted)
    );
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&accepted)).unwrap();
    let verified = &verdict["verified"][0];
    assert_eq!(
        verified["predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    assert_eq!(verified["annotations"]["env"], "prod");
    assert_eq!(
        verified["payload"]["subject"][0]["digest"]["sha256"],
        image.digest.hex()
    );
    let wrong_value = verify(&["-a", "env=dev"], "cosign.pub");
    assert_eq!(wrong_value.status.code(), Some(1));
    assert!(
        stdout(&wrong_value).contains("annotation-mismatch"),
        "{}",
        stdout(&wrong_value)
    );
    let other = tempfile::tempdir().unwrap();
    assert!(
        supply(other.path(), &["generate-key-pair"])
            .status
            .success()
    );
    let wrong_key = verify(&[], other.path().join("cosign.pub").to_str().unwrap());
    assert_eq!(wrong_key.status.code(), Some(1));
    assert!(
        stdout(&wrong_key).contains("signature-invalid"),
        "{}",
        stdout(&wrong_key)
    );
    // Signing twice adds a second referrer, and both are listed once in the fallback index.
    let again = supply(
        dir,
        &[
            "sign",
            "--key",
            "cosign.key",
            "--new-bundle-format",
            &image_ref,
        ],
    );
    assert!(again.status.success(), "{}", stderr(&again));
    let tree = supply(dir, &["tree", "--output", "json", &image_ref]);
    let tree: serde_json::Value = serde_json::from_str(&stdout(&tree)).unwrap();
    assert_eq!(tree["referrers"].as_array().unwrap().len(), 2, "{tree:#}");
}
