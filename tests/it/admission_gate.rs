//! `supply verify --policy`: policy-controller's ClusterImagePolicy files as a CI gate against
//! the real registry, with the decisions, codes and exit codes a pipeline acts on.

use serde_json::Value;

use crate::admission_fixture::{Images, key_policy, supply};
use crate::util::{stderr, stdout};

fn decisions(output: &std::process::Output) -> Vec<Value> {
    serde_json::from_str::<Value>(&stdout(output))
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(output), stderr(output)))
        .as_array()
        .unwrap()
        .clone()
}

fn codes(decision: &Value) -> Vec<String> {
    crate::util::finding_codes(decision)
}

#[test]
fn policies_decide_each_image_with_codes_and_exit_codes() {
    let images = Images::new();
    let d = images.dir.path();
    let glob = format!("{}/app/**", images.registry.host);
    let policy = images.policy("key.yaml", &key_policy("release", &glob, "enforce"));
    let policy = policy.to_str().unwrap();
    let all = [
        &images.signed,
        &images.unsigned,
        &images.wrong,
        &images.bundle,
    ];
    let mut args = vec!["verify", "--policy", policy, "--output", "json"];
    args.extend(all.iter().map(|s| s.as_str()));
    let output = supply(d, &args, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let decided = decisions(&output);
    assert_eq!(decided.len(), 4);
    let signed = &decided[0];
    assert_eq!(signed["allowed"], true);
    assert_eq!(signed["digest"], images.digest(&images.signed).to_string());
    assert_eq!(signed["policies"][0]["policy"], "release");
    assert_eq!(signed["policies"][0]["authority"], "release-key");
    assert!(codes(signed).is_empty());
    assert_eq!(decided[1]["allowed"], false);
    assert_eq!(codes(&decided[1]), ["no-signatures"]);
    assert_eq!(decided[2]["allowed"], false);
    assert_eq!(codes(&decided[2]), ["signature-invalid"]);
    // signatureFormat unset reads cosign v3's bundle referrers too.
    assert_eq!(decided[3]["allowed"], true, "{}", decided[3]);

    // Only good images: exit 0, one line each.
    let output = supply(
        d,
        &["verify", "--policy", policy, &images.signed, &images.bundle],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains(&format!(
            "{}@{} allowed: passed release (release-key)",
            images.signed,
            images.digest(&images.signed)
        )),
        "{text}"
    );

    // An image no policy matches: denied by default, admitted when asked.
    let elsewhere = format!("{}/other/x:v1", images.registry.host);
    let output = supply(
        d,
        &["verify", "--policy", policy, "--output", "json", &elsewhere],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(codes(&decisions(&output)[0]), ["policy-no-match"]);
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            policy,
            "--no-match-policy",
            "allow",
            &elsewhere,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));

    // The registry gone: nothing could be checked, which is exit 3, never a pass.
    let down = images.signed.replace(&images.registry.host, "127.0.0.1:1");
    let down_policy = images.policy(
        "down.yaml",
        &key_policy("down", "127.0.0.1:1/**", "enforce"),
    );
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            down_policy.to_str().unwrap(),
            "--output",
            "json",
            &down,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    assert_eq!(codes(&decisions(&output)[0]), ["verification-error"]);
    // Key flags and a policy together are a usage error.
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            policy,
            "--key",
            "cosign.pub",
            &images.signed,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn attestation_conditions_modes_static_and_formats() {
    let images = Images::new();
    let d = images.dir.path();
    let host = &images.registry.host;
    let provenance = format!(
        "{}    attestations:\n    - name: provenance\n      predicateType: slsaprovenance1\n      policy:\n        type: supply\n        data: |\n          [provenance]\n          source-repository = \"https://github.com/octo/app\"\n",
        key_policy("provenance", &format!("{host}/app/attested*"), "enforce")
    );
    let policy = images.policy("provenance.yaml", &provenance);
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            policy.to_str().unwrap(),
            "--output",
            "json",
            &images.attested,
            &images.attested_elsewhere,
        ],
        &[],
    );
    let decided = decisions(&output);
    assert_eq!(decided[0]["allowed"], true, "{}", decided[0]);
    assert_eq!(decided[1]["allowed"], false);
    assert_eq!(codes(&decided[1]), ["policy-source-repository-mismatch"]);
    assert_eq!(output.status.code(), Some(1));

    // warn mode: the failure becomes a warning and the image is admitted.
    let warn = images.policy(
        "warn.yaml",
        &key_policy("advisory", &format!("{host}/app/**"), "warn"),
    );
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            warn.to_str().unwrap(),
            "--output",
            "json",
            &images.unsigned,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let decided = decisions(&output);
    assert_eq!(decided[0]["allowed"], true);
    assert_eq!(decided[0]["findings"][0]["severity"], "warning");
    assert_eq!(decided[0]["findings"][0]["code"], "no-signatures");

    // Every matching policy must pass: a static fail policy over the same images refuses.
    let fail = format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: frozen\nspec:\n  images:\n  - glob: \"{host}/app/signed*\"\n  authorities:\n  - static:\n      action: fail\n      message: deploys are frozen\n"
    );
    let key = images.policy(
        "key.yaml",
        &key_policy("release", &format!("{host}/app/**"), "enforce"),
    );
    let frozen = images.policy("frozen.yaml", &fail);
    let output = supply(
        d,
        &[
            "verify",
            "--policy",
            key.to_str().unwrap(),
            "--policy",
            frozen.to_str().unwrap(),
            "--output",
            "json",
            &images.signed,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let decided = decisions(&output);
    assert_eq!(codes(&decided[0]), ["policy-static-fail"]);
    assert!(
        decided[0]["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("deploys are frozen")
    );

    // signatureFormat: bundle reads only bundles; legacy only the .sig tag.
    for (format, allowed, refused) in [
        ("bundle", &images.bundle, &images.signed),
        ("legacy", &images.signed, &images.bundle),
    ] {
        let text = key_policy(format, &format!("{host}/app/**"), "enforce").replace(
            "    key:\n",
            &format!("    signatureFormat: {format}\n    key:\n"),
        );
        let policy = images.policy(&format!("{format}.yaml"), &text);
        let output = supply(
            d,
            &[
                "verify",
                "--policy",
                policy.to_str().unwrap(),
                "--output",
                "json",
                allowed,
                refused,
            ],
            &[],
        );
        let decided = decisions(&output);
        assert_eq!(decided[0]["allowed"], true, "{format}: {}", decided[0]);
        assert_eq!(decided[1]["allowed"], false, "{format}: {}", decided[1]);
        assert_eq!(codes(&decided[1]), ["no-signatures"], "{format}");
    }
}

#[test]
fn policy_files_that_cannot_be_evaluated_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cip.yaml");
    std::fs::write(
        &path,
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: kms\nspec:\n  images:\n  - glob: \"**\"\n  authorities:\n  - key:\n      kms: awskms:///alias/release\n",
    )
    .unwrap();
    let output = supply(
        dir.path(),
        &["verify", "--policy", "cip.yaml", "r.example/a:1"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains(
            "cip.yaml: document 1, line 10: spec.authorities[0].key.kms is not supported"
        ),
        "{message}"
    );
}
