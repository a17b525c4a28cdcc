//! Verifying a Sigstore bundle against a trusted root, in sigstore-go's order: transparency-log
//! entries (SET, inclusion proof and checkpoint, the body matched with the bundle, the
//! certificate valid at the integrated time), RFC 3161 timestamps, the certificate chained at
//! every verified time with a valid SCT (or the managed key), the signature over the artifact
//! (or the DSSE envelope and its statement's subject), then the identity. Pure: the caller
//! brings the bundle, the artifact and the root; the answer is findings, never a panic.

use std::collections::BTreeMap;

use super::bundle::{Bundle, Content, HashAlgorithm, Material, TlogEntry};
use super::fulcio::{CertificateProblem, Leaf};
use super::identity::{Identity, extension_name};
use super::rekor::{self, TlogProblem, V2Signer};
use super::trust_root::TrustedRoot;
use super::tsa;
use crate::attest::dsse::{IN_TOTO_PAYLOAD_TYPE, pae};
use crate::attest::intoto::Statement;
use crate::keys::VerifyingKey;
use crate::verify::finding::{Code, Finding, Signer, finding};

/// What was signed, as the caller has it.
#[derive(Clone, Copy, Debug)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only its SHA-256 digest (32 bytes).
    Sha256(&'a [u8]),
}

/// Whose signature is accepted.
#[derive(Clone, Debug)]
pub enum Expected {
    /// A managed key.
    Key(VerifyingKey),
    /// A keyless identity under the trusted root's Fulcio CAs.
    Identity(Identity),
    /// Any one of these keyless identities (a policy's `identities` list).
    AnyIdentity(Vec<Identity>),
}

impl Expected {
    /// The identities a certificate may have (none for a key).
    pub fn identities(&self) -> &[Identity] {
        match self {
            Self::Key(_) => &[],
            Self::Identity(identity) => std::slice::from_ref(identity),
            Self::AnyIdentity(identities) => identities,
        }
    }

    /// Whether signatures are keyless (certificates), not by a managed key.
    pub fn is_keyless(&self) -> bool {
        !matches!(self, Self::Key(_))
    }
}

/// What a verified bundle established.
#[derive(Clone, Debug)]
pub struct VerifiedBundle {
    /// Who signed.
    pub signer: Signer,
    /// The key that signed (the certificate's, or the managed one).
    pub key: VerifyingKey,
    /// The verified times (integrated times with a SET, RFC 3161 times), Unix seconds.
    pub times: Vec<i64>,
    /// The in-toto statement, for DSSE bundles.
    pub statement: Option<Statement>,
}

/// Clock skew tolerated before an integrated time counts as "in the future".
const FUTURE_SKEW_SECONDS: i64 = 60;

