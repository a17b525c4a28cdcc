//! One cosign signature layer (containers/image's JSON form: media type, base64 payload,
//! annotations) checked against a fixed key and image digest.
#![no_main]

use std::collections::BTreeMap;
use std::sync::LazyLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use supply_core::digest::Digest;
use supply_core::keys::VerifyingKey;
use supply_core::verify::check::{SignatureLayer, check_signature_layer};

static KEY: LazyLock<VerifyingKey> = LazyLock::new(|| {
    VerifyingKey::from_pem(include_str!("../../testdata/cosign/cosign.pub")).expect("test key")
});
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
    let required = BTreeMap::from([("k".to_owned(), "v".to_owned())]);
    for required in [&BTreeMap::new(), &required] {
        let layer = SignatureLayer {
            media_type: &media_type,
            payload: &payload,
            annotations: &annotations,
        };
        let _ = check_signature_layer(layer, &KEY, &DIGEST, required);
    }
});
