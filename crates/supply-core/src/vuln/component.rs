//! The packages a scan looks up: purls read from a CycloneDX SBOM (ours or another tool's,
//! nested components included), mapped to OSV's ecosystem and name spelling.

use serde_json::Value;

use crate::purl::percent_decode;

/// A package to look up.
#[derive(Clone, Debug, Eq, PartialEq, Ord, PartialOrd)]
pub struct Component {
    /// The purl as the SBOM gives it.
    pub purl: String,
    /// OSV's ecosystem (`crates.io`, `PyPI`, `npm`), when supported.
    pub ecosystem: Option<&'static str>,
    /// The name as OSV spells it (npm: `@scope/name`; PyPI: normalised).
    pub name: String,
    /// The version.
    pub version: String,
    /// The component's `bom-ref` in the SBOM it came from, if it has one.
    pub bom_ref: Option<String>,
}

/// Reads `pkg:type/namespace/name@version` (qualifiers and subpath dropped).
pub fn parse_purl(purl: &str) -> Option<Component> {
    let rest = purl.strip_prefix("pkg:")?;
    let rest = rest.split(['?', '#']).next()?;
    let (path, version) = rest.rsplit_once('@')?;
    let (ty, path) = path.split_once('/')?;
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (Some(percent_decode(ns)?), percent_decode(name)?),
        None => (None, percent_decode(path)?),
    };
    let version = percent_decode(version)?;
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let ty = ty.to_ascii_lowercase();
    let (ecosystem, name) = match ty.as_str() {
        "cargo" => (Some("crates.io"), name),
        "pypi" => (Some("PyPI"), crate::purl::normalize_pypi_name(&name)),
        "npm" => (
            Some("npm"),
            match namespace {
                Some(ns) => format!("{ns}/{name}"),
                None => name,
            },
        ),
        _ => (None, name),
    };
    Some(Component {
        purl: purl.to_owned(),
        ecosystem,
        name,
        version,
        bom_ref: None,
    })
}

/// Every component with a purl in a CycloneDX document (metadata component excluded), and the
/// `bom-ref`s or names of those without one.
pub fn from_cyclonedx(bom: &Value) -> (Vec<Component>, Vec<String>) {
    let mut found = Vec::new();
    let mut without = Vec::new();
    let mut stack: Vec<&Value> = bom
        .get("components")
        .and_then(Value::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    while let Some(component) = stack.pop() {
        if let Some(nested) = component.get("components").and_then(Value::as_array) {
            stack.extend(nested);
        }
        let label = || {
            component
                .get("bom-ref")
                .or_else(|| component.get("name"))
                .and_then(Value::as_str)
                .unwrap_or("(unnamed)")
                .to_owned()
        };
        match component
            .get("purl")
            .and_then(Value::as_str)
            .map(parse_purl)
        {
            Some(Some(mut parsed)) => {
                parsed.bom_ref = component
                    .get("bom-ref")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                found.push(parsed);
            }
            _ => without.push(label()),
        }
    }
    found.sort();
    found.dedup();
    (found, without)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn purls_map_to_osv_names() {
        let npm = parse_purl("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(
            (npm.ecosystem, npm.name.as_str()),
            (Some("npm"), "@babel/core")
        );
        let py = parse_purl("pkg:pypi/Django_Rest.Framework@3.0?x=y").unwrap();
        assert_eq!(
            (py.name.as_str(), py.version.as_str()),
            ("django-rest-framework", "3.0")
        );
        let cargo = parse_purl("pkg:cargo/serde@1.0.0").unwrap();
        assert_eq!(cargo.ecosystem, Some("crates.io"));
        assert_eq!(parse_purl("pkg:golang/x/y@1").unwrap().ecosystem, None);
        for bad in ["", "pkg:npm/a", "npm/a@1", "pkg:npm/%zz@1", "pkg:npm/@1"] {
            assert!(parse_purl(bad).is_none(), "{bad}");
        }
    }
}
