//! Signing images and blobs with a key, stored the way cosign stores them: a simple-signing
//! payload as one layer of the `sha256-<hex>.sig` image, its base64 DER signature in the
//! `dev.cosignproject.cosign/signature` annotation.

pub mod bundle;
pub mod payload;

use std::collections::BTreeMap;

use base64::Engine as _;

use crate::attach::{self, AttachError};
use crate::digest::Digest;
use crate::keys::SigningKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Manifest, Reference, RegistryClient, RegistryError};
use payload::{Layer, SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE};

/// Signing failed; nothing was written unless the error says so.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The existing signature image could not be read or written.
    #[error(transparent)]
    Attach(#[from] AttachError),
    /// Keyless signing failed (token, Fulcio, Rekor, timestamp authority).
    #[error(transparent)]
    Keyless(#[from] crate::keyless::KeylessError),
    /// The blocking facade could not run the work.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl crate::error::Classify for SignError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Attach(e) => e.kind(),
            Self::Keyless(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
        }
    }
}

/// How to sign.
#[derive(Clone, Debug, Default)]
pub struct SignOptions {
    /// Annotations signed along (`-a k=v`), in the payload's `optional`.
    pub annotations: BTreeMap<String, String>,
    /// For an index, also sign every manifest it lists.
    pub recursive: bool,
}

/// What signing one manifest did.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Signed {
    /// The signed manifest's digest.
    pub digest: Digest,
    /// The `.sig` tag written.
    pub signature_reference: Reference,
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
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    let digests = digests_to_sign(client, image, options.recursive).await?;
    let mut signed = Vec::with_capacity(digests.len());
    let total = digests.len();
    for (i, digest) in digests.into_iter().enumerate() {
        crate::progress::step("signing", &digest.to_string(), i + 1, total);
        signed.push(sign_digest(client, image, &digest, key, &options.annotations).await?);
    }
    Ok(signed)
}

/// The image's digest and, with `recursive`, an index's manifests'.
async fn digests_to_sign(
    client: &RegistryClient,
    image: &Reference,
    recursive: bool,
) -> Result<Vec<Digest>, SignError> {
    let digest = client.resolve(image).await?;
    let mut digests = vec![digest.clone()];
    if recursive {
        let raw = client.manifest(&image.with_digest(digest)).await?;
        if let Ok(Manifest::Index(index)) = raw.decode() {
            digests.extend(index.manifests.into_iter().map(|d| d.digest));
        }
    }
    Ok(digests)
}

/// Signs keylessly in cosign's legacy layout: the simple-signing payload as a `.sig` layer with
/// the signature, certificate, chain, Rekor bundle and timestamp annotations cosign 2 wrote.
/// Every signature is made and verified before the first layer is pushed.
pub async fn sign_image_keyless_legacy(
    client: &RegistryClient,
    image: &Reference,
    signer: &crate::keyless::KeylessSigner,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    let digests = digests_to_sign(client, image, options.recursive).await?;
    let mut layers = Vec::with_capacity(digests.len());
    for digest in &digests {
        let payload = payload::simple_signing_payload(image, digest, &options.annotations);
        let bundle = signer.sign_artifact(&payload).await?;
        let mut annotations = crate::sigstore::legacy::annotations_from_bundle(
            &bundle,
            signer.chain().get(1..).unwrap_or_default(),
        );
        annotations.insert(
            SIGNATURE_ANNOTATION.to_owned(),
            base64::engine::general_purpose::STANDARD.encode(bundle.content.signature()),
        );
        layers.push((payload, annotations));
    }
    let mut signed = Vec::with_capacity(digests.len());
    for (digest, (payload, annotations)) in digests.into_iter().zip(layers) {
        let reference = api::attachment_reference(image, &digest, Attachment::Signature)
            .map_err(AttachError::from)?;
        let mut existing = attach::existing_layers(client, &reference).await?;
        let size = payload.len() as u64;
        let payload_digest = client.push_blob(&reference, payload).await?;
        existing.push(Layer {
            media_type: SIMPLE_SIGNING_MEDIA_TYPE.to_owned(),
            size,
            digest: payload_digest,
            annotations,
        });
        attach::write(client, &reference, &existing).await?;
        signed.push(Signed {
            digest,
            signature_reference: reference,
            added: true,
        });
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
    let sig_reference = api::attachment_reference(image, digest, Attachment::Signature)
        .map_err(AttachError::from)?;
    let mut layers = attach::existing_layers(client, &sig_reference).await?;
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
        signature_reference: sig_reference.clone(),
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
    attach::write(client, &sig_reference, &layers).await?;
    Ok(done(true))
}
