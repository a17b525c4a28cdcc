//! Signing an image the way cosign v3 does by default: a DSSE envelope over an in-toto
//! statement (predicate type `https://sigstore.dev/cosign/sign/v1`, the image digest as its
//! subject, `-a` values as the subject's annotations), in a v0.3 Sigstore bundle pushed as an
//! OCI 1.1 referrer of the image. With a key the bundle names the key by its hint; keyless
//! signing fills in the certificate and the log entry.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde_json::Value;

use super::{SignError, SignOptions, Signed};
use crate::attach::referrers::write_bundle;
use crate::attest::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};
use crate::attest::intoto::{Statement, Subject};
use crate::digest::Digest;
use crate::keys::SigningKey;
use crate::oci::{Descriptor, Manifest, Reference, RegistryClient};
use crate::sigstore::bundle::{Bundle, Content, Material};
use crate::verify::COSIGN_SIGN_PREDICATE;

/// The statement cosign v3 signs for an image digest.
pub fn image_statement(digest: &Digest, annotations: &BTreeMap<String, String>) -> Statement {
    let mut subject = Subject::new(None, digest);
    subject.annotations = annotations
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    Statement::new(vec![subject], COSIGN_SIGN_PREDICATE, Value::Null)
}

/// A v0.3 bundle signed with a managed key (no log entry): the envelope over `statement`.
pub fn key_bundle(key: &SigningKey, statement: &Statement) -> Bundle {
    let payload = statement.to_json();
    let signature = key.sign(&pae(IN_TOTO_PAYLOAD_TYPE, &payload));
    let hint = key
        .verifying_key()
        .to_der()
        .map(|der| {
            base64::engine::general_purpose::STANDARD.encode(Digest::sha256(&der).to_bytes())
        })
        .unwrap_or_default();
    Bundle {
        minor_version: 3,
        material: Material::PublicKey { hint },
        tlog_entries: Vec::new(),
        timestamps: Vec::new(),
        content: Content::Dsse {
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
            payload,
            signatures: vec![(String::new(), signature)],
        },
    }
}

/// Signs the image (and, when recursive, an index's manifests) into bundle referrers.
pub async fn sign_image_bundle(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    let digest = client.resolve(image).await?;
    let raw = client.manifest(&image.with_digest(digest.clone())).await?;
    let mut subjects = vec![Descriptor {
        media_type: raw.media_type.clone(),
        digest: digest.clone(),
        size: raw.bytes.len() as u64,
        artifact_type: None,
        annotations: BTreeMap::new(),
        platform: None,
    }];
    if options.recursive
        && let Ok(Manifest::Index(index)) = raw.decode()
    {
        subjects.extend(index.manifests);
    }
    let mut signed = Vec::with_capacity(subjects.len());
    for subject in subjects {
        let statement = image_statement(&subject.digest, &options.annotations);
        let bundle = key_bundle(key, &statement).to_json();
        let reference = write_bundle(
            client,
            image,
            &subject,
            bundle,
            COSIGN_SIGN_PREDICATE,
            "dsse-envelope",
        )
        .await?;
        signed.push(Signed {
            digest: subject.digest,
            signature_reference: reference,
            added: true,
        });
    }
    Ok(signed)
}
