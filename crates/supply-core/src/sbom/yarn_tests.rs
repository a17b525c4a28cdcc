use super::*;
use crate::purl::percent_decode;
use crate::sbom::graph::{Hash, HashAlg};
use crate::sbom::{self, BuildOptions, Builder, LockfileError, ReferenceKind};

const V1_SMALL: &str = include_str!("../../../../testdata/lockfiles/yarn/v1-small/yarn.lock");
const V1_WORKSPACE: &str =
    include_str!("../../../../testdata/lockfiles/yarn/v1-workspace/yarn.lock");
const BERRY: &str = include_str!("../../../../testdata/lockfiles/yarn/berry-workspace/yarn.lock");
const LARGE: &str = include_str!("../../../../testdata/lockfiles/yarn/large/yarn.lock");

const GITDEP_COMMIT: &str = "f6e003860890af4aea5fe0bc39f47e54591ea5a8";

fn find<'a>(graph: &'a DepGraph, purl: &str) -> (usize, &'a Package) {
    graph
        .packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.purl.as_deref() == Some(purl))
        .unwrap_or_else(|| panic!("no package {purl}"))
}

fn local<'a>(graph: &'a DepGraph, id: &str) -> (usize, &'a Package) {
    graph
        .packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.local.as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no local package {id}"))
}

fn property<'a>(package: &'a Package, name: &str) -> Vec<&'a str> {
    package
        .properties
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn depends(graph: &DepGraph, from: usize, to: usize) -> bool {
    graph.edges.contains(&(from, to))
}

fn purls(graph: &DepGraph) -> Vec<&str> {
    let mut purls: Vec<&str> = graph
        .packages
        .iter()
        .filter_map(|p| p.purl.as_deref())
        .collect();
    purls.sort_unstable();
    purls
}

fn syntax_line(result: Result<DepGraph, LockfileError>) -> (usize, String) {
    match result {
        Err(LockfileError::Syntax { line, message, .. }) => (line, message),
        other => panic!("expected a syntax error, got {other:?}"),
    }
}

#[test]
fn v1_ranges_of_one_package_share_one_entry_and_root_gets_manifest_deps() {
    let graph = parse(V1_SMALL).unwrap();
    assert_eq!(graph.format_version, "1");
    assert_eq!(
        purls(&graph),
        [
            "pkg:npm/%40types/debug@4.1.13",
            "pkg:npm/%40types/ms@2.1.0",
            "pkg:npm/debug@4.4.3",
            "pkg:npm/ms@2.1.3",
        ]
    );
    let (ms, _) = find(&graph, "pkg:npm/ms@2.1.3");
    let (debug, _) = find(&graph, "pkg:npm/debug@4.4.3");
    let (types_debug, scoped) = find(&graph, "pkg:npm/%40types/debug@4.1.13");
    let (types_ms, _) = find(&graph, "pkg:npm/%40types/ms@2.1.0");
    assert_eq!(scoped.group.as_deref(), Some("@types"));
    assert_eq!(scoped.name, "debug");
    // `ms@^2.1.1` (the manifest's) and `ms@^2.1.3` (debug's) are one package.
    let plain_ms = |p: &&Package| p.name == "ms" && p.group.is_none();
    assert_eq!(graph.packages.iter().filter(plain_ms).count(), 1);
    assert!(depends(&graph, debug, ms));
    assert!(depends(&graph, types_debug, types_ms));
    let (root, root_package) = local(&graph, ".");
    assert_eq!(graph.roots, [root]);
    assert_eq!(
        property(root_package, "supply:yarn:synthetic-root"),
        ["true"]
    );
    // The manifest asked for debug, ms and @types/debug; nobody but @types/debug asks @types/ms.
    for direct in [debug, ms, types_debug] {
        assert!(depends(&graph, root, direct), "{direct}");
    }
    assert!(!depends(&graph, root, types_ms));
    // The dev dependency cannot be told apart: v1 does not record it.
    assert!(graph.packages.iter().all(|p| p.scope == Scope::Required));
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
}

#[test]
fn v1_integrity_is_the_component_hash_and_the_url_loses_its_fragment() {
    let graph = parse(V1_SMALL).unwrap();
    let (_, ms) = find(&graph, "pkg:npm/ms@2.1.3");
    // sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==
    let sha512 = "e85973b9b4cb646dc9d9afcd542025784863ceae68c601f268253dc985ef70bb\
                  2fa1568726afece715c8ebf5d73fab73ed1f7100eb479d23bfb57b45dd645394";
    assert_eq!(
        ms.hashes,
        [Hash::from_hex(HashAlg::Sha512, sha512).unwrap()]
    );
    assert_eq!(ms.external_references.len(), 1);
    let reference = &ms.external_references[0];
    assert_eq!(reference.kind, ReferenceKind::Distribution);
    assert_eq!(
        reference.url,
        "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz"
    );
    assert_eq!(reference.hashes, ms.hashes);
}

