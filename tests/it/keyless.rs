//! Keyless signing end to end against the loopback Sigstore (Fulcio, Rekor, TSA on
//! `@sigstore/mock`) and the real registry: what we write is verified by our own verifier, by
//! sigstore-python and by sigstore-js, for the right identity and not for another; faults in each service are
//! clear errors that leave nothing behind; a simulated GitHub Actions job signs with its
//! workflow identity, whose Fulcio extensions a verifier can require.

use std::path::Path;
use std::process::{Command, Output};

use crate::registry::push_image;
use crate::registry_fixture::Registry;
use crate::sigstore_fixture::{Sigstore, token};
use crate::util::{finding_codes, stderr, stdout, test_python};

const ISSUER: &str = "https://issuer.example";
const ALICE: &str = "alice@example.com";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

/// `supply` with no ambient token (the test's environment may be a CI job).
fn supply(dir: &Path, args: &[String], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supply"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("SIGSTORE_ID_TOKEN")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_URL")
        .env_remove("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// sigstore-python's offline verification of a bundle over `file` for `identity`.
fn sigstore_python(
    sigstore: &Sigstore,
    bundle: &Path,
    file: &Path,
    identity: &str,
    issuer: &str,
) -> Output {
    Command::new(test_python())
        .args(["-m", "sigstore", "--trust-config"])
        .arg(sigstore.trust_config())
        .args([
            "verify",
            "identity",
            "--offline",
            "--cert-identity",
            identity,
            "--cert-oidc-issuer",
            issuer,
            "--bundle",
        ])
        .arg(bundle)
        .arg(file)
        .output()
        .unwrap()
}

/// sigstore-js's (`@sigstore/verify`) offline verification of a bundle for `san` and `issuer`,
/// with required Fulcio extensions as `OID=VALUE`; for a DSSE bundle `file` is its payload.
fn sigstore_js(
    sigstore: &Sigstore,
    bundle: &Path,
    file: &Path,
    san: &str,
    issuer: &str,
    oids: &[&str],
) -> Output {
    let mock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/sigstore-mock");
    Command::new(crate::registry_fixture::require_tool("node", "nodejs"))
        .arg(mock.join("check/sigstore-js.js"))
        .arg("verify")
        .arg(sigstore.trusted_root())
        .arg(bundle)
        .arg(file)
        .args([san, issuer])
        .args(oids)
        .env("SIGSTORE_JS_DIR", &mock)
        .output()
        .unwrap()
}

fn verify_blob(
    dir: &Path,
    sigstore: &Sigstore,
    bundle: &str,
    identity: &str,
    extra: &[&str],
) -> Output {
    let mut list = args(&[
        "verify-blob",
        "--bundle",
        bundle,
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        ISSUER,
        "--trusted-root",
    ]);
    list.push(sigstore.trusted_root().display().to_string());
    list.extend(args(extra));
    list.push("artifact.txt".into());
    supply(dir, &list, &[])
}

#[test]
fn keyless_blob_bundles_verify_here_and_in_sigstore_python() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("artifact.txt");
    std::fs::write(&artifact, b"release notes\n").unwrap();
    let identity_token = token(ISSUER, ALICE);
    let mut sign = args(&[
        "sign-blob",
        "--bundle",
        "artifact.sigstore.json",
        "--identity-token",
        &identity_token,
    ]);
    sign.extend(sigstore.flags(None));
    sign.push("artifact.txt".into());
    let signed = supply(dir.path(), &sign, &[]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert!(
        stderr(&signed).contains("signing as alice@example.com"),
        "{}",
        stderr(&signed)
    );
    assert!(!stderr(&signed).contains(&identity_token));

    let bundle = dir.path().join("artifact.sigstore.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(
        json["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let material = &json["verificationMaterial"];
    assert!(material["certificate"]["rawBytes"].is_string());
    assert_eq!(
        material["tlogEntries"][0]["kindVersion"]["kind"],
        "hashedrekord"
    );
    assert!(material["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"].is_string());
    assert_eq!(
        material["timestampVerificationData"]["rfc3161Timestamps"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    let ours = verify_blob(dir.path(), &sigstore, "artifact.sigstore.json", ALICE, &[]);
    assert!(ours.status.success(), "{}", stderr(&ours));
    let theirs = sigstore_python(&sigstore, &bundle, &artifact, ALICE, ISSUER);
    assert!(
        theirs.status.success(),
        "sigstore-python: {}",
        stderr(&theirs)
    );
    let js = sigstore_js(&sigstore, &bundle, &artifact, ALICE, ISSUER, &[]);
    assert!(js.status.success(), "sigstore-js: {}", stderr(&js));
    let js = sigstore_js(
        &sigstore,
        &bundle,
        &artifact,
        "mallory@example.com",
        ISSUER,
        &[],
    );
    assert!(!js.status.success());

    let ours = verify_blob(
        dir.path(),
        &sigstore,
        "artifact.sigstore.json",
        "mallory@example.com",
        &[],
    );
    assert_eq!(ours.status.code(), Some(1), "{}", stderr(&ours));
    let theirs = sigstore_python(&sigstore, &bundle, &artifact, "mallory@example.com", ISSUER);
    assert!(!theirs.status.success());
    std::fs::write(&artifact, b"other notes\n").unwrap();
    let theirs = sigstore_python(&sigstore, &bundle, &artifact, ALICE, ISSUER);
    assert!(!theirs.status.success());
}

/// The conformance suite's `sign-bundle --in-toto`: a DSSE bundle over a statement, logged as
/// a `dsse` entry, services from the signing config.
#[test]
fn sign_bundle_signs_statements_as_dsse() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("artifact.txt");
    std::fs::write(&artifact, b"built\n").unwrap();
    let digest = supply_core::digest::Digest::sha256(b"built\n");
    let statement = serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "artifact.txt", "digest": {"sha256": digest.hex()}}],
        "predicateType": "https://example.com/predicate/v1",
        "predicate": {"ok": true},
    });
    std::fs::write(dir.path().join("statement.json"), statement.to_string()).unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, token(ISSUER, ALICE)).unwrap();
    let list = vec![
        "sign-bundle".into(),
        "--in-toto".into(),
        "--identity-token".into(),
        token_file.display().to_string(),
        "--signing-config".into(),
        sigstore.signing_config().display().to_string(),
        "--trusted-root".into(),
        sigstore.trusted_root().display().to_string(),
        "--bundle".into(),
        "statement.sigstore.json".into(),
        "statement.json".into(),
    ];
    let signed = supply(dir.path(), &list, &[]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let bundle = dir.path().join("statement.sigstore.json");
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(
        json["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"],
        "dsse"
    );
    assert_eq!(
        json["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    let theirs = sigstore_python(&sigstore, &bundle, &artifact, ALICE, ISSUER);
    assert!(
        theirs.status.success(),
        "sigstore-python: {}",
        stderr(&theirs)
    );
    let payload =
        supply_core::sigstore::encoding::base64(json["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap();
    std::fs::write(dir.path().join("payload.json"), payload).unwrap();
    let js = sigstore_js(
        &sigstore,
        &bundle,
        &dir.path().join("payload.json"),
        ALICE,
        ISSUER,
        &[],
    );
    assert!(js.status.success(), "sigstore-js: {}", stderr(&js));
    let js = sigstore_js(
        &sigstore,
        &bundle,
        &dir.path().join("payload.json"),
        "mallory@example.com",
        ISSUER,
        &[],
    );
    assert!(!js.status.success());
    let ours = verify_blob(dir.path(), &sigstore, "statement.sigstore.json", ALICE, &[]);
    assert!(ours.status.success(), "{}", stderr(&ours));
}

fn verify_image(
    dir: &Path,
    sigstore: &Sigstore,
    command: &str,
    image: &str,
    identity: &str,
) -> Output {
    let mut list = args(&[
        command,
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        ISSUER,
        "--output",
        "json",
        "--trusted-root",
    ]);
    list.push(sigstore.trusted_root().display().to_string());
    if command == "verify-attestation" {
        list.extend(args(&["--type", "https://example.com/predicate/v1"]));
    }
    list.push(image.to_owned());
    supply(dir, &list, &[])
}

#[test]
fn keyless_image_signatures_and_attestations_verify_through_referrers() {
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let image = push_image(&registry, "keyless/app");
    let dir = tempfile::tempdir().unwrap();
    let identity_token = token(ISSUER, ALICE);

    let mut sign = args(&["sign", "-a", "team=platform"]);
    sign.extend(sigstore.flags(None));
    sign.push(image.clone());
    // The token from the environment, as GitLab's id_tokens provide it.
    let signed = supply(dir.path(), &sign, &[("SIGSTORE_ID_TOKEN", &identity_token)]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert!(
        stdout(&signed).contains("@sha256:"),
        "the referrer's digest: {}",
        stdout(&signed)
    );

    let accepted = verify_image(dir.path(), &sigstore, "verify", &image, ALICE);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let verdict: serde_json::Value = serde_json::from_slice(&accepted.stdout).unwrap();
    assert_eq!(verdict["accepted"], true);
    let other = verify_image(
        dir.path(),
        &sigstore,
        "verify",
        &image,
        "mallory@example.com",
    );
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));

    std::fs::write(dir.path().join("predicate.json"), r#"{"reviewed": true}"#).unwrap();
    let mut attest = args(&[
        "attest",
        "--type",
        "https://example.com/predicate/v1",
        "--predicate",
        "predicate.json",
        "--identity-token",
        &identity_token,
    ]);
    attest.extend(sigstore.flags(None));
    attest.push(image.clone());
    let attested = supply(dir.path(), &attest, &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    let accepted = verify_image(dir.path(), &sigstore, "verify-attestation", &image, ALICE);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let other = verify_image(
        dir.path(),
        &sigstore,
        "verify-attestation",
        &image,
        "mallory@example.com",
    );
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
}

/// Each service misbehaving: a clear error naming it, exit 3 (nothing was signed, another try
/// may work), the token never printed, and nothing in the registry.
#[test]
fn service_faults_are_clear_errors_that_write_nothing() {
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let image = push_image(&registry, "keyless/faults");
    let dir = tempfile::tempdir().unwrap();
    let identity_token = token(ISSUER, ALICE);
    for (fault, says) in [
        ("fulcio-refuse", "Fulcio"),
        (
            "fulcio-other-identity",
            "the certificate is for \"someone-else@example.com\"",
        ),
        ("fulcio-other-key", "the certificate is for another key"),
        ("rekor-mismatch", "tlog-body-mismatch"),
        ("rekor-bad-set", "tlog-set-invalid"),
        ("rekor-500", "HTTP 500"),
    ] {
        let mut sign = args(&["sign", "--identity-token", &identity_token]);
        sign.extend(sigstore.flags(Some(fault)));
        sign.push(image.clone());
        let output = supply(dir.path(), &sign, &[]);
        assert_eq!(
            output.status.code(),
            Some(3),
            "{fault}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(says),
            "{fault}: {}",
            stderr(&output)
        );
        assert!(
            !stderr(&output).contains(&identity_token),
            "{fault}: the token leaked"
        );
    }
    let unsigned = verify_image(dir.path(), &sigstore, "verify", &image, ALICE);
    assert_eq!(unsigned.status.code(), Some(1), "{}", stderr(&unsigned));
    let verdict: serde_json::Value = serde_json::from_slice(&unsigned.stdout).unwrap();
    assert_eq!(finding_codes(&verdict), ["no-signatures"]);
    // An expired token never reaches Fulcio.
    let expired = format!(
        "{}.{}.c2ln",
        "eyJhbGciOiJub25lIn0", "eyJpc3MiOiJodHRwczovL2kiLCJzdWIiOiJhIiwiZXhwIjoxfQ"
    );
    let mut sign = args(&["sign", "--identity-token", &expired]);
    sign.extend(sigstore.flags(None));
    sign.push(image);
    let output = supply(dir.path(), &sign, &[]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("expired"), "{}", stderr(&output));
}

/// A GitHub Actions job, simulated: the token comes from ACTIONS_ID_TOKEN_REQUEST_URL (audience
/// sigstore), and the certificate carries the workflow's identity and extensions.
#[test]
fn a_github_actions_job_signs_with_its_workflow_identity() {
    let sigstore = Sigstore::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("artifact.txt"), b"binary\n").unwrap();
    let request_url = format!("{}/github/token?api-version=2.0", sigstore.url);
    let github = [
        ("ACTIONS_ID_TOKEN_REQUEST_URL", request_url.as_str()),
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "gha-request-token"),
    ];
    let mut sign = args(&["sign-blob", "--bundle", "artifact.sigstore.json"]);
    sign.extend(sigstore.flags(None));
    sign.push("artifact.txt".into());
    let signed = supply(dir.path(), &sign, &github);
    assert!(signed.status.success(), "{}", stderr(&signed));
    let workflow =
        "https://github.com/supply-test/app/.github/workflows/release.yml@refs/heads/main";
    assert!(stderr(&signed).contains(workflow), "{}", stderr(&signed));

    let check = |extra: &[&str]| {
        let mut list = args(&[
            "verify-blob",
            "--bundle",
            "artifact.sigstore.json",
            "--certificate-identity",
            workflow,
            "--certificate-oidc-issuer",
            GITHUB,
            "--trusted-root",
        ]);
        list.push(sigstore.trusted_root().display().to_string());
        list.extend(args(extra));
        list.push("artifact.txt".into());
        supply(dir.path(), &list, &[])
    };
    let accepted = check(&[
        "--certificate-github-workflow-repository",
        "supply-test/app",
        "--certificate-github-workflow-ref",
        "refs/heads/main",
        "--certificate-github-workflow-sha",
        "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678",
        "--certificate-github-workflow-trigger",
        "push",
        "--certificate-source-repository-uri",
        "https://github.com/supply-test/app",
        "--certificate-extension",
        "runnerEnvironment=github-hosted",
    ]);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let theirs = sigstore_python(
        &sigstore,
        &dir.path().join("artifact.sigstore.json"),
        &dir.path().join("artifact.txt"),
        workflow,
        GITHUB,
    );
    assert!(
        theirs.status.success(),
        "sigstore-python: {}",
        stderr(&theirs)
    );
    let extensions = [
        "1.3.6.1.4.1.57264.1.12=https://github.com/supply-test/app",
        "1.3.6.1.4.1.57264.1.14=refs/heads/main",
        "1.3.6.1.4.1.57264.1.11=github-hosted",
    ];
    let bundle = dir.path().join("artifact.sigstore.json");
    let artifact = dir.path().join("artifact.txt");
    let js = sigstore_js(&sigstore, &bundle, &artifact, workflow, GITHUB, &extensions);
    assert!(js.status.success(), "sigstore-js: {}", stderr(&js));
    let other = ["1.3.6.1.4.1.57264.1.12=https://github.com/someone/else"];
    let js = sigstore_js(&sigstore, &bundle, &artifact, workflow, GITHUB, &other);
    assert!(!js.status.success());
    let other_repository = check(&["--certificate-github-workflow-repository", "someone/else"]);
    assert_eq!(
        other_repository.status.code(),
        Some(1),
        "{}",
        stderr(&other_repository)
    );
    let self_hosted = check(&["--certificate-extension", "runnerEnvironment=self-hosted"]);
    assert_eq!(
        self_hosted.status.code(),
        Some(1),
        "{}",
        stderr(&self_hosted)
    );

    // The request token is refused by the endpoint when wrong: a clear error, exit 3.
    let wrong = [
        github[0],
        ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "not-the-token"),
    ];
    let refused = supply(dir.path(), &sign, &wrong);
    assert_eq!(refused.status.code(), Some(3), "{}", stderr(&refused));
    assert!(!stderr(&refused).contains("not-the-token"));
}

/// No token anywhere: a usage error that says where tokens come from.
#[test]
fn keyless_without_a_token_says_where_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a"), b"a").unwrap();
    let output = supply(
        dir.path(),
        &args(&[
            "sign-blob",
            "--bundle",
            "b",
            "--trusted-root",
            "/nonexistent",
            "a",
        ]),
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--identity-token")
            && stderr(&output).contains("SIGSTORE_ID_TOKEN"),
        "{}",
        stderr(&output)
    );
}

/// cosign 2's layout, keylessly: `.sig` and `.att` layers with certificate, chain and Rekor
/// bundle annotations, read back by the verifier as the bundle they amount to.
#[test]
fn keyless_legacy_layers_carry_cosigns_annotations() {
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let image = push_image(&registry, "keyless/legacy");
    let dir = tempfile::tempdir().unwrap();
    let identity_token = token(ISSUER, ALICE);
    let mut sign = args(&[
        "sign",
        "--new-bundle-format=false",
        "--identity-token",
        &identity_token,
    ]);
    sign.extend(sigstore.flags(None));
    sign.push(image.clone());
    let signed = supply(dir.path(), &sign, &[]);
    assert!(signed.status.success(), "{}", stderr(&signed));
    assert!(stdout(&signed).contains(".sig"), "{}", stdout(&signed));
    std::fs::write(dir.path().join("predicate.json"), r#"{"reviewed": true}"#).unwrap();
    let mut attest = args(&[
        "attest",
        "--legacy-format",
        "--type",
        "https://example.com/predicate/v1",
        "--predicate",
        "predicate.json",
        "--identity-token",
        &identity_token,
    ]);
    attest.extend(sigstore.flags(None));
    attest.push(image.clone());
    let attested = supply(dir.path(), &attest, &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    assert!(stdout(&attested).contains(".att"), "{}", stdout(&attested));

    let tree = supply(
        dir.path(),
        &args(&["tree", "--output", "json", &image]),
        &[],
    );
    assert!(tree.status.success(), "{}", stderr(&tree));
    let text = stdout(&tree);
    for annotation in [
        "dev.sigstore.cosign/certificate",
        "dev.sigstore.cosign/chain",
        "dev.sigstore.cosign/bundle",
        "dev.sigstore.cosign/rfc3161timestamp",
    ] {
        assert!(text.contains(annotation), "{annotation} missing: {text}");
    }
    let accepted = verify_image(dir.path(), &sigstore, "verify", &image, ALICE);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let accepted = verify_image(dir.path(), &sigstore, "verify-attestation", &image, ALICE);
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    let other = verify_image(
        dir.path(),
        &sigstore,
        "verify",
        &image,
        "mallory@example.com",
    );
    assert_eq!(other.status.code(), Some(1), "{}", stderr(&other));
}

/// `supply sbom --attest` without a key: the SBOM as a keyless CycloneDX attestation.
#[test]
fn sbom_attest_signs_keylessly() {
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let image = push_image(&registry, "keyless/sbom");
    let dir = tempfile::tempdir().unwrap();
    let lockfile = crate::util::testdata().join("lockfiles/cargo/small/Cargo.lock");
    let identity_token = token(ISSUER, ALICE);
    let mut sbom = args(&[
        "sbom",
        "--attest",
        &image,
        "--identity-token",
        &identity_token,
        "-o",
        "sbom.json",
    ]);
    sbom.extend(sigstore.flags(None));
    sbom.push(lockfile.display().to_string());
    let made = supply(dir.path(), &sbom, &[("SOURCE_DATE_EPOCH", "1700000000")]);
    assert!(made.status.success(), "{}", stderr(&made));
    assert!(
        stderr(&made).contains("SBOM attestation attached"),
        "{}",
        stderr(&made)
    );
    let mut list = args(&[
        "verify-attestation",
        "--type",
        "cyclonedx",
        "--certificate-identity",
        ALICE,
        "--certificate-oidc-issuer",
        ISSUER,
        "--trusted-root",
    ]);
    list.push(sigstore.trusted_root().display().to_string());
    list.push(image);
    let verified = supply(dir.path(), &list, &[]);
    assert!(verified.status.success(), "{}", stderr(&verified));
}

/// With a key, `sign-blob --bundle` writes a bundle naming the key (no log entry), which
/// `verify-blob --bundle --key` accepts and another key refuses.
#[test]
fn key_signed_blob_bundles_verify_with_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let password = [("COSIGN_PASSWORD", "pw")];
    let made = supply(dir.path(), &args(&["generate-key-pair"]), &password);
    assert!(made.status.success(), "{}", stderr(&made));
    std::fs::write(dir.path().join("artifact.txt"), b"data\n").unwrap();
    let signed = supply(
        dir.path(),
        &args(&[
            "sign-blob",
            "--key",
            "cosign.key",
            "--bundle",
            "b.json",
            "artifact.txt",
        ]),
        &password,
    );
    assert!(signed.status.success(), "{}", stderr(&signed));
    let ok = supply(
        dir.path(),
        &args(&[
            "verify-blob",
            "--bundle",
            "b.json",
            "--key",
            "cosign.pub",
            "artifact.txt",
        ]),
        &[],
    );
    assert!(ok.status.success(), "{}", stderr(&ok));
    std::fs::create_dir(dir.path().join("other")).unwrap();
    let other = supply(
        &dir.path().join("other"),
        &args(&["generate-key-pair"]),
        &password,
    );
    assert!(other.status.success());
    let refused = supply(
        dir.path(),
        &args(&[
            "verify-blob",
            "--bundle",
            "b.json",
            "--key",
            "other/cosign.pub",
            "artifact.txt",
        ]),
        &[],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
}

/// The registry failing mid-push (the referrer manifest refused after its blobs went up): an
/// error, exit 3, and no signature a verifier could find.
#[test]
fn a_registry_failing_mid_push_leaves_no_signature() {
    use crate::fault_proxy::{Action, Proxy, Rule};
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let image = push_image(&registry, "keyless/midpush");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let refuse = Action::Respond {
        status: 500,
        headers: vec![],
        body: vec![],
    };
    let proxy = runtime.block_on(Proxy::start(
        registry.host.clone(),
        vec![Rule::new(Some("PUT"), "/manifests/", 100, refuse)],
    ));
    let through_proxy = image.replacen(&registry.host, &proxy.host, 1);
    let dir = tempfile::tempdir().unwrap();
    let identity_token = token(ISSUER, ALICE);
    let mut sign = args(&["sign", "--identity-token", &identity_token]);
    sign.extend(sigstore.flags(None));
    sign.push(through_proxy);
    let output = supply(dir.path(), &sign, &[]);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let unsigned = verify_image(dir.path(), &sigstore, "verify", &image, ALICE);
    assert_eq!(unsigned.status.code(), Some(1), "{}", stderr(&unsigned));
    let verdict: serde_json::Value = serde_json::from_slice(&unsigned.stdout).unwrap();
    assert_eq!(finding_codes(&verdict), ["no-signatures"]);
}

/// Admission over keylessly signed images: a ClusterImagePolicy with a keyless authority whose
/// `trustRootRef` names the loopback instance's root admits the image signed for the policy's
/// identity, refuses one signed by someone else, and `signatureFormat: legacy` reads cosign 2's
/// layers.
#[test]
fn keyless_policies_admit_keylessly_signed_images() {
    let sigstore = Sigstore::start();
    let registry = Registry::plain();
    let bundle_image = push_image(&registry, "admit/bundle");
    let legacy_image = push_image(&registry, "admit/legacy");
    let stranger_image = push_image(&registry, "admit/stranger");
    let dir = tempfile::tempdir().unwrap();
    for (image, who, format) in [
        (&bundle_image, ALICE, "--new-bundle-format"),
        (&legacy_image, ALICE, "--legacy-format"),
        (
            &stranger_image,
            "mallory@example.com",
            "--new-bundle-format",
        ),
    ] {
        let identity_token = token(ISSUER, who);
        let mut sign = args(&["sign", format, "--identity-token", &identity_token]);
        sign.extend(sigstore.flags(None));
        sign.push(image.clone());
        let output = supply(dir.path(), &sign, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let policy = format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: keyless\nspec:\n  images:\n  - glob: \"{}/admit/**\"\n  authorities:\n  - keyless:\n      trustRootRef: loopback\n      identities:\n      - issuer: {ISSUER}\n        subject: {ALICE}\n",
        registry.host
    );
    std::fs::write(dir.path().join("policy.yaml"), policy).unwrap();
    let trust_root = format!("loopback={}", sigstore.trusted_root().display());
    let list = args(&[
        "verify",
        "--policy",
        "policy.yaml",
        "--trust-root",
        &trust_root,
        "--output",
        "json",
        &bundle_image,
        &legacy_image,
        &stranger_image,
    ]);
    let output = supply(dir.path(), &list, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let allowed: Vec<bool> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["allowed"].as_bool().unwrap())
        .collect();
    assert_eq!(allowed, [true, true, false], "{report}");
}
