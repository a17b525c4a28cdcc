//! `supply verify-bundle` as the Sigstore conformance suite drives a client (its argument order,
//! digest input as `sha256:<hex>`), over the suite's 70 cases in both modes; and real bundles
//! (GitHub's attestations, npm provenance, cosign v3, slsa-github-generator) accepted for the
//! identity that signed them and refused for any other identity, issuer or root.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sha2::Digest as _;

use crate::util::{stderr, stdout, testdata};

const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

fn sigstore() -> PathBuf {
    testdata().join("sigstore")
}

fn supply(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(args)
        .output()
        .unwrap()
}

fn sha256_of(path: &Path) -> String {
    format!(
        "sha256:{:x}",
        sha2::Sha256::digest(std::fs::read(path).unwrap())
    )
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// The suite's `verify-bundle` invocation for one case. Its `--trusted-root` is passed for
/// every case: the cases without one of their own use the public-good root, which the suite
/// expects a client to know and this one, offline, is given.
fn conformance_args(case: &Path, digest_mode: bool) -> Vec<String> {
    let mut args = vec![
        "verify-bundle".to_owned(),
        "--bundle".into(),
        case.join("bundle.sigstore.json").display().to_string(),
    ];
    if case.join("key.pub").is_file() {
        args.extend(["--key".into(), case.join("key.pub").display().to_string()]);
    } else {
        let identity =
            read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into());
        let issuer = read_trimmed(&case.join("issuer")).unwrap_or_else(|| GITHUB_ISSUER.into());
        args.extend([
            "--certificate-identity".into(),
            identity,
            "--certificate-oidc-issuer".into(),
            issuer,
        ]);
    }
    let root = case.join("trusted_root.json");
    let root = if root.is_file() {
        root
    } else {
        sigstore().join("trusted_root_pgi.json")
    };
    args.extend(["--trusted-root".into(), root.display().to_string()]);
    let artifact = case.join("artifact");
    let artifact = if artifact.is_file() {
        artifact
    } else {
        sigstore().join("conformance/a.txt")
    };
    args.push(if digest_mode {
        sha256_of(&artifact)
    } else {
        artifact.display().to_string()
    });
    args
}

