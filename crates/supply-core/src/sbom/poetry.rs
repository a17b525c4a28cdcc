//! `poetry.lock` (`lock-version` 1.0/1.1 and 2.x) → [`DepGraph`].
//!
//! Scope comes from what Poetry itself computed for each package, because the lockfile does not
//! record the project's own requirements: 2.1+ writes `groups` (`main` is the project's
//! dependencies) and `markers` (one string, or a table per group), 1.x writes `category` (`main`
//! or `dev`), every version writes `optional` (needed only through an extra). A package is
//! `excluded` when `main` is not among its groups (or its category is `dev`), `optional` when it is
//! `optional` or its `main` marker cannot hold without an extra (`extra == "x"`), else `required`.
//! Lock 2.0 (Poetry 1.5–1.8) records no groups at all, so dev-only packages read as required and
//! the graph says so in a warning.
//!
//! Hashes are per file (`files` in 2.x, `[metadata.files]` in 1.x); each file becomes one external
//! reference (wheel → distribution, otherwise source distribution) holding only its own hash.
//! poetry.lock does not say where a registry file is downloaded from, so its reference is the
//! file's package URL with the purl `file_name` qualifier (and `repository_url` for a custom
//! index), which names exactly that file; `url` and `file` sources reference their URL or path.
//! When 1.x lists files of several locked versions under one name, a file goes to the version in
//! its file name, and one that matches none is left out with a warning, never guessed.
//!
//! Sources: none is PyPI; `legacy` is a custom index (`repository_url`, dropped for PyPI's own);
//! `git` gets `vcs_url` from `url` and `resolved_reference`; `url` gets `download_url`;
//! `directory` and `file` are local (no purl). The project is not in the file, so the root is a
//! synthetic local component `pyproject.toml` (the manifest the lock was made from), depending on
//! the packages its extras name and on every package nothing else depends on.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Deserialize;

use super::de::{Text, toml_error, toml_from_str};
use super::graph::{self, DepGraph, ExternalReference, Hash, Package, ReferenceKind, Scope};
use super::pylock::pep508::{self, Context, Selected, Truth};
use super::pylock::{file_name, hash_alg, is_pypi, link_root, value_text};
use super::{Ecosystem, LockfileError};
use crate::purl::{Purl, normalize_pypi_name};
use crate::vuln::version::pep440::Version;

#[derive(Deserialize)]
struct RawLock<'a> {
    #[serde(default, borrow)]
    package: Vec<RawPackage<'a>>,
    #[serde(default, borrow)]
    extras: BTreeMap<Text<'a>, Vec<Text<'a>>>,
    #[serde(default, borrow)]
    metadata: RawMetadata<'a>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct RawMetadata<'a> {
    #[serde(borrow)]
    lock_version: Option<Text<'a>>,
    #[serde(borrow)]
    python_versions: Option<Text<'a>>,
    #[serde(borrow)]
    content_hash: Option<Text<'a>>,
    #[serde(default, borrow)]
    files: BTreeMap<Text<'a>, Vec<RawFile<'a>>>,
}

