//! The crates are publishable: `cargo package --list` succeeds for each, with its README and
//! license and without build output or test scratch; every manifest has the metadata
//! crates.io shows; supply-cli's dependency on supply-core carries a version.

use std::path::Path;
use std::process::Command;

use crate::util::stderr;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[test]
fn every_crate_packages_with_readme_license_and_metadata() {
    for name in ["supply-core", "supply-cli", "supply-ffi"] {
        let output = Command::new(env!("CARGO"))
            .args([
                "package",
                "--list",
                "--allow-dirty",
                "--offline",
                "-p",
                name,
            ])
            .current_dir(root())
            .output()
            .unwrap();
        assert!(output.status.success(), "{name}: {}", stderr(&output));
        let files = String::from_utf8(output.stdout).unwrap();
        for needed in ["README.md", "LICENSE", "Cargo.toml", "src/"] {
            assert!(
                files.lines().any(|f| f.starts_with(needed)),
                "{name} lacks {needed}"
            );
        }
        for unwanted in ["target/", "node_modules/", ".profraw"] {
            assert!(!files.contains(unwanted), "{name} would ship {unwanted}");
        }
        let manifest =
            std::fs::read_to_string(root().join("crates").join(name).join("Cargo.toml")).unwrap();
        for key in [
            "description",
            "readme",
            "keywords",
            "categories",
            "license.workspace",
            "repository.workspace",
        ] {
            assert!(manifest.contains(key), "{name}'s manifest lacks {key}");
        }
    }
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    let core = workspace
        .lines()
        .find(|l| l.starts_with("supply-core ="))
        .unwrap();
    assert!(core.contains("version ="), "{core}");
}
