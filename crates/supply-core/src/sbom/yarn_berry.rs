//! Yarn Berry `yarn.lock` (v2+, `__metadata.version` 4 to 10): YAML read with `sbom::yaml`.
//!
//! Each entry is keyed by its descriptors (`"lodash@npm:^4.17.21, lodash@npm:^4.0.0"`) and
//! names what they resolve to in `resolution` (`name@<protocol>:…`). The protocol decides the
//! component: `npm:` a registry package (`::__archiveUrl=` a non-standard tarball URL);
//! `workspace:` a workspace (`workspace:.` is the root); `portal:`/`link:`/`file:`/`exec:` a
//! local package, identified by its path relative to the project when its `locator` is a
//! workspace; `patch:` the underlying package plus `supply:yarn:patch`; a URL whose fragment has
//! `commit=` a git package (`vcs_url`); another URL a tarball (`download_url`). Versions are
//! Yarn's `0.0.0-use.local` placeholder for workspaces and links: left out.
//!
//! A dependency `name: range` is found by the descriptor `name@range` (`name@npm:range` for a
//! bare range, as Yarn itself reads older files). The root manifest's `resolutions` can redirect
//! a descriptor that then has no entry (`ms@npm:^2.1.3` replaced by a patch of `ms@npm:2.1.3`):
//! such a dependency goes to the package locked under that name when all entries of that name
//! are one package; otherwise it is left out with a warning. `peerDependencies` add no edges:
//! they are satisfied by what the dependent's own dependents provide, which is in the graph.

use std::collections::HashMap;

use super::graph::{self, DepGraph, Package};
use super::{
    Edge, LockfileError, SUPPORTED, add_synthetic_root, finish, named_package, new_graph, npm_purl,
    set_git, set_tarball, split_descriptor, without_dependents,
};
use crate::purl::percent_decode;
use crate::sbom::yaml::{self, Node};

/// Yarn's version placeholder for packages whose manifest holds the real one.
const LOCAL_VERSION: &str = "0.0.0-use.local";

struct Locked<'a> {
    descriptors: Vec<&'a str>,
    resolution: &'a str,
    /// `(name, range, optional)`.
    dependencies: Vec<(&'a str, &'a str, bool)>,
    /// For a patch: the locator it patches.
    patch_of: Option<String>,
    workspace: Option<String>,
}

