//! What CI users expect of the binary: shell completions and man pages generated from the
//! grammar; GitHub Actions step outputs and job summaries when the runner asks for them; logs
//! on standard error at the verbosity asked, with no secret (registry password, key password,
//! OIDC token, private key) at any verbosity.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use supply_core::oci::Reference;
use supply_core::oci::auth::Credentials;

use crate::registry::{client_for, push_test_image};
use crate::registry_fixture::{PASSWORD, Registry, USER, require_tool};
use crate::sigstore_fixture::{Sigstore, token};
use crate::util::{stderr, stdout};

fn run(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supply"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("RUST_LOG")
        .env_remove("SIGSTORE_ID_TOKEN");
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().unwrap()
}

#[test]
fn completions_for_every_shell_name_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = run(dir.path(), &["completion", shell], &[]);
        assert!(output.status.success(), "{shell}: {}", stderr(&output));
        let script = stdout(&output);
        for command in ["sign-bundle", "verify-attestation", "admission"] {
            assert!(
                script.contains(command),
                "{shell} completion lacks {command}"
            );
        }
    }
    let bash = run(dir.path(), &["completion", "bash"], &[]);
    std::fs::write(dir.path().join("supply.bash"), &bash.stdout).unwrap();
    let syntax = Command::new(require_tool("bash", "bash"))
        .args(["-n", "supply.bash"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(syntax.status.success(), "{}", stderr(&syntax));
    let unknown = run(dir.path(), &["completion", "tcsh"], &[]);
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn man_pages_cover_every_command_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let output = run(dir.path(), &["man", "--out-dir", "man"], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let help = stdout(&run(dir.path(), &["--help"], &[]));
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 15, "{commands:?}");
    for command in &commands {
        let page = dir.path().join(format!("man/supply-{command}.1"));
        let text =
            std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(&format!(".TH supply-{command} 1")), "{text}");
    }
    let rendered = Command::new(require_tool("groff", "groff"))
        .args(["-man", "-Tutf8", "man/supply-sign.1"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(rendered.status.success(), "{}", stderr(&rendered));
    assert!(stdout(&rendered).contains("OIDC identity token"));
}

fn key_bundle(dir: &Path) {
    let password = [("COSIGN_PASSWORD", "pw")];
    assert!(run(dir, &["generate-key-pair"], &password).status.success());
    std::fs::write(dir.join("artifact.txt"), b"data\n").unwrap();
    let signed = run(
        dir,
        &[
            "sign-blob",
            "--key",
            "cosign.key",
            "--bundle",
            "b.json",
            "artifact.txt",
        ],
        &password,
    );
    assert!(signed.status.success(), "{}", stderr(&signed));
}

#[test]
fn github_actions_gets_step_outputs_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    key_bundle(dir.path());
    let outputs = dir.path().join("github_output");
    let summary = dir.path().join("step_summary");
    let github = [
        ("GITHUB_OUTPUT", outputs.to_str().unwrap()),
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
    ];
    let verified = run(
        dir.path(),
        &[
            "verify-blob",
            "--bundle",
            "b.json",
            "--key",
            "cosign.pub",
            "artifact.txt",
        ],
        &github,
    );
    assert!(verified.status.success(), "{}", stderr(&verified));
    let written = std::fs::read_to_string(&outputs).unwrap();
    let digest = supply_core::digest::Digest::sha256(b"data\n");
    assert!(written.contains("accepted=true\n"), "{written}");
    assert!(written.contains(&format!("digest={digest}\n")), "{written}");
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("verified ✅")
    );

    std::fs::write(dir.path().join("artifact.txt"), b"changed\n").unwrap();
    let rejected = run(
        dir.path(),
        &[
            "verify-blob",
            "--bundle",
            "b.json",
            "--key",
            "cosign.pub",
            "artifact.txt",
        ],
        &github,
    );
    assert_eq!(rejected.status.code(), Some(1));
    let written = std::fs::read_to_string(&outputs).unwrap();
    assert!(written.contains("accepted=false\n"), "{written}");
    let summary = std::fs::read_to_string(&summary).unwrap();
    assert!(
        summary.contains("rejected ❌") && summary.contains("| ❌ | `"),
        "{summary}"
    );

    // Outside Actions, nothing is written anywhere.
    let plain = run(
        dir.path(),
        &[
            "verify-blob",
            "--bundle",
            "b.json",
            "--key",
            "cosign.pub",
            "artifact.txt",
        ],
        &[],
    );
    assert_eq!(plain.status.code(), Some(1));
}

