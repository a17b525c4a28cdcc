use super::*;
use crate::sbom::HashAlg;

fn fixture(case: &str) -> String {
    let path = format!(
        "{}/../../testdata/lockfiles/poetry/{case}/poetry.lock",
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

fn scope_of(graph: &DepGraph, name: &str) -> Scope {
    find(graph, name).1.scope
}

fn has_edge(graph: &DepGraph, from: &str, to: &str) -> bool {
    graph
        .edges
        .contains(&(find(graph, from).0, find(graph, to).0))
}

/// Every `files` entry (2.x) or `[metadata.files]` entry (1.x) of the raw TOML, as
/// (package name, version, file, sha256 hex), read independently of the parser.
fn raw_files(text: &str) -> Vec<(String, String, String, String)> {
    let doc: toml::Table = toml::from_str(text).unwrap();
    let metadata_files = doc["metadata"].get("files").and_then(|f| f.as_table());
    let mut out = Vec::new();
    for package in doc["package"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap();
        let version = package["version"].as_str().unwrap();
        let files = package
            .get("files")
            .or_else(|| metadata_files?.get(name))
            .and_then(|f| f.as_array())
            .cloned()
            .unwrap_or_default();
        for file in files {
            let hash = file["hash"].as_str().unwrap();
            let hex = hash.strip_prefix("sha256:").unwrap();
            out.push((
                normalize_pypi_name(name),
                version.to_owned(),
                file["file"].as_str().unwrap().to_owned(),
                hex.to_owned(),
            ));
        }
    }
    out
}

/// Each file's hash sits on exactly one reference of its own package, which names that file.
fn assert_every_hash_on_its_file(case: &str) -> DepGraph {
    let text = fixture(case);
    let graph = parse(&text).unwrap();
    let files = raw_files(&text);
    assert!(!files.is_empty());
    let mut by_hash: std::collections::HashMap<String, Vec<(&Package, &ExternalReference)>> =
        std::collections::HashMap::new();
    for package in &graph.packages {
        for reference in &package.external_references {
            for hash in &reference.hashes {
                by_hash
                    .entry(hash.hex.to_string())
                    .or_default()
                    .push((package, reference));
            }
        }
    }
    for (name, version, file, hex) in &files {
        let holders = by_hash.get(hex.as_str()).cloned().unwrap_or_default();
        assert_eq!(holders.len(), 1, "{case}: {file} held by {}", holders.len());
        let (package, reference) = holders[0];
        assert_eq!(
            (&package.name, package.version.as_deref()),
            (name, Some(version.as_str()))
        );
        assert_eq!(reference.hashes.len(), 1);
        assert_eq!(reference.hashes[0].alg, HashAlg::Sha256);
        let encoded = Purl::new("pypi", "x")
            .qualifier("file_name", file.as_str())
            .to_string();
        let (_, encoded_file) = encoded.split_once('=').unwrap();
        assert!(
            reference.url.ends_with(file.as_str()) || reference.url.contains(encoded_file),
            "{case}: {} does not name {file}",
            reference.url
        );
        let expected = if file.ends_with(".whl") {
            ReferenceKind::Distribution
        } else {
            ReferenceKind::SourceDistribution
        };
        assert_eq!(reference.kind, expected, "{file}");
    }
    assert!(graph.packages.iter().all(|p| p.hashes.is_empty()));
    graph
}

#[test]
fn v2_small_purls_hashes_and_edges() {
    let graph = assert_every_hash_on_its_file("v2-small");
    assert_eq!(graph.format_version, "2.1");
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    assert_eq!(purl(&graph, "requests"), Some("pkg:pypi/requests@2.32.5"));
    assert_eq!(
        purl(&graph, "typing-extensions"),
        Some("pkg:pypi/typing-extensions@4.16.0")
    );
    let certifi = find(&graph, "certifi").1;
    assert_eq!(certifi.external_references.len(), 1);
    assert_eq!(
        certifi.external_references[0].url,
        "pkg:pypi/certifi@2026.10.19.post1?file_name=certifi-2026.10.19.post1-py3-none-any.whl"
    );
    assert_eq!(
        certifi.external_references[0].hashes[0].hex,
        "1324c476b4811eff41a8bc2122cd0bbd4d9c7234c725446d99ab1612b3a7fdd2"
    );
    // A wheel and an sdist: one reference each, never merged.
    assert_eq!(find(&graph, "pytest").1.external_references.len(), 2);
    assert!(has_edge(&graph, "requests", "urllib3"));
    assert!(has_edge(&graph, "rich", "markdown-it-py"));
    assert!(has_edge(&graph, "pytest", "pygments"));
}

#[test]
fn v2_small_scopes_from_groups_markers_and_optional() {
    let graph = parse(&fixture("v2-small")).unwrap();
    for required in ["requests", "click", "urllib3", "certifi", "idna"] {
        assert_eq!(scope_of(&graph, required), Scope::Required, "{required}");
    }
    // Main marker `platform_system == "Windows"`: unknown offline, so still required.
    assert_eq!(scope_of(&graph, "colorama"), Scope::Required);
    for optional in ["pyyaml", "rich", "markdown-it-py", "mdurl"] {
        assert_eq!(scope_of(&graph, optional), Scope::Optional, "{optional}");
    }
    // `groups = ["main", "dev"]`, `optional = false`, main marker `extra == "fancy"`.
    assert_eq!(scope_of(&graph, "pygments"), Scope::Optional);
    for dev in [
        "pytest",
        "pluggy",
        "iniconfig",
        "exceptiongroup",
        "tomli",
        "packaging",
    ] {
        assert_eq!(scope_of(&graph, dev), Scope::Excluded, "{dev}");
    }
    assert!(find(&graph, "pygments").1.properties.contains(&(
        "supply:poetry:marker:main".into(),
        "extra == \"fancy\"".into()
    )));
}

#[test]
fn root_is_the_manifest_and_reaches_everything() {
    let graph = parse(&fixture("v2-small")).unwrap();
    let (root, package) = find(&graph, "root");
    assert_eq!(graph.roots, vec![root]);
    assert_eq!(
        (package.purl.as_deref(), package.local.as_deref()),
        (None, Some("."))
    );
    assert!(
        package
            .properties
            .contains(&("supply:poetry:extra".into(), "fancy".into()))
    );
    let direct: Vec<&str> = graph
        .edges
        .iter()
        .filter(|(from, _)| *from == root)
        .map(|&(_, to)| graph.packages[to].name.as_str())
        .collect();
    // Nothing depends on these; idna and pygments have dependents, so they are not direct.
    assert_eq!(direct, ["click", "pytest", "pyyaml", "requests", "rich"]);
}

#[test]
fn v2_sources_local_git_url_and_legacy() {
    let graph = parse(&fixture("v2-sources")).unwrap();
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    assert_eq!(
        purl(&graph, "gitpkg"),
        Some(
            "pkg:pypi/gitpkg@1.2.0?vcs_url=git%2Bfile:%2F%2FNone%2Ftmp%2Fpygitdep-poetry%409380c5282e33f6d1cac7841e1608ace57031219e"
        )
    );
    let gitpkg = find(&graph, "gitpkg").1;
    assert_eq!(gitpkg.external_references[0].kind, ReferenceKind::Vcs);
    assert!(
        gitpkg
            .properties
            .contains(&("supply:poetry:requested-revision".into(), "main".into()))
    );

    let localpkg = find(&graph, "localpkg").1;
    assert_eq!(
        (localpkg.purl.as_deref(), localpkg.local.as_deref()),
        (None, Some("extern/localpkg"))
    );
    assert!(
        localpkg
            .properties
            .contains(&("supply:poetry:develop".into(), "true".into()))
    );
    assert!(has_edge(&graph, "localpkg", "idna"));

    let iniconfig = find(&graph, "iniconfig").1;
    assert_eq!(iniconfig.purl, None);
    assert_eq!(
        iniconfig.local.as_deref(),
        Some("dist/iniconfig-2.0.0-py3-none-any.whl")
    );
    assert_eq!(
        iniconfig.external_references[0].url,
        "dist/iniconfig-2.0.0-py3-none-any.whl"
    );

    let six_url = "https://files.pythonhosted.org/packages/b7/ce/149a00dd41f10bc29e5921b496af8b574d8413afcd5e30dfa0ed46c2cc5e/six-1.17.0-py2.py3-none-any.whl";
    let six = find(&graph, "six").1;
    assert_eq!(
        six.purl.as_deref(),
        Some(
            Purl::new("pypi", "six")
                .version(Some("1.17.0"))
                .qualifier("download_url", six_url)
                .to_string()
                .as_str()
        )
    );
    assert_eq!(six.external_references[0].url, six_url);
    assert_eq!(
        six.external_references[0].hashes[0].hex,
        "4721f391ed90541fddacab5acf947aa0d3dc7d27b2e1e8eda2be8970586c3274"
    );

    // An explicit source at PyPI's own simple index is PyPI: no qualifier.
    assert_eq!(purl(&graph, "packaging"), Some("pkg:pypi/packaging@25.0"));
    assert!(
        find(&graph, "packaging")
            .1
            .properties
            .contains(&("supply:poetry:source-name".into(), "pypi-mirror".into()))
    );
    assert_eq!(
        purl(&graph, "tomli-w"),
        Some("pkg:pypi/tomli-w@1.2.0?repository_url=http:%2F%2F127.0.0.1:8765%2Fsimple")
    );
    assert_eq!(
        find(&graph, "tomli-w").1.external_references[0].url,
        "pkg:pypi/tomli-w@1.2.0?file_name=tomli_w-1.2.0-py3-none-any.whl&repository_url=http:%2F%2F127.0.0.1:8765%2Fsimple"
    );
    assert_eq!(scope_of(&graph, "tomli-w"), Scope::Excluded);
    assert_every_hash_on_its_file("v2-sources");
}

#[test]
fn v2_0_has_no_groups_and_says_so() {
    let graph = assert_every_hash_on_its_file("v2.0");
    assert_eq!(graph.format_version, "2.0");
    assert_eq!(graph.warnings.len(), 1);
    assert!(graph.warnings[0].contains("does not record dependency groups"));
    assert_eq!(scope_of(&graph, "pyyaml"), Scope::Optional);
    assert_eq!(scope_of(&graph, "pytest"), Scope::Required);
    assert_eq!(purl(&graph, "requests"), Some("pkg:pypi/requests@2.32.5"));
}

#[test]
fn v1_1_reads_category_and_metadata_files() {
    let graph = assert_every_hash_on_its_file("v1.1");
    assert_eq!(graph.format_version, "1.1");
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    assert_eq!(scope_of(&graph, "requests"), Scope::Required);
    assert_eq!(scope_of(&graph, "pyyaml"), Scope::Optional);
    assert_eq!(scope_of(&graph, "pytest"), Scope::Excluded);
    assert_eq!(scope_of(&graph, "colorama"), Scope::Excluded);
    assert_eq!(
        purl(&graph, "charset-normalizer"),
        Some("pkg:pypi/charset-normalizer@3.5.3")
    );
    // `charset_normalizer = ">=2,<4"` in requests' table, spelled unnormalised.
    assert!(has_edge(&graph, "requests", "charset-normalizer"));
}

/// 1.x keeps one file list per name; with two locked versions each file goes to its own.
#[test]
fn v1_1_shared_file_lists_are_split_by_version() {
    let lock = r#"
[[package]]
name = "numpy"
version = "1.24.4"
category = "main"
optional = false

[[package]]
name = "numpy"
version = "1.26.4"
category = "main"
optional = false

[metadata]
lock-version = "1.1"
content-hash = "x"

[metadata.files]
numpy = [
    {file = "numpy-1.24.4-cp38-cp38-win32.whl", hash = "sha256:1111111111111111111111111111111111111111111111111111111111111111"},
    {file = "numpy-1.26.4.tar.gz", hash = "sha256:2222222222222222222222222222222222222222222222222222222222222222"},
    {file = "numpy-9.9.tar.gz", hash = "sha256:3333333333333333333333333333333333333333333333333333333333333333"},
]
"#;
    let graph = parse(lock).unwrap();
    let hexes = |version: &str| -> Vec<String> {
        let package = graph
            .packages
            .iter()
            .find(|p| p.version.as_deref() == Some(version))
            .unwrap();
        package
            .external_references
            .iter()
            .map(|r| r.hashes[0].hex.text()[..4].to_owned())
            .collect()
    };
    assert_eq!(hexes("1.24.4"), ["1111"]);
    assert_eq!(hexes("1.26.4"), ["2222"]);
    assert_eq!(graph.warnings.len(), 1, "{:?}", graph.warnings);
    assert!(graph.warnings[0].contains("numpy-9.9.tar.gz"));
}

#[test]
fn large_lock_is_consistent() {
    let graph = assert_every_hash_on_its_file("large");
    assert_eq!(graph.packages.len(), 462);
    // Every dependency found a locked version its constraint allows.
    assert!(graph.warnings.is_empty(), "{:?}", graph.warnings);
    let root = graph.roots[0];
    let mut reached = vec![false; graph.packages.len()];
    let mut stack = vec![root];
    while let Some(i) = stack.pop() {
        if !std::mem::replace(&mut reached[i], true) {
            stack.extend(graph.edges.iter().filter(|e| e.0 == i).map(|e| e.1));
        }
    }
    assert!(reached.iter().all(|&r| r));
    // Forked versions keep their own purls and each edge goes only where its constraint allows.
    let numpy: Vec<&Package> = graph
        .packages
        .iter()
        .filter(|p| p.name == "numpy")
        .collect();
    assert!(numpy.len() >= 2);
    assert!(numpy.iter().all(|p| p.purl.as_deref()
        == Some(&*format!(
            "pkg:pypi/numpy@{}",
            p.version.as_deref().unwrap()
        ))));
}

#[test]
fn refuses_unknown_versions_and_malformed_input() {
    let unsupported =
        |text: &str| matches!(parse(text), Err(LockfileError::UnsupportedVersion { .. }));
    assert!(unsupported("[metadata]\nlock-version = \"3.0\"\n"));
    assert!(unsupported("[[package]]\nname = \"a\"\nversion = \"1\"\n"));
    // The declared version is reported even when the rest has another shape.
    assert!(unsupported(
        "package = 5\n[metadata]\nlock-version = \"3.0\"\n"
    ));
    assert!(
        matches!(parse("[metadata]\nlock-version = \"2.9\"\n"), Ok(g) if g.warnings.len() == 1)
    );

    let with = |package: &str| {
        format!(
            "[[package]]\nname = \"a\"\nversion = \"1.0\"\n{package}\n[metadata]\nlock-version = \"2.1\"\n"
        )
    };
    let field = |text: &str| match parse(text) {
        Err(LockfileError::InvalidField { field, .. }) => field,
        other => panic!("{:?}", other.map(|g| g.packages.len())),
    };
    assert_eq!(
        field(&with(
            "files = [{file = \"a-1.0.tar.gz\", hash = \"sha256:zz\"}]"
        )),
        "files.hash"
    );
    assert_eq!(
        field(&with(
            "files = [{file = \"a-1.0.tar.gz\", hash = \"nocolon\"}]"
        )),
        "files.hash"
    );
    assert_eq!(
        field(&with(
            "[package.source]\ntype = \"git\"\nurl = \"https://example.org/a.git\"\nreference = \"main\""
        )),
        "source.resolved_reference"
    );
    assert_eq!(
        field(&with("[package.source]\ntype = \"svn\"\nurl = \"x\"")),
        "source.type"
    );
    assert_eq!(
        field(&with("[package.source]\ntype = \"legacy\"")),
        "source.url"
    );
    assert!(matches!(
        parse("[[package]]\nname = \"a\"\n[metadata]\nlock-version = \"2.1\"\nbroken"),
        Err(LockfileError::Syntax { line: 5, .. })
    ));
    let dangling = with("groups = [\"main\"]\n[package.dependencies]\nb = \">=1\"");
    assert!(parse(&dangling).unwrap().warnings[0].contains("does not define"));
}

#[test]
fn no_panic_on_truncated_input() {
    let text = fixture("v2-sources");
    for end in (0..text.len())
        .step_by(text.len() / 400)
        .filter(|&i| text.is_char_boundary(i))
    {
        let _ = parse(&text[..end]);
    }
}

#[test]
fn sboms_are_schema_valid_and_keep_file_references() {
    for case in ["v2-small", "v2-sources", "v2.0", "v1.1"] {
        let graph = parse(&fixture(case)).unwrap();
        let bom = crate::sbom::Builder::new(crate::sbom::BuildOptions::default())
            .add("poetry.lock", graph)
            .build("project");
        let json = bom.to_json();
        let findings = crate::sbom::validate(json.as_bytes()).unwrap();
        assert!(findings.is_empty(), "{case}: {findings:?}");
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(doc["metadata"]["component"]["bom-ref"], "poetry.lock#.");
        if case == "v2-small" {
            let certifi = doc["components"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == "certifi")
                .unwrap();
            assert_eq!(
                certifi["externalReferences"][0]["url"],
                "pkg:pypi/certifi@2026.10.19.post1?file_name=certifi-2026.10.19.post1-py3-none-any.whl"
            );
        }
    }
}

#[test]
fn real_lockfiles_take_the_fast_toml_reader() {
    crate::sbom::toml_fast::assert_fixtures_take_fast_path(
        "poetry",
        &[
            "large/poetry.lock",
            "v1.1/poetry.lock",
            "v2-small/poetry.lock",
            "v2-sources/poetry.lock",
            "v2.0/poetry.lock",
        ],
        |text| crate::sbom::toml_fast::from_str::<RawLock<'_>>(text).is_some(),
    );
}
