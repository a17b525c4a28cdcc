//! pnpm, Yarn (classic and Berry), Poetry and PEP 751 lockfiles made by the real tools
//! (`testdata/lockfiles/{pnpm,yarn,poetry,pylock}/`): each gives a schema-valid, deterministic
//! SBOM holding every package and every hash that an independent reader finds in the lockfile —
//! Yarn's own `@yarnpkg/lockfile` and `js-yaml` for the JavaScript formats
//! (`tests/oracles/lockfile_packages.js`), the `toml` crate for the Python ones. Small cases
//! are snapshotted.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{lockfile_cases, sbom_of, stderr};

/// `(name with npm scope, version)` of every component; PyPI names normalised.
fn identities(sbom: &Value, normalise: bool) -> BTreeSet<(String, String)> {
    let mut found = BTreeSet::new();
    for c in sbom["components"].as_array().unwrap() {
        let name = match c["group"].as_str() {
            Some(group) => format!("{group}/{}", c["name"].as_str().unwrap()),
            None => c["name"].as_str().unwrap().to_owned(),
        };
        let name = if normalise { pypi_name(&name) } else { name };
        found.insert((name, c["version"].as_str().unwrap_or_default().to_owned()));
    }
    found
}

fn pypi_name(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let mut out = String::new();
    for part in lower.split(['-', '_', '.']).filter(|p| !p.is_empty()) {
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(part);
    }
    out
}

/// Every hash content in the SBOM, on components and on external references.
fn hashes(sbom: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for c in sbom["components"].as_array().unwrap() {
        let on_refs = c["externalReferences"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|r| r["hashes"].as_array().into_iter().flatten());
        for h in c["hashes"].as_array().into_iter().flatten().chain(on_refs) {
            found.insert(h["content"].as_str().unwrap().to_owned());
        }
    }
    found
}

fn property_values(sbom: &Value, name: &str) -> BTreeSet<String> {
    sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["properties"].as_array().into_iter().flatten())
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap().to_owned())
        .collect()
}

/// The lockfile of a case (some cases also keep the `uv.lock` their export came from).
fn lockfile_in(case: &Path) -> std::path::PathBuf {
    let kind = case
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap();
    let name = match kind {
        "pnpm" => "pnpm-lock.yaml",
        "yarn" => "yarn.lock",
        "poetry" => "poetry.lock",
        _ => "pylock.toml",
    };
    case.join(name)
}

/// The SBOM of a case, checked valid and byte-identical on a second run.
fn sbom_twice(case: &Path) -> Value {
    let lockfile = lockfile_in(case);
    let (first, sbom) = sbom_of(&lockfile, &[]);
    let (second, _) = sbom_of(&lockfile, &[]);
    assert_eq!(first, second, "{}: deterministic", case.display());
    let name = case.file_name().unwrap().to_str().unwrap();
    if name != "large" {
        let ecosystem = case
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        insta::assert_snapshot!(format!("sbom_{ecosystem}_{name}"), first);
    }
    sbom
}

