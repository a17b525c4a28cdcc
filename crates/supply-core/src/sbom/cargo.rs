//! `Cargo.lock` (format v1–v4) → [`DepGraph`].
//!
//! The lockfile carries name, version, source, checksum and resolved edges, nothing else:
//! no dependency kind (dev/build), so every package is `required`; no license. Path packages
//! (workspace members and path dependencies) have no `source` and get no purl, because a bare
//! `pkg:cargo` purl claims crates.io origin and would draw false vulnerability matches.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::de::{toml_error, toml_from_str};
use super::graph::{self, DepGraph, Hash, HashAlg, Package};
use super::{Ecosystem, LockfileError};
use crate::purl::Purl;

const CRATES_IO_INDEX: &str = "registry+https://github.com/rust-lang/crates.io-index";
const CRATES_IO_SPARSE: &str = "sparse+https://index.crates.io/";

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLockfile {
    version: Option<i64>,
    #[serde(default)]
    package: Vec<RawPackage>,
    /// Pre-2019 lockfiles put the root crate here instead of among the packages.
    root: Option<RawPackage>,
    #[serde(default)]
    metadata: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
    replace: Option<String>,
}

/// Parses `Cargo.lock` text.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw: RawLockfile = toml_from_str(text).map_err(|e| toml_error(text, &e))?;
    let format_version = match raw.version {
        None => "1-2".to_owned(),
        Some(v @ (3 | 4)) => v.to_string(),
        Some(v) => {
            return Err(LockfileError::UnsupportedVersion {
                found: v.to_string(),
                supported: "1, 2, 3, 4",
            });
        }
    };
    let mut raw_packages = raw.package;
    raw_packages.extend(raw.root);

    let mut graph = DepGraph::new(Ecosystem::Cargo, format_version);
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, raw_package) in raw_packages.iter().enumerate() {
        by_name.entry(&raw_package.name).or_default().push(index);
        let checksum = raw_package.checksum.as_deref().or_else(|| {
            let key = format!(
                "checksum {} {} ({})",
                raw_package.name,
                raw_package.version,
                raw_package.source.as_deref().unwrap_or_default()
            );
            raw.metadata.get(&key).map(String::as_str)
        });
        graph.packages.push(to_package(raw_package, checksum)?);
    }

    for (from, raw_package) in raw_packages.iter().enumerate() {
        let targets = raw_package.dependencies.iter().chain(&raw_package.replace);
        for dependency in targets {
            let to = resolve(&raw_packages, &by_name, raw_package, dependency)?;
            graph.edges.push((from, to));
        }
    }
    let mut graph = graph.finish();
    graph.roots = graph.local_packages_without_dependents();
    Ok(graph)
}

fn to_package(raw: &RawPackage, checksum: Option<&str>) -> Result<Package, LockfileError> {
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: format!("{} {}", raw.name, raw.version),
        field,
        value: value.to_owned(),
        reason,
    };
    if raw.name.is_empty() {
        return Err(invalid("name", &raw.name, "empty"));
    }
    let mut package = Package {
        name: raw.name.clone(),
        version: Some(raw.version.clone()),
        ..Package::default()
    };
    if let Some(checksum) = checksum.filter(|c| *c != "<none>") {
        let hash = Hash::from_hex(HashAlg::Sha256, checksum)
            .ok_or_else(|| invalid("checksum", checksum, "not a hex SHA-256"))?;
        package.hashes.push(hash);
    }
    let purl = Purl::new("cargo", &raw.name).version(Some(&raw.version));
    match raw.source.as_deref() {
        None => {
            package.local = Some(format!("{}@{}", raw.name, raw.version));
            package
                .properties
                .push(("supply:cargo:source".into(), "path".into()));
        }
        Some(CRATES_IO_INDEX | CRATES_IO_SPARSE) => package.purl = Some(purl.to_string()),
        Some(source) => {
            if let Some(index) = source
                .strip_prefix("registry+")
                .or_else(|| source.strip_prefix("sparse+"))
            {
                package.purl = Some(purl.qualifier("repository_url", index).to_string());
            } else if let Some(git) = source.strip_prefix("git+") {
                let (vcs_url, reference) = graph::git_source(git)
                    .ok_or_else(|| invalid("source", source, "git source without #commit"))?;
                package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
                package.external_references.push(reference);
            } else {
                return Err(invalid("source", source, "unknown source kind"));
            }
            package
                .properties
                .push(("supply:cargo:source".into(), source_kind(source).into()));
        }
    }
    Ok(package)
}

