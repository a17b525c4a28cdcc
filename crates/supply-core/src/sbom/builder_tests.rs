use super::*;
use crate::sbom::discover::Subject;
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

const UV_WORKSPACE: &str = include_str!("../../../../testdata/lockfiles/uv/workspace/uv.lock");

fn root_of(bom: &Bom) -> serde_json::Value {
    json(bom)["metadata"]["component"].clone()
}

#[test]
fn the_project_at_the_workspace_root_names_the_synthetic_root() {
    let build = |label: &str| {
        let graph = parse_lockfile(Ecosystem::Uv, UV_WORKSPACE).unwrap();
        assert!(graph.roots.len() > 1, "the fixture has several roots");
        Builder::new(options(SpecVersion::V1_6))
            .add(label, graph)
            .build("fallback")
    };
    let root = root_of(&build("uv.lock"));
    assert_eq!(root["bom-ref"], "supply:root");
    assert_eq!(
        (&root["name"], &root["version"]),
        (&"ws-root".into(), &"0.1.0".into())
    );
    // Wherever the one lockfile sits in the input, its project is what the input is.
    assert_eq!(root_of(&build("py/uv.lock"))["name"], "ws-root");
    // Two lockfiles are two projects: neither names the whole.
    let bom = Builder::new(options(SpecVersion::V1_6))
        .add(
            "uv.lock",
            parse_lockfile(Ecosystem::Uv, UV_WORKSPACE).unwrap(),
        )
        .add(
            "web/package-lock.json",
            parse_lockfile(Ecosystem::Npm, NPM).unwrap(),
        )
        .build("fallback");
    let root = root_of(&bom);
    assert_eq!(root["name"], "fallback");
    assert!(root.get("version").is_none());
    // Cargo.lock does not say which package sits at the workspace root.
    let cargo = include_str!("../../../../testdata/lockfiles/cargo/workspace/Cargo.lock");
    let graph = parse_lockfile(Ecosystem::Cargo, cargo).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_6))
        .add("Cargo.lock", graph)
        .build("fallback");
    assert_eq!(root_of(&bom)["name"], "fallback");
}

#[test]
fn the_subject_overrides_the_lockfiles() {
    let subject = |name: Option<&str>, version: Option<&str>| Subject {
        name: name.map(str::to_owned),
        version: version.map(str::to_owned),
    };
    let uv = || parse_lockfile(Ecosystem::Uv, UV_WORKSPACE).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_6))
        .subject(subject(Some("acme"), Some("9.9.9")))
        .add("uv.lock", uv())
        .build("fallback");
    let root = root_of(&bom);
    assert_eq!(
        (&root["name"], &root["version"]),
        (&"acme".into(), &"9.9.9".into())
    );
    // Only the name: the version is still the project's.
    let bom = Builder::new(options(SpecVersion::V1_6))
        .subject(subject(Some("acme"), None))
        .add("uv.lock", uv())
        .build("fallback");
    assert_eq!(root_of(&bom)["version"], "0.1.0");
    // One root: it is the subject, renamed; its ref and edges stay.
    let npm = parse_lockfile(Ecosystem::Npm, NPM).unwrap();
    let bom = Builder::new(options(SpecVersion::V1_6))
        .subject(subject(Some("shop"), Some("3.0.0")))
        .add("package-lock.json", npm)
        .build("fallback");
    let root = root_of(&bom);
    assert_eq!(root["bom-ref"], "package-lock.json#.");
    assert_eq!(
        (&root["name"], &root["version"]),
        (&"shop".into(), &"3.0.0".into())
    );
    assert_eq!(validate(bom.to_json().as_bytes()).unwrap(), vec![]);
}
