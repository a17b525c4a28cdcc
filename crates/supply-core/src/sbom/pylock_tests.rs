use super::*;

fn fixture(case: &str, file: &str) -> String {
    let path = format!(
        "{}/../../testdata/lockfiles/pylock/{case}/{file}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap()
}

fn find<'a>(graph: &'a DepGraph, name: &str) -> (usize, &'a Package) {
    let mut found = graph
        .packages
        .iter()
        .enumerate()
        .filter(|(_, p)| p.name == name);
    let first = found.next().unwrap_or_else(|| panic!("no package {name}"));
    assert!(found.next().is_none(), "several packages named {name}");
    first
}

fn purl<'a>(graph: &'a DepGraph, name: &str) -> Option<&'a str> {
    find(graph, name).1.purl.as_deref()
}

fn has_edge(graph: &DepGraph, from: &str, to: &str) -> bool {
    graph
        .edges
        .contains(&(find(graph, from).0, find(graph, to).0))
}

fn direct(graph: &DepGraph) -> Vec<&str> {
    let root = graph.roots[0];
    graph
        .edges
        .iter()
        .filter(|(from, _)| *from == root)
        .map(|&(_, to)| graph.packages[to].name.as_str())
        .collect()
}

/// Each artifact's hashes (read from the raw TOML, independently of the parser) sit on exactly one
/// reference of the entry at the same position, at the artifact's own url or path.
fn assert_every_hash_on_its_artifact(case: &str, file: &str) -> DepGraph {
    let text = fixture(case, file);
    let graph = parse(&text).unwrap();
    let doc: toml::Table = toml::from_str(&text).unwrap();
    let entries = doc["packages"].as_array().unwrap();
    let mut artifacts = 0;
    for (i, entry) in entries.iter().enumerate() {
        let package = &graph.packages[i];
        assert_eq!(
            package.name,
            normalize_pypi_name(entry["name"].as_str().unwrap())
        );
        let mut listed: Vec<(&toml::Value, ReferenceKind)> = Vec::new();
        if let Some(sdist) = entry.get("sdist") {
            listed.push((sdist, ReferenceKind::SourceDistribution));
        }
        for wheel in entry
            .get("wheels")
            .and_then(|w| w.as_array())
            .into_iter()
            .flatten()
        {
            listed.push((wheel, ReferenceKind::Distribution));
        }
        if let Some(archive) = entry.get("archive") {
            listed.push((archive, ReferenceKind::Distribution));
        }
        let hashed: Vec<&ExternalReference> = package
            .external_references
            .iter()
            .filter(|r| !r.hashes.is_empty())
            .collect();
        assert_eq!(hashed.len(), listed.len(), "{case}: {}", package.name);
        for (artifact, kind) in listed {
            artifacts += 1;
            let hex = artifact["hashes"]["sha256"].as_str().unwrap();
            let holders: Vec<&&ExternalReference> = hashed
                .iter()
                .filter(|r| r.hashes.iter().any(|h| h.hex == hex))
                .collect();
            assert_eq!(holders.len(), 1, "{case}: {}", package.name);
            let location = artifact
                .get("url")
                .or_else(|| artifact.get("path"))
                .unwrap();
            assert_eq!(holders[0].url, location.as_str().unwrap());
            if entry.get("archive").is_none() {
                assert_eq!(holders[0].kind, kind);
            }
        }
    }
    assert!(artifacts > 0);
    assert!(graph.packages.iter().all(|p| p.hashes.is_empty()));
    graph
}

#[test]
fn uv_small_export_is_flat_and_required() {
    let graph = assert_every_hash_on_its_artifact("small", "pylock.toml");
    assert_eq!(graph.format_version, "1.0");
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    assert_eq!(
        purl(&graph, "certifi"),
        Some("pkg:pypi/certifi@2026.10.19.post1")
    );
    assert_eq!(
        purl(&graph, "charset-normalizer"),
        Some("pkg:pypi/charset-normalizer@3.5.3")
    );
    let (root, package) = find(&graph, "root");
    assert_eq!(graph.roots, vec![root]);
    assert_eq!(
        (package.purl.as_deref(), package.local.as_deref()),
        (None, Some("."))
    );
    assert!(
        package
            .properties
            .contains(&("supply:pylock:created-by".into(), "uv".into()))
    );
    // uv records no dependencies: the root holds the whole install set.
    assert_eq!(direct(&graph).len(), 15);
    // The default export already contains the default group (dev): its packages are required.
    assert!(graph.packages.iter().all(|p| p.scope == Scope::Required));
    assert!(find(&graph, "tomli").1.properties.contains(&(
        "supply:pylock:marker".into(),
        "python_full_version < '3.11'".into()
    )));
    let all = assert_every_hash_on_its_artifact("small", "pylock.all.toml");
    assert_eq!(all.packages.len(), 21);
    assert_eq!(purl(&all, "tomli-w"), Some("pkg:pypi/tomli-w@1.2.0"));
}

