//! Verification results as data: a [`Verdict`] (accepted or not, the digest decided on, what
//! was verified) and its [`Finding`]s, each with a stable [`Code`]. The model of cargo-deny and
//! clippy: a finding has an identity that outlives its wording, so CI gates, the admission
//! webhook and C callers can match on `code` while the message stays free to improve.
//!
//! **Invariant:** a code is never renamed, renumbered or reused; `docs/codes.md` lists every
//! one and a test keeps that table equal to [`Code::ALL`].

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::digest::Digest;

macro_rules! codes {
    ($($variant:ident = $name:literal: $doc:literal,)*) => {
        /// The stable identity of a finding (kebab-case when printed).
        #[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
        #[non_exhaustive]
        pub enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in the order of the documentation table.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The code as printed (`signature-invalid`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $name,)*
                }
            }

            /// One line on what the code means.
            pub fn description(self) -> &'static str {
                match self {
                    $(Self::$variant => $doc,)*
                }
            }
        }
    };
}

codes! {
    NoSignatures = "no-signatures": "The image has no signature tag (`sha256-<hex>.sig`) or signature referrer.",
    NoAttestations = "no-attestations": "The image has no attestation tag (`sha256-<hex>.att`) or attestation referrer.",
    AttachmentNotAnImage = "attachment-not-an-image": "The signature or attestation tag holds an index, not an image of layers.",
    AttachmentMalformed = "attachment-malformed": "The signature or attestation tag holds no valid manifest.",
    TooManyLayers = "too-many-layers": "The signature or attestation image has more than 1000 layers (cosign's limit).",
    PayloadTooLarge = "payload-too-large": "A layer declares more bytes than a payload may have.",
    PayloadSizeMismatch = "payload-size-mismatch": "A payload's size is not what its descriptor declares.",
    PayloadMissing = "payload-missing": "The registry has no blob for a layer.",
    PayloadDigestMismatch = "payload-digest-mismatch": "A payload's bytes do not hash to its layer digest.",
    FetchBudgetExhausted = "fetch-budget-exhausted": "The attached payloads together exceed what one verification may download.",
    MediaTypeMismatch = "media-type-mismatch": "A layer's media type is not the one a signature or attestation has.",
    SignatureMissing = "signature-missing": "A signature layer carries no signature.",
    SignatureMalformed = "signature-malformed": "A signature is not base64, or not a signature at all.",
    SignatureInvalid = "signature-invalid": "A signature does not verify with the key over the signed bytes.",
    PayloadMalformed = "payload-malformed": "A signed payload is not a simple-signing JSON document.",
    PayloadTypeMismatch = "payload-type-mismatch": "The signed payload or envelope has another type than a cosign signature or in-toto statement.",
    DigestMismatch = "digest-mismatch": "The signed payload names another image digest.",
    AnnotationMissing = "annotation-missing": "A required annotation is not among the signed ones.",
    AnnotationMismatch = "annotation-mismatch": "A required annotation is signed with another value.",
    EnvelopeMalformed = "envelope-malformed": "An attestation layer is not a DSSE envelope.",
    StatementMalformed = "statement-malformed": "The envelope's payload is not an in-toto statement we read.",
    SubjectMismatch = "subject-mismatch": "The statement is not about this image (no subject with its digest).",
    PredicateTypeMismatch = "predicate-type-mismatch": "The statement's predicate type is not the one asked for.",
    PolicyBuilderMismatch = "policy-builder-mismatch": "The provenance's builder id is not the one the policy requires.",
    PolicyBuilderPrefixMismatch = "policy-builder-prefix-mismatch": "The provenance's builder id does not start with the policy's prefix (at a path boundary).",
    PolicySourceRepositoryMismatch = "policy-source-repository-mismatch": "The provenance's source repository is not the one the policy requires.",
    PolicySourceRefMismatch = "policy-source-ref-mismatch": "The provenance's source ref is not the one the policy requires.",
    PolicyBuildTypeMismatch = "policy-build-type-mismatch": "The provenance's buildType is not one the policy accepts.",
    PolicySbomInvalid = "policy-sbom-invalid": "The attested SBOM is not valid CycloneDX, and the policy requires it to be.",
    BundleMalformed = "bundle-malformed": "A Sigstore bundle is not bundle JSON (or a field is not in its encoding).",
    BundleUnsupported = "bundle-unsupported": "A Sigstore bundle has a media type or version we do not read.",
    BundleInvalid = "bundle-invalid": "A Sigstore bundle breaks its format's rules (missing material, a root in the chain, a negative log index, no proof its version requires).",
    MaterialMismatch = "material-mismatch": "The bundle is signed by a key where a certificate identity is required, or by a certificate where a key is.",
    CertificateMalformed = "certificate-malformed": "The signing certificate does not parse.",
    CertificateUsageInvalid = "certificate-usage-invalid": "The signing certificate is not for code signing (key usage, extended key usage, or a CA).",
    CertificateChainInvalid = "certificate-chain-invalid": "The signing certificate does not chain to a trusted Fulcio CA valid at the signing time.",
    SctInvalid = "sct-invalid": "No signed certificate timestamp from a trusted CT log verifies for the certificate.",
    TlogLogUntrusted = "tlog-log-untrusted": "A transparency-log entry is from a log the trusted root does not list.",
    TlogSetInvalid = "tlog-set-invalid": "A transparency-log entry's signed entry timestamp does not verify.",
    TlogInclusionProofInvalid = "tlog-inclusion-proof-invalid": "A transparency-log inclusion proof does not lead to the tree root.",
    TlogCheckpointInvalid = "tlog-checkpoint-invalid": "A transparency-log checkpoint is malformed, not signed by the log, or for another tree.",
    TlogBodyMismatch = "tlog-body-mismatch": "The logged entry is about another signature, signer or artifact than the bundle.",
    TlogEntryUnsupported = "tlog-entry-unsupported": "A transparency-log entry of a kind or version we do not verify.",
    TlogEntryMissing = "tlog-entry-missing": "No transparency-log entry from a trusted log verifies.",
    IntegratedTimeOutsideCertificateValidity = "integrated-time-outside-certificate-validity": "The log integrated the entry when the signing certificate was not valid.",
    IntegratedTimeInFuture = "integrated-time-in-future": "The log's integrated time is later than now.",
    TimestampInvalid = "timestamp-invalid": "An RFC 3161 timestamp does not verify, is not about this signature, or is from an authority the trusted root does not list.",
    TimeSourceMissing = "time-source-missing": "No verified time (signed entry timestamp or RFC 3161 timestamp) to check the certificate at.",
    IdentityMismatch = "identity-mismatch": "The certificate's identity (subject alternative name) is not the one required.",
    IssuerMismatch = "issuer-mismatch": "The certificate's OIDC issuer is not the one required.",
    CertificateExtensionMismatch = "certificate-extension-mismatch": "A Fulcio certificate extension (workflow, repository, ref, ...) is not the value required.",
    MessageDigestMismatch = "message-digest-mismatch": "The bundle's message digest is not the artifact's digest.",
    DsseSignatureCount = "dsse-signature-count": "A bundle's DSSE envelope does not have exactly one signature.",
    PolicyNoMatch = "policy-no-match": "No ClusterImagePolicy matches the image, and images no policy matches are refused (or warned about).",
    PolicyStaticFail = "policy-static-fail": "A static authority of the policy fails every image it matches.",
    ImageReferenceInvalid = "image-reference-invalid": "The image reference does not parse.",
    VerificationError = "verification-error": "Verification could not be carried out (registry unreachable or refusing credentials, bad content); admission fails closed.",
    DeadlineExceeded = "deadline-exceeded": "Verification did not finish within the admission deadline; admission fails closed.",
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a finding weighed in the decision.
#[derive(Clone, Copy, Debug, Eq, Ord, PartialEq, PartialOrd, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// It is why the verdict is a rejection.
    Error,
    /// It did not decide: another signature or attestation was accepted.
    Warning,
}

