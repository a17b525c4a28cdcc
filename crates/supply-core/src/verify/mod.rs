//! Verifying images and files: fetch what is attached, check every candidate, decide. The
//! answer is a [`Verdict`] (accepted, or rejected with findings that carry stable codes); an
//! `Err` means nothing was decided (registry unreachable, bad input) and callers must fail
//! closed on it, never treat it as a pass.

pub mod attestation;
mod bundles;
pub mod check;
pub mod finding;

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

pub use bundles::COSIGN_SIGN_PREDICATE;
pub use finding::{Code, Finding, Severity, Signer, Verdict, VerdictKind, Verified};

use crate::attach::fetch::for_each_payload;
use crate::attach::{self, AttachError, FetchLimits};
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::oci::api::Attachment;
use crate::oci::{Reference, RegistryClient, RegistryError};
use crate::sigstore::TrustedRoot;
use crate::sigstore::verify::Artifact;
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
    /// Keyless verification without a trusted root.
    #[error("keyless verification needs a Sigstore trusted root")]
    NoTrustedRoot,
}

impl crate::error::Classify for VerifyError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::Registry(e) => e.kind(),
            Self::Attach(e) => e.kind(),
            Self::Policy(e) => e.kind(),
            Self::Blocking(e) => e.kind(),
            Self::NoTrustedRoot => crate::ErrorKind::InvalidInput,
        }
    }
}

/// Whose signatures are accepted: a public key, or a keyless identity (a Fulcio certificate's
/// identity and issuer under the trusted root).
pub use crate::sigstore::verify::Expected as KeySource;

fn signer_of_key(key: &VerifyingKey) -> Signer {
    Signer::Key {
        key_id: key.key_id(),
    }
}

/// Where signatures and attestations are read from (a policy's `signatureFormat`).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq)]
pub enum Formats {
    /// Sigstore bundles attached as OCI referrers (cosign v3) first, then the legacy tags.
    #[default]
    Any,
    /// Only the legacy `sha256-<hex>.sig` / `.att` tags.
    Legacy,
    /// Only Sigstore bundles attached as referrers.
    Bundle,
}

impl Formats {
    fn bundles(self) -> bool {
        self != Self::Legacy
    }

    fn legacy(self) -> bool {
        self != Self::Bundle
    }
}

/// What an image signature must satisfy.
#[derive(Clone, Debug)]
pub struct VerifyOptions {
    /// Whose signatures count.
    pub key: KeySource,
    /// Annotations the signature must carry with these values (`-a k=v`).
    pub annotations: BTreeMap<String, String>,
    /// The Sigstore trusted root: required for keyless identities; with a key it makes the
    /// transparency-log entries and timestamps of bundles count.
    pub trusted_root: Option<Arc<TrustedRoot>>,
    /// Which formats are read.
    pub formats: Formats,
}

impl VerifyOptions {
    /// Signatures by `key`, no annotation required.
    pub fn with_key(key: VerifyingKey) -> Self {
        Self {
            key: KeySource::Key(key),
            annotations: BTreeMap::new(),
            trusted_root: None,
            formats: Formats::Any,
        }
    }
}

