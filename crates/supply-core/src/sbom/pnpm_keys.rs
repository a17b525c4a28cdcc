//! The syntax inside pnpm's keys and resolutions: peer suffixes, `name@reference`, `link:`
//! paths, git repositories and codeload tarballs, Subresource Integrity.

use super::invalid;
use crate::sbom::LockfileError;
use crate::sbom::graph::{self, ExternalReference, Hash};
use crate::sbom::yaml::Node;

/// `foo@1.0.0(react@18.2.0)(patch_hash=…)` → `foo@1.0.0`.
pub(super) fn strip_peers(key: &str) -> &str {
    match key.find('(') {
        Some(i) if key.ends_with(')') => &key[..i],
        _ => key,
    }
}

/// `@scope/name@ref` → (`@scope/name`, `ref`); without an `@` after the name, no name.
pub(super) fn split_name(key: &str) -> (Option<&str>, &str) {
    let from = usize::from(key.starts_with('@'));
    match key.get(from..).and_then(|rest| rest.find('@')) {
        Some(i) => (Some(&key[..from + i]), &key[from + i + 1..]),
        None => (None, key),
    }
}

/// `@scope/name` → (`@scope`, `name`).
pub(super) fn split_scope(full_name: &str) -> (Option<&str>, &str) {
    match full_name.split_once('/') {
        Some((scope, name)) if scope.starts_with('@') => (Some(scope), name),
        _ => (None, full_name),
    }
}

/// `link:` paths are relative to their importer; the result is relative to the lockfile.
pub(super) fn join(base: &str, relative: &str) -> String {
    if relative.starts_with('/') {
        return relative.to_owned();
    }
    let mut parts: Vec<&str> = base
        .split('/')
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            _ => parts.push(part),
        }
    }
    if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    }
}

/// `repo` + `commit` → purl `vcs_url` and VCS reference, credentials removed.
pub(super) fn git(repo: &str, commit: &str) -> Option<(String, ExternalReference)> {
    let repo = graph::strip_credentials(repo);
    let repo = repo.strip_prefix("git+").unwrap_or(&repo);
    graph::git_source(&format!("{repo}#{commit}"))
}

/// `https://codeload.github.com/o/r/tar.gz/<sha>` → (`https://github.com/o/r`, sha).
pub(super) fn codeload(url: &str) -> Option<(String, &str)> {
    let rest = url.strip_prefix("https://codeload.github.com/")?;
    let mut parts = rest.split('/');
    let (owner, repo, kind, commit) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let plain = |s: &str| !s.is_empty() && !s.contains(['?', '#']);
    (kind == "tar.gz" && parts.next().is_none() && plain(owner) && plain(repo) && plain(commit))
        .then(|| (format!("https://github.com/{owner}/{repo}"), commit))
}

/// `resolution.integrity`, Subresource Integrity (`sha512-<base64> …`) → hashes; any token
/// that is not a usable hash refuses the entry.
pub(super) fn integrity(key: &str, resolution: &Node) -> Result<Vec<Hash>, LockfileError> {
    let Some(text) = resolution.str_at("integrity") else {
        return Ok(Vec::new());
    };
    let (hashes, problems) = super::graph::parse_sri(text);
    if !problems.is_empty() {
        return Err(invalid(
            key,
            "integrity",
            text,
            "not a sha1/sha256/sha384/sha512 SRI string",
        ));
    }
    Ok(hashes)
}