#[test]
fn v1_workspace_alias_local_git_and_optional() {
    let graph = parse(V1_WORKSPACE).unwrap();
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let (_, lodash) = find(&graph, "pkg:npm/lodash@4.17.21");
    assert_eq!(property(lodash, "supply:yarn:alias"), ["lodash-alias"]);
    let (localdep_index, localdep) = local(&graph, "vendor/localdep");
    assert_eq!(localdep.purl, None);
    let (is_number, _) = find(&graph, "pkg:npm/is-number@7.0.0");
    assert!(depends(&graph, localdep_index, is_number));
    // The fragment of a git URL is the commit, not a SHA-1 of anything.
    let git_purl =
        format!("pkg:npm/gitdep@0.3.0?vcs_url=git:%2F%2F127.0.0.1:9418%2Fgitdep%40{GITDEP_COMMIT}");
    let (_, gitdep) = find(&graph, &git_purl);
    assert!(gitdep.hashes.is_empty());
    assert_eq!(gitdep.external_references[0].kind, ReferenceKind::Vcs);
    assert_eq!(
        gitdep.external_references[0].url,
        format!("git://127.0.0.1:9418/gitdep#{GITDEP_COMMIT}")
    );
    // chokidar asks for fsevents in `optionalDependencies`, but the lib's manifest asks for it
    // too (`fsevents@^2.3.3`, which no entry requests), and v1 does not say how: required.
    let (chokidar, _) = find(&graph, "pkg:npm/chokidar@3.6.0");
    let (fsevents, fsevents_package) = find(&graph, "pkg:npm/fsevents@2.3.3");
    let (root, _) = local(&graph, ".");
    assert!(depends(&graph, chokidar, fsevents) && depends(&graph, root, fsevents));
    assert_eq!(fsevents_package.scope, Scope::Required);
    assert_eq!(graph.packages[chokidar].scope, Scope::Required);
}

#[test]
fn v1_url_sha1_is_used_without_integrity_and_credentials_are_stripped() {
    let text = r#"# yarn lockfile v1

foo@^1.0.0:
  version "1.0.0"
  resolved "https://user:token@npm.example.com/foo/-/foo-1.0.0.tgz#0123456789abcdef0123456789abcdef01234567"
  optionalDependencies:
    bar "1.0.0"

bar@1.0.0:
  version "1.0.0"
  resolved "https://cdn.example.com/bar.tgz"
"#;
    let graph = parse(text).unwrap();
    let (_, foo) = find(
        &graph,
        "pkg:npm/foo@1.0.0?repository_url=https:%2F%2Fnpm.example.com",
    );
    assert_eq!(
        foo.hashes,
        [Hash::from_hex(HashAlg::Sha1, "0123456789abcdef0123456789abcdef01234567").unwrap()]
    );
    assert_eq!(
        foo.external_references[0].url,
        "https://npm.example.com/foo/-/foo-1.0.0.tgz"
    );
    let (_, bar) = find(
        &graph,
        "pkg:npm/bar@1.0.0?download_url=https:%2F%2Fcdn.example.com%2Fbar.tgz",
    );
    assert!(bar.hashes.is_empty());
    assert_eq!(bar.scope, Scope::Optional);
}

#[test]
fn v1_cycles_are_still_reached_from_the_root() {
    let text = "# yarn lockfile v1\n\na@1:\n  version \"1.0.0\"\n  dependencies:\n    b \"1\"\n\nb@1:\n  version \"1.0.0\"\n  dependencies:\n    a \"1\"\n";
    let graph = parse(text).unwrap();
    let (root, _) = local(&graph, ".");
    let (a, _) = find(&graph, "pkg:npm/a@1.0.0");
    assert!(depends(&graph, root, a));
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
}

