//! One cosign signature layer (containers/image's JSON form: media type, base64 payload,
//! annotations) checked against a fixed key and image digest: as given, and again signed by
//! that key, so the payload checks behind the signature are reached by every mutation. The
//! key is Ed25519 (tens of microseconds a verification; a P-256 one costs a millisecond here,
//! which would leave the target at a few hundred inputs a second).
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use supply_core::digest::Digest;
use supply_core::keys::{SigningKey, VerifyingKey};
use supply_core::sign::payload::SIGNATURE_ANNOTATION;
use supply_core::verify::check::{SignatureLayer, check_signature_layer};

static SIGNER: LazyLock<SigningKey> = LazyLock::new(|| {
    SigningKey::from_import_pem(include_bytes!("../../testdata/keys/import/ed25519.key"))
        .expect("test key")
});
static KEY: LazyLock<VerifyingKey> = LazyLock::new(|| SIGNER.verifying_key());
/// The digest of testdata/cosign/dir-img-cosign-valid/manifest.json, so its signature passes.
static DIGEST: LazyLock<Digest> = LazyLock::new(|| {
    "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
        .parse()
        .expect("digest")
});

/// containers/image's on-disk signature: `{"mimeType", "payload" (base64), "annotations"}`.
#[derive(serde::Deserialize)]
struct Layer {
    #[serde(rename = "mimeType")]
    media_type: String,
    payload: String,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(Layer {
        media_type,
        payload,
        annotations,
    }) = serde_json::from_slice(data)
    else {
        return;
    };
    let Ok(payload) = base64::engine::general_purpose::STANDARD.decode(payload) else {
        return;
    };
    let mut signed = annotations.clone();
    let signature = base64::engine::general_purpose::STANDARD.encode(SIGNER.sign(&payload));
    signed.insert(SIGNATURE_ANNOTATION.to_owned(), signature);
    let required = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    for (annotations, required) in [
        (&annotations, &BTreeMap::new()),
        (&signed, &BTreeMap::new()),
        (&signed, &required),
    ] {
        let layer = SignatureLayer {
            media_type: &media_type,
            payload: &payload,
            annotations,
        };
        let _ = check_signature_layer(layer, &KEY, &DIGEST, required);
    }
});