#[test]
fn pdm_multi_use_lock_scopes_from_markers() {
    let graph = assert_every_hash_on_its_artifact("groups", "pylock.toml");
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let scope = |name| find(&graph, name).1.scope;
    for name in [
        "click",
        "requests",
        "urllib3",
        "certifi",
        "idna",
        "charset-normalizer",
    ] {
        assert_eq!(scope(name), Scope::Required, "{name}");
    }
    // `"dev" in dependency_groups or "fancy" in extras`: an extra installs it.
    for name in ["pyyaml", "rich", "markdown-it-py", "mdurl", "pygments"] {
        assert_eq!(scope(name), Scope::Optional, "{name}");
    }
    for name in [
        "pytest",
        "tomli-w",
        "pluggy",
        "colorama",
        "exceptiongroup",
        "tomli",
        "typing-extensions",
    ] {
        assert_eq!(scope(name), Scope::Excluded, "{name}");
    }
    // Edges from PDM's own dependency lists.
    assert!(has_edge(&graph, "requests", "urllib3"));
    assert!(has_edge(&graph, "pytest", "colorama"));
    assert!(has_edge(&graph, "rich", "pygments"));
    assert_eq!(
        direct(&graph),
        ["click", "pytest", "pyyaml", "requests", "rich", "tomli-w"]
    );
    let root = &graph.packages[graph.roots[0]];
    for (key, value) in [
        ("extra", "fancy"),
        ("extra", "yaml"),
        ("dependency-group", "docs"),
        ("default-group", "default"),
        ("environment", "python_version >= \"3.10\""),
        ("created-by", "pdm"),
    ] {
        assert!(
            root.properties
                .contains(&(format!("supply:pylock:{key}"), value.into())),
            "{key}"
        );
    }
}

#[test]
fn uv_sources_vcs_archive_and_custom_index() {
    let graph = assert_every_hash_on_its_artifact("sources", "pylock.toml");
    assert_eq!(
        purl(&graph, "pygitdep"),
        Some(
            "pkg:pypi/pygitdep@0.4.2?vcs_url=git%2Bfile:%2F%2F%2Ftmp%2Fpygitdep%4047e90316a7adf81586bbf4847ca1dfac988e2f06"
        )
    );
    let git = find(&graph, "pygitdep").1;
    assert_eq!(git.external_references[0].kind, ReferenceKind::Vcs);
    assert_eq!(
        git.external_references[0].url,
        "file:///tmp/pygitdep#47e90316a7adf81586bbf4847ca1dfac988e2f06"
    );

    let localwheel = find(&graph, "localwheel").1;
    assert_eq!(localwheel.purl, None);
    assert_eq!(
        localwheel.local.as_deref(),
        Some("wheels/localwheel-0.1.0-py3-none-any.whl")
    );
    assert_eq!(
        localwheel.external_references[0].kind,
        ReferenceKind::Distribution
    );

    let six_url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl";
    let expected = Purl::new("pypi", "six")
        .version(Some("1.17.0"))
        .qualifier("download_url", six_url);
    assert_eq!(purl(&graph, "six"), Some(expected.to_string().as_str()));
    assert_eq!(
        purl(&graph, "tomli-w"),
        Some("pkg:pypi/tomli-w@1.2.0?repository_url=http:%2F%2F127.0.0.1:8765%2Fsimple%2F")
    );
    assert_eq!(purl(&graph, "idna"), Some("pkg:pypi/idna@3.20"));
}

