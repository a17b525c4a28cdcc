//! npm `package-lock.json` / `npm-shrinkwrap.json` (v1–v3) → [`DepGraph`].
//!
//! v2 and v3 files are read from their flat `packages` map (v1 files from the nested
//! `dependencies` tree, see `npm_v1`); both become a list of [`Node`]s keyed by install
//! location, and edges are found with Node's own resolution walk: from a package's location
//! look in `node_modules` there, then in each ancestor's up to the root (a folder itself named
//! `node_modules` has none). Links (workspaces, `file:` dependencies) resolve to their target.
//! A required dependency that cannot be found is a warning, not an error: lockfiles in the wild
//! are often slightly inconsistent and users need an SBOM anyway (the complaint most often made
//! about `npm ls`-based tools).
//!
//! Local folders (the root, workspaces, `file:` targets, wherever they sit, even inside another
//! folder's `node_modules`) get no purl. Git dependencies get a `vcs_url` with a full URL, npm's
//! hosted shorthands (`github:o/r#sha`, `gitlab:`, `bitbucket:`, `gist:`) expanded as npm
//! would fetch them. A malformed `integrity` is left out with a warning and a
//! `supply:integrity:invalid` property saying why, as npm reads such a file and refetches.

use std::borrow::Cow;
// foldhash, seeded per process: SipHash over tens of thousands of install paths (the index and
// Node's lookup walk) was a twentieth of a large lockfile's run.
use foldhash::{HashMap, HashSet};

use serde::Deserialize;

use super::de::{KeySet, Text, json_error, unique_entries};
use super::graph::{self, DepGraph, ExternalReference, Package, ReferenceKind, Scope};
use super::{Ecosystem, LockfileError, npm_v1};
use crate::purl::Purl;

const DEFAULT_REGISTRIES: [&str; 2] = [
    "https://registry.npmjs.org/",
    "https://registry.yarnpkg.com/",
];

// Strings are borrowed from the text (see `Text`); the graph owns its own copies.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLock<'a> {
    name: Option<String>,
    version: Option<String>,
    lockfile_version: Option<serde_json::Value>,
    #[serde(borrow)]
    packages: Option<Nodes<'a>>,
}

/// The `packages` map, each entry made a [`Node`] as it is read (duplicate locations refused).
struct Nodes<'a>(Vec<Node<'a>>);

impl<'de: 'a, 'a> Deserialize<'de> for Nodes<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodesVisitor<'a>(std::marker::PhantomData<&'a ()>);

        impl<'de: 'a, 'a> serde::de::Visitor<'de> for NodesVisitor<'a> {
            type Value = Nodes<'a>;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                access: A,
            ) -> Result<Self::Value, A::Error> {
                let convert = |location: Text<'a>, entry: RawEntry<'a>| to_node(location.0, entry);
                unique_entries(access, convert, |node: &Node<'a>| &node.location).map(Nodes)
            }
        }

        deserializer.deserialize_map(NodesVisitor(std::marker::PhantomData))
    }
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntry<'a> {
    #[serde(borrow)]
    name: Option<Text<'a>>,
    #[serde(borrow)]
    version: Option<Text<'a>>,
    #[serde(borrow)]
    resolved: Option<Text<'a>>,
    #[serde(borrow)]
    integrity: Option<Text<'a>>,
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
    #[serde(default, borrow)]
    dependencies: KeySet<Text<'a>>,
    #[serde(default, borrow)]
    optional_dependencies: KeySet<Text<'a>>,
    #[serde(default, borrow)]
    peer_dependencies: KeySet<Text<'a>>,
    #[serde(default, borrow)]
    dev_dependencies: KeySet<Text<'a>>,
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

/// One install location, whatever the lockfile version; text borrowed from the lockfile where
/// it can be.
#[derive(Default)]
pub(super) struct Node<'a> {
    pub(super) location: Cow<'a, str>,
    pub(super) name: Cow<'a, str>,
    pub(super) version: Option<Cow<'a, str>>,
    pub(super) resolved: Option<Cow<'a, str>>,
    pub(super) integrity: Option<Cow<'a, str>>,
    pub(super) license: Option<String>,
    /// For a link: the location of its target.
    pub(super) link_target: Option<Cow<'a, str>>,
    pub(super) dev: bool,
    pub(super) optional: bool,
    pub(super) bundled: bool,
    pub(super) extraneous: bool,
    /// Dependencies that must be present (names).
    pub(super) required: Vec<Cow<'a, str>>,
    /// Dependencies that may be absent: optional and peer dependencies (names).
    pub(super) maybe_absent: Vec<Cow<'a, str>>,
}