/// Parses Berry text (the caller saw `__metadata`).
pub(super) fn parse(text: &str) -> Result<DepGraph, LockfileError> {
    let document = yaml::parse(text)?;
    let Some(entries) = document.as_map() else {
        return Err(LockfileError::at_offset(
            text,
            0,
            "expected a mapping of entries",
        ));
    };
    let metadata_error = |value: &str, reason| LockfileError::InvalidField {
        package: "__metadata".into(),
        field: "version",
        value: value.to_owned(),
        reason,
    };
    let version = document
        .get("__metadata")
        .and_then(|m| m.str_at("version"))
        .ok_or_else(|| metadata_error("", "missing"))?;
    match version.parse::<u32>() {
        Ok(4..=10) => {}
        Ok(_) => {
            return Err(LockfileError::UnsupportedVersion {
                found: version.to_owned(),
                supported: SUPPORTED,
            });
        }
        Err(_) => return Err(metadata_error(version, "not a number")),
    }
    let mut graph = new_graph(version);
    let mut locked = Vec::with_capacity(entries.len());
    for (key, node) in entries.iter().filter(|(k, _)| k != "__metadata") {
        let (entry, package) = read_entry(key, node, &mut graph.warnings)?;
        locked.push(entry);
        graph.packages.push(package);
    }

    let mut by_descriptor: HashMap<&str, usize> = HashMap::new();
    let mut by_resolution: HashMap<&str, usize> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, entry) in locked.iter().enumerate() {
        by_resolution.entry(entry.resolution).or_insert(i);
        for &descriptor in &entry.descriptors {
            if by_descriptor.insert(descriptor, i).is_some() {
                return Err(LockfileError::InvalidField {
                    package: descriptor.to_owned(),
                    field: "descriptor",
                    value: descriptor.to_owned(),
                    reason: "listed by two entries",
                });
            }
            if let Some((name, _)) = split_descriptor(descriptor) {
                let same = by_name.entry(name).or_default();
                if same.last() != Some(&i) {
                    same.push(i);
                }
            }
        }
    }

    let mut edges = Vec::new();
    let mut warnings = Vec::new();
    for (from, entry) in locked.iter().enumerate() {
        for &(name, range, optional) in &entry.dependencies {
            match resolve_dependency(
                &graph.packages,
                &locked,
                &by_descriptor,
                &by_name,
                name,
                range,
            ) {
                Some(to) => edges.push(Edge { from, to, optional }),
                None => warnings.push(format!(
                    "`{}` depends on `{name}@{range}`, which the lockfile does not define{}",
                    entry.resolution,
                    if by_name.contains_key(name) {
                        " (several packages of that name are locked)"
                    } else {
                        ""
                    }
                )),
            }
        }
    }
    graph.warnings.extend(warnings);

    // A patch and what it patches are one installed package. Builtin patches are never named by
    // a dependency (Yarn applies them while resolving), so they are reached through the base.
    let mut twins = Vec::new();
    for (i, entry) in locked.iter().enumerate() {
        let Some(base) = &entry.patch_of else {
            continue;
        };
        if let Some(&b) = by_resolution.get(base.as_str()) {
            twins.push((i, b));
        }
        for descriptor in &entry.descriptors {
            let inner = split_descriptor(descriptor)
                .and_then(|(_, range)| patch_source(range.strip_prefix("patch:")?));
            if let Some(&b) = inner.and_then(|d| by_descriptor.get(d.as_str())) {
                twins.push((i, b));
            }
        }
    }

    let root = match locked
        .iter()
        .position(|e| e.workspace.as_deref() == Some("."))
    {
        Some(root) => {
            for (i, entry) in locked.iter().enumerate() {
                if i != root && entry.workspace.is_some() {
                    edges.push(Edge {
                        from: root,
                        to: i,
                        optional: false,
                    });
                }
            }
            root
        }
        None => {
            graph.warnings.push(
                "no root workspace (`workspace:.`): a synthetic root stands for the project".into(),
            );
            let direct = without_dependents(graph.packages.len(), &edges);
            add_synthetic_root(&mut graph, &mut edges, direct)
        }
    };
    Ok(finish(graph, &edges, &twins, vec![root]))
}

