use super::*;

const WORKSPACE: &str = r#"
version = 1
revision = 3
requires-python = ">=3.9"

[manifest]
members = ["app", "lib-a"]

[[package]]
name = "app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "lib-a" },
    { name = "numpy", version = "1.26.4", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version < '3.10'" },
    { name = "numpy", version = "2.2.0", source = { registry = "https://pypi.org/simple" }, marker = "python_full_version >= '3.10'" },
]

[package.optional-dependencies]
socks = [{ name = "requests", extra = ["socks"] }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "lib-a"
version = "0.2.0"
source = { editable = "packages/lib-a" }
dependencies = [{ name = "idna" }]

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/idna-3.10.tar.gz", hash = "sha256:12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9", size = 1 }
wheels = [{ url = "https://files.example/idna-3.10-py3-none-any.whl", hash = "sha256:946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3", size = 1 }]

[[package]]
name = "numpy"
version = "1.26.4"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version < '3.10'"]

[[package]]
name = "numpy"
version = "2.2.0"
source = { registry = "https://pypi.org/simple" }
resolution-markers = ["python_full_version >= '3.10'"]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
socks = [{ name = "pysocks" }]

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://my.index.example/simple" }

[[package]]
name = "pytest"
version = "8.3.4"
source = { git = "https://github.com/pytest-dev/pytest?rev=8.3.4#abcdef0123456789abcdef0123456789abcdef01" }
dependencies = [{ name = "idna" }]
"#;

fn package<'a>(graph: &'a DepGraph, name: &str, version: &str) -> (usize, &'a Package) {
    graph
        .packages
        .iter()
        .enumerate()
        .find(|(_, p)| p.name == name && p.version.as_deref() == Some(version))
        .unwrap()
}

#[test]
fn scopes_come_from_reachability() {
    let graph = parse(WORKSPACE).unwrap();
    assert_eq!(graph.format_version, "1 (revision 3)");
    assert_eq!(package(&graph, "idna", "3.10").1.scope, Scope::Required);
    assert_eq!(
        package(&graph, "requests", "2.32.3").1.scope,
        Scope::Optional
    );
    // Reached only through the `socks` extra that an optional edge activates.
    assert_eq!(package(&graph, "pysocks", "1.7.1").1.scope, Scope::Optional);
    assert_eq!(package(&graph, "pytest", "8.3.4").1.scope, Scope::Excluded);
}

#[test]
fn members_are_roots_without_purls() {
    let graph = parse(WORKSPACE).unwrap();
    let (app, app_pkg) = package(&graph, "app", "0.1.0");
    let (lib, lib_pkg) = package(&graph, "lib-a", "0.2.0");
    // lib-a is a member, but the project at `.` depends on it, so it is not a root of its own.
    assert_eq!(graph.roots, vec![app]);
    assert!(graph.edges.contains(&(app, lib)));
    assert_eq!(lib_pkg.scope, Scope::Required);
    assert_eq!(app_pkg.purl, None);
    assert_eq!(lib_pkg.local.as_deref(), Some("packages/lib-a"));
}

#[test]
fn forked_versions_stay_distinct() {
    let graph = parse(WORKSPACE).unwrap();
    let (app, _) = package(&graph, "app", "0.1.0");
    let (old, old_pkg) = package(&graph, "numpy", "1.26.4");
    let (new, _) = package(&graph, "numpy", "2.2.0");
    assert!(graph.edges.contains(&(app, old)));
    assert!(graph.edges.contains(&(app, new)));
    assert!(old_pkg.properties.contains(&(
        "supply:uv:marker".into(),
        "python_full_version < '3.10'".into()
    )));
}

