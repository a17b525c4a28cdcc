//! `deploy/`: the Kubernetes manifests for the webhook, validated against the Kubernetes API
//! schemas (kubernetes-validate, offline, strict: unknown fields are errors) and checked for
//! what a fail-closed webhook needs; the policy they ship compiles, and the server accepts the
//! arguments the Deployment passes.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{stderr, supply_in, test_python, testdata};

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(deploy())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn validate(files: &[PathBuf]) -> std::process::Output {
    let tool = test_python().with_file_name("kubernetes-validate");
    assert!(
        tool.is_file(),
        "kubernetes-validate is not installed: run scripts/test.sh (it runs `pip install kubernetes-validate==1.37.0` into target/python-intoto)"
    );
    Command::new(tool)
        .args(["--strict", "--kubernetes-version", "1.33.0"])
        .args(files)
        .output()
        .unwrap()
}

/// Every document of every manifest, as JSON.
fn documents() -> Vec<Value> {
    manifests()
        .iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            serde_saphyr::from_multiple::<Value>(&text).unwrap()
        })
        .collect()
}

fn of_kind<'a>(documents: &'a [Value], kind: &str) -> Vec<&'a Value> {
    documents.iter().filter(|d| d["kind"] == kind).collect()
}

#[test]
fn manifests_validate_against_the_kubernetes_schemas() {
    let files = manifests();
    assert!(files.len() >= 6, "{files:?}");
    let output = validate(&files);
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        stderr(&output)
    );
    // The validator is live: a misspelt field in a copy fails.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("service.yaml");
    let text = std::fs::read_to_string(deploy().join("service.yaml")).unwrap();
    std::fs::write(&broken, text.replace("targetPort:", "targetPorts:")).unwrap();
    assert!(!validate(&[broken]).status.success());
}

#[test]
fn the_webhook_is_deployed_to_stay_up_and_fail_closed() {
    let documents = documents();
    let deployment = of_kind(&documents, "Deployment")[0];
    assert!(deployment["spec"]["replicas"].as_u64().unwrap() >= 2);
    let pod = &deployment["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["automountServiceAccountToken"], false);
    let container = &pod["containers"][0];
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["livenessProbe"]["httpGet"]["scheme"], "HTTPS");
    let pdb = of_kind(&documents, "PodDisruptionBudget")[0];
    assert!(
        pdb["spec"]["minAvailable"].as_u64().unwrap()
            < deployment["spec"]["replicas"].as_u64().unwrap()
    );
    for (kind, path, failure) in [
        ("ValidatingWebhookConfiguration", "/validate", "Fail"),
        ("MutatingWebhookConfiguration", "/mutate", "Ignore"),
    ] {
        let webhook = &of_kind(&documents, kind)[0]["webhooks"][0];
        assert_eq!(webhook["sideEffects"], "None", "{kind}");
        assert_eq!(
            webhook["admissionReviewVersions"],
            serde_json::json!(["v1"]),
            "{kind}"
        );
        assert_eq!(webhook["failurePolicy"], failure, "{kind}");
        assert_eq!(webhook["clientConfig"]["service"]["path"], path, "{kind}");
        let timeout = webhook["timeoutSeconds"].as_u64().unwrap();
        assert!((1..=30).contains(&timeout), "{kind}");
        assert!(
            webhook["namespaceSelector"]["matchLabels"].is_object(),
            "opt-in by label: {kind}"
        );
        let resources: Vec<&str> = webhook["rules"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| {
                r["resources"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_str().unwrap())
            })
            .collect();
        for needed in [
            "pods",
            "pods/ephemeralcontainers",
            "deployments",
            "cronjobs",
            "jobs",
            "statefulsets",
            "daemonsets",
            "replicasets",
            "replicationcontrollers",
        ] {
            assert!(resources.contains(&needed), "{kind} misses {needed}");
        }
    }
    let mutating = &of_kind(&documents, "MutatingWebhookConfiguration")[0]["webhooks"][0];
    assert_eq!(mutating["reinvocationPolicy"], "IfNeeded");
    // The webhook's namespace does not opt in to its own checks.
    let namespace = of_kind(&documents, "Namespace")[0];
    assert!(
        namespace["metadata"]["labels"]
            .get("supply.dev/admission")
            .is_none()
    );
}

#[test]
fn the_shipped_policy_compiles_and_the_server_takes_the_deployments_arguments() {
    let documents = documents();
    let config = of_kind(&documents, "ConfigMap")[0];
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policies.yaml");
    std::fs::write(&policy, config["data"]["policies.yaml"].as_str().unwrap()).unwrap();
    let root = testdata().join("sigstore/trusted_root_pgi.json");
    let output = supply_in(
        dir.path(),
        &[
            "verify",
            "--policy",
            "policies.yaml",
            "--trusted-root",
            root.to_str().unwrap(),
            "--no-match-policy",
            "allow",
            "registry.example/elsewhere:1",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    // The Deployment's arguments parse: the server gets as far as reading the policy file.
    let deployment = of_kind(&documents, "Deployment")[0];
    let args: Vec<&str> = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let output = supply_in(dir.path(), &args);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("/etc/supply/policies/policies.yaml"),
        "{}",
        stderr(&output)
    );
}
