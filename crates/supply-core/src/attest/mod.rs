//! Attestations: in-toto statements in DSSE envelopes, attached to images as cosign attaches
//! them (one `application/vnd.dsse.envelope.v1+json` layer per attestation in the
//! `sha256-<hex>.att` image, with a `predicateType` annotation), and SLSA provenance.

pub mod dsse;
pub mod intoto;
pub mod policy;
pub mod slsa;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::digest::Digest;
use crate::keys::SigningKey;
use crate::oci::api::{self, Attachment};
use crate::oci::{Reference, RegistryClient};
use crate::sign::payload::{Layer, SIGNATURE_ANNOTATION};
use crate::sign::{SignError, existing_layers, push_cosign_image};
use intoto::{Statement, Subject};

/// Layer media type of an attestation.
pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
/// Layer annotation naming the statement's predicate type.
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";

/// What attaching did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Attested {
    /// The image digest (the statement's subject).
    pub digest: Digest,
    /// The `.att` tag written.
    pub attestation_reference: String,
    /// Earlier attestations of the same predicate type removed (`--replace`).
    pub replaced: usize,
}

/// Wraps `predicate` in a statement about the image's digest, signs it as a DSSE envelope and
/// appends it to the image's `.att` image (replacing same-type ones when `replace`).
pub async fn attest_image(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    predicate_type: &str,
    predicate: Value,
    replace: bool,
) -> Result<Attested, SignError> {
    let digest = client.resolve(image).await?;
    let statement = Statement::new(
        vec![Subject::new(Some(image.repository_name()), &digest)],
        predicate_type,
        predicate,
    );
    let envelope = dsse::sign(key, dsse::IN_TOTO_PAYLOAD_TYPE, &statement.to_json()).to_json();
    let reference = api::attachment_reference(image, &digest, Attachment::Attestation)?;
    let mut layers = existing_layers(client, &reference).await?;
    let before = layers.len();
    if replace {
        layers.retain(|l| {
            l.annotations
                .get(PREDICATE_TYPE_ANNOTATION)
                .is_none_or(|t| t != predicate_type)
        });
    }
    let replaced = before - layers.len();
    let size = envelope.len() as u64;
    let envelope_digest = client.push_blob(&reference, envelope).await?;
    layers.push(Layer {
        media_type: DSSE_MEDIA_TYPE.to_owned(),
        size,
        digest: envelope_digest,
        annotations: BTreeMap::from([
            (SIGNATURE_ANNOTATION.to_owned(), String::new()),
            (
                PREDICATE_TYPE_ANNOTATION.to_owned(),
                predicate_type.to_owned(),
            ),
        ]),
    });
    push_cosign_image(client, &reference, &layers).await?;
    Ok(Attested {
        digest,
        attestation_reference: reference.to_string(),
        replaced,
    })
}
