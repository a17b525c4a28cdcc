//! cosign v3's attachments: Sigstore bundles stored as OCI 1.1 referrers of the image (an
//! artifact manifest with an empty config, one bundle layer, `subject` set), found through the
//! referrers API or, on registries without it, the `sha256-<hex>` fallback index, which writing
//! keeps up to date. Bundle layers are recognised by their layer media type, never by the index
//! entry's `artifactType` (registries rewrite it).

use std::collections::BTreeMap;

use super::fetch::{FetchLimits, for_each_payload};
use super::{AttachError, Unusable};
use crate::digest::Digest;
use crate::oci::api;
use crate::oci::manifest::{OCI_EMPTY, OCI_INDEX, OCI_MANIFEST};
use crate::oci::{
    Descriptor, ImageManifest, Index, Manifest, RawManifest, Reference, RegistryClient,
    RegistryError,
};

/// The bundle media type cosign v3 writes.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// Layer media types that are Sigstore bundles start with this.
pub const BUNDLE_MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// Annotation naming the bundle's content (`dsse-envelope`, `message-signature`).
pub const BUNDLE_CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
/// Annotation naming the statement's predicate type.
pub const BUNDLE_PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";
/// The referrers of one image considered at most (each costs a manifest read).
pub const MAX_REFERRERS: usize = 128;

/// One bundle found attached to an image: its layer and the payload (or why not usable).
pub type BundleLayer = (Descriptor, Result<Vec<u8>, Unusable>);

/// Every Sigstore bundle layer among the image's referrers, fetched within `limits`.
pub async fn read_bundles(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    limits: FetchLimits,
) -> Result<Vec<BundleLayer>, AttachError> {
    let (referrers, _) = client.referrers(image, digest, None).await?;
    let mut layers = Vec::new();
    for referrer in referrers.iter().take(MAX_REFERRERS) {
        if referrer.size > crate::oci::MAX_MANIFEST_BYTES {
            continue;
        }
        let manifest = match client
            .manifest(&image.with_digest(referrer.digest.clone()))
            .await
        {
            Ok(raw) => raw,
            // A referrer that vanished or lies about its digest carries nothing we can use.
            Err(RegistryError::NotFound { .. } | RegistryError::DigestMismatch { .. }) => continue,
            Err(e) => return Err(e.into()),
        };
        if let Ok(Manifest::Image(manifest)) = manifest.decode()
            && manifest
                .subject
                .as_ref()
                .is_some_and(|s| s.digest == *digest)
        {
            layers.extend(
                manifest
                    .layers
                    .into_iter()
                    .filter(|l| l.media_type.starts_with(BUNDLE_MEDIA_TYPE_PREFIX)),
            );
        }
    }
    let fetched = for_each_payload(client, image, &layers, limits, |indexes, payload| {
        indexes
            .iter()
            .map(|&i| (i, payload.clone().map(<[u8]>::to_vec)))
            .collect()
    })
    .await?;
    Ok(fetched
        .into_iter()
        .filter_map(|(i, payload)| Some((layers.get(i)?.clone(), payload)))
        .collect())
}

/// Pushes `bundle` as a referrer of the image at `subject` (cosign v3's layout) and, when the
/// registry has no referrers API, adds it to the fallback index. Returns the referrer's
/// reference (by digest).
pub async fn write_bundle(
    client: &RegistryClient,
    image: &Reference,
    subject: &Descriptor,
    bundle: Vec<u8>,
    predicate_type: &str,
    content: &str,
) -> Result<Reference, AttachError> {
    let config = b"{}".to_vec();
    let config_digest = client.push_blob(image, config.clone()).await?;
    let layer_size = bundle.len() as u64;
    let layer_digest = client.push_blob(image, bundle).await?;
    let annotations = BTreeMap::from([
        (BUNDLE_CONTENT_ANNOTATION.to_owned(), content.to_owned()),
        (
            BUNDLE_PREDICATE_TYPE_ANNOTATION.to_owned(),
            predicate_type.to_owned(),
        ),
    ]);
    let manifest = ImageManifest {
        schema_version: 2,
        media_type: Some(OCI_MANIFEST.to_owned()),
        artifact_type: Some(BUNDLE_V03_MEDIA_TYPE.to_owned()),
        config: Descriptor {
            media_type: OCI_EMPTY.to_owned(),
            digest: config_digest,
            size: config.len() as u64,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
        },
        layers: vec![Descriptor {
            media_type: BUNDLE_V03_MEDIA_TYPE.to_owned(),
            digest: layer_digest,
            size: layer_size,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
        }],
        subject: Some(Descriptor {
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
            ..subject.clone()
        }),
        annotations: annotations.clone(),
    };
    let bytes = serde_json::to_vec(&manifest).map_err(|e| RegistryError::Protocol {
        registry: image.registry().to_owned(),
        message: format!("cannot encode the referrer manifest: {e}"),
    })?;
    let raw = RawManifest::new(OCI_MANIFEST, bytes);
    let reference = image.with_digest(raw.digest.clone());
    client.push_manifest(&reference, &raw).await?;
    let (_, has_api) = client.referrers(image, &subject.digest, None).await?;
    if !has_api {
        add_to_fallback_index(client, image, &subject.digest, &raw, annotations).await?;
    }
    Ok(reference)
}

/// Appends the referrer to the `sha256-<hex>` index (read, add unless present, write).
async fn add_to_fallback_index(
    client: &RegistryClient,
    image: &Reference,
    subject: &Digest,
    referrer: &RawManifest,
    annotations: BTreeMap<String, String>,
) -> Result<(), AttachError> {
    let tag = api::fallback_reference(image, subject)?;
    let mut index = match client.manifest(&tag).await {
        Ok(raw) => match raw.decode() {
            Ok(Manifest::Index(index)) => index,
            _ => Index::empty(),
        },
        Err(e) if e.is_not_found() => Index::empty(),
        Err(e) => return Err(e.into()),
    };
    if index.manifests.iter().any(|d| d.digest == referrer.digest) {
        return Ok(());
    }
    index.manifests.push(Descriptor {
        media_type: OCI_MANIFEST.to_owned(),
        digest: referrer.digest.clone(),
        size: referrer.bytes.len() as u64,
        artifact_type: Some(BUNDLE_V03_MEDIA_TYPE.to_owned()),
        annotations,
        platform: None,
    });
    index.manifests.sort_by(|a, b| a.digest.cmp(&b.digest));
    let bytes = serde_json::to_vec(&index).map_err(|e| RegistryError::Protocol {
        registry: image.registry().to_owned(),
        message: format!("cannot encode the referrers index: {e}"),
    })?;
    client
        .push_manifest(&tag, &RawManifest::new(OCI_INDEX, bytes))
        .await?;
    Ok(())
}
