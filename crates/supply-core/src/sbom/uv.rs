//! `uv.lock` (schema version 1, every revision) → [`DepGraph`].
//!
//! Scope comes from reachability, because dev-ness is a property of edges in uv: a package is
//! `required` when the roots reach it through `dependencies` (and the extras those edges
//! activate), `optional` when only a root's own extras reach it, `excluded` when only
//! dependency groups (`dev-dependencies`) reach it. Hashes are per artifact (one sdist, many
//! wheels), so they go on one external reference each rather than on the component.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use serde::Deserialize;

use super::de::{Text, toml_error};
use super::graph::{
    self, DepGraph, ExternalReference, Hash, HashAlg, Package, ReferenceKind, Scope,
};
use super::{Ecosystem, LockfileError};
use crate::purl::{Purl, normalize_pypi_name};

const PYPI_SIMPLE: &str = "https://pypi.org/simple";

#[derive(Deserialize)]
struct RawLock<'a> {
    version: i64,
    revision: Option<i64>,
    #[serde(default, alias = "distribution", borrow)]
    package: Vec<RawPackage<'a>>,
    #[serde(default, borrow)]
    manifest: RawManifest<'a>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawManifest<'a> {
    #[serde(default, borrow)]
    members: Vec<Text<'a>>,
    /// A virtual workspace root's own dependency groups (it has no package entry to hold them).
    #[serde(default, borrow)]
    dependency_groups: BTreeMap<Text<'a>, Vec<RawRequirement<'a>>>,
}

#[derive(Deserialize)]
struct RawRequirement<'a> {
    #[serde(borrow)]
    name: Text<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    source: RawSource<'a>,
    #[serde(default, borrow)]
    dependencies: Vec<RawDependency<'a>>,
    #[serde(default, borrow)]
    optional_dependencies: BTreeMap<Text<'a>, Vec<RawDependency<'a>>>,
    #[serde(default, alias = "dependency-groups", borrow)]
    dev_dependencies: BTreeMap<Text<'a>, Vec<RawDependency<'a>>>,
    #[serde(borrow)]
    sdist: Option<RawArtifact<'a>>,
    #[serde(default, borrow)]
    wheels: Vec<RawArtifact<'a>>,
    #[serde(default, borrow)]
    resolution_markers: Vec<Text<'a>>,
}

#[derive(Debug, Default, Deserialize, Eq, PartialEq)]
struct RawSource<'a> {
    #[serde(borrow)]
    registry: Option<Text<'a>>,
    #[serde(borrow)]
    git: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    path: Option<Text<'a>>,
    #[serde(borrow)]
    directory: Option<Text<'a>>,
    #[serde(borrow)]
    editable: Option<Text<'a>>,
    #[serde(rename = "virtual", borrow)]
    virtual_: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawDependency<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    source: Option<RawSource<'a>>,
    #[serde(default, borrow)]
    extra: Vec<Text<'a>>,
    #[serde(borrow)]
    marker: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawArtifact<'a> {
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    path: Option<Text<'a>>,
    #[serde(borrow)]
    filename: Option<Text<'a>>,
    #[serde(borrow)]
    hash: Option<Text<'a>>,
}

/// A resolved edge: target index and the extras of the target it activates.
type Edge<'r> = (usize, &'r [Text<'r>]);

struct Resolved<'r> {
    dependencies: Vec<Edge<'r>>,
    extras: BTreeMap<&'r str, Vec<Edge<'r>>>,
    groups: Vec<Edge<'r>>,
}