#[test]
fn uv_workspace_root_is_the_project_directory() {
    let graph = parse(&fixture("workspace", "pylock.toml")).unwrap();
    let (root, package) = find(&graph, "ws-root");
    assert_eq!(graph.roots, vec![root]);
    assert_eq!(
        (package.purl.as_deref(), package.local.as_deref()),
        (None, Some("."))
    );
    assert!(graph.packages.iter().all(|p| p.name != "pylock.toml"));
    let core = find(&graph, "ws-core").1;
    assert_eq!(
        (core.purl.as_deref(), core.local.as_deref()),
        (None, Some("packages/core"))
    );
    assert!(
        core.properties
            .contains(&("supply:pylock:editable".into(), "true".into()))
    );
    assert_eq!(
        find(&graph, "localpkg").1.local.as_deref(),
        Some("extern/localpkg")
    );
    let numpy: Vec<&str> = graph
        .packages
        .iter()
        .filter(|p| p.name == "numpy")
        .filter_map(|p| p.purl.as_deref())
        .collect();
    assert_eq!(
        numpy,
        [
            "pkg:pypi/numpy@2.0.2",
            "pkg:pypi/numpy@2.2.6",
            "pkg:pypi/numpy@2.4.6",
            "pkg:pypi/numpy@2.5.5"
        ]
    );
    assert_eq!(direct(&graph).len(), graph.packages.len() - 1);
    let all = assert_every_hash_on_its_artifact("workspace", "pylock.all.toml");
    assert_eq!(
        find(&all, "ws-cli").1.local.as_deref(),
        Some("packages/cli")
    );
}

#[test]
fn pip_lock_reads_as_pypi() {
    let graph = assert_every_hash_on_its_artifact("pip", "pylock.toml");
    assert_eq!(graph.packages.len(), 6);
    assert_eq!(purl(&graph, "requests"), Some("pkg:pypi/requests@2.34.2"));
    assert!(
        find(&graph, "root")
            .1
            .properties
            .contains(&("supply:pylock:created-by".into(), "pip".into()))
    );
}

#[test]
fn large_export() {
    let graph = assert_every_hash_on_its_artifact("large", "pylock.toml");
    assert_eq!(graph.packages.len(), 435);
    assert!(graph.warnings.is_empty());
}

#[test]
fn pep_751_dependencies_make_edges_and_must_resolve() {
    let lock = r#"
lock-version = "1.0"
created-by = "hand"
default-groups = ["main"]

[[packages]]
name = "App"
directory = { path = "." }
dependencies = [{ name = "lib" }]

[[packages]]
name = "lib"
version = "1.0"
marker = "'x' in extras and python_version >= '3.9'"
dependencies = [{ name = "app" }, { name = "tool", version = "2.0" }]

[[packages]]
name = "tool"
version = "1.0"
marker = "'lint' in dependency_groups"

[[packages]]
name = "tool"
version = "2.0"
marker = "'main' in dependency_groups"
"#;
    let graph = parse(lock).unwrap();
    let (app, _) = find(&graph, "app");
    let (lib, _) = find(&graph, "lib");
    assert_eq!(graph.roots, vec![app]);
    let tool = |version: &str| {
        graph
            .packages
            .iter()
            .position(|p| p.name == "tool" && p.version.as_deref() == Some(version))
            .unwrap()
    };
    assert!(graph.edges.contains(&(lib, tool("2.0"))));
    assert!(!graph.edges.contains(&(lib, tool("1.0"))));
    assert!(graph.edges.contains(&(lib, app)));
    // Nothing depends on tool 1.0; the root still reaches it, and only it.
    assert_eq!(direct(&graph), ["lib", "tool"]);
    assert_eq!(graph.packages[lib].scope, Scope::Optional);
    assert_eq!(graph.packages[tool("1.0")].scope, Scope::Excluded);
    assert_eq!(graph.packages[tool("2.0")].scope, Scope::Required);

    let dangling =
        "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\ndependencies = [{ name = \"b\" }]\n";
    assert!(matches!(
        parse(dangling),
        Err(LockfileError::DanglingDependency { .. })
    ));
}

