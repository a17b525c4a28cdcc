//! The `ClusterImagePolicy` documents as written (`policy.sigstore.dev/v1beta1` and
//! `v1alpha1` have the same fields), field for field as policy-controller's Go types. Every
//! field policy-controller knows is here, so that one we do not evaluate is refused by name
//! instead of being ignored; any other field is an error.

use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Document {
    pub(super) api_version: String,
    pub(super) kind: String,
    pub(super) metadata: Metadata,
    pub(super) spec: Spec,
    /// Present in `kubectl get -o yaml` output; never read.
    #[allow(
        dead_code,
        reason = "accepted so exported policies load; nothing in it decides"
    )]
    #[serde(default)]
    pub(super) status: Option<IgnoredAny>,
}

/// Kubernetes object metadata: only the name is read; the rest are standard fields a policy
/// exported from a cluster carries.
#[allow(
    dead_code,
    reason = "standard metadata is accepted, and only the name decides"
)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Metadata {
    pub(super) name: String,
    #[serde(default)]
    labels: Option<IgnoredAny>,
    #[serde(default)]
    annotations: Option<IgnoredAny>,
    #[serde(default)]
    namespace: Option<IgnoredAny>,
    #[serde(default)]
    uid: Option<IgnoredAny>,
    #[serde(default)]
    resource_version: Option<IgnoredAny>,
    #[serde(default)]
    generation: Option<IgnoredAny>,
    #[serde(default)]
    creation_timestamp: Option<IgnoredAny>,
    #[serde(default)]
    managed_fields: Option<IgnoredAny>,
    #[serde(default)]
    finalizers: Option<IgnoredAny>,
    #[serde(default)]
    owner_references: Option<IgnoredAny>,
    #[serde(default)]
    generate_name: Option<IgnoredAny>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Spec {
    #[serde(default)]
    pub(super) images: Vec<Spanned<ImagePattern>>,
    #[serde(default)]
    pub(super) authorities: Vec<Spanned<Authority>>,
    #[serde(default)]
    pub(super) policy: Option<Spanned<Policy>>,
    #[serde(default)]
    pub(super) mode: Option<Spanned<String>>,
    #[serde(default, rename = "match")]
    pub(super) match_resources: Option<Spanned<IgnoredAny>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImagePattern {
    #[serde(default)]
    pub(super) glob: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Authority {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) key: Option<Spanned<KeyRef>>,
    #[serde(default)]
    pub(super) keyless: Option<Spanned<KeylessRef>>,
    #[serde(default, rename = "static")]
    pub(super) static_ref: Option<Spanned<StaticRef>>,
    #[serde(default)]
    pub(super) source: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    pub(super) ctlog: Option<Spanned<TLog>>,
    #[serde(default)]
    pub(super) attestations: Vec<Spanned<Attestation>>,
    #[serde(default, rename = "rfc3161timestamp")]
    pub(super) rfc3161_timestamp: Option<Spanned<TrustRootRef>>,
    #[serde(default)]
    pub(super) signature_format: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct KeyRef {
    #[serde(default)]
    pub(super) secret_ref: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) data: Option<String>,
    #[serde(default)]
    pub(super) kms: Option<String>,
    #[serde(default)]
    pub(super) hash_algorithm: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct KeylessRef {
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) identities: Vec<Spanned<Identity>>,
    #[serde(default, rename = "ca-cert")]
    pub(super) ca_cert: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) trust_root_ref: Option<String>,
    #[serde(default, rename = "insecureIgnoreSCT")]
    pub(super) insecure_ignore_sct: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Identity {
    #[serde(default)]
    pub(super) issuer: Option<String>,
    #[serde(default)]
    pub(super) subject: Option<String>,
    #[serde(default, rename = "issuerRegExp")]
    pub(super) issuer_regexp: Option<String>,
    #[serde(default, rename = "subjectRegExp")]
    pub(super) subject_regexp: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StaticRef {
    #[serde(default)]
    pub(super) action: String,
    #[serde(default)]
    pub(super) message: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct TLog {
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) trust_root_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct TrustRootRef {
    #[serde(default)]
    pub(super) trust_root_ref: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Attestation {
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) predicate_type: String,
    #[serde(default)]
    pub(super) policy: Option<Spanned<Policy>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Policy {
    #[serde(default, rename = "type")]
    pub(super) policy_type: String,
    #[serde(default)]
    pub(super) data: Option<String>,
    #[serde(default)]
    pub(super) remote: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) config_map_ref: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) fetch_config_file: Option<bool>,
    #[serde(default)]
    pub(super) include_spec: Option<bool>,
    #[serde(default)]
    pub(super) include_object_meta: Option<bool>,
    #[serde(default)]
    pub(super) include_type_meta: Option<bool>,
}
