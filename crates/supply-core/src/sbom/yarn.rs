//! `yarn.lock` → [`DepGraph`]: Yarn classic (`# yarn lockfile v1`, its own indentation syntax,
//! read by `yarn_v1`) and Yarn Berry (v2+, YAML with `__metadata`, read by `yarn_berry`).
//!
//! Both formats map descriptors (`name@range`, several per entry) to one resolved package, and
//! a dependency `name: range` is found by its descriptor. What both share lives here: purls,
//! SRI hashes, git sources and scopes.
//!
//! Decisions:
//! - **Scope** comes from reachability from the roots: `required` through plain dependencies,
//!   `optional` when only optional edges reach a package (v1 `optionalDependencies`, Berry
//!   `dependenciesMeta.<name>.optional`). Neither format records which dependencies are for
//!   development: v1 leaves the manifests out altogether and Berry merges a workspace's
//!   `devDependencies` into its `dependencies`. So nothing is ever scoped `excluded`; we do not
//!   guess from package names or read `package.json` (parsing is pure and the lockfile alone is
//!   the contract). This is a limitation of the format, not an inconsistency, so it is
//!   documented here rather than repeated as a warning on every yarn lockfile.
//! - **Roots**: Berry's root workspace (`workspace:.`), which depends on every other workspace
//!   (they are all part of the project). v1 has no entry for the project, so a local package
//!   named `root` (`local: "."`, property `supply:yarn:synthetic-root`) stands for it. Its direct
//!   dependencies are the entries with a descriptor that no entry requests: only a manifest
//!   (the root's or a workspace's) can have asked for those. A manifest range that a package
//!   also requests merges into that package's descriptor and cannot be told apart; such a
//!   package is still in the tree, through its dependent.
//! - **Hashes**: v1 `integrity` (SRI) is the tarball's digest, so it becomes component hashes;
//!   without it, the SHA-1 in a tarball URL's fragment (`#<sha1>`) is used. Berry's `checksum`
//!   digests Yarn's own zip cache archive, not the tarball, so it is kept verbatim as the
//!   property `supply:yarn:checksum` and never as a hash.
//! - **Patches** (Berry `patch:`): the component is the underlying package (same purl, so
//!   matchers still find it), with the property `supply:yarn:patch` holding the patch selector
//!   (a patch file path or `optional!builtin<compat/…>`). The patched and unpatched entries share
//!   their scope, since Yarn installs the one in place of the other.
//! - **Aliases** (`alias@npm:real@range`): the component is the real package; the alias name is
//!   the property `supply:yarn:alias`.

use std::collections::VecDeque;

use super::graph::{self, DepGraph, ExternalReference, Hash, Package, Scope};
use super::{Ecosystem, LockfileError};
use crate::purl::Purl;

#[path = "yarn_berry.rs"]
mod berry;
#[path = "yarn_v1.rs"]
mod v1;

/// Registries whose tarball URLs need no `repository_url` qualifier.
const DEFAULT_REGISTRIES: [&str; 2] = [
    "https://registry.npmjs.org/",
    "https://registry.yarnpkg.com/",
];

/// What `UnsupportedVersion` says we read.
const SUPPORTED: &str = "classic v1 and Berry (__metadata version 4 to 10)";

/// Parses `yarn.lock` text of either format.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let mut header_version = None;
    for line in text.trim_start_matches('\u{feff}').lines() {
        let line = line.trim_end_matches('\r');
        if line.starts_with("__metadata:") {
            return berry::parse(text);
        }
        if let Some(version) = line.strip_prefix("# yarn lockfile v") {
            header_version = Some(version.trim());
        } else if !line.trim().is_empty() && !line.starts_with('#') {
            break;
        }
    }
    match header_version {
        Some("1") => v1::parse(text),
        Some(other) => Err(LockfileError::UnsupportedVersion {
            found: other.to_owned(),
            supported: SUPPORTED,
        }),
        None => Err(LockfileError::at_offset(
            text,
            0,
            "not a yarn lockfile: neither a `# yarn lockfile v1` header nor `__metadata`",
        )),
    }
}

