//! Provenance, attestations and their verification as a user runs them, through the real
//! registry; openssl checks our DSSE signature over the PAE bytes; tampered attestations fail.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use supply_core::attest::dsse::{self, Envelope};
use supply_core::oci::api::{Attachment, attachment_reference};
use supply_core::oci::{Manifest, Reference, RegistryClient};

use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{Registry, require_tool};
use crate::util::{stderr, stdout, testdata};

const PASSWORD: &str = "attest password";

fn supply(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut all = vec![("COSIGN_PASSWORD", PASSWORD)];
    all.extend_from_slice(envs);
    crate::util::supply_env(dir, args, &all)
}

const GITHUB: [(&str, &str); 9] = [
    ("GITHUB_ACTIONS", "true"),
    ("GITHUB_SERVER_URL", "https://github.com"),
    ("GITHUB_REPOSITORY", "octo/app"),
    ("GITHUB_REF", "refs/heads/main"),
    (
        "GITHUB_WORKFLOW_REF",
        "octo/app/.github/workflows/release.yml@refs/heads/main",
    ),
    ("GITHUB_SHA", "0123456789abcdef0123456789abcdef01234567"),
    ("GITHUB_RUN_ID", "42"),
    ("GITHUB_RUN_ATTEMPT", "1"),
    ("GITHUB_EVENT_NAME", "push"),
];

/// `supply attest` of `provenance.json` as SLSA provenance v1, with extra flags.
fn attest_provenance(dir: &Path, image: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "attest",
        "--key",
        "cosign.key",
        "--type",
        "slsaprovenance1",
        "--predicate",
        "provenance.json",
    ];
    args.extend_from_slice(extra);
    args.push(image);
    supply(dir, &args, &[])
}

/// The envelopes in an image's `.att` image, in layer order.
fn envelopes(
    rt: &tokio::runtime::Runtime,
    client: &RegistryClient,
    image: &Reference,
) -> Vec<Envelope> {
    let digest = rt.block_on(client.resolve(image)).unwrap();
    let att = attachment_reference(image, &digest, Attachment::Attestation).unwrap();
    let raw = rt.block_on(client.manifest(&att)).unwrap();
    let Manifest::Image(manifest) = raw.decode().unwrap() else {
        panic!("image manifest")
    };
    manifest
        .layers
        .iter()
        .map(|l| Envelope::from_json(&rt.block_on(client.blob(&att, &l.digest)).unwrap()).unwrap())
        .collect()
}