#[derive(Deserialize)]
struct RawPackage<'a> {
    #[serde(borrow)]
    name: Text<'a>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    category: Option<Text<'a>>,
    #[serde(default)]
    optional: bool,
    #[serde(borrow)]
    groups: Option<Vec<Text<'a>>>,
    #[serde(borrow)]
    markers: Option<RawMarkers<'a>>,
    #[serde(borrow)]
    files: Option<Vec<RawFile<'a>>>,
    #[serde(default, borrow)]
    dependencies: BTreeMap<Text<'a>, RawDependency<'a>>,
    #[serde(borrow)]
    source: Option<RawSource<'a>>,
    #[serde(default)]
    develop: bool,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawMarkers<'a> {
    All(#[serde(borrow)] Text<'a>),
    PerGroup(#[serde(borrow)] BTreeMap<Text<'a>, Text<'a>>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawDependency<'a> {
    One(#[serde(borrow)] RawConstraint<'a>),
    Many(#[serde(borrow)] Vec<RawConstraint<'a>>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawConstraint<'a> {
    Version(#[serde(borrow)] Text<'a>),
    Table {
        #[serde(borrow)]
        version: Option<Text<'a>>,
        #[serde(borrow)]
        markers: Option<Text<'a>>,
        #[serde(default)]
        optional: bool,
    },
}

#[derive(Deserialize)]
struct RawFile<'a> {
    #[serde(borrow)]
    file: Text<'a>,
    #[serde(borrow)]
    hash: Option<Text<'a>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
struct RawSource<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(borrow)]
    url: Option<Text<'a>>,
    #[serde(borrow)]
    reference: Option<Text<'a>>,
    #[serde(borrow)]
    resolved_reference: Option<Text<'a>>,
    #[serde(borrow)]
    subdirectory: Option<Text<'a>>,
}

/// Parses `poetry.lock` text.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw: RawLock<'_> = toml_from_str(text).map_err(|e| refusal(text, &e))?;
    let version = raw
        .metadata
        .lock_version
        .as_deref()
        .unwrap_or_default()
        .to_owned();
    let mut graph = DepGraph::new(Ecosystem::Poetry, version.clone());
    check_version(&version, &mut graph.warnings)?;

    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, package) in raw.package.iter().enumerate() {
        by_name
            .entry(normalize_pypi_name(&package.name))
            .or_default()
            .push(index);
    }
    let mut metadata_files: HashMap<String, Vec<&RawFile<'_>>> = HashMap::new();
    for (name, files) in &raw.metadata.files {
        let name = normalize_pypi_name(name);
        let versions: Vec<Option<&str>> = by_name
            .get(&name)
            .into_iter()
            .flatten()
            .map(|&i| raw.package[i].version.as_deref())
            .collect();
        for file in files.iter().filter(|f| {
            versions.len() > 1 && !versions.iter().any(|&v| matches_version(&f.file, v))
        }) {
            graph.warnings.push(format!(
                "file `{}` of `{name}` matches no locked version; its hash is left out",
                file.file
            ));
        }
        metadata_files.entry(name).or_default().extend(files);
    }
    for package in &raw.package {
        let name = normalize_pypi_name(&package.name);
        let files: Vec<&RawFile<'_>> = match &package.files {
            Some(files) => files.iter().collect(),
            None => metadata_files.get(&name).cloned().unwrap_or_default(),
        };
        let shared = package.files.is_none() && by_name.get(&name).is_some_and(|v| v.len() > 1);
        let converted = to_package(package, &files, shared, &mut graph.warnings)?;
        graph.packages.push(converted);
    }
    if raw
        .package
        .iter()
        .any(|p| p.groups.is_none() && p.category.is_none())
    {
        graph.warnings.push(format!(
            "poetry.lock (lock-version {version}) does not record dependency groups: development-only packages are reported as required"
        ));
    }

    for (from, package) in raw.package.iter().enumerate() {
        for (name, dependency) in &package.dependencies {
            let constraints = match dependency {
                RawDependency::One(one) => std::slice::from_ref(one),
                RawDependency::Many(many) => many.as_slice(),
            };
            let locked: Vec<usize> = by_name
                .get(&normalize_pypi_name(name))
                .cloned()
                .unwrap_or_default();
            if locked.is_empty() {
                // Poetry leaves out what only an unused extra or an impossible marker would need.
                if !constraints.iter().all(RawConstraint::is_conditional) {
                    graph.warnings.push(format!(
                        "`{}` depends on `{name}`, which the lockfile does not define",
                        package.name
                    ));
                }
                continue;
            }
            let targets: Vec<usize> = locked
                .into_iter()
                .filter(|&to| {
                    raw.package[to].version.as_deref().is_none_or(|v| {
                        constraints
                            .iter()
                            .any(|c| c.version().is_none_or(|spec| pep508::satisfies(v, spec)))
                    })
                })
                .collect();
            if targets.is_empty() {
                graph.warnings.push(format!(
                    "`{}` depends on `{name}`, but no locked version satisfies it",
                    package.name
                ));
            }
            graph.edges.extend(targets.into_iter().map(|to| (from, to)));
        }
    }

    let root = graph.packages.len();
    let mut root_package = Package {
        // poetry.lock does not record the project's name: the builder's stable default.
        name: super::discover::DEFAULT_ROOT_NAME.into(),
        local: Some(".".into()),
        ..Package::default()
    };
    let metadata = &raw.metadata;
    for (key, value) in [
        ("content-hash", &metadata.content_hash),
        ("python-versions", &metadata.python_versions),
    ] {
        if let Some(value) = value {
            root_package
                .properties
                .push((format!("supply:poetry:{key}"), value.to_string()));
        }
    }
    for (extra, requirements) in &raw.extras {
        root_package
            .properties
            .push(("supply:poetry:extra".into(), extra.to_string()));
        for requirement in requirements {
            let name = requirement
                .split(|c: char| c == '(' || c == '[' || c.is_whitespace())
                .next()
                .unwrap_or_default();
            let targets = by_name
                .get(&normalize_pypi_name(name))
                .into_iter()
                .flatten();
            graph
                .edges
                .extend(targets.map(|&to| (root, to)).collect::<Vec<_>>());
        }
    }
    graph.packages.push(root_package);
    link_root(&mut graph, root, true);
    Ok(graph.finish())
}

