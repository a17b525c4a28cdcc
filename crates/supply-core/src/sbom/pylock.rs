//! PEP 751 `pylock.toml` (`lock-version` 1.x) → [`DepGraph`].
//!
//! Each `[[packages]]` entry is one component. Its source decides its identity: `sdist`/`wheels`
//! from an `index` are registry packages (`pkg:pypi/…`, with `repository_url` unless the index is
//! PyPI's; no `index`, as pip writes it, reads as PyPI); `vcs` adds the purl `vcs_url` and a `vcs`
//! reference; `archive` with a `url` adds `download_url`; `directory`, and `archive`/`vcs` given
//! by `path`, are local (no purl). Hashes are per artifact, so each sdist, wheel or archive is one
//! external reference holding its own hashes, at its `url` or `path`; a registry file with
//! neither is referenced by its package URL plus the purl `file_name` qualifier, which names
//! exactly that file. Hash algorithms without a CycloneDX name (`sha3_256`, …) are skipped.
//!
//! The root is the `directory` entry at `.` when there is one (uv exports the project so),
//! otherwise a synthetic local component `pylock.toml` standing for the lock's install set; it
//! carries the file's top-level facts (`created-by`, `environments`, `extras`, groups) as
//! properties. Edges come from `dependencies` (PEP 751; a reference to no entry is an error) or
//! PDM's `[packages.tool.pdm] dependencies`; the root depends on every entry nothing else depends
//! on, and on every entry when the file records no dependencies at all (uv and pip do not).
//!
//! Scope: a lock names groups only through markers. With the `default-groups` selected and no
//! extra, an entry whose `marker` cannot hold is not installed by default: `optional` when some
//! extra would install it, `excluded` when only a non-default group would. Single-use locks
//! (uv, pip) resolve groups and extras when written, so all their entries are `required`.

use std::collections::{BTreeSet, HashMap};

use serde::Deserialize;

#[path = "pep508.rs"]
pub(super) mod pep508;

use super::de::{Text, UniqueMap, toml_error, toml_from_str};
use super::graph::{self, DepGraph, ExternalReference, Hash, HashAlg, Package, ReferenceKind};
use super::{Ecosystem, LockfileError, Scope};
use crate::purl::{Purl, normalize_pypi_name};
use pep508::{Context, Selected, Truth};

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawLock<'a> {
    #[serde(borrow)]
    lock_version: Text<'a>,
    #[serde(borrow)]
    created_by: Option<Text<'a>>,
    #[serde(borrow)]
    requires_python: Option<Text<'a>>,
    #[serde(default, borrow)]
    environments: Vec<Text<'a>>,
    #[serde(default, borrow)]
    extras: Vec<Text<'a>>,
    #[serde(default, borrow)]
    dependency_groups: Vec<Text<'a>>,
    #[serde(default, borrow)]
    default_groups: Vec<Text<'a>>,
    #[serde(default, borrow)]
    packages: Vec<RawPackage<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    marker: Option<Text<'a>>,
    #[serde(borrow)]
    requires_python: Option<Text<'a>>,
    #[serde(borrow)]
    dependencies: Option<Vec<RawDependency<'a>>>,
    #[serde(borrow)]
    index: Option<Text<'a>>,
    #[serde(borrow)]
    vcs: Option<RawVcs<'a>>,
    #[serde(borrow)]
    directory: Option<RawDirectory<'a>>,
    #[serde(borrow)]
    archive: Option<RawArtifact<'a>>,
    #[serde(borrow)]
    sdist: Option<RawArtifact<'a>>,
    #[serde(default, borrow)]
    wheels: Vec<RawArtifact<'a>>,
    #[serde(borrow)]
    tool: Option<RawTool<'a>>,
}

#[derive(Deserialize)]
struct RawDependency<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawVcs<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    path: Option<Text<'a>>,
    #[serde(borrow)]
    requested_revision: Option<Text<'a>>,
    #[serde(borrow)]
    commit_id: Option<Text<'a>>,
}

