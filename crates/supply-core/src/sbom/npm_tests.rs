use super::*;
use crate::sbom::graph::HashAlg;

const V3: &str = r#"{
  "name": "root-app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": {
      "name": "root-app",
      "version": "1.0.0",
      "license": "MIT",
      "workspaces": ["packages/*"],
      "dependencies": { "a": "^1.0.0", "my-lodash": "npm:lodash@4.17.21" },
      "devDependencies": { "@types/node": "^20.0.0" },
      "optionalDependencies": { "fsevents": "^2.0.0" }
    },
    "node_modules/a": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
      "integrity": "sha512-7f6e61Nll7OGhIOhTG2QCGHgbzJbsCzq5EOq6jvT6mT0w1mbk9lwFo4n5o8Yu2CO/Iv6BgJ8IwEgo+kBjqEryw==",
      "license": { "type": "ISC" },
      "dependencies": { "b": "^2.0.0" }
    },
    "node_modules/a/node_modules/b": {
      "version": "2.0.0",
      "resolved": "https://npm.example.com/repo/b/-/b-2.0.0.tgz",
      "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="
    },
    "node_modules/b": {
      "version": "1.0.0",
      "resolved": "https://registry.npmjs.org/b/-/b-1.0.0.tgz"
    },
    "node_modules/my-lodash": {
      "name": "lodash",
      "version": "4.17.21",
      "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.21.tgz"
    },
    "node_modules/@types/node": {
      "version": "20.1.0",
      "resolved": "https://registry.npmjs.org/@types/node/-/node-20.1.0.tgz",
      "dev": true,
      "dependencies": { "undici-types": "~5.0.0" }
    },
    "node_modules/undici-types": { "version": "5.0.0", "dev": true },
    "node_modules/fsevents": { "version": "2.3.3", "optional": true },
    "node_modules/ws-one": { "resolved": "packages/one", "link": true },
    "packages/one": {
      "name": "ws-one",
      "version": "0.1.0",
      "dependencies": { "b": "^1.0.0", "gitdep": "github:o/r" }
    },
    "node_modules/gitdep": {
      "version": "3.0.0",
      "resolved": "git+ssh://git@github.com/o/r.git#0123456789abcdef0123456789abcdef01234567"
    }
  }
}"#;

fn by_path<'a>(graph: &'a DepGraph, path: &str) -> (usize, &'a Package) {
    graph
        .packages
        .iter()
        .enumerate()
        .find(|(_, p)| {
            p.local.as_deref() == Some(path)
                || p.properties
                    .iter()
                    .any(|(k, v)| k == "cdx:npm:package:path" && v == path)
        })
        .unwrap()
}

#[test]
fn node_resolution_picks_the_nearest_copy() {
    let graph = parse(V3).unwrap();
    let (a, _) = by_path(&graph, "node_modules/a");
    let (nested_b, _) = by_path(&graph, "node_modules/a/node_modules/b");
    let (top_b, _) = by_path(&graph, "node_modules/b");
    let (one, _) = by_path(&graph, "packages/one");
    assert!(graph.edges.contains(&(a, nested_b)));
    assert!(!graph.edges.contains(&(a, top_b)));
    assert!(graph.edges.contains(&(one, top_b)));
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
}

#[test]
fn resolution_never_looks_in_a_node_modules_folder_s_own_node_modules() {
    // Node's lookup paths skip a directory named `node_modules` (`Module._nodeModulePaths`):
    // from `node_modules/a/node_modules/b` it looks in `…/b/node_modules`,
    // `node_modules/a/node_modules` and `node_modules`, never in
    // `node_modules/a/node_modules/node_modules`.
    let text = r#"{
      "lockfileVersion": 3,
      "packages": {
        "": { "name": "r", "version": "1.0.0", "dependencies": { "a": "1" } },
        "node_modules/a": { "version": "1.0.0", "dependencies": { "b": "1" } },
        "node_modules/a/node_modules/b": { "version": "1.0.0", "dependencies": { "x": "1" } },
        "node_modules/a/node_modules/node_modules/x": { "version": "9.0.0" },
        "node_modules/node_modules/x": { "version": "8.0.0" },
        "node_modules/x": { "version": "1.0.0" }
      }
    }"#;
    let graph = parse(text).unwrap();
    let (b, _) = by_path(&graph, "node_modules/a/node_modules/b");
    let (x, _) = by_path(&graph, "node_modules/x");
    let targets: Vec<usize> = graph
        .edges
        .iter()
        .filter(|(from, _)| *from == b)
        .map(|&(_, to)| to)
        .collect();
    assert_eq!(targets, [x]);
}

