//! Sigstore: bundles, trusted roots, Fulcio certificates, Rekor entries, RFC 3161 timestamps,
//! and the verifier that puts them together (keyless verification, cosign v3's bundle format).
//! Everything here is pure over bytes and typed values except `tuf`, the network edge that
//! fetches and caches the trusted root.

pub mod bundle;
pub mod encoding;
pub mod fulcio;
pub mod identity;
pub mod legacy;
pub mod rekor;
pub mod trust_root;
pub mod tsa;
pub mod tuf;
pub mod verify;

pub use bundle::{Bundle, BundleError};
pub use trust_root::{TrustRootError, TrustedRoot};

use crate::digest::Digest;
use crate::verify::finding::{Code, Verdict, VerdictKind, Verified, finding};
use verify::{Artifact, Expected};

/// Parses and verifies a bundle, as `verify-bundle` and `verify-blob --bundle` do: a bundle
/// that does not parse or breaks its rules is a rejection with its code, like any other.
/// `subject` names the artifact in the verdict.
pub fn verify_bundle_json(
    bundle: &[u8],
    subject: &str,
    artifact: Artifact<'_>,
    expected: &Expected,
    root: &TrustedRoot,
    now: i64,
) -> Verdict {
    let digest = match artifact {
        Artifact::Bytes(bytes) => Some(Digest::sha256(bytes)),
        Artifact::Sha256(hash) => Some(Digest::from_sha256_bytes(hash)),
    };
    let decide = |verified, findings| {
        Verdict::decide(
            VerdictKind::Bundle,
            subject.to_owned(),
            digest.clone(),
            verified,
            findings,
        )
    };
    let bundle = match Bundle::from_json(bundle) {
        Ok(bundle) => bundle,
        Err(error) => {
            let code = match error {
                BundleError::Malformed(_) => Code::BundleMalformed,
                BundleError::UnsupportedVersion(_) => Code::BundleUnsupported,
                BundleError::Invalid(_) => Code::BundleInvalid,
            };
            return decide(Vec::new(), vec![finding(code, "bundle", error.to_string())]);
        }
    };
    match verify::verify_bundle(&bundle, artifact, expected, root, now) {
        Ok(verified) => {
            let predicate_type = verified
                .statement
                .as_ref()
                .map(|s| s.predicate_type.clone());
            let payload = verified
                .statement
                .as_ref()
                .and_then(|s| serde_json::to_value(s).ok())
                .unwrap_or_default();
            decide(
                vec![Verified {
                    layer: None,
                    signer: verified.signer,
                    annotations: Default::default(),
                    predicate_type,
                    payload,
                }],
                Vec::new(),
            )
        }
        Err(findings) => decide(Vec::new(), findings),
    }
}

/// The current time in Unix seconds (the only clock reading verification makes).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
