//! Kubernetes `AdmissionReview` (`admission.k8s.io/v1`, and `v1beta1` answered in kind): the
//! images a request admits, and the answers — allowed or denied with the reasons and their
//! codes, warnings for `warn` mode, and for the mutating webhook a JSONPatch pinning each
//! verified `name:tag` to `name:tag@sha256:…`. Pure mapping: no I/O here.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::evaluate::ImageDecision;
use crate::text::printable;

/// The versions we answer.
pub const API_VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

/// Longest denial message (kubectl prints it whole).
const MAX_MESSAGE: usize = 4096;
/// Longest single warning (the API server's guidance is 120; longer ones may be cut).
const MAX_WARNING: usize = 256;
/// Most warnings in one answer.
const MAX_WARNINGS: usize = 16;

/// A request that cannot be answered (the HTTP answer is 400).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReviewError {
    /// Not JSON, or not an AdmissionReview.
    #[error("not an AdmissionReview: {0}")]
    Malformed(String),
    /// A version we do not speak.
    #[error("AdmissionReview apiVersion {0:?} is not admission.k8s.io/v1 or v1beta1")]
    Version(String),
    /// No `request`, or no `request.uid`.
    #[error("the AdmissionReview has no {0}")]
    Missing(&'static str),
}

impl crate::error::Classify for ReviewError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReview {
    api_version: Option<String>,
    kind: Option<String>,
    request: Option<RawRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    uid: Option<String>,
    #[serde(default)]
    kind: GroupKind,
    #[serde(default)]
    operation: String,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct GroupKind {
    #[serde(default)]
    group: String,
    #[serde(default)]
    kind: String,
}

/// One request, as far as we read it.
#[derive(Clone, Debug)]
pub struct Review {
    /// The version asked in (answered in the same).
    pub api_version: String,
    /// `request.uid`, echoed.
    pub uid: String,
    /// `CREATE`, `UPDATE`, `DELETE`, `CONNECT`.
    pub operation: String,
    /// `group/kind` (`apps/Deployment`, `/Pod`).
    pub kind: String,
    /// `request.dryRun`.
    pub dry_run: bool,
    /// `namespace/name`, for logs.
    pub object_name: String,
    object: Option<Value>,
}

/// An image in the object, with where it is (a JSON pointer).
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct ImageAt {
    /// `/spec/containers/0/image`.
    pub pointer: String,
    /// The reference as written.
    pub image: String,
}

impl Review {
    /// Parses a request body.
    pub fn parse(body: &[u8]) -> Result<Self, ReviewError> {
        let raw: RawReview =
            serde_json::from_slice(body).map_err(|e| ReviewError::Malformed(e.to_string()))?;
        let api_version = raw.api_version.ok_or(ReviewError::Missing("apiVersion"))?;
        if !API_VERSIONS.contains(&api_version.as_str()) {
            return Err(ReviewError::Version(printable(&api_version).into_owned()));
        }
        if raw.kind.as_deref() != Some("AdmissionReview") {
            return Err(ReviewError::Malformed("kind is not AdmissionReview".into()));
        }
        let request = raw.request.ok_or(ReviewError::Missing("request"))?;
        let uid = request
            .uid
            .filter(|uid| !uid.is_empty())
            .ok_or(ReviewError::Missing("request.uid"))?;
        Ok(Self {
            api_version,
            uid,
            operation: request.operation,
            kind: format!("{}/{}", request.kind.group, request.kind.kind),
            dry_run: request.dry_run.unwrap_or(false),
            object_name: format!(
                "{}/{}",
                request.namespace.unwrap_or_default(),
                request.name.unwrap_or_default()
            ),
            object: request.object,
        })
    }