/// One reason, about one subject.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
pub struct Finding {
    /// The stable identity.
    pub code: Code,
    /// Whether it decided the verdict.
    pub severity: Severity,
    /// What it concerns: a layer digest, a tag, a file, or the policy.
    pub subject: String,
    /// For people; may change between versions (match on `code`).
    pub message: String,
}

/// What a verification checked.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum VerdictKind {
    /// An image's signatures.
    ImageSignature,
    /// An image's attestations (and the policy over them).
    Attestation,
    /// A file's signature.
    BlobSignature,
    /// A Sigstore bundle over a file or digest.
    Bundle,
}

/// Who signed what was verified.
#[derive(Clone, Debug, Eq, PartialEq, Serialize)]
#[serde(
    rename_all = "kebab-case",
    rename_all_fields = "camelCase",
    tag = "kind"
)]
#[non_exhaustive]
pub enum Signer {
    /// A public key given by the caller.
    Key {
        /// `sha256:<hex>` of the key's DER SubjectPublicKeyInfo.
        key_id: String,
    },
    /// A Fulcio certificate (keyless), its identity verified.
    Certificate {
        /// The identity (subject alternative name).
        identity: String,
        /// The OIDC issuer.
        issuer: String,
        /// The Fulcio extensions, by name.
        extensions: BTreeMap<String, String>,
    },
}