/// The entry a dependency names: by descriptor, else the one package locked under its name.
fn resolve_dependency(
    packages: &[Package],
    locked: &[Locked<'_>],
    by_descriptor: &HashMap<&str, usize>,
    by_name: &HashMap<&str, Vec<usize>>,
    name: &str,
    range: &str,
) -> Option<usize> {
    if let Some(&to) = by_descriptor.get(format!("{name}@{range}").as_str()) {
        return Some(to);
    }
    if !range.contains(':')
        && let Some(&to) = by_descriptor.get(format!("{name}@npm:{range}").as_str())
    {
        return Some(to);
    }
    let identity = |i: usize| {
        let package = packages.get(i)?;
        package.purl.as_ref().or(package.local.as_ref())
    };
    let candidates = by_name.get(name)?;
    let first = *candidates.first()?;
    if !candidates.iter().all(|&c| identity(c) == identity(first)) {
        return None;
    }
    let patched = candidates
        .iter()
        .copied()
        .find(|&c| locked.get(c).is_some_and(|l| l.patch_of.is_some()));
    Some(patched.unwrap_or(first))
}

/// The decoded source of a patch range (`typescript@npm%3A^5.4.0#…` → `typescript@npm:^5.4.0`).
fn patch_source(rest: &str) -> Option<String> {
    let (source, _) = rest.split_once('#')?;
    percent_decode(source)
}

fn read_entry<'a>(
    key: &'a str,
    node: &'a Node,
    warnings: &mut Vec<String>,
) -> Result<(Locked<'a>, Package), LockfileError> {
    let invalid = |field, value: &str, reason| LockfileError::InvalidField {
        package: key.to_owned(),
        field,
        value: value.to_owned(),
        reason,
    };
    let descriptors: Vec<&str> = key
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if descriptors.is_empty() {
        return Err(invalid("descriptor", key, "empty"));
    }
    if let Some(bad) = descriptors.iter().find(|d| split_descriptor(d).is_none()) {
        return Err(invalid("descriptor", bad, "not a `name@range` descriptor"));
    }
    if node.as_map().is_none() {
        return Err(invalid("entry", "", "not a mapping"));
    }
    let scalar = |field: &'static str| -> Result<Option<&'a str>, LockfileError> {
        match node.get(field) {
            None => Ok(None),
            Some(value) => value
                .as_str()
                .map(Some)
                .ok_or_else(|| invalid(field, "", "not a single value")),
        }
    };
    let resolution = scalar("resolution")?.ok_or_else(|| invalid("resolution", "", "missing"))?;
    let (name, reference) = split_descriptor(resolution)
        .ok_or_else(|| invalid("resolution", resolution, "not a `name@reference` locator"))?;
    let mut resolved = resolve(name, reference, scalar("version")?, 0)
        .map_err(|reason| invalid("resolution", resolution, reason))?;
    if let Some(unknown) = &resolved.unknown_protocol {
        warnings.push(format!(
            "`{resolution}` uses the protocol `{unknown}`, which supply does not know: listed as a local package"
        ));
    }
    let mut aliases: Vec<&str> = descriptors
        .iter()
        .filter_map(|d| split_descriptor(d).map(|(n, _)| n))
        .filter(|&n| n != name)
        .collect();
    aliases.sort_unstable();
    aliases.dedup();
    let properties = &mut resolved.package.properties;
    for alias in aliases {
        properties.push(("supply:yarn:alias".into(), alias.to_owned()));
    }
    if let Some(checksum) = scalar("checksum")? {
        properties.push(("supply:yarn:checksum".into(), checksum.to_owned()));
    }
    if let Some(conditions) = scalar("conditions")? {
        properties.push(("supply:yarn:conditions".into(), conditions.to_owned()));
    }
    if let Some(language) = scalar("languageName")?
        && !matches!(language, "node" | "unknown")
    {
        warnings.push(format!(
            "`{resolution}` has languageName `{language}`; described as an npm package"
        ));
    }
    let optional_names: Vec<&str> = match node.get("dependenciesMeta") {
        None => Vec::new(),
        Some(meta) => meta
            .as_map()
            .ok_or_else(|| invalid("dependenciesMeta", "", "not a mapping"))?
            .iter()
            .filter(|(_, settings)| settings.str_at("optional") == Some("true"))
            .map(|(k, _)| split_descriptor(k).map_or(k.as_str(), |(n, _)| n))
            .collect(),
    };
    let dependencies = match node.get("dependencies") {
        None => Vec::new(),
        Some(map) => map
            .as_map()
            .ok_or_else(|| invalid("dependencies", "", "not a mapping"))?
            .iter()
            .map(|(dep, range)| {
                let range = range
                    .as_str()
                    .ok_or_else(|| invalid("dependencies", dep, "range is not a single value"))?;
                Ok((dep.as_str(), range, optional_names.contains(&dep.as_str())))
            })
            .collect::<Result<_, LockfileError>>()?,
    };
    let entry = Locked {
        descriptors,
        resolution,
        dependencies,
        patch_of: resolved.patch_of,
        workspace: resolved.workspace,
    };
    Ok((entry, resolved.package))
}

