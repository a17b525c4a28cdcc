//! `pnpm-lock.yaml` (lockfile versions 6.x, written by pnpm 8, and 9.x, written by pnpm 9 and
//! 10) → [`DepGraph`].
//!
//! Every importer (`.` is the root project, the others are workspace members) is a local
//! component. Each package key, with its peer suffix (`(react@18.2.0)`) removed, is one
//! component: the suffixes only tell apart installs that see different peers, so the variants of
//! one `name@version` merge and keep the edges of all of them. v9 splits what v6 keeps in one
//! map: `packages` holds resolutions by plain key, `snapshots` the dependencies by suffixed key.
//!
//! Resolutions: `integrity` only is a registry package (plain purl, SRI digests as hashes); a
//! `tarball` adds a `download_url` qualifier and a distribution reference, except a GitHub
//! codeload tarball, which is a git commit; `type: git` (`repo` + `commit`) gives a `vcs_url`
//! qualifier and a VCS reference (a `path` inside the repository becomes the property
//! `cdx:pnpm:git:path`); `type: directory` and `file:` tarballs are local packages,
//! and so are `link:` targets that are not importers. Aliases (`foo: npm:lodash@…`) are the real
//! package. The lockfile keeps no registry URL, so none is invented.
//!
//! Scope is reachability from the importers, the strongest path winning: through
//! `dependencies` only → required, also through `optionalDependencies` → optional, only through
//! a `devDependencies` section → excluded. v6's own `dev`/`optional` flags are checked against
//! that and a disagreement becomes a warning, as do dependencies the lockfile does not define.

use std::collections::HashMap;

use keys::{codeload, git, integrity, join, split_name, split_scope, strip_peers};

use super::graph::{self, DepGraph, ExternalReference, Package, ReferenceKind, Scope};
use super::yaml::{self, Node};
use super::{Ecosystem, LockfileError};
use crate::purl::Purl;

const SUPPORTED: &str = "6.x (pnpm 8) and 9.x (pnpm 9, 10); 5.x from pnpm 7 and older is not read";

const IMPORTER_SECTIONS: [(&str, Scope); 3] = [
    ("dependencies", Scope::Required),
    ("optionalDependencies", Scope::Optional),
    ("devDependencies", Scope::Excluded),
];

const PACKAGE_SECTIONS: [(&str, Scope); 2] = [
    ("dependencies", Scope::Required),
    ("optionalDependencies", Scope::Optional),
];

/// Parses `pnpm-lock.yaml` text.
pub(crate) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let doc = yaml::parse(text)?;
    if doc.as_map().is_none() {
        return Err(LockfileError::at_offset(
            text,
            0,
            "expected a mapping at the top level",
        ));
    }
    let version = doc.str_at("lockfileVersion").unwrap_or("none");
    let format = match version.split_once('.').unwrap_or((version, "0")) {
        (major, minor) if !minor.is_empty() && minor.bytes().all(|b| b.is_ascii_digit()) => {
            match major {
                "6" => Format::V6,
                "9" => Format::V9,
                _ => return Err(unsupported(version)),
            }
        }
        _ => return Err(unsupported(version)),
    };
    let mut lock = Lock {
        format,
        graph: DepGraph::new(Ecosystem::Pnpm, version),
        by_identity: HashMap::new(),
        importers: HashMap::new(),
        pending: Vec::new(),
        edges: Vec::new(),
        flags: Vec::new(),
    };
    // A single-project v6 lockfile has no `importers`: the root's sections sit at the top.
    let importers: Vec<(&str, &Node)> = match doc.get("importers") {
        Some(node) => entries(node, "(lockfile)", "importers")?
            .iter()
            .map(|(id, node)| (id.as_str(), node))
            .collect(),
        None => vec![(".", &doc)],
    };
    for &(id, node) in &importers {
        let index = lock.push(Package {
            local: Some(id.to_owned()),
            ..Package::default()
        });
        lock.importers.insert(id, index);
        lock.collect(index, id, id, node, &IMPORTER_SECTIONS)?;
    }
    let packages = section(&doc, "packages")?;
    for (key, entry) in packages {
        let index = lock.add_package(key, entry)?;
        if format == Format::V6 {
            lock.collect(index, key, ".", entry, &PACKAGE_SECTIONS)?;
            lock.flags
                .push((index, key, entry.str_at("dev"), entry.str_at("optional")));
        }
    }
    for (key, entry) in section(&doc, "snapshots")? {
        let identity = strip_peers(key);
        let index = match lock.by_identity.get(identity) {
            Some(&index) => index,
            None => {
                lock.graph.warnings.push(format!(
                    "snapshot `{key}` has no entry in `packages`; it is listed without hashes"
                ));
                let package = lock.to_package(key, &Node::Map(Vec::new()), None)?;
                let index = lock.push(package);
                lock.by_identity.insert(identity.to_owned(), index);
                index
            }
        };
        lock.collect(index, key, ".", entry, &PACKAGE_SECTIONS)?;
    }
    lock.link_pending();
    lock.name_importers();
    lock.assign_scopes();
    lock.cross_check();
    Ok(lock.finish())
}

