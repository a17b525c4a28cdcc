//! Verifying images and files: fetch what is attached, check every candidate, decide. The
//! answer is a [`Verdict`] (accepted, or rejected with findings that carry stable codes); an
//! `Err` means nothing was decided (registry unreachable, bad input) and callers must fail
//! closed on it, never treat it as a pass.

pub mod attestation;
pub mod check;
pub mod finding;

use std::collections::BTreeMap;

use base64::Engine as _;

pub use finding::{Code, Finding, Severity, Signer, Verdict, VerdictKind, Verified};

use crate::attach::fetch::for_each_payload;
use crate::attach::{self, AttachError, FetchLimits};
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::Attachment;
use crate::oci::{Reference, RegistryClient, RegistryError};
use check::{Rejection, SignatureLayer, check_signature_layer};
use finding::finding;

/// Largest signature payload we fetch (real ones are a few hundred bytes).
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// What verifying one image's signatures may fetch: 1000 layers of a few hundred bytes each are
/// far below the budget.
pub const SIGNATURE_LIMITS: FetchLimits = FetchLimits {
    max_payload: MAX_PAYLOAD_BYTES,
    budget: 64 * 1024 * 1024,
    concurrency: 8,
};

/// Verification could not be carried out: nothing was decided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The registry failed.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The attachment could not be named (a sha512 digest).
    #[error(transparent)]
    Attach(#[from] AttachError),
    /// The policy cannot be evaluated as asked.
    #[error(transparent)]
    Policy(#[from] crate::attest::policy::PolicyError),
    /// The blocking facade could not run the work.
    #[error(transparent)]
    Blocking(#[from] crate::blocking::BlockingError),
}

impl crate::error::Classify for VerifyError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Attach(e) => e.kind(),
            Self::Policy(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
        }
    }
}

/// Whose signatures are accepted. Keyless identities (a Fulcio certificate's subject and issuer
/// under a trusted root) join this enum.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum KeySource {
    /// Signatures by this public key.
    Key(VerifyingKey),
}

impl KeySource {
    fn key(&self) -> &VerifyingKey {
        match self {
            Self::Key(key) => key,
        }
    }

    fn signer(&self) -> Signer {
        match self {
            Self::Key(key) => Signer::Key {
                key_id: key.key_id(),
            },
        }
    }
}

/// What an image signature must satisfy.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Whose signatures count.
    pub key: KeySource,
    /// Annotations the signature must carry with these values (`-a k=v`).
    pub annotations: BTreeMap<String, String>,
}

impl VerifyOptions {
    /// Signatures by `key`, no annotation required.
    pub fn with_key(key: VerifyingKey) -> Self {
        Self {
            key: KeySource::Key(key),
            annotations: BTreeMap::new(),
        }
    }
}

/// Verifies the cosign signatures of an image (the `sha256-<hex>.sig` tag): accepted when at
/// least one layer passes every check.
///
/// ```
/// use supply_core::oci::{ClientOptions, Reference, RegistryClient};
/// use supply_core::verify::{self, VerifyOptions};
/// use supply_core::{Classify, ErrorKind, keys::SigningKey};
///
/// # let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
/// # runtime.block_on(async {
/// let client = RegistryClient::new(ClientOptions { max_retries: 0, ..ClientOptions::default() })?;
/// let image: Reference = "127.0.0.1:1/app:v1".parse()?;
/// let options = VerifyOptions::with_key(SigningKey::generate().verifying_key());
/// match verify::verify_image(&client, &image, &options).await {
///     Ok(verdict) if verdict.accepted => println!("verified {:?}", verdict.digest),
///     Ok(verdict) => println!("rejected: {:?}", verdict.codes()),
///     // Nothing listens on port 1: could not decide, which is never a pass.
///     Err(error) => assert_eq!(error.kind(), ErrorKind::Network),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn verify_image(
    client: &RegistryClient,
    image: &Reference,
    options: &VerifyOptions,
) -> Result<Verdict, VerifyError> {
    let attached = attach::read(client, image, Attachment::Signature).await?;
    let decide = |verified, findings| {
        decide(
            VerdictKind::ImageSignature,
            image,
            &attached,
            verified,
            findings,
        )
    };
    let layers = match &attached.layers {
        Ok(layers) => layers,
        Err(unusable) => return Ok(decide(Vec::new(), vec![tag_finding(&attached, unusable)])),
    };
    let key = options.key.key();
    let outcomes = for_each_payload(
        client,
        &attached.reference,
        layers,
        SIGNATURE_LIMITS,
        |indexes, payload| {
            indexes
                .iter()
                .filter_map(|&i| Some((i, layers.get(i)?)))
                .map(|(i, layer)| {
                    let outcome = payload
                        .clone()
                        .map_err(Rejection::Payload)
                        .and_then(|payload| {
                            check_signature_layer(
                                SignatureLayer {
                                    media_type: &layer.media_type,
                                    payload,
                                    annotations: &layer.annotations,
                                },
                                key,
                                &attached.digest,
                                &options.annotations,
                            )
                        });
                    (i, outcome)
                })
                .collect()
        },
    )
    .await?;
    let mut verified = Vec::new();
    let mut findings = Vec::new();
    for (index, outcome) in outcomes {
        let Some(layer) = layers.get(index) else {
            continue;
        };
        match outcome {
            Ok(payload) => verified.push(Verified {
                layer: Some(layer.digest.clone()),
                signer: options.key.signer(),
                annotations: signed_annotations(&payload),
                predicate_type: None,
                payload,
            }),
            Err(rejection) => findings.push(finding(
                rejection.code(),
                layer.digest.to_string(),
                rejection.to_string(),
            )),
        }
    }
    Ok(decide(verified, findings))
}