/// A syntax error, unless the file declares a lock-version we do not read (its shape may differ).
fn refusal(text: &str, error: &toml::de::Error) -> LockfileError {
    #[derive(Deserialize)]
    struct VersionOnly {
        metadata: Option<toml::Table>,
    }
    let declared = toml::from_str::<VersionOnly>(text)
        .ok()
        .and_then(|v| v.metadata?.remove("lock-version"));
    if let Some(found) = declared {
        let found = value_text(&found);
        if let Err(unsupported) = check_version(&found, &mut Vec::new()) {
            return unsupported;
        }
    }
    toml_error(text, error)
}

fn check_version(found: &str, warnings: &mut Vec<String>) -> Result<(), LockfileError> {
    let unsupported = || LockfileError::UnsupportedVersion {
        found: if found.is_empty() {
            "none".to_owned()
        } else {
            found.to_owned()
        },
        supported: "1.0, 1.1, 2.x",
    };
    let (major, minor) = found.split_once('.').ok_or_else(unsupported)?;
    let minor: u32 = minor.parse().map_err(|_| unsupported())?;
    match (major, minor) {
        ("1", 0 | 1) | ("2", 0 | 1) => Ok(()),
        ("2", _) => {
            warnings.push(format!(
                "lock-version {found} is newer than 2.1; read as 2.1"
            ));
            Ok(())
        }
        _ => Err(unsupported()),
    }
}

impl RawConstraint<'_> {
    fn version(&self) -> Option<&str> {
        match self {
            Self::Version(version) => Some(version),
            Self::Table { version, .. } => version.as_deref(),
        }
    }

    fn is_conditional(&self) -> bool {
        matches!(self, Self::Table { markers, optional, .. } if *optional || markers.is_some())
    }
}

fn scope(raw: &RawPackage<'_>) -> Scope {
    let none = BTreeSet::new();
    let no_extras = Context {
        extras: Selected::These(&none),
        groups: Selected::These(&none),
    };
    let main = match (&raw.groups, &raw.category) {
        (Some(groups), _) => groups.iter().any(|g| g == "main"),
        (None, Some(category)) => category != "dev",
        (None, None) => true,
    };
    let main_marker = match &raw.markers {
        Some(RawMarkers::All(marker)) => Some(&**marker),
        Some(RawMarkers::PerGroup(markers)) => markers.get("main").map(|m| &**m),
        None => None,
    };
    if !main {
        Scope::Excluded
    } else if raw.optional
        || main_marker.is_some_and(|m| pep508::evaluate(m, no_extras) == Truth::False)
    {
        Scope::Optional
    } else {
        Scope::Required
    }
}

