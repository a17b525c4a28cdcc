//! The TUF client against real repositories on 127.0.0.1: a frozen copy of Sigstore's own
//! public-good repository (roots 12 to 15, real signatures, read at a fixed time), and
//! repositories python-tuf builds (tests/python/make_tuf_repo.py), one per attack or edge case:
//! expired roles, a tampered target, rollbacks, bad root rotations, duplicate keys.

use std::path::Path;
use std::process::Command;

use supply_core::sigstore::tuf::{self, TufError, TufOptions};

use crate::static_server::StaticServer;
use crate::util::{stderr, test_python, testdata};

fn fetch(options: &TufOptions) -> Result<Vec<u8>, TufError> {
    supply_core::blocking::tuf_fetch_target(options, tuf::TRUSTED_ROOT_TARGET)
}

/// 2026-08-22T00:00:00Z: inside the frozen repository's validity.
const FROZEN_NOW: i64 = 1_787_356_800;

#[test]
fn the_real_sigstore_repository_from_root_12() {
    let real = testdata().join("sigstore/tuf/real");
    let server = StaticServer::start(real.clone());
    let cache = tempfile::tempdir().unwrap();
    let options = TufOptions {
        pinned_root: std::fs::read(real.join("pinned_root_v12.json")).unwrap(),
        metadata_url: format!("{}/repo", server.url),
        targets_url: format!("{}/repo/targets", server.url),
        cache_dir: Some(cache.path().to_path_buf()),
        now: FROZEN_NOW,
        offline: false,
    };
    let trusted_root = fetch(&options).unwrap();
    let expected = std::fs::read(real.join("repo/targets/6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66.trusted_root.json")).unwrap();
    assert_eq!(trusted_root, expected);
    supply_core::sigstore::TrustedRoot::from_json(&trusted_root).unwrap();
    // The chain was walked root by root.
    let requests = server.requests();
    for root in [
        "/repo/13.root.json",
        "/repo/14.root.json",
        "/repo/15.root.json",
        "/repo/16.root.json",
    ] {
        assert!(requests.iter().any(|r| r == root), "{requests:?}");
    }
    // Offline, from the cache alone.
    let served = server.requests().len();
    let offline = TufOptions {
        offline: true,
        ..options.clone()
    };
    assert_eq!(fetch(&offline).unwrap(), expected);
    assert_eq!(server.requests().len(), served, "offline fetched nothing");
    // Offline with an empty cache: a clear error, nothing fetched.
    let empty = tempfile::tempdir().unwrap();
    let nothing = TufOptions {
        cache_dir: Some(empty.path().to_path_buf()),
        ..offline.clone()
    };
    assert!(matches!(fetch(&nothing), Err(TufError::Offline { .. })));
    // Offline after the cached timestamp expired: refused.
    let later = TufOptions {
        now: FROZEN_NOW + 30 * 86_400,
        ..offline
    };
    assert!(
        matches!(fetch(&later), Err(TufError::Expired { .. })),
        "{:?}",
        fetch(&later)
    );
}

/// Repositories python-tuf makes (each scenario in its own folder) and their manifest; `now`
/// is the time their expiries are set around (`None`: the real now).
fn make_repos(now: Option<&str>, scenarios: &[&str]) -> (tempfile::TempDir, serde_json::Value) {
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new(test_python());
    command
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/make_tuf_repo.py"))
        .arg(out.path());
    if let Some(now) = now {
        command.args(["--now", now]);
    }
    for scenario in scenarios {
        command.args(["--scenario", scenario]);
    }
    let made = command.output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let manifest =
        serde_json::from_slice(&std::fs::read(out.path().join("manifest.json")).unwrap()).unwrap();
    (out, manifest)
}

