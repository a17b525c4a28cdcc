use std::collections::BTreeSet;

use super::*;
use crate::sbom::{Hash, HashAlg, Hex};

const V9_SMALL: &str = include_str!("../../../../testdata/lockfiles/pnpm/v9-small/pnpm-lock.yaml");
const V6_SMALL: &str = include_str!("../../../../testdata/lockfiles/pnpm/v6-small/pnpm-lock.yaml");
const V9_WORKSPACE: &str =
    include_str!("../../../../testdata/lockfiles/pnpm/v9-workspace/pnpm-lock.yaml");
const V6_WORKSPACE: &str =
    include_str!("../../../../testdata/lockfiles/pnpm/v6-workspace/pnpm-lock.yaml");
const V9_GIT: &str = include_str!("../../../../testdata/lockfiles/pnpm/v9-git/pnpm-lock.yaml");
const LARGE: &str = include_str!("../../../../testdata/lockfiles/pnpm/large/pnpm-lock.yaml");

const GIT_COMMIT: &str = "4f2e58f526cd5c4dea48321e0868fea7f5fb9517";

/// A package's purl, or `local:<id>` for local packages.
fn label(package: &Package) -> String {
    match (&package.purl, &package.local) {
        (Some(purl), _) => purl.clone(),
        (None, Some(local)) => format!("local:{local}"),
        (None, None) => format!("unnamed:{}", package.name),
    }
}

fn index(graph: &DepGraph, wanted: &str) -> usize {
    let found: Vec<usize> = (0..graph.packages.len())
        .filter(|&i| label(&graph.packages[i]) == wanted)
        .collect();
    assert_eq!(found.len(), 1, "{wanted}: {found:?}");
    found[0]
}

fn package<'g>(graph: &'g DepGraph, wanted: &str) -> &'g Package {
    &graph.packages[index(graph, wanted)]
}

