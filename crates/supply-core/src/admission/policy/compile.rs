//! From the documents as written to the checks they mean, validating as we go. Errors carry
//! the file, the document and the line of the field at fault.

use std::path::Path;
use std::sync::Arc;

use serde_saphyr::Spanned;

use super::model::{self, Document};
use super::{
    AttestationRule, Authority, Check, ImagePolicy, Mode, PolicyLoadError, TrustRoot, TrustRoots,
};
use crate::admission::glob::Glob;
use crate::attest::intoto::predicate_type;
use crate::attest::policy::Policy as Conditions;
use crate::digest::Digest;
use crate::keys::VerifyingKey;
use crate::sigstore::TrustedRoot;
use crate::sigstore::identity::{Identity, Matcher};
use crate::verify::{Formats, KeySource};

const API_VERSIONS: [&str; 2] = [
    "policy.sigstore.dev/v1beta1",
    "policy.sigstore.dev/v1alpha1",
];
const KIND: &str = "ClusterImagePolicy";

/// Splits the YAML into documents (skipping empty ones), each with its number and first line.
pub(super) fn parse_documents(
    path: &Path,
    text: &str,
) -> Result<Vec<(usize, u64, Document)>, PolicyLoadError> {
    let parsed: Vec<Option<Spanned<Document>>> =
        serde_saphyr::from_multiple(text).map_err(|error| {
            let line = error.location().map_or(1, |l| l.line());
            PolicyLoadError::Invalid {
                path: path.to_owned(),
                document: document_at(text, line),
                line,
                message: message_of(&error),
            }
        })?;
    let documents: Vec<_> = parsed
        .into_iter()
        .flatten()
        .map(|spanned| {
            let line = spanned.referenced.line();
            (document_at(text, line), line, spanned.value)
        })
        .collect();
    if documents.is_empty() {
        return Err(PolicyLoadError::Invalid {
            path: path.to_owned(),
            document: 1,
            line: 1,
            message: "no ClusterImagePolicy in the file".into(),
        });
    }
    Ok(documents)
}

/// The parser's message without its source snippet and position (we print those our way).
fn message_of(error: &serde_saphyr::Error) -> String {
    let text = error.without_snippet().to_string();
    match text.rfind(" at line ") {
        Some(at) => text.get(..at).unwrap_or(&text).to_owned(),
        None => text,
    }
}

/// The number (from 1) of the document holding `line`: one more than the `---` separators
/// before it, not counting one that opens the file.
fn document_at(text: &str, line: u64) -> usize {
    let mut document = 1;
    let mut seen_content = false;
    for (number, content) in (1u64..).zip(text.lines()) {
        if number >= line {
            break;
        }
        if content.starts_with("---") {
            if seen_content {
                document += 1;
            }
            seen_content = true;
        } else if !content.trim().is_empty() && !content.trim_start().starts_with('#') {
            seen_content = true;
        }
    }
    document
}

pub(super) fn needs_default_root(document: &Document) -> bool {
    document.spec.authorities.iter().any(|authority| {
        let authority = &authority.value;
        let keyless_default = authority
            .keyless
            .as_ref()
            .is_some_and(|k| k.value.trust_root_ref.is_none());
        let tlog_by_url = authority
            .ctlog
            .as_ref()
            .is_some_and(|t| t.value.trust_root_ref.is_none());
        keyless_default || tlog_by_url
    })
}

/// Where we are, for error messages, and what roots there are.
pub(super) struct Context<'a> {
    pub(super) path: &'a Path,
    pub(super) text: &'a str,
    pub(super) document: usize,
    pub(super) line: u64,
    pub(super) roots: &'a TrustRoots,
}