    /// The images the request would run: none for deletions and for kinds that run nothing.
    pub fn images(&self) -> Vec<ImageAt> {
        if !matches!(self.operation.as_str(), "CREATE" | "UPDATE") {
            return Vec::new();
        }
        let Some(object) = &self.object else {
            return Vec::new();
        };
        let pod_spec = match self.kind.as_str() {
            "/Pod" => "/spec",
            "apps/Deployment"
            | "apps/ReplicaSet"
            | "apps/StatefulSet"
            | "apps/DaemonSet"
            | "batch/Job"
            | "/ReplicationController" => "/spec/template/spec",
            "batch/CronJob" => "/spec/jobTemplate/spec/template/spec",
            _ => return Vec::new(),
        };
        let mut images = Vec::new();
        let Some(spec) = object.pointer(pod_spec) else {
            return images;
        };
        for list in ["containers", "initContainers", "ephemeralContainers"] {
            for (index, container) in entries(spec, list) {
                if let Some(image) = container.get("image").and_then(Value::as_str) {
                    images.push(ImageAt {
                        pointer: format!("{pod_spec}/{list}/{index}/image"),
                        image: image.to_owned(),
                    });
                }
            }
        }
        // Image volumes (Kubernetes 1.31+) run image content too.
        for (index, volume) in entries(spec, "volumes") {
            if let Some(image) = volume.pointer("/image/reference").and_then(Value::as_str) {
                images.push(ImageAt {
                    pointer: format!("{pod_spec}/volumes/{index}/image/reference"),
                    image: image.to_owned(),
                });
            }
        }
        images
    }

    /// The validating answer: allowed when every image is; the denial names each refused
    /// image, the policies it failed and why, with codes.
    pub fn validation_response(&self, decisions: &[(ImageAt, &ImageDecision)]) -> Value {
        let refused: Vec<String> = decisions
            .iter()
            .filter(|(_, d)| !d.allowed)
            .map(|(at, d)| {
                let reasons: Vec<String> = d
                    .findings
                    .iter()
                    .filter(|f| f.severity == crate::verify::Severity::Error)
                    .map(|f| format!("{} [{}]", f.message, f.code))
                    .collect();
                format!("{} ({}): {}", d.image, at.pointer, reasons.join("; "))
            })
            .collect();
        let mut warnings: Vec<String> = Vec::new();
        for (_, decision) in decisions {
            for warning in decision.warnings() {
                if !warnings.contains(&warning) {
                    warnings.push(warning);
                }
            }
        }
        warnings.truncate(MAX_WARNINGS);
        let warnings: Vec<String> = warnings.iter().map(|w| cut(w, MAX_WARNING)).collect();
        let mut response = json!({"uid": self.uid, "allowed": refused.is_empty()});
        if !refused.is_empty() {
            let message = cut(
                &format!("supply admission: {}", refused.join(" | ")),
                MAX_MESSAGE,
            );
            response["status"] = json!({"code": 403, "reason": "Forbidden", "message": message});
        }
        if !warnings.is_empty() {
            response["warnings"] = json!(warnings);
        }
        let verified: Vec<String> = decisions
            .iter()
            .filter_map(|(_, d)| Some(format!("{}@{}", d.image, d.digest.as_ref()?)))
            .collect();
        if !verified.is_empty() {
            response["auditAnnotations"] = json!({"images": cut(&verified.join(","), MAX_MESSAGE)});
        }
        self.wrap(response)
    }

    /// The mutating answer: always allowed (refusing is the validating webhook's job), with a
    /// patch pinning every admitted tag to the digest verified. Images already pinned are left
    /// alone, so applying the answer to its own result patches nothing.
    pub fn mutation_response(&self, decisions: &[(ImageAt, &ImageDecision)]) -> Value {
        let patch: Vec<Value> = decisions
            .iter()
            .filter(|(_, d)| d.allowed)
            .filter_map(|(at, d)| {
                let digest = d.digest.as_ref()?;
                if at.image.contains('@') {
                    return None;
                }
                Some(json!({"op": "replace", "path": at.pointer, "value": format!("{}@{digest}", at.image)}))
            })
            .collect();
        let mut response = json!({"uid": self.uid, "allowed": true});
        if !patch.is_empty() {
            let bytes = serde_json::to_vec(&patch).unwrap_or_default();
            response["patchType"] = json!("JSONPatch");
            response["patch"] = json!(base64::engine::general_purpose::STANDARD.encode(bytes));
        }
        self.wrap(response)
    }

