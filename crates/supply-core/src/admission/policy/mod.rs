//! sigstore policy-controller's `ClusterImagePolicy`, read as users already have it and
//! compiled into what [`super::evaluate`] checks. Loading validates everything up front: a
//! field we do not know is an error, and one we know but cannot evaluate (a CUE or Rego
//! policy, a KMS key, a secret reference, `match`, `source`) is refused as unsupported, never
//! skipped, with the file, the document and the line.
//!
//! Semantics are policy-controller's: every policy whose glob matches the image must pass;
//! within a policy, any one authority passing suffices. An authority with `attestations`
//! passes when every attestation it lists verifies (and meets its conditions); one without
//! passes when a signature verifies. The few places we are deliberately stricter are listed in
//! `ARCHITECTURE.md` (regular expressions are anchored; `insecureIgnoreSCT: true` is refused).

mod compile;
mod model;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::glob::Glob;
use crate::attest::policy::Policy as Conditions;
use crate::digest::Digest;
use crate::sigstore::TrustedRoot;
use crate::verify::{Formats, KeySource};

/// Largest policy file we read.
pub const MAX_POLICY_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// What to do with an image no policy matches (policy-controller's `no-match-policy`).
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoMatch {
    /// Refuse it (the default, as policy-controller's).
    #[default]
    Deny,
    /// Admit it.
    Allow,
    /// Admit it with a warning.
    Warn,
}

/// `spec.mode`.
#[derive(Clone, Copy, Debug, Default, Eq, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// A failure refuses the image.
    #[default]
    Enforce,
    /// A failure admits the image with a warning.
    Warn,
}

/// A loaded set of policies: what one `--policy` list or one webhook configuration holds.
#[derive(Clone, Debug, Default)]
pub struct PolicySet {
    /// The policies, in file and document order.
    pub policies: Vec<ImagePolicy>,
    /// For images no policy matches.
    pub no_match: NoMatch,
}

/// One `ClusterImagePolicy`.
#[derive(Clone, Debug)]
pub struct ImagePolicy {
    /// `metadata.name`.
    pub name: String,
    /// Where it was read: `file`, document number (from 1).
    pub origin: (PathBuf, usize),
    /// `spec.images[].glob`.
    pub globs: Vec<Glob>,
    /// `spec.authorities`, any one of which suffices.
    pub authorities: Vec<Authority>,
    /// `spec.mode`.
    pub mode: Mode,
    /// SHA-256 over the policy's source and the trusted roots it uses: the cache key, so an
    /// edited policy or root is never answered from an old verdict.
    pub hash: Digest,
}

/// One authority of a policy.
#[derive(Clone, Debug)]
pub struct Authority {
    /// `name`, else `authority-<index>` as policy-controller names it.
    pub name: String,
    /// What it checks.
    pub check: Check,
}

/// What an authority checks.
#[allow(
    clippy::large_enum_variant,
    reason = "a handful per policy, built once at load; boxing would only add indirection"
)]
#[derive(Clone, Debug)]
pub enum Check {
    /// `static`: no cryptography.
    Static {
        /// `action: pass` (else fail).
        pass: bool,
        /// `message`.
        message: Option<String>,
    },
    /// `key` or `keyless`: signatures, or the attestations listed.
    Signed {
        /// Whose signatures count.
        key: KeySource,
        /// The trusted root the signatures are checked under (none: the key alone).
        trusted_root: Option<Arc<TrustedRoot>>,
        /// Which formats are read (`signatureFormat`).
        formats: Formats,
        /// `attestations`: when not empty, each must verify instead of a signature.
        attestations: Vec<AttestationRule>,
    },
}

/// One entry of an authority's `attestations`.
#[derive(Clone, Debug)]
pub struct AttestationRule {
    /// `name`.
    pub name: String,
    /// `predicateType`, as a URI (cosign's short names expanded).
    pub predicate_type: String,
    /// The conditions over the predicate (`policy` of type `supply`); empty when none.
    pub conditions: Conditions,
}

/// A trusted root the policies may use, with the digest of its JSON (part of policy hashes).
#[derive(Clone, Debug)]
pub struct TrustRoot {
    /// The parsed root.
    pub root: Arc<TrustedRoot>,
    /// SHA-256 of its JSON.
    pub digest: Digest,
}