/// Verifies `bundle` over `artifact` for `expected` under `root`; `now` is the current time
/// (Unix seconds), used only to refuse integrated times in the future.
pub fn verify_bundle(
    bundle: &Bundle,
    artifact: Artifact<'_>,
    expected: &Expected,
    root: &TrustedRoot,
    now: i64,
) -> Result<VerifiedBundle, Vec<Finding>> {
    let reject = |code: Code, message: String| vec![finding(code, "bundle", message)];
    // The signer: a certificate (keyless) or the managed key the caller trusts.
    let (leaf, key, signer_der) = match (&bundle.material, expected) {
        (Material::Certificate(der), Expected::Identity(_) | Expected::AnyIdentity(_)) => {
            let leaf =
                Leaf::parse(der).map_err(|e| reject(Code::CertificateMalformed, e.to_string()))?;
            let key = leaf.key.clone();
            (Some(leaf), key, der.clone())
        }
        (Material::PublicKey { .. }, Expected::Key(key)) => {
            let der = key
                .to_der()
                .map_err(|e| reject(Code::MaterialMismatch, e.to_string()))?;
            (None, key.clone(), der)
        }
        (Material::Certificate(_), Expected::Key(_)) => {
            return Err(reject(
                Code::MaterialMismatch,
                "the bundle is signed with a certificate, a key was required".into(),
            ));
        }
        (Material::PublicKey { .. }, Expected::Identity(_) | Expected::AnyIdentity(_)) => {
            return Err(reject(
                Code::MaterialMismatch,
                "the bundle is signed with a key, a certificate identity was required".into(),
            ));
        }
    };
    if let Content::Dsse { signatures, .. } = &bundle.content
        && signatures.len() != 1
    {
        return Err(reject(
            Code::DsseSignatureCount,
            format!("the envelope has {} signatures", signatures.len()),
        ));
    }
    // 1. Transparency log.
    let mut integrated_times = Vec::new();
    if !root.tlogs.is_empty() {
        integrated_times = verify_tlog(bundle, leaf.as_ref(), &key, &signer_der, root, now)?;
    }
    // 2. Timestamps (only when the root has an authority to check them against).
    let mut times = Vec::new();
    let mut timestamp_findings = Vec::new();
    if !root.timestamp_authorities.is_empty() {
        for (i, response) in bundle.timestamps.iter().enumerate() {
            match tsa::verify_timestamp(response, bundle.content.signature(), root) {
                Ok(time) => times.push(time),
                Err(e) => timestamp_findings.push(finding(
                    Code::TimestampInvalid,
                    format!("timestamp {i}"),
                    e.to_string(),
                )),
            }
        }
        if times.is_empty() && !timestamp_findings.is_empty() {
            return Err(timestamp_findings);
        }
    }
    times.extend(integrated_times);
    // A managed key needs no time unless the caller trusts a log or an authority to give one.
    let needs_time =
        leaf.is_some() || !root.tlogs.is_empty() || !root.timestamp_authorities.is_empty();
    if times.is_empty() && needs_time {
        return Err(reject(
            Code::TimeSourceMissing,
            "no signed entry timestamp or RFC 3161 timestamp verifies".into(),
        ));
    }
    // 3. The certificate at every verified time, and its SCT.
    if let Some(leaf) = &leaf {
        leaf.check_code_signing()
            .map_err(|e| reject(Code::CertificateUsageInvalid, e.to_string()))?;
        let mut issuer = Vec::new();
        for &time in &times {
            issuer = leaf
                .verify_chain(root, time)
                .map_err(|e| reject(certificate_code(&e), e.to_string()))?;
        }
        leaf.verify_sct(&issuer, root)
            .map_err(|e| reject(Code::SctInvalid, e.to_string()))?;
    }
    // 4. The signature over the artifact.
    let statement = verify_content(&bundle.content, artifact, &key)?;
    // 5. The identity.
    let signer = match (&leaf, expected) {
        (Some(leaf), expected) if expected.is_keyless() => {
            any_identity(leaf, expected.identities())?
        }
        _ => Signer::Key {
            key_id: key.key_id(),
        },
    };
    Ok(VerifiedBundle {
        signer,
        key,
        times,
        statement,
    })
}

fn certificate_code(problem: &CertificateProblem) -> Code {
    match problem {
        CertificateProblem::Malformed(_) | CertificateProblem::Identity(_) => {
            Code::CertificateMalformed
        }
        CertificateProblem::Usage(_) => Code::CertificateUsageInvalid,
        CertificateProblem::Chain { .. } => Code::CertificateChainInvalid,
        CertificateProblem::Sct(_) => Code::SctInvalid,
    }
}

fn tlog_code(problem: &TlogProblem) -> Code {
    match problem {
        TlogProblem::SignedEntryTimestamp => Code::TlogSetInvalid,
        TlogProblem::InclusionProof => Code::TlogInclusionProofInvalid,
        TlogProblem::Checkpoint(_) => Code::TlogCheckpointInvalid,
        TlogProblem::BodyMismatch(_) => Code::TlogBodyMismatch,
        TlogProblem::Unsupported { .. } => Code::TlogEntryUnsupported,
    }
}