/// Parses `uv.lock` text.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw = parse_raw(text)?;
    if raw.version != 1 {
        return Err(LockfileError::UnsupportedVersion {
            found: raw.version.to_string(),
            supported: "1",
        });
    }
    let format_version = match raw.revision {
        Some(revision) => format!("1 (revision {revision})"),
        None => "1".to_owned(),
    };
    let mut graph = DepGraph::new(Ecosystem::Uv, format_version);
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, raw_package) in raw.package.iter().enumerate() {
        by_name
            .entry(normalize_pypi_name(&raw_package.name))
            .or_default()
            .push(index);
        graph.packages.push(to_package(raw_package)?);
    }

    let mut incoming_markers: Vec<BTreeSet<&str>> = vec![BTreeSet::new(); raw.package.len()];
    let mut resolved = Vec::with_capacity(raw.package.len());
    for (from, raw_package) in raw.package.iter().enumerate() {
        let mut resolve_all = resolver(|deps| {
            deps.iter()
                .map(|dep| {
                    let to = resolve(&raw.package, &by_name, raw_package, dep)?;
                    graph.edges.push((from, to));
                    if let Some(marker) = &dep.marker {
                        incoming_markers[to].insert(&**marker);
                    }
                    Ok((to, dep.extra.as_slice()))
                })
                .collect()
        });
        let dependencies = resolve_all(&raw_package.dependencies)?;
        let mut extras = BTreeMap::new();
        for (extra, deps) in &raw_package.optional_dependencies {
            extras.insert(&**extra, resolve_all(deps)?);
        }
        let mut groups = Vec::new();
        for deps in raw_package.dev_dependencies.values() {
            groups.extend(resolve_all(deps)?);
        }
        resolved.push(Resolved {
            dependencies,
            extras,
            groups,
        });
    }
    for (package, markers) in graph.packages.iter_mut().zip(incoming_markers) {
        for marker in markers {
            package
                .properties
                .push(("supply:uv:marker".into(), marker.to_owned()));
        }
    }

    let members: HashSet<String> = raw
        .manifest
        .members
        .iter()
        .map(|m| normalize_pypi_name(m))
        .collect();
    let mut graph = graph.finish();
    let mut workspace: Vec<usize> = (0..raw.package.len())
        .filter(|&i| {
            let package = &graph.packages[i];
            package.local.is_some()
                && (members.contains(&normalize_pypi_name(&package.name))
                    || is_project_root(&raw.package[i].source))
        })
        .collect();
    if workspace.is_empty() {
        workspace = graph.local_packages_without_dependents();
    }
    for &member in &workspace {
        let properties = &mut graph.packages[member].properties;
        properties.push(("supply:uv:workspace-member".into(), "true".into()));
    }
    // What the virtual root's groups name: every locked version of each (forks included).
    let manifest_groups: Vec<Edge<'_>> = raw
        .manifest
        .dependency_groups
        .values()
        .flatten()
        .flat_map(|r| {
            by_name
                .get(&normalize_pypi_name(&r.name))
                .into_iter()
                .flatten()
        })
        .map(|&i| (i, &[][..]))
        .collect();
    assign_scopes(&mut graph, &resolved, &workspace, manifest_groups);
    // The SBOM's root is the project at `.` when there is one; members it does not reach stand
    // beside it. A virtual workspace has no such project: all members are roots.
    let project = workspace
        .iter()
        .copied()
        .find(|&i| is_project_root(&raw.package[i].source));
    graph.roots = match project {
        Some(project) => {
            let reached = reachable(&graph, project);
            workspace
                .into_iter()
                .filter(|&m| m == project || !reached[m])
                .collect()
        }
        None => workspace,
    };
    Ok(graph)
}

/// Names the lifetimes of `resolve_all` in `parse` (a closure's signature cannot): the edges
/// borrow the extras' names from the raw lockfile.
fn resolver<'r, F>(f: F) -> F
where
    F: FnMut(&'r [RawDependency<'r>]) -> Result<Vec<Edge<'r>>, LockfileError>,
{
    f
}

fn reachable(graph: &DepGraph, from: usize) -> Vec<bool> {
    let mut reached = vec![false; graph.packages.len()];
    let mut stack = vec![from];
    while let Some(package) = stack.pop() {
        if std::mem::replace(&mut reached[package], true) {
            continue;
        }
        let start = graph.edges.partition_point(|&(f, _)| f < package);
        stack.extend(
            graph.edges[start..]
                .iter()
                .take_while(|&&(f, _)| f == package)
                .map(|&(_, t)| t),
        );
    }
    reached
}

fn is_project_root(source: &RawSource<'_>) -> bool {
    [&source.editable, &source.virtual_, &source.directory]
        .into_iter()
        .any(|path| path.as_deref() == Some("."))
}

/// Below this size one thread is faster than two.
const PARALLEL_PARSE_BYTES: usize = 256 * 1024;