#[test]
fn attacks_on_repositories_made_by_python_tuf() {
    let (out, manifest) = make_repos(Some("2030-01-01T00:00:00Z"), &[]);
    let now = supply_core::sigstore::encoding::rfc3339_seconds(manifest["now"].as_str().unwrap())
        .unwrap();
    let server = StaticServer::start(out.path().to_path_buf());
    let scenarios = manifest["scenarios"].as_object().unwrap();
    assert!(scenarios.len() >= 15, "{}", scenarios.len());
    let mut wrong = Vec::new();
    for (name, scenario) in scenarios {
        let cache = tempfile::tempdir().unwrap();
        let options = |base: &str| TufOptions {
            pinned_root: std::fs::read(out.path().join(scenario["pinned_root"].as_str().unwrap()))
                .unwrap(),
            metadata_url: format!("{}/{base}", server.url),
            targets_url: format!("{}/{base}/targets", server.url),
            cache_dir: Some(cache.path().to_path_buf()),
            now,
            offline: false,
        };
        let expect = &scenario["expect"];
        if expect["prime"].as_bool() == Some(true) {
            let prime = fetch(&options(scenario["prime"].as_str().unwrap()));
            assert!(prime.is_ok(), "{name}: priming failed: {prime:?}");
        }
        let outcome = fetch(&options(scenario["metadata_base"].as_str().unwrap()));
        let expected = scenario["targets"]["trusted_root.json"]["sha256"]
            .as_str()
            .unwrap_or_default();
        match (&outcome, expect["ok"].as_bool()) {
            (Ok(bytes), Some(true)) => {
                let digest = supply_core::digest::Digest::sha256(bytes);
                if digest.hex() != expected {
                    wrong.push(format!("{name}: served another target"));
                }
            }
            (Err(error), Some(false)) => {
                let stage = expect["stage"].as_str().unwrap_or_default();
                if !stage_matches(error, stage) {
                    wrong.push(format!(
                        "{name}: refused at another stage than {stage}: {error}"
                    ));
                }
            }
            _ => wrong.push(format!(
                "{name}: expected ok={}, got {outcome:?}",
                expect["ok"]
            )),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Whether an error is about the stage python-tuf names.
fn stage_matches(error: &TufError, stage: &str) -> bool {
    match error {
        TufError::Unsigned { role, .. }
        | TufError::Expired { role }
        | TufError::Version { role, .. }
        | TufError::Invalid { role, .. } => *role == stage,
        // A rolled-back snapshot version is caught at the timestamp, as in python-tuf.
        TufError::Rollback { role, .. } => stage == "timestamp" || *role == stage,
        TufError::FileMismatch { .. } => matches!(stage, "target" | "targets" | "snapshot"),
        TufError::TargetMissing(_) => stage == "target-lookup",
        _ => false,
    }
}

/// The CLI's default trusted root comes through TUF (here a repository python-tuf made that
/// serves the public-good trusted root), cached for offline use.
#[test]
fn verify_bundle_takes_its_trusted_root_through_tuf() {
    let (out, _) = make_repos(None, &["valid"]);
    let server = StaticServer::start(out.path().to_path_buf());
    let cache = tempfile::tempdir().unwrap();
    let case = testdata().join("sigstore/conformance/happy-path-v0.3");
    let run = |extra: &[&str], cache: &Path| {
        Command::new(env!("CARGO_BIN_EXE_supply"))
            .arg("verify-bundle")
            .arg("--bundle")
            .arg(case.join("bundle.sigstore.json"))
            .args([
                "--certificate-identity",
                "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main",
                "--certificate-oidc-issuer",
                "https://token.actions.githubusercontent.com",
                "--tuf-url",
                &format!("{}/valid/repo", server.url),
                "--tuf-root",
            ])
            .arg(out.path().join("valid/pinned_root.json"))
            .args(extra)
            .arg(testdata().join("sigstore/conformance/a.txt"))
            .env("SUPPLY_TUF_CACHE", cache)
            .output()
            .unwrap()
    };
    let online = run(&[], cache.path());
    assert!(online.status.success(), "{}", stderr(&online));
    let served = server.requests().len();
    let offline = run(&["--offline"], cache.path());
    assert!(offline.status.success(), "{}", stderr(&offline));
    assert_eq!(server.requests().len(), served);
    let empty = tempfile::tempdir().unwrap();
    let nothing = run(&["--offline"], empty.path());
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    assert!(stderr(&nothing).contains("offline"), "{}", stderr(&nothing));
}