/// Parses package-lock text of any version.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let raw: RawLock<'_> = serde_json::from_str(text).map_err(|e| json_error(&e))?;
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
    let mut nodes = packages.0;
    // npm leaves the root entry's `name`/`version` out when they are the top-level ones.
    if let Some(root) = nodes.iter_mut().find(|n| n.location.is_empty()) {
        if root.name.is_empty() {
            root.name = raw.name.unwrap_or_else(|| "root".to_owned()).into();
        }
        if root.version.is_none() {
            root.version = raw.version.map(Cow::Owned);
        }
    }
    let format_version = version.map_or_else(|| "unknown".to_owned(), |v| v.to_string());
    build(nodes, format_version)
}

fn to_node<'a>(location: Cow<'a, str>, entry: RawEntry<'a>) -> Node<'a> {
    fn names<'a>(keys: KeySet<Text<'a>>) -> impl Iterator<Item = Cow<'a, str>> {
        keys.0.into_iter().map(|(k, _)| k.0)
    }
    let is_top = !is_installed(&location);
    let name = match entry.name {
        Some(name) => name.0,
        None => match &location {
            Cow::Borrowed(location) => Cow::Borrowed(name_from_location(location)),
            Cow::Owned(location) => Cow::Owned(name_from_location(location).to_owned()),
        },
    };
    let mut required: Vec<Cow<'a, str>> = names(entry.dependencies).collect();
    if is_top {
        required.extend(names(entry.dev_dependencies));
    }
    let maybe_absent = names(entry.optional_dependencies)
        .chain(names(entry.peer_dependencies))
        .collect();
    let resolved = entry.resolved.map(|r| r.0);
    Node {
        link_target: entry.link.then(|| resolved.clone().unwrap_or_default()),
        location,
        name,
        version: entry.version.map(|v| v.0),
        resolved,
        integrity: entry.integrity.map(|i| i.0),
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

/// npm's name of a folder: its own name, with its parent's when that is a `@scope`.
fn name_from_location(location: &str) -> &str {
    let mut parts = location.rsplitn(3, '/');
    let base = parts.next().unwrap_or(location);
    match parts.next() {
        Some(scope) if scope.starts_with('@') => {
            let start = location.len() - base.len() - scope.len() - 1;
            location.get(start..).unwrap_or(base)
        }
        _ => base,
    }
}

/// Builds the graph from install locations, shared by all lockfile versions.
pub(super) fn build(
    nodes: Vec<Node<'_>>,
    format_version: String,
) -> Result<DepGraph, LockfileError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (&*n.location, i))
        .collect();
    let mut graph = DepGraph::new(Ecosystem::Npm, format_version);
    let link_targets: HashSet<&str> = nodes
        .iter()
        .filter_map(|n| n.link_target.as_deref())
        .collect();
    graph.packages.reserve_exact(nodes.len());
    let mut package_of: Vec<Option<usize>> = vec![None; nodes.len()];
    let mut candidate = String::new();
    for (i, node) in nodes.iter().enumerate() {
        if node.link_target.is_none() {
            package_of[i] = Some(graph.packages.len());
            let linked = link_targets.contains(&*node.location);
            let package = to_package(node, linked, &mut graph.warnings)?;
            graph.packages.push(package);
        }
    }
    // A link stands for its target; follow one level (npm never links to a link).
    let target_of = |i: usize| -> Option<usize> {
        match &nodes[i].link_target {
            None => package_of[i],
            Some(target) => index.get(&**target).and_then(|&t| package_of[t]),
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
            match find(&index, &node.location, name, &mut candidate).and_then(target_of) {
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

/// Node's lookup: `<dir>/node_modules/<name>` from the package's own directory up to the root,
/// skipping directories that are themselves named `node_modules`, as Node does (`candidate`: a
/// buffer kept between lookups).
fn find(
    index: &HashMap<&str, usize>,
    from: &str,
    name: &str,
    candidate: &mut String,
) -> Option<usize> {
    let mut base = from;
    loop {
        let (parent, last) = base.rsplit_once('/').unwrap_or(("", base));
        if last != "node_modules" {
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
        }
        if base.is_empty() {
            return None;
        }
        base = parent;
    }
}

/// `linked`: a link points here, so this is a local folder wherever it sits.
fn to_package(
    node: &Node<'_>,
    linked: bool,
    warnings: &mut Vec<String>,
) -> Result<Package, LockfileError> {
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: display_location(&node.location).to_owned(),
        field,
        value: value.to_owned(),
        reason,
    };
    let (group, name) = match node.name.split_once('/') {
        Some((scope, name)) if scope.starts_with('@') => (Some(scope.to_owned()), name.to_owned()),
        _ => (None, node.name.clone().into_owned()),
    };
    if name.is_empty() {
        return Err(invalid("name", &node.name, "empty"));
    }
    let mut package = Package {
        name: name.clone(),
        group: group.clone(),
        version: node.version.as_deref().map(str::to_owned),
        license: node.license.clone(),
        ..Package::default()
    };
    if let Some(integrity) = &node.integrity {
        let (hashes, problems) = graph::parse_sri(integrity);
        package.hashes = hashes;
        for problem in problems {
            warnings.push(format!(
                "`{}` has an invalid `integrity` {integrity:?} ({problem}): that hash is left out; \
                 npm would refetch the package",
                display_location(&node.location)
            ));
            package
                .properties
                .push(("supply:integrity:invalid".into(), problem));
        }
    }
    let mut purl = Purl::new("npm", &name).version(node.version.as_deref());
    if let Some(scope) = &group {
        purl = purl.namespace(scope.as_str());
    }
    let resolved = node
        .resolved
        .as_deref()
        .map(|r| match expand_git_shorthand(r) {
            Some(url) => graph::strip_credentials(&url),
            None => graph::strip_credentials(r),
        });
    let local = linked
        || !is_installed(&node.location)
        || resolved
            .as_deref()
            .is_some_and(|r| r.starts_with("file:") || !r.contains(':'));
    // The URL moves into the one external reference; lists get exactly the room they need,
    // as thousands of packages each reserving four slots was a megabyte of fresh memory.
    match resolved {
        _ if local => {
            package.local = Some(if node.location.is_empty() {
                ".".into()
            } else {
                node.location.clone().into_owned()
            })
        }
        Some(url) if is_git(&url) => {
            let vcs_url = match url.rsplit_once('#') {
                Some((repository, commit)) => format!("{repository}@{commit}"),
                None => url.clone(),
            };
            package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
            package.external_references = vec![ExternalReference {
                kind: ReferenceKind::Vcs,
                url,
                hashes: Vec::new(),
            }];
        }
        Some(url) => {
            let purl = if DEFAULT_REGISTRIES.iter().any(|r| url.starts_with(r)) {
                purl
            } else {
                match registry_of(&url, &node.name) {
                    Some(registry) => purl.qualifier("repository_url", registry),
                    None => purl.qualifier("download_url", &url),
                }
            };
            package.purl = Some(purl.to_string());
            package.external_references = vec![ExternalReference {
                kind: ReferenceKind::Distribution,
                url,
                hashes: package.hashes.clone(),
            }];
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
    // Listed once, so that the room reserved is exactly what is added.
    let properties = [
        (!node.location.is_empty()).then_some(("cdx:npm:package:path", &*node.location)),
        node.bundled.then_some(("cdx:npm:package:bundled", "true")),
        node.extraneous
            .then_some(("cdx:npm:package:extraneous", "true")),
    ];
    let properties = properties.into_iter().flatten();
    package.properties.reserve_exact(properties.clone().count());
    package
        .properties
        .extend(properties.map(|(k, v)| (k.to_owned(), v.to_owned())));
    Ok(package)
}

/// The registry a tarball URL comes from: what precedes `/<name>/-/`.
fn registry_of<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    url.match_indices("/-/").find_map(|(at, _)| {
        let before = url.get(..at)?.strip_suffix(name)?;
        before.strip_suffix('/')
    })
}

pub(super) fn is_git(url: &str) -> bool {
    ["git+", "git:", "github:", "gitlab:", "bitbucket:", "gist:"]
        .iter()
        .any(|prefix| url.starts_with(prefix))
}

/// npm's hosted-git shorthands → the `git+https://` URL npm fetches: `github:o/r#sha` →
/// `git+https://github.com/o/r.git#sha` (likewise `gitlab:` with subgroups, `bitbucket:`,
/// `gist:<id>`). `None` for anything else, or a path with characters no such host allows.
pub(super) fn expand_git_shorthand(spec: &str) -> Option<String> {
    const HOSTS: [(&str, &str); 4] = [
        ("github:", "github.com"),
        ("gitlab:", "gitlab.com"),
        ("bitbucket:", "bitbucket.org"),
        ("gist:", "gist.github.com"),
    ];
    let (prefix, host) = HOSTS.iter().find(|(prefix, _)| spec.starts_with(prefix))?;
    let rest = spec.get(prefix.len()..)?;
    let (path, commit) = rest
        .split_once('#')
        .map_or((rest, None), |(p, c)| (p, Some(c)));
    let path = path.strip_suffix(".git").unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let valid_segment = |s: &&str| {
        !s.is_empty()
            && !s.starts_with('.')
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    let wanted = if *prefix == "gist:" { 1 } else { 2 };
    if segments.len() < wanted || !segments.iter().all(valid_segment) {
        return None;
    }
    let mut url = format!("git+https://{host}/{path}.git");
    if let Some(commit) = commit.filter(|c| !c.is_empty()) {
        url.push('#');
        url.push_str(commit);
    }
    Some(url)
}

#[cfg(test)]
#[path = "npm_tests.rs"]
mod tests;
