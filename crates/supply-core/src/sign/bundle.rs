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
use crate::keyless::KeylessSigner;
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

/// A v0.3 bundle with a message signature over `artifact` by a managed key (no log entry), as
/// `cosign sign-blob --key --bundle` writes without a transparency log.
pub fn key_message_bundle(key: &SigningKey, artifact: &[u8]) -> Bundle {
    let mut bundle = key_bundle(
        key,
        &Statement::new(Vec::new(), "", serde_json::Value::Null),
    );
    bundle.content = Content::MessageSignature {
        algorithm: crate::sigstore::bundle::HashAlgorithm::Sha256,
        digest: Digest::sha256(artifact).to_bytes(),
        signature: key.sign(artifact),
    };
    bundle
}

/// Who signs a bundle: a managed key, or an ephemeral key certified by Fulcio.
#[derive(Clone, Copy, Debug)]
pub enum BundleSigner<'a> {
    /// A managed key (the bundle names it by its hint; no log entry).
    Key(&'a SigningKey),
    /// Keyless: certificate, Rekor entry, optional timestamp, all verified.
    Keyless(&'a KeylessSigner),
}

impl BundleSigner<'_> {
    /// The bundle of a DSSE envelope over `statement`.
    pub async fn sign_statement(&self, statement: &Statement) -> Result<Bundle, SignError> {
        match self {
            Self::Key(key) => Ok(key_bundle(key, statement)),
            Self::Keyless(signer) => Ok(signer.sign_statement(statement).await?),
        }
    }
}

/// The image's manifest as a referrer's subject; with `recursive`, an index's manifests too.
async fn subjects(
    client: &RegistryClient,
    image: &Reference,
    recursive: bool,
) -> Result<Vec<Descriptor>, SignError> {
    let digest = client.resolve(image).await?;
    let raw = client.manifest(&image.with_digest(digest.clone())).await?;
    let mut subjects = vec![Descriptor {
        media_type: raw.media_type.clone(),
        digest,
        size: raw.bytes.len() as u64,
        artifact_type: None,
        annotations: BTreeMap::new(),
        platform: None,
    }];
    if recursive && let Ok(Manifest::Index(index)) = raw.decode() {
        subjects.extend(index.manifests);
    }
    Ok(subjects)
}

/// Signs the image (and, when recursive, an index's manifests) into bundle referrers with a
/// key.
pub async fn sign_image_bundle(
    client: &RegistryClient,
    image: &Reference,
    key: &SigningKey,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    sign_image_bundle_with(client, image, BundleSigner::Key(key), options).await
}

/// Signs the image (and, when recursive, an index's manifests) into bundle referrers. Every
/// bundle is made and verified before the first is pushed.
pub async fn sign_image_bundle_with(
    client: &RegistryClient,
    image: &Reference,
    signer: BundleSigner<'_>,
    options: &SignOptions,
) -> Result<Vec<Signed>, SignError> {
    let subjects = subjects(client, image, options.recursive).await?;
    let mut bundles = Vec::with_capacity(subjects.len());
    for (i, subject) in subjects.iter().enumerate() {
        crate::progress::step(
            "signing",
            &subject.digest.to_string(),
            i + 1,
            subjects.len(),
        );
        let statement = image_statement(&subject.digest, &options.annotations);
        bundles.push(signer.sign_statement(&statement).await?.to_json());
    }
    let mut signed = Vec::with_capacity(subjects.len());
    for (subject, bundle) in subjects.into_iter().zip(bundles) {
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

/// Attests the image as cosign v3 does: a bundle of a DSSE envelope over the statement
/// (`predicate_type`, `predicate`, the image digest as subject), pushed as a referrer.
pub async fn attest_image_bundle(
    client: &RegistryClient,
    image: &Reference,
    signer: BundleSigner<'_>,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<(Digest, Reference), SignError> {
    let subjects = subjects(client, image, false).await?;
    let subject = subjects
        .into_iter()
        .next()
        .ok_or_else(|| crate::keyless::KeylessError::Internal("no subject".into()))?;
    let statement = Statement::new(
        vec![Subject::new(Some(image.repository_name()), &subject.digest)],
        predicate_type,
        predicate,
    );
    let bundle = signer.sign_statement(&statement).await?.to_json();
    let reference = write_bundle(
        client,
        image,
        &subject,
        bundle,
        predicate_type,
        "dsse-envelope",
    )
    .await?;
    Ok((subject.digest, reference))
}