    /// An answer with nothing to check.
    pub fn allow(&self) -> Value {
        self.wrap(json!({"uid": self.uid, "allowed": true}))
    }

    fn wrap(&self, response: Value) -> Value {
        json!({"apiVersion": self.api_version, "kind": "AdmissionReview", "response": response})
    }
}

fn entries<'a>(spec: &'a Value, list: &str) -> impl Iterator<Item = (usize, &'a Value)> + 'a {
    spec.get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
}

/// At most `max` bytes, cut at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", text.get(..end).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn review(kind: (&str, &str), operation: &str, object: Value) -> Review {
        let body = json!({
            "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
            "request": {"uid": "u-1", "kind": {"group": kind.0, "version": "v1", "kind": kind.1},
                        "operation": operation, "object": object}
        });
        Review::parse(&serde_json::to_vec(&body).unwrap()).unwrap()
    }

    #[test]
    fn images_of_every_workload_kind() {
        let pod_spec = json!({
            "containers": [{"name": "a", "image": "r/a:1"}],
            "initContainers": [{"name": "b", "image": "r/b:1", "restartPolicy": "Always"}],
            "ephemeralContainers": [{"name": "c", "image": "r/c:1"}],
            "volumes": [{"name": "v", "image": {"reference": "r/v:1"}}, {"name": "e", "emptyDir": {}}]
        });
        let pod = review(("", "Pod"), "CREATE", json!({"spec": pod_spec}));
        let pointers: Vec<String> = pod.images().into_iter().map(|i| i.pointer).collect();
        assert_eq!(
            pointers,
            [
                "/spec/containers/0/image",
                "/spec/initContainers/0/image",
                "/spec/ephemeralContainers/0/image",
                "/spec/volumes/0/image/reference"
            ]
        );
        let template = json!({"spec": {"template": {"spec": pod_spec}}});
        for (group, kind) in [
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("apps", "ReplicaSet"),
            ("batch", "Job"),
            ("", "ReplicationController"),
        ] {
            let images = review((group, kind), "UPDATE", template.clone()).images();
            assert_eq!(images.len(), 4, "{kind}");
            assert_eq!(images[0].pointer, "/spec/template/spec/containers/0/image");
        }
        let cron = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": pod_spec}}}}});
        let images = review(("batch", "CronJob"), "CREATE", cron).images();
        assert_eq!(
            images[0].pointer,
            "/spec/jobTemplate/spec/template/spec/containers/0/image"
        );
        assert!(
            review(("", "Pod"), "DELETE", json!({"spec": pod_spec}))
                .images()
                .is_empty()
        );
        assert!(
            review(("", "ConfigMap"), "CREATE", json!({"data": {"image": "x"}}))
                .images()
                .is_empty()
        );
        // A Deployment in another group is not ours to read.
        assert!(
            review(("example.com", "Deployment"), "CREATE", template)
                .images()
                .is_empty()
        );
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let parse = |v: Value| Review::parse(&serde_json::to_vec(&v).unwrap());
        assert!(matches!(
            Review::parse(b"{"),
            Err(ReviewError::Malformed(_))
        ));
        assert!(matches!(
            Review::parse(b"[]"),
            Err(ReviewError::Malformed(_))
        ));
        assert!(matches!(
            parse(
                json!({"apiVersion": "admission.k8s.io/v2", "kind": "AdmissionReview", "request": {"uid": "x"}})
            ),
            Err(ReviewError::Version(_))
        ));
        assert!(matches!(
            parse(
                json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}})
            ),
            Err(ReviewError::Missing("request.uid"))
        ));
        assert!(matches!(
            parse(json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"})),
            Err(ReviewError::Missing("request"))
        ));
        let v1beta1 = parse(json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}})).unwrap();
        assert_eq!(v1beta1.allow()["apiVersion"], "admission.k8s.io/v1beta1");
        assert_eq!(v1beta1.allow()["response"]["uid"], "x");
    }

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let text = "é".repeat(200);
        let cut = cut(&text, 101);
        assert!(cut.len() <= 101 && cut.ends_with("..."));
    }
}