#[test]
fn root_depends_on_workspaces_and_dev_dependencies() {
    let graph = parse(V3).unwrap();
    let (root, root_pkg) = by_path(&graph, ".");
    let (one, one_pkg) = by_path(&graph, "packages/one");
    let (types, _) = by_path(&graph, "node_modules/@types/node");
    assert_eq!(graph.roots, vec![root]);
    assert_eq!(root_pkg.license.as_deref(), Some("MIT"));
    assert!(graph.edges.contains(&(root, one)));
    assert!(graph.edges.contains(&(root, types)));
    assert_eq!(one_pkg.name, "ws-one");
    assert_eq!(one_pkg.purl, None);
}

#[test]
fn purls_hashes_scopes_and_aliases() {
    let graph = parse(V3).unwrap();
    let a = by_path(&graph, "node_modules/a").1;
    assert_eq!(a.purl.as_deref(), Some("pkg:npm/a@1.0.0"));
    assert_eq!(a.license.as_deref(), Some("ISC"));
    assert_eq!(a.hashes[0].alg, HashAlg::Sha512);
    assert_eq!(a.hashes[0].hex.bytes().len(), 64);
    let nested_b = by_path(&graph, "node_modules/a/node_modules/b").1;
    assert_eq!(
        nested_b.purl.as_deref(),
        Some("pkg:npm/b@2.0.0?repository_url=https:%2F%2Fnpm.example.com%2Frepo")
    );
    assert_eq!(
        nested_b.hashes[0].hex,
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    let alias = by_path(&graph, "node_modules/my-lodash").1;
    assert_eq!(alias.purl.as_deref(), Some("pkg:npm/lodash@4.17.21"));
    let types = by_path(&graph, "node_modules/@types/node").1;
    assert_eq!(types.purl.as_deref(), Some("pkg:npm/%40types/node@20.1.0"));
    assert_eq!(types.scope, Scope::Excluded);
    assert_eq!(
        by_path(&graph, "node_modules/fsevents").1.scope,
        Scope::Optional
    );
    let git = by_path(&graph, "node_modules/gitdep").1;
    assert_eq!(
        git.purl.as_deref(),
        Some(
            "pkg:npm/gitdep@3.0.0?vcs_url=git%2Bssh:%2F%2Fgit%40github.com%2Fo%2Fr.git%400123456789abcdef0123456789abcdef01234567"
        )
    );
}

#[test]
fn v1_tree_is_resolved_like_v3() {
    let v1 = r#"{
      "name": "old", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
      "dependencies": {
        "a": { "version": "1.0.0", "resolved": "https://registry.npmjs.org/a/-/a-1.0.0.tgz",
               "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk=", "requires": { "b": "^2.0.0" },
               "dependencies": { "b": { "version": "2.0.0" } } },
        "b": { "version": "1.0.0", "dev": true },
        "alias": { "version": "npm:real@3.0.0" }
      }
    }"#;
    let graph = parse(v1).unwrap();
    assert_eq!(graph.format_version, "1");
    let (root, _) = by_path(&graph, ".");
    let (a, _) = by_path(&graph, "node_modules/a");
    let (nested_b, _) = by_path(&graph, "node_modules/a/node_modules/b");
    let (top_b, top_b_pkg) = by_path(&graph, "node_modules/b");
    assert!(graph.edges.contains(&(a, nested_b)));
    assert!(graph.edges.contains(&(root, a)));
    assert!(graph.edges.contains(&(root, top_b)));
    assert_eq!(top_b_pkg.scope, Scope::Excluded);
    assert_eq!(
        by_path(&graph, "node_modules/alias").1.purl.as_deref(),
        Some("pkg:npm/real@3.0.0")
    );
}

#[test]
fn missing_required_dependency_is_a_warning() {
    let text = r#"{"lockfileVersion": 3, "packages": {"": {"dependencies": {"gone": "1"}}}}"#;
    let graph = parse(text).unwrap();
    assert_eq!(graph.warnings.len(), 1);
    assert!(graph.warnings[0].contains("gone"));
}

