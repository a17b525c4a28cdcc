//! npm `package-lock.json` / `npm-shrinkwrap.json` (v1–v3) → [`DepGraph`].
//!
//! v2 and v3 files are read from their flat `packages` map (v1 files from the nested
//! `dependencies` tree, see `npm_v1`); both become a list of [`Node`]s keyed by install
//! location, and edges are found with Node's own resolution walk: from a package's location
//! look in `node_modules` there, then in each ancestor's, up to the root. Links (workspaces,
//! `file:` dependencies) resolve to their target. A required dependency that cannot be found is
//! a warning, not an error: lockfiles in the wild are often slightly inconsistent and users
//! need an SBOM anyway (the complaint most often made about `npm ls`-based tools).

use std::collections::HashMap;

use base64::Engine as _;
use serde::Deserialize;

use super::de::{KeySet, UniqueMap, json_error};
use super::graph::{
    self, DepGraph, ExternalReference, Hash, HashAlg, Package, ReferenceKind, Scope,
};
use super::{Ecosystem, LockfileError, npm_v1};
use crate::purl::Purl;

const DEFAULT_REGISTRIES: [&str; 2] = [
    "https://registry.npmjs.org/",
    "https://registry.yarnpkg.com/",
];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLock {
    name: Option<String>,
    lockfile_version: Option<serde_json::Value>,
    packages: Option<UniqueMap<RawEntry>>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    name: Option<String>,
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    license: Option<RawLicense>,
    #[serde(default)]
    link: bool,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    dev_optional: bool,
    #[serde(default)]
    extraneous: bool,
    #[serde(default)]
    in_bundle: bool,
    #[serde(default)]
    dependencies: KeySet,
    #[serde(default)]
    optional_dependencies: KeySet,
    #[serde(default)]
    peer_dependencies: KeySet,
    #[serde(default)]
    dev_dependencies: KeySet,
}

/// `license` as found in the wild: an SPDX string, a legacy `{type}` object or a list of either.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawLicense {
    Text(String),
    Object {
        #[serde(rename = "type")]
        kind: String,
    },
    List(Vec<RawLicense>),
}

impl RawLicense {
    fn expression(&self) -> Option<String> {
        match self {
            Self::Text(text) | Self::Object { kind: text } => {
                let text = text.trim();
                (!text.is_empty()).then(|| text.to_owned())
            }
            Self::List(items) => {
                let parts: Vec<String> = items.iter().filter_map(Self::expression).collect();
                match parts.len() {
                    0 => None,
                    1 => parts.into_iter().next(),
                    _ => Some(format!("({})", parts.join(" OR "))),
                }
            }
        }
    }
}

/// One install location, whatever the lockfile version.
#[derive(Default)]
pub(super) struct Node {
    pub(super) location: String,
    pub(super) name: String,
    pub(super) version: Option<String>,
    pub(super) resolved: Option<String>,
    pub(super) integrity: Option<String>,
    pub(super) license: Option<String>,
    /// For a link: the location of its target.
    pub(super) link_target: Option<String>,
    pub(super) dev: bool,
    pub(super) optional: bool,
    pub(super) bundled: bool,
    pub(super) extraneous: bool,
    /// Dependencies that must be present (names).
    pub(super) required: Vec<String>,
    /// Dependencies that may be absent: optional and peer dependencies (names).
    pub(super) maybe_absent: Vec<String>,
}

/// Parses package-lock text of any version.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw: RawLock = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let version = match &raw.lockfile_version {
        None => None,
        Some(serde_json::Value::Number(n)) if matches!(n.as_u64(), Some(1..=3)) => n.as_u64(),
        Some(other) => {
            return Err(LockfileError::UnsupportedVersion {
                found: other.to_string(),
                supported: "1, 2, 3",
            });
        }
    };
    let Some(packages) = raw.packages else {
        return npm_v1::parse(text, version);
    };
    let mut nodes: Vec<Node> = packages
        .0
        .into_iter()
        .map(|(location, entry)| to_node(location, entry))
        .collect();
    // The root's folder name is not in the lockfile; fall back to the top-level `name`.
    for node in nodes
        .iter_mut()
        .filter(|n| n.location.is_empty() && n.name.is_empty())
    {
        node.name = raw.name.clone().unwrap_or_else(|| "root".to_owned());
    }
    let format_version = version.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    build(nodes, format_version)
}