/// `name@range` → `(name, range)`. A scoped name starts with `@`, so the separator is the first
/// `@` after the first character; `None` without one.
pub(super) fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let mut chars = descriptor.char_indices();
    chars.next()?;
    let (at, _) = chars.find(|&(_, c)| c == '@')?;
    let (name, range) = descriptor.split_at_checked(at)?;
    Some((name, range.get(1..)?))
}

/// The package an alias range (`npm:real@range`) installs; `None` for a plain range
/// (`npm:^1.2.0`, `npm:latest`).
pub(super) fn alias_name(range: &str) -> Option<&str> {
    let (name, _) = split_descriptor(range.strip_prefix("npm:")?)?;
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '@' | '/' | '-' | '_' | '.');
    name.chars().all(plain).then_some(name)
}

/// A package with its npm name split into scope and name; no purl yet.
pub(super) fn named_package(full_name: &str, version: Option<&str>) -> Package {
    let (group, name) = match full_name.split_once('/') {
        Some((scope, name)) if scope.starts_with('@') => (Some(scope.to_owned()), name),
        _ => (None, full_name),
    };
    Package {
        name: name.to_owned(),
        group,
        version: version.map(str::to_owned),
        ..Package::default()
    }
}

/// The npm purl of a package built by [`named_package`].
pub(super) fn npm_purl(package: &Package) -> Purl {
    let purl = Purl::new("npm", &package.name).version(package.version.as_deref());
    match &package.group {
        Some(scope) => purl.namespace(scope.as_str()),
        None => purl,
    }
}

/// A registry package downloaded from `url` (credentials already removed): the purl says which
/// registry when it is not the default one, as npm's parser does.
pub(super) fn set_tarball(package: &mut Package, full_name: &str, url: &str) {
    let purl = npm_purl(package);
    let purl = match url.find(&format!("/{full_name}/-/")) {
        _ if DEFAULT_REGISTRIES.iter().any(|r| url.starts_with(r)) => purl,
        Some(i) => purl.qualifier("repository_url", url.get(..i).unwrap_or(url)),
        None => purl.qualifier("download_url", url),
    };
    package.purl = Some(purl.to_string());
    package.external_references.push(ExternalReference {
        kind: graph::ReferenceKind::Distribution,
        url: url.to_owned(),
        hashes: package.hashes.clone(),
    });
}

/// A package fetched from git at `commit`: purl `vcs_url` and a `vcs` reference.
pub(super) fn set_git(package: &mut Package, repository: &str, commit: &str) {
    let purl = npm_purl(package);
    let source = if repository.starts_with("git") {
        // Already a git URL (`git://`, `git+ssh://`): the SPDX form needs no extra `git+`.
        let reference = ExternalReference {
            kind: graph::ReferenceKind::Vcs,
            url: graph::strip_credentials(&format!("{repository}#{commit}")),
            hashes: Vec::new(),
        };
        Some((
            graph::strip_credentials(&format!("{repository}@{commit}")),
            reference,
        ))
    } else {
        graph::git_source(&format!("{repository}#{commit}"))
            .map(|(vcs_url, reference)| (graph::strip_credentials(&vcs_url), reference))
    };
    match source {
        Some((vcs_url, reference)) => {
            package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
            package.external_references.push(reference);
        }
        None => package.purl = Some(purl.to_string()),
    }
}

/// Subresource Integrity (`sha512-<base64> sha1-<base64>`) → hashes; `None` if any token is
/// not one we know (an unknown algorithm must not be silently dropped).
pub(super) fn parse_integrity(text: &str) -> Option<Vec<Hash>> {
    let (hashes, problems) = super::graph::parse_sri(text);
    problems.is_empty().then_some(hashes)
}

/// A dependency edge between two package indices.
#[derive(Clone, Copy)]
pub(super) struct Edge {
    pub(super) from: usize,
    pub(super) to: usize,
    /// Only needed when an optional dependency is installed.
    pub(super) optional: bool,
}

