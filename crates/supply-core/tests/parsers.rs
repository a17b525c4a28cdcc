//! Property tests over the lockfile parsers: whatever the bytes, a parser returns a graph or
//! an error, never panics; and a well-formed generated lockfile comes back complete.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use proptest::prelude::*;
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

const ECOSYSTEMS: [Ecosystem; 3] = [Ecosystem::Cargo, Ecosystem::Npm, Ecosystem::Uv];

/// Real lockfiles to mutate (made by cargo, npm and uv; see testdata/lockfiles/*/SOURCE).
const SEEDS: [(Ecosystem, &str); 5] = [
    (
        Ecosystem::Cargo,
        include_str!("../../../testdata/lockfiles/cargo/workspace/Cargo.lock"),
    ),
    (
        Ecosystem::Cargo,
        include_str!("../../../testdata/lockfiles/cargo/v1/Cargo.lock"),
    ),
    (
        Ecosystem::Npm,
        include_str!("../../../testdata/lockfiles/npm/workspaces/package-lock.json"),
    ),
    (
        Ecosystem::Npm,
        include_str!("../../../testdata/lockfiles/npm/v1/package-lock.json"),
    ),
    (
        Ecosystem::Uv,
        include_str!("../../../testdata/lockfiles/uv/workspace/uv.lock"),
    ),
];

/// Parsing and, when it succeeds, building must not panic, and the BOM must be valid.
fn parse_and_build(ecosystem: Ecosystem, bytes: &[u8]) {
    if let Ok(graph) = sbom::parse_lockfile_bytes(ecosystem, bytes) {
        let bom = Builder::new(BuildOptions::default())
            .add("lock", graph)
            .build("p");
        let findings = sbom::validate(bom.to_json().as_bytes()).unwrap();
        assert!(findings.is_empty(), "{findings:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), which in 0..3usize) {
        parse_and_build(ECOSYSTEMS[which], &bytes);
    }

    #[test]
    fn truncated_real_lockfiles_never_panic(seed in 0..SEEDS.len(), cut in any::<prop::sample::Index>()) {
        let (ecosystem, text) = SEEDS[seed];
        let bytes = text.as_bytes();
        parse_and_build(ecosystem, &bytes[..cut.index(bytes.len() + 1)]);
    }

    #[test]
    fn mutated_real_lockfiles_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let (ecosystem, text) = SEEDS[seed];
        let mut bytes = text.as_bytes().to_vec();
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        parse_and_build(ecosystem, &bytes);
    }

    #[test]
    fn generated_cargo_lockfiles_come_back_complete(
        deps in proptest::collection::vec(proptest::collection::vec(0..20usize, 0..5), 1..20),
    ) {
        // Package i may depend on packages with a higher index only (a DAG, as cargo writes).
        let mut text = String::from("version = 4\n");
        let mut edges = 0;
        for (i, targets) in deps.iter().enumerate() {
            let mut targets: Vec<usize> = targets.iter().map(|t| i + 1 + t).filter(|&t| t < deps.len()).collect();
            targets.sort_unstable();
            targets.dedup();
            edges += targets.len();
            let list: Vec<String> = targets.iter().map(|t| format!("\"p{t}\"")).collect();
            text.push_str(&format!(
                "[[package]]\nname = \"p{i}\"\nversion = \"1.0.{i}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"{:064x}\"\ndependencies = [{}]\n",
                i,
                list.join(", ")
            ));
        }
        let graph = sbom::parse_lockfile(Ecosystem::Cargo, &text).unwrap();
        prop_assert_eq!(graph.packages.len(), deps.len());
        prop_assert_eq!(graph.edges.len(), edges);
        prop_assert!(graph.packages.iter().all(|p| p.purl.is_some() && p.hashes.len() == 1));
    }
}
