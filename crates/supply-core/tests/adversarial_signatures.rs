//! Forged, replayed, edited and malformed signature layers: each is rejected, with a reason
//! a user can read. (Registry-level attacks are in tests/it/signing.rs.)
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::Digest as _;
use supply_core::digest::Digest;
use supply_core::keys::SigningKey;
use supply_core::oci::Reference;
use supply_core::sign::payload::{
    SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE, simple_signing_payload,
};
use supply_core::verify::check::{Rejection, SignatureLayer, check_signature_layer};

struct Case {
    media_type: String,
    payload: Vec<u8>,
    annotations: BTreeMap<String, String>,
    image_digest: Digest,
    required: BTreeMap<String, String>,
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn key() -> &'static SigningKey {
    static KEY: std::sync::OnceLock<SigningKey> = std::sync::OnceLock::new();
    KEY.get_or_init(SigningKey::generate)
}

/// A valid layer for `sha256("image")`, signed with `key()`, carrying annotation team=a.
fn valid() -> Case {
    let image: Reference = "registry.example/team/app:v1".parse().unwrap();
    let image_digest = Digest::sha256(b"image");
    let signed = BTreeMap::from([("team".to_owned(), "a".to_owned())]);
    let payload = simple_signing_payload(&image, &image_digest, &signed);
    let signature = b64(&key().sign(&payload));
    Case {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
        annotations: BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), signature)]),
        payload,
        image_digest,
        required: BTreeMap::new(),
    }
}

fn run(case: &Case) -> Result<serde_json::Value, Rejection> {
    check_signature_layer(
        SignatureLayer {
            media_type: &case.media_type,
            payload: &case.payload,
            annotations: &case.annotations,
        },
        &key().verifying_key(),
        &case.image_digest,
        &case.required,
    )
}

fn resign(case: &mut Case) {
    case.annotations
        .insert(SIGNATURE_ANNOTATION.into(), b64(&key().sign(&case.payload)));
}

macro_rules! rejected {
    ($name:ident, $mutate:expr, $pattern:pat, $words:expr) => {
        #[test]
        fn $name() {
            let mut case = valid();
            run(&case).expect("the unmodified layer verifies");
            #[allow(clippy::redundant_closure_call)]
            ($mutate)(&mut case);
            let rejection = run(&case).expect_err("must be rejected");
            assert!(matches!(rejection, $pattern), "{rejection:?}");
            let message = rejection.to_string();
            assert!(
                message.contains($words),
                "reason {message:?} should mention {:?}",
                $words
            );
        }
    };
}

rejected!(
    wrong_key,
    |c: &mut Case| {
        let other = SigningKey::generate();
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), b64(&other.sign(&c.payload)));
    },
    Rejection::BadSignature(_),
    "not made by this key"
);

rejected!(
    payload_replayed_for_another_image,
    |c: &mut Case| {
        c.image_digest = Digest::sha256(b"another image");
    },
    Rejection::OtherDigest { .. },
    "not this image"
);

rejected!(
    payload_edited_after_signing,
    |c: &mut Case| {
        c.payload = String::from_utf8(c.payload.clone())
            .unwrap()
            .replace("team/app", "team/evil")
            .into_bytes();
    },
    Rejection::BadSignature(_),
    "signature"
);

rejected!(
    signature_moved_from_another_layer,
    |c: &mut Case| {
        let other = valid();
        let mut moved = other.payload.clone();
        moved.extend_from_slice(b" ");
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), b64(&key().sign(&moved)));
    },
    Rejection::BadSignature(_),
    "signature"
);

rejected!(
    malformed_base64,
    |c: &mut Case| {
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), "not base64 !!".into());
    },
    Rejection::MalformedSignature,
    "base64"
);

rejected!(
    truncated_der,
    |c: &mut Case| {
        let der = key().sign(&c.payload);
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), b64(&der[..der.len() - 3]));
    },
    Rejection::BadSignature(_),
    "DER"
);

rejected!(
    signature_over_the_payload_hash,
    |c: &mut Case| {
        let hash = sha2::Sha256::digest(&c.payload);
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), b64(&key().sign(&hash)));
    },
    Rejection::BadSignature(_),
    "signature"
);

rejected!(
    wrong_payload_type,
    |c: &mut Case| {
        c.payload = String::from_utf8(c.payload.clone())
            .unwrap()
            .replace(
                "cosign container image signature",
                "atomic container signature",
            )
            .into_bytes();
        resign(c);
    },
    Rejection::WrongPayloadType { .. },
    "atomic container signature"
);

rejected!(
    wrong_layer_media_type,
    |c: &mut Case| {
        c.media_type = "text/plain".into();
    },
    Rejection::WrongMediaType { .. },
    "text/plain"
);

rejected!(
    missing_signature_annotation,
    |c: &mut Case| {
        c.annotations.clear();
    },
    Rejection::MissingSignature,
    "no signature"
);

rejected!(
    empty_signature_annotation,
    |c: &mut Case| {
        c.annotations
            .insert(SIGNATURE_ANNOTATION.into(), String::new());
    },
    Rejection::MissingSignature,
    "no signature"
);

rejected!(
    required_annotation_missing,
    |c: &mut Case| {
        c.required.insert("env".into(), "prod".into());
    },
    Rejection::AnnotationMissing { .. },
    "env"
);

rejected!(
    required_annotation_differs,
    |c: &mut Case| {
        c.required.insert("team".into(), "b".into());
    },
    Rejection::AnnotationDiffers { .. },
    "team"
);

rejected!(
    payload_not_json,
    |c: &mut Case| {
        c.payload = b"\x00\x01 binary".to_vec();
        resign(c);
    },
    Rejection::PayloadNotJson,
    "JSON"
);

rejected!(
    malformed_signed_digest,
    |c: &mut Case| {
        let hex = c.image_digest.hex().to_owned();
        c.payload = String::from_utf8(c.payload.clone())
            .unwrap()
            .replace(&hex, &hex.to_uppercase())
            .into_bytes();
        resign(c);
    },
    Rejection::OtherDigest { .. },
    "not this image"
);

rejected!(
    empty_payload,
    |c: &mut Case| {
        c.payload = Vec::new();
        resign(c);
    },
    Rejection::PayloadNotJson,
    "JSON"
);

#[test]
fn valid_layer_returns_the_signed_payload() {
    let case = valid();
    let payload = run(&case).unwrap();
    assert_eq!(
        payload["critical"]["image"]["docker-manifest-digest"],
        case.image_digest.to_string()
    );
    assert_eq!(payload["optional"]["team"], "a");
}