/// Adds the synthetic project root (v1, or a Berry file without a root workspace) at the end of
/// `graph.packages`: it depends on `direct`, then on the first package of each part of the
/// graph still unreached (cycles), so that every package is in the tree. Returns its index.
pub(super) fn add_synthetic_root(
    graph: &mut DepGraph,
    edges: &mut Vec<Edge>,
    mut direct: Vec<usize>,
) -> usize {
    let root = graph.packages.len();
    graph.packages.push(Package {
        name: "root".into(),
        local: Some(".".into()),
        properties: vec![("supply:yarn:synthetic-root".into(), "true".into())],
        ..Package::default()
    });
    let adjacency = adjacency(root + 1, edges, &[], true);
    let mut reached = vec![false; root + 1];
    mark(&adjacency, &direct, &mut reached);
    for i in 0..root {
        if !reached[i] {
            direct.push(i);
            mark(&adjacency, &[i], &mut reached);
        }
    }
    edges.extend(direct.into_iter().map(|to| Edge {
        from: root,
        to,
        optional: false,
    }));
    root
}

/// Packages that no edge points to.
pub(super) fn without_dependents(count: usize, edges: &[Edge]) -> Vec<usize> {
    let mut has_dependent = vec![false; count];
    for edge in edges.iter().filter(|e| e.from != e.to) {
        if let Some(flag) = has_dependent.get_mut(edge.to) {
            *flag = true;
        }
    }
    (0..count).filter(|&i| !has_dependent[i]).collect()
}

/// Sets each package's scope from what the roots reach, writes the edges and roots into the
/// graph and finishes it. `twins` are pairs that are one installed package (patched and
/// unpatched) and so share a scope. Packages no root reaches stay `required`, with a warning.
pub(super) fn finish(
    mut graph: DepGraph,
    edges: &[Edge],
    twins: &[(usize, usize)],
    roots: Vec<usize>,
) -> DepGraph {
    let count = graph.packages.len();
    let mut required = vec![false; count];
    mark(
        &adjacency(count, edges, twins, false),
        &roots,
        &mut required,
    );
    let mut reached = vec![false; count];
    mark(&adjacency(count, edges, twins, true), &roots, &mut reached);
    let mut unreached = Vec::new();
    for (i, package) in graph.packages.iter_mut().enumerate() {
        package.scope = if required[i] || !reached[i] {
            Scope::Required
        } else {
            Scope::Optional
        };
        if !reached[i] {
            unreached.push(display_name(package));
        }
    }
    if !unreached.is_empty() {
        let shown: Vec<&str> = unreached.iter().take(5).map(String::as_str).collect();
        graph.warnings.push(format!(
            "{} package(s) not reachable from the project, reported as required: {}{}",
            unreached.len(),
            shown.join(", "),
            if unreached.len() > 5 { ", …" } else { "" }
        ));
    }
    graph.edges = edges
        .iter()
        .filter(|e| e.from != e.to)
        .map(|e| (e.from, e.to))
        .collect();
    let mut graph = graph.finish();
    graph.roots = roots;
    graph.roots.sort_unstable();
    graph.roots.dedup();
    graph
}

fn display_name(package: &Package) -> String {
    let name = match &package.group {
        Some(group) => format!("{group}/{}", package.name),
        None => package.name.clone(),
    };
    match &package.version {
        Some(version) => format!("{name}@{version}"),
        None => name,
    }
}

fn adjacency(
    count: usize,
    edges: &[Edge],
    twins: &[(usize, usize)],
    with_optional: bool,
) -> Vec<Vec<usize>> {
    let mut adjacency = vec![Vec::new(); count];
    for edge in edges.iter().filter(|e| with_optional || !e.optional) {
        if let Some(out) = adjacency.get_mut(edge.from) {
            out.push(edge.to);
        }
    }
    for &(a, b) in twins {
        if a < count && b < count {
            adjacency[a].push(b);
            adjacency[b].push(a);
        }
    }
    adjacency
}

fn mark(adjacency: &[Vec<usize>], start: &[usize], reached: &mut [bool]) {
    let mut queue: VecDeque<usize> = start.iter().copied().collect();
    while let Some(i) = queue.pop_front() {
        match reached.get_mut(i) {
            Some(seen) if !*seen => *seen = true,
            _ => continue,
        }
        queue.extend(adjacency.get(i).into_iter().flatten().copied());
    }
}

/// An empty graph of the yarn ecosystem.
pub(super) fn new_graph(format_version: impl Into<String>) -> DepGraph {
    DepGraph::new(Ecosystem::Yarn, format_version)
}

#[cfg(test)]
#[path = "yarn_tests.rs"]
mod tests;
