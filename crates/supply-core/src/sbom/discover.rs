//! Finding lockfiles under a directory, and the whole "path → SBOM" job.
//!
//! The walk skips what is never the project's own (`node_modules`, `target`, `.venv`, `.git`,
//! and Yarn's `.yarn` cache and unplugged packages), does not follow symbolic links (no loops, no
//! escaping the tree) and is sorted, so the same tree always yields the same list.
//!
//! One directory is one project, so of several lockfiles of one ecosystem family there
//! (JavaScript: npm, pnpm, Yarn; Python: uv, Poetry, PEP 751) only one is read, and a notice
//! says which and why. For JavaScript the package manager that `package.json`'s
//! `packageManager` field names wins (as Corepack decides); otherwise, and for Python, a fixed
//! order: the richer or more specific lockfile first ([`JAVASCRIPT_ORDER`], [`PYTHON_ORDER`]).
//! Never file times: the choice depends on nothing but the tree's content.
//!
//! The SBOM's subject never depends on where the project was cloned: see [`Subject`].

use std::path::{Path, PathBuf};

use super::{Bom, BuildOptions, Builder, Ecosystem, SbomError, read_lockfile};
use crate::fsio;

const SKIPPED_DIRS: [&str; 5] = ["node_modules", "target", ".venv", ".git", ".yarn"];
const MAX_DEPTH: usize = 32;
/// `package.json` is read only for its `packageManager` field; real ones are a few KB.
const MAX_PACKAGE_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// Which JavaScript lockfile is read when a directory has several: npm's own rule first
/// (a shrinkwrap overrides package-lock), then the lockfiles that record more (exact install
/// tree and dev flags, then pnpm's, then Yarn's).
pub const JAVASCRIPT_ORDER: [&str; 4] = [
    "npm-shrinkwrap.json",
    "package-lock.json",
    "pnpm-lock.yaml",
    "yarn.lock",
];

/// Which Python lockfile is read when a directory has several: `uv.lock` (a `pylock.toml`
/// beside it is usually its export), `poetry.lock`, then PEP 751 files, `pylock.toml` before
/// the named `pylock.<name>.toml` (in name order).
pub const PYTHON_ORDER: [&str; 4] = [
    "uv.lock",
    "poetry.lock",
    "pylock.toml",
    "pylock.<name>.toml",
];

/// The name of the SBOM's synthetic root when neither the caller nor the lockfiles name it.
pub const DEFAULT_ROOT_NAME: &str = "root";

/// An SBOM and what was noticed while making it.
#[derive(Debug)]
pub struct Generated {
    /// The document.
    pub bom: Bom,
    /// The lockfiles read, relative to the input.
    pub lockfiles: Vec<PathBuf>,
    /// Non-fatal inconsistencies, each naming its lockfile.
    pub warnings: Vec<String>,
    /// Choices made for the caller, such as which of two lockfiles of one directory was read.
    pub notices: Vec<String>,
}

/// What the SBOM describes (`metadata.component`), when the caller wants to say so.
///
/// Without it the subject is the lockfile's project: its root package when there is one, or
/// for a workspace with several roots the package at the workspace root when the one lockfile
/// says which that is (uv.lock does; Cargo.lock does not), else [`DEFAULT_ROOT_NAME`] with no
/// version. Several lockfiles are several projects: [`DEFAULT_ROOT_NAME`] too. Never the name of the folder the project was cloned
/// into, which would make two clones of one project give two SBOMs.
#[derive(Clone, Debug, Default)]
pub struct Subject {
    /// Overrides the subject's name.
    pub name: Option<String>,
    /// Overrides the subject's version.
    pub version: Option<String>,
}

/// The lockfiles under a directory, and why any were passed over.
#[derive(Debug, Default)]
pub struct Found {
    /// The lockfiles to read, sorted.
    pub lockfiles: Vec<PathBuf>,
    /// One line per directory where one lockfile was chosen over others.
    pub notices: Vec<String>,
}

/// Builds one SBOM from a lockfile, or from every lockfile found under a directory.
pub fn generate(path: &Path, options: BuildOptions) -> Result<Generated, SbomError> {
    generate_with_subject(path, options, Subject::default())
}

/// [`generate`], with the subject's name and version given by the caller.
pub fn generate_with_subject(
    path: &Path,
    options: BuildOptions,
    subject: Subject,
) -> Result<Generated, SbomError> {
    let (base, found) = if path.is_dir() {
        let found = find_lockfiles(path)?;
        if found.lockfiles.is_empty() {
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
        let found = Found {
            lockfiles: vec![path.to_path_buf()],
            notices: Vec::new(),
        };
        (base, found)
    };
    let Found { lockfiles, notices } = found;
    let mut builder = Builder::new(options).subject(subject);
    let mut warnings = Vec::new();
    let mut relative = Vec::with_capacity(lockfiles.len());
    for (i, lockfile) in lockfiles.iter().enumerate() {
        let label = lockfile.strip_prefix(&base).unwrap_or(lockfile);
        crate::progress::step("reading", &label.to_string_lossy(), i + 1, lockfiles.len());
        let mut graph = read_lockfile(lockfile)?;
        let label_text = slash_path(label);
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
        bom: builder.build(DEFAULT_ROOT_NAME),
        lockfiles: relative,
        warnings,
        notices,
    })
}