impl Context<'_> {
    fn invalid(&self, line: u64, message: impl Into<String>) -> PolicyLoadError {
        PolicyLoadError::Invalid {
            path: self.path.to_owned(),
            document: self.document,
            line,
            message: message.into(),
        }
    }

    fn unsupported(&self, line: u64, field: &str, why: &str) -> PolicyLoadError {
        PolicyLoadError::Unsupported {
            path: self.path.to_owned(),
            document: self.document,
            line,
            field: field.to_owned(),
            why: why.to_owned(),
        }
    }

    fn root(&self, line: u64, name: Option<&str>) -> Result<&TrustRoot, PolicyLoadError> {
        match name {
            Some(name) => self.roots.named.get(name).ok_or_else(|| {
                self.invalid(
                    line,
                    format!("trustRootRef {name:?} names no trusted root that was given"),
                )
            }),
            None => self.roots.default.as_ref().ok_or_else(|| {
                self.invalid(
                    line,
                    "this authority needs the default Sigstore trusted root",
                )
            }),
        }
    }
}

pub(super) fn policy(
    cx: &Context<'_>,
    document: &Document,
) -> Result<ImagePolicy, PolicyLoadError> {
    if !API_VERSIONS.contains(&document.api_version.as_str()) {
        return Err(cx.invalid(
            cx.line,
            format!(
                "apiVersion {:?} is not one of {}",
                document.api_version,
                API_VERSIONS.join(", ")
            ),
        ));
    }
    if document.kind != KIND {
        return Err(cx.invalid(cx.line, format!("kind {:?} is not {KIND}", document.kind)));
    }
    let spec = &document.spec;
    if let Some(spanned) = &spec.match_resources {
        return Err(cx.unsupported(
            spanned.referenced.line(),
            "spec.match",
            "policies apply to every resource kind here; scope the webhook with its rules and namespaceSelector",
        ));
    }
    if let Some(spanned) = &spec.policy {
        return Err(cx.unsupported(
            spanned.referenced.line(),
            "spec.policy",
            "CUE and Rego policies are not evaluated; use attestation conditions (policy type \"supply\")",
        ));
    }
    let mode = match spec
        .mode
        .as_ref()
        .map(|m| (m.value.as_str(), m.referenced.line()))
    {
        None | Some(("enforce", _)) => Mode::Enforce,
        Some(("warn", _)) => Mode::Warn,
        Some((other, line)) => {
            return Err(cx.invalid(line, format!("mode {other:?} is not enforce or warn")));
        }
    };
    if spec.images.is_empty() {
        return Err(cx.invalid(cx.line, "spec.images is empty"));
    }
    let globs = spec
        .images
        .iter()
        .map(|image| {
            Glob::new(&image.value.glob)
                .map_err(|e| cx.invalid(image.referenced.line(), e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if spec.authorities.is_empty() {
        return Err(cx.invalid(
            cx.line,
            "spec.authorities is empty (policy-controller's fail-on-empty-authorities)",
        ));
    }
    let mut used_roots = Vec::new();
    let authorities = spec
        .authorities
        .iter()
        .enumerate()
        .map(|(index, authority)| self::authority(cx, index, authority, &mut used_roots))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImagePolicy {
        name: document.metadata.name.clone(),
        origin: (cx.path.to_owned(), cx.document),
        globs,
        authorities,
        mode,
        hash: policy_hash(cx, &used_roots),
    })
}

/// The policy's identity for caches: its file, its document number, the file's text and the
/// roots it uses.
fn policy_hash(cx: &Context<'_>, roots: &[Digest]) -> Digest {
    let mut input = format!("{}\n{}\n", cx.path.display(), cx.document).into_bytes();
    input.extend_from_slice(cx.text.as_bytes());
    for root in roots {
        input.extend_from_slice(root.to_string().as_bytes());
    }
    Digest::sha256(&input)
}

fn authority(
    cx: &Context<'_>,
    index: usize,
    spanned: &Spanned<model::Authority>,
    used_roots: &mut Vec<Digest>,
) -> Result<Authority, PolicyLoadError> {
    let a = &spanned.value;
    let line = spanned.referenced.line();
    let field = |name: &str| format!("spec.authorities[{index}].{name}");
    let name = a
        .name
        .clone()
        .unwrap_or_else(|| format!("authority-{index}"));
    if let Some(source) = &a.source {
        return Err(cx.unsupported(
            source.referenced.line(),
            &field("source"),
            "signatures are read from the image's own repository",
        ));
    }
    let chosen = [a.key.is_some(), a.keyless.is_some(), a.static_ref.is_some()];
    match chosen.iter().filter(|&&set| set).count() {
        0 => return Err(cx.invalid(line, "an authority needs one of key, keyless, static")),
        1 => {}
        _ => return Err(cx.invalid(line, "an authority takes only one of key, keyless, static")),
    }
    if let Some(static_ref) = &a.static_ref {
        if !a.attestations.is_empty() || a.ctlog.is_some() || a.rfc3161_timestamp.is_some() {
            return Err(cx.invalid(
                line,
                "a static authority takes no attestations, ctlog or rfc3161timestamp",
            ));
        }
        let pass = match static_ref.value.action.as_str() {
            "pass" => true,
            "fail" => false,
            other => {
                return Err(cx.invalid(
                    static_ref.referenced.line(),
                    format!("static action {other:?} is not pass or fail"),
                ));
            }
        };
        return Ok(Authority {
            name,
            check: Check::Static {
                pass,
                message: static_ref.value.message.clone(),
            },
        });
    }
    let formats = match a
        .signature_format
        .as_ref()
        .map(|f| (f.value.as_str(), f.referenced.line()))
    {
        None => Formats::Any,
        Some(("legacy", _)) => Formats::Legacy,
        Some(("bundle", _)) => Formats::Bundle,
        Some((other, line)) => {
            return Err(cx.invalid(
                line,
                format!("signatureFormat {other:?} is not legacy or bundle"),
            ));
        }
    };
    let (key, trusted_root) = if let Some(key) = &a.key {
        let verifying_key = key_of(cx, &field("key"), key)?;
        let root = transparency_root(cx, a, used_roots)?;
        (KeySource::Key(verifying_key), root)
    } else if let Some(keyless) = &a.keyless {
        let (identities, root) = keyless_of(cx, &field("keyless"), keyless, a, used_roots)?;
        (KeySource::AnyIdentity(identities), Some(root))
    } else {
        return Err(cx.invalid(line, "an authority needs one of key, keyless, static"));
    };
    let attestations = a
        .attestations
        .iter()
        .enumerate()
        .map(|(i, attestation)| {
            attestation_of(cx, &field(&format!("attestations[{i}]")), attestation)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Authority {
        name,
        check: Check::Signed {
            key,
            trusted_root,
            formats,
            attestations,
        },
    })
}

fn key_of(
    cx: &Context<'_>,
    field: &str,
    key: &Spanned<model::KeyRef>,
) -> Result<VerifyingKey, PolicyLoadError> {
    let line = key.referenced.line();
    let k = &key.value;
    if k.secret_ref.is_some() {
        return Err(cx.unsupported(
            line,
            &format!("{field}.secretRef"),
            "there is no Kubernetes API access here; put the public key in data",
        ));
    }
    if k.kms.is_some() {
        return Err(cx.unsupported(
            line,
            &format!("{field}.kms"),
            "KMS keys are not read; put the public key in data",
        ));
    }
    match k.hash_algorithm.as_deref() {
        None | Some("sha256") => {}
        Some(other) => {
            return Err(cx.unsupported(
                line,
                &format!("{field}.hashAlgorithm"),
                &format!("only sha256 is verified, not {other:?}"),
            ));
        }
    }
    let Some(data) = &k.data else {
        return Err(cx.invalid(line, format!("{field} needs data (a PEM public key)")));
    };
    VerifyingKey::from_pem(data)
        .map_err(|e| cx.invalid(line, format!("{field}.data is not a public key: {e}")))
}

fn keyless_of(
    cx: &Context<'_>,
    field: &str,
    keyless: &Spanned<model::KeylessRef>,
    authority: &model::Authority,
    used_roots: &mut Vec<Digest>,
) -> Result<(Vec<Identity>, Arc<TrustedRoot>), PolicyLoadError> {
    let line = keyless.referenced.line();
    let k = &keyless.value;
    if k.ca_cert.is_some() {
        return Err(cx.unsupported(
            line,
            &format!("{field}.ca-cert"),
            "give the CA as a trusted root (trustRootRef)",
        ));
    }
    if k.insecure_ignore_sct == Some(true) {
        return Err(cx.unsupported(
            line,
            &format!("{field}.insecureIgnoreSCT"),
            "certificates are always checked for a signed certificate timestamp",
        ));
    }
    if k.identities.is_empty() {
        return Err(cx.invalid(line, format!("{field}.identities is empty")));
    }
    let identities = k
        .identities
        .iter()
        .map(|identity| identity_of(cx, identity))
        .collect::<Result<Vec<_>, _>>()?;
    let root = cx.root(line, k.trust_root_ref.as_deref())?;
    used_roots.push(root.digest.clone());
    let mut trusted = (*root.root).clone();
    if let Some(url) = &k.url {
        trusted
            .certificate_authorities
            .retain(|ca| same_url(&ca.uri, url));
        if trusted.certificate_authorities.is_empty() {
            return Err(cx.invalid(
                line,
                format!("{field}.url {url:?} is no certificate authority of the trusted root"),
            ));
        }
    }
    let trusted = restrict_logs(cx, authority, k.trust_root_ref.as_deref(), trusted)?;
    Ok((identities, Arc::new(trusted)))
}

/// A key authority's root: none (the key alone) unless it names a transparency log or a
/// timestamp authority.
fn transparency_root(
    cx: &Context<'_>,
    authority: &model::Authority,
    used_roots: &mut Vec<Digest>,
) -> Result<Option<Arc<TrustedRoot>>, PolicyLoadError> {
    let named = authority
        .ctlog
        .as_ref()
        .map(|t| (t.referenced.line(), t.value.trust_root_ref.as_deref()))
        .or_else(|| {
            authority
                .rfc3161_timestamp
                .as_ref()
                .map(|t| (t.referenced.line(), t.value.trust_root_ref.as_deref()))
        });
    let Some((line, name)) = named else {
        return Ok(None);
    };
    let root = cx.root(line, name)?;
    used_roots.push(root.digest.clone());
    let trusted = restrict_logs(cx, authority, name, (*root.root).clone())?;
    Ok(Some(Arc::new(trusted)))
}

/// `ctlog.url` keeps only that log; `rfc3161timestamp` makes timestamps the time source and
/// the log optional, as policy-controller does.
fn restrict_logs(
    cx: &Context<'_>,
    authority: &model::Authority,
    root_ref: Option<&str>,
    mut trusted: TrustedRoot,
) -> Result<TrustedRoot, PolicyLoadError> {
    if let Some(ctlog) = &authority.ctlog {
        let line = ctlog.referenced.line();
        if ctlog.value.trust_root_ref.is_some() && ctlog.value.trust_root_ref.as_deref() != root_ref
        {
            return Err(cx.invalid(
                line,
                "ctlog.trustRootRef must be the authority's trustRootRef",
            ));
        }
        if let Some(url) = &ctlog.value.url {
            trusted.tlogs.retain(|log| same_url(&log.base_url, url));
            if trusted.tlogs.is_empty() {
                return Err(cx.invalid(
                    line,
                    format!("ctlog.url {url:?} is no transparency log of the trusted root"),
                ));
            }
        }
    }
    if let Some(tsa) = &authority.rfc3161_timestamp {
        let line = tsa.referenced.line();
        if tsa.value.trust_root_ref.as_deref() != root_ref {
            return Err(cx.invalid(
                line,
                "rfc3161timestamp.trustRootRef must be the authority's trustRootRef",
            ));
        }
        if trusted.timestamp_authorities.is_empty() {
            return Err(cx.invalid(line, "the trusted root has no timestamp authority"));
        }
        trusted.tlogs.clear();
    }
    Ok(trusted)
}

fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

fn identity_of(
    cx: &Context<'_>,
    identity: &Spanned<model::Identity>,
) -> Result<Identity, PolicyLoadError> {
    let line = identity.referenced.line();
    let id = &identity.value;
    let matcher =
        |exact: &Option<String>, pattern: &Option<String>, what: &str| match (exact, pattern) {
            (Some(_), Some(_)) => Err(cx.invalid(
                line,
                format!("an identity takes {what} or {what}RegExp, not both"),
            )),
            (Some(exact), None) => Ok(Matcher::Exact(exact.clone())),
            (None, Some(pattern)) => Matcher::regex(pattern).map_err(|e| {
                cx.invalid(
                    line,
                    format!("{what}RegExp {pattern:?} is not a regular expression: {e}"),
                )
            }),
            (None, None) => {
                Err(cx.invalid(line, format!("an identity needs {what} or {what}RegExp")))
            }
        };
    Ok(Identity {
        subject: matcher(&id.subject, &id.subject_regexp, "subject")?,
        issuer: matcher(&id.issuer, &id.issuer_regexp, "issuer")?,
        extensions: Default::default(),
    })
}

fn attestation_of(
    cx: &Context<'_>,
    field: &str,
    attestation: &Spanned<model::Attestation>,
) -> Result<AttestationRule, PolicyLoadError> {
    let line = attestation.referenced.line();
    let a = &attestation.value;
    if a.name.is_empty() {
        return Err(cx.invalid(line, format!("{field}.name is missing")));
    }
    if a.predicate_type.is_empty() {
        return Err(cx.invalid(line, format!("{field}.predicateType is missing")));
    }
    let predicate_type =
        predicate_type(&a.predicate_type).map_err(|e| cx.invalid(line, e.to_string()))?;
    let conditions = match &a.policy {
        None => Conditions::default(),
        Some(policy) => conditions_of(cx, &format!("{field}.policy"), policy)?,
    };
    conditions
        .check_applies_to(&predicate_type)
        .map_err(|e| cx.invalid(line, e.to_string()))?;
    Ok(AttestationRule {
        name: a.name.clone(),
        predicate_type,
        conditions,
    })
}

/// An attestation's `policy`: our conditions (type `supply`, `data` in the TOML of
/// `verify-attestation` policies); CUE, Rego, remote and ConfigMap policies are refused.
fn conditions_of(
    cx: &Context<'_>,
    field: &str,
    policy: &Spanned<model::Policy>,
) -> Result<Conditions, PolicyLoadError> {
    let line = policy.referenced.line();
    let p = &policy.value;
    match p.policy_type.as_str() {
        "supply" => {}
        "cue" | "rego" => {
            return Err(cx.unsupported(
                line,
                field,
                &format!(
                    "{} policies are not evaluated; write the conditions as type \"supply\"",
                    p.policy_type
                ),
            ));
        }
        other => {
            return Err(cx.invalid(
                line,
                format!("{field}.type {other:?} is not supply (cue and rego are not evaluated)"),
            ));
        }
    }
    if p.remote.is_some() || p.config_map_ref.is_some() {
        return Err(cx.unsupported(line, field, "conditions are read from data only"));
    }
    if p.fetch_config_file.is_some()
        || p.include_spec.is_some()
        || p.include_object_meta.is_some()
        || p.include_type_meta.is_some()
    {
        return Err(cx.unsupported(
            line,
            field,
            "conditions see the attestation only (no image config, spec or metadata)",
        ));
    }
    let Some(data) = &p.data else {
        return Err(cx.invalid(line, format!("{field}.data is missing")));
    };
    Conditions::parse(data).map_err(|e| cx.invalid(line, format!("{field}.data: {e}")))
}

#[cfg(test)]
#[path = "compile_tests.rs"]
mod tests;
