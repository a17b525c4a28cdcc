//! Running the binary and finding fixtures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fixed `SOURCE_DATE_EPOCH` so outputs are comparable byte for byte.
pub(crate) const EPOCH: &str = "1700000000";

pub(crate) fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata")
}

pub(crate) fn lockfile_cases(ecosystem: &str) -> Vec<PathBuf> {
    let dir = testdata().join("lockfiles").join(ecosystem);
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(!cases.is_empty(), "no fixtures under {}", dir.display());
    cases
}

/// The lockfile inside a case directory.
pub(crate) fn lockfile_in(case: &Path) -> PathBuf {
    [
        "Cargo.lock",
        "uv.lock",
        "npm-shrinkwrap.json",
        "package-lock.json",
    ]
    .iter()
    .map(|name| case.join(name))
    .find(|p| p.is_file())
    .unwrap_or_else(|| panic!("no lockfile in {}", case.display()))
}

pub(crate) fn supply(args: &[&str]) -> Output {
    supply_in(Path::new("."), args)
}

pub(crate) fn supply_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .output()
        .expect("the supply binary runs")
}

/// `supply` in `dir` with environment variables (a key password, CI variables).
pub(crate) fn supply_env(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_supply"));
    command.args(args).current_dir(dir);
    for (key, value) in envs {
        command.env(key, value);
    }
    command.output().expect("the supply binary runs")
}

/// The codes of the findings of a verdict or decision (JSON).
pub(crate) fn finding_codes(value: &serde_json::Value) -> Vec<String> {
    value["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// Runs `supply sbom` on a path and returns the parsed SBOM, checking exit 0 and schema validity.
pub(crate) fn sbom_of(path: &Path, extra: &[&str]) -> (String, serde_json::Value) {
    let mut args = vec!["sbom", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    let output = supply(&args);
    assert!(
        output.status.success(),
        "supply sbom {} failed: {}",
        path.display(),
        stderr(&output)
    );
    let text = stdout(&output);
    let findings = supply_core::sbom::validate(text.as_bytes()).expect("validator runs");
    assert!(
        findings.is_empty(),
        "{} gives an invalid SBOM: {findings:#?}",
        path.display()
    );
    let json = serde_json::from_str(&text).expect("SBOM is JSON");
    (text, json)
}

/// The Python that scripts/test.sh prepares (a venv with in-toto-attestation and python-tuf);
/// a plain `cargo test` finds it too.
pub(crate) fn test_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/python-intoto/bin/python");
    let python = std::env::var_os("SUPPLY_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or(venv);
    assert!(
        python.is_file(),
        "no test Python at {}: run scripts/test.sh (it makes the venv: `pip install in-toto-attestation tuf==7.0.1 'securesystemslib[crypto]==1.6.0' kubernetes-validate==1.37.0 sigstore==4.5.1`) or set SUPPLY_TEST_PYTHON",
        python.display()
    );
    python
}