impl TrustRoot {
    /// Parses a trusted root's JSON.
    pub fn from_json(bytes: &[u8]) -> Result<Self, crate::sigstore::TrustRootError> {
        Ok(Self {
            root: Arc::new(TrustedRoot::from_json(bytes)?),
            digest: Digest::sha256(bytes),
        })
    }
}

/// The trusted roots available to policies.
#[derive(Clone, Debug, Default)]
pub struct TrustRoots {
    /// For keyless authorities without `trustRootRef` (the public-good root, or one given).
    pub default: Option<TrustRoot>,
    /// By name, for `trustRootRef`.
    pub named: BTreeMap<String, TrustRoot>,
}

/// A policy file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyLoadError {
    /// The file could not be read.
    #[error("{}: {source}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::fsio::FileError,
    },
    /// A document does not parse, or breaks a rule of the format.
    #[error("{}: document {document}, line {line}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The document, from 1.
        document: usize,
        /// The line, from 1.
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A field we know but do not evaluate: refused, never skipped.
    #[error("{}: document {document}, line {line}: {field} is not supported: {why}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// The document, from 1.
        document: usize,
        /// The line, from 1.
        line: u64,
        /// The field (`spec.authorities[0].key.kms`).
        field: String,
        /// Why, and what to use instead.
        why: String,
    },
    /// Two policies have the same name.
    #[error("policy {name:?} is defined twice")]
    Duplicate {
        /// The name.
        name: String,
    },
}

impl crate::error::Classify for PolicyLoadError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::File { source, .. } => source.kind(),
            Self::Unsupported { .. } => crate::ErrorKind::Unsupported,
            _ => crate::ErrorKind::InvalidInput,
        }
    }
}

/// The parsed documents of one file, before trusted roots are attached.
#[derive(Debug)]
pub struct PolicyFile {
    path: PathBuf,
    text: String,
    documents: Vec<(usize, u64, model::Document)>,
}

impl PolicyFile {
    /// Reads and parses a policy file (YAML, one or more documents).
    pub fn read(path: &Path) -> Result<Self, PolicyLoadError> {
        let text =
            crate::fsio::read_text_bounded(path, MAX_POLICY_FILE_BYTES).map_err(|source| {
                PolicyLoadError::File {
                    path: path.to_owned(),
                    source,
                }
            })?;
        Self::parse(path, text)
    }

    /// Parses policy YAML; `path` names it in errors.
    pub fn parse(path: &Path, text: String) -> Result<Self, PolicyLoadError> {
        let documents = compile::parse_documents(path, &text)?;
        Ok(Self {
            path: path.to_owned(),
            text,
            documents,
        })
    }

    /// Whether some authority needs the default trusted root (keyless without
    /// `trustRootRef`, or a transparency log named by URL only).
    pub fn needs_default_root(&self) -> bool {
        self.documents
            .iter()
            .any(|(_, _, document)| compile::needs_default_root(document))
    }
}

impl PolicySet {
    /// Compiles parsed files into one set, with the trusted roots they may name.
    pub fn compile(
        files: &[PolicyFile],
        roots: &TrustRoots,
        no_match: NoMatch,
    ) -> Result<Self, PolicyLoadError> {
        let mut policies: Vec<ImagePolicy> = Vec::new();
        for file in files {
            for (index, line, document) in &file.documents {
                let context = compile::Context {
                    path: &file.path,
                    text: &file.text,
                    document: *index,
                    line: *line,
                    roots,
                };
                let policy = compile::policy(&context, document)?;
                if policies.iter().any(|p| p.name == policy.name) {
                    return Err(PolicyLoadError::Duplicate { name: policy.name });
                }
                policies.push(policy);
            }
        }
        Ok(Self { policies, no_match })
    }

    /// The policies whose globs match the image (parsed, and as written).
    pub fn matching<'a>(
        &'a self,
        image: &'a crate::oci::Reference,
        written: &'a str,
    ) -> impl Iterator<Item = &'a ImagePolicy> + 'a {
        self.policies
            .iter()
            .filter(move |p| p.globs.iter().any(|g| g.matches(image, written)))
    }
}
