//! cosign's attachments to an image, on the registry: the `sha256-<hex>.sig` / `.att` images
//! (read, read-modify-write with a new layer), their payloads fetched within bounds (`fetch`),
//! and the listing of everything attached (tags and OCI 1.1 referrers). Signing, attesting and
//! verifying all go through here; the byte formats themselves are pure and live in
//! `sign::payload`.

pub mod fetch;
pub mod referrers;

use serde::Serialize;

pub use fetch::{FetchLimits, Unusable};

use crate::digest::Digest;
use crate::oci::api::{self, Attachment};
use crate::oci::manifest::OCI_MANIFEST;
use crate::oci::{
    Descriptor, Manifest, RawManifest, Reference, ReferenceError, RegistryClient, RegistryError,
};
use crate::sign::payload::{self, Layer};
use crate::verify::finding::Code;

/// cosign refuses signature images with more layers than this; so do we.
pub const MAX_LAYERS: usize = 1000;

/// Reading or writing an attachment image failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttachError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// No tag can name the attachment (a sha512 digest).
    #[error(transparent)]
    Reference(#[from] ReferenceError),
    /// The existing tag is not an attachment image we can add to.
    #[error("{reference} is not a cosign signature or attestation image: {reason}")]
    NotAnAttachmentImage {
        /// The tag.
        reference: Box<Reference>,
        /// Why.
        reason: String,
    },
}

impl crate::error::Classify for AttachError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Reference(e) => e.kind(),
            Self::NotAnAttachmentImage { .. } => crate::ErrorKind::InvalidInput,
        }
    }
}

impl From<crate::blocking::BlockingError> for AttachError {
    fn from(error: crate::blocking::BlockingError) -> Self {
        Self::Registry(error.into())
    }
}

/// An attachment image found for an image digest: its layers, not yet fetched.
#[derive(Clone, Debug)]
pub struct Attached {
    /// The image digest (the tag resolved once).
    pub digest: Digest,
    /// The `sha256-<hex>.<suffix>` tag.
    pub reference: Reference,
    /// The layers; `Err` when the tag itself is unusable (missing, an index, too many layers),
    /// with the finding's code and message.
    pub layers: Result<Vec<Descriptor>, (Code, String)>,
}

/// Resolves the image once and reads its `kind` attachment's manifest. A missing or unusable
/// tag is data (`layers: Err`); a registry failure is `Err`: nothing was decided.
pub async fn read(
    client: &RegistryClient,
    image: &Reference,
    kind: Attachment,
) -> Result<Attached, AttachError> {
    let digest = client.resolve(image).await?;
    let reference = api::attachment_reference(image, &digest, kind)?;
    let noun = noun(kind);
    let layers = match client.manifest(&reference).await {
        Ok(raw) => match raw.decode() {
            Ok(Manifest::Image(manifest)) if manifest.layers.len() > MAX_LAYERS => Err((
                Code::TooManyLayers,
                format!(
                    "the {noun} image has {} layers, over cosign's limit of {MAX_LAYERS}",
                    manifest.layers.len()
                ),
            )),
            Ok(Manifest::Image(manifest)) => Ok(manifest.layers),
            Ok(Manifest::Index(_)) => Err((
                Code::AttachmentNotAnImage,
                format!("the {noun} tag holds an index, not a cosign {noun} image"),
            )),
            Err(e) => Err((
                Code::AttachmentMalformed,
                format!("the {noun} tag holds no valid manifest: {e}"),
            )),
        },
        Err(e) if e.is_not_found() => Err((
            match kind {
                Attachment::Attestation => Code::NoAttestations,
                Attachment::Signature | Attachment::Sbom => Code::NoSignatures,
            },
            format!("no {noun}s found ({reference} does not exist)"),
        )),
        Err(e) => return Err(e.into()),
    };
    Ok(Attached {
        digest,
        reference,
        layers,
    })
}

