//! Compatibility with real cosign output (testdata/cosign, testdata/keys; see their SOURCE):
//! cosign's key files load, cosign's signatures verify or fail exactly as containers/image's
//! fixtures say, and what we write is byte-identical to what cosign wrote.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use supply_core::digest::Digest;
use supply_core::keys::{KeyError, SigningKey, VerifyingKey};
use supply_core::oci::{Manifest, RawManifest, Reference};
use supply_core::sign::payload::{self, Layer};
use supply_core::verify::check::{Rejection, SignatureLayer, check_signature_layer};

fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

fn read(path: &str) -> Vec<u8> {
    std::fs::read(testdata(path)).unwrap()
}

#[test]
fn cosign_key_files_load_with_their_passwords() {
    for (file, password) in [
        ("keys/pemsigstorekey.key", "hello"),
        ("keys/pemcosignkey.key", "hello"),
        ("keys/cosign_generated_encrypted_empty_private.key", ""),
        ("keys/ecdsa_encrypted_private.key", "123"),
    ] {
        let key = SigningKey::from_encrypted_pem(&read(file), password.as_bytes())
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        let signature = key.sign(b"x");
        key.verifying_key().verify(b"x", &signature).unwrap();
    }
    let wrong =
        SigningKey::from_encrypted_pem(&read("keys/pemsigstorekey.key"), b"HELLO").unwrap_err();
    assert!(matches!(wrong, KeyError::WrongPassword), "{wrong}");
    // Decrypts, but the plaintext is SEC1, not PKCS#8: cosign rejects it, so do we.
    let sec1 =
        SigningKey::from_encrypted_pem(&read("keys/pemcosigneckey.key"), b"hello").unwrap_err();
    assert!(matches!(sec1, KeyError::UnsupportedKey { .. }), "{sec1}");
}

/// One layer from containers/image's on-disk form: 0x00 "sigstore-json\n" + JSON.
struct VectorSignature {
    media_type: String,
    payload: Vec<u8>,
    annotations: BTreeMap<String, String>,
}

fn vector_signature(path: &str) -> VectorSignature {
    let bytes = read(path);
    let json = bytes
        .strip_prefix(b"\x00sigstore-json\n")
        .expect("containers/image sigstore signature");
    let value: serde_json::Value = serde_json::from_slice(json).unwrap();
    VectorSignature {
        media_type: value["mimeType"].as_str().unwrap().to_owned(),
        payload: base64::engine::general_purpose::STANDARD
            .decode(value["payload"].as_str().unwrap())
            .unwrap(),
        annotations: serde_json::from_value(value["annotations"].clone()).unwrap(),
    }
}

fn check(dir: &str, signature: &str, key: &str) -> Result<serde_json::Value, Rejection> {
    let digest = Digest::sha256(&read(&format!("cosign/{dir}/manifest.json")));
    let key = VerifyingKey::from_pem(&String::from_utf8(read(&format!("cosign/{key}"))).unwrap())
        .unwrap();
    let sig = vector_signature(signature);
    check_signature_layer(
        SignatureLayer {
            media_type: &sig.media_type,
            payload: &sig.payload,
            annotations: &sig.annotations,
        },
        &key,
        &digest,
        &BTreeMap::new(),
    )
}

#[test]
fn containers_image_fixtures_verify_as_expected() {
    check(
        "dir-img-cosign-valid",
        "cosign/dir-img-cosign-valid/signature-1",
        "cosign.pub",
    )
    .unwrap();
    check(
        "dir-img-cosign-valid-2",
        "cosign/dir-img-cosign-valid-2/signature-1",
        "cosign.pub",
    )
    .unwrap();
    check(
        "dir-img-cosign-valid-2",
        "cosign/dir-img-cosign-valid-2/signature-2",
        "cosign.pub",
    )
    .unwrap();
    let with_tag = check(
        "dir-img-cosign-valid-with-tag",
        "cosign/dir-img-cosign-valid-with-tag/signature-1",
        "cosign.pub",
    )
    .unwrap();
    assert!(
        with_tag["optional"]["creator"].is_string(),
        "skopeo's optional fields are accepted"
    );

    // Mixed: the first signature is by another key, the second is good.
    let first = check(
        "dir-img-cosign-mixed",
        "cosign/dir-img-cosign-mixed/signature-1",
        "cosign.pub",
    )
    .unwrap_err();
    assert!(matches!(first, Rejection::BadSignature(_)), "{first}");
    check(
        "dir-img-cosign-mixed",
        "cosign/dir-img-cosign-mixed/signature-2",
        "cosign.pub",
    )
    .unwrap();

    let modified = check(
        "dir-img-cosign-modified-manifest",
        "cosign/dir-img-cosign-modified-manifest/signature-1",
        "cosign.pub",
    )
    .unwrap_err();
    assert!(
        matches!(modified, Rejection::OtherDigest { .. }),
        "{modified}"
    );
    let schema1 = check(
        "dir-img-cosign-manifest-digest-error",
        "cosign/dir-img-cosign-manifest-digest-error/signature-1",
        "cosign.pub",
    )
    .unwrap_err();
    assert!(
        matches!(schema1, Rejection::OtherDigest { .. }),
        "{schema1}"
    );
    let other = check(
        "dir-img-cosign-other-attachment",
        "cosign/dir-img-cosign-other-attachment/signature-1",
        "cosign.pub",
    )
    .unwrap_err();
    assert!(matches!(other, Rejection::WrongMediaType { .. }), "{other}");
    let unknown = check(
        "dir-img-cosign-valid",
        "cosign/unknown-cosign-key.signature",
        "cosign.pub",
    )
    .unwrap_err();
    assert!(matches!(unknown, Rejection::BadSignature(_)), "{unknown}");
    let wrong_key = check(
        "dir-img-cosign-valid",
        "cosign/dir-img-cosign-valid/signature-1",
        "cosign2.pub",
    )
    .unwrap_err();
    assert!(
        matches!(wrong_key, Rejection::BadSignature(_)),
        "{wrong_key}"
    );
}