#[derive(Deserialize)]
struct RawDirectory<'a> {
    #[serde(borrow)]
    path: Text<'a>,
    #[serde(default)]
    editable: bool,
}

#[derive(Deserialize)]
struct RawArtifact<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    path: Option<Text<'a>>,
    // Pairs, not a `BTreeMap`: a map's first node has room for eleven, and there is one per
    // artifact (5,575 in the large fixture), nearly always holding a single `sha256`. Both TOML
    // readers visit a table's keys in sorted order, as a `BTreeMap` would hold them.
    #[serde(default, borrow)]
    hashes: UniqueMap<Text<'a>, Text<'a>>,
}

#[derive(Deserialize)]
struct RawTool<'a> {
    #[serde(borrow)]
    pdm: Option<RawPdm<'a>>,
}

#[derive(Deserialize)]
struct RawPdm<'a> {
    #[serde(borrow)]
    dependencies: Option<Vec<Text<'a>>>,
}

/// Parses `pylock.toml` text.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw: RawLock<'_> = toml_from_str(text).map_err(|e| refusal(text, &e))?;
    let mut graph = DepGraph::new(Ecosystem::Pylock, raw.lock_version.to_string());
    check_version(&raw.lock_version, &mut graph.warnings)?;

    let defaults: BTreeSet<String> = raw
        .default_groups
        .iter()
        .map(|g| normalize_pypi_name(g))
        .collect();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, package) in raw.packages.iter().enumerate() {
        let mut converted = to_package(package, &mut graph.warnings)?;
        converted.scope = scope(package.marker.as_deref(), &defaults);
        by_name
            .entry(converted.name.clone())
            .or_default()
            .push(index);
        graph.packages.push(converted);
    }

    let mut recorded = false;
    for (from, package) in raw.packages.iter().enumerate() {
        if let Some(dependencies) = &package.dependencies {
            recorded = true;
            for dependency in dependencies {
                let Some(name) = &dependency.name else {
                    graph.warnings.push(format!(
                        "`{}` has a dependency without a name; it is left out",
                        package.name
                    ));
                    continue;
                };
                let targets: Vec<usize> = candidates(&by_name, name)
                    .filter(|&to| {
                        dependency.version.is_none()
                            || raw.packages[to].version == dependency.version
                    })
                    .collect();
                if targets.is_empty() {
                    return Err(LockfileError::DanglingDependency {
                        from: package.name.to_string(),
                        dependency: name.to_string(),
                    });
                }
                graph.edges.extend(targets.into_iter().map(|to| (from, to)));
            }
        }
        let pdm = package.tool.as_ref().and_then(|t| t.pdm.as_ref());
        if let Some(requirements) = pdm.and_then(|p| p.dependencies.as_ref()) {
            recorded = true;
            for requirement in requirements {
                let (name, spec) = split_requirement(requirement);
                // A requirement whose marker excludes every locked environment has no entry.
                let targets = candidates(&by_name, name).filter(|&to| {
                    raw.packages[to]
                        .version
                        .as_deref()
                        .is_none_or(|v| pep508::satisfies(v, spec))
                });
                graph
                    .edges
                    .extend(targets.map(|to| (from, to)).collect::<Vec<_>>());
            }
        }
    }

    let root = match raw
        .packages
        .iter()
        .position(|p| p.directory.as_ref().is_some_and(|d| is_here(&d.path)))
    {
        Some(root) => root,
        None => {
            graph.packages.push(Package {
                // No `directory = "."` entry: the project is unnamed, so the stable default.
                name: super::discover::DEFAULT_ROOT_NAME.into(),
                local: Some(".".into()),
                ..Package::default()
            });
            graph.packages.len() - 1
        }
    };
    let properties = &mut graph.packages[root].properties;
    let mut add = |name: &str, values: &[Text<'_>]| {
        properties.extend(
            values
                .iter()
                .map(|v| (format!("supply:pylock:{name}"), v.to_string())),
        );
    };
    add("created-by", raw.created_by.as_slice());
    add("requires-python", raw.requires_python.as_slice());
    add("environment", &raw.environments);
    add("extra", &raw.extras);
    add("dependency-group", &raw.dependency_groups);
    add("default-group", &raw.default_groups);
    link_root(&mut graph, root, recorded);
    Ok(graph.finish())
}