#[test]
fn bad_input_is_an_error() {
    let dup = "{\"lockfileVersion\": 3, \"packages\": {\n\"\": {},\n\"\": {}}}";
    let err = parse(dup).unwrap_err();
    assert!(
        matches!(err, LockfileError::Syntax { line: 3, .. }),
        "{err:?}"
    );
    assert!(matches!(
        parse(r#"{"lockfileVersion": 7, "packages": {}}"#),
        Err(LockfileError::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        parse(r#"{"lockfileVersion": "3", "packages": {}}"#),
        Err(LockfileError::UnsupportedVersion { .. })
    ));
    let wrong_type =
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/x\": {\"dev\": \"yes\"}}}";
    assert!(matches!(
        parse(wrong_type),
        Err(LockfileError::Syntax { line: 1, .. })
    ));
    assert!(matches!(
        parse("{\"packages\": "),
        Err(LockfileError::Syntax { .. })
    ));
}

/// Found by the package_lock fuzz target: a root entry that is a link (panicked in the builder,
/// index out of range).
#[test]
fn a_root_that_is_a_link_is_an_error() {
    let text = r#"{"name": "x", "lockfileVersion": 3, "packages": {"": {"version": "2.0.0", "link": true}}}"#;
    assert!(matches!(
        parse(text),
        Err(LockfileError::InvalidField { field: "link", .. })
    ));
}

/// Property that says why a package's `integrity` was left out.
fn invalid_integrity(package: &Package) -> Option<&str> {
    package
        .properties
        .iter()
        .find(|(k, _)| k == "supply:integrity:invalid")
        .map(|(_, v)| v.as_str())
}

/// npm reads such a file and refetches the package; so do we, leaving the hash out.
#[test]
fn malformed_integrity_is_left_out_with_a_warning() {
    let v1 = r#"{"name": "app", "version": "1.0.0", "lockfileVersion": 1,
        "dependencies": {
          "a": {"version": "1.0.0", "integrity": "sha1-notActuallyTheSha="},
          "b": {"version": "2.0.0", "integrity": "sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}}"#;
    let v3 = r#"{"name": "app", "lockfileVersion": 3, "packages": {
          "": {"name": "app", "dependencies": {"a": "1", "c": "1", "d": "1", "e": "1"}},
          "node_modules/e": {"version": "1.0.0", "integrity": "sha256-AAAA"},
          "node_modules/a": {"version": "1.0.0", "integrity": "sha1-notActuallyTheSha="},
          "node_modules/c": {"version": "1.0.0", "integrity": "md5-AAAA"},
          "node_modules/d": {"version": "1.0.0",
            "integrity": "sha512-%%% sha1-2jmj7l5rSw0yVb/vlWAYkK/YBwk="}}}"#;
    for text in [v1, v3] {
        let graph = parse(text).unwrap();
        let a = by_path(&graph, "node_modules/a").1;
        assert!(a.hashes.is_empty());
        assert_eq!(invalid_integrity(a), Some("sha1 digest is not base64"));
        assert!(
            graph.warnings.iter().any(|w| w.contains("node_modules/a")
                && w.contains("sha1-notActuallyTheSha=")
                && w.contains("left out")),
            "{:?}",
            graph.warnings
        );
    }
    let graph = parse(v1).unwrap();
    let b = by_path(&graph, "node_modules/b").1;
    assert_eq!(b.hashes.len(), 1);
    assert_eq!(invalid_integrity(b), None);
    let graph = parse(v3).unwrap();
    let c = by_path(&graph, "node_modules/c").1;
    assert_eq!(invalid_integrity(c), Some("unsupported algorithm `md5`"));
    // One good token of two: the good one is kept, the bad one reported.
    let d = by_path(&graph, "node_modules/d").1;
    assert_eq!(d.hashes.len(), 1);
    assert_eq!(d.hashes[0].alg, HashAlg::Sha1);
    assert_eq!(invalid_integrity(d), Some("sha512 digest is not base64"));
    let e = by_path(&graph, "node_modules/e").1;
    assert_eq!(
        invalid_integrity(e),
        Some("sha256 digest is 3 bytes, expected 32")
    );
    assert_eq!(graph.warnings.len(), 4, "{:?}", graph.warnings);
}

#[test]
fn root_without_name_or_version_takes_the_lockfile_s() {
    let text = r#"{"name": "top", "version": "3.1.4", "lockfileVersion": 3,
        "packages": {"": {"dependencies": {}}}}"#;
    let graph = parse(text).unwrap();
    let (_, root) = by_path(&graph, ".");
    assert_eq!(root.name, "top");
    assert_eq!(root.version.as_deref(), Some("3.1.4"));
    // The root entry's own fields win.
    let text = r#"{"name": "top", "version": "3.1.4", "lockfileVersion": 2,
        "packages": {"": {"name": "own", "version": "0.0.1"}}}"#;
    let graph = parse(text).unwrap();
    let (_, root) = by_path(&graph, ".");
    assert_eq!(
        (root.name.as_str(), root.version.as_deref()),
        ("own", Some("0.0.1"))
    );
}

#[test]
fn v1_git_shorthands_become_full_vcs_urls() {
    let sha = "0123456789abcdef0123456789abcdef01234567";
    let text = format!(
        r#"{{"name": "app", "version": "1.0.0", "lockfileVersion": 1, "dependencies": {{
          "gh": {{"version": "github:o/r#{sha}", "from": "github:o/r"}},
          "gl": {{"version": "gitlab:group/sub/r#{sha}"}},
          "bb": {{"version": "bitbucket:o/r#{sha}"}},
          "bare": {{"version": "o/r#{sha}"}},
          "semver": {{"version": "1.2.3"}}}}}}"#
    );
    let graph = parse(&text).unwrap();
    let purl = |path: &str| by_path(&graph, path).1.purl.clone().unwrap();
    let encoded = |url: &str| {
        url.replace('/', "%2F")
            .replace('+', "%2B")
            .replace('@', "%40")
    };
    for (path, host, repo) in [
        ("node_modules/gh", "github.com", "o/r"),
        ("node_modules/gl", "gitlab.com", "group/sub/r"),
        ("node_modules/bb", "bitbucket.org", "o/r"),
        ("node_modules/bare", "github.com", "o/r"),
    ] {
        let name = path.trim_start_matches("node_modules/");
        assert_eq!(
            purl(path),
            format!(
                "pkg:npm/{name}?vcs_url={}",
                encoded(&format!("git+https://{host}/{repo}.git@{sha}"))
            ),
            "{path}"
        );
        let package = by_path(&graph, path).1;
        assert_eq!(
            package.external_references[0].url,
            format!("git+https://{host}/{repo}.git#{sha}")
        );
        assert!(package.version.is_none());
    }
    assert_eq!(purl("node_modules/semver"), "pkg:npm/semver@1.2.3");
}