fn source_kind(source: &str) -> &'static str {
    if source.starts_with("git+") {
        "git"
    } else if source.starts_with("sparse+") {
        "sparse-registry"
    } else {
        "registry"
    }
}

/// Resolves a dependency string: `name`, `name version` or `name version (source)`.
fn resolve(
    packages: &[RawPackage],
    by_name: &HashMap<&str, Vec<usize>>,
    from: &RawPackage,
    dependency: &str,
) -> Result<usize, LockfileError> {
    let mut parts = dependency.splitn(3, ' ');
    let name = parts.next().unwrap_or_default();
    let version = parts.next();
    let source = match parts.next() {
        Some(s) => Some(
            s.strip_prefix('(')
                .and_then(|s| s.strip_suffix(')'))
                .ok_or_else(|| LockfileError::InvalidField {
                    package: format!("{} {}", from.name, from.version),
                    field: "dependencies",
                    value: dependency.to_owned(),
                    reason: "source must be in parentheses",
                })?,
        ),
        None => None,
    };
    let without_fragment = |s: &str| s.split_once('#').map_or(s, |(base, _)| base).to_owned();
    let candidates: Vec<usize> = by_name
        .get(name)
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| version.is_none_or(|v| packages[i].version == v))
        .filter(|&i| {
            source.is_none_or(|s| {
                packages[i].source.as_deref().map(without_fragment) == Some(without_fragment(s))
            })
        })
        .collect();
    let from_id = || format!("{} {}", from.name, from.version);
    match candidates.as_slice() {
        [only] => Ok(*only),
        [] => Err(LockfileError::DanglingDependency {
            from: from_id(),
            dependency: dependency.to_owned(),
        }),
        several => {
            // Cargo omits the source only when one candidate is a path package.
            let local: Vec<usize> = several
                .iter()
                .copied()
                .filter(|&i| packages[i].source.is_none())
                .collect();
            match (source, local.as_slice()) {
                (None, [only]) => Ok(*only),
                _ => Err(LockfileError::AmbiguousDependency {
                    from: from_id(),
                    dependency: dependency.to_owned(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = r#"
version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["rand 0.7.3", "rand 0.8.5", "mylib", "gitdep"]

[[package]]
name = "mylib"
version = "0.2.0"
dependencies = ["rand 0.8.5 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "rand"
version = "0.7.3"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "6a6b1679d49b24bbfe0c803429aa1874472f50d9b363131f0e89fc356b544d03"

[[package]]
name = "rand"
version = "0.8.5"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "34af8d1a0e25924bc5b7c43c079c942339d8f0a8b57c39049bef581b46327404"

[[package]]
name = "gitdep"
version = "1.0.0"
source = "git+https://github.com/o/gitdep?branch=main#0123456789abcdef0123456789abcdef01234567"
dependencies = ["private"]

[[package]]
name = "private"
version = "2.0.0"
source = "sparse+https://my.registry.example/index/"
checksum = "34af8d1a0e25924bc5b7c43c079c942339d8f0a8b57c39049bef581b46327404"
"#;

    fn find<'a>(graph: &'a DepGraph, name: &str, version: &str) -> (usize, &'a Package) {
        graph
            .packages
            .iter()
            .enumerate()
            .find(|(_, p)| p.name == name && p.version.as_deref() == Some(version))
            .unwrap()
    }

    #[test]
    fn two_versions_keep_their_own_edges() {
        let graph = parse(V4).unwrap();
        let (app, _) = find(&graph, "app", "0.1.0");
        let (mylib, _) = find(&graph, "mylib", "0.2.0");
        let (rand7, _) = find(&graph, "rand", "0.7.3");
        let (rand8, _) = find(&graph, "rand", "0.8.5");
        assert!(graph.edges.contains(&(app, rand7)));
        assert!(graph.edges.contains(&(app, rand8)));
        assert!(graph.edges.contains(&(mylib, rand8)));
        assert!(!graph.edges.contains(&(mylib, rand7)));
        assert_eq!(graph.roots, vec![app]);
    }

    #[test]
    fn purls_follow_the_source() {
        let graph = parse(V4).unwrap();
        assert_eq!(
            find(&graph, "rand", "0.7.3").1.purl.as_deref(),
            Some("pkg:cargo/rand@0.7.3")
        );
        assert_eq!(find(&graph, "mylib", "0.2.0").1.purl, None);
        assert_eq!(
            find(&graph, "gitdep", "1.0.0").1.purl.as_deref(),
            Some(
                "pkg:cargo/gitdep@1.0.0?vcs_url=git%2Bhttps:%2F%2Fgithub.com%2Fo%2Fgitdep%400123456789abcdef0123456789abcdef01234567"
            )
        );
        assert_eq!(
            find(&graph, "private", "2.0.0").1.purl.as_deref(),
            Some(
                "pkg:cargo/private@2.0.0?repository_url=https:%2F%2Fmy.registry.example%2Findex%2F"
            )
        );
        assert_eq!(
            find(&graph, "rand", "0.8.5").1.hashes[0].alg,
            HashAlg::Sha256
        );
    }

    #[test]
    fn v1_checksums_come_from_metadata() {
        let v1 = r#"
[[package]]
name = "app"
version = "0.1.0"
dependencies = ["itoa 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)"]

[[package]]
name = "itoa"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum itoa 1.0.0 (registry+https://github.com/rust-lang/crates.io-index)" = "34af8d1a0e25924bc5b7c43c079c942339d8f0a8b57c39049bef581b46327404"
"#;
        let graph = parse(v1).unwrap();
        assert_eq!(graph.format_version, "1-2");
        assert_eq!(find(&graph, "itoa", "1.0.0").1.hashes.len(), 1);
        assert_eq!(graph.edges, vec![(0, 1)]);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let dangling = "version = 4\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\ndependencies = [\"nope\"]\n";
        assert!(matches!(
            parse(dangling),
            Err(LockfileError::DanglingDependency { .. })
        ));
        assert!(matches!(
            parse("version = 9\n"),
            Err(LockfileError::UnsupportedVersion { .. })
        ));
        let err = parse("version = 4\n[[package]]\nname = 3\n").unwrap_err();
        assert!(
            matches!(err, LockfileError::Syntax { line: 3, .. }),
            "{err:?}"
        );
        let dup = "version = 4\nversion = 3\n";
        assert!(matches!(
            parse(dup),
            Err(LockfileError::Syntax { line: 2, .. })
        ));
        let bad_sum = "[[package]]\nname = \"a\"\nversion = \"1\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"xyz\"\n";
        assert!(matches!(
            parse(bad_sum),
            Err(LockfileError::InvalidField {
                field: "checksum",
                ..
            })
        ));
    }

    #[test]
    fn real_lockfiles_take_the_fast_toml_reader() {
        let cases = ["git", "large", "small", "v1", "v2", "v3", "workspace"]
            .map(|c| format!("{c}/Cargo.lock"));
        let cases: Vec<&str> = cases.iter().map(String::as_str).collect();
        crate::sbom::toml_fast::assert_fixtures_take_fast_path("cargo", &cases, |text| {
            crate::sbom::toml_fast::from_str::<RawLockfile>(text).is_some()
        });
    }
}