/// One signature or attestation that passed every check.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    /// The layer (payload) digest, for attached signatures and attestations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layer: Option<Digest>,
    /// Who signed.
    pub signer: Signer,
    /// The signed annotations (a signature payload's `optional`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The statement's predicate type, for attestations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predicate_type: Option<String>,
    /// The signed document: the simple-signing payload or the in-toto statement.
    #[serde(skip_serializing_if = "Value::is_null")]
    pub payload: Value,
}

/// The outcome of a verification that could be carried out. A failure to carry it out
/// (registry unreachable, bad input) is an `Err` instead, never a verdict.
#[must_use]
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// What was checked.
    pub kind: VerdictKind,
    /// The image as given, or the file.
    pub subject: String,
    /// The digest decided on (the tag resolved once), or the file's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<Digest>,
    /// Whether it was accepted: at least one signature or attestation passed every check.
    pub accepted: bool,
    /// What passed.
    pub verified: Vec<Verified>,
    /// Why the rest did not (warnings when something else was accepted).
    pub findings: Vec<Finding>,
}

impl Verdict {
    /// Decides from what passed and what did not: accepted when anything passed, and then the
    /// findings are warnings.
    pub(crate) fn decide(
        kind: VerdictKind,
        subject: String,
        digest: Option<Digest>,
        verified: Vec<Verified>,
        mut findings: Vec<Finding>,
    ) -> Self {
        let accepted = !verified.is_empty();
        let severity = if accepted {
            Severity::Warning
        } else {
            Severity::Error
        };
        for finding in &mut findings {
            finding.severity = severity;
        }
        Self {
            kind,
            subject,
            digest,
            accepted,
            verified,
            findings,
        }
    }

    /// The verdict as pretty JSON (the shape `--output json` prints).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The codes of the findings, in order.
    pub fn codes(&self) -> Vec<Code> {
        self.findings.iter().map(|f| f.code).collect()
    }
}

/// A finding before the decision weighs it.
pub(crate) fn finding(
    code: Code,
    subject: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        code,
        severity: Severity::Error,
        subject: subject.into(),
        message: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }

    /// `docs/codes.md` holds exactly the codes and descriptions the code has.
    #[test]
    fn docs_table_lists_every_code() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/codes.md");
        let text = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- codes:start -->\n", "<!-- codes:end -->");
        let before = &text[..text.find(start).unwrap() + start.len()];
        let after = &text[text.find(end).unwrap()..];
        let mut table = String::from("| code | meaning |\n|---|---|\n");
        for code in Code::ALL {
            table.push_str(&format!(
                "| `{}` | {} |\n",
                code.as_str(),
                code.description()
            ));
        }
        let expected = format!("{before}{table}{after}");
        if std::env::var_os("SUPPLY_UPDATE_DOCS").is_some() {
            std::fs::write(path, &expected).unwrap();
        }
        assert_eq!(
            text, expected,
            "docs/codes.md is out of date: rerun with SUPPLY_UPDATE_DOCS=1"
        );
    }

    #[test]
    fn every_code_is_listed() {
        let listed: Vec<String> = Code::ALL
            .iter()
            .map(|c| format!("{}: {}", c.as_str(), c.description()))
            .collect();
        insta::assert_snapshot!(listed.join("\n"));
    }
}