/// The verdict on an attached image: what passed and what did not, about its digest.
pub(crate) fn decide(
    kind: VerdictKind,
    image: &Reference,
    attached: &attach::Attached,
    verified: Vec<Verified>,
    findings: Vec<Finding>,
) -> Verdict {
    let digest = Some(attached.digest.clone());
    Verdict::decide(kind, image.to_string(), digest, verified, findings)
}

/// The finding when the attachment tag itself is unusable (missing, an index, too many layers).
pub(crate) fn tag_finding(
    attached: &attach::Attached,
    (code, message): &(Code, String),
) -> Finding {
    finding(*code, attached.reference.to_string(), message.clone())
}

/// The `optional` object of a simple-signing payload, as strings.
fn signed_annotations(payload: &serde_json::Value) -> BTreeMap<String, String> {
    payload
        .get("optional")
        .and_then(serde_json::Value::as_object)
        .map(|optional| {
            optional
                .iter()
                .map(|(k, v)| {
                    let value = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Verifies `cosign sign-blob`'s signature (base64 text, surrounding whitespace ignored) of
/// `bytes` with `key`. Pure: the caller reads the files.
///
/// ```
/// use supply_core::keys::SigningKey;
/// use supply_core::sign::sign_blob;
/// use supply_core::verify::{Code, verify_blob};
///
/// let key = SigningKey::generate();
/// let signature = sign_blob(&key, b"release.tar.gz bytes");
/// let verdict = verify_blob("release.tar.gz", b"release.tar.gz bytes", signature.as_bytes(), &key.verifying_key());
/// assert!(verdict.accepted);
/// let other = SigningKey::generate().verifying_key();
/// let rejected = verify_blob("release.tar.gz", b"release.tar.gz bytes", signature.as_bytes(), &other);
/// assert_eq!(rejected.codes(), [Code::SignatureInvalid]);
/// ```
pub fn verify_blob(subject: &str, bytes: &[u8], signature: &[u8], key: &VerifyingKey) -> Verdict {
    let digest = Digest::sha256(bytes);
    let decide = |verified, findings| {
        Verdict::decide(
            VerdictKind::BlobSignature,
            subject.to_owned(),
            Some(digest.clone()),
            verified,
            findings,
        )
    };
    let text = String::from_utf8_lossy(signature);
    let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(text.trim()) else {
        let message = "the signature is not base64";
        return decide(
            Vec::new(),
            vec![finding(Code::SignatureMalformed, subject, message)],
        );
    };
    match key.verify(bytes, &raw) {
        Ok(()) => decide(
            vec![Verified {
                layer: None,
                signer: KeySource::Key(key.clone()).signer(),
                annotations: BTreeMap::new(),
                predicate_type: None,
                payload: serde_json::Value::Null,
            }],
            Vec::new(),
        ),
        Err(error) => decide(
            Vec::new(),
            vec![finding(Code::SignatureInvalid, subject, error.to_string())],
        ),
    }
}