#[test]
fn purls_and_artifact_hashes() {
    let graph = parse(WORKSPACE).unwrap();
    assert_eq!(
        package(&graph, "pysocks", "1.7.1").1.purl.as_deref(),
        Some("pkg:pypi/pysocks@1.7.1?repository_url=https:%2F%2Fmy.index.example%2Fsimple")
    );
    assert_eq!(
        package(&graph, "pytest", "8.3.4").1.purl.as_deref(),
        Some(
            "pkg:pypi/pytest@8.3.4?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fpytest-dev%2Fpytest%40abcdef0123456789abcdef0123456789abcdef01"
        )
    );
    let idna = package(&graph, "idna", "3.10").1;
    assert_eq!(idna.external_references.len(), 2);
    assert!(idna.hashes.is_empty());
    assert_eq!(
        idna.external_references[0].kind,
        ReferenceKind::SourceDistribution
    );
    assert_eq!(idna.external_references[0].hashes[0].alg, HashAlg::Sha256);
}

#[test]
fn bad_input_is_an_error() {
    assert!(matches!(
        parse("version = 2\n"),
        Err(LockfileError::UnsupportedVersion { .. })
    ));
    let dangling = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"b\" }]\n";
    assert!(matches!(
        parse(dangling),
        Err(LockfileError::DanglingDependency { .. })
    ));
    let two_sources = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { editable = \".\", registry = \"x\" }\n";
    assert!(matches!(
        parse(two_sources),
        Err(LockfileError::InvalidField {
            field: "source",
            ..
        })
    ));
    let bad_hash = "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"https://pypi.org/simple\" }\nsdist = { url = \"u\", hash = \"sha256:zz\" }\n";
    assert!(matches!(
        parse(bad_hash),
        Err(LockfileError::InvalidField { field: "hash", .. })
    ));
    assert!(matches!(
        parse("version = 1\n[[package]]\n"),
        Err(LockfileError::Syntax { line: 2, .. })
    ));
}

/// A lockfile over the two-thread threshold whose middle byte is `shift` bytes into `text`
/// (a comment between package tables).
fn large_lock_with_text_in_the_middle(text: &str, shift: usize) -> String {
    let package = |i: usize| {
        format!(
            "\n[[package]]\nname = \"p{i}\"\nversion = \"1.0.{i}\"\nsource = {{ registry = \"https://pypi.org/simple\" }}\n"
        )
    };
    let mut lock = String::from(
        "version = 1\nrevision = 3\n\n[[package]]\nname = \"root\"\nversion = \"0.1.0\"\nsource = { virtual = \".\" }\n",
    );
    let mut i = 0;
    while lock.len() < super::PARALLEL_PARSE_BYTES / 2 + 4096 {
        lock.push_str(&package(i));
        i += 1;
    }
    lock.push_str("# ");
    let total = 2 * (lock.len() + shift);
    lock.push_str(text);
    loop {
        let next = package(i);
        if lock.len() + next.len() + 1 > total {
            break;
        }
        lock.push_str(&next);
        i += 1;
    }
    lock.push('#');
    while lock.len() < total {
        lock.push('#');
    }
    lock
}

/// Regression: a middle byte inside a multi-byte character used to panic in the split
/// (`byte index … is not a char boundary`).
#[test]
fn large_lockfile_split_inside_a_character() {
    let text = "é€😀 naïve café ünïcödé 𝄞";
    let mut inside = 0;
    for shift in 0..text.len() {
        let lock = large_lock_with_text_in_the_middle(text, shift);
        assert!(lock.len() >= super::PARALLEL_PARSE_BYTES);
        if lock.is_char_boundary(lock.len() / 2) {
            continue;
        }
        inside += 1;
        let graph = parse(&lock).unwrap();
        let whole = toml::from_str::<toml::Table>(&lock).unwrap();
        assert_eq!(
            graph.packages.len(),
            whole["package"].as_array().unwrap().len()
        );
    }
    assert!(
        inside >= 10,
        "only {inside} shifts put the middle inside a character"
    );
}

#[test]
fn real_lockfiles_take_the_fast_toml_reader() {
    crate::sbom::toml_fast::assert_fixtures_take_fast_path(
        "uv",
        &[
            "git/uv.lock",
            "large/uv.lock",
            "small/uv.lock",
            "virtual/uv.lock",
            "workspace/uv.lock",
        ],
        |text| crate::sbom::toml_fast::from_str::<RawLock<'_>>(text).is_some(),
    );
}
