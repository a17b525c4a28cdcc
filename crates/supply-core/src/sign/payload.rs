//! cosign's simple-signing payload and signature image, byte for byte as cosign (Go
//! `encoding/json`, go-containerregistry) writes them: no whitespace, fixed field order,
//! sorted map keys, and Go's escaping of `<`, `>`, `&`, U+2028, U+2029.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::digest::Digest;
use crate::oci::Reference;
use crate::oci::reference::DOCKER_HUB;

/// The only `critical.type` cosign accepts.
pub const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
/// Layer media type of a signature payload.
pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// Annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
/// Config media type of cosign's signature image.
pub const CONFIG_MEDIA_TYPE: &str = "application/vnd.oci.image.config.v1+json";

/// The `docker-reference` cosign writes: the repository as go-containerregistry names it
/// (Docker Hub becomes `index.docker.io`), no tag, no digest.
pub fn docker_reference(image: &Reference) -> String {
    let registry = if image.registry() == DOCKER_HUB {
        "index.docker.io"
    } else {
        image.registry()
    };
    format!("{registry}/{}", image.repository())
}

/// The payload cosign signs for `digest` of `image`, with `-a` annotations in `optional`.
pub fn simple_signing_payload(
    image: &Reference,
    digest: &Digest,
    annotations: &BTreeMap<String, String>,
) -> Vec<u8> {
    let mut out = String::from(r#"{"critical":{"identity":{"docker-reference":"#);
    push_go_string(&mut out, &docker_reference(image));
    out.push_str(r#"},"image":{"docker-manifest-digest":"#);
    push_go_string(&mut out, &digest.to_string());
    out.push_str(r#"},"type":"#);
    push_go_string(&mut out, SIMPLE_SIGNING_TYPE);
    out.push_str(r#"},"optional":"#);
    if annotations.is_empty() {
        out.push_str("null");
    } else {
        push_go_map(&mut out, annotations);
    }
    out.push('}');
    out.into_bytes()
}

/// One layer of a signature image.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Layer {
    /// Media type.
    pub media_type: String,
    /// Blob size.
    pub size: u64,
    /// Blob digest.
    pub digest: Digest,
    /// Annotations (signature, certificate, bundle…).
    pub annotations: BTreeMap<String, String>,
}

impl From<crate::oci::Descriptor> for Layer {
    fn from(descriptor: crate::oci::Descriptor) -> Self {
        Self {
            media_type: descriptor.media_type,
            size: descriptor.size,
            digest: descriptor.digest,
            annotations: descriptor.annotations,
        }
    }
}

/// The config blob of a signature image with these layers (an empty image with zero times,
/// one history entry and one diff id per layer; uncompressed, so diff id = layer digest).
pub fn signature_config(layers: &[Layer]) -> Vec<u8> {
    let mut out =
        String::from(r#"{"architecture":"","created":"0001-01-01T00:00:00Z","history":["#);
    for i in 0..layers.len() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(r#"{"created":"0001-01-01T00:00:00Z"}"#);
    }
    out.push_str(r#"],"os":"","rootfs":{"type":"layers","diff_ids":["#);
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_go_string(&mut out, &layer.digest.to_string());
    }
    out.push_str(r#"]},"config":{}}"#);
    out.into_bytes()
}

/// The signature image manifest (OCI media types, go-containerregistry field order).
pub fn signature_manifest(config: &[u8], layers: &[Layer]) -> Vec<u8> {
    let mut out = String::from(
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#,
    );
    push_descriptor(
        &mut out,
        CONFIG_MEDIA_TYPE,
        config.len() as u64,
        &Digest::sha256(config),
        &BTreeMap::new(),
    );
    out.push_str(r#","layers":["#);
    for (i, layer) in layers.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_descriptor(
            &mut out,
            &layer.media_type,
            layer.size,
            &layer.digest,
            &layer.annotations,
        );
    }
    out.push_str("]}");
    out.into_bytes()
}

fn push_descriptor(
    out: &mut String,
    media_type: &str,
    size: u64,
    digest: &Digest,
    annotations: &BTreeMap<String, String>,
) {
    out.push_str(r#"{"mediaType":"#);
    push_go_string(out, media_type);
    let _ = write!(out, r#","size":{size},"digest":"#);
    push_go_string(out, &digest.to_string());
    if !annotations.is_empty() {
        out.push_str(r#","annotations":"#);
        push_go_map(out, annotations);
    }
    out.push('}');
}

fn push_go_map(out: &mut String, map: &BTreeMap<String, String>) {
    out.push('{');
    for (i, (key, value)) in map.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_go_string(out, key);
        out.push(':');
        push_go_string(out, value);
    }
    out.push('}');
}

/// A JSON string as Go's `encoding/json` writes it (HTML-safe escaping).
fn push_go_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_matches_cosign_bytes() {
        let image: Reference = "192.168.64.2:5000/cosign-signed-single-sample:latest"
            .parse()
            .unwrap();
        let digest: Digest =
            "sha256:0fa2fd82d9e26f8537cc33466e5d1f4b8f7c5a1a6ab69e0b3d8d9bfd2f0f4a7b"
                .parse()
                .unwrap();
        let payload =
            String::from_utf8(simple_signing_payload(&image, &digest, &BTreeMap::new())).unwrap();
        assert_eq!(
            payload,
            r#"{"critical":{"identity":{"docker-reference":"192.168.64.2:5000/cosign-signed-single-sample"},"image":{"docker-manifest-digest":"sha256:0fa2fd82d9e26f8537cc33466e5d1f4b8f7c5a1a6ab69e0b3d8d9bfd2f0f4a7b"},"type":"cosign container image signature"},"optional":null}"#
        );
        let hub: Reference = "alpine".parse().unwrap();
        let annotations = BTreeMap::from([
            ("z".to_owned(), "<&>".to_owned()),
            ("a".to_owned(), "1".to_owned()),
        ]);
        let payload =
            String::from_utf8(simple_signing_payload(&hub, &digest, &annotations)).unwrap();
        assert!(payload.contains(r#""docker-reference":"index.docker.io/library/alpine""#));
        assert!(
            payload.ends_with(r#""optional":{"a":"1","z":"\u003c\u0026\u003e"}}"#),
            "{payload}"
        );
    }

    #[test]
    fn config_for_two_layers() {
        let layer = |bytes: &[u8]| Layer {
            media_type: SIMPLE_SIGNING_MEDIA_TYPE.into(),
            size: bytes.len() as u64,
            digest: Digest::sha256(bytes),
            annotations: BTreeMap::new(),
        };
        let config = String::from_utf8(signature_config(&[layer(b"a"), layer(b"b")])).unwrap();
        assert!(config.starts_with(r#"{"architecture":"","created":"0001-01-01T00:00:00Z","history":[{"created":"0001-01-01T00:00:00Z"},{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:"#));
        assert!(config.ends_with(r#""]},"config":{}}"#));
    }
}
