//! The verification model as a CI gate sees it: `--output json` renders the library's verdict
//! (snapshotted for a pass and for each rejection code a user can meet through the CLI), and
//! exit codes tell "accepted" (0), "rejected" (1), "bad input" (2) and "could not verify" (3)
//! apart. Against the real registry; each rejection is built the way an attacker or a broken
//! pipeline would leave it.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use serde_json::Value;
use supply_core::attest::DSSE_MEDIA_TYPE;
use supply_core::attest::dsse;
use supply_core::digest::Digest;
use supply_core::keys::SigningKey;
use supply_core::oci::api::{Attachment, attachment_reference};
use supply_core::oci::manifest::{OCI_INDEX, OCI_MANIFEST};
use supply_core::oci::{RawManifest, Reference, RegistryClient};
use supply_core::sign::payload::{self, Layer, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::Registry;
use crate::util::stderr;

const PASSWORD: &str = "verdict password";

fn supply(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(args)
        .current_dir(dir)
        .env("COSIGN_PASSWORD", PASSWORD)
        .env("DOCKER_CONFIG", dir.join("no-docker-config"))
        .output()
        .unwrap()
}

/// The verdict with what changes between runs (ports, digests of content that names the
/// port, key ids) replaced, so a snapshot shows the shape and the codes.
fn normalized(text: &str, host: &str) -> Value {
    fn walk(value: &mut Value, host: &str) {
        match value {
            Value::String(s) => {
                let mut out = s.replace(host, "<registry>");
                while let Some(at) = out.find("sha256:") {
                    let hex: String = out[at + 7..]
                        .chars()
                        .take_while(char::is_ascii_hexdigit)
                        .collect();
                    if hex.len() != 64 {
                        break;
                    }
                    out.replace_range(at..at + 7 + 64, "<digest>");
                }
                *s = out;
            }
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, host)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, host)),
            _ => {}
        }
    }
    let mut value: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    walk(&mut value, host);
    value
}

/// A `.sig`/`.att` image for `digest` with these (media type, payload, annotations) layers.
async fn push_attachment(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    kind: Attachment,
    layers: Vec<(&str, Vec<u8>, BTreeMap<String, String>)>,
) {
    let reference = attachment_reference(image, digest, kind).unwrap();
    let mut descriptors = Vec::new();
    for (media_type, bytes, annotations) in layers {
        let size = bytes.len() as u64;
        let digest = client.push_blob(&reference, bytes).await.unwrap();
        descriptors.push(Layer {
            media_type: media_type.to_owned(),
            size,
            digest,
            annotations,
        });
    }
    let config = payload::signature_config(&descriptors);
    client.push_blob(&reference, config.clone()).await.unwrap();
    client
        .push_manifest(
            &reference,
            &RawManifest::new(
                OCI_MANIFEST,
                payload::signature_manifest(&config, &descriptors),
            ),
        )
        .await
        .unwrap();
}

fn strs(owned: &[String]) -> Vec<&str> {
    owned.iter().map(String::as_str).collect()
}

fn signature(key: &SigningKey, payload: &[u8]) -> BTreeMap<String, String> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(key.sign(payload));
    BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), encoded)])
}