fn dependencies(graph: &DepGraph, wanted: &str) -> BTreeSet<String> {
    let from = index(graph, wanted);
    graph
        .edges
        .iter()
        .filter(|&&(f, _)| f == from)
        .map(|&(_, to)| label(&graph.packages[to]))
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// Components (label, scope, hashes) and edges (label → label).
type Summary = (
    BTreeSet<(String, Scope, Vec<Hash>)>,
    BTreeSet<(String, String)>,
);

/// Everything a user compares between two lockfiles of the same project.
fn summary(graph: &DepGraph) -> Summary {
    let packages = graph
        .packages
        .iter()
        .map(|p| (label(p), p.scope, p.hashes.clone()))
        .collect();
    let edges = graph
        .edges
        .iter()
        .map(|&(f, t)| (label(&graph.packages[f]), label(&graph.packages[t])))
        .collect();
    (packages, edges)
}

#[test]
fn small_lockfile_has_exact_purls_hashes_and_scopes() {
    for text in [V9_SMALL, V6_SMALL] {
        let graph = parse(text).unwrap();
        assert_eq!(graph.ecosystem, Ecosystem::Pnpm);
        let labels: BTreeSet<String> = graph.packages.iter().map(label).collect();
        assert_eq!(
            labels,
            set(&[
                "local:.",
                "pkg:npm/%40types/node@20.11.0",
                "pkg:npm/is-number@7.0.0",
                "pkg:npm/undici-types@5.26.5",
            ])
        );
        let node = package(&graph, "pkg:npm/%40types/node@20.11.0");
        assert_eq!(
            (node.group.as_deref(), node.name.as_str()),
            (Some("@types"), "node")
        );
        assert_eq!(
            node.hashes,
            [Hash {
                alg: HashAlg::Sha512,
                hex: Hex::from_text("a3d6e35e60cd705ec66cce02350a668be4eeb4281aa7f2b7c352722a0c408eac78d73a7daa52005458b422108db09717a2512a2d685b15b11e2f43ef626e2971").unwrap(),
            }]
        );
        assert_eq!(node.scope, Scope::Required);
        assert_eq!(
            package(&graph, "pkg:npm/undici-types@5.26.5").scope,
            Scope::Required
        );
        assert_eq!(
            package(&graph, "pkg:npm/is-number@7.0.0").scope,
            Scope::Excluded
        );
        assert_eq!(graph.roots, [index(&graph, "local:.")]);
        assert_eq!(
            dependencies(&graph, "local:."),
            set(&["pkg:npm/%40types/node@20.11.0", "pkg:npm/is-number@7.0.0"])
        );
        assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    }
}

#[test]
fn workspace_members_and_links_are_local_components() {
    let graph = parse(V9_WORKSPACE).unwrap();
    assert_eq!(graph.format_version, "9.0");
    let member = package(&graph, "local:packages/a");
    assert_eq!(
        (member.group.as_deref(), member.name.as_str()),
        (Some("@ws"), "a")
    );
    assert_eq!(package(&graph, "local:packages/b").name, "b");
    let root = dependencies(&graph, "local:.");
    for expected in [
        "local:packages/a",
        "local:link:vendor/local-lib",
        "local:file:vendor/dir-lib",
    ] {
        assert!(root.contains(expected), "{expected} not in {root:?}");
    }
    assert!(dependencies(&graph, "local:packages/a").contains("local:packages/b"));
    assert_eq!(
        package(&graph, "local:link:vendor/local-lib").name,
        "local-lib"
    );
    let directory = package(&graph, "local:file:vendor/dir-lib");
    assert_eq!(
        (directory.name.as_str(), directory.purl.as_deref()),
        ("dir-lib", None)
    );
    assert_eq!(
        dependencies(&graph, "local:file:vendor/dir-lib"),
        set(&["pkg:npm/is-number@6.0.0"])
    );
    // The members are reached from the root through `workspace:` links, so it is the one root.
    assert_eq!(graph.roots, [index(&graph, "local:.")]);
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
}

#[test]
fn peer_variants_merge_into_one_component_with_all_edges() {
    for text in [V9_WORKSPACE, V6_WORKSPACE] {
        let graph = parse(text).unwrap();
        let react_dom = package(&graph, "pkg:npm/react-dom@18.2.0");
        assert_eq!(
            react_dom.hashes[0].hex,
            "e88313ae2526bec8c752336d103b9d65fb83414a165d5c4a1e194419293cd67e18152fabfca97df705e2c25557b4f06d25e9e8cefd8ffa1c43b30f5e03b5e8ea"
        );
        assert_eq!(
            dependencies(&graph, "pkg:npm/react-dom@18.2.0"),
            set(&[
                "pkg:npm/loose-envify@1.4.0",
                "pkg:npm/react@18.2.0",
                "pkg:npm/react@18.3.1",
                "pkg:npm/scheduler@0.23.2",
            ])
        );
        assert!(dependencies(&graph, "local:packages/a").contains("pkg:npm/react-dom@18.2.0"));
        assert!(dependencies(&graph, "local:.").contains("pkg:npm/react-dom@18.2.0"));
    }
}

#[test]
fn aliases_tarballs_and_url_specifiers() {
    for text in [V9_WORKSPACE, V6_WORKSPACE] {
        let graph = parse(text).unwrap();
        // `"foo": "npm:lodash@4.17.21"` is lodash.
        assert!(dependencies(&graph, "local:.").contains("pkg:npm/lodash@4.17.21"));
        assert!(graph.packages.iter().all(|p| p.name != "foo"));
        // A tarball URL not in the registry's own form keeps its origin.
        let url = "https://registry.yarnpkg.com/is-odd/-/is-odd-3.0.1.tgz";
        let tarball = package(
            &graph,
            "pkg:npm/is-odd@3.0.1?download_url=https:%2F%2Fregistry.yarnpkg.com%2Fis-odd%2F-%2Fis-odd-3.0.1.tgz",
        );
        assert_eq!(
            tarball.external_references,
            [ExternalReference {
                kind: ReferenceKind::Distribution,
                url: url.into(),
                hashes: Vec::new(),
            }]
        );
        assert_eq!(
            dependencies(&graph, &label(tarball)),
            set(&["pkg:npm/is-number@6.0.0"])
        );
        // pnpm resolved the registry's own tarball URL for `ms` as the registry package.
        let ms = package(&graph, "pkg:npm/ms@2.1.3");
        assert_eq!(ms.hashes.len(), 1);
        assert!(ms.external_references.is_empty());
    }
}

#[test]
fn scopes_follow_the_strongest_path_from_the_importers() {
    for text in [V9_WORKSPACE, V6_WORKSPACE] {
        let graph = parse(text).unwrap();
        let scope = |purl: &str| package(&graph, purl).scope;
        for dev_only in [
            "pkg:npm/is-even@1.0.0",
            "pkg:npm/is-odd@0.1.2",
            "pkg:npm/is-number@3.0.0",
            "pkg:npm/kind-of@3.2.2",
            "pkg:npm/is-buffer@1.1.6",
        ] {
            assert_eq!(scope(dev_only), Scope::Excluded, "{dev_only}");
        }
        // Optional from the root, dev from packages/b: optional is the stronger.
        assert_eq!(scope("pkg:npm/is-number@7.0.0"), Scope::Optional);
        assert_eq!(scope("pkg:npm/is-plain-obj@1.1.0"), Scope::Optional);
        for required in [
            "pkg:npm/is-number@6.0.0",
            "pkg:npm/debug@4.3.4",
            "pkg:npm/ms@2.1.2",
            "pkg:npm/react@18.3.1",
            "local:packages/b",
        ] {
            assert_eq!(scope(required), Scope::Required, "{required}");
        }
        // v6's own dev flags agree with reachability.
        assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    }
}

#[test]
fn v6_and_v9_of_one_workspace_give_the_same_graph() {
    let v9 = parse(V9_WORKSPACE).unwrap();
    let v6 = parse(V6_WORKSPACE).unwrap();
    assert_eq!(v6.format_version, "6.0");
    assert_eq!(summary(&v6), summary(&v9));
    assert_eq!(v9.packages.len(), 24);
}

#[test]
fn git_resolution_from_a_real_lockfile() {
    let graph = parse(V9_GIT).unwrap();
    let purl = format!(
        "pkg:npm/pnpmgitdep@0.4.2?vcs_url=git%2Bfile:%2F%2F%2Ftmp%2Fpnpmgitdep%40{GIT_COMMIT}"
    );
    let git = package(&graph, &purl);
    assert!(git.hashes.is_empty());
    assert_eq!(
        git.external_references,
        [ExternalReference {
            kind: ReferenceKind::Vcs,
            url: format!("file:///tmp/pnpmgitdep#{GIT_COMMIT}"),
            hashes: Vec::new(),
        }]
    );
    assert_eq!(
        dependencies(&graph, &purl),
        set(&["pkg:npm/is-number@7.0.0"])
    );
}

/// Shapes from pnpm's lockfile format (GitHub cannot be reached here to make them for real):
/// a `type: git` resolution over SSH and HTTPS with a token, and a codeload tarball.
const GIT_SNIPPET: &str = "lockfileVersion: '9.0'
importers:
  .:
    dependencies:
      is-odd:
        specifier: github:jonschlinkert/is-odd#a80ee0d
        version: https://codeload.github.com/jonschlinkert/is-odd/tar.gz/a80ee0d0000000000000000000000000000000ff
      ssh-dep:
        specifier: git+ssh://git@github.com/o/ssh-dep.git
        version: git+ssh://git@github.com/o/ssh-dep.git#0123456789abcdef0123456789abcdef01234567
      token-dep:
        specifier: git+https://ghp_secret@github.com/o/token-dep.git
        version: git+https://github.com/o/token-dep.git#89abcdef0123456789abcdef0123456789abcdef
packages:
  is-odd@https://codeload.github.com/jonschlinkert/is-odd/tar.gz/a80ee0d0000000000000000000000000000000ff:
    resolution: {tarball: https://codeload.github.com/jonschlinkert/is-odd/tar.gz/a80ee0d0000000000000000000000000000000ff}
    version: 3.0.1
  ssh-dep@git+ssh://git@github.com/o/ssh-dep.git#0123456789abcdef0123456789abcdef01234567:
    resolution: {commit: 0123456789abcdef0123456789abcdef01234567, repo: git+ssh://git@github.com/o/ssh-dep.git, type: git}
    version: 1.0.0
  token-dep@git+https://github.com/o/token-dep.git#89abcdef0123456789abcdef0123456789abcdef:
    resolution: {commit: 89abcdef0123456789abcdef0123456789abcdef, path: /sub, repo: 'https://ghp_secret@github.com/o/token-dep.git', type: git}
    version: 2.0.0
snapshots:
  is-odd@https://codeload.github.com/jonschlinkert/is-odd/tar.gz/a80ee0d0000000000000000000000000000000ff: {}
  ssh-dep@git+ssh://git@github.com/o/ssh-dep.git#0123456789abcdef0123456789abcdef01234567: {}
  token-dep@git+https://github.com/o/token-dep.git#89abcdef0123456789abcdef0123456789abcdef: {}
";

#[test]
fn git_resolutions_and_codeload_tarballs_give_vcs_urls() {
    let graph = parse(GIT_SNIPPET).unwrap();
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let codeload = package(
        &graph,
        "pkg:npm/is-odd@3.0.1?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fjonschlinkert%2Fis-odd%40a80ee0d0000000000000000000000000000000ff",
    );
    let kinds: Vec<(ReferenceKind, &str)> = codeload
        .external_references
        .iter()
        .map(|r| (r.kind, r.url.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (
                ReferenceKind::Vcs,
                "https://github.com/jonschlinkert/is-odd#a80ee0d0000000000000000000000000000000ff"
            ),
            (
                ReferenceKind::Distribution,
                "https://codeload.github.com/jonschlinkert/is-odd/tar.gz/a80ee0d0000000000000000000000000000000ff"
            ),
        ]
    );
    let ssh = package(
        &graph,
        "pkg:npm/ssh-dep@1.0.0?vcs_url=git%2Bssh:%2F%2Fgit%40github.com%2Fo%2Fssh-dep.git%400123456789abcdef0123456789abcdef01234567",
    );
    assert_eq!(
        ssh.external_references[0].url,
        "ssh://git@github.com/o/ssh-dep.git#0123456789abcdef0123456789abcdef01234567"
    );
    let token = package(
        &graph,
        "pkg:npm/token-dep@2.0.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Ftoken-dep.git%4089abcdef0123456789abcdef0123456789abcdef",
    );
    assert!(!format!("{token:?}").contains("ghp_secret"));
    assert_eq!(
        token.properties,
        [("cdx:pnpm:git:path".to_owned(), "/sub".to_owned())]
    );
}

#[test]
fn large_lockfile_has_one_component_per_package() {
    let graph = parse(LARGE).unwrap();
    let doc = yaml::parse(LARGE).unwrap();
    let keys = doc.get("packages").and_then(Node::as_map).unwrap().len();
    assert!(keys > 1000, "{keys}");
    assert_eq!(graph.packages.len(), keys + 1);
    assert!(
        graph.warnings.is_empty(),
        "{:?}",
        &graph.warnings[..graph.warnings.len().min(5)]
    );
    for package in &graph.packages[1..] {
        assert!(
            package.purl.is_some() && !package.hashes.is_empty(),
            "{package:?}"
        );
    }
    let purls: BTreeSet<&str> = graph
        .packages
        .iter()
        .filter_map(|p| p.purl.as_deref())
        .collect();
    assert_eq!(purls.len(), keys);
    // A dev dependency, but also a resolved peer of cosmiconfig, which docusaurus needs.
    assert_eq!(
        package(&graph, "pkg:npm/typescript@5.4.5").scope,
        Scope::Required
    );
    assert_eq!(
        package(&graph, "pkg:npm/jest@29.7.0").scope,
        Scope::Excluded
    );
    assert_eq!(
        package(&graph, "pkg:npm/ts-jest@29.1.2").scope,
        Scope::Excluded
    );
    assert_eq!(
        package(&graph, "pkg:npm/next@14.2.3").scope,
        Scope::Required
    );
}

#[test]
fn unsupported_versions_are_refused() {
    for (text, found) in [
        ("lockfileVersion: 5.4\nspecifiers: {}\n", "5.4"),
        ("lockfileVersion: '5.3'\n", "5.3"),
        ("lockfileVersion: '10.0'\n", "10.0"),
        ("lockfileVersion: 'x'\n", "x"),
        ("importers: {}\n", "none"),
    ] {
        match parse(text) {
            Err(LockfileError::UnsupportedVersion {
                found: actual,
                supported,
            }) => {
                assert_eq!(actual, found);
                assert!(supported.contains("6.x") && supported.contains("9.x"));
            }
            other => panic!("{text:?}: {other:?}"),
        }
    }
    assert!(parse("lockfileVersion: '6.1'\n").is_ok());
}

#[test]
fn malformed_lockfiles_are_errors_not_panics() {
    let field = |text: &str| match parse(text) {
        Err(LockfileError::InvalidField { field, package, .. }) => (field, package),
        other => panic!("{text:?}: {other:?}"),
    };
    let v9 = "lockfileVersion: '9.0'\n";
    assert_eq!(
        field(&format!(
            "{v9}packages:\n  a@1.0.0:\n    resolution: {{integrity: sha512-!!}}\n"
        )),
        ("integrity", "a@1.0.0".to_owned())
    );
    assert_eq!(
        field(&format!(
            "{v9}packages:\n  a@1.0.0:\n    resolution: {{integrity: md5-AAAA}}\n"
        ))
        .0,
        "integrity"
    );
    assert_eq!(
        field(&format!("{v9}packages:\n  a@1.0.0: {{}}\n")).0,
        "resolution"
    );
    assert_eq!(field(&format!("{v9}packages: [a]\n")).0, "packages");
    assert_eq!(
        field(&format!(
            "{v9}packages:\n  a@1.0.0:\n    resolution: {{type: variations}}\n"
        ))
        .0,
        "type"
    );
    assert_eq!(
        field(&format!(
            "{v9}packages:\n  a@1.0.0:\n    resolution: {{type: git, repo: x}}\n"
        ))
        .0,
        "commit"
    );
    assert_eq!(
        field(
            "lockfileVersion: '6.0'\npackages:\n  file:x:\n    resolution: {directory: x, type: directory}\n"
        ),
        ("name", "file:x".to_owned())
    );
    assert_eq!(
        field(&format!(
            "{v9}importers:\n  .:\n    dependencies:\n      a: {{specifier: '1'}}\n"
        ))
        .0,
        "dependencies"
    );
    for text in [
        "- a\n",
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {resolution: \n",
        "\"unclosed\n",
    ] {
        assert!(
            matches!(parse(text), Err(LockfileError::Syntax { .. })),
            "{text:?}"
        );
    }
    // Every prefix of a real lockfile parses or fails cleanly.
    for (i, _) in V6_WORKSPACE.char_indices().step_by(7) {
        let _ = parse(&V6_WORKSPACE[..i]);
    }
}

#[test]
fn inconsistencies_are_warnings() {
    let text = "lockfileVersion: '6.0'
dependencies:
  a:
    specifier: 1.0.0
    version: 1.0.0
  gone:
    specifier: 1.0.0
    version: 1.0.0
packages:
  /a@1.0.0:
    resolution: {integrity: sha1-AAAAAAAAAAAAAAAAAAAAAAAAAAA=}
    dev: true
";
    let graph = parse(text).unwrap();
    assert_eq!(package(&graph, "pkg:npm/a@1.0.0").scope, Scope::Required);
    assert_eq!(
        package(&graph, "pkg:npm/a@1.0.0").hashes[0].alg,
        HashAlg::Sha1
    );
    assert_eq!(graph.warnings.len(), 2, "{:?}", graph.warnings);
    assert!(graph.warnings[0].contains("`gone`"), "{:?}", graph.warnings);
    assert!(
        graph.warnings[1].contains("dev-only"),
        "{:?}",
        graph.warnings
    );
}

#[test]
fn members_the_root_does_not_reach_are_roots_too() {
    let text = "lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      tool:
        specifier: link:tools/tool
        version: link:tools/tool
  apps/web:
    dependencies:
      '@ws/lib':
        specifier: workspace:*
        version: link:../../libs/lib
  libs/lib: {}
  tools/tool: {}
";
    let graph = parse(text).unwrap();
    let roots: BTreeSet<String> = graph
        .roots
        .iter()
        .map(|&i| label(&graph.packages[i]))
        .collect();
    assert_eq!(roots, set(&["local:.", "local:apps/web"]));
    assert_eq!(
        dependencies(&graph, "local:apps/web"),
        set(&["local:libs/lib"])
    );
    assert_eq!(package(&graph, "local:libs/lib").name, "lib");
    assert_eq!(
        package(&graph, "local:libs/lib").group.as_deref(),
        Some("@ws")
    );
    assert_eq!(package(&graph, "local:.").name, "root");
    // Importers are projects of their own: required even when only a dev link reaches them.
    assert_eq!(package(&graph, "local:tools/tool").scope, Scope::Required);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// A real lockfile with a span replaced by arbitrary text parses or fails, never panics.
    #[test]
    fn mutated_lockfiles_never_panic(
        start in 0..V9_WORKSPACE.len(),
        length in 0..40usize,
        insert in "[ a-z0-9:'\"{}\\[\\],#@()/\\-\n]{0,20}",
    ) {
        let text = V9_WORKSPACE;
        let start = (0..=start).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (start + length).min(text.len());
        let end = (end..=text.len()).find(|&i| text.is_char_boundary(i)).unwrap_or(text.len());
        let mutated = format!("{}{insert}{}", &text[..start], &text[end..]);
        let _ = parse(&mutated);
    }
}