/// Parses the TOML: with the fast reader when it takes the text, else with `toml`, splitting
/// a large lockfile in two at a `[[package]]` boundary and parsing the halves on two threads.
/// The split is taken only when the second half holds nothing but `[[package]]` tables and
/// their `[package.…]` sub-tables, so both parses together mean exactly what one parse of the
/// whole would; errors are located in the whole file either way.
fn parse_raw(text: &str) -> Result<RawLock<'_>, LockfileError> {
    if let Some(raw) = super::toml_fast::from_str(text) {
        return Ok(raw);
    }
    let whole = || toml::from_str::<RawLock<'_>>(text).map_err(|e| toml_error(text, &e));
    const BOUNDARY: &str = "\n[[package]]\n";
    if text.len() < PARALLEL_PARSE_BYTES {
        return whole();
    }
    // Search bytes, not `str`: the middle byte may fall inside a multi-byte character. The
    // boundary starts with an ASCII newline, so the split (just after it) is a char boundary.
    let middle = text.len() / 2;
    let Some(split) = text
        .as_bytes()
        .get(middle..)
        .and_then(|rest| {
            rest.windows(BOUNDARY.len())
                .position(|w| w == BOUNDARY.as_bytes())
        })
        .map(|i| middle + i + 1)
    else {
        return whole();
    };
    let Some((head, tail)) = text.split_at_checked(split) else {
        return whole();
    };
    let only_packages = tail
        .lines()
        .filter(|line| line.starts_with('['))
        .all(|line| line == "[[package]]" || line.starts_with("[package."));
    if !only_packages {
        return whole();
    }
    #[derive(Deserialize)]
    struct Packages<'a> {
        #[serde(default, borrow)]
        package: Vec<RawPackage<'a>>,
    }
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(|| toml::from_str::<Packages<'_>>(tail));
        (toml::from_str::<RawLock<'_>>(head), second.join())
    });
    match (first, second) {
        (Ok(mut raw), Ok(Ok(rest))) => {
            raw.package.extend(rest.package);
            Ok(raw)
        }
        // Any failure: parse the whole to report the error where the user will look for it.
        _ => whole(),
    }
}

/// A package reached with one of its extras activated (`None`: its plain dependencies).
type State<'a> = (usize, Option<&'a str>);

fn assign_scopes(
    graph: &mut DepGraph,
    resolved: &[Resolved<'_>],
    roots: &[usize],
    manifest_groups: Vec<Edge<'_>>,
) {
    let count = graph.packages.len();
    let mut seen: HashSet<State<'_>> = HashSet::new();
    let mut reached = vec![false; count];
    walk(
        resolved,
        roots.iter().map(|&r| (r, None)).collect(),
        &mut seen,
        &mut reached,
    );
    let required = reached.clone();
    let root_extras = roots
        .iter()
        .flat_map(|&r| resolved[r].extras.keys().map(move |&x| (r, Some(x))))
        .collect();
    walk(resolved, root_extras, &mut seen, &mut reached);
    let optional = reached.clone();
    let groups = roots
        .iter()
        .flat_map(|&r| &resolved[r].groups)
        .chain(&manifest_groups)
        .flat_map(|(to, extras)| {
            std::iter::once((*to, None)).chain(extras.iter().map(|x| (*to, Some(&**x))))
        })
        .collect();
    walk(resolved, groups, &mut seen, &mut reached);
    for (i, package) in graph.packages.iter_mut().enumerate() {
        package.scope = if required[i] || !reached[i] {
            Scope::Required
        } else if optional[i] {
            Scope::Optional
        } else {
            Scope::Excluded
        };
    }
}

/// Marks everything reachable from `start`, following plain dependencies and activated extras.
fn walk<'a>(
    resolved: &'a [Resolved<'a>],
    start: Vec<State<'a>>,
    seen: &mut HashSet<State<'a>>,
    reached: &mut [bool],
) {
    let mut stack = start;
    while let Some(state @ (package, extra)) = stack.pop() {
        if !seen.insert(state) {
            continue;
        }
        reached[package] = true;
        let edges = match extra {
            None => Some(&resolved[package].dependencies),
            Some(extra) => resolved[package].extras.get(extra),
        };
        for (to, extras) in edges.into_iter().flatten() {
            stack.push((*to, None));
            stack.extend(extras.iter().map(|x| (*to, Some(&**x))));
        }
    }
}

