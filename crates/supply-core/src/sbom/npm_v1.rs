//! npm lockfile v1 (npm 5–6) and older shrinkwraps: the nested `dependencies` tree.
//!
//! Each entry sits at `<parent>/node_modules/<name>`, exactly as npm 7's arborist maps it, and
//! its `requires` are resolved with the same walk as v2/v3 (see `npm`). v1 does not record the
//! root's own dependencies, so the root depends on every top-level package nothing else needs.
//! A git dependency's `version` is its source (`github:o/r#sha`, or bare `o/r#sha`, which npm
//! reads as GitHub), and its `integrity` is the commit, not a hash.

use serde::Deserialize;

use super::LockfileError;
use super::de::{KeySet, UniqueMap, json_error};
use super::graph::DepGraph;
use super::npm::{Node, build, expand_git_shorthand, is_git};

#[derive(Deserialize)]
struct RawLock {
    name: Option<String>,
    version: Option<String>,
    #[serde(default)]
    dependencies: UniqueMap<RawDependency>,
}

#[derive(Deserialize)]
struct RawDependency {
    version: Option<String>,
    resolved: Option<String>,
    integrity: Option<String>,
    #[serde(default)]
    dev: bool,
    #[serde(default)]
    optional: bool,
    #[serde(default)]
    bundled: bool,
    #[serde(default)]
    requires: KeySet,
    #[serde(default)]
    dependencies: UniqueMap<RawDependency>,
}

/// Parses a v1 (or version-less) lockfile.
pub(super) fn parse(text: &str, version: Option<u64>) -> Result<DepGraph, LockfileError> {
    let raw: RawLock = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let mut nodes = vec![Node {
        location: "".into(),
        name: raw.name.unwrap_or_else(|| "root".to_owned()).into(),
        version: raw.version.map(Into::into),
        ..Node::default()
    }];
    flatten("", raw.dependencies, &mut nodes)?;
    let format_version =
        version.map_or_else(|| "0 (no lockfileVersion)".to_owned(), |v| v.to_string());
    let mut graph = build(nodes, format_version)?;
    let root = graph.roots.first().copied().unwrap_or_default();
    let mut has_dependent = vec![false; graph.packages.len()];
    for &(_, to) in &graph.edges {
        has_dependent[to] = true;
    }
    let top_level: Vec<usize> = (0..graph.packages.len())
        .filter(|&i| i != root && !has_dependent[i])
        .filter(|&i| {
            graph.packages[i]
                .properties
                .iter()
                .any(|(k, v)| k == "cdx:npm:package:path" && !v.contains("/node_modules/"))
        })
        .collect();
    graph
        .edges
        .extend(top_level.into_iter().map(|to| (root, to)));
    Ok(graph.finish())
}

fn flatten(
    parent: &str,
    dependencies: UniqueMap<RawDependency>,
    nodes: &mut Vec<Node<'static>>,
) -> Result<(), LockfileError> {
    for (key, dependency) in dependencies.0 {
        let location = if parent.is_empty() {
            format!("node_modules/{key}")
        } else {
            format!("{parent}/node_modules/{key}")
        };
        let mut node = Node {
            location: location.clone().into(),
            name: key.into(),
            resolved: dependency.resolved.map(Into::into),
            integrity: dependency.integrity.map(Into::into),
            dev: dependency.dev,
            optional: dependency.optional,
            bundled: dependency.bundled,
            required: dependency
                .requires
                .keys()
                .map(|k| k.to_owned().into())
                .collect(),
            ..Node::default()
        };
        // `version` is a semver, or an alias (`npm:real@1.0.0`), git URL or `file:` spec.
        match dependency.version {
            Some(version) if version.starts_with("npm:") => {
                if let Some((name, version)) = alias_target(&version) {
                    node.name = name.to_owned().into();
                    node.version = version.map(|v| v.to_owned().into());
                }
            }
            Some(version) if version.contains(':') => {
                if node.resolved.is_none() {
                    node.resolved = Some(version.into());
                }
            }
            Some(version) if bare_github(&version).is_some() => {
                if node.resolved.is_none() {
                    node.resolved = bare_github(&version).map(Into::into);
                }
            }
            version => node.version = version.map(Into::into),
        }
        // For git dependencies v1 writes the commit as `integrity`; it is not an SRI hash.
        if node
            .resolved
            .as_deref()
            .is_some_and(|r| r.starts_with("git") || is_git(r))
        {
            node.integrity = None;
        }
        nodes.push(node);
        flatten(&location, dependency.dependencies, nodes)?;
    }
    Ok(())
}

/// npm reads `owner/repo` (with an optional `#commit`) as a GitHub repository; a semver has no
/// `/`, so this is never a version.
fn bare_github(version: &str) -> Option<String> {
    let path = version.split_once('#').map_or(version, |(path, _)| path);
    if version.contains(':') || path.matches('/').count() != 1 {
        return None;
    }
    expand_git_shorthand(&format!("github:{version}"))
}

/// The package an alias (`npm:<name>@<version>`) installs. A scoped name starts with `@`, so
/// the separator is the first `@` after the first character. `None` when nothing follows the
/// prefix; a name without a version gives no version.
fn alias_target(spec: &str) -> Option<(&str, Option<&str>)> {
    let spec = spec.strip_prefix("npm:")?;
    let mut chars = spec.char_indices();
    chars.next()?;
    match chars.find(|&(_, c)| c == '@') {
        Some((at, _)) => {
            let (name, version) = spec.split_at_checked(at)?;
            let version = version.get(1..).filter(|v| !v.is_empty());
            Some((name, version))
        }
        None => Some((spec, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sbom::{self, BuildOptions, Builder, Ecosystem};

    #[test]
    fn alias_specs_are_split_on_char_boundaries() {
        assert_eq!(
            alias_target("npm:lodash@4.17.21"),
            Some(("lodash", Some("4.17.21")))
        );
        assert_eq!(
            alias_target("npm:@types/node@20.1.0"),
            Some(("@types/node", Some("20.1.0")))
        );
        assert_eq!(alias_target("npm:"), None);
        assert_eq!(alias_target("npm:ü@1.0.0"), Some(("ü", Some("1.0.0"))));
        assert_eq!(alias_target("npm:@"), Some(("@", None)));
        assert_eq!(alias_target("npm:x@"), Some(("x", None)));
        assert_eq!(alias_target("npm:lodash"), Some(("lodash", None)));
    }

    /// Regression: `"npm:"` and `"npm:ü@1.0.0"` used to panic (byte slicing inside a character).
    #[test]
    fn odd_aliases_give_a_valid_sbom() {
        for version in ["npm:", "npm:ü@1.0.0", "npm:@", "npm:€€€", "npm:a@€"] {
            let text = format!(
                r#"{{"name": "root", "version": "1.0.0", "lockfileVersion": 1,
                     "dependencies": {{"alias": {{"version": "{version}"}}}}}}"#
            );
            let graph = sbom::parse_lockfile(Ecosystem::Npm, &text).unwrap();
            let bom = Builder::new(BuildOptions::default())
                .add("package-lock.json", graph)
                .build("root");
            let findings = sbom::validate(bom.to_json().as_bytes()).unwrap();
            assert!(findings.is_empty(), "{version}: {findings:?}");
        }
    }
}