/// A relative path with `/` separators, the same on every platform.
fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Every lockfile under `root` to read, sorted, one per ecosystem family and directory.
pub fn find_lockfiles(root: &Path) -> Result<Found, SbomError> {
    let mut found = Found::default();
    walk(root, root, 0, &mut found)?;
    found.lockfiles.sort();
    Ok(found)
}

#[derive(Clone, Copy, Debug, Eq, PartialEq)]
enum Family {
    Cargo,
    JavaScript,
    Python,
}

impl Family {
    const ALL: [Self; 3] = [Self::Cargo, Self::JavaScript, Self::Python];

    fn of(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::Cargo => Self::Cargo,
            Ecosystem::Npm | Ecosystem::Pnpm | Ecosystem::Yarn => Self::JavaScript,
            Ecosystem::Uv | Ecosystem::Poetry | Ecosystem::Pylock => Self::Python,
        }
    }

    fn order(self) -> &'static [&'static str] {
        match self {
            Self::Cargo => &["Cargo.lock"],
            Self::JavaScript => &JAVASCRIPT_ORDER,
            Self::Python => &PYTHON_ORDER,
        }
    }

    /// Position in [`Self::order`]; a named `pylock.<name>.toml` takes the last place.
    fn rank(self, file_name: &str) -> usize {
        let order = self.order();
        order
            .iter()
            .position(|&n| n == file_name)
            .unwrap_or(order.len().saturating_sub(1))
    }
}

/// A lockfile found in a directory: its format and file name.
struct Candidate {
    ecosystem: Ecosystem,
    name: String,
    path: PathBuf,
}

fn walk(root: &Path, dir: &Path, depth: usize, found: &mut Found) -> Result<(), SbomError> {
    let walk_error = |source| SbomError::Walk {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .map_err(walk_error)?
        .collect::<Result<_, _>>()
        .map_err(walk_error)?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let mut candidates = Vec::new();
    let mut subdirectories = Vec::new();
    for entry in entries {
        let file_type = entry.file_type().map_err(walk_error)?;
        let name = entry.file_name();
        let path = entry.path();
        if file_type.is_dir() {
            let skipped = name.to_str().is_some_and(|n| SKIPPED_DIRS.contains(&n));
            if !skipped && depth < MAX_DEPTH {
                subdirectories.push(path);
            }
        } else if file_type.is_file()
            && let Some(ecosystem) = Ecosystem::from_file_name(&path)
        {
            candidates.push(Candidate {
                ecosystem,
                name: name.to_string_lossy().into_owned(),
                path,
            });
        }
    }
    for family in Family::ALL {
        let mut of_family: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| Family::of(c.ecosystem) == family)
            .collect();
        // Stable: equal ranks (named pylock files) stay in name order.
        of_family.sort_by_key(|c| family.rank(&c.name));
        let chosen = match of_family.as_slice() {
            [] => continue,
            [only] => only,
            several => {
                let (chosen, reason) = choose(dir, family, several);
                let others: Vec<&str> = several
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| i != chosen)
                    .map(|(_, c)| c.name.as_str())
                    .collect();
                let prefix = match dir.strip_prefix(root).map(slash_path) {
                    Ok(relative) if !relative.is_empty() => format!("{relative}: "),
                    _ => String::new(),
                };
                found.notices.push(format!(
                    "{prefix}reading {}, not {}: {reason}",
                    several[chosen].name,
                    either(&others)
                ));
                &several[chosen]
            }
        };
        found.lockfiles.push(chosen.path.clone());
    }
    for subdirectory in subdirectories {
        walk(root, &subdirectory, depth + 1, found)?;
    }
    Ok(())
}

/// Which of several lockfiles of one family (sorted by rank) to read, and why.
fn choose(dir: &Path, family: Family, candidates: &[&Candidate]) -> (usize, String) {
    if family == Family::JavaScript
        && let Some((manager, ecosystem)) = package_manager(dir)
        && let Some(i) = candidates.iter().position(|c| c.ecosystem == ecosystem)
    {
        return (
            i,
            format!("package.json's `packageManager` names {manager}"),
        );
    }
    let reason = format!(
        "one project, one lockfile; supply reads the first of {}",
        family.order().join(", ")
    );
    (0, reason)
}

/// The package manager `package.json`'s `packageManager` field names (`pnpm@9.1.0+sha…`),
/// if it is one whose lockfile we read. An unreadable or malformed file names none: the
/// fixed order applies and the lockfile itself is still read.
fn package_manager(dir: &Path) -> Option<(&'static str, Ecosystem)> {
    let bytes = fsio::read_bounded(&dir.join("package.json"), MAX_PACKAGE_JSON_BYTES).ok()?;
    let manifest: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let field = manifest.get("packageManager")?.as_str()?;
    let name = field.split_once('@').map_or(field, |(name, _)| name);
    match name.trim() {
        "npm" => Some(("npm", Ecosystem::Npm)),
        "pnpm" => Some(("pnpm", Ecosystem::Pnpm)),
        "yarn" => Some(("yarn", Ecosystem::Yarn)),
        _ => None,
    }
}

/// `a`, `a or b`, `a, b or c`.
fn either(names: &[&str]) -> String {
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
#[path = "discover_tests.rs"]
mod tests;
