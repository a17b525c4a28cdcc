//! `supply admission serve` as the API server sees it: real AdmissionReview bodies over HTTPS
//! against the real registry; patches applied with a JSONPatch library; bad input; warn mode;
//! reload; shutdown; and registry faults through the fault proxy (fail closed, then recover,
//! nothing poisoned).

use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::admission_fixture::{Images, Server, key_policy};
use crate::fault_proxy::{Action, Proxy, Rule};
use crate::util::testdata;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// A review body from `testdata/admission/reviews`, its images replaced by `images`'.
fn body(name: &str, images: &Images, host: &str) -> Value {
    let text = std::fs::read_to_string(testdata().join("admission/reviews").join(name)).unwrap();
    let with = |s: &str| s.replace(&images.registry.host, host);
    let text = text
        .replace("DIGEST_SIGNED", &images.digest(&images.signed).to_string())
        .replace("IMAGE_SIGNED", &with(&images.signed))
        .replace("IMAGE_UNSIGNED", &with(&images.unsigned))
        .replace("IMAGE_WRONG", &with(&images.wrong))
        .replace("IMAGE_ATTESTED", &with(&images.attested))
        .replace("IMAGE_BUNDLE", &with(&images.bundle));
    serde_json::from_str(&text).unwrap()
}

async fn post(client: &reqwest::Client, url: &str, body: &Value) -> Value {
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{url}");
    serde_json::from_slice(&response.bytes().await.unwrap()).unwrap()
}

/// The decoded JSONPatch of a mutating answer (empty when none).
fn patch_of(answer: &Value) -> Vec<Value> {
    match answer["response"]["patch"].as_str() {
        None => Vec::new(),
        Some(b64) => {
            assert_eq!(answer["response"]["patchType"], "JSONPatch");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            serde_json::from_slice(&bytes).unwrap()
        }
    }
}

fn policies(images: &Images, host: &str) -> Vec<String> {
    let signed = key_policy("signed-images", &format!("{host}/app/signed*"), "enforce").replace(
        "  - glob:",
        &format!("  - glob: \"{host}/app/bundle*\"\n  - glob: \"{host}/app/unsigned*\"\n  - glob: \"{host}/app/wrong*\"\n  - glob:"),
    );
    let provenance = format!(
        "{}    attestations:\n    - name: provenance\n      predicateType: https://slsa.dev/provenance/v1\n      policy:\n        type: supply\n        data: |\n          [provenance]\n          source-repository = \"https://github.com/octo/app\"\n",
        key_policy("provenance", &format!("{host}/app/attested*"), "enforce")
    );
    let file = images.policy("policies.yaml", &format!("{signed}---\n{provenance}"));
    vec!["--policy".into(), file.to_str().unwrap().into()]
}

fn metric(text: &str, line_start: &str) -> u64 {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no metric {line_start} in\n{text}"))
}