/// The log entries: at least one from a trusted log must verify. An entry from an unknown
/// log, or whose SET fails, is skipped; a bad proof, checkpoint or body is a rejection.
/// Returns the integrated times of the entries verified with a SET (the only trusted ones).
fn verify_tlog(
    bundle: &Bundle,
    leaf: Option<&Leaf>,
    key: &VerifyingKey,
    signer_der: &[u8],
    root: &TrustedRoot,
    now: i64,
) -> Result<Vec<i64>, Vec<Finding>> {
    let mut skipped = Vec::new();
    let mut verified_logs: Vec<&[u8]> = Vec::new();
    let mut times = Vec::new();
    let mut seen = Vec::new();
    for entry in &bundle.tlog_entries {
        let subject = format!("log entry {}", entry.log_index);
        if seen.contains(&(&entry.log_id, entry.log_index)) {
            return Err(vec![finding(
                Code::BundleInvalid,
                subject,
                "the same log entry twice",
            )]);
        }
        seen.push((&entry.log_id, entry.log_index));
        let Some(log) = root.tlog(&entry.log_id) else {
            skipped.push(finding(
                Code::TlogLogUntrusted,
                subject,
                "the entry is from a log the trusted root does not list",
            ));
            continue;
        };
        let hard = |problem: TlogProblem| {
            vec![finding(
                tlog_code(&problem),
                format!("log entry {}", entry.log_index),
                problem.to_string(),
            )]
        };
        let v2 = entry.kind == "hashedrekord" && entry.version == "0.0.2";
        if entry.version == "0.0.2" && entry.kind == "dsse" {
            return Err(hard(TlogProblem::Unsupported {
                kind: entry.kind.clone(),
                version: entry.version.clone(),
            }));
        }
        if entry.signed_entry_timestamp.is_none() && entry.inclusion_proof.is_none() {
            skipped.push(finding(
                Code::TlogEntryMissing,
                subject,
                "the entry has neither a signed entry timestamp nor an inclusion proof",
            ));
            continue;
        }
        if v2 && entry.inclusion_proof.is_none() {
            return Err(hard(TlogProblem::InclusionProof));
        }
        let with_set = entry.signed_entry_timestamp.is_some();
        if with_set
            && !v2
            && let Err(problem) = rekor::verify_signed_entry_timestamp(entry, log)
        {
            skipped.push(finding(tlog_code(&problem), subject, problem.to_string()));
            continue;
        }
        if let Some(proof) = &entry.inclusion_proof {
            if rekor::is_rekor_v1_checkpoint(&proof.checkpoint) && !v2 {
                let leaf_hash = rekor::leaf_hash(&entry.body);
                if !rekor::verify_inclusion(
                    &leaf_hash,
                    proof.log_index,
                    proof.tree_size,
                    &proof.hashes,
                    &proof.root_hash,
                ) {
                    return Err(hard(TlogProblem::InclusionProof));
                }
                rekor::verify_checkpoint_v1(
                    &proof.checkpoint,
                    log,
                    &proof.root_hash,
                    proof.tree_size,
                )
                .map_err(hard)?;
            } else {
                let (size, tree_root) =
                    rekor::verify_checkpoint_v2(&proof.checkpoint, log).map_err(hard)?;
                let v2_signer = match leaf {
                    Some(_) => V2Signer::Certificate(signer_der),
                    None => V2Signer::Key(signer_der),
                };
                let body =
                    rekor::rebuild_v2_body(&bundle.content, &v2_signer, key).map_err(hard)?;
                if !rekor::verify_inclusion(
                    &rekor::leaf_hash(&body),
                    entry.log_index,
                    size,
                    &proof.hashes,
                    &tree_root,
                ) {
                    return Err(hard(TlogProblem::InclusionProof));
                }
            }
        }
        if !v2 {
            rekor::match_v1_body(entry, &bundle.content, signer_der).map_err(hard)?;
        }
        check_integrated_time(entry, leaf, now)?;
        if !verified_logs.contains(&entry.log_id.as_slice()) {
            verified_logs.push(&entry.log_id);
            if with_set && !v2 {
                times.push(entry.integrated_time);
            }
        }
    }
    if verified_logs.is_empty() {
        if skipped.is_empty() {
            skipped.push(finding(
                Code::TlogEntryMissing,
                "bundle",
                "the bundle has no transparency-log entry",
            ));
        }
        return Err(skipped);
    }
    Ok(times)
}

fn check_integrated_time(
    entry: &TlogEntry,
    leaf: Option<&Leaf>,
    now: i64,
) -> Result<(), Vec<Finding>> {
    if entry.integrated_time == 0 {
        return Ok(());
    }
    let subject = format!("log entry {}", entry.log_index);
    if entry.integrated_time > now + FUTURE_SKEW_SECONDS {
        return Err(vec![finding(
            Code::IntegratedTimeInFuture,
            subject,
            format!(
                "integrated at {}, later than now ({now})",
                entry.integrated_time
            ),
        )]);
    }
    if let Some(leaf) = leaf
        && !leaf.valid_at(entry.integrated_time)
    {
        return Err(vec![finding(
            Code::IntegratedTimeOutsideCertificateValidity,
            subject,
            format!(
                "integrated at {}, outside the certificate's validity ({} to {})",
                entry.integrated_time, leaf.not_before, leaf.not_after
            ),
        )]);
    }
    Ok(())
}