#[test]
fn verdicts_and_exit_codes() {
    let registry = Registry::plain();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(supply(d, &["generate-key-pair"]).status.success());
    let key = SigningKey::from_encrypted_pem(
        &std::fs::read(d.join("cosign.key")).unwrap(),
        PASSWORD.as_bytes(),
    )
    .unwrap();
    let other = tempfile::tempdir().unwrap();
    assert!(
        supply(other.path(), &["generate-key-pair"])
            .status
            .success()
    );
    let wrong_key = other.path().join("cosign.pub");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let client = client_for(&registry, None);
    let image = |name: &str| -> (Reference, Digest) {
        let reference: Reference = registry
            .image(&format!("verdicts/{name}"), "v1")
            .parse()
            .unwrap();
        let pushed = rt.block_on(push_test_image(&client, &reference, name));
        (reference, pushed.digest)
    };
    let mut cases: BTreeMap<String, Value> = BTreeMap::new();
    let mut run = |name: &str, args: &[&str], code: i32, expected: &[&str]| {
        let mut full = args.to_vec();
        full.extend(["--output", "json"]);
        let output = supply(d, &full);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{name}: {}",
            stderr(&output)
        );
        let verdict = normalized(&String::from_utf8(output.stdout).unwrap(), &registry.host);
        let codes: Vec<&str> = verdict["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, expected, "{name}: {verdict:#}");
        assert_eq!(verdict["accepted"], code == 0, "{name}");
        cases.insert(name.to_owned(), verdict);
    };
    let verify = |reference: &Reference| -> Vec<String> {
        ["verify", "--key", "cosign.pub", &reference.to_string()]
            .map(str::to_owned)
            .to_vec()
    };

    // Accepted, with a signed annotation; the same image with a wrong key, a missing and a
    // different required annotation.
    let (signed, _) = image("signed");
    assert!(
        supply(
            d,
            &[
                "sign",
                "--key",
                "cosign.key",
                "-a",
                "env=prod",
                &signed.to_string()
            ]
        )
        .status
        .success()
    );
    let owned = verify(&signed);
    let args = strs(&owned);
    run("verify: accepted", &args, 0, &[]);
    let mut with_wrong_key = args.clone();
    with_wrong_key[2] = wrong_key.to_str().unwrap();
    run(
        "verify: wrong key",
        &with_wrong_key,
        1,
        &["signature-invalid"],
    );
    let mut missing = args.clone();
    missing.extend(["-a", "team=payments"]);
    run(
        "verify: annotation missing",
        &missing,
        1,
        &["annotation-missing"],
    );
    let mut differs = args.clone();
    differs.extend(["-a", "env=dev"]);
    run(
        "verify: annotation mismatch",
        &differs,
        1,
        &["annotation-mismatch"],
    );

    // Layer-level rejections, one image each.
    let (unsigned, _) = image("unsigned");
    run(
        "verify: no signatures",
        &strs(&verify(&unsigned)),
        1,
        &["no-signatures"],
    );

    let (crafted, digest) = image("crafted");
    let good = payload::simple_signing_payload(&crafted, &digest, &BTreeMap::new());
    let (replayed, replayed_digest) = image("replayed");
    let not_json = b"not a simple-signing payload".to_vec();
    let other_type = br#"{"critical":{"type":"atomic container signature"}}"#.to_vec();
    let mut bad_base64 = BTreeMap::new();
    bad_base64.insert(SIGNATURE_ANNOTATION.to_owned(), "***".to_owned());
    rt.block_on(push_attachment(
        &client,
        &crafted,
        &digest,
        Attachment::Signature,
        vec![
            ("text/plain", good.clone(), signature(&key, &good)),
            (SIMPLE_SIGNING_MEDIA_TYPE, good.clone(), BTreeMap::new()),
            (SIMPLE_SIGNING_MEDIA_TYPE, good.clone(), bad_base64),
            (
                SIMPLE_SIGNING_MEDIA_TYPE,
                not_json.clone(),
                signature(&key, &not_json),
            ),
            (
                SIMPLE_SIGNING_MEDIA_TYPE,
                other_type.clone(),
                signature(&key, &other_type),
            ),
        ],
    ));
    run(
        "verify: crafted layers",
        &strs(&verify(&crafted)),
        1,
        &[
            "media-type-mismatch",
            "signature-missing",
            "signature-malformed",
            "payload-malformed",
            "payload-type-mismatch",
        ],
    );
    // A valid signature of another image, copied under this one's tag.
    rt.block_on(push_attachment(
        &client,
        &replayed,
        &replayed_digest,
        Attachment::Signature,
        vec![(
            SIMPLE_SIGNING_MEDIA_TYPE,
            good.clone(),
            signature(&key, &good),
        )],
    ));
    run(
        "verify: replayed signature",
        &strs(&verify(&replayed)),
        1,
        &["digest-mismatch"],
    );

    let (indexed, index_digest) = image("indexed");
    let sig = attachment_reference(&indexed, &index_digest, Attachment::Signature).unwrap();
    let index = format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[]}}"#);
    rt.block_on(client.push_manifest(&sig, &RawManifest::new(OCI_INDEX, index.into_bytes())))
        .unwrap();
    run(
        "verify: index at the signature tag",
        &strs(&verify(&indexed)),
        1,
        &["attachment-not-an-image"],
    );

    let (huge, huge_digest) = image("huge");
    let mut big = payload::simple_signing_payload(&huge, &huge_digest, &BTreeMap::new());
    big.extend(std::iter::repeat_n(b' ', 2 * 1024 * 1024));
    let big_signature = signature(&key, &big);
    rt.block_on(push_attachment(
        &client,
        &huge,
        &huge_digest,
        Attachment::Signature,
        vec![(SIMPLE_SIGNING_MEDIA_TYPE, big, big_signature)],
    ));
    run(
        "verify: payload too large",
        &strs(&verify(&huge)),
        1,
        &["payload-too-large"],
    );

    let (many, many_digest) = image("many");
    let small = payload::simple_signing_payload(&many, &many_digest, &BTreeMap::new());
    let layers = vec![
        (
            SIMPLE_SIGNING_MEDIA_TYPE,
            small.clone(),
            signature(&key, &small)
        );
        1001
    ];
    rt.block_on(push_attachment(
        &client,
        &many,
        &many_digest,
        Attachment::Signature,
        layers,
    ));
    run(
        "verify: too many layers",
        &strs(&verify(&many)),
        1,
        &["too-many-layers"],
    );

    // Attestations: accepted, another predicate type, a policy not met, tampered envelopes.
    let (attested, _) = image("attested");
    std::fs::write(d.join("predicate.json"), r#"{"buildDefinition":{"buildType":"https://actions.github.io/buildtypes/workflow/v1","externalParameters":{"workflow":{"ref":"refs/heads/dev","repository":"https://github.com/octo/app"}}},"runDetails":{"builder":{"id":"https://github.com/octo/app-evil/.github/workflows/release.yml@refs/heads/dev"}}}"#).unwrap();
    let attested_ref = attested.to_string();
    let made = supply(
        d,
        &[
            "attest",
            "--key",
            "cosign.key",
            "--type",
            "slsaprovenance1",
            "--predicate",
            "predicate.json",
            &attested_ref,
        ],
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let verify_attestation = [
        "verify-attestation",
        "--key",
        "cosign.pub",
        "--type",
        "slsaprovenance1",
    ];
    let mut a = verify_attestation.to_vec();
    a.push(&attested_ref);
    run("verify-attestation: accepted", &a, 0, &[]);
    let mut other_type = a.clone();
    other_type[4] = "cyclonedx";
    run(
        "verify-attestation: predicate type mismatch",
        &other_type,
        1,
        &["predicate-type-mismatch"],
    );
    std::fs::write(d.join("policy.toml"), "[provenance]\nbuilder-id-prefix = \"https://github.com/octo/app\"\nsource-ref = \"refs/heads/main\"\n").unwrap();
    let mut with_policy = a.clone();
    with_policy.extend(["--policy", "policy.toml"]);
    run(
        "verify-attestation: policy not met",
        &with_policy,
        1,
        &[
            "policy-builder-prefix-mismatch",
            "policy-source-ref-mismatch",
        ],
    );
    let (unattested, _) = image("unattested");
    let unattested_ref = unattested.to_string();
    let mut none = verify_attestation.to_vec();
    none.push(&unattested_ref);
    run("verify-attestation: none", &none, 1, &["no-attestations"]);
    let (forged, forged_digest) = image("forged-att");
    let statement_for_other = supply_core::attest::intoto::Statement::new(
        vec![supply_core::attest::intoto::Subject::new(
            None,
            &Digest::sha256(b"another image"),
        )],
        "https://slsa.dev/provenance/v1",
        Value::Null,
    );
    let about_other = dsse::sign(
        &key,
        dsse::IN_TOTO_PAYLOAD_TYPE,
        &statement_for_other.to_json(),
    )
    .to_json();
    let not_statement = dsse::sign(&key, dsse::IN_TOTO_PAYLOAD_TYPE, b"[1, 2, 3]").to_json();
    rt.block_on(push_attachment(
        &client,
        &forged,
        &forged_digest,
        Attachment::Attestation,
        vec![
            (
                DSSE_MEDIA_TYPE,
                b"{not an envelope".to_vec(),
                BTreeMap::new(),
            ),
            (DSSE_MEDIA_TYPE, about_other, BTreeMap::new()),
            (DSSE_MEDIA_TYPE, not_statement, BTreeMap::new()),
        ],
    ));
    let forged_ref = forged.to_string();
    let mut tampered = verify_attestation.to_vec();
    tampered.push(&forged_ref);
    run(
        "verify-attestation: tampered envelopes",
        &tampered,
        1,
        &[
            "envelope-malformed",
            "subject-mismatch",
            "statement-malformed",
        ],
    );

    // Blobs.
    std::fs::write(d.join("blob.txt"), "release notes\n").unwrap();
    let signed_blob = supply(
        d,
        &[
            "sign-blob",
            "--key",
            "cosign.key",
            "--output-signature",
            "blob.sig",
            "blob.txt",
        ],
    );
    assert!(signed_blob.status.success(), "{}", stderr(&signed_blob));
    run(
        "verify-blob: accepted",
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "blob.sig",
            "blob.txt",
        ],
        0,
        &[],
    );
    let wrong = wrong_key.to_str().unwrap();
    run(
        "verify-blob: wrong key",
        &[
            "verify-blob",
            "--key",
            wrong,
            "--signature",
            "blob.sig",
            "blob.txt",
        ],
        1,
        &["signature-invalid"],
    );
    std::fs::write(d.join("garbage.sig"), "%%%").unwrap();
    run(
        "verify-blob: not base64",
        &[
            "verify-blob",
            "--key",
            "cosign.pub",
            "--signature",
            "garbage.sig",
            "blob.txt",
        ],
        1,
        &["signature-malformed"],
    );

    insta::assert_json_snapshot!(cases);

    // Could not verify: exit 3, nothing on stdout, and the error says nothing was verified.
    let unreachable = supply(
        d,
        &[
            "verify",
            "--key",
            "cosign.pub",
            "127.0.0.1:1/app:v1",
            "--output",
            "json",
        ],
    );
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "{}",
        stderr(&unreachable)
    );
    assert!(unreachable.stdout.is_empty());
    assert!(
        stderr(&unreachable).contains("nothing was verified"),
        "{}",
        stderr(&unreachable)
    );
    let unreachable = supply(
        d,
        &[
            "verify-attestation",
            "--key",
            "cosign.pub",
            "127.0.0.1:1/app:v1",
        ],
    );
    assert_eq!(
        unreachable.status.code(),
        Some(3),
        "{}",
        stderr(&unreachable)
    );
    // Bad input: exit 2.
    let bad = supply(d, &["verify", "--key", "cosign.pub", "NOT A REFERENCE"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let bad = supply(d, &["verify", "--key", "missing.pub", &signed.to_string()]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    let usage = supply(d, &["verify"]);
    assert_eq!(usage.status.code(), Some(2));
}

/// The example that embeds the library through the blocking facade, run against the registry.
#[test]
fn the_blocking_facade_example_signs_and_verifies() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"),
        std::path::PathBuf::from,
    );
    let example = target.join("debug/examples/sign_and_verify");
    assert!(
        example.is_file(),
        "{} is not built: run `cargo build -p supply-core --examples` (scripts/test.sh does)",
        example.display()
    );
    let registry = Registry::plain();
    let client = client_for(&registry, None);
    let image: Reference = registry.image("example/app", "v1").parse().unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pushed = rt.block_on(push_test_image(&client, &image, "example"));
    let output = Command::new(&example)
        .arg(image.to_string())
        .env("DOCKER_CONFIG", "/nonexistent")
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{out}{}", stderr(&output));
    assert!(
        out.contains(&format!(
            "with the signing key: accepted=true digest={}",
            pushed.digest
        )),
        "{out}"
    );
    assert!(out.contains("with another key: accepted=false"), "{out}");
    assert!(out.contains("signature-invalid [Error]"), "{out}");
}