/// Real lockfile (npm 11): a `file:` dependency on a folder that sits inside another folder's
/// `node_modules`. It is a local folder, not the registry package `@n/o`.
#[test]
fn file_link_into_a_node_modules_folder_is_local() {
    let text =
        include_str!("../../../../testdata/lockfiles/npm/link-into-node-modules/package-lock.json");
    let graph = parse(text).unwrap();
    let (target, package) = by_path(&graph, "../m/node_modules/@n/o");
    assert_eq!(package.purl, None);
    assert_eq!(package.local.as_deref(), Some("../m/node_modules/@n/o"));
    assert_eq!(
        (package.group.as_deref(), package.name.as_str()),
        (Some("@n"), "o")
    );
    assert_eq!(package.version.as_deref(), Some("1.0.0"));
    let (root, _) = by_path(&graph, ".");
    assert!(graph.edges.contains(&(root, target)));
}

/// npm names a folder without a `name` field after the folder (and its `@scope` parent).
#[test]
fn folder_names_follow_npm() {
    assert_eq!(name_from_location("node_modules/a"), "a");
    assert_eq!(name_from_location("node_modules/@s/a"), "@s/a");
    assert_eq!(
        name_from_location("node_modules/a/node_modules/@s/b"),
        "@s/b"
    );
    assert_eq!(name_from_location("../m/node_modules/n/o"), "o");
    assert_eq!(name_from_location("packages/one"), "one");
    assert_eq!(name_from_location("@s/a"), "@s/a");
    assert_eq!(name_from_location("ü/@ß/ç"), "@ß/ç");
    assert_eq!(name_from_location(""), "");
}

#[test]
fn registry_is_what_precedes_the_package_s_own_path() {
    let cases = [
        (
            "https://npm.example.com/repo/b/-/b-1.0.0.tgz",
            "b",
            Some("https://npm.example.com/repo"),
        ),
        (
            "https://r.example/@s/p/-/p-1.0.0.tgz",
            "@s/p",
            Some("https://r.example"),
        ),
        // The name must be a whole path segment: `repob` is not `b`.
        ("https://r.example/repob/-/b-1.0.0.tgz", "b", None),
        // A `/-/` earlier in the URL than the package's own.
        (
            "https://r.example/-/mirror/b/-/b-1.0.0.tgz",
            "b",
            Some("https://r.example/-/mirror"),
        ),
        ("https://cdn.example/b-1.0.0.tgz", "b", None),
    ];
    for (url, name, expected) in cases {
        assert_eq!(registry_of(url, name), expected, "{url}");
    }
}

/// Names, versions and paths with JSON escapes are read as their text, like plain ones.
#[test]
fn escaped_strings_are_read_as_their_text() {
    let text = r#"{"lockfileVersion": 3, "packages": {
        "": {"name": "r\u006fot", "version": "1.0.0", "dependencies": {"\u0061": "1"}},
        "node_modules/\u0061": {"version": "1.0.\u0030",
            "resolved": "https:\/\/registry.npmjs.org\/a\/-\/a-1.0.0.tgz"}}}"#;
    let graph = parse(text).unwrap();
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let (_, a) = by_path(&graph, "node_modules/a");
    assert_eq!(a.purl.as_deref(), Some("pkg:npm/a@1.0.0"));
    assert_eq!(
        a.external_references[0].url,
        "https://registry.npmjs.org/a/-/a-1.0.0.tgz"
    );
}
