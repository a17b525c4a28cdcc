//! Signing images and blobs with a key, stored the way cosign stores them: a simple-signing
//! payload as one layer of the `sha256-<hex>.sig` image, its base64 DER signature in the
//! `dev.cosignproject.cosign/signature` annotation.

pub mod payload;

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::ErrorKind;
use crate::digest::Digest;
use crate::keys::{KeyError, SigningKey};
use crate::oci::api::{self, Attachment};
use crate::oci::manifest::OCI_MANIFEST;
use crate::oci::{Manifest, RawManifest, Reference, RegistryClient, RegistryError};
use payload::{Layer, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

/// cosign refuses signature images with more layers than this; so do we.
pub const MAX_SIGNATURE_LAYERS: usize = 1000;

/// Signing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The key failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// No reference can name where the signature goes.
    #[error(transparent)]
    Reference(#[from] crate::oci::ReferenceError),
    /// The existing `.sig` tag is not a signature image we can add to.
    #[error("{reference} is not a cosign signature image: {reason}")]
    NotASignatureImage {
        /// The tag.
        reference: String,
        /// Why.
        reason: String,
    },
}

impl SignError {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Key(e) => e.kind(),
            Self::Reference(e) => e.kind(),
            Self::NotASignatureImage { .. } => ErrorKind::InvalidInput,
        }
    }
}

/// What signing one manifest did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Signed {
    /// The signed manifest's digest.
    pub digest: Digest,
    /// The `.sig` tag written.
    pub signature_reference: String,
    /// False when an identical signature by the same key was already there.
    pub added: bool,
}

/// Base64 of the DER signature over `bytes`, as `cosign sign-blob` prints it.
pub fn sign_blob(key: &SigningKey, bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key.sign(bytes))
}

/// Signs the image (its tag resolved once to a digest); with `recursive`, an index's child
/// manifests too. Returns one entry per manifest signed.
pub async fn sign_image(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    annotations: &BTreeMap<String, String>,
    recursive: bool,
) -> Result<Vec<Signed>, SignError> {
    let digest = client.resolve(image).await?;
    let mut digests = vec![digest.clone()];
    if recursive {
        let raw = client.manifest(&image.with_digest(digest.clone())).await?;
        if let Ok(Manifest::Index(index)) = raw.decode() {
            digests.extend(index.manifests.into_iter().map(|d| d.digest));
        }
    }
    let mut signed = Vec::with_capacity(digests.len());
    for digest in digests {
        signed.push(sign_digest(client, image, &digest, key, annotations).await?);
    }
    Ok(signed)
}

/// Appends one signature layer for `digest` to its `.sig` image (read-modify-write).
async fn sign_digest(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    key: &SigningKey,
    annotations: &BTreeMap<String, String>,
) -> Result<Signed, SignError> {
    let payload = payload::simple_signing_payload(image, digest, annotations);
    let payload_digest = Digest::sha256(&payload);
    let signature = sign_blob(key, &payload);
    let sig_reference = api::attachment_reference(image, digest, Attachment::Signature)?;
    let mut layers = existing_layers(client, &sig_reference).await?;
    let public = key.verifying_key();
    // cosign's duplicate check: the same payload already signed by this key.
    let duplicate = layers.iter().any(|layer| {
        layer.digest == payload_digest
            && layer
                .annotations
                .get(SIGNATURE_ANNOTATION)
                .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                .is_some_and(|der| public.verify(&payload, &der).is_ok())
    });
    let done = |added| Signed {
        digest: digest.clone(),
        signature_reference: sig_reference.to_string(),
        added,
    };
    if duplicate {
        return Ok(done(false));
    }
    let size = payload.len() as u64;
    client.push_blob(&sig_reference, payload).await?;
    layers.push(Layer {
        media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
        size,
        digest: payload_digest,
        annotations: BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), signature)]),
    });
    push_cosign_image(client, &sig_reference, &layers).await?;
    Ok(done(true))
}

/// Writes a cosign `.sig`/`.att` image with these layers (whose blobs are already pushed).
pub(crate) async fn push_cosign_image(
    client: &RegistryClient,
    reference: &Reference,
    layers: &[Layer],
) -> Result<(), SignError> {
    let config = payload::signature_config(layers);
    let manifest = payload::signature_manifest(&config, layers);
    client.push_blob(reference, config).await?;
    client
        .push_manifest(reference, &RawManifest::new(OCI_MANIFEST, manifest))
        .await?;
    Ok(())
}

/// The layers of the existing `.sig` image, or none when the tag does not exist.
pub(crate) async fn existing_layers(
    client: &RegistryClient,
    sig_reference: &Reference,
) -> Result<Vec<Layer>, SignError> {
    let raw = match client.manifest(sig_reference).await {
        Ok(raw) => raw,
        Err(e) if e.is_not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let not_signature = |reason: String| SignError::NotASignatureImage {
        reference: sig_reference.to_string(),
        reason,
    };
    match raw.decode() {
        Ok(Manifest::Image(manifest)) if manifest.layers.len() < MAX_SIGNATURE_LAYERS => {
            Ok(manifest.layers.into_iter().map(Layer::from).collect())
        }
        Ok(Manifest::Image(_)) => Err(not_signature(format!(
            "it has {MAX_SIGNATURE_LAYERS} layers or more"
        ))),
        Ok(Manifest::Index(_)) => Err(not_signature("it is an index".into())),
        Err(e) => Err(not_signature(e.to_string())),
    }
}