#[test]
fn the_conformance_suite_through_the_cli() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(sigstore().join("conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    let mut wrong = Vec::new();
    let mut decisions = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for digest_mode in [false, true] {
            decisions += 1;
            let args = conformance_args(case, digest_mode);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let output = supply(&args);
            let accepted = output.status.success();
            if accepted == name.ends_with("_fail") {
                wrong.push(format!(
                    "{name} (digest mode: {digest_mode}): exit {:?}\n{}",
                    output.status.code(),
                    stderr(&output)
                ));
            }
            // A refusal is a verdict (1) or a key the suite corrupted on purpose (2), never a
            // crash or a "could not verify".
            assert!(
                matches!(output.status.code(), Some(0..=2)),
                "{name}: {}",
                stderr(&output)
            );
        }
    }
    assert_eq!(decisions, 140);
    assert!(
        wrong.is_empty(),
        "{} of 140 decisions wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

struct RealBundle {
    bundle: &'static str,
    root: &'static str,
    /// A file under testdata/sigstore, or a `sha256:` digest.
    artifact: &'static str,
    identity: &'static str,
    issuer: &'static str,
    predicate_type: &'static str,
}

const REAL: &[RealBundle] = &[
    RealBundle {
        bundle: "github/reusable-workflow-attestation.sigstore.json",
        root: "github/trusted_root.json",
        artifact: "github/reusable-workflow-artifact",
        identity: "https://github.com/github/artifact-attestations-workflows/.github/workflows/attest.yml@09b495c3f12c7881b3cc17209a327792065c1a1d",
        issuer: GITHUB_ISSUER,
        predicate_type: "https://slsa.dev/provenance/v1",
    },
    RealBundle {
        bundle: "github/sigstore-js-2.1.0-bundle.json",
        root: "github/trusted_root.json",
        artifact: "github/sigstore-js-2.1.0.tgz",
        identity: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
        issuer: GITHUB_ISSUER,
        predicate_type: "https://slsa.dev/provenance/v1",
    },
    RealBundle {
        bundle: "github/sigstore-js-2.1.0-bundle-v0.1.json",
        root: "github/trusted_root.json",
        artifact: "github/sigstore-js-2.1.0.tgz",
        identity: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
        issuer: GITHUB_ISSUER,
        predicate_type: "https://slsa.dev/provenance/v1",
    },
    RealBundle {
        bundle: "cosign/oci-attestation.sigstore.json",
        root: "trusted_root_pgi.json",
        artifact: "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4",
        identity: "cody@soyland.com",
        issuer: "https://github.com/login/oauth",
        predicate_type: "https://cosign.sigstore.dev/attestation/v1",
    },
    RealBundle {
        bundle: "sigstore-rs/bundle_v03.json",
        root: "sigstore-rs/trusted_root_prod.json",
        artifact: "sha256:c811d58de79c92f03214e63aa339484e488d694ae8a6283b5f3f17a9faf50172",
        identity: "https://github.com/kubewarden/kubewarden-controller/.github/workflows/release.yml@refs/tags/v1.34.0",
        issuer: GITHUB_ISSUER,
        predicate_type: "https://sigstore.dev/cosign/sign/v1",
    },
    RealBundle {
        bundle: "slsa-verifier/valid-v0.3.intoto.sigstore",
        root: "trusted_root_pgi.json",
        artifact: "sha256:2892146b063a94cb4a4318c0e98d38af12dcf2b1e29237486b58463b59607bbd",
        identity: "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/heads/main",
        issuer: GITHUB_ISSUER,
        predicate_type: "https://slsa.dev/provenance/v0.2",
    },
    RealBundle {
        bundle: "slsa-verifier/valid.intoto.sigstore",
        root: "trusted_root_pgi.json",
        artifact: "sha256:975a0582b8c9607f3f20a6b8cfef01b25823e68c5c3658e6e1ccaaced2a3255d",
        identity: "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/builder_docker-based_slsa3.yml@refs/heads/main",
        issuer: GITHUB_ISSUER,
        // An early slsa-github-generator statement, with an empty predicate type.
        predicate_type: "",
    },
];

fn verify_real(case: &RealBundle, identity: &str, issuer: &str, root: &str) -> Output {
    let s = sigstore();
    let artifact = if case.artifact.starts_with("sha256:") {
        case.artifact.to_owned()
    } else {
        s.join(case.artifact).display().to_string()
    };
    supply(&[
        "verify-bundle",
        "--bundle",
        &s.join(case.bundle).display().to_string(),
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
        "--trusted-root",
        &s.join(root).display().to_string(),
        &artifact,
        "--output",
        "json",
    ])
}

fn codes(output: &Output) -> Vec<String> {
    let verdict: serde_json::Value = serde_json::from_str(&stdout(output)).unwrap();
    verdict["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn real_bundles_verify_for_their_signer_only() {
    for case in REAL {
        let accepted = verify_real(case, case.identity, case.issuer, case.root);
        assert!(
            accepted.status.success(),
            "{}: {}{}",
            case.bundle,
            stdout(&accepted),
            stderr(&accepted)
        );
        let verdict: serde_json::Value = serde_json::from_str(&stdout(&accepted)).unwrap();
        let verified = &verdict["verified"][0];
        assert_eq!(
            verified["signer"]["identity"], case.identity,
            "{}",
            case.bundle
        );
        assert_eq!(verified["signer"]["issuer"], case.issuer, "{}", case.bundle);
        assert_eq!(
            verified["predicateType"], case.predicate_type,
            "{}",
            case.bundle
        );

        let other_identity = verify_real(
            case,
            "https://github.com/evil/repo/.github/workflows/x.yml@refs/heads/main",
            case.issuer,
            case.root,
        );
        assert_eq!(other_identity.status.code(), Some(1), "{}", case.bundle);
        assert_eq!(
            codes(&other_identity),
            ["identity-mismatch"],
            "{}",
            case.bundle
        );
        let other_issuer = verify_real(
            case,
            case.identity,
            "https://accounts.google.com",
            case.root,
        );
        assert_eq!(codes(&other_issuer), ["issuer-mismatch"], "{}", case.bundle);
        // The conformance suite's own test root: another Sigstore instance altogether.
        let other_root = verify_real(
            case,
            case.identity,
            case.issuer,
            "conformance/intoto-with-custom-trust-root/trusted_root.json",
        );
        assert_eq!(
            other_root.status.code(),
            Some(1),
            "{}: {}",
            case.bundle,
            stdout(&other_root)
        );
    }
}

#[test]
fn identity_regexps_and_certificate_extensions() {
    let s = sigstore();
    let base = |extra: &[&str]| {
        let mut args = vec![
            "verify-bundle".to_owned(),
            "--bundle".into(),
            s.join("github/sigstore-js-2.1.0-bundle.json")
                .display()
                .to_string(),
            "--certificate-oidc-issuer".into(),
            GITHUB_ISSUER.into(),
            "--trusted-root".into(),
            s.join("github/trusted_root.json").display().to_string(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        args.push(s.join("github/sigstore-js-2.1.0.tgz").display().to_string());
        args.push("--output".into());
        args.push("json".into());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        supply(&refs)
    };
    let anchored = base(&[
        "--certificate-identity-regexp",
        "https://github.com/sigstore/sigstore-js/.*",
    ]);
    assert!(anchored.status.success(), "{}", stderr(&anchored));
    // Anchored at both ends: a pattern for part of the identity does not match.
    let partial = base(&["--certificate-identity-regexp", "sigstore-js"]);
    assert_eq!(codes(&partial), ["identity-mismatch"]);
    let identity =
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
    let repository = base(&[
        "--certificate-identity",
        identity,
        "--certificate-github-workflow-repository",
        "sigstore/sigstore-js",
        "--certificate-github-workflow-trigger",
        "push",
    ]);
    assert!(repository.status.success(), "{}", stdout(&repository));
    let verdict: serde_json::Value = serde_json::from_str(&stdout(&repository)).unwrap();
    assert_eq!(
        verdict["verified"][0]["signer"]["extensions"]["githubWorkflowRepository"],
        "sigstore/sigstore-js"
    );
    let other_repository = base(&[
        "--certificate-identity",
        identity,
        "--certificate-github-workflow-repository",
        "sigstore/evil",
    ]);
    assert_eq!(codes(&other_repository), ["certificate-extension-mismatch"]);
    let by_name = base(&[
        "--certificate-identity",
        identity,
        "--certificate-extension",
        "sourceRepositoryRef=refs/heads/dev",
    ]);
    assert_eq!(codes(&by_name), ["certificate-extension-mismatch"]);
    // Keyless needs an issuer: a usage error, not a verdict.
    let no_issuer = supply(&[
        "verify-bundle",
        "--bundle",
        "b.json",
        "--certificate-identity",
        identity,
        "a.txt",
    ]);
    assert_eq!(no_issuer.status.code(), Some(2));
}
