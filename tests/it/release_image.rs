//! `scripts/release-image.sh`: supply's own image, built without Docker, pushed to the real
//! registry and put through what the GitHub Action runs (SBOM attestation, provenance,
//! signature, the verification gate). Then checked from outside: the image runs as user 65532,
//! has no shell, and the binary inside runs with only the libraries shipped next to it.

use std::path::Path;
use std::process::Command;

use crate::registry_fixture::{Registry, require_tool};
use crate::util::{stderr, stdout};

#[test]
fn the_release_image_is_built_signed_attested_and_verified() {
    require_tool("umoci", "umoci");
    require_tool("skopeo", "skopeo");
    let registry = Registry::plain();
    let keys = tempfile::tempdir().unwrap();
    let supply = env!("CARGO_BIN_EXE_supply");
    let made = Command::new(supply)
        .arg("generate-key-pair")
        .current_dir(keys.path())
        .env("COSIGN_PASSWORD", "pw")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let out = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let image = registry.image("supply/supply", "0.1.0");
    let key = keys.path().join("cosign.key");
    let public = keys.path().join("cosign.pub");
    let run = Command::new("bash")
        .arg(root.join("scripts/release-image.sh"))
        .arg(&image)
        .env("SUPPLY_BIN", supply)
        .env("COSIGN_PASSWORD", "pw")
        .env("SIGN_ARGS", format!("--key {}", key.display()))
        .env("VERIFY_ARGS", format!("--key {}", public.display()))
        .env("SKOPEO_DEST_ARGS", "--dest-tls-verify=false")
        .env("OUT", out.path())
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITLAB_CI")
        .output()
        .unwrap();
    assert!(run.status.success(), "release-image.sh: {}", stderr(&run));
    let pinned = stdout(&run).trim().to_owned();
    assert!(pinned.contains("@sha256:"), "{pinned}");

    // From outside: signature and both attestations verify with the key.
    let check = |args: &[&str]| {
        let mut command = Command::new(supply);
        command.args(args).arg("--key").arg(&public).arg(&pinned);
        command.output().unwrap()
    };
    assert!(check(&["verify"]).status.success());
    assert!(
        check(&["verify-attestation", "--type", "slsaprovenance1"])
            .status
            .success()
    );
    assert!(
        check(&["verify-attestation", "--type", "cyclonedx"])
            .status
            .success()
    );

    // The image: non-root, no shell, and self-contained.
    let config = Command::new(require_tool("skopeo", "skopeo"))
        .args(["inspect", "--config", "--tls-verify=false"])
        .arg(format!("docker://{image}"))
        .output()
        .unwrap();
    assert!(config.status.success(), "{}", stderr(&config));
    let config: serde_json::Value = serde_json::from_slice(&config.stdout).unwrap();
    assert_eq!(config["config"]["User"], "65532:65532");
    assert_eq!(config["config"]["Entrypoint"][0], "/usr/local/bin/supply");
    let rootfs = out.path().join("bundle/rootfs");
    for shell in ["bin/sh", "bin/bash", "usr/bin/sh"] {
        assert!(!rootfs.join(shell).exists(), "{shell} in the image");
    }
    let loader = rootfs.join("lib64/ld-linux-x86-64.so.2");
    let version = Command::new(&loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(rootfs.join("lib/x86_64-linux-gnu"))
        .arg(rootfs.join("usr/local/bin/supply"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(version.status.success(), "{}", stderr(&version));
    assert!(stdout(&version).starts_with("supply "));
}
