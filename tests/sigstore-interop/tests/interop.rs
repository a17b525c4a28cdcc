//! supply and sigstore-rs against the same real registry, both ways: what `supply sign` pushes,
//! sigstore-rs verifies; what sigstore-rs signs, `supply verify` accepts. A wrong key fails on
//! both sides, so neither check can pass vacuously.

#[path = "../../it/registry_fixture.rs"]
#[allow(dead_code)]
mod registry_fixture;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use registry_fixture::{Registry, require_tool};
use sigstore_interop::{sigstore_sign_encrypted, sigstore_verify};

const PASSWORD: &str = "interop password";

/// The `supply` binary: `$SUPPLY_BIN`, else the workspace's debug build.
fn supply_bin() -> PathBuf {
    let path = std::env::var_os("SUPPLY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/supply"));
    assert!(
        path.is_file(),
        "no supply binary at {}: run `cargo build -p supply-cli` first (scripts/test.sh does)",
        path.display()
    );
    path
}

fn supply(dir: &Path, args: &[&str]) -> Output {
    Command::new(supply_bin())
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", PASSWORD)
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds an image with umoci and pushes it with skopeo; returns its digest.
fn push_image(registry: &Registry, repository: &str, content: &str) -> String {
    require_tool("umoci", "umoci");
    let skopeo = require_tool("skopeo", "skopeo");
    let layout = registry.dir.path().join(repository.replace('/', "_"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/oci/make-image.sh");
    let built = Command::new("bash")
        .arg(script)
        .arg(&layout)
        .arg("v1")
        .arg(content)
        .output()
        .unwrap();
    assert!(
        built.status.success(),
        "make-image.sh: {}",
        text(&built.stderr)
    );
    let target = format!("docker://{}", registry.image(repository, "v1"));
    let pushed = Command::new(skopeo)
        .args(["copy", "--preserve-digests", "--dest-tls-verify=false"])
        .arg(format!("oci:{}:v1", layout.display()))
        .arg(target)
        .output()
        .unwrap();
    assert!(pushed.status.success(), "skopeo: {}", text(&pushed.stderr));
    text(&built.stdout).trim().to_owned()
}

fn key_pair(dir: &Path, prefix: &str) -> (String, String) {
    let output = supply(dir, &["generate-key-pair", "--output-key-prefix", prefix]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let private = std::fs::read_to_string(dir.join(format!("{prefix}.key"))).unwrap();
    let public = std::fs::read_to_string(dir.join(format!("{prefix}.pub"))).unwrap();
    (private, public)
}

#[tokio::test]
async fn sigstore_rs_verifies_what_supply_signs() {
    let registry = Registry::plain();
    let digest = push_image(&registry, "interop/ours", "signed by supply");
    let keys = tempfile::tempdir().unwrap();
    let (_, public) = key_pair(keys.path(), "cosign");
    let (_, other_public) = key_pair(keys.path(), "other");
    let image = format!("{}/interop/ours@{digest}", registry.host);
    let signed = supply(keys.path(), &["sign", "--key", "cosign.key", &image]);
    assert!(signed.status.success(), "{}", text(&signed.stderr));

    let verified = sigstore_verify(&registry.host, "interop/ours", &digest, &public).await;
    assert_eq!(verified, Ok(1), "sigstore-rs accepts supply's signature");
    let wrong = sigstore_verify(&registry.host, "interop/ours", &digest, &other_public).await;
    assert!(
        wrong.is_err(),
        "and rejects it under another key: {wrong:?}"
    );
}

#[tokio::test]
async fn supply_verifies_what_sigstore_rs_signs() {
    let registry = Registry::plain();
    let digest = push_image(&registry, "interop/theirs", "signed by sigstore-rs");
    let keys = tempfile::tempdir().unwrap();
    let (private, _) = key_pair(keys.path(), "cosign");
    key_pair(keys.path(), "other");
    // sigstore-rs reads the key file supply wrote (cosign's encrypted format) and signs.
    sigstore_sign_encrypted(
        &registry.host,
        "interop/theirs",
        &digest,
        &private,
        PASSWORD,
    )
    .await
    .unwrap();

    let image = format!("{}/interop/theirs@{digest}", registry.host);
    let verified = supply(
        keys.path(),
        &["verify", "--key", "cosign.pub", "--output", "json", &image],
    );
    assert!(
        verified.status.success(),
        "supply accepts sigstore-rs's signature: {}",
        text(&verified.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&verified.stdout).unwrap();
    assert_eq!(
        report["verified"][0]["payload"]["critical"]["image"]["docker-manifest-digest"],
        digest.as_str()
    );
    let wrong = supply(keys.path(), &["verify", "--key", "other.pub", &image]);
    assert_eq!(
        wrong.status.code(),
        Some(1),
        "and rejects it under another key"
    );
}