fn to_node(location: String, entry: RawEntry) -> Node {
    let is_top = !is_installed(&location);
    let name = entry
        .name
        .clone()
        .unwrap_or_else(|| name_from_location(&location).to_owned());
    let mut required: Vec<String> = entry.dependencies.keys().map(str::to_owned).collect();
    if is_top {
        required.extend(entry.dev_dependencies.keys().map(str::to_owned));
    }
    let maybe_absent = entry
        .optional_dependencies
        .keys()
        .chain(entry.peer_dependencies.keys())
        .map(str::to_owned)
        .collect();
    Node {
        link_target: entry
            .link
            .then(|| entry.resolved.clone().unwrap_or_default()),
        location,
        name,
        version: entry.version,
        resolved: entry.resolved,
        integrity: entry.integrity,
        license: entry.license.as_ref().and_then(RawLicense::expression),
        dev: entry.dev,
        optional: entry.optional || entry.dev_optional,
        bundled: entry.in_bundle,
        extraneous: entry.extraneous,
        required,
        maybe_absent,
    }
}

/// Whether a location is inside some `node_modules` (as opposed to the root or a workspace).
fn is_installed(location: &str) -> bool {
    location.starts_with("node_modules/") || location.contains("/node_modules/")
}

fn name_from_location(location: &str) -> &str {
    location.rsplit_once("node_modules/").map_or_else(
        || location.rsplit('/').next().unwrap_or(location),
        |(_, name)| name,
    )
}

/// Builds the graph from install locations, shared by all lockfile versions.
pub(super) fn build(nodes: Vec<Node>, format_version: String) -> Result<DepGraph, LockfileError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.location.as_str(), i))
        .collect();
    let mut graph = DepGraph::new(Ecosystem::Npm, format_version);
    let mut package_of: Vec<Option<usize>> = vec![None; nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        if node.link_target.is_none() {
            package_of[i] = Some(graph.packages.len());
            graph.packages.push(to_package(node)?);
        }
    }
    // A link stands for its target; follow one level (npm never links to a link).
    let target_of = |i: usize| -> Option<usize> {
        match &nodes[i].link_target {
            None => package_of[i],
            Some(target) => index.get(target.as_str()).and_then(|&t| package_of[t]),
        }
    };
    for (i, node) in nodes.iter().enumerate() {
        let Some(from) = package_of[i] else {
            if target_of(i).is_none() {
                graph.warnings.push(format!(
                    "link `{}` points to `{}`, which the lockfile does not define",
                    node.location,
                    node.link_target.as_deref().unwrap_or_default()
                ));
            }
            continue;
        };
        let wanted = node
            .required
            .iter()
            .map(|n| (n, true))
            .chain(node.maybe_absent.iter().map(|n| (n, false)));
        for (name, must_exist) in wanted {
            match find(&index, &node.location, name).and_then(target_of) {
                Some(to) => graph.edges.push((from, to)),
                None if must_exist => graph.warnings.push(format!(
                    "`{}` depends on `{name}`, which is not installed where Node would look for it",
                    display_location(&node.location)
                )),
                None => {}
            }
        }
    }
    match index.get("") {
        Some(&root) => {
            // The root is the project itself; npm never writes it as a link.
            let root_package = package_of[root].ok_or_else(|| LockfileError::InvalidField {
                package: "(root)".into(),
                field: "link",
                value: "true".into(),
                reason: "the root package cannot be a link",
            })?;
            graph.roots.push(root_package);
            // Workspaces are linked from the root's node_modules; npm ls shows them under the root.
            for (i, node) in nodes.iter().enumerate() {
                let top_link = node
                    .location
                    .strip_prefix("node_modules/")
                    .is_some_and(|n| !n.contains("/node_modules/"));
                if top_link
                    && node
                        .link_target
                        .as_deref()
                        .is_some_and(|t| !is_installed(t))
                    && let Some(to) = target_of(i).filter(|&t| t != root_package)
                {
                    graph.edges.push((root_package, to));
                }
            }
            let mut graph = graph.finish();
            graph.roots = vec![root_package];
            Ok(graph)
        }
        None => {
            let mut graph = graph.finish();
            graph.roots = graph.local_packages_without_dependents();
            Ok(graph)
        }
    }
}

fn display_location(location: &str) -> &str {
    if location.is_empty() {
        "(root)"
    } else {
        location
    }
}