fn javascript_oracle(kind: &str, lockfile: &Path) -> Value {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/lockfile_packages.js");
    let output = Command::new("node")
        .arg(script)
        .arg(kind)
        .arg(lockfile)
        .output()
        .expect("node runs (apt-get install nodejs npm; scripts/test.sh does)");
    assert!(
        output.status.success(),
        "the lockfile oracle failed (npm ci --prefix tests/oracles; scripts/test.sh does): {}",
        stderr(&output)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn check_javascript(kind: &str) {
    for case in lockfile_cases(kind) {
        let lockfile = lockfile_in(&case);
        let sbom = sbom_twice(&case);
        let oracle = javascript_oracle(kind, &lockfile);
        let expected: BTreeSet<(String, String)> = oracle["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p[0].as_str().unwrap().to_owned(),
                    p[1].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert!(
            !expected.is_empty(),
            "{}: the oracle reads packages",
            case.display()
        );
        let found = identities(&sbom, false);
        let missing: Vec<_> = expected.difference(&found).take(10).collect();
        assert!(
            missing.is_empty(),
            "{}: packages missing: {missing:?}",
            case.display()
        );

        let all = hashes(&sbom);
        let want: BTreeSet<String> = oracle["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap().to_owned())
            .collect();
        let missing: Vec<_> = want.difference(&all).take(10).collect();
        assert!(
            missing.is_empty(),
            "{}: integrity missing: {missing:?}",
            case.display()
        );

        // Berry's checksums hash Yarn's cache archives, not the packages: properties only.
        let checksums: Vec<&str> = oracle["checksums"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap())
            .collect();
        let kept = property_values(&sbom, "supply:yarn:checksum");
        for checksum in &checksums {
            assert!(
                !all.contains(*checksum),
                "{}: a checksum posing as a hash",
                case.display()
            );
            assert!(
                kept.iter().any(|v| v.ends_with(checksum)),
                "{}: checksum {checksum} not kept",
                case.display()
            );
        }
    }
}

#[test]
fn pnpm_lockfiles() {
    check_javascript("pnpm");
}

#[test]
fn yarn_lockfiles() {
    check_javascript("yarn");
}

fn toml_of(path: &Path) -> toml::Table {
    toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hash_strings<'a>(values: impl Iterator<Item = &'a toml::Value>) -> Vec<String> {
    values
        .filter_map(|h| h.as_str())
        .map(|h| h.split_once(':').map_or(h, |(_, hex)| hex).to_owned())
        .collect()
}

fn check_python(packages: &[(String, String)], file_hashes: &[String], sbom: &Value, case: &Path) {
    let found = identities(sbom, true);
    let missing: Vec<_> = packages
        .iter()
        .map(|(n, v)| (pypi_name(n), v.clone()))
        .filter(|p| !found.contains(p))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "{}: packages missing: {missing:?}",
        case.display()
    );
    assert!(
        !file_hashes.is_empty(),
        "{}: fixture has hashes",
        case.display()
    );
    let all = hashes(sbom);
    let missing: Vec<_> = file_hashes
        .iter()
        .filter(|h| !all.contains(*h))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "{}: hashes missing: {missing:?}",
        case.display()
    );
}

#[test]
fn poetry_lockfiles() {
    for case in lockfile_cases("poetry") {
        let lock = toml_of(&lockfile_in(&case));
        let sbom = sbom_twice(&case);
        let entries = lock["package"].as_array().unwrap();
        let packages: Vec<(String, String)> = entries
            .iter()
            .map(|p| {
                (
                    p["name"].as_str().unwrap().into(),
                    p["version"].as_str().unwrap().into(),
                )
            })
            .collect();
        // 2.x: per package `files`; 1.x: `[metadata.files]` by name.
        let per_package = entries.iter().flat_map(|p| {
            p.get("files")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
        });
        let in_metadata = lock
            .get("metadata")
            .and_then(|m| m.get("files"))
            .and_then(toml::Value::as_table)
            .into_iter()
            .flat_map(|t| t.values())
            .flat_map(|files| files.as_array().into_iter().flatten());
        let file_hashes =
            hash_strings(per_package.chain(in_metadata).filter_map(|f| f.get("hash")));
        check_python(&packages, &file_hashes, &sbom, &case);
    }
}

#[test]
fn pylock_lockfiles() {
    for case in lockfile_cases("pylock") {
        let lock = toml_of(&lockfile_in(&case));
        let sbom = sbom_twice(&case);
        let entries = lock["packages"].as_array().unwrap();
        let packages: Vec<(String, String)> = entries
            .iter()
            .filter_map(|p| {
                Some((
                    p["name"].as_str()?.to_owned(),
                    p.get("version")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        let artifacts = entries.iter().flat_map(|p| {
            let wheels = p
                .get("wheels")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten();
            let single = ["sdist", "archive"].into_iter().filter_map(|k| p.get(k));
            wheels.chain(single)
        });
        let file_hashes = hash_strings(
            artifacts
                .filter_map(|a| a.get("hashes").and_then(toml::Value::as_table))
                .flat_map(|t| t.values()),
        );
        check_python(&packages, &file_hashes, &sbom, &case);
    }
}