#[test]
fn provenance_attest_and_verify_with_a_policy() {
    let registry = Registry::plain();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client_for(&registry, None);
    let reference: Reference = registry.image("attest/app", "v1").parse().unwrap();
    let image = rt.block_on(push_test_image(&client, &reference, "attested"));
    let image_ref = reference.to_string();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(supply(d, &["generate-key-pair"], &[]).status.success());

    // Outside CI, provenance needs a builder.
    let outside = supply(
        d,
        &["provenance", "--subject", &image_ref],
        &[("GITHUB_ACTIONS", "")],
    );
    assert_eq!(outside.status.code(), Some(2));
    assert!(
        stderr(&outside).contains("--builder-id"),
        "{}",
        stderr(&outside)
    );

    std::fs::write(d.join("artifact.bin"), b"binary").unwrap();
    let made = supply(
        d,
        &[
            "provenance",
            "--subject",
            &image_ref,
            "--subject",
            "artifact.bin",
            // A second image subject: both are resolved through one client and runtime.
            "--subject",
            &image_ref,
            "-o",
            "provenance.json",
        ],
        &GITHUB,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let statement: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("provenance.json")).unwrap()).unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        image.digest.hex()
    );
    assert_eq!(statement["subject"][1]["name"], "artifact.bin");
    assert_eq!(
        statement["subject"][2]["digest"]["sha256"],
        image.digest.hex()
    );
    assert_eq!(
        statement["predicate"]["buildDefinition"]["buildType"],
        "https://actions.github.io/buildtypes/workflow/v1"
    );
    in_toto_python_accepts(&d.join("provenance.json"));
    let manual = supply(
        d,
        &[
            "provenance",
            "--subject",
            "artifact.bin",
            "--builder-id",
            "https://ci.example/runner",
            "--source-uri",
            "https://git.example/app",
            "--source-commit",
            "abc",
            "-o",
            "manual.json",
        ],
        &[("GITHUB_ACTIONS", "")],
    );
    assert!(manual.status.success(), "{}", stderr(&manual));
    in_toto_python_accepts(&d.join("manual.json"));
    // The check can fail: a statement with a misspelt predicate field is refused.
    std::fs::write(
        d.join("typo.json"),
        std::fs::read_to_string(d.join("manual.json"))
            .unwrap()
            .replace("runDetails", "runDetail"),
    )
    .unwrap();
    assert!(!in_toto_python_output(&d.join("typo.json")).status.success());

    let attested = attest_provenance(d, &image_ref, &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    assert_eq!(
        stdout(&attested).trim(),
        format!(
            "{}/attest/app:sha256-{}.att",
            registry.host,
            image.digest.hex()
        )
    );

    std::fs::write(d.join("policy.toml"), "[provenance]\nbuilder-id-prefix = \"https://github.com/octo/app/\"\nsource-repository = \"https://github.com/octo/app\"\nsource-ref = \"refs/heads/main\"\nbuild-types = [\"github\"]\n").unwrap();
    let verified = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "slsaprovenance1",
            "--policy",
            "policy.toml",
            "--output",
            "json",
            &image_ref,
        ],
        &[],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    assert_eq!(
        report["verified"][0]["payload"]["predicate"]["runDetails"]["builder"]["id"],
        "https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main"
    );

    std::fs::write(
        d.join("release-only.toml"),
        "[provenance]\nsource-ref = \"refs/tags/v1.0.0\"\n",
    )
    .unwrap();
    let refused = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--policy",
            "release-only.toml",
            &image_ref,
        ],
        &[],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .contains("source ref is refs/heads/main, policy requires refs/tags/v1.0.0"),
        "{}",
        stderr(&refused)
    );
    let wrong_type = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "cyclonedx",
            &image_ref,
        ],
        &[],
    );
    assert_eq!(wrong_type.status.code(), Some(1));
    assert!(
        stderr(&wrong_type).contains("predicate type is https://slsa.dev/provenance/v1"),
        "{}",
        stderr(&wrong_type)
    );

    // openssl, independently, accepts the DSSE signature over the PAE bytes.
    let envelope = &envelopes(&rt, &client, &reference)[0];
    let pae = dsse::pae(&envelope.payload_type, &envelope.payload_bytes().unwrap());
    openssl_verify(&d.join("cosign.pub"), &pae, &envelope.signatures[0].sig);

    // --replace keeps one attestation of the type.
    assert!(attest_provenance(d, &image_ref, &[]).status.success());
    assert_eq!(envelopes(&rt, &client, &reference).len(), 2);
    assert!(
        attest_provenance(d, &image_ref, &["--replace"])
            .status
            .success()
    );
    assert_eq!(envelopes(&rt, &client, &reference).len(), 1);
}

/// The in-toto project's own bindings (`in-toto-attestation`, strict protobuf JSON) accept it.
fn in_toto_python_accepts(statement: &Path) {
    let output = in_toto_python_output(statement);
    assert!(
        output.status.success(),
        "in-toto-attestation rejects {}: {}{}",
        statement.display(),
        stdout(&output),
        stderr(&output)
    );
}

fn in_toto_python_output(statement: &Path) -> Output {
    let python = crate::util::test_python();
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/python/check_statement.py");
    Command::new(python)
        .arg(script)
        .arg(statement)
        .output()
        .unwrap()
}

fn openssl_verify(public_key: &Path, message: &[u8], signature_b64: &str) {
    let openssl = require_tool("openssl", "openssl");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("message"), message).unwrap();
    std::fs::write(
        dir.path().join("sig"),
        base64::engine::general_purpose::STANDARD
            .decode(signature_b64)
            .unwrap(),
    )
    .unwrap();
    let output = Command::new(openssl)
        .args(["dgst", "-sha256", "-verify"])
        .arg(public_key)
        .arg("-signature")
        .arg(dir.path().join("sig"))
        .arg(dir.path().join("message"))
        .output()
        .unwrap();
    assert_eq!(stdout(&output).trim(), "Verified OK", "{}", stderr(&output));
}

