//! OCI and Docker manifests, indexes and descriptors, decoded from bytes we have already
//! digest-checked. The raw bytes are kept: a manifest's identity is the digest of its exact
//! bytes, so we never re-serialize one we did not write.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI empty descriptor media type (artifacts without a config).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// The `Accept` header for manifest requests: every kind we read.
pub const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json";

/// A content descriptor.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes of the referenced content.
    pub size: u64,
    /// Artifact type, for artifacts and referrers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform of an index entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

/// The platform of an index entry.
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
pub struct Platform {
    /// CPU architecture (`amd64`, `arm64`).
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// CPU variant (`v8`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An image manifest (OCI or Docker schema 2: the same shape).
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImageManifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Artifact type (OCI 1.1 artifacts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    /// The config blob.
    pub config: Descriptor,
    /// Layer blobs.
    #[serde(default)]
    pub layers: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 referrers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (OCI) or manifest list (Docker).
#[derive(Clone, Debug, Deserialize, Eq, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// The index's own media type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// The manifests listed.
    #[serde(default)]
    pub manifests: Vec<Descriptor>,
    /// Annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Index {
    /// An OCI index listing nothing.
    pub fn empty() -> Self {
        Self {
            schema_version: 2,
            media_type: Some(OCI_INDEX.to_owned()),
            manifests: Vec::new(),
            annotations: BTreeMap::new(),
        }
    }
}

/// A decoded manifest of either kind.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Manifest {
    /// An image manifest.
    Image(Box<ImageManifest>),
    /// An index or manifest list.
    Index(Index),
}

/// Manifest bytes as the registry served them, with their verified digest and media type.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct RawManifest {
    /// Media type (from the document, else the `Content-Type` header).
    pub media_type: String,
    /// SHA-256 of `bytes`.
    pub digest: Digest,
    /// The exact bytes.
    pub bytes: Vec<u8>,
}

/// Bytes that are not a manifest we read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// Not JSON of the expected shape.
    #[error("malformed {media_type} manifest: {source}")]
    Malformed {
        /// The media type it claimed.
        media_type: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A media type we do not read (e.g. Docker schema 1).
    #[error("unsupported manifest media type {media_type:?}")]
    UnsupportedMediaType {
        /// The media type.
        media_type: String,
    },
}

impl crate::error::Classify for ManifestError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Malformed { .. } => crate::ErrorKind::InvalidInput,
            Self::UnsupportedMediaType { .. } => crate::ErrorKind::Unsupported,
        }
    }
}

impl RawManifest {
    /// Wraps bytes we are about to push.
    pub fn new(media_type: &str, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest: Digest::sha256(&bytes),
            bytes,
        }
    }

    /// Decodes the manifest. The media type inside the document wins over the header's.
    pub fn decode(&self) -> Result<Manifest, ManifestError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Probe {
            media_type: Option<String>,
            manifests: Option<serde::de::IgnoredAny>,
        }
        let malformed = |source| ManifestError::Malformed {
            media_type: self.media_type.clone(),
            source,
        };
        let probe: Probe = serde_json::from_slice(&self.bytes).map_err(malformed)?;
        let media_type = probe.media_type.as_deref().unwrap_or(&self.media_type);
        match media_type {
            OCI_MANIFEST | DOCKER_MANIFEST => serde_json::from_slice(&self.bytes)
                .map(Manifest::Image)
                .map_err(malformed),
            OCI_INDEX | DOCKER_MANIFEST_LIST => serde_json::from_slice(&self.bytes)
                .map(Manifest::Index)
                .map_err(malformed),
            // Some registries answer with a generic type; the shape then decides.
            "" | "application/json" | "application/octet-stream" => match probe.manifests {
                Some(_) => serde_json::from_slice(&self.bytes)
                    .map(Manifest::Index)
                    .map_err(malformed),
                None => serde_json::from_slice(&self.bytes)
                    .map(Manifest::Image)
                    .map_err(malformed),
            },
            other => Err(ManifestError::UnsupportedMediaType {
                media_type: other.to_owned(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_image_and_index_by_media_type() {
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"a","digest":"sha256:{0}","size":1}},"layers":[]}}"#,
            "0".repeat(64)
        );
        let raw = RawManifest::new("application/json", image.into_bytes());
        assert!(matches!(raw.decode().unwrap(), Manifest::Image(_)));
        let index = br#"{"schemaVersion":2,"manifests":[]}"#.to_vec();
        assert!(matches!(
            RawManifest::new(OCI_INDEX, index).decode().unwrap(),
            Manifest::Index(_)
        ));
        let schema1 = br#"{"schemaVersion":1,"mediaType":"application/vnd.docker.distribution.manifest.v1+prettyjws"}"#;
        assert!(matches!(
            RawManifest::new("", schema1.to_vec()).decode(),
            Err(ManifestError::UnsupportedMediaType { .. })
        ));
        assert!(
            RawManifest::new(OCI_MANIFEST, b"{".to_vec())
                .decode()
                .is_err()
        );
    }
}
