//! Finding lockfiles under a directory, and the whole "path → SBOM" job.
//!
//! The walk skips what is never the project's own (`node_modules`, `target`, `.venv`,
//! `.git`), does not follow symbolic links (no loops, no escaping the tree) and is sorted,
//! so the same tree always yields the same list. Where a directory has both
//! `npm-shrinkwrap.json` and `package-lock.json`, the shrinkwrap wins, as in npm.

use std::path::{Path, PathBuf};

use super::{Bom, BuildOptions, Builder, Ecosystem, SbomError, read_lockfile};

const SKIPPED_DIRS: [&str; 4] = ["node_modules", "target", ".venv", ".git"];
const MAX_DEPTH: usize = 32;

/// An SBOM and what was noticed while making it.
#[derive(Debug)]
pub struct Generated {
    /// The document.
    pub bom: Bom,
    /// The lockfiles read, relative to the input.
    pub lockfiles: Vec<PathBuf>,
    /// Non-fatal inconsistencies, each naming its lockfile.
    pub warnings: Vec<String>,
}

/// Builds one SBOM from a lockfile, or from every lockfile found under a directory.
pub fn generate(path: &Path, options: BuildOptions) -> Result<Generated, SbomError> {
    let (base, lockfiles) = if path.is_dir() {
        let found = find_lockfiles(path)?;
        if found.is_empty() {
            return Err(SbomError::NoLockfiles {
                dir: path.to_path_buf(),
            });
        }
        (path.to_path_buf(), found)
    } else {
        if Ecosystem::from_file_name(path).is_none() {
            return Err(SbomError::UnknownLockfile {
                path: path.to_path_buf(),
            });
        }
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        (base, vec![path.to_path_buf()])
    };
    let mut builder = Builder::new(options);
    let mut warnings = Vec::new();
    let mut relative = Vec::with_capacity(lockfiles.len());
    for (i, lockfile) in lockfiles.iter().enumerate() {
        let label = lockfile.strip_prefix(&base).unwrap_or(lockfile);
        crate::progress::step("reading", &label.to_string_lossy(), i + 1, lockfiles.len());
        let mut graph = read_lockfile(lockfile)?;
        let label_text = label
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        warnings.extend(
            graph
                .warnings
                .drain(..)
                .map(|w| format!("{label_text}: {w}")),
        );
        builder = builder.add(&label_text, graph);
        relative.push(label.to_path_buf());
    }
    Ok(Generated {
        bom: builder.build(&input_name(path)),
        lockfiles: relative,
        warnings,
    })
}

/// The name of what was scanned: the directory's (or lockfile's directory's) own name.
fn input_name(path: &Path) -> String {
    let dir = if path.is_dir() {
        Some(path)
    } else {
        path.parent()
    };
    let dir = dir
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::canonicalize(dir)
        .ok()
        .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".to_owned())
}

/// Every lockfile under `root`, sorted.
pub fn find_lockfiles(root: &Path) -> Result<Vec<PathBuf>, SbomError> {
    let mut found = Vec::new();
    walk(root, 0, &mut found)?;
    found.sort();
    Ok(found)
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) -> Result<(), SbomError> {
    let walk_error = |source| SbomError::Walk {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(walk_error)?
        .collect::<Result<_, _>>()
        .map_err(walk_error)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let has_shrinkwrap = entries
        .iter()
        .any(|e| e.file_name() == "npm-shrinkwrap.json");
    for entry in entries {
        let file_type = entry.file_type().map_err(walk_error)?;
        let name = entry.file_name();
        let path = entry.path();
        if file_type.is_dir() {
            let skipped = name.to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n));
            if !skipped && depth < MAX_DEPTH {
                walk(&path, depth + 1, found)?;
            }
        } else if file_type.is_file()
            && Ecosystem::from_file_name(&path).is_some()
            && !(has_shrinkwrap && name == "package-lock.json")
        {
            found.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_skips_vendored_trees_and_prefers_shrinkwrap() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "Cargo.lock",
            "web/package-lock.json",
            "web/npm-shrinkwrap.json",
            "web/node_modules/x/package-lock.json",
            "target/Cargo.lock",
            "py/.venv/uv.lock",
            "py/uv.lock",
            "notes/yarn.lock",
        ] {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let found: Vec<PathBuf> = find_lockfiles(root)
            .unwrap()
            .into_iter()
            .map(|p| p.strip_prefix(root).unwrap().to_path_buf())
            .collect();
        assert_eq!(
            found,
            [
                PathBuf::from("Cargo.lock"),
                PathBuf::from("py/uv.lock"),
                PathBuf::from("web/npm-shrinkwrap.json")
            ]
        );
    }
}