/// A syntax error, unless the file declares a lock-version we do not read (its shape may differ).
fn refusal(text: &str, error: &toml::de::Error) -> LockfileError {
    #[derive(Deserialize)]
    struct VersionOnly {
        #[serde(rename = "lock-version")]
        lock_version: Option<toml::Value>,
    }
    if let Ok(VersionOnly {
        lock_version: Some(found),
    }) = toml::from_str::<VersionOnly>(text)
    {
        let found = value_text(&found);
        if let Err(unsupported) = check_version(&found, &mut Vec::new()) {
            return unsupported;
        }
    }
    toml_error(text, error)
}

/// A TOML value as the user wrote it, for messages.
pub(super) fn value_text(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => text.clone(),
        toml::Value::Integer(number) => number.to_string(),
        toml::Value::Float(number) => number.to_string(),
        toml::Value::Boolean(flag) => flag.to_string(),
        other => format!("{other:?}"),
    }
}

fn check_version(found: &str, warnings: &mut Vec<String>) -> Result<(), LockfileError> {
    let (major, minor) = found.split_once('.').unwrap_or((found, "0"));
    let minor_ok = !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit());
    if major != "1" || !minor_ok {
        return Err(LockfileError::UnsupportedVersion {
            found: found.to_owned(),
            supported: "1.x",
        });
    }
    if !minor.trim_start_matches('0').is_empty() {
        warnings.push(format!(
            "lock-version {found} is newer than 1.0; read as 1.0"
        ));
    }
    Ok(())
}

/// Required unless the default install skips the entry; then optional if an extra installs it.
fn scope(marker: Option<&str>, defaults: &BTreeSet<String>) -> Scope {
    let Some(marker) = marker else {
        return Scope::Required;
    };
    let none = BTreeSet::new();
    let with = |extras| Context {
        extras,
        groups: Selected::These(defaults),
    };
    if pep508::evaluate(marker, with(Selected::These(&none))) != Truth::False {
        Scope::Required
    } else if pep508::evaluate(marker, with(Selected::All)) != Truth::False {
        Scope::Optional
    } else {
        Scope::Excluded
    }
}

fn candidates<'a>(
    by_name: &'a HashMap<String, Vec<usize>>,
    name: &str,
) -> impl Iterator<Item = usize> + 'a {
    by_name
        .get(&normalize_pypi_name(name))
        .into_iter()
        .flatten()
        .copied()
}

/// `name[extra] (>=1,<2) ; marker` → (`name`, `>=1,<2`); a direct reference has no specifier.
fn split_requirement(requirement: &str) -> (&str, &str) {
    let requirement = requirement.trim_start();
    let end = requirement
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(requirement.len());
    let (name, rest) = requirement.split_at(end);
    let rest = rest.split(';').next().unwrap_or_default().trim_start();
    let rest = match rest.strip_prefix('[') {
        Some(after) => after.split_once(']').map_or("", |(_, spec)| spec),
        None => rest,
    };
    let spec = rest.trim();
    if spec.starts_with('@') {
        return (name, "");
    }
    (name, spec.trim_start_matches('(').trim_end_matches(')'))
}

fn is_here(path: &str) -> bool {
    matches!(path.trim_end_matches('/'), "." | "")
}

