use super::*;
use crate::sbom::{Ecosystem, parse_lockfile, validate};

const CARGO: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa"]

[[package]]
name = "itoa"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "34af8d1a0e25924bc5b7c43c079c942339d8f0a8b57c39049bef581b46327404"
"#;

const NPM: &str = r#"{
  "name": "web", "version": "2.0.0", "lockfileVersion": 3,
  "packages": {
    "": { "name": "web", "version": "2.0.0", "dependencies": { "a": "1" }, "devDependencies": { "d": "1" } },
    "node_modules/a": { "version": "1.0.0", "dependencies": { "c": "1" } },
    "node_modules/a/node_modules/c": { "version": "1.0.0" },
    "node_modules/d": { "version": "1.0.0", "dev": true, "dependencies": { "c": "1" } },
    "node_modules/d/node_modules/c": { "version": "1.0.0", "dev": true }
  }
}"#;

fn json(bom: &Bom) -> serde_json::Value {
    serde_json::from_str(&bom.to_json()).unwrap()
}

fn options(spec_version: SpecVersion) -> BuildOptions {
    BuildOptions {
        spec_version,
        exclude_dev: false,
        timestamp: Some(Timestamp::fixed(1_700_000_000)),
    }
}

#[test]
fn single_root_becomes_metadata_component() {
    let graph = parse_lockfile(Ecosystem::Cargo, CARGO).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_6))
        .add("Cargo.lock", graph)
        .build("x");
    let doc = json(&bom);
    assert_eq!(
        doc["metadata"]["component"]["bom-ref"],
        "Cargo.lock#app@0.1.0"
    );
    assert_eq!(doc["metadata"]["component"]["type"], "application");
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    assert_eq!(doc["components"].as_array().unwrap().len(), 1);
    assert_eq!(doc["components"][0]["hashes"][0]["alg"], "SHA-256");
    assert_eq!(
        doc["dependencies"][0],
        serde_json::json!({"ref": "Cargo.lock#app@0.1.0", "dependsOn": ["pkg:cargo/itoa@1.0.0"]})
    );
    assert_eq!(validate(bom.to_json().as_bytes()).unwrap(), vec![]);
}

#[test]
fn identical_packages_merge_with_strongest_scope() {
    let graph = parse_lockfile(Ecosystem::Npm, NPM).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_6))
        .add("package-lock.json", graph)
        .build("x");
    let doc = json(&bom);
    let components = doc["components"].as_array().unwrap();
    let c: Vec<_> = components.iter().filter(|c| c["name"] == "c").collect();
    assert_eq!(c.len(), 1, "one component for two installs of c@1.0.0");
    assert_eq!(c[0]["scope"], "required");
    let paths: Vec<_> = c[0]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["value"].clone())
        .collect();
    assert_eq!(paths.len(), 2);
    let d = components.iter().find(|c| c["name"] == "d").unwrap();
    assert_eq!(d["scope"], "excluded");
    assert_eq!(validate(bom.to_json().as_bytes()).unwrap(), vec![]);
}

#[test]
fn exclude_dev_drops_components_and_edges() {
    let graph = parse_lockfile(Ecosystem::Npm, NPM).unwrap();
    let mut opts = options(SpecVersion::V1_6);
    opts.exclude_dev = true;
    let bom = Builder::new(opts)
        .add("package-lock.json", graph)
        .build("x");
    let text = bom.to_json();
    assert!(!text.contains("pkg:npm/d@"), "{text}");
    assert_eq!(validate(text.as_bytes()).unwrap(), vec![]);
}

#[test]
fn several_roots_get_a_synthetic_root() {
    let cargo = parse_lockfile(Ecosystem::Cargo, CARGO).unwrap();
    let npm = parse_lockfile(Ecosystem::Npm, NPM).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_5))
        .add("Cargo.lock", cargo)
        .add("web/package-lock.json", npm)
        .build("monorepo");
    let doc = json(&bom);
    assert_eq!(doc["specVersion"], "1.5");
    assert_eq!(doc["metadata"]["component"]["name"], "monorepo");
    let root = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "supply:root")
        .unwrap();
    assert_eq!(
        root["dependsOn"],
        serde_json::json!(["Cargo.lock#app@0.1.0", "web/package-lock.json#."])
    );
    assert_eq!(validate(bom.to_json().as_bytes()).unwrap(), vec![]);
}

#[test]
fn output_is_deterministic_and_serial_follows_content() {
    let build = |lock: &str| {
        let graph = parse_lockfile(Ecosystem::Cargo, lock).unwrap();
        Builder::new(options(SpecVersion::V1_6))
            .add("Cargo.lock", graph)
            .build("x")
            .to_json()
    };
    let first = build(CARGO);
    assert_eq!(first, build(CARGO));
    let serial = |text: &str| json_serial(text);
    assert_ne!(
        serial(&first),
        serial(&build(&CARGO.replace("1.0.0", "1.0.1")))
    );
    assert!(serial(&first).starts_with("urn:uuid:"));
}

fn json_serial(text: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    doc["serialNumber"].as_str().unwrap().to_owned()
}