#[test]
fn v1_malformed_input_is_refused_with_its_line() {
    let cases = [
        ("a@1:\n  version \"1\"\n", 1, "not a yarn lockfile"),
        ("# yarn lockfile v1\na@1:\n\tversion \"1\"\n", 3, "tabs"),
        (
            "# yarn lockfile v1\na@1:\n   version \"1\"\n",
            3,
            "multiple of two",
        ),
        (
            "# yarn lockfile v1\na@1:\n  version \"1\n",
            3,
            "unterminated",
        ),
        (
            "# yarn lockfile v1\na@1:\n  version \"1\"\n  version \"2\"\n",
            4,
            "duplicate key",
        ),
        (
            "# yarn lockfile v1\na@1\n  version \"1\"\n",
            2,
            "expected a package entry",
        ),
        (
            "# yarn lockfile v1\na@1:\n      version \"1\"\n",
            3,
            "unexpected indentation",
        ),
        (
            "# yarn lockfile v1\na@1:\n  version \"1\"\na@1:\n  version \"1\"\n",
            4,
            "two entries",
        ),
        (
            "# yarn lockfile v1\nnoversion:\n  version \"1\"\n",
            2,
            "name@range",
        ),
        ("# yarn lockfile v1\na@1:\n  version \"\\x\"\n", 3, "escape"),
    ];
    for (text, line, message) in cases {
        let (found_line, found) = syntax_line(parse(text));
        assert_eq!(found_line, line, "{text:?}: {found}");
        assert!(found.contains(message), "{text:?}: {found}");
    }
    let err = parse("# yarn lockfile v1\na@1:\n  resolved \"x\"\n").unwrap_err();
    assert!(
        matches!(&err, LockfileError::InvalidField { package, field: "version", .. } if package == "a@1"),
        "{err:?}"
    );
    let err =
        parse("# yarn lockfile v1\na@1:\n  version \"1\"\n  integrity md5-AAAA\n").unwrap_err();
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                field: "integrity",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        parse("# yarn lockfile v2\n"),
        Err(LockfileError::UnsupportedVersion { .. })
    ));
}

#[test]
fn truncated_lockfiles_never_panic() {
    for text in [V1_WORKSPACE, BERRY] {
        for (end, _) in text.char_indices().step_by(7) {
            let _ = parse(&text[..end]);
        }
    }
    for text in [
        "",
        "\u{feff}",
        "# yarn lockfile v1\n\"ü@",
        "__metadata:\n  version: ü\n",
        "__metadata:\n",
    ] {
        let _ = parse(text);
    }
}

#[test]
fn berry_workspaces_root_and_edges() {
    let graph = parse(BERRY).unwrap();
    assert_eq!(graph.format_version, "10");
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let (root, root_package) = local(&graph, ".");
    assert_eq!(graph.roots, [root]);
    assert_eq!(root_package.name, "berry-root");
    assert_eq!(root_package.version, None);
    let (a, a_package) = local(&graph, "packages/a");
    let (b, _) = local(&graph, "packages/b");
    assert_eq!(a_package.group.as_deref(), Some("@demo"));
    assert_eq!(a_package.name, "a");
    assert_eq!(a_package.purl, None);
    assert!(depends(&graph, root, a) && depends(&graph, root, b));
    // `@demo/b: workspace:^` resolves through the descriptor `@demo/b@workspace:^`.
    assert!(depends(&graph, a, b));
    let (typescript, _) = find(&graph, "pkg:npm/typescript@5.9.3");
    assert!(depends(&graph, root, typescript));
    // The alias: `lodash-alias@npm:lodash@4.17.21` is lodash.
    let (lodash, lodash_package) = find(&graph, "pkg:npm/lodash@4.17.21");
    assert!(depends(&graph, b, lodash));
    assert_eq!(
        property(lodash_package, "supply:yarn:alias"),
        ["lodash-alias"]
    );
    // Portal: a local package named by its path from the project root.
    let (portal, portal_package) = local(&graph, "vendor/localdep");
    assert!(depends(&graph, a, portal));
    assert_eq!(portal_package.version, None);
    assert_eq!(property(portal_package, "supply:yarn:protocol"), ["portal"]);
    let (is_odd, _) = find(&graph, "pkg:npm/is-odd@3.0.1");
    assert!(depends(&graph, portal, is_odd));
}

#[test]
fn berry_checksum_is_a_property_never_a_hash() {
    let graph = parse(BERRY).unwrap();
    assert!(graph.packages.iter().all(|p| p.hashes.is_empty()));
    let ms = graph
        .packages
        .iter()
        .find(|p| {
            p.purl.as_deref() == Some("pkg:npm/ms@2.1.3")
                && p.properties.iter().all(|(k, _)| k != "supply:yarn:patch")
        })
        .unwrap();
    assert_eq!(
        property(ms, "supply:yarn:checksum"),
        [
            "10c0/d924b57e7312b3b63ad21fc5b3dc0af5e78d61a1fc7cfb5457edaf26326bf62be5307cc87ffb6862ef1c2b33b0233cdb5d4f01c4c958cc0d660948b65a287a48"
        ]
    );
    assert!(ms.external_references.is_empty());
}

