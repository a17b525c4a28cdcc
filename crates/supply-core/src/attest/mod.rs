//! Attestations: in-toto statements in DSSE envelopes, attached to images as cosign attaches
//! them (one `application/vnd.dsse.envelope.v1+json` layer per attestation in the
//! `sha256-<hex>.att` image, with a `predicateType` annotation), and SLSA provenance.

pub mod dsse;
pub mod intoto;
pub mod policy;
pub mod slsa;
pub mod subject;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::attach::{self, AttachError};
use crate::digest::Digest;
use crate::keys::SigningKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Reference, RegistryClient, RegistryError};
use crate::sign::payload::{Layer, SIGNATURE_ANNOTATION};
use intoto::{Statement, Subject};

/// Layer media type of an attestation.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Layer annotation naming the statement's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";

/// Attesting failed; nothing was written unless the error says so.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The existing attestation image could not be read or written.
    #[error(transparent)]
    Attach(#[from] AttachError),
    /// Keyless signing failed.
    #[error(transparent)]
    Keyless(#[from] crate::keyless::KeylessError),
    /// The blocking facade could not run the work.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl crate::error::Classify for AttestError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Attach(e) => e.kind(),
            Self::Keyless(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
        }
    }
}

/// What to attest.
#[derive(Clone, Debug)]
pub struct AttestOptions {
    /// The predicate type (a URI; `intoto::predicate_type` turns cosign's names into one).
    pub predicate_type: String,
    /// The predicate.
    pub predicate: Value,
    /// Remove earlier attestations of the same predicate type.
    pub replace: bool,
}

/// What attaching did.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attested {
    /// The image digest (the statement's subject).
    pub digest: Digest,
    /// The `.att` tag written.
    pub attestation_reference: Reference,
    /// Earlier attestations of the same predicate type removed (`replace`).
    pub replaced: usize,
}

/// Wraps the predicate in a statement about the image's digest, signs it as a DSSE envelope
/// and appends it to the image's `.att` image (replacing same-type ones when asked).
pub async fn attest_image(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &AttestOptions,
) -> Result<Attested, AttestError> {
    let digest = client.resolve(image).await?;
    let predicate_type = options.predicate_type.as_str();
    let statement = Statement::new(
        vec![Subject::new(Some(image.repository_name()), &digest)],
        predicate_type,
        options.predicate.clone(),
    );
    let envelope = dsse::sign(key, dsse::IN_TOTO_PAYLOAD_TYPE, &statement.to_json()).to_json();
    append(client, image, digest, envelope, BTreeMap::new(), options).await
}

/// Attests keylessly in cosign's legacy layout: the envelope as an `.att` layer with the
/// certificate, chain, Rekor bundle and timestamp annotations; verified before it is pushed.
pub async fn attest_image_keyless_legacy(
    client: &RegistryClient,
    image: &Reference,
    signer: &crate::keyless::KeylessSigner,
    options: &AttestOptions,
) -> Result<Attested, AttestError> {
    let digest = client.resolve(image).await?;
    let statement = Statement::new(
        vec![Subject::new(Some(image.repository_name()), &digest)],
        options.predicate_type.as_str(),
        options.predicate.clone(),
    );
    let bundle = signer.sign_statement(&statement).await?;
    let crate::sigstore::bundle::Content::Dsse {
        payload_type,
        payload,
        signatures,
    } = &bundle.content
    else {
        return Err(crate::keyless::KeylessError::Internal("not an envelope".into()).into());
    };
    use base64::Engine as _;
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    // The same envelope bytes Rekor logged (the serialisation is deterministic).
    let envelope = dsse::Envelope {
        payload: b64(payload),
        payload_type: payload_type.clone(),
        signatures: signatures
            .iter()
            .map(|(keyid, sig)| dsse::EnvelopeSignature {
                keyid: keyid.clone(),
                sig: b64(sig),
            })
            .collect(),
    }
    .to_json();
    let annotations = crate::sigstore::legacy::annotations_from_bundle(
        &bundle,
        signer.chain().get(1..).unwrap_or_default(),
    );
    append(client, image, digest, envelope, annotations, options).await
}

/// Appends an envelope layer to the image's `.att` image (replacing same-type ones when
/// asked).
async fn append(
    client: &RegistryClient,
    image: &Reference,
    digest: Digest,
    envelope: Vec<u8>,
    extra: BTreeMap<String, String>,
    options: &AttestOptions,
) -> Result<Attested, AttestError> {
    let predicate_type = options.predicate_type.as_str();
    let reference = api::attachment_reference(image, &digest, Attachment::Attestation)
        .map_err(AttachError::from)?;
    let mut layers = attach::existing_layers(client, &reference).await?;
    let before = layers.len();
    if options.replace {
        layers.retain(|l| {
            l.annotations
                .get(PREDICATE_TYPE_ANNOTATION)
                .is_none_or(|t| t != predicate_type)
        });
    }
    let replaced = before - layers.len();
    let size = envelope.len() as u64;
    let envelope_digest = client.push_blob(&reference, envelope).await?;
    let mut annotations = extra;
    annotations.insert(SIGNATURE_ANNOTATION.to_owned(), String::new());
    annotations.insert(
        PREDICATE_TYPE_ANNOTATION.to_owned(),
        predicate_type.to_owned(),
    );
    layers.push(Layer {
        media_type: DSSE_MEDIA_TYPE.to_owned(),
        size,
        digest: envelope_digest,
        annotations,
    });
    attach::write(client, &reference, &layers).await?;
    Ok(Attested {
        digest,
        attestation_reference: reference,
        replaced,
    })
}
