use super::*;

#[test]
fn walk_finds_every_lockfile_name_and_skips_vendored_trees() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for path in [
        "Cargo.lock",
        "web/package-lock.json",
        "web/npm-shrinkwrap.json",
        "web/node_modules/x/package-lock.json",
        "target/Cargo.lock",
        "py/.venv/uv.lock",
        "py/uv.lock",
        "notes/yarn.lock",
        "js/pnpm-lock.yaml",
        "js/.yarn/cache/package-lock.json",
        "poetry/poetry.lock",
        "pylock/pylock.toml",
        "pylock-named/pylock.dev.toml",
        "pylock-named/pylock.not.valid.toml",
    ] {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    let found: Vec<PathBuf> = find_lockfiles(root)
        .unwrap()
        .lockfiles
        .into_iter()
        .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
        .collect();
    assert_eq!(
        found,
        [
            "Cargo.lock",
            "js/pnpm-lock.yaml",
            "notes/yarn.lock",
            "poetry/poetry.lock",
            "py/uv.lock",
            "pylock/pylock.toml",
            "pylock-named/pylock.dev.toml",
            "web/npm-shrinkwrap.json",
        ]
        .map(PathBuf::from)
    );
}

fn touch(root: &Path, files: &[&str]) {
    for file in files {
        let path = root.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
}

fn names(root: &Path) -> (Vec<String>, Vec<String>) {
    let found = find_lockfiles(root).unwrap();
    let names = found
        .lockfiles
        .iter()
        .map(|p| p.strip_prefix(root).unwrap().to_string_lossy().into_owned())
        .collect();
    (names, found.notices)
}

#[test]
fn one_lockfile_per_ecosystem_family_and_directory() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(
        root,
        &[
            "package-lock.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "uv.lock",
            "poetry.lock",
            "pylock.toml",
            "Cargo.lock",
            "py/pylock.toml",
            "py/pylock.a.toml",
        ],
    );
    let (found, notices) = names(root);
    assert_eq!(
        found,
        [
            "Cargo.lock",
            "package-lock.json",
            "py/pylock.toml",
            "uv.lock"
        ]
    );
    assert_eq!(notices.len(), 3, "{notices:?}");
    assert!(
        notices[0].starts_with("reading package-lock.json, not pnpm-lock.yaml or yarn.lock:"),
        "{notices:?}"
    );
    assert!(
        notices[0].contains("npm-shrinkwrap.json, package-lock.json, pnpm-lock.yaml, yarn.lock"),
        "the notice gives the order: {notices:?}"
    );
    assert!(
        notices[1].starts_with("reading uv.lock, not poetry.lock or pylock.toml:"),
        "{notices:?}"
    );
    assert!(
        notices[2].starts_with("py: reading pylock.toml, not pylock.a.toml:"),
        "{notices:?}"
    );
}

#[test]
fn package_manager_field_picks_the_javascript_lockfile() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    touch(root, &["package-lock.json", "yarn.lock", "pnpm-lock.yaml"]);
    std::fs::write(
        root.join("package.json"),
        r#"{"name": "x", "packageManager": "yarn@4.5.0+sha512.abc"}"#,
    )
    .unwrap();
    let (found, notices) = names(root);
    assert_eq!(found, ["yarn.lock"]);
    assert!(
        notices[0].contains("package.json's `packageManager` names yarn"),
        "{notices:?}"
    );
    // A manager without a lockfile here, or a package.json that is not JSON: the order.
    for package_json in [r#"{"packageManager": "bun@1.1.0"}"#, "{not json"] {
        std::fs::write(root.join("package.json"), package_json).unwrap();
        assert_eq!(names(root).0, ["package-lock.json"], "{package_json}");
    }
}

#[test]
fn the_same_lockfile_cloned_anywhere_gives_the_same_sbom() {
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/lockfiles/uv/workspace/uv.lock"
    );
    let options = BuildOptions {
        timestamp: Some(crate::sbom::Timestamp::fixed(1_700_000_000)),
        ..BuildOptions::default()
    };
    let dir = tempfile::tempdir().unwrap();
    let sboms: Vec<String> = ["checkout-one", "other-clone"]
        .iter()
        .map(|clone| {
            let lockfile = dir.path().join(clone).join("uv.lock");
            std::fs::create_dir_all(lockfile.parent().unwrap()).unwrap();
            std::fs::copy(fixture, &lockfile).unwrap();
            let from_dir = generate(lockfile.parent().unwrap(), options).unwrap();
            let from_file = generate(&lockfile, options).unwrap();
            assert_eq!(from_dir.bom.to_json(), from_file.bom.to_json());
            from_dir.bom.to_json()
        })
        .collect();
    assert_eq!(sboms[0], sboms[1]);
    let doc: serde_json::Value = serde_json::from_str(&sboms[0]).unwrap();
    // Several roots (the project at `.` and a member it does not use): the project names them.
    assert_eq!(doc["metadata"]["component"]["bom-ref"], "supply:root");
    assert_eq!(doc["metadata"]["component"]["name"], "ws-root");
    assert_eq!(doc["metadata"]["component"]["version"], "0.1.0");
}