fn to_package(
    raw: &RawPackage<'_>,
    files: &[&RawFile<'_>],
    shared: bool,
    warnings: &mut Vec<String>,
) -> Result<Package, LockfileError> {
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
        scope: scope(raw),
        ..Package::default()
    };
    let mut property = |key: &str, value: &str| {
        package
            .properties
            .push((format!("supply:poetry:{key}"), value.to_owned()))
    };
    for group in raw.groups.iter().flatten() {
        property("group", group);
    }
    if let Some(category) = &raw.category {
        property("category", category);
    }
    match &raw.markers {
        Some(RawMarkers::All(marker)) => property("marker", marker),
        Some(RawMarkers::PerGroup(markers)) => markers
            .iter()
            .for_each(|(group, marker)| property(&format!("marker:{group}"), marker)),
        None => {}
    }
    if raw.develop {
        property("develop", "true");
    }

    // 1.x lists the files of all locked versions of a name together; keep this version's.
    let files: Vec<&RawFile<'_>> = files
        .iter()
        .copied()
        .filter(|f| !shared || matches_version(&f.file, raw.version.as_deref()))
        .collect();
    let purl = Purl::new("pypi", &name).version(raw.version.as_deref());
    let kind = raw.source.as_ref().map_or("pypi", |s| &*s.kind);
    let source_url = raw.source.as_ref().and_then(|s| s.url.as_deref());
    let needs_url = || source_url.ok_or_else(|| invalid("source.url", kind, "missing"));
    match kind {
        "pypi" | "legacy" => {
            let purl = match source_url {
                Some(index) if !is_pypi(index) => {
                    purl.qualifier("repository_url", graph::strip_credentials(index))
                }
                None if kind == "legacy" => return Err(invalid("source.url", kind, "missing")),
                _ => purl,
            };
            for file in &files {
                let location = purl.to_string_with("file_name", &file.file);
                push_file(&mut package, raw, file, location)?;
            }
            package.purl = Some(purl.to_string());
        }
        "git" => {
            let url = needs_url()?;
            let source = raw.source.as_ref();
            let commit = source
                .and_then(|s| s.resolved_reference.as_deref())
                .unwrap_or_default();
            let (vcs_url, reference) =
                graph::git_source(&format!("{url}#{commit}")).ok_or_else(|| {
                    invalid(
                        "source.resolved_reference",
                        url,
                        "git source without a resolved commit",
                    )
                })?;
            package.purl = Some(
                purl.qualifier("vcs_url", graph::strip_credentials(&vcs_url))
                    .to_string(),
            );
            package.external_references.push(reference);
            if let Some(requested) = source.and_then(|s| s.reference.as_deref()) {
                package
                    .properties
                    .push(("supply:poetry:requested-revision".into(), requested.into()));
            }
        }
        "url" | "file" => {
            let url = graph::strip_credentials(needs_url()?);
            if kind == "url" {
                package.purl = Some(purl.qualifier("download_url", url.as_str()).to_string());
            } else {
                package.local = Some(url.clone());
            }
            for file in &files {
                if files.len() == 1 || file.file == file_name(&url) {
                    push_file(&mut package, raw, file, url.clone())?;
                } else {
                    warnings.push(format!("file `{}` of `{}` is not the one its {kind} source names; its hash is left out", file.file, raw.name));
                }
            }
        }
        "directory" => package.local = Some(needs_url()?.to_owned()),
        _ => return Err(invalid("source.type", kind, "unknown source type")),
    }
    package
        .properties
        .push(("supply:poetry:source".into(), kind.into()));
    if let Some(source) = &raw.source {
        if kind == "legacy"
            && let Some(name) = &source.reference
        {
            package
                .properties
                .push(("supply:poetry:source-name".into(), name.to_string()));
        }
        if let Some(subdirectory) = &source.subdirectory {
            package.properties.push((
                "supply:poetry:subdirectory".into(),
                subdirectory.to_string(),
            ));
        }
    }
    Ok(package)
}

fn push_file(
    package: &mut Package,
    raw: &RawPackage<'_>,
    file: &RawFile<'_>,
    url: String,
) -> Result<(), LockfileError> {
    let Some(text) = &file.hash else {
        return Ok(());
    };
    let invalid = || LockfileError::InvalidField {
        package: raw.name.to_string(),
        field: "files.hash",
        value: text.to_string(),
        reason: "expected <alg>:<hex>",
    };
    let (alg, hex) = text.split_once(':').ok_or_else(invalid)?;
    let Some(alg) = hash_alg(alg, hex.len()) else {
        return Ok(());
    };
    let hash: Hash = Hash::from_hex(alg, hex).ok_or_else(invalid)?;
    let kind = if file.file.ends_with(".whl") || file.file.ends_with(".egg") {
        ReferenceKind::Distribution
    } else {
        ReferenceKind::SourceDistribution
    };
    package.external_references.push(ExternalReference {
        kind,
        url,
        hashes: vec![hash],
    });
    Ok(())
}

/// The version in a distribution file name: `name-1.0-py3-none-any.whl`, `name-1.0.tar.gz`.
fn file_version(file: &str) -> Option<&str> {
    if file.ends_with(".whl") || file.ends_with(".egg") {
        return file.split('-').nth(1);
    }
    let stem = [".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".zip", ".tar"]
        .into_iter()
        .find_map(|ext| file.strip_suffix(ext))?;
    stem.rsplit_once('-').map(|(_, version)| version)
}

fn matches_version(file: &str, version: Option<&str>) -> bool {
    let (Some(a), Some(b)) = (file_version(file), version) else {
        return false;
    };
    a == b || matches!((Version::parse(a), Version::parse(b)), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
#[path = "poetry_tests.rs"]
mod tests;
