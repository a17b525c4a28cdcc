//! What is scanned: a CycloneDX JSON SBOM (ours or another tool's), or a lockfile or directory
//! whose SBOM is built in memory; and where each ecosystem's packages came from (for SARIF
//! locations).

use std::path::Path;

use super::component::{self, Component};
use super::{NotScanned, ScanError};
use crate::sbom::Ecosystem;

const MAX_SBOM_BYTES: u64 = 512 * 1024 * 1024;

/// The packages to look up.
#[derive(Debug, Default)]
pub struct Target {
    /// Components with a purl.
    pub components: Vec<Component>,
    /// Components that cannot be looked up.
    pub not_scanned: Vec<NotScanned>,
    /// The file each OSV ecosystem's packages came from (the SBOM itself for an SBOM).
    pub sources: Vec<(&'static str, String)>,
    /// The SBOM (read, or built from the lockfiles).
    pub bom: serde_json::Value,
    /// Choices made while building the SBOM (which of two lockfiles was read).
    pub notices: Vec<String>,
}

impl Target {
    /// The file a finding in `ecosystem` points at.
    pub fn source(&self, ecosystem: &str) -> String {
        self.sources
            .iter()
            .find(|(e, _)| *e == ecosystem || e.is_empty())
            .map(|(_, path)| path.clone())
            .unwrap_or_default()
    }
}

/// Reads `path`: a `.json` file with `"bomFormat": "CycloneDX"` is an SBOM; anything else is
/// a lockfile or a directory of them.
pub fn load(path: &Path) -> Result<Target, ScanError> {
    let failed = |reason: String| ScanError::Record {
        file: path.to_owned(),
        reason,
    };
    let bom: serde_json::Value;
    let mut sources = Vec::new();
    let mut notices = Vec::new();
    let looks_like_sbom = path.is_file()
        && path.extension().is_some_and(|e| e == "json")
        && !path
            .file_name()
            .is_some_and(|n| n == "package-lock.json" || n == "npm-shrinkwrap.json");
    if looks_like_sbom {
        let bytes =
            crate::fsio::read_bounded(path, MAX_SBOM_BYTES).map_err(|e| failed(e.to_string()))?;
        bom = serde_json::from_slice(&bytes).map_err(|e| failed(format!("not JSON: {e}")))?;
        if bom.get("bomFormat").and_then(serde_json::Value::as_str) != Some("CycloneDX") {
            return Err(failed(
                "not a CycloneDX SBOM (no bomFormat \"CycloneDX\")".into(),
            ));
        }
        sources.push(("", path.display().to_string()));
    } else {
        let generated = crate::sbom::generate(path, crate::sbom::BuildOptions::default())
            .map_err(|e| failed(e.to_string()))?;
        bom = serde_json::from_str(generated.bom.json()).map_err(|e| failed(e.to_string()))?;
        for lockfile in &generated.lockfiles {
            let ecosystem = match Ecosystem::from_file_name(lockfile) {
                Some(Ecosystem::Cargo) => "crates.io",
                Some(Ecosystem::Uv | Ecosystem::Poetry | Ecosystem::Pylock) => "PyPI",
                _ => "npm",
            };
            let shown = if path.is_dir() {
                lockfile.display().to_string()
            } else {
                path.display().to_string()
            };
            sources.push((ecosystem, shown));
        }
        notices = generated.notices;
    }
    let mut target = from_bom(bom, sources);
    target.notices = notices;
    Ok(target)
}

/// The packages of an SBOM already in hand (e.g. the verified predicate of an image's
/// CycloneDX attestation); `sources` as in [`Target::sources`].
pub fn from_bom(bom: serde_json::Value, sources: Vec<(&'static str, String)>) -> Target {
    let (components, without) = component::from_cyclonedx(&bom);
    Target {
        bom,
        components,
        not_scanned: without
            .into_iter()
            .map(|c| NotScanned {
                component: c,
                reason: "no purl".into(),
            })
            .collect(),
        sources,
        notices: Vec::new(),
    }
}