#[derive(Clone, Copy, Eq, PartialEq)]
enum Format {
    V6,
    V9,
}

/// A dependency as written, resolved once every package is known.
struct Pending<'a> {
    from: usize,
    from_key: &'a str,
    /// The importer a `link:` path is relative to.
    base: &'a str,
    name: &'a str,
    reference: &'a str,
    scope: Scope,
}

struct Lock<'a> {
    format: Format,
    graph: DepGraph,
    /// Components by package key without peer suffix, and by `link:<path>`.
    by_identity: HashMap<String, usize>,
    importers: HashMap<&'a str, usize>,
    pending: Vec<Pending<'a>>,
    edges: Vec<(usize, usize, Scope)>,
    /// v6 `dev` and `optional` flags, per package key.
    flags: Vec<(usize, &'a str, Option<&'a str>, Option<&'a str>)>,
}

impl<'a> Lock<'a> {
    fn push(&mut self, package: Package) -> usize {
        self.graph.packages.push(package);
        self.graph.packages.len() - 1
    }

    fn collect(
        &mut self,
        from: usize,
        from_key: &'a str,
        base: &'a str,
        node: &'a Node,
        sections: &[(&'static str, Scope)],
    ) -> Result<(), LockfileError> {
        for &(field, scope) in sections {
            let Some(section) = node.get(field) else {
                continue;
            };
            for (name, value) in entries(section, from_key, field)? {
                // Importers write `{specifier, version}`, packages the version alone.
                let reference = value.str_at("version").or_else(|| value.as_str());
                let reference =
                    reference.ok_or_else(|| invalid(from_key, field, name, "no version"))?;
                self.pending.push(Pending {
                    from,
                    from_key,
                    base,
                    name,
                    reference,
                    scope,
                });
            }
        }
        Ok(())
    }

    fn add_package(&mut self, key: &str, entry: &Node) -> Result<usize, LockfileError> {
        let identity = strip_peers(key);
        let resolution = entry
            .get("resolution")
            .ok_or_else(|| invalid(key, "resolution", "", "missing"))?;
        if let Some(&index) = self.by_identity.get(identity) {
            let hashes = integrity(key, resolution)?;
            if hashes != self.graph.packages[index].hashes {
                self.graph.warnings.push(format!(
                    "`{key}` has another integrity than the other peer variants of `{identity}`"
                ));
            }
            return Ok(index);
        }
        let package = self.to_package(key, entry, Some(resolution))?;
        let index = self.push(package);
        self.by_identity.insert(identity.to_owned(), index);
        Ok(index)
    }

    /// A package from its key and entry; without a resolution it is taken as a registry package.
    fn to_package(
        &self,
        key: &str,
        entry: &Node,
        resolution: Option<&Node>,
    ) -> Result<Package, LockfileError> {
        let identity = strip_peers(key);
        let (key_name, reference) = match (self.format, identity.strip_prefix('/')) {
            (Format::V6, Some(rest)) => split_name(rest),
            (Format::V6, None) => (None, identity),
            (Format::V9, _) => split_name(identity),
        };
        let full_name = entry
            .str_at("name")
            .or(key_name)
            .filter(|name| !name.is_empty())
            .ok_or_else(|| invalid(key, "name", identity, "the key names no package"))?;
        let version = entry.str_at("version").or_else(|| {
            (!reference.is_empty() && !reference.contains([':', '/'])).then_some(reference)
        });
        let (group, name) = split_scope(full_name);
        let mut purl = Purl::new("npm", name).version(version);
        if let Some(group) = group {
            purl = purl.namespace(group);
        }
        let mut package = Package {
            name: name.to_owned(),
            group: group.map(str::to_owned),
            version: version.map(str::to_owned),
            ..Package::default()
        };
        let Some(resolution) = resolution else {
            package.purl = Some(purl.to_string());
            return Ok(package);
        };
        package.hashes = integrity(key, resolution)?;
        let field = |name| resolution.str_at(name).filter(|value| !value.is_empty());
        match (field("type"), field("tarball")) {
            (Some("directory"), _) => {
                let directory =
                    field("directory").ok_or_else(|| invalid(key, "directory", "", "missing"))?;
                package.local = Some(format!("file:{directory}"));
            }
            (Some("git"), _) => {
                let repo = field("repo").ok_or_else(|| invalid(key, "repo", "", "missing"))?;
                let commit = field("commit").unwrap_or_default();
                let (vcs_url, reference) = git(repo, commit)
                    .ok_or_else(|| invalid(key, "commit", commit, "not a commit id"))?;
                package.purl = Some(purl.qualifier("vcs_url", vcs_url).to_string());
                package.external_references.push(reference);
                if let Some(path) = field("path") {
                    let path = path.to_owned();
                    package.properties.push(("cdx:pnpm:git:path".into(), path));
                }
            }
            (Some(other), _) => {
                return Err(invalid(
                    key,
                    "type",
                    other,
                    "not a git or directory resolution",
                ));
            }
            (None, Some(tarball)) if tarball.starts_with("file:") => {
                package.local = Some(tarball.to_owned());
            }
            (None, Some(tarball)) => {
                let url = graph::strip_credentials(tarball);
                let purl = match codeload(&url).and_then(|(repo, commit)| git(&repo, commit)) {
                    Some((vcs_url, reference)) => {
                        package.external_references.push(reference);
                        purl.qualifier("vcs_url", vcs_url)
                    }
                    None => purl.qualifier("download_url", url.clone()),
                };
                package.purl = Some(purl.to_string());
                package.external_references.push(ExternalReference {
                    kind: ReferenceKind::Distribution,
                    url,
                    hashes: package.hashes.clone(),
                });
            }
            (None, None) if !package.hashes.is_empty() => package.purl = Some(purl.to_string()),
            (None, None) => {
                return Err(invalid(
                    key,
                    "resolution",
                    "",
                    "neither an integrity, a tarball, a git commit nor a directory",
                ));
            }
        }
        Ok(package)
    }

    fn link_pending(&mut self) {
        for dependency in std::mem::take(&mut self.pending) {
            match self.target(&dependency) {
                Some(to) if to != dependency.from => {
                    self.edges.push((dependency.from, to, dependency.scope));
                    self.graph.edges.push((dependency.from, to));
                }
                Some(_) => {}
                None => self.graph.warnings.push(format!(
                    "`{}` depends on `{}` ({}), which the lockfile does not define",
                    dependency.from_key, dependency.name, dependency.reference
                )),
            }
        }
    }

    fn target(&mut self, dependency: &Pending<'a>) -> Option<usize> {
        let (name, reference) = (dependency.name, dependency.reference);
        if let Some(path) = reference.strip_prefix("link:") {
            let path = join(dependency.base, path);
            if let Some(&index) = self.importers.get(path.as_str()) {
                let member = &mut self.graph.packages[index];
                if member.name.is_empty() {
                    let (group, name) = split_scope(name);
                    member.group = group.map(str::to_owned);
                    member.name = name.to_owned();
                }
                return Some(index);
            }
            let id = format!("link:{path}");
            if let Some(&index) = self.by_identity.get(&id) {
                return Some(index);
            }
            let (group, short) = split_scope(name);
            let index = self.push(Package {
                name: short.to_owned(),
                group: group.map(str::to_owned),
                local: Some(id.clone()),
                ..Package::default()
            });
            self.by_identity.insert(id, index);
            return Some(index);
        }
        // `name@version` (v9) or `/name@version` (v6), unless the reference is a whole key: an
        // alias (`lodash@4.17.21`, v6 `/lodash@4.17.21`) or a non-registry key.
        let derived = match self.format {
            Format::V9 => format!("{name}@{reference}"),
            Format::V6 => format!("/{name}@{reference}"),
        };
        let whole_key = match self.format {
            Format::V9 => {
                let at = reference.get(1..).and_then(|r| r.find('@')).map(|i| i + 1);
                let stop = reference.find([':', '(']).unwrap_or(reference.len());
                at.is_some_and(|at| at < stop)
            }
            Format::V6 => {
                reference.starts_with('/')
                    || reference.starts_with("file:")
                    || strip_peers(reference).contains('/')
            }
        };
        let (first, second) = if whole_key {
            (reference, derived.as_str())
        } else {
            (derived.as_str(), reference)
        };
        [first, second]
            .into_iter()
            .find_map(|key| self.by_identity.get(strip_peers(key)).copied())
    }

    /// Members no link names keep their path's last segment; the root project, whose name
    /// pnpm-lock.yaml does not record, gets the builder's stable default (never the name of
    /// the folder it was cloned into).
    fn name_importers(&mut self) {
        for (&id, &index) in &self.importers {
            let package = &mut self.graph.packages[index];
            if package.name.is_empty() {
                package.name = if id == "." {
                    super::discover::DEFAULT_ROOT_NAME.to_owned()
                } else {
                    id.rsplit('/').next().unwrap_or(id).to_owned()
                };
            }
        }
    }

    fn assign_scopes(&mut self) {
        let count = self.graph.packages.len();
        let mut adjacency: Vec<Vec<(usize, Scope)>> = vec![Vec::new(); count];
        for &(from, to, scope) in &self.edges {
            adjacency[from].push((to, scope));
        }
        let mut best: Vec<Option<Scope>> = vec![None; count];
        for limit in [Scope::Required, Scope::Optional, Scope::Excluded] {
            let mut seen = vec![false; count];
            let mut stack: Vec<usize> = self.importers.values().copied().collect();
            while let Some(index) = stack.pop() {
                if std::mem::replace(&mut seen[index], true) {
                    continue;
                }
                best[index].get_or_insert(limit);
                let next = adjacency[index].iter().filter(|&&(_, s)| s <= limit);
                stack.extend(next.map(|&(to, _)| to));
            }
        }
        for (package, scope) in self.graph.packages.iter_mut().zip(best) {
            // Nothing reaches it: keep it, conservatively, as required.
            package.scope = scope.unwrap_or(Scope::Required);
        }
    }

    /// pnpm flags each v6 key; the variants of one component are judged together.
    fn cross_check(&mut self) {
        // Per component: (key, every variant `dev: true`, some `dev: false`, every `optional`).
        let mut merged: Vec<Option<(&str, bool, bool, bool)>> =
            vec![None; self.graph.packages.len()];
        for &(index, key, dev, optional) in &self.flags {
            let (dev_only, production, optional) = (
                dev == Some("true"),
                dev == Some("false"),
                optional == Some("true"),
            );
            let entry = merged[index].get_or_insert((strip_peers(key), true, false, true));
            entry.1 &= dev_only;
            entry.2 |= production;
            entry.3 &= optional;
        }
        for (package, flags) in self.graph.packages.iter().zip(merged) {
            let Some((identity, dev_only, production, optional)) = flags else {
                continue;
            };
            let scope = package.scope;
            let disagreement = if dev_only && scope != Scope::Excluded {
                "dev-only, but a production path reaches it"
            } else if production && scope == Scope::Excluded {
                "as a production dependency, but only development paths reach it"
            } else if optional && scope == Scope::Required {
                "optional, but a required path reaches it"
            } else {
                continue;
            };
            self.graph.warnings.push(format!(
                "pnpm marks `{identity}` {disagreement} from the importers; using {scope:?}"
            ));
        }
    }

    /// The root is the project at `.`; members that no other importer reaches stand beside it
    /// (and, should members only reach each other in a cycle, the first of them).
    fn finish(self) -> DepGraph {
        let mut graph = self.graph.finish();
        let mut importers: Vec<usize> = self.importers.values().copied().collect();
        importers.sort_unstable();
        let root = self.importers.get(".").copied();
        let reaches: Vec<Vec<bool>> = importers.iter().map(|&i| reachable(&graph, i)).collect();
        let reached_by_other = |m: usize| {
            importers
                .iter()
                .zip(&reaches)
                .any(|(&other, r)| other != m && r[m])
        };
        let mut roots: Vec<usize> = importers
            .iter()
            .copied()
            .filter(|&m| Some(m) == root || !reached_by_other(m))
            .collect();
        let mut covered = vec![false; graph.packages.len()];
        for (&importer, reached) in importers.iter().zip(&reaches) {
            if roots.contains(&importer) {
                covered.iter_mut().zip(reached).for_each(|(c, &r)| *c |= r);
            }
        }
        for (&importer, reached) in importers.iter().zip(&reaches) {
            if !covered[importer] {
                roots.push(importer);
                covered.iter_mut().zip(reached).for_each(|(c, &r)| *c |= r);
            }
        }
        roots.sort_unstable();
        graph.roots = roots;
        graph
    }
}

fn reachable(graph: &DepGraph, from: usize) -> Vec<bool> {
    let mut reached = vec![false; graph.packages.len()];
    let mut stack = vec![from];
    while let Some(package) = stack.pop() {
        if std::mem::replace(&mut reached[package], true) {
            continue;
        }
        let start = graph.edges.partition_point(|&(f, _)| f < package);
        let next = graph.edges[start..]
            .iter()
            .take_while(|&&(f, _)| f == package);
        stack.extend(next.map(|&(_, to)| to));
    }
    reached
}

fn unsupported(version: &str) -> LockfileError {
    LockfileError::UnsupportedVersion {
        found: version.to_owned(),
        supported: SUPPORTED,
    }
}

fn invalid(package: &str, field: &'static str, value: &str, reason: &'static str) -> LockfileError {
    LockfileError::InvalidField {
        package: package.to_owned(),
        field,
        value: value.to_owned(),
        reason,
    }
}

/// A top-level map such as `packages`; absent or empty is no entries.
fn section<'n>(doc: &'n Node, field: &'static str) -> Result<&'n [(String, Node)], LockfileError> {
    doc.get(field)
        .map_or(Ok(&[][..]), |node| entries(node, "(lockfile)", field))
}

fn entries<'n>(
    node: &'n Node,
    package: &str,
    field: &'static str,
) -> Result<&'n [(String, Node)], LockfileError> {
    match node {
        Node::Map(entries) => Ok(entries),
        Node::Scalar(text) if text.is_empty() || text == "null" => Ok(&[]),
        _ => Err(invalid(package, field, "", "not a mapping")),
    }
}

#[path = "pnpm_keys.rs"]
mod keys;

#[cfg(test)]
#[path = "pnpm_tests.rs"]
mod tests;