/// The root to verify bundles under: the one given, an empty one for a key without a root
/// (then only the key is trusted), and an error for keyless without one.
pub(crate) fn root_for(
    key: &KeySource,
    trusted_root: Option<&Arc<TrustedRoot>>,
) -> Result<Arc<TrustedRoot>, VerifyError> {
    match (trusted_root, key) {
        (Some(root), _) => Ok(root.clone()),
        (None, KeySource::Key(_)) => Ok(Arc::new(TrustedRoot::default())),
        (None, KeySource::Identity(_) | KeySource::AnyIdentity(_)) => {
            Err(VerifyError::NoTrustedRoot)
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
    let root = root_for(&options.key, options.trusted_root.as_ref())?;
    let digest = client.resolve(image).await?;
    // cosign v3's place first: bundles attached as referrers.
    let pinned = image.with_digest(digest.clone());
    let wanted = bundles::Wanted {
        key: &options.key,
        root: &root,
        predicate_type: bundles::COSIGN_SIGN_PREDICATE,
        limits: SIGNATURE_LIMITS,
    };
    let (mut verified, mut findings) = if options.formats.bundles() {
        bundles::referrer_bundles(client, &pinned, &digest, &wanted, |statement| {
            annotations_present(
                &bundles::subject_annotations(statement),
                &options.annotations,
            )
        })
        .await?
    } else {
        (Vec::new(), Vec::new())
    };
    let found_bundles = !verified.is_empty() || !findings.is_empty();
    if verified.is_empty() && !options.formats.legacy() && !found_bundles {
        findings.push(finding(
            Code::NoSignatures,
            pinned.to_string(),
            "no Sigstore bundle is attached as a referrer (the policy reads bundles only)",
        ));
    }
    if verified.is_empty() && options.formats.legacy() {
        let (legacy_verified, legacy_findings) =
            legacy_signatures(client, &pinned, &digest, options, &root, found_bundles).await?;
        verified.extend(legacy_verified);
        findings.extend(legacy_findings);
    }
    Ok(Verdict::decide(
        VerdictKind::ImageSignature,
        image.to_string(),
        Some(digest),
        verified,
        findings,
    ))
}

/// The legacy `.sig` tag's layers: with a key, checked with it; keyless, each layer's
/// certificate annotations verified as a bundle, then the same claims.
async fn legacy_signatures(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    options: &VerifyOptions,
    root: &TrustedRoot,
    found_bundles: bool,
) -> Result<(Vec<Verified>, Vec<Finding>), VerifyError> {
    let attached = attach::read(client, image, Attachment::Signature).await?;
    let layers = match &attached.layers {
        Ok(layers) => layers,
        // No `.sig` tag is no finding when bundles were there to judge.
        Err((Code::NoSignatures, _)) if found_bundles => return Ok((Vec::new(), Vec::new())),
        Err(unusable) => return Ok((Vec::new(), vec![tag_finding(&attached, unusable)])),
    };
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
                    let outcome = match payload.clone() {
                        Err(unusable) => Err(vec![finding(
                            unusable.code(),
                            layer.digest.to_string(),
                            unusable.to_string(),
                        )]),
                        Ok(payload) => {
                            check_attached_signature(layer, payload, digest, options, root)
                        }
                    };
                    (i, outcome)
                })
                .collect()
        },
    )
    .await?;
    let mut verified = Vec::new();
    let mut findings = Vec::new();
    for (_, outcome) in outcomes {
        match outcome {
            Ok(entry) => verified.push(entry),
            Err(reasons) => findings.extend(reasons),
        }
    }
    Ok((verified, findings))
}

/// One `.sig` layer: the key's signature, or the layer's keyless bundle, then cosign's claims.
pub fn check_attached_signature(
    layer: &crate::oci::Descriptor,
    payload: &[u8],
    digest: &Digest,
    options: &VerifyOptions,
    root: &TrustedRoot,
) -> Result<Verified, Vec<Finding>> {
    let subject = layer.digest.to_string();
    let rejected = |rejection: Rejection| {
        vec![finding(
            rejection.code(),
            subject.clone(),
            rejection.to_string(),
        )]
    };
    let (key, signer) = match &options.key {
        KeySource::Key(key) => (key.clone(), signer_of_key(key)),
        KeySource::Identity(_) | KeySource::AnyIdentity(_) => {
            if !crate::sigstore::legacy::is_keyless(&layer.annotations) {
                return Err(vec![finding(
                    Code::MaterialMismatch,
                    subject,
                    "the layer is signed with a key, a certificate identity was required",
                )]);
            }
            let signature = layer
                .annotations
                .get(crate::sign::payload::SIGNATURE_ANNOTATION)
                .and_then(|s| {
                    base64::engine::general_purpose::STANDARD
                        .decode(s.trim())
                        .ok()
                })
                .ok_or_else(|| rejected(Rejection::MalformedSignature))?;
            let content = crate::sigstore::bundle::Content::MessageSignature {
                algorithm: crate::sigstore::bundle::HashAlgorithm::Sha256,
                digest: Digest::sha256(payload).to_bytes(),
                signature,
            };
            let outcome = bundles::legacy_keyless(
                &layer.annotations,
                content,
                Artifact::Bytes(payload),
                &options.key,
                root,
            )
            .map_err(|mut reasons| {
                for reason in &mut reasons {
                    reason.subject = subject.clone();
                }
                reasons
            })?;
            (outcome.key, outcome.signer)
        }
    };
    let payload = check_signature_layer(
        SignatureLayer {
            media_type: &layer.media_type,
            payload,
            annotations: &layer.annotations,
        },
        &key,
        digest,
        &options.annotations,
    )
    .map_err(rejected)?;
    Ok(Verified {
        layer: Some(layer.digest.clone()),
        signer,
        annotations: signed_annotations(&payload),
        predicate_type: None,
        payload,
    })
}

/// The required annotations among the signed ones.
fn annotations_present(
    signed: &BTreeMap<String, String>,
    required: &BTreeMap<String, String>,
) -> Result<(), Vec<Finding>> {
    for (key, expected) in required {
        match signed.get(key) {
            None => {
                return Err(vec![finding(
                    Code::AnnotationMissing,
                    "bundle",
                    format!("annotation {key:?} is required but not signed"),
                )]);
            }
            Some(found) if found != expected => {
                return Err(vec![finding(
                    Code::AnnotationMismatch,
                    "bundle",
                    format!("annotation {key:?} is {found:?}, required {expected:?}"),
                )]);
            }
            Some(_) => {}
        }
    }
    Ok(())
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
                signer: signer_of_key(key),
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
