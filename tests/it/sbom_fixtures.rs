//! Every real lockfile in `testdata/lockfiles/` gives a schema-valid SBOM that carries what the
//! lockfile carries: each package, each hash, each edge. Small cases are also snapshotted.

use std::collections::BTreeSet;
use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::util::{lockfile_cases, lockfile_in, sbom_of};

fn components(sbom: &Value) -> &Vec<Value> {
    sbom["components"].as_array().expect("components array")
}

/// Every hash content anywhere in the SBOM (components and external references).
fn all_hashes(sbom: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for component in components(sbom) {
        let refs = component["externalReferences"]
            .as_array()
            .into_iter()
            .flatten();
        let hashes = component["hashes"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(refs.flat_map(|r| r["hashes"].as_array().into_iter().flatten()));
        found.extend(hashes.map(|h| h["content"].as_str().unwrap().to_owned()));
    }
    found
}

fn edge_count(sbom: &Value) -> usize {
    let dependencies = sbom["dependencies"].as_array().unwrap();
    dependencies
        .iter()
        .map(|d| d["dependsOn"].as_array().map_or(0, Vec::len))
        .sum()
}

fn is_synthetic_root(sbom: &Value) -> bool {
    sbom["metadata"]["component"]["bom-ref"] == "supply:root"
}

fn snapshot_unless_large(case: &Path, text: &str) {
    let name = case.file_name().unwrap().to_str().unwrap();
    if name != "large" {
        let ecosystem = case
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_str()
            .unwrap();
        insta::assert_snapshot!(format!("sbom_{ecosystem}_{name}"), text);
    }
}

#[test]
fn cargo_lockfiles() {
    for case in lockfile_cases("cargo") {
        let lock_text = std::fs::read_to_string(lockfile_in(&case)).unwrap();
        let lock: toml::Table = toml::from_str(&lock_text).unwrap();
        let packages = lock["package"].as_array().unwrap();
        let (text, sbom) = sbom_of(&case, &[]);
        snapshot_unless_large(&case, &text);

        let in_sbom = components(&sbom).len() + usize::from(!is_synthetic_root(&sbom));
        assert_eq!(
            in_sbom,
            packages.len(),
            "{}: one component per package",
            case.display()
        );
        let lock_edges: usize = packages
            .iter()
            .map(|p| {
                p.get("dependencies")
                    .and_then(toml::Value::as_array)
                    .map_or(0, Vec::len)
            })
            .sum();
        assert_eq!(
            edge_count(&sbom) - root_edges(&sbom),
            lock_edges,
            "{}: every edge",
            case.display()
        );

        let mut checksums: BTreeSet<String> = packages
            .iter()
            .filter_map(|p| {
                p.get("checksum")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
            })
            .collect();
        if let Some(metadata) = lock.get("metadata").and_then(toml::Value::as_table) {
            checksums.extend(
                metadata
                    .values()
                    .filter_map(toml::Value::as_str)
                    .map(str::to_owned),
            );
        }
        assert!(
            !checksums.is_empty(),
            "{}: fixture has checksums",
            case.display()
        );
        let found = all_hashes(&sbom);
        let missing: Vec<_> = checksums.difference(&found).collect();
        assert!(
            missing.is_empty(),
            "{}: checksums missing from SBOM: {missing:?}",
            case.display()
        );

        for component in components(&sbom) {
            let name = component["name"].as_str().unwrap();
            let version = component["version"].as_str().unwrap();
            let package = packages
                .iter()
                .find(|p| {
                    p["name"].as_str() == Some(name) && p["version"].as_str() == Some(version)
                })
                .unwrap_or_else(|| panic!("{name} {version} not in lockfile"));
            let has_source = package.get("source").is_some();
            assert_eq!(
                component.get("purl").is_some(),
                has_source,
                "{name}: purl iff it has a source"
            );
        }
    }
}

/// Edges from the synthetic root, which the lockfile does not have.
fn root_edges(sbom: &Value) -> usize {
    if !is_synthetic_root(sbom) {
        return 0;
    }
    let dependencies = sbom["dependencies"].as_array().unwrap();
    let root = dependencies
        .iter()
        .find(|d| d["ref"] == "supply:root")
        .unwrap();
    root["dependsOn"].as_array().unwrap().len()
}

#[test]
fn uv_lockfiles() {
    for case in lockfile_cases("uv") {
        let lock_text = std::fs::read_to_string(lockfile_in(&case)).unwrap();
        let lock: toml::Table = toml::from_str(&lock_text).unwrap();
        let packages = lock["package"].as_array().unwrap();
        let (text, sbom) = sbom_of(&case, &[]);
        snapshot_unless_large(&case, &text);

        let in_sbom = components(&sbom).len() + usize::from(!is_synthetic_root(&sbom));
        assert_eq!(
            in_sbom,
            packages.len(),
            "{}: one component per package",
            case.display()
        );

        let artifact_hashes: BTreeSet<String> = packages
            .iter()
            .flat_map(|p| {
                let sdist = p.get("sdist").into_iter();
                let wheels = p
                    .get("wheels")
                    .and_then(toml::Value::as_array)
                    .into_iter()
                    .flatten();
                sdist.chain(wheels)
            })
            .filter_map(|a| a.get("hash").and_then(toml::Value::as_str))
            .map(|h| h.split_once(':').unwrap().1.to_owned())
            .collect();
        assert!(
            !artifact_hashes.is_empty(),
            "{}: fixture has hashes",
            case.display()
        );
        let found = all_hashes(&sbom);
        let missing: Vec<_> = artifact_hashes.difference(&found).collect();
        assert!(
            missing.is_empty(),
            "{}: hashes missing: {missing:?}",
            case.display()
        );

        for component in components(&sbom) {
            let purl = component["purl"].as_str();
            let local = component["bom-ref"]
                .as_str()
                .unwrap()
                .starts_with("uv.lock#");
            assert_eq!(
                purl.is_none(),
                local,
                "{}: purl unless local",
                component["name"]
            );
            if let Some(purl) = purl {
                assert!(purl.starts_with("pkg:pypi/"), "{purl}");
            }
        }
    }
}

fn sri_to_hex(sri: &str) -> Vec<String> {
    sri.split_whitespace()
        .map(|token| {
            let (_, b64) = token.split_once('-').unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap();
            bytes.iter().map(|b| format!("{b:02x}")).collect()
        })
        .collect()
}

#[test]
fn npm_lockfiles() {
    for case in lockfile_cases("npm") {
        let lockfile = lockfile_in(&case);
        let lock: Value =
            serde_json::from_str(&std::fs::read_to_string(&lockfile).unwrap()).unwrap();
        let (text, sbom) = sbom_of(&case, &[]);
        snapshot_unless_large(&case, &text);

        let mut integrities = BTreeSet::new();
        let mut identities = BTreeSet::new();
        if let Some(packages) = lock["packages"].as_object() {
            for (location, entry) in packages {
                if let Some(sri) = entry["integrity"].as_str() {
                    integrities.extend(sri_to_hex(sri));
                }
                if entry["link"] != true && !location.is_empty() {
                    let folder = match location.rsplit_once("node_modules/") {
                        Some((_, installed)) => installed,
                        None => location.rsplit('/').next().unwrap(),
                    };
                    let name = entry["name"].as_str().unwrap_or(folder);
                    identities.insert((
                        name.to_owned(),
                        entry["version"].as_str().map(str::to_owned),
                    ));
                }
            }
        } else {
            collect_v1(&lock["dependencies"], &mut integrities, &mut identities);
        }
        let found = all_hashes(&sbom);
        let missing: Vec<_> = integrities.difference(&found).collect();
        assert!(
            missing.is_empty(),
            "{}: integrity missing: {missing:?}",
            case.display()
        );

        let in_sbom: BTreeSet<(String, Option<String>)> = components(&sbom)
            .iter()
            .map(|c| {
                let name = match c["group"].as_str() {
                    Some(group) => format!("{group}/{}", c["name"].as_str().unwrap()),
                    None => c["name"].as_str().unwrap().to_owned(),
                };
                (name, c["version"].as_str().map(str::to_owned))
            })
            .collect();
        let missing: Vec<_> = identities.difference(&in_sbom).take(10).collect();
        assert!(
            missing.is_empty(),
            "{}: packages missing: {missing:?}",
            case.display()
        );
    }
}

fn collect_v1(
    dependencies: &Value,
    integrities: &mut BTreeSet<String>,
    identities: &mut BTreeSet<(String, Option<String>)>,
) {
    for (name, entry) in dependencies.as_object().into_iter().flatten() {
        let version = entry["version"].as_str().unwrap();
        match version.strip_prefix("npm:") {
            Some(alias) => {
                let at = alias[1..].find('@').unwrap() + 1;
                identities.insert((alias[..at].to_owned(), Some(alias[at + 1..].to_owned())));
            }
            None if version.contains(':') => {
                identities.insert((name.clone(), None));
            }
            None => {
                identities.insert((name.clone(), Some(version.to_owned())));
            }
        }
        if let Some(sri) = entry["integrity"].as_str().filter(|s| s.contains('-')) {
            integrities.extend(sri_to_hex(sri));
        }
        collect_v1(&entry["dependencies"], integrities, identities);
    }
}

#[test]
fn large_lockfiles_keep_two_versions_apart() {
    let (_, sbom) = sbom_of(
        &crate::util::testdata().join("lockfiles/cargo/workspace"),
        &[],
    );
    let rands: Vec<&str> = components(&sbom)
        .iter()
        .filter(|c| c["name"] == "rand")
        .map(|c| c["version"].as_str().unwrap())
        .collect();
    assert!(rands.len() >= 2, "two versions of rand: {rands:?}");
    let dependencies = sbom["dependencies"].as_array().unwrap();
    for version in rands {
        let bom_ref = format!("pkg:cargo/rand@{version}");
        let node = dependencies
            .iter()
            .find(|d| d["ref"] == bom_ref.as_str())
            .unwrap();
        assert!(
            !node["dependsOn"].as_array().unwrap().is_empty(),
            "{bom_ref} keeps its own edges"
        );
    }
}
