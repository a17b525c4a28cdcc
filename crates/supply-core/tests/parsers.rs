//! Property tests over the lockfile parsers: whatever the bytes, a parser returns a graph or
//! an error, never panics; and a well-formed generated lockfile comes back complete.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use proptest::prelude::*;
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

const ECOSYSTEMS: [Ecosystem; 7] = [
    Ecosystem::Cargo,
    Ecosystem::Npm,
    Ecosystem::Uv,
    Ecosystem::Pnpm,
    Ecosystem::Yarn,
    Ecosystem::Poetry,
    Ecosystem::Pylock,
];

/// Real lockfiles to mutate (made by cargo, npm, uv, pnpm, yarn, poetry and pdm; see
/// testdata/lockfiles/*/SOURCE).
const SEEDS: [(Ecosystem, &str); 12] = [
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
    (
        Ecosystem::Pnpm,
        include_str!("../../../testdata/lockfiles/pnpm/v9-workspace/pnpm-lock.yaml"),
    ),
    (
        Ecosystem::Pnpm,
        include_str!("../../../testdata/lockfiles/pnpm/v6-workspace/pnpm-lock.yaml"),
    ),
    (
        Ecosystem::Yarn,
        include_str!("../../../testdata/lockfiles/yarn/v1-workspace/yarn.lock"),
    ),
    (
        Ecosystem::Yarn,
        include_str!("../../../testdata/lockfiles/yarn/berry-workspace/yarn.lock"),
    ),
    (
        Ecosystem::Poetry,
        include_str!("../../../testdata/lockfiles/poetry/v2-sources/poetry.lock"),
    ),
    (
        Ecosystem::Poetry,
        include_str!("../../../testdata/lockfiles/poetry/v1.1/poetry.lock"),
    ),
    (
        Ecosystem::Pylock,
        include_str!("../../../testdata/lockfiles/pylock/groups/pylock.toml"),
    ),
];

/// A large real uv.lock: over the size where parsing is split across two threads.
const LARGE_UV: &str = include_str!("../../../testdata/lockfiles/uv/large/uv.lock");

/// Text with multi-byte characters, as descriptions and comments carry: generators of raw
/// bytes almost never produce a whole character, let alone one at a split point.
fn unicode_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        any::<char>().prop_filter("printable", |c| !c.is_control()),
        0..24,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// What follows `npm:` in an alias version: empty, no version, a scope, non-ASCII first.
fn alias_spec() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("@".to_owned()),
        unicode_text(),
        (unicode_text(), unicode_text()).prop_map(|(name, version)| format!("{name}@{version}")),
        (unicode_text(), unicode_text()).prop_map(|(name, version)| format!("@{name}@{version}")),
    ]
}

/// Inserts a comment line before line `at` (a TOML comment is valid at any line start).
fn with_comment(text: &str, at: prop::sample::Index, comment: &str) -> String {
    let starts: Vec<usize> = std::iter::once(0)
        .chain(text.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let start = starts[at.index(starts.len())];
    format!("{}# {comment}\n{}", &text[..start], &text[start..])
}

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

/// Every input a fuzz target found crashing (testdata/fuzz/regressions/<target>/) now gives a
/// result.
#[test]
fn fuzz_regressions_give_results() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/fuzz/regressions");
    let mut checked = 0;
    for (target, ecosystem) in [
        ("cargo_lock", Ecosystem::Cargo),
        ("uv_lock", Ecosystem::Uv),
        ("package_lock", Ecosystem::Npm),
        ("pnpm_lock", Ecosystem::Pnpm),
        ("yarn_lock", Ecosystem::Yarn),
        ("poetry_lock", Ecosystem::Poetry),
        ("pylock", Ecosystem::Pylock),
    ] {
        let Ok(entries) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for entry in entries {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            parse_and_build(ecosystem, &bytes);
            checked += 1;
        }
    }
    // Bundles: what parses is written back in a form that parses to the same bundle.
    for entry in std::fs::read_dir(root.join("sigstore_bundle")).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        if let Ok(bundle) = supply_core::sigstore::Bundle::from_json(&bytes) {
            let again = supply_core::sigstore::Bundle::from_json(&bundle.to_json())
                .expect("a written bundle parses");
            assert_eq!(again.minor_version, bundle.minor_version);
            assert_eq!(again.content, bundle.content);
            assert_eq!(again.tlog_entries, bundle.tlog_entries);
        }
        checked += 1;
    }
    assert!(checked >= 2);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512), which in 0..ECOSYSTEMS.len()) {
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
}

proptest! {
    // Each case parses and validates a 1.9 MB lockfile: few cases, each a different split.
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn unicode_in_the_middle_of_a_large_uv_lock_never_panics(
        comment in unicode_text().prop_filter("non-empty", |c| !c.is_empty()),
        shift in any::<prop::sample::Index>(),
    ) {
        // A comment line at the line start before the middle, padded so that the middle of the
        // edited file falls `shift` bytes into the comment (often inside a character).
        let length = LARGE_UV.len();
        let start = LARGE_UV[..length / 2].rfind('\n').map_or(0, |i| i + 1);
        let offset = shift.index(comment.len());
        let pad = (length + comment.len() + 3).saturating_sub(2 * (start + 2 + offset));
        let text = format!(
            "{}# {}{comment}\n{}",
            &LARGE_UV[..start],
            "-".repeat(pad),
            &LARGE_UV[start..]
        );
        let graph = sbom::parse_lockfile(Ecosystem::Uv, &text).unwrap();
        let whole: toml::Table = toml::from_str(&text).unwrap();
        prop_assert_eq!(graph.packages.len(), whole["package"].as_array().unwrap().len());
    }

    #[test]
    fn unicode_comments_on_any_line_never_panic(
        seed in 0..3usize,
        at in any::<prop::sample::Index>(),
        comment in unicode_text(),
    ) {
        let (ecosystem, text) = [SEEDS[0], SEEDS[1], SEEDS[4]][seed];
        parse_and_build(ecosystem, with_comment(text, at, &comment).as_bytes());
    }

    #[test]
    fn npm_alias_versions_never_panic(entry in any::<prop::sample::Index>(), spec in alias_spec()) {
        let text = SEEDS[3].1;
        let versions: Vec<usize> = text.match_indices("\"version\": ").map(|(i, _)| i).collect();
        let start = versions[entry.index(versions.len())] + "\"version\": ".len();
        let end = start + text[start..].find(',').unwrap();
        let alias = serde_json::to_string(&format!("npm:{spec}")).unwrap();
        let edited = format!("{}{alias}{}", &text[..start], &text[end..]);
        parse_and_build(Ecosystem::Npm, edited.as_bytes());
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