#[test]
fn berry_patches_keep_the_underlying_purl_and_share_its_scope() {
    let graph = parse(BERRY).unwrap();
    let patched = |name: &str| {
        graph
            .packages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.name == name)
            .map(|(i, p)| (i, property(p, "supply:yarn:patch"), p))
            .collect::<Vec<_>>()
    };
    let typescript = patched("typescript");
    assert_eq!(typescript.len(), 2);
    let builtin = typescript
        .iter()
        .find(|(_, patch, _)| !patch.is_empty())
        .unwrap();
    assert_eq!(builtin.1, ["optional!builtin<compat/typescript>"]);
    assert_eq!(builtin.2.purl.as_deref(), Some("pkg:npm/typescript@5.9.3"));
    assert_eq!(builtin.2.scope, Scope::Required);
    // The user patch from `resolutions`: b names it; debug's `ms@npm:^2.1.3` has no entry of
    // its own any more and goes to the one ms locked.
    let ms = patched("ms");
    let (user, user_patch, _) = ms.iter().find(|(_, patch, _)| !patch.is_empty()).unwrap();
    assert_eq!(
        *user_patch,
        ["~/.yarn/patches/ms-npm-2.1.3-81ff3cfac1.patch"]
    );
    let (b, _) = local(&graph, "packages/b");
    let (debug, _) = find(&graph, "pkg:npm/debug@4.4.3");
    assert!(depends(&graph, b, *user) && depends(&graph, debug, *user));
    // fsevents is optional in b's dependenciesMeta, and so are its builtin patch and node-gyp.
    for (_, _, package) in patched("fsevents") {
        assert_eq!(package.scope, Scope::Optional);
        assert_eq!(property(package, "supply:yarn:conditions"), ["os=darwin"]);
    }
    let (_, node_gyp) = find(&graph, "pkg:npm/node-gyp@13.1.0");
    assert_eq!(node_gyp.scope, Scope::Optional);
    let (_, react) = find(&graph, "pkg:npm/react@18.3.1");
    assert_eq!(react.scope, Scope::Required);
}

#[test]
fn berry_git_resolutions_give_vcs_urls() {
    let graph = parse(BERRY).unwrap();
    let (_, gitdep) = find(
        &graph,
        &format!(
            "pkg:npm/gitdep@0.3.0?vcs_url=git:%2F%2F127.0.0.1:9418%2Fgitdep%40{GITDEP_COMMIT}"
        ),
    );
    assert_eq!(
        gitdep.external_references[0].url,
        format!("git://127.0.0.1:9418/gitdep#{GITDEP_COMMIT}")
    );
    // GitHub as Yarn 4 writes it (no fixture: GitHub is out of reach here), with a token.
    let text = r#"__metadata:
  version: 8
  cacheKey: 10c0

"app@workspace:.":
  version: 0.0.0-use.local
  resolution: "app@workspace:."
  dependencies:
    left-pad: "https://github.com/o/left-pad.git#main"
    tarball: "https://example.com/t/tarball-1.0.0.tgz"
  languageName: unknown
  linkType: soft

"left-pad@https://github.com/o/left-pad.git#main":
  version: 1.3.0
  resolution: "left-pad@https://tok@github.com/o/left-pad.git#commit=0123456789abcdef0123456789abcdef01234567"
  checksum: 10c0/00
  languageName: node
  linkType: hard

"tarball@https://example.com/t/tarball-1.0.0.tgz":
  version: 1.0.0
  resolution: "tarball@https://example.com/t/tarball-1.0.0.tgz"
  languageName: node
  linkType: hard
"#;
    let graph = parse(text).unwrap();
    let (_, left_pad) = find(
        &graph,
        "pkg:npm/left-pad@1.3.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Fleft-pad.git%400123456789abcdef0123456789abcdef01234567",
    );
    assert_eq!(
        left_pad.external_references[0].url,
        "https://github.com/o/left-pad.git#0123456789abcdef0123456789abcdef01234567"
    );
    let (tarball, _) = find(
        &graph,
        "pkg:npm/tarball@1.0.0?download_url=https:%2F%2Fexample.com%2Ft%2Ftarball-1.0.0.tgz",
    );
    let (root, _) = local(&graph, ".");
    assert!(depends(&graph, root, tarball));
}