#[test]
fn sbom_attestation_in_one_step_and_tampering() {
    let registry = Registry::plain();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = client_for(&registry, None);
    let a: Reference = registry.image("sbom/app", "a").parse().unwrap();
    let b: Reference = registry.image("sbom/app", "b").parse().unwrap();
    rt.block_on(push_test_image(&client, &a, "sbom a"));
    let image_b = rt.block_on(push_test_image(&client, &b, "sbom b"));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(supply(d, &["generate-key-pair"], &[]).status.success());
    let lockfile = testdata().join("lockfiles/npm/workspaces/package-lock.json");
    let made = supply(
        d,
        &[
            "sbom",
            lockfile.to_str().unwrap(),
            "-o",
            "sbom.json",
            "--attest",
            &a.to_string(),
            "--key",
            "cosign.key",
        ],
        &[],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(
        stderr(&made).contains("SBOM attestation attached"),
        "{}",
        stderr(&made)
    );
    std::fs::write(d.join("sbom-policy.toml"), "[sbom]\nrequire-valid = true\n").unwrap();
    let verified = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "cyclonedx",
            "--policy",
            "sbom-policy.toml",
            "--output",
            "json",
            &a.to_string(),
        ],
        &[],
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let report: serde_json::Value = serde_json::from_str(&stdout(&verified)).unwrap();
    let sbom: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("sbom.json")).unwrap()).unwrap();
    assert_eq!(
        report["verified"][0]["payload"]["predicate"], sbom,
        "the attested SBOM is the one written"
    );

    // Regression: a [provenance] policy on a CycloneDX verification was silently skipped (the
    // image was accepted without its builder being checked). It is an error, exit 2.
    std::fs::write(
        d.join("provenance-policy.toml"),
        "[provenance]\nbuilder-id = \"https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main\"\n",
    )
    .unwrap();
    let mismatched = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "--type",
            "cyclonedx",
            "--policy",
            "provenance-policy.toml",
            &a.to_string(),
        ],
        &[],
    );
    assert_eq!(mismatched.status.code(), Some(2), "{}", stderr(&mismatched));
    assert!(
        stderr(&mismatched).contains("[provenance] section cannot apply"),
        "{}",
        stderr(&mismatched)
    );

    // Tampered copies of A's attestation, placed under B: each is rejected with its reason.
    let original = envelopes(&rt, &client, &a).remove(0);
    let key = supply_core::keys::SigningKey::from_encrypted_pem(
        &std::fs::read(d.join("cosign.key")).unwrap(),
        PASSWORD.as_bytes(),
    )
    .unwrap();
    let statement_for_a = original.payload_bytes().unwrap();
    let mut changed_type = original.clone();
    changed_type.payload_type = "application/json".into();
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut signed_without_pae = original.clone();
    signed_without_pae.signatures[0].sig = b64.encode(key.sign(&statement_for_a));
    let mut type_swapped = original.clone();
    let swapped = String::from_utf8(statement_for_a.clone())
        .unwrap()
        .replace("https://cyclonedx.org/bom", "https://spdx.dev/Document");
    type_swapped.payload = b64.encode(swapped);
    let cases: [(Envelope, &str); 4] = [
        (original, "not about this image"),
        (changed_type, "payload type"),
        (signed_without_pae, "signature"),
        (type_swapped, "signature"),
    ];
    for (envelope, words) in cases {
        push_att(&rt, &client, &b, &image_b.digest, envelope);
        let output = supply(
            d,
            &[
                "verify-attestation",
                "--key",
                "cosign.pub",
                "--type",
                "cyclonedx",
                &b.to_string(),
            ],
            &[],
        );
        assert_eq!(
            output.status.code(),
            Some(1),
            "{words}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(words),
            "expected {words:?}: {}",
            stderr(&output)
        );
    }
}

/// Replaces B's `.att` image with one layer holding `envelope`.
fn push_att(
    rt: &tokio::runtime::Runtime,
    client: &RegistryClient,
    image: &Reference,
    digest: &supply_core::digest::Digest,
    envelope: Envelope,
) {
    use supply_core::sign::payload::{self, Layer};
    let att = attachment_reference(image, digest, Attachment::Attestation).unwrap();
    let bytes = envelope.to_json();
    let size = bytes.len() as u64;
    let blob = rt.block_on(client.push_blob(&att, bytes)).unwrap();
    let annotations = std::collections::BTreeMap::from([
        (
            "dev.cosignproject.cosign/signature".to_owned(),
            String::new(),
        ),
        (
            "predicateType".to_owned(),
            "https://cyclonedx.org/bom".to_owned(),
        ),
    ]);
    let layers = vec![Layer {
        media_type: "application/vnd.dsse.envelope.v1+json".into(),
        size,
        digest: blob,
        annotations,
    }];
    let config = payload::signature_config(&layers);
    rt.block_on(client.push_blob(&att, config.clone())).unwrap();
    let manifest = payload::signature_manifest(&config, &layers);
    rt.block_on(client.push_manifest(
        &att,
        &supply_core::oci::RawManifest::new(supply_core::oci::manifest::OCI_MANIFEST, manifest),
    ))
    .unwrap();
}