/// Links the root to what nothing else depends on (to everything when no edges are recorded),
/// then to whatever a cycle keeps out of its reach.
pub(super) fn link_root(graph: &mut DepGraph, root: usize, recorded: bool) {
    let count = graph.packages.len();
    let mut has_dependent = vec![false; count];
    for &(from, to) in &graph.edges {
        if from != to
            && let Some(flag) = has_dependent.get_mut(to)
        {
            *flag = true;
        }
    }
    let tops: Vec<usize> = (0..count)
        .filter(|&i| i != root && (!recorded || !has_dependent[i]))
        .collect();
    graph.edges.extend(tops.into_iter().map(|to| (root, to)));
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in &graph.edges {
        if let Some(list) = children.get_mut(from) {
            list.push(to);
        }
    }
    let mut reached = vec![false; count];
    let visit = |start: usize, reached: &mut Vec<bool>| {
        let mut stack = vec![start];
        while let Some(i) = stack.pop() {
            if let Some(flag) = reached.get_mut(i)
                && !std::mem::replace(flag, true)
            {
                stack.extend(children[i].iter().copied());
            }
        }
    };
    visit(root, &mut reached);
    for i in 0..count {
        if !reached[i] {
            graph.edges.push((root, i));
            visit(i, &mut reached);
        }
    }
    graph.roots = vec![root];
}

fn to_package(raw: &RawPackage<'_>, warnings: &mut Vec<String>) -> Result<Package, LockfileError> {
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
    let has_files = raw.sdist.is_some() || !raw.wheels.is_empty();
    let kinds = [
        raw.vcs.is_some(),
        raw.directory.is_some(),
        raw.archive.is_some(),
        has_files,
    ];
    if kinds.iter().filter(|&&k| k).count() > 1 {
        return Err(invalid(
            "source",
            &raw.name,
            "vcs, directory, archive and sdist/wheels exclude each other",
        ));
    }
    let mut package = Package {
        name: name.clone(),
        version: raw.version.as_deref().map(str::to_owned),
        ..Package::default()
    };
    let purl = Purl::new("pypi", &name).version(raw.version.as_deref());
    let mut property = |key: &str, value: &str| {
        package
            .properties
            .push((format!("supply:pylock:{key}"), value.to_owned()))
    };
    property("marker", raw.marker.as_deref().unwrap_or_default());
    property(
        "requires-python",
        raw.requires_python.as_deref().unwrap_or_default(),
    );
    package.properties.retain(|(_, v)| !v.is_empty());
    let source = if let Some(vcs) = &raw.vcs {
        let commit = vcs
            .commit_id
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| invalid("vcs.commit-id", &vcs.kind, "missing"))?;
        if let Some(revision) = &vcs.requested_revision {
            package.properties.push((
                "supply:pylock:requested-revision".into(),
                revision.to_string(),
            ));
        }
        match (&vcs.url, &vcs.path) {
            (Some(url), _) => {
                let (vcs_url, reference) = if vcs.kind == "git" {
                    graph::git_source(&format!("{url}#{commit}"))
                        .ok_or_else(|| invalid("vcs.url", url, "not a git URL"))?
                } else {
                    let reference = ExternalReference {
                        kind: ReferenceKind::Vcs,
                        url: graph::strip_credentials(&format!("{url}#{commit}")),
                        hashes: Vec::new(),
                    };
                    (format!("{}+{url}@{commit}", vcs.kind), reference)
                };
                package.purl = Some(
                    purl.qualifier("vcs_url", graph::strip_credentials(&vcs_url))
                        .to_string(),
                );
                package.external_references.push(reference);
            }
            (None, Some(path)) => package.local = Some(path.to_string()),
            (None, None) => return Err(invalid("vcs", &vcs.kind, "neither url nor path")),
        }
        "vcs"
    } else if let Some(directory) = &raw.directory {
        package.local = Some(directory.path.to_string());
        if directory.editable {
            package
                .properties
                .push(("supply:pylock:editable".into(), "true".into()));
        }
        "directory"
    } else if let Some(archive) = &raw.archive {
        let hashes = hashes(raw, &archive.hashes)?;
        let location = match (&archive.url, &archive.path) {
            (Some(url), _) => {
                let url = graph::strip_credentials(url);
                package.purl = Some(purl.qualifier("download_url", url.as_str()).to_string());
                url
            }
            (None, Some(path)) => {
                package.local = Some(path.to_string());
                path.to_string()
            }
            (None, None) => return Err(invalid("archive", &raw.name, "neither url nor path")),
        };
        let kind = if file_name(&location).ends_with(".whl") {
            ReferenceKind::Distribution
        } else {
            ReferenceKind::SourceDistribution
        };
        package.external_references.push(ExternalReference {
            kind,
            url: location,
            hashes,
        });
        "archive"
    } else {
        let purl = match raw.index.as_deref() {
            Some(index) if !is_pypi(index) => {
                package.properties.push((
                    "supply:pylock:index".into(),
                    graph::strip_credentials(index),
                ));
                purl.qualifier("repository_url", graph::strip_credentials(index))
            }
            _ => purl,
        };
        let artifacts = raw
            .sdist
            .iter()
            .map(|a| (ReferenceKind::SourceDistribution, a))
            .chain(raw.wheels.iter().map(|a| (ReferenceKind::Distribution, a)));
        for (kind, artifact) in artifacts {
            let location = match (&artifact.url, &artifact.path, &artifact.name) {
                (Some(url), _, _) => graph::strip_credentials(url),
                (None, Some(path), _) => path.to_string(),
                (None, None, Some(file)) => purl.to_string_with("file_name", file),
                (None, None, None) => {
                    warnings.push(format!(
                        "`{}` has an artifact without url, path or name; its hashes are left out",
                        raw.name
                    ));
                    continue;
                }
            };
            let hashes = hashes(raw, &artifact.hashes)?;
            package.external_references.push(ExternalReference {
                kind,
                url: location,
                hashes,
            });
        }
        package.purl = Some(purl.to_string());
        "registry"
    };
    package
        .properties
        .push(("supply:pylock:source".into(), source.into()));
    Ok(package)
}