fn to_package(raw: &RawPackage<'_>) -> Result<Package, LockfileError> {
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: raw.name.to_string(),
        field,
        value: value.to_owned(),
        reason,
    };
    let name = normalize_pypi_name(&raw.name);
    if name.is_empty() {
        return Err(invalid("name", &raw.name, "empty"));
    }
    let mut package = Package {
        name: name.clone(),
        version: raw.version.as_deref().map(str::to_owned),
        ..Package::default()
    };
    let purl = Purl::new("pypi", &name).version(raw.version.as_deref());
    let source = &raw.source;
    let mut direct_url = None;
    let kind = match (&source.registry, &source.git, &source.url) {
        (Some(index), None, None) if source.is_single() => {
            let index_base = index.trim_end_matches('/');
            package.purl = Some(if index_base == PYPI_SIMPLE {
                purl.to_string()
            } else {
                purl.qualifier("repository_url", &**index).to_string()
            });
            "registry"
        }
        (None, Some(git), None) if source.is_single() => {
            let (vcs_url, reference) = graph::git_source(git)
                .ok_or_else(|| invalid("source", git, "git source without #commit"))?;
            package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
            package.external_references.push(reference);
            "git"
        }
        (None, None, Some(url)) if source.is_single() => {
            let url = super::graph::strip_credentials(url);
            package.purl = Some(purl.qualifier("download_url", url.as_str()).to_string());
            direct_url = Some(url);
            "url"
        }
        _ => {
            let (kind, path) = source.local().ok_or_else(|| {
                invalid(
                    "source",
                    &format!("{source:?}"),
                    "expected exactly one source kind",
                )
            })?;
            package.local = Some(path.to_owned());
            kind
        }
    };
    package
        .properties
        .push(("supply:uv:source".into(), kind.into()));
    for marker in &raw.resolution_markers {
        package
            .properties
            .push(("supply:uv:resolution-marker".into(), marker.to_string()));
    }

    let artifacts = raw
        .sdist
        .iter()
        .map(|a| (ReferenceKind::SourceDistribution, a))
        .chain(raw.wheels.iter().map(|a| (ReferenceKind::Distribution, a)));
    for (kind, artifact) in artifacts {
        let hashes = match &artifact.hash {
            Some(text) => vec![
                parse_hash(text).ok_or_else(|| invalid("hash", text, "expected <alg>:<hex>"))?,
            ],
            None => Vec::new(),
        };
        let location = artifact
            .url
            .as_deref()
            .map(super::graph::strip_credentials)
            .or_else(|| artifact.path.as_deref().map(str::to_owned))
            .or_else(|| artifact.filename.as_deref().map(str::to_owned))
            .or_else(|| direct_url.clone());
        if let Some(url) = location {
            package
                .external_references
                .push(ExternalReference { kind, url, hashes });
        }
    }
    Ok(package)
}

impl RawSource<'_> {
    fn fields(&self) -> [&Option<Text<'_>>; 7] {
        [
            &self.registry,
            &self.git,
            &self.url,
            &self.path,
            &self.directory,
            &self.editable,
            &self.virtual_,
        ]
    }

    fn is_single(&self) -> bool {
        self.fields().iter().filter(|f| f.is_some()).count() == 1
    }

    fn local(&self) -> Option<(&'static str, &str)> {
        if !self.is_single() {
            return None;
        }
        let kinds = [
            ("path", &self.path),
            ("directory", &self.directory),
            ("editable", &self.editable),
            ("virtual", &self.virtual_),
        ];
        kinds
            .into_iter()
            .find_map(|(kind, path)| Some((kind, path.as_deref()?)))
    }
}

/// `sha256:<hex>` → a hash; BLAKE2b's size is told by its length, as uv writes it.
fn parse_hash(text: &str) -> Option<Hash> {
    let (alg, hex) = text.split_once(':')?;
    let alg = match (alg, hex.len()) {
        ("md5", _) => HashAlg::Md5,
        ("sha256", _) => HashAlg::Sha256,
        ("sha384", _) => HashAlg::Sha384,
        ("sha512", _) => HashAlg::Sha512,
        ("blake2b", 64) => HashAlg::Blake2b256,
        ("blake2b", 96) => HashAlg::Blake2b384,
        ("blake2b", _) => HashAlg::Blake2b512,
        _ => return None,
    };
    Hash::from_hex(alg, hex)
}

fn resolve(
    packages: &[RawPackage<'_>],
    by_name: &HashMap<String, Vec<usize>>,
    from: &RawPackage<'_>,
    dependency: &RawDependency<'_>,
) -> Result<usize, LockfileError> {
    let candidates: Vec<usize> = by_name
        .get(&normalize_pypi_name(&dependency.name))
        .into_iter()
        .flatten()
        .copied()
        .filter(|&i| dependency.version.is_none() || packages[i].version == dependency.version)
        .filter(|&i| {
            dependency
                .source
                .as_ref()
                .is_none_or(|s| packages[i].source == *s)
        })
        .collect();
    let describe = || {
        let mut text = dependency.name.to_string();
        if let Some(version) = &dependency.version {
            text = format!("{text} {version}");
        }
        text
    };
    match candidates.as_slice() {
        [only] => Ok(*only),
        [] => Err(LockfileError::DanglingDependency {
            from: from.name.to_string(),
            dependency: describe(),
        }),
        _ => Err(LockfileError::AmbiguousDependency {
            from: from.name.to_string(),
            dependency: describe(),
        }),
    }
}

#[cfg(test)]
#[path = "uv_tests.rs"]
mod tests;