#[test]
fn refuses_unknown_versions_and_malformed_input() {
    let unsupported =
        |text: &str| matches!(parse(text), Err(LockfileError::UnsupportedVersion { .. }));
    assert!(unsupported("lock-version = \"2.0\"\n"));
    assert!(unsupported("lock-version = \"one\"\n"));
    assert!(unsupported("lock-version = 2\npackages = 3\n"));
    assert!(unsupported(
        "lock-version = \"2.0\"\npackages = \"another shape\"\n"
    ));
    let newer = parse("lock-version = \"1.1\"\n").unwrap();
    assert_eq!(newer.warnings.len(), 1);

    let field = |package: &str| match parse(&format!(
        "lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nversion = \"1\"\n{package}\n"
    )) {
        Err(LockfileError::InvalidField { field, .. }) => field,
        other => panic!("{:?}", other.map(|g| g.packages.len())),
    };
    assert_eq!(
        field("vcs = { type = \"git\", url = \"https://example.org/a.git\" }"),
        "vcs.commit-id"
    );
    assert_eq!(
        field("directory = { path = \"a\" }\narchive = { url = \"https://x/a.whl\", hashes = {} }"),
        "source"
    );
    assert_eq!(
        field("sdist = { url = \"https://x/a.tar.gz\", hashes = { sha256 = \"abc\" } }"),
        "hashes"
    );
    assert_eq!(field("archive = { hashes = {} }"), "archive");
    assert!(matches!(
        parse("lock-version = \"1.0\"\n[[packages]]\n"),
        Err(LockfileError::Syntax { line: 2, .. })
    ));
    // Unknown algorithms are skipped, not refused.
    let sha3 = parse("lock-version = \"1.0\"\n[[packages]]\nname = \"a\"\nsdist = { url = \"https://x/a-1.tar.gz\", hashes = { sha3_256 = \"00\" } }\n").unwrap();
    assert!(sha3.packages[0].external_references[0].hashes.is_empty());
}

#[test]
fn no_panic_on_truncated_input() {
    let text = fixture("groups", "pylock.toml");
    for end in (0..text.len())
        .step_by(text.len() / 400)
        .filter(|&i| text.is_char_boundary(i))
    {
        let _ = parse(&text[..end]);
    }
}

#[test]
fn requirement_names_and_specifiers() {
    assert_eq!(split_requirement("pluggy<2,>=1.6"), ("pluggy", "<2,>=1.6"));
    assert_eq!(
        split_requirement("tomli>=2; python_version < \"3.11\""),
        ("tomli", ">=2")
    );
    assert_eq!(
        split_requirement("kombu[redis] (>=5.0)"),
        ("kombu", ">=5.0")
    );
    assert_eq!(split_requirement("six @ https://x/six.whl"), ("six", ""));
    assert_eq!(split_requirement("zope.interface"), ("zope.interface", ""));
}

#[test]
fn sboms_are_schema_valid() {
    for (case, file) in [
        ("small", "pylock.toml"),
        ("groups", "pylock.toml"),
        ("sources", "pylock.toml"),
        ("workspace", "pylock.all.toml"),
        ("pip", "pylock.toml"),
    ] {
        let graph = parse(&fixture(case, file)).unwrap();
        let bom = crate::sbom::Builder::new(crate::sbom::BuildOptions::default())
            .add(file, graph)
            .build("project");
        let findings = crate::sbom::validate(bom.to_json().as_bytes()).unwrap();
        assert!(findings.is_empty(), "{case}: {findings:?}");
    }
}

#[test]
fn registry_file_without_location_is_named_by_its_purl() {
    let lock = r#"
lock-version = "1.0"
[[packages]]
name = "A_B"
version = "1.0"
index = "https://mirror.example/simple"
sdist = { name = "a_b-1.0.tar.gz", hashes = { sha256 = "1111111111111111111111111111111111111111111111111111111111111111", md5 = "22222222222222222222222222222222" } }
"#;
    let graph = parse(lock).unwrap();
    let reference = &graph.packages[0].external_references[0];
    assert_eq!(
        reference.url,
        "pkg:pypi/a-b@1.0?file_name=a_b-1.0.tar.gz&repository_url=https:%2F%2Fmirror.example%2Fsimple"
    );
    let algs: Vec<HashAlg> = reference.hashes.iter().map(|h| h.alg).collect();
    assert_eq!(algs, [HashAlg::Md5, HashAlg::Sha256]);
    assert_eq!(
        graph.packages[0].purl.as_deref(),
        Some("pkg:pypi/a-b@1.0?repository_url=https:%2F%2Fmirror.example%2Fsimple")
    );
}

#[test]
fn real_lockfiles_take_the_fast_toml_reader() {
    crate::sbom::toml_fast::assert_fixtures_take_fast_path(
        "pylock",
        &[
            "groups/pylock.toml",
            "large/pylock.toml",
            "pip/pylock.toml",
            "small/pylock.toml",
            "sources/pylock.toml",
            "workspace/pylock.toml",
        ],
        |text| crate::sbom::toml_fast::from_str::<RawLock<'_>>(text).is_some(),
    );
}