struct Resolved {
    package: Package,
    patch_of: Option<String>,
    workspace: Option<String>,
    unknown_protocol: Option<String>,
}

/// The component for `name@reference`; `depth` stops a patch of a patch.
fn resolve(
    name: &str,
    reference: &str,
    version: Option<&str>,
    depth: usize,
) -> Result<Resolved, &'static str> {
    let (protocol, rest) = reference
        .split_once(':')
        .ok_or("the reference has no protocol")?;
    let (body, params) = rest.split_once("::").unwrap_or((rest, ""));
    let mut package = named_package(name, version.filter(|&v| v != LOCAL_VERSION));
    let mut workspace = None;
    let mut unknown_protocol = None;
    match protocol {
        "npm" => {
            package.version = Some(version.unwrap_or(body).to_owned());
            match param(params, "__archiveUrl") {
                Some(url) => set_tarball(&mut package, name, &graph::strip_credentials(&url)),
                None => package.purl = Some(npm_purl(&package).to_string()),
            }
        }
        "workspace" => {
            package.local = Some(body.to_owned());
            package
                .properties
                .push(("supply:yarn:workspace".into(), body.to_owned()));
            workspace = Some(body.to_owned());
        }
        "patch" => {
            if depth > 0 {
                return Err("a patch of a patch");
            }
            let (source, selector) = rest.split_once('#').ok_or("a patch without `#`")?;
            let selector = selector.split_once("::").map_or(selector, |(s, _)| s);
            let inner = percent_decode(source).ok_or("a broken %-escape in the patch source")?;
            let (inner_name, inner_reference) =
                split_descriptor(&inner).ok_or("the patch source is not a locator")?;
            let mut base = resolve(inner_name, inner_reference, version, depth + 1)?;
            let selector = percent_decode(selector).unwrap_or_else(|| selector.to_owned());
            base.package
                .properties
                .push(("supply:yarn:patch".into(), selector));
            base.patch_of = Some(inner);
            return Ok(base);
        }
        "portal" | "link" | "file" | "exec" => {
            let path = workspace_relative(body, param(params, "locator").as_deref());
            package.local = Some(path.unwrap_or_else(|| format!("{name}@{reference}")));
            package
                .properties
                .push(("supply:yarn:protocol".into(), protocol.to_owned()));
        }
        _ => {
            let (url, fragment) = reference.split_once('#').unwrap_or((reference, ""));
            let commit = fragment
                .split('&')
                .find_map(|p| p.strip_prefix("commit="))
                .filter(|c| !c.is_empty());
            match commit {
                Some(commit) => set_git(&mut package, url, commit),
                None if matches!(protocol, "http" | "https") => {
                    set_tarball(&mut package, name, &graph::strip_credentials(reference));
                }
                None => {
                    package.local = Some(format!("{name}@{reference}"));
                    unknown_protocol = Some(protocol.to_owned());
                }
            }
        }
    }
    Ok(Resolved {
        package,
        patch_of: None,
        workspace,
        unknown_protocol,
    })
}

/// A `key=value` of the `::a=b&c=d` parameters, decoded.
fn param(params: &str, key: &str) -> Option<String> {
    params
        .split('&')
        .find_map(|p| p.strip_prefix(key)?.strip_prefix('='))
        .and_then(percent_decode)
}

/// `path` relative to the project, when `locator` (the package that names it) is a workspace.
fn workspace_relative(path: &str, locator: Option<&str>) -> Option<String> {
    let base = split_descriptor(locator?)?.1.strip_prefix("workspace:")?;
    let absolute = path.starts_with('/');
    let joined = if absolute {
        path.to_owned()
    } else {
        format!("{base}/{path}")
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in joined.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let prefix = if absolute { "/" } else { "" };
    Some(if parts.is_empty() {
        format!("{prefix}.")
    } else {
        format!("{prefix}{}", parts.join("/"))
    })
}
