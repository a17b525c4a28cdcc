//! The Sigstore conformance suite's `bundle-verify` cases (testdata/sigstore/conformance), each
//! decided by the library in both of the suite's modes: with the artifact's bytes and with only
//! its `sha256:` digest. A case named `…_fail` must be refused, every other accepted: 70 cases,
//! 140 decisions. The CLI runs the same cases through the suite's client protocol in the
//! end-to-end tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use supply_core::keys::VerifyingKey;
use supply_core::sigstore::identity::{Identity, Matcher};
use supply_core::sigstore::verify::{Artifact, Expected, verify_bundle};
use supply_core::sigstore::{Bundle, TrustedRoot};

const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The vectors are verified as of this time (2026-12-01): only "integrated time in the future"
/// reads the clock.
const NOW: i64 = 1_796_083_200;

fn suite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/sigstore")
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
}

/// `Ok(())` when accepted, else why not.
fn decide(case: &Path, digest_mode: bool) -> Result<(), String> {
    let root_path = case.join("trusted_root.json");
    let root_path = if root_path.is_file() {
        root_path
    } else {
        suite().join("trusted_root_pgi.json")
    };
    let root = TrustedRoot::from_json(&std::fs::read(root_path).unwrap())
        .map_err(|e| format!("root: {e}"))?;
    let bundle = Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).unwrap())
        .map_err(|e| format!("bundle: {e}"))?;
    let artifact_path = case.join("artifact");
    let artifact_path = if artifact_path.is_file() {
        artifact_path
    } else {
        suite().join("conformance/a.txt")
    };
    let bytes = std::fs::read(artifact_path).unwrap();
    let digest = supply_core::sigstore::bundle::HashAlgorithm::Sha256.digest(&bytes);
    let artifact = if digest_mode {
        Artifact::Sha256(&digest)
    } else {
        Artifact::Bytes(&bytes)
    };
    let expected = match std::fs::read_to_string(case.join("key.pub")) {
        Ok(pem) => Expected::Key(VerifyingKey::from_pem(&pem).map_err(|e| format!("key: {e}"))?),
        Err(_) => Expected::Identity(Identity {
            subject: Matcher::Exact(
                read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into()),
            ),
            issuer: Matcher::Exact(
                read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into()),
            ),
            extensions: Default::default(),
        }),
    };
    verify_bundle(&bundle, artifact, &expected, &root, NOW)
        .map(|_| ())
        .map_err(|findings| {
            findings
                .iter()
                .map(|f| format!("{}: {}", f.code, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
}

#[test]
fn every_conformance_case_is_decided_as_named() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(suite().join("conformance"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70, "the suite has 70 cases");
    let mut wrong = Vec::new();
    let mut decisions = 0;
    for case in &cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let must_fail = name.ends_with("_fail");
        for digest_mode in [false, true] {
            decisions += 1;
            let outcome = decide(case, digest_mode);
            if std::env::var_os("SHOW_CODES").is_some() {
                eprintln!("{name} digest={digest_mode}: {outcome:?}");
            }
            if outcome.is_ok() == must_fail {
                let mode = if digest_mode { "digest" } else { "file" };
                wrong.push(format!("{name} ({mode}): {outcome:?}"));
            }
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

/// Each kind of rejection has its own code, through the verdict a user sees.
#[test]
fn rejections_carry_their_own_codes() {
    use supply_core::sigstore::verify_bundle_json;
    use supply_core::verify::Code;
    let cases = [
        ("bundle-malformed-json_fail", Code::BundleMalformed),
        ("bundle-unknown-version_fail", Code::BundleUnsupported),
        ("bundle-negative-log-index_fail", Code::BundleInvalid),
        (
            "inclusion-proof-corrupted-hash_fail",
            Code::TlogInclusionProofInvalid,
        ),
        (
            "checkpoint-wrong-roothash_fail",
            Code::TlogCheckpointInvalid,
        ),
        ("set-invalid-signature_fail", Code::TlogSetInvalid),
        ("bundle-from-wrong-instance_fail", Code::TlogLogUntrusted),
        (
            "intoto-expired-certificate_fail",
            Code::IntegratedTimeOutsideCertificateValidity,
        ),
        (
            "intoto-tsa-timestamp-outside-cert-validity_fail",
            Code::CertificateChainInvalid,
        ),
        ("invalid-ct-key_fail", Code::SctInvalid),
        ("rekor2-no-timestamp_fail", Code::TimeSourceMissing),
        (
            "rekor2-timestamp-payload-mismatch_fail",
            Code::TimestampInvalid,
        ),
        ("message-digest-mismatch_fail", Code::TlogBodyMismatch),
        ("managed-key-no-key_fail", Code::MaterialMismatch),
        ("wrong-material_fail", Code::SignatureInvalid),
    ];
    for (name, code) in cases {
        let case = suite().join("conformance").join(name);
        let root_path = case.join("trusted_root.json");
        let root_path = if root_path.is_file() {
            root_path
        } else {
            suite().join("trusted_root_pgi.json")
        };
        let root = TrustedRoot::from_json(&std::fs::read(root_path).unwrap()).unwrap();
        let artifact = case.join("artifact");
        let artifact = if artifact.is_file() {
            artifact
        } else {
            suite().join("conformance/a.txt")
        };
        let bytes = std::fs::read(artifact).unwrap();
        let expected = Expected::Identity(Identity {
            subject: Matcher::Exact(
                read_trimmed(&case.join("identity")).unwrap_or_else(|| DEFAULT_IDENTITY.into()),
            ),
            issuer: Matcher::Exact(
                read_trimmed(&case.join("issuer")).unwrap_or_else(|| DEFAULT_ISSUER.into()),
            ),
            extensions: Default::default(),
        });
        let verdict = verify_bundle_json(
            &std::fs::read(case.join("bundle.sigstore.json")).unwrap(),
            "artifact",
            Artifact::Bytes(&bytes),
            &expected,
            &root,
            NOW,
        );
        assert!(!verdict.accepted, "{name}");
        assert_eq!(verdict.codes(), [code], "{name}: {:?}", verdict.findings);
    }
    // Integrated time in the future: the same valid bundle read a day before it was logged.
    let case = suite().join("conformance/happy-path-v0.3");
    let bundle =
        Bundle::from_json(&std::fs::read(case.join("bundle.sigstore.json")).unwrap()).unwrap();
    let logged = bundle.tlog_entries[0].integrated_time;
    let root =
        TrustedRoot::from_json(&std::fs::read(suite().join("trusted_root_pgi.json")).unwrap())
            .unwrap();
    let bytes = std::fs::read(suite().join("conformance/a.txt")).unwrap();
    let expected = Expected::Identity(Identity {
        subject: Matcher::Exact(DEFAULT_IDENTITY.into()),
        issuer: Matcher::Exact(DEFAULT_ISSUER.into()),
        extensions: Default::default(),
    });
    let findings = verify_bundle(
        &bundle,
        Artifact::Bytes(&bytes),
        &expected,
        &root,
        logged - 86_400,
    )
    .unwrap_err();
    assert_eq!(findings[0].code, Code::IntegratedTimeInFuture);
    verify_bundle(
        &bundle,
        Artifact::Bytes(&bytes),
        &expected,
        &root,
        logged + 1,
    )
    .unwrap();
}