/// Node's lookup: `<dir>/node_modules/<name>` from the package's own directory up to the root.
fn find(index: &HashMap<&str, usize>, from: &str, name: &str) -> Option<usize> {
    let mut base = from;
    let mut candidate = String::new();
    loop {
        candidate.clear();
        if !base.is_empty() {
            candidate.push_str(base);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(name);
        if let Some(&i) = index.get(candidate.as_str()) {
            return Some(i);
        }
        if base.is_empty() {
            return None;
        }
        base = base.rfind('/').map_or("", |i| &base[..i]);
    }
}

fn to_package(node: &Node) -> Result<Package, LockfileError> {
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: display_location(&node.location).to_owned(),
        field,
        value: value.to_owned(),
        reason,
    };
    let (group, name) = match node.name.split_once('/') {
        Some((scope, name)) if scope.starts_with('@') => (Some(scope.to_owned()), name.to_owned()),
        _ => (None, node.name.clone()),
    };
    if name.is_empty() {
        return Err(invalid("name", &node.name, "empty"));
    }
    let mut package = Package {
        name: name.clone(),
        group: group.clone(),
        version: node.version.clone(),
        license: node.license.clone(),
        ..Package::default()
    };
    if let Some(integrity) = &node.integrity {
        package.hashes = parse_integrity(integrity).ok_or_else(|| {
            invalid(
                "integrity",
                integrity,
                "not a sha1/sha256/sha384/sha512 SRI string",
            )
        })?;
    }
    let mut purl = Purl::new("npm", &name).version(node.version.as_deref());
    if let Some(scope) = &group {
        purl = purl.namespace(scope.as_str());
    }
    let resolved = node.resolved.as_deref().map(graph::strip_credentials);
    let local = !is_installed(&node.location)
        || resolved
            .as_deref()
            .is_some_and(|r| r.starts_with("file:") || !r.contains(':'));
    match resolved.as_deref() {
        _ if local => {
            package.local = Some(if node.location.is_empty() {
                ".".into()
            } else {
                node.location.clone()
            })
        }
        Some(url) if is_git(url) => {
            let vcs_url = match url.rsplit_once('#') {
                Some((repository, commit)) => format!("{repository}@{commit}"),
                None => url.to_owned(),
            };
            package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
            package.external_references.push(ExternalReference {
                kind: ReferenceKind::Vcs,
                url: url.to_owned(),
                hashes: Vec::new(),
            });
        }
        Some(url) => {
            let full_name = &node.name;
            let purl = match url.find(&format!("/{full_name}/-/")) {
                _ if DEFAULT_REGISTRIES.iter().any(|r| url.starts_with(r)) => purl,
                Some(i) => purl.qualifier("repository_url", &url[..i]),
                None => purl.qualifier("download_url", url),
            };
            package.purl = Some(purl.to_string());
            package.external_references.push(ExternalReference {
                kind: ReferenceKind::Distribution,
                url: url.to_owned(),
                hashes: package.hashes.clone(),
            });
        }
        // Bundled packages and some v1 entries carry no `resolved`: still registry packages.
        None => package.purl = Some(purl.to_string()),
    }
    package.scope = if node.dev {
        Scope::Excluded
    } else if node.optional {
        Scope::Optional
    } else {
        Scope::Required
    };
    let mut property =
        |name: &str, value: &str| package.properties.push((name.to_owned(), value.to_owned()));
    if !node.location.is_empty() {
        property("cdx:npm:package:path", &node.location);
    }
    if node.bundled {
        property("cdx:npm:package:bundled", "true");
    }
    if node.extraneous {
        property("cdx:npm:package:extraneous", "true");
    }
    Ok(package)
}

fn is_git(url: &str) -> bool {
    url.starts_with("git+") || url.starts_with("git:") || url.starts_with("github:")
}

/// Subresource Integrity (`sha512-<base64> sha1-<base64>`) → hex hashes.
fn parse_integrity(text: &str) -> Option<Vec<Hash>> {
    let mut hashes = Vec::new();
    for token in text.split_whitespace() {
        let token = token.split_once('?').map_or(token, |(t, _)| t);
        let (alg, digest) = token.split_once('-')?;
        let alg = match alg {
            "sha1" => HashAlg::Sha1,
            "sha256" => HashAlg::Sha256,
            "sha384" => HashAlg::Sha384,
            "sha512" => HashAlg::Sha512,
            _ => return None,
        };
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(digest)
            .ok()?;
        hashes.push(Hash::from_bytes(alg, &bytes)?);
    }
    hashes.sort();
    hashes.dedup();
    (!hashes.is_empty()).then_some(hashes)
}

#[cfg(test)]
#[path = "npm_tests.rs"]
mod tests;