#[test]
fn real_reviews_are_answered_validated_and_pinned() {
    let images = Images::new();
    let host = images.registry.host.clone();
    let args = policies(&images, &host);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = Server::start(images.dir.path(), &args);
    let client = server.client();
    let validate = format!("{}/validate?timeout=10s", server.url);
    let mutate = format!("{}/mutate?timeout=10s", server.url);
    runtime().block_on(async {
        // A Pod with a signed container and a bundle-signed sidecar (an init container).
        let pod = body("pod.json", &images, &host);
        let answer = post(&client, &validate, &pod).await;
        assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
        assert_eq!(answer["kind"], "AdmissionReview");
        assert_eq!(answer["response"]["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
        assert_eq!(answer["response"]["allowed"], true, "{answer}");
        let mutated = post(&client, &mutate, &pod).await;
        assert_eq!(mutated["response"]["allowed"], true);
        let patch = patch_of(&mutated);
        assert_eq!(patch.len(), 2, "{patch:?}");
        let mut object = pod["request"]["object"].clone();
        let patch: json_patch::Patch = serde_json::from_value(Value::Array(patch)).unwrap();
        json_patch::patch(&mut object, &patch).unwrap();
        let signed_digest = images.digest(&images.signed);
        assert_eq!(object["spec"]["containers"][0]["image"], format!("{}@{signed_digest}", images.signed));
        assert_eq!(
            object["spec"]["initContainers"][0]["image"],
            format!("{}@{}", images.bundle, images.digest(&images.bundle))
        );
        // The patched object passes and patches nothing more: no loop with GitOps tools.
        let mut again = pod.clone();
        again["request"]["object"] = object;
        assert!(patch_of(&post(&client, &mutate, &again).await).is_empty());
        assert_eq!(post(&client, &validate, &again).await["response"]["allowed"], true);

        // A Deployment whose sidecar is unsigned: denied, naming the image, where it is, why.
        let deployment = body("deployment-unsigned-sidecar.json", &images, &host);
        let answer = post(&client, &validate, &deployment).await;
        let response = &answer["response"];
        assert_eq!(response["allowed"], false);
        assert_eq!(response["status"]["code"], 403);
        let message = response["status"]["message"].as_str().unwrap();
        assert!(message.contains(&images.unsigned), "{message}");
        assert!(message.contains("/spec/template/spec/containers/1/image"), "{message}");
        assert!(message.contains("failed policy signed-images"), "{message}");
        assert!(message.contains("[no-signatures]"), "{message}");
        assert!(!message.contains(&format!("{} (", images.signed)), "the signed image is not blamed: {message}");
        // Mutation pins the verified container only.
        let patch = patch_of(&post(&client, &mutate, &deployment).await);
        assert_eq!(patch, [json!({"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": format!("{}@{signed_digest}", images.signed)})]);

        // A CronJob running an attested image (provenance from octo/app).
        let answer = post(&client, &validate, &body("cronjob.json", &images, &host)).await;
        assert_eq!(answer["response"]["allowed"], true, "{answer}");
        // An ephemeral debug container signed by someone else.
        let answer = post(&client, &validate, &body("ephemeral-container.json", &images, &host)).await;
        let message = answer["response"]["status"]["message"].as_str().unwrap().to_owned();
        assert_eq!(answer["response"]["allowed"], false);
        assert!(message.contains("/spec/ephemeralContainers/0/image") && message.contains("[signature-invalid]"), "{message}");
        // A dry run gets the same answer (verifying has no side effects).
        let answer = post(&client, &validate, &body("dry-run-unsigned.json", &images, &host)).await;
        assert_eq!(answer["response"]["allowed"], false);

        // DELETE and a ConfigMap: allowed without a registry request.
        let metrics_url = format!("{}/metrics", server.url);
        let before = client.get(&metrics_url).send().await.unwrap().text().await.unwrap();
        for name in ["delete.json", "configmap.json"] {
            let answer = post(&client, &validate, &body(name, &images, &host)).await;
            assert_eq!(answer["response"]["allowed"], true, "{name}");
        }
        // The same Pod again: answered from the caches, no registry request.
        assert_eq!(post(&client, &validate, &pod).await["response"]["allowed"], true);
        let after = client.get(&metrics_url).send().await.unwrap().text().await.unwrap();
        assert_eq!(
            metric(&before, "supply_registry_requests_total"),
            metric(&after, "supply_registry_requests_total"),
            "{after}"
        );
        assert!(metric(&after, "supply_admission_cache_lookups_total{cache=\"verdicts\",result=\"hit\"}") >= 2);
        assert!(metric(&after, "supply_admission_reviews_total{webhook=\"validate\",decision=\"denied\"}") >= 3);
        assert!(after.contains("supply_admission_review_duration_seconds_bucket{le=\"+Inf\"}"));

        // v1beta1 is answered in kind.
        let mut old = pod.clone();
        old["apiVersion"] = json!("admission.k8s.io/v1beta1");
        assert_eq!(post(&client, &validate, &old).await["apiVersion"], "admission.k8s.io/v1beta1");
        // A reference that does not parse is denied with its code.
        let mut bad = pod.clone();
        bad["request"]["object"]["spec"]["containers"][0]["image"] = json!("Upper/Case::bad");
        let answer = post(&client, &validate, &bad).await;
        assert_eq!(answer["response"]["allowed"], false);
        assert!(answer["response"]["status"]["message"].as_str().unwrap().contains("[image-reference-invalid]"));

        // Bad requests: a 400 that says why, never an answer that allows.
        let raw = |body: Vec<u8>| client.post(&validate).body(body).send();
        for (body, status, words) in [
            (b"{".to_vec(), 400, "not an AdmissionReview"),
            (br#"{"apiVersion":"admission.k8s.io/v2","kind":"AdmissionReview","request":{"uid":"x"}}"#.to_vec(), 400, "apiVersion"),
            (br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"}}}"#.to_vec(), 400, "request.uid"),
            (vec![b' '; 4 * 1024 * 1024], 413, "larger than"),
        ] {
            let response = raw(body).await.unwrap();
            assert_eq!(response.status(), status);
            assert!(response.text().await.unwrap().contains(words), "{words}");
        }
        assert_eq!(client.get(&validate).send().await.unwrap().status(), 405);
        assert_eq!(client.get(format!("{}/nope", server.url)).send().await.unwrap().status(), 404);
        for path in ["healthz", "readyz"] {
            assert_eq!(client.get(format!("{}/{path}", server.url)).send().await.unwrap().status(), 200);
        }
        // Plain HTTP is not served on the TLS port.
        let plain = reqwest::Client::new()
            .get(format!("{}/healthz", server.url.replace("https", "http")))
            .send()
            .await;
        assert!(!matches!(plain, Ok(r) if r.status() == 200));
    });
}

#[test]
fn warn_mode_reload_and_graceful_shutdown() {
    let images = Images::new();
    let host = images.registry.host.clone();
    let path = images.policy(
        "live.yaml",
        &key_policy("live", &format!("{host}/app/**"), "warn"),
    );
    let server = Server::start(images.dir.path(), &["--policy", path.to_str().unwrap()]);
    let client = server.client();
    let validate = format!("{}/validate", server.url);
    let review = body("dry-run-unsigned.json", &images, &host);
    runtime().block_on(async {
        let answer = post(&client, &validate, &review).await;
        assert_eq!(answer["response"]["allowed"], true, "{answer}");
        let warnings = answer["response"]["warnings"].as_array().unwrap();
        assert!(
            warnings[0].as_str().unwrap().contains("[no-signatures]"),
            "{warnings:?}"
        );
        // The policy is switched to enforce: picked up without a restart.
        images.policy(
            "live.yaml",
            &key_policy("live", &format!("{host}/app/**"), "enforce"),
        );
        let start = Instant::now();
        while post(&client, &validate, &review).await["response"]["allowed"] == true {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the policy was not reloaded"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // A broken file keeps the previous policies serving.
        std::fs::write(
            &path,
            "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nspec: [",
        )
        .unwrap();
        server.signal("HUP");
        let metrics_url = format!("{}/metrics", server.url);
        let start = Instant::now();
        loop {
            let text = client
                .get(&metrics_url)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if metric(
                &text,
                "supply_admission_policy_reloads_total{result=\"failed\"}",
            ) >= 1
            {
                break;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "no failed reload counted"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            post(&client, &validate, &review).await["response"]["allowed"],
            false
        );
    });
    server.signal("TERM");
    let (status, log) = server.wait(Duration::from_secs(15));
    assert!(status.success(), "{status}: {log}");
    assert!(
        log.contains("policy reload failed, keeping the previous policies"),
        "{log}"
    );
    assert!(log.contains("shutting down"), "{log}");
}

#[test]
fn registry_faults_fail_closed_then_recover_without_poisoning() {
    let images = Images::new();
    runtime().block_on(async {
        let proxy = Proxy::start(images.registry.host.clone(), Vec::new()).await;
        let host = proxy.host.clone();
        let path = images.policy(
            "faults.yaml",
            &key_policy("faults", &format!("{host}/app/**"), "enforce"),
        );
        let args = [
            "--policy",
            path.to_str().unwrap(),
            "--registry-timeout",
            "2",
        ];
        let server = Server::start(images.dir.path(), &args);
        let client = server.client();
        let review = body("pod.json", &images, &host);
        // The registry stalls: denied within the deadline, saying so.
        proxy.add_rule(Rule::new(Some("HEAD"), "/manifests/v1", 1, Action::Stall));
        let started = Instant::now();
        let answer = post(
            &client,
            &format!("{}/validate?timeout=1s", server.url),
            &review,
        )
        .await;
        let took = started.elapsed();
        assert!(
            took < Duration::from_millis(1500),
            "answered after {took:?}"
        );
        assert_eq!(answer["response"]["allowed"], false);
        let message = answer["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains("[deadline-exceeded]"), "{message}");
        // The work went on (the stalled request timed out and was retried): the next try passes.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let answer = post(
            &client,
            &format!("{}/validate?timeout=10s", server.url),
            &review,
        )
        .await;
        assert_eq!(answer["response"]["allowed"], true, "{answer}");

        drop(server);

        // The registry fails outright on the signature tag (a fresh server, nothing cached):
        // denied as unverifiable, and the failure is not kept: once the registry answers, the
        // same review passes.
        let server = Server::start(images.dir.path(), &args);
        let client = server.client();
        let tag = format!("sha256-{}.sig", images.digest(&images.signed).hex());
        let failing = Action::Respond {
            status: 503,
            headers: Vec::new(),
            body: b"down".to_vec(),
        };
        let before = proxy.count(&tag);
        proxy.add_rule(Rule::new(Some("GET"), tag.clone(), 2, failing));
        let answer = post(
            &client,
            &format!("{}/validate?timeout=10s", server.url),
            &review,
        )
        .await;
        assert_eq!(answer["response"]["allowed"], false, "{answer}");
        let message = answer["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(
            message.contains("[verification-error]") && message.contains("could not be evaluated"),
            "{message}"
        );
        assert_eq!(proxy.count(&tag) - before, 2, "one retry, then the failure");
        let answer = post(
            &client,
            &format!("{}/validate?timeout=10s", server.url),
            &review,
        )
        .await;
        assert_eq!(answer["response"]["allowed"], true, "{answer}");
        let text = client
            .get(format!("{}/metrics", server.url))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            metric(&text, "supply_admission_verification_errors_total"),
            1,
            "{text}"
        );
    });
}