/// The signature over the artifact (message signatures), or the envelope over a statement
/// about the artifact (DSSE).
fn verify_content(
    content: &Content,
    artifact: Artifact<'_>,
    key: &VerifyingKey,
) -> Result<Option<Statement>, Vec<Finding>> {
    let reject = |code: Code, message: String| vec![finding(code, "bundle", message)];
    match content {
        Content::MessageSignature {
            algorithm,
            digest,
            signature,
        } => {
            match artifact {
                Artifact::Bytes(bytes) => {
                    key.verify(bytes, signature)
                        .map_err(|e| reject(Code::SignatureInvalid, e.to_string()))?;
                    if algorithm.digest(bytes) != *digest {
                        return Err(reject(
                            Code::MessageDigestMismatch,
                            "the bundle's digest is not the artifact's".into(),
                        ));
                    }
                }
                Artifact::Sha256(given) => {
                    if *algorithm != HashAlgorithm::Sha256 || given != digest.as_slice() {
                        return Err(reject(
                            Code::MessageDigestMismatch,
                            "the bundle's digest is not the one given".into(),
                        ));
                    }
                    key.verify_digest(given, signature)
                        .map_err(|e| reject(Code::SignatureInvalid, e.to_string()))?;
                }
            }
            Ok(None)
        }
        Content::Dsse {
            payload_type,
            payload,
            signatures,
        } => {
            let signature = signatures
                .first()
                .map(|(_, s)| s.as_slice())
                .unwrap_or_default();
            key.verify_pure(&pae(payload_type, payload), signature)
                .map_err(|e| reject(Code::SignatureInvalid, e.to_string()))?;
            if payload_type != IN_TOTO_PAYLOAD_TYPE {
                return Err(reject(
                    Code::PayloadTypeMismatch,
                    format!(
                        "envelope payload type is {payload_type:?}, not {IN_TOTO_PAYLOAD_TYPE}"
                    ),
                ));
            }
            let statement = Statement::parse(payload)
                .map_err(|e| reject(Code::StatementMalformed, e.to_string()))?;
            let about = match artifact {
                Artifact::Bytes(bytes) => statement.subject.iter().any(|s| {
                    s.digest.iter().any(|(algorithm, hex)| {
                        let computed = match algorithm.as_str() {
                            "sha256" => HashAlgorithm::Sha256.digest(bytes),
                            "sha384" => HashAlgorithm::Sha384.digest(bytes),
                            "sha512" => HashAlgorithm::Sha512.digest(bytes),
                            _ => return false,
                        };
                        super::encoding::hex(&computed) == *hex
                    })
                }),
                Artifact::Sha256(given) => {
                    let given = super::encoding::hex(given);
                    statement
                        .subject
                        .iter()
                        .any(|s| s.digest.get("sha256") == Some(&given))
                }
            };
            if !about {
                return Err(reject(
                    Code::SubjectMismatch,
                    "the statement is not about the artifact".into(),
                ));
            }
            Ok(Some(statement))
        }
    }
}

/// The first identity the certificate has; else the findings of the first one tried.
fn any_identity(leaf: &Leaf, identities: &[Identity]) -> Result<Signer, Vec<Finding>> {
    let mut first_failure = None;
    for identity in identities {
        match check_identity(leaf, identity) {
            Ok(signer) => return Ok(signer),
            Err(findings) => {
                first_failure.get_or_insert(findings);
            }
        }
    }
    Err(first_failure.unwrap_or_else(|| {
        vec![finding(
            Code::IdentityMismatch,
            "certificate",
            "no identity is required of the certificate, so none can match".to_owned(),
        )]
    }))
}

fn check_identity(leaf: &Leaf, identity: &Identity) -> Result<Signer, Vec<Finding>> {
    let reject = |code: Code, message: String| vec![finding(code, "certificate", message)];
    let subject = leaf.subject.clone().unwrap_or_default();
    if !identity.subject.matches(&subject) {
        return Err(reject(
            Code::IdentityMismatch,
            format!(
                "the certificate's identity is {subject:?}, required {}",
                identity.subject
            ),
        ));
    }
    let issuer = leaf.issuer.clone().unwrap_or_default();
    if !identity.issuer.matches(&issuer) {
        return Err(reject(
            Code::IssuerMismatch,
            format!(
                "the certificate's issuer is {issuer:?}, required {}",
                identity.issuer
            ),
        ));
    }
    for (oid, expected) in &identity.extensions {
        let found = leaf.extensions.get(oid);
        if found != Some(expected) {
            return Err(reject(
                Code::CertificateExtensionMismatch,
                format!(
                    "{} is {found:?}, required {expected:?}",
                    extension_name(oid)
                ),
            ));
        }
    }
    let extensions: BTreeMap<String, String> = leaf
        .extensions
        .iter()
        .map(|(oid, value)| (extension_name(oid).to_owned(), value.clone()))
        .collect();
    Ok(Signer::Certificate {
        identity: subject,
        issuer,
        extensions,
    })
}