#[test]
fn berry_malformed_input_is_refused() {
    let head = "__metadata:\n  version: 10\n  cacheKey: 10c0\n\n";
    let invalid = |body: &str| parse(&format!("{head}{body}")).unwrap_err();
    let err = invalid("\"a@npm:1\":\n  version: 1.0.0\n");
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                field: "resolution",
                ..
            }
        ),
        "{err:?}"
    );
    let err = invalid("\"a@npm:1\":\n  resolution: \"a-without-reference\"\n");
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                field: "resolution",
                ..
            }
        ),
        "{err:?}"
    );
    let err = invalid("\"a@npm:1\": text\n");
    assert!(
        matches!(err, LockfileError::InvalidField { field: "entry", .. }),
        "{err:?}"
    );
    let err = invalid("\"noat\":\n  resolution: \"a@npm:1.0.0\"\n");
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                field: "descriptor",
                ..
            }
        ),
        "{err:?}"
    );
    let err = invalid(
        "\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n\"a@npm:1, a@npm:2\":\n  resolution: \"a@npm:2.0.0\"\n",
    );
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                reason: "listed by two entries",
                ..
            }
        ),
        "{err:?}"
    );
    let err = invalid("\"a@npm:1\":\n  resolution: \"a@patch:a@npm%3A1.0.0\"\n");
    assert!(
        matches!(
            err,
            LockfileError::InvalidField {
                field: "resolution",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(matches!(
        parse("__metadata:\n  version: 99\n"),
        Err(LockfileError::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        parse("__metadata:\n  cacheKey: 10c0\n"),
        Err(LockfileError::InvalidField {
            field: "version",
            ..
        })
    ));
    assert!(matches!(
        parse("__metadata:\n  version: 10\n  x: &anchor 1\n"),
        Err(LockfileError::Syntax { .. })
    ));
}

#[test]
fn berry_dangling_dependency_is_a_warning() {
    let text = "__metadata:\n  version: 10\n\n\"app@workspace:.\":\n  resolution: \"app@workspace:.\"\n  dependencies:\n    gone: \"npm:^1.0.0\"\n";
    let graph = parse(text).unwrap();
    assert_eq!(graph.warnings.len(), 1, "{:?}", graph.warnings);
    assert!(graph.warnings[0].contains("gone@npm:^1.0.0"));
}

#[test]
fn large_lockfile_is_read_whole() {
    let graph = parse(LARGE).unwrap();
    assert!(graph.packages.len() > 1000, "{}", graph.packages.len());
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    assert!(
        graph
            .packages
            .iter()
            .all(|p| p.purl.is_some() || p.local.as_deref() == Some("."))
    );
}

#[test]
fn every_fixture_gives_a_valid_sbom() {
    for (name, text) in [
        ("v1-small", V1_SMALL),
        ("v1-workspace", V1_WORKSPACE),
        ("berry-workspace", BERRY),
        ("large", LARGE),
    ] {
        let graph = sbom::parse_lockfile(sbom::Ecosystem::Yarn, text).unwrap();
        let bom = Builder::new(BuildOptions::default())
            .add("yarn.lock", graph)
            .build(name);
        let findings = sbom::validate(bom.to_json().as_bytes()).unwrap();
        assert!(findings.is_empty(), "{name}: {findings:?}");
    }
}

#[test]
fn descriptor_and_alias_helpers() {
    assert_eq!(
        split_descriptor("@types/node@^20"),
        Some(("@types/node", "^20"))
    );
    assert_eq!(split_descriptor("a@npm:b@1"), Some(("a", "npm:b@1")));
    assert_eq!(split_descriptor("@"), None);
    assert_eq!(split_descriptor("ü@1"), Some(("ü", "1")));
    assert_eq!(alias_name("npm:lodash@4.17.21"), Some("lodash"));
    assert_eq!(alias_name("npm:@types/node@20.1.0"), Some("@types/node"));
    assert_eq!(alias_name("npm:^4.0.0"), None);
    assert_eq!(alias_name("npm:latest"), None);
    assert_eq!(percent_decode("%40demo%2Fa"), Some("@demo/a".into()));
    assert_eq!(percent_decode("%4"), None);
    assert_eq!(percent_decode("%ff"), None);
}

#[test]
fn crlf_and_bom_are_accepted() {
    for text in [V1_SMALL, BERRY] {
        let expected = purls(&parse(text).unwrap()).len();
        let windows = format!("\u{feff}{}", text.replace('\n', "\r\n"));
        let graph = parse(&windows).unwrap();
        assert_eq!(purls(&graph).len(), expected);
        assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    }
}