#[test]
fn verbosity_controls_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let quiet = run(dir.path(), &["digest", "127.0.0.1:1/x:y"], &[]);
    let verbose = run(dir.path(), &["-vv", "digest", "127.0.0.1:1/x:y"], &[]);
    assert_eq!(verbose.status.code(), Some(3));
    assert!(
        stderr(&verbose).contains("registry request failed"),
        "{}",
        stderr(&verbose)
    );
    assert!(
        !stderr(&quiet).contains("registry request"),
        "{}",
        stderr(&quiet)
    );
    let from_env = run(
        dir.path(),
        &["digest", "127.0.0.1:1/x:y"],
        &[("RUST_LOG", "supply_core=debug")],
    );
    assert!(
        stderr(&from_env).contains("registry request failed"),
        "{}",
        stderr(&from_env)
    );
}

/// Maximum verbosity (-vvv and RUST_LOG=trace for every crate) over signing with a key against
/// a registry with basic auth and over keyless signing: none of the secrets appears.
#[test]
fn secrets_never_reach_the_logs() {
    let registry = Registry::plain_with_auth();
    let reference: Reference = registry.image("secrets/app", "v1").parse().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(push_test_image(
        &client_for(&registry, Some(Credentials::new(USER, PASSWORD))),
        &reference,
        "secrets",
    ));
    let image = reference.to_string();
    let dir = tempfile::tempdir().unwrap();
    let key_password = "key-password-7f3a";
    assert!(
        run(
            dir.path(),
            &["generate-key-pair"],
            &[("COSIGN_PASSWORD", key_password)]
        )
        .status
        .success()
    );
    let config = dir.path().join("docker");
    std::fs::create_dir(&config).unwrap();
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    std::fs::write(
        config.join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "{basic}"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let private_key = std::fs::read_to_string(dir.path().join("cosign.key")).unwrap();
    let key_body: String = private_key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();

    let sigstore = Sigstore::start();
    let identity_token = token("https://issuer.example", "alice@example.com");
    let mut keyless = vec![
        "-vvv".to_owned(),
        "sign".into(),
        "--identity-token".into(),
        identity_token.clone(),
    ];
    keyless.extend(sigstore.flags(None));
    keyless.push(image.clone());
    let keyless: Vec<&str> = keyless.iter().map(String::as_str).collect();

    for envs in [&[][..], &[("RUST_LOG", "trace")][..]] {
        let mut all = vec![
            ("COSIGN_PASSWORD", key_password),
            ("DOCKER_CONFIG", config.to_str().unwrap()),
        ];
        all.extend_from_slice(envs);
        let signed = run(
            dir.path(),
            &["-vvv", "sign", "--key", "cosign.key", &image],
            &all,
        );
        assert!(signed.status.success(), "{}", stderr(&signed));
        let signed_keyless = run(dir.path(), &keyless, &all);
        assert!(
            signed_keyless.status.success(),
            "{}",
            stderr(&signed_keyless)
        );
        let log = format!(
            "{}{}{}{}",
            stdout(&signed),
            stderr(&signed),
            stdout(&signed_keyless),
            stderr(&signed_keyless)
        );
        assert!(log.contains("registry request"), "the log is on: {log}");
        for secret in [
            PASSWORD,
            &basic,
            key_password,
            &identity_token,
            &key_body[..40],
        ] {
            assert!(!log.contains(secret), "a secret reached the log ({envs:?})");
        }
        // Nor its parts: the token's payload and signature segments.
        for part in identity_token.split('.').skip(1) {
            assert!(!log.contains(part));
        }
    }
}

/// Progress of long work shows on an interactive terminal (a pty from util-linux `script`)
/// and nowhere else: not through a pipe, not in CI, not with -q.
#[test]
fn progress_shows_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    let lockfiles = crate::util::testdata().join("lockfiles/cargo");
    let command = format!(
        "{} sbom {} -o {}",
        env!("CARGO_BIN_EXE_supply"),
        lockfiles.display(),
        dir.path().join("sbom.json").display()
    );
    let on_terminal = |envs: &[(&str, &str)], extra: &str| {
        let mut script = Command::new(require_tool("script", "bsdutils"));
        script
            .args(["-qec", &format!("{command}{extra}"), "/dev/null"])
            .env_remove("CI")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITLAB_CI");
        for (k, v) in envs {
            script.env(k, v);
        }
        let output = script.output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let shown = on_terminal(&[], "");
    assert!(
        shown.contains("reading") && shown.contains("/7]"),
        "{shown:?}"
    );
    assert!(!on_terminal(&[("CI", "true")], "").contains("reading"));
    assert!(!on_terminal(&[], " -q").contains("reading"));
    let piped = run(
        dir.path(),
        &["sbom", lockfiles.to_str().unwrap(), "-o", "piped.json"],
        &[],
    );
    assert!(piped.status.success());
    assert!(!stderr(&piped).contains("reading"), "{}", stderr(&piped));
}
