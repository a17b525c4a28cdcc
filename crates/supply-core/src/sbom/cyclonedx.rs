//! Our own serde model of the CycloneDX 1.5/1.6 JSON we emit.
//!
//! `cyclonedx-bom` 0.8 stops at 1.5, and we need 1.6 and byte-stable output, so the model is
//! small and ours: only the fields we fill, declared in the order the specification lists them,
//! optional ones skipped when empty so the output stays valid and compact. The serde derive
//! is the reference that [`super::render`], which writes the bytes, is tested against.

use std::collections::HashMap;
use std::io::{Seek, Write};
use std::sync::{Arc, OnceLock};

use serde::Serialize;

use crate::byte_set::{self, ByteSet};

/// A CycloneDX document. Its bytes are made when first asked for ([`Bom::json`]) or written
/// straight to a file ([`Bom::write_json`]); either way they are the same, serial number
/// included (a hash of the document).
#[derive(Clone, Debug)]
pub struct Bom {
    pub(crate) document: Document,
    rendered: OnceLock<String>,
}

/// The document's model, in the specification's field order. The serial number is always the
/// zero UUID here: the renderer puts the real one, a hash of the bytes, in its place.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    #[serde(rename = "$schema")]
    pub(crate) schema: &'static str,
    pub(crate) bom_format: &'static str,
    pub(crate) spec_version: &'static str,
    pub(crate) serial_number: &'static str,
    pub(crate) version: u32,
    pub(crate) metadata: Metadata,
    pub(crate) components: Vec<Component>,
    pub(crate) dependencies: Vec<Dependency>,
}

impl Bom {
    pub(crate) fn new(document: Document) -> Self {
        Self {
            document,
            rendered: OnceLock::new(),
        }
    }

    /// Pretty JSON (two-space indent, `\n` line ends, trailing newline): the canonical output.
    pub fn to_json(&self) -> String {
        self.json().to_owned()
    }

    /// The canonical output, borrowed; rendered on the first call.
    pub fn json(&self) -> &str {
        self.rendered
            .get_or_init(|| super::render::to_string(&self.document))
    }

    /// Writes the canonical output to `out` from its current position, the same bytes as
    /// [`Bom::json`]. Unless they were rendered already, they go out in pieces and are never
    /// all in memory (a large lockfile's document is megabytes, and fresh memory is most of
    /// the cost of writing it); the serial number is written over its placeholder at the end,
    /// hence `Seek`.
    pub fn write_json<W: Write + Seek + Send>(&self, out: &mut W) -> std::io::Result<()> {
        match self.rendered.get() {
            Some(text) => out.write_all(text.as_bytes()),
            None => super::render::write(&self.document, out),
        }
    }

    /// Number of components, not counting `metadata.component`.
    pub fn component_count(&self) -> usize {
        self.document.components.len()
    }

    /// Number of dependency edges (`dependsOn` entries over all nodes).
    pub fn edge_count(&self) -> usize {
        self.document.edge_count()
    }
}

impl Document {
    pub(crate) fn edge_count(&self) -> usize {
        self.dependencies.iter().map(|d| d.depends_on.len()).sum()
    }
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Metadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) timestamp: Option<String>,
    pub(crate) lifecycles: Vec<Lifecycle>,
    pub(crate) tools: Tools,
    pub(crate) component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) properties: Vec<Property>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Lifecycle {
    pub(crate) phase: &'static str,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Tools {
    pub(crate) components: Vec<Component>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Component {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    pub(crate) bom_ref: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) group: Option<String>,
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) hashes: Vec<HashValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) purl: Option<Arc<str>>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    pub(crate) external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) properties: Vec<Property>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct HashValue {
    pub(crate) alg: &'static str,
    pub(crate) content: super::hex::Hex,
}

#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub(crate) enum LicenseChoice {
    License {
        license: License,
    },
    Expression {
        expression: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledgement: Option<&'static str>,
    },
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) acknowledgement: Option<&'static str>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct ExternalReference {
    pub(crate) url: String,
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) hashes: Vec<HashValue>,
}

