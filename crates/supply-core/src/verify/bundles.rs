//! The two keyless (and cosign v3) sources of an image's signatures and attestations, as
//! verdict parts: Sigstore bundles attached as OCI referrers, and legacy `.sig`/`.att` layers
//! carrying cosign's certificate annotations, both verified by `sigstore::verify`.

use std::collections::BTreeMap;

use serde_json::Value;

use super::finding::{Code, Finding, Verified, finding};
use super::{KeySource, VerifyError};
use crate::attach::FetchLimits;
use crate::attach::referrers::read_bundles;
use crate::attest::intoto::Statement;
use crate::digest::Digest;
use crate::oci::{Reference, RegistryClient};
use crate::sigstore::bundle::{Bundle, Content};
use crate::sigstore::verify::{Artifact, VerifiedBundle, verify_bundle};
use crate::sigstore::{TrustedRoot, legacy};

/// The predicate type of cosign v3's image signatures in bundle form.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// What the referrers gave: what verified, and why each other bundle did not.
pub(crate) type Parts = (Vec<Verified>, Vec<Finding>);

/// What the referrer bundles must be.
pub(crate) struct Wanted<'a> {
    /// Whose signature.
    pub(crate) key: &'a KeySource,
    /// Under which root.
    pub(crate) root: &'a TrustedRoot,
    /// About what: the statement's predicate type.
    pub(crate) predicate_type: &'a str,
    /// Fetched within these bounds.
    pub(crate) limits: FetchLimits,
}

/// Verifies every bundle referrer of the image whose statement has the predicate type wanted,
/// with `check` for the statement's further claims (annotations, a policy). Bundles of other
/// predicate types are not about what is asked and are passed over without a finding.
pub(crate) async fn referrer_bundles(
    client: &RegistryClient,
    image: &Reference,
    digest: &Digest,
    wanted: &Wanted<'_>,
    check: impl Fn(&Statement) -> Result<(), Vec<Finding>>,
) -> Result<Parts, VerifyError> {
    let Wanted {
        key,
        root,
        predicate_type,
        limits,
    } = *wanted;
    let layers = read_bundles(client, image, digest, limits).await?;
    let image_digest = digest.to_bytes();
    let now = crate::sigstore::now();
    let mut verified = Vec::new();
    let mut findings = Vec::new();
    for (layer, payload) in layers {
        let subject = format!("bundle {}", layer.digest);
        let bytes = match payload {
            Ok(bytes) => bytes,
            Err(unusable) => {
                findings.push(finding(unusable.code(), subject, unusable.to_string()));
                continue;
            }
        };
        let bundle = match Bundle::from_json(&bytes) {
            Ok(bundle) => bundle,
            Err(e) => {
                findings.push(finding(Code::BundleMalformed, subject, e.to_string()));
                continue;
            }
        };
        // Only statements of the type asked for concern this verification.
        if let Content::Dsse { payload, .. } = &bundle.content
            && Statement::parse(payload).is_ok_and(|s| s.predicate_type != predicate_type)
        {
            continue;
        }
        match verify_bundle(&bundle, Artifact::Sha256(&image_digest), key, root, now) {
            Ok(outcome) => match outcome.statement.as_ref().map(&check) {
                Some(Ok(())) => verified.push(verified_part(Some(layer.digest.clone()), outcome)),
                Some(Err(mut reasons)) => {
                    for reason in &mut reasons {
                        reason.subject = subject.clone();
                    }
                    findings.extend(reasons);
                }
                None => findings.push(finding(
                    Code::PayloadTypeMismatch,
                    subject,
                    "the bundle holds a message signature, not a statement about the image",
                )),
            },
            Err(mut reasons) => {
                for reason in &mut reasons {
                    reason.subject = subject.clone();
                }
                findings.extend(reasons);
            }
        }
    }
    Ok((verified, findings))
}

/// A legacy layer with cosign's certificate annotations, as a bundle over `content` checked
/// against `artifact`.
pub(crate) fn legacy_keyless(
    annotations: &BTreeMap<String, String>,
    content: Content,
    artifact: Artifact<'_>,
    key: &KeySource,
    root: &TrustedRoot,
) -> Result<VerifiedBundle, Vec<Finding>> {
    let bundle = legacy::bundle_from_annotations(annotations, content)
        .map_err(|reason| vec![finding(Code::CertificateMalformed, "layer", reason)])?;
    verify_bundle(&bundle, artifact, key, root, crate::sigstore::now())
}

/// The verdict entry for a verified bundle.
pub(crate) fn verified_part(layer: Option<Digest>, outcome: VerifiedBundle) -> Verified {
    let predicate_type = outcome.statement.as_ref().map(|s| s.predicate_type.clone());
    let annotations = outcome
        .statement
        .as_ref()
        .map(subject_annotations)
        .unwrap_or_default();
    let payload = outcome
        .statement
        .as_ref()
        .and_then(|s| serde_json::to_value(s).ok())
        .unwrap_or(Value::Null);
    Verified {
        layer,
        signer: outcome.signer,
        annotations,
        predicate_type,
        payload,
    }
}

/// The annotations of a statement's subjects (where cosign v3 puts `-a` values), as strings.
pub(crate) fn subject_annotations(statement: &Statement) -> BTreeMap<String, String> {
    statement
        .subject
        .iter()
        .flat_map(|s| s.annotations.iter())
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map_or_else(|| v.to_string(), str::to_owned),
            )
        })
        .collect()
}