/// The layers of the existing attachment image at `reference`, or none when the tag does not
/// exist (the start of a read-modify-write).
pub async fn existing_layers(
    client: &RegistryClient,
    reference: &Reference,
) -> Result<Vec<Layer>, AttachError> {
    let raw = match client.manifest(reference).await {
        Ok(raw) => raw,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let not_attachment = |reason: String| AttachError::NotAnAttachmentImage {
        reference: Box::new(reference.clone()),
        reason,
    };
    match raw.decode() {
        Ok(Manifest::Image(manifest)) if manifest.layers.len() < MAX_LAYERS => {
            Ok(manifest.layers.into_iter().map(Layer::from).collect())
        }
        Ok(Manifest::Image(_)) => Err(not_attachment(format!(
            "it has {MAX_LAYERS} layers or more"
        ))),
        Ok(Manifest::Index(_)) => Err(not_attachment("it is an index".into())),
        Err(e) => Err(not_attachment(e.to_string())),
    }
}

/// Writes an attachment image with these layers (whose blobs are already pushed) under
/// `reference`, config and manifest exactly as cosign writes them.
pub async fn write(
    client: &RegistryClient,
    reference: &Reference,
    layers: &[Layer],
) -> Result<(), AttachError> {
    let config = payload::signature_config(layers);
    let manifest = payload::signature_manifest(&config, layers);
    client.push_blob(reference, config).await?;
    client
        .push_manifest(reference, &RawManifest::new(OCI_MANIFEST, manifest))
        .await?;
    Ok(())
}

/// Everything found attached to one image digest.
#[derive(Clone, Debug, Serialize)]
pub struct Attachments {
    /// The image.
    pub image: String,
    /// Its manifest digest.
    pub digest: Digest,
    /// cosign's tag-based attachments that exist, with their manifests' layers.
    pub tags: Vec<TaggedAttachment>,
    /// OCI 1.1 referrers (from the API or the fallback tag).
    pub referrers: Vec<Descriptor>,
    /// Whether the registry has the referrers API (else the fallback tag was read).
    pub referrers_api: bool,
}

/// A `sha256-<hex>.<suffix>` tag that exists.
#[derive(Clone, Debug, Serialize)]
pub struct TaggedAttachment {
    /// `signature`, `attestation` or `sbom`.
    pub kind: &'static str,
    /// The full reference of the tag.
    pub reference: String,
    /// Its manifest digest.
    pub digest: Digest,
    /// Its layers (one per signature, attestation or SBOM).
    pub layers: Vec<Descriptor>,
}

/// Everything attached to the image: cosign tags and referrers.
pub async fn list(client: &RegistryClient, image: &Reference) -> Result<Attachments, AttachError> {
    let digest = client.resolve(image).await?;
    let mut tags = Vec::new();
    for kind in [
        Attachment::Signature,
        Attachment::Attestation,
        Attachment::Sbom,
    ] {
        let tag = api::attachment_reference(image, &digest, kind)?;
        match client.manifest(&tag).await {
            Ok(raw) => {
                let layers = match raw.decode() {
                    Ok(Manifest::Image(manifest)) => manifest.layers,
                    Ok(Manifest::Index(_)) => Vec::new(),
                    Err(source) => {
                        return Err(RegistryError::Manifest {
                            what: tag.to_string(),
                            source,
                        }
                        .into());
                    }
                };
                tags.push(TaggedAttachment {
                    kind: noun(kind),
                    reference: tag.to_string(),
                    digest: raw.digest,
                    layers,
                });
            }
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    let (referrers, referrers_api) = client.referrers(image, &digest, None).await?;
    Ok(Attachments {
        image: image.to_string(),
        digest,
        tags,
        referrers,
        referrers_api,
    })
}

fn noun(kind: Attachment) -> &'static str {
    match kind {
        Attachment::Signature => "signature",
        Attachment::Attestation => "attestation",
        Attachment::Sbom => "sbom",
    }
}