fn hashes(
    raw: &RawPackage<'_>,
    table: &UniqueMap<Text<'_>, Text<'_>>,
) -> Result<Vec<Hash>, LockfileError> {
    let mut out = Vec::with_capacity(table.0.len());
    for (alg, hex) in &table.0 {
        let Some(known) = hash_alg(alg, hex.len()) else {
            continue;
        };
        out.push(
            Hash::from_hex(known, hex).ok_or_else(|| LockfileError::InvalidField {
                package: raw.name.to_string(),
                field: "hashes",
                value: format!("{alg} = {hex}"),
                reason: "not a hex digest of that algorithm",
            })?,
        );
    }
    Ok(out)
}

/// A hashlib algorithm name → ours; BLAKE2b's size is told by the digest length.
pub(super) fn hash_alg(name: &str, hex_len: usize) -> Option<HashAlg> {
    Some(match (name.to_ascii_lowercase().as_str(), hex_len) {
        ("md5", _) => HashAlg::Md5,
        ("sha1", _) => HashAlg::Sha1,
        ("sha256", _) => HashAlg::Sha256,
        ("sha384", _) => HashAlg::Sha384,
        ("sha512", _) => HashAlg::Sha512,
        ("blake2b", 64) => HashAlg::Blake2b256,
        ("blake2b", 96) => HashAlg::Blake2b384,
        ("blake2b", _) => HashAlg::Blake2b512,
        _ => return None,
    })
}

/// Whether an index URL is PyPI's simple index (the purl default repository).
pub(super) fn is_pypi(index: &str) -> bool {
    matches!(
        index.trim_end_matches('/'),
        "https://pypi.org/simple" | "https://pypi.python.org/simple"
    )
}

/// The last path segment of a URL or path, without query or fragment.
pub(super) fn file_name(location: &str) -> &str {
    let end = location.find(['?', '#']).unwrap_or(location.len());
    let path = location.get(..end).unwrap_or(location);
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
#[path = "pylock_tests.rs"]
mod tests;