#[test]
fn our_payload_is_byte_identical_to_cosigns() {
    let sig = vector_signature("cosign/dir-img-cosign-valid/signature-1");
    let value: serde_json::Value = serde_json::from_slice(&sig.payload).unwrap();
    let repository = value["critical"]["identity"]["docker-reference"]
        .as_str()
        .unwrap();
    let image: Reference = repository.parse().unwrap();
    let digest = Digest::sha256(&read("cosign/dir-img-cosign-valid/manifest.json"));
    assert_eq!(
        payload::simple_signing_payload(&image, &digest, &BTreeMap::new()),
        sig.payload
    );
}

#[test]
fn our_signature_image_is_byte_identical_to_cosigns() {
    let manifest_bytes = read("cosign/real-att/manifest.json");
    let raw = RawManifest::new(
        "application/vnd.oci.image.manifest.v1+json",
        manifest_bytes.clone(),
    );
    let Manifest::Image(manifest) = raw.decode().unwrap() else {
        panic!("an image manifest")
    };
    let layers: Vec<Layer> = manifest.layers.into_iter().map(Layer::from).collect();
    let config = payload::signature_config(&layers);
    assert_eq!(config, read("cosign/real-att/config.json"), "config blob");
    assert_eq!(
        payload::signature_manifest(&config, &layers),
        manifest_bytes,
        "manifest"
    );
}

#[test]
fn import_follows_cosigns_accept_and_reject_matrix() {
    for file in [
        "validrsa.key",
        "validrsapkcs1.key",
        "validrsapkcs8.key",
        "validecp256.key",
        "validecp384.key",
        "validecp521.key",
        "validecpkcs8.key",
        "ed25519.key",
    ] {
        let key = SigningKey::from_import_pem(&read(&format!("keys/import/{file}")))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        // Re-encoded as cosign does (encrypted PKCS#8), it loads again and signs verifiably.
        let pem = key.to_encrypted_pem(b"hello").unwrap();
        let again = SigningKey::from_encrypted_pem(pem.as_bytes(), b"hello").unwrap();
        let public = VerifyingKey::from_pem(&key.verifying_key().to_pem().unwrap()).unwrap();
        public
            .verify(b"message", &again.sign(b"message"))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert!(public.verify(b"other", &again.sign(b"message")).is_err());
    }
    for (file, words) in [
        ("invalidrsawithpubkey.key", "unsupported private key"),
        ("invalidrsasmallkey.key", "1024"),
        ("invalidrsalargekey.key", "5120"),
        ("invalidecp224.key", "P-256, P-384 and P-521"),
        ("invalidecunsupported.key", "ecdsa private key"),
        ("invalidkey.key", "pem"),
    ] {
        let error =
            SigningKey::from_import_pem(&read(&format!("keys/import/{file}"))).expect_err(file);
        assert!(error.to_string().contains(words), "{file}: {error}");
    }
}

#[test]
fn sigstore_rs_encrypted_rsa_and_ed25519_keys_load() {
    for file in [
        "keys/rsa_encrypted_private.key",
        "keys/ed25519_encrypted_private.key",
    ] {
        let key = SigningKey::from_encrypted_pem(&read(file), b"123")
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        key.verifying_key().verify(b"m", &key.sign(b"m")).unwrap();
    }
}