#[derive(Clone, Debug, Serialize)]
pub(crate) struct Property {
    pub(crate) name: String,
    pub(crate) value: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dependency {
    #[serde(rename = "ref")]
    pub(crate) reference: Arc<str>,
    pub(crate) depends_on: Vec<Arc<str>>,
}

/// Classifies a license string from a lockfile: a known SPDX id (case fixed), an SPDX
/// expression, or else a free-text name. Only ids in the schema's list may go in `id`.
pub(crate) fn license_choice(text: &str, acknowledgement: Option<&'static str>) -> LicenseChoice {
    if let Some(id) = spdx_ids().get(&text.to_ascii_lowercase()) {
        return LicenseChoice::License {
            license: License {
                id: Some(id.clone()),
                name: None,
                acknowledgement,
            },
        };
    }
    let is_expression = text.contains(" OR ")
        || text.contains(" AND ")
        || text.contains(" WITH ")
        || (text.starts_with('(') && text.ends_with(')'));
    if is_expression {
        LicenseChoice::Expression {
            expression: text.to_owned(),
            acknowledgement,
        }
    } else {
        LicenseChoice::License {
            license: License {
                id: None,
                name: Some(text.to_owned()),
                acknowledgement,
            },
        }
    }
}

/// Makes a URL from a lockfile a valid IRI reference (the schema's `iri-reference` format):
/// bytes that may not appear there (controls, space, `"<>\\^`{|}`, non-ASCII, a `%` that starts
/// no escape) are percent-encoded; everything else is kept as written.
///
/// Escaping single bytes is not always enough: a lockfile URL can still be malformed as a whole
/// (`$ttps://…`, whose first segment holds a colon but is no scheme; a bracket outside a host;
/// a second `#`). Those are checked with the same IRI parser the schema validator uses and, when
/// invalid, every byte but the unreserved ones, the sub-delimiters and `/` is escaped, which
/// always yields a valid relative reference.
pub(crate) fn iri_reference(url: String) -> String {
    // The common case in one pass: a plain URL holds only bytes kept as written (its `%` all
    // start escapes), so the general path below would return it unchanged.
    if is_plain_url(&url) {
        return url;
    }
    iri_reference_general(url)
}

fn iri_reference_general(url: String) -> String {
    let safe = |byte: u8| IRI_SAFE[usize::from(byte)];
    let escaped = if url.bytes().all(safe) {
        url // the common case: nothing to escape, no copy
    } else {
        escape(&url, safe)
    };
    if is_plain_url(&escaped) || fluent_uri::IriRef::parse(escaped.as_str()).is_ok() {
        return escaped;
    }
    escape(&escaped, |byte| {
        byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=/".contains(&byte)
    })
}

/// A shape that is always a valid URI (plain `http(s)` URL or purl), checked without the full parser (which was a tenth of
/// `supply sbom`'s time on lockfiles with thousands of wheel URLs): `http(s)://`, a host of
/// letters, digits, `.` and `-` with an optional numeric port, then only path and query bytes
/// (unreserved, sub-delimiters, `:@/?`, `%XX`), and no fragment. Anything else goes to the parser.
fn is_plain_url(url: &str) -> bool {
    // A purl (Poetry's files have no URL, their references are `pkg:pypi/…?file_name=…`):
    // scheme, then a rootless path and query of the same safe bytes.
    if let Some(rest) = url.strip_prefix("pkg:") {
        return !rest.is_empty() && !rest.starts_with('/') && path_and_query(rest);
    }
    let Some(rest) = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
    else {
        return false;
    };
    let (authority, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (host, port) = authority.split_once(':').unwrap_or((authority, ""));
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !host_ok || !port.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    path_and_query(tail)
}

/// Only unreserved bytes, sub-delimiters, `:@/?` and `%XX` escapes: valid in a URI's path and
/// query.
fn path_and_query(tail: &str) -> bool {
    let bytes = tail.as_bytes();
    let kept = |b: &u8| PATH_AND_QUERY[usize::from(*b)];
    // Nearly every URL has no `%` at all: tested 16 bytes at a time without a branch per byte
    // (the branch per byte was most of the check's 3% of a Poetry run).
    let chunks = bytes.chunks_exact(16);
    let tail_kept = chunks.remainder().iter().all(kept);
    if tail_kept
        && chunks
            .into_iter()
            .all(|c| c.iter().fold(true, |all, b| all & kept(b)))
    {
        return true;
    }
    bytes.iter().enumerate().all(|(i, &b)| {
        PATH_AND_QUERY[usize::from(b)]
            || (b == b'%'
                && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// The bytes [`path_and_query`] takes as they are, as a table: searching the list of
/// punctuation for every byte of every wheel URL was most of this check's time.
const PATH_AND_QUERY: ByteSet = byte_set::alphanumeric_and(b"-._~!$&'()*+,;=:@/?");

/// Percent-encodes every byte `keep` refuses, leaving existing `%XX` escapes as they are.
fn escape(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    for (i, &byte) in bytes.iter().enumerate() {
        let escape_start = byte == b'%'
            && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
            && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit);
        if keep(byte) || escape_start {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Bytes an IRI reference may hold as they are: printable ASCII except `"<>\\^`{|}` and `%`.
const IRI_SAFE: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0x21;
    while byte < 0x7f {
        table[byte] = !matches!(
            byte as u8,
            b'"' | b'<' | b'>' | b'\\' | b'^' | b'`' | b'{' | b'|' | b'}' | b'%'
        );
        byte += 1;
    }
    table
};

/// SPDX license ids from the embedded schema, keyed by lower case.
fn spdx_ids() -> &'static HashMap<String, String> {
    static IDS: OnceLock<HashMap<String, String>> = OnceLock::new();
    IDS.get_or_init(|| {
        let schema: serde_json::Value =
            serde_json::from_str(super::validate::SPDX_SCHEMA).unwrap_or_default();
        let ids = schema.get("enum").and_then(serde_json::Value::as_array);
        ids.into_iter()
            .flatten()
            .filter_map(serde_json::Value::as_str)
            .map(|id| (id.to_ascii_lowercase(), id.to_owned()))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_iri_references() {
        assert_eq!(
            iri_reference("https://a.example/x%20y.whl".into()),
            "https://a.example/x%20y.whl"
        );
        assert_eq!(
            iri_reference("https://a.example/a b^c%zz".into()),
            "https://a.example/a%20b%5Ec%25zz"
        );
        assert_eq!(iri_reference("file:./ü".into()), "file:./%C3%BC");
    }

    #[test]
    fn malformed_urls_still_become_valid_references() {
        // Found by the mutation proptest: a scheme-less first segment with a colon.
        for url in [
            "$ttps://files.example/a.whl",
            "https://h.example/x[y]",
            "https://h.example/a#b#c",
            "https://h.example:port/x",
            "https://[::1/x",
        ] {
            let reference = iri_reference(url.into());
            assert!(
                fluent_uri::IriRef::parse(reference.as_str()).is_ok(),
                "{url} -> {reference}"
            );
        }
        assert_eq!(
            iri_reference("$ttps://files.example/a.whl".into()),
            "$ttps%3A//files.example/a.whl"
        );
    }

    #[test]
    fn the_plain_url_shortcut_takes_only_valid_uris() {
        let taken = [
            "https://files.pythonhosted.org/packages/ab/cd/x-1.0-py3-none-any.whl",
            "http://localhost:8080/simple/a%2Fb?x=1&y=(2)",
            "https://registry.npmjs.org/@scope/pkg/-/pkg-1.0.0.tgz",
            "https://h.example",
            "pkg:pypi/attrs@23.1.0?file_name=attrs-23.1.0-py3-none-any.whl",
        ];
        for url in taken {
            assert!(is_plain_url(url), "{url}");
            assert!(fluent_uri::IriRef::parse(url).is_ok(), "{url}");
        }
        for url in [
            "https://h.example:port/x",
            "https://[::1]/x",
            "https://user@h.example/x",
            "https://h.example/a#b",
            "https://h.example/a%zz",
            "https:///x",
            "git+https://h.example/x",
            "https://h.example/a b",
            "pkg:",
            "pkg://h/x",
        ] {
            assert!(!is_plain_url(url), "{url}");
        }
    }

    proptest::proptest! {
        #[test]
        fn what_the_shortcut_takes_the_parser_takes(
            url in "(https?://[a-z0-9.:-]{0,12}|pkg:)(/?[a-zA-Z0-9%:@/?#._~!$&'()*+,;=-]{0,16})?",
        ) {
            if is_plain_url(&url) {
                proptest::prop_assert!(fluent_uri::IriRef::parse(url.as_str()).is_ok(), "{}", url);
            }
            // Taking the shortcut first changes no result.
            proptest::prop_assert_eq!(iri_reference(url.clone()), iri_reference_general(url));
        }
    }

    #[test]
    fn licenses_are_classified() {
        let json = |choice: LicenseChoice| serde_json::to_string(&choice).unwrap();
        assert_eq!(
            json(license_choice("mit", None)),
            r#"{"license":{"id":"MIT"}}"#
        );
        assert_eq!(
            json(license_choice("MIT OR Apache-2.0", Some("declared"))),
            r#"{"expression":"MIT OR Apache-2.0","acknowledgement":"declared"}"#
        );
        assert_eq!(
            json(license_choice("SEE LICENSE IN LICENSE.txt", None)),
            r#"{"license":{"name":"SEE LICENSE IN LICENSE.txt"}}"#
        );
    }
}
