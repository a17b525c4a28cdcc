//! cosign's legacy keyless layers, real ones: a `.sig` layer signed through Fulcio with its Rekor
//! bundle annotation (containers/image's fixture), and slsa-github-generator's `.att` layer.
//! Each verifies for the identity that signed it, under the public-good trusted root, and is
//! refused for another identity, another issuer, or a root of another Sigstore instance.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use base64::Engine as _;
use supply_core::attest::policy::Policy;
use supply_core::digest::Digest;
use supply_core::oci::{Descriptor, Manifest, RawManifest};
use supply_core::sigstore::TrustedRoot;
use supply_core::sigstore::identity::{Identity, Matcher};
use supply_core::verify::attestation::{AttestationOptions, check_attached_attestation};
use supply_core::verify::{Code, KeySource, VerifyOptions, check_attached_signature};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

fn root(name: &str) -> Arc<TrustedRoot> {
    Arc::new(
        TrustedRoot::from_json(&std::fs::read(testdata().join("sigstore").join(name)).unwrap())
            .unwrap(),
    )
}

fn keyless(identity: &str, issuer: &str) -> KeySource {
    KeySource::Identity(Identity {
        subject: Matcher::Exact(identity.into()),
        issuer: Matcher::Exact(issuer.into()),
        extensions: BTreeMap::new(),
    })
}

/// containers/image's on-disk signature: `\0sigstore-json\n` then {mimeType, payload, annotations}.
fn signature_layer(path: &Path) -> (Descriptor, Vec<u8>) {
    let bytes = std::fs::read(path).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes[15..]).unwrap();
    let payload = base64::engine::general_purpose::STANDARD
        .decode(json["payload"].as_str().unwrap())
        .unwrap();
    let annotations: BTreeMap<String, String> =
        serde_json::from_value(json["annotations"].clone()).unwrap();
    let descriptor = Descriptor {
        media_type: json["mimeType"].as_str().unwrap().to_owned(),
        digest: Digest::sha256(&payload),
        size: payload.len() as u64,
        artifact_type: None,
        annotations,
        platform: None,
    };
    (descriptor, payload)
}

#[test]
fn a_keyless_cosign_signature_layer() {
    let dir = testdata().join("cosign/dir-img-cosign-fulcio-rekor-valid");
    let (layer, payload) = signature_layer(&dir.join("signature-1"));
    let digest = Digest::sha256(&std::fs::read(dir.join("manifest.json")).unwrap());
    let verify = |key: KeySource, root: Arc<TrustedRoot>| {
        let options = VerifyOptions {
            key,
            annotations: BTreeMap::new(),
            trusted_root: Some(root.clone()),
            formats: Default::default(),
        };
        check_attached_signature(&layer, &payload, &digest, &options, &root)
    };
    let pgi = root("trusted_root_pgi.json");
    let verified = verify(
        keyless("mitr@redhat.com", "https://github.com/login/oauth"),
        pgi.clone(),
    )
    .unwrap_or_else(|findings| panic!("{findings:#?}"));
    let signer = serde_json::to_value(&verified.signer).unwrap();
    assert_eq!(signer["identity"], "mitr@redhat.com");
    assert_eq!(signer["kind"], "certificate");
    let codes = |result: Result<_, Vec<supply_core::verify::Finding>>| -> Vec<Code> {
        result.err().unwrap().iter().map(|f| f.code).collect()
    };
    assert_eq!(
        codes(verify(
            keyless("someone@else.example", "https://github.com/login/oauth"),
            pgi.clone()
        )),
        [Code::IdentityMismatch]
    );
    assert_eq!(
        codes(verify(
            keyless("mitr@redhat.com", "https://accounts.google.com"),
            pgi.clone()
        )),
        [Code::IssuerMismatch]
    );
    // Another Sigstore instance's root: its log does not know the entry.
    let other = root("conformance/intoto-with-custom-trust-root/trusted_root.json");
    assert_eq!(
        codes(verify(
            keyless("mitr@redhat.com", "https://github.com/login/oauth"),
            other
        )),
        [Code::TlogLogUntrusted]
    );
    // A legacy layer signed with a key (no certificate) is not a keyless signature.
    let (keyed, keyed_payload) =
        signature_layer(&testdata().join("cosign/dir-img-cosign-valid/signature-1"));
    let options = VerifyOptions {
        key: keyless("mitr@redhat.com", "https://github.com/login/oauth"),
        annotations: BTreeMap::new(),
        trusted_root: Some(pgi.clone()),
        formats: Default::default(),
    };
    let findings =
        check_attached_signature(&keyed, &keyed_payload, &digest, &options, &pgi).unwrap_err();
    assert_eq!(findings[0].code, Code::MaterialMismatch);
}

#[test]
fn slsa_github_generator_attestation_layer() {
    let dir = testdata().join("cosign/real-att");
    let manifest = RawManifest::new(
        "application/vnd.oci.image.manifest.v1+json",
        std::fs::read(dir.join("manifest.json")).unwrap(),
    );
    let Manifest::Image(manifest) = manifest.decode().unwrap() else {
        panic!("an image manifest")
    };
    let layer = manifest.layers[0].clone();
    let envelope = std::fs::read(dir.join("envelope.json")).unwrap();
    let digest: Digest = std::fs::read_to_string(dir.join("image.digest"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let identity = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.1.0";
    let issuer = "https://token.actions.githubusercontent.com";
    let pgi = root("trusted_root_pgi.json");
    let check = |key: KeySource, policy: &str| {
        let options = AttestationOptions {
            key,
            trusted_root: Some(pgi.clone()),
            predicate_type: "https://slsa.dev/provenance/v0.2".into(),
            policy: Policy::parse(policy).unwrap(),
            formats: Default::default(),
        };
        check_attached_attestation(&layer, &envelope, &digest, &options, &pgi)
    };
    let verified = check(keyless(identity, issuer), "").unwrap_or_else(|r| panic!("{r}"));
    assert_eq!(
        verified.predicate_type.as_deref(),
        Some("https://slsa.dev/provenance/v0.2")
    );
    let signer = serde_json::to_value(&verified.signer).unwrap();
    assert_eq!(
        signer["extensions"]["githubWorkflowRepository"],
        "slsa-framework/example-package"
    );
    // The keyless identity and a provenance policy together.
    let policy =
        "[provenance]\nsource-repository = \"https://github.com/slsa-framework/example-package\"\n";
    check(keyless(identity, issuer), policy).unwrap_or_else(|r| panic!("{r}"));
    let wrong_source = "[provenance]\nsource-repository = \"https://github.com/evil/package\"\n";
    let rejection = check(keyless(identity, issuer), wrong_source).unwrap_err();
    assert_eq!(
        rejection.findings("layer")[0].code,
        Code::PolicySourceRepositoryMismatch
    );
    let rejection = check(
        keyless(
            "https://github.com/evil/x/.github/workflows/y.yml@refs/heads/main",
            issuer,
        ),
        "",
    )
    .unwrap_err();
    assert_eq!(rejection.findings("layer")[0].code, Code::IdentityMismatch);
}
