//! The CycloneDX document written straight to bytes, the same bytes as `serde_json`'s pretty
//! printer gives for the serde model in [`super::cyclonedx`] (two-space indent, `": "`,
//! `[]`/`{}` when empty, only `"`, `\` and control bytes escaped).
//!
//! Why not serde: rendering is the one phase every lockfile pays in proportion to its output
//! (5 MB for a large npm lockfile), and through serde each of the some 200,000 strings went
//! through the serializer's state machine and a byte-at-a-time escape scan. Here a string is
//! checked eight bytes at a time and copied whole when nothing in it needs escaping, which is
//! nearly always. A test renders every fixture's document both ways and compares the bytes.

use super::cyclonedx::{
    Bom, Component, Dependency, ExternalReference, HashValue, License, LicenseChoice, Property,
};

/// Pretty JSON of `bom`, without the trailing newline.
pub(super) fn bom(bom: &Bom, capacity: usize) -> Vec<u8> {
    let mut out = Out {
        buf: Vec::with_capacity(capacity),
        depth: 0,
        empty: true,
    };
    out.open(b'{');
    out.field("$schema", bom.schema);
    out.field("bomFormat", bom.bom_format);
    out.field("specVersion", bom.spec_version);
    if let Some(serial) = &bom.serial_number {
        out.field("serialNumber", serial);
    }
    out.key("version");
    out.buf
        .extend_from_slice(bom.version.to_string().as_bytes());
    out.key("metadata");
    out.open(b'{');
    let metadata = &bom.metadata;
    if let Some(timestamp) = &metadata.timestamp {
        out.field("timestamp", timestamp);
    }
    out.key("lifecycles");
    out.list(&metadata.lifecycles, |out, lifecycle| {
        out.open(b'{');
        out.field("phase", lifecycle.phase);
        out.close(b'}');
    });
    out.key("tools");
    out.open(b'{');
    out.key("components");
    out.list(&metadata.tools.components, component);
    out.close(b'}');
    out.key("component");
    component(&mut out, &metadata.component);
    out.list_unless_empty("properties", &metadata.properties, property);
    out.close(b'}');
    out.key("components");
    out.list(&bom.components, component);
    out.key("dependencies");
    out.list(&bom.dependencies, dependency);
    out.close(b'}');
    out.buf
}

fn component(out: &mut Out, component: &Component) {
    out.open(b'{');
    out.field("type", component.kind);
    if let Some(bom_ref) = &component.bom_ref {
        out.field("bom-ref", bom_ref);
    }
    if let Some(group) = &component.group {
        out.field("group", group);
    }
    out.field("name", &component.name);
    if let Some(version) = &component.version {
        out.field("version", version);
    }
    if let Some(scope) = component.scope {
        out.field("scope", scope);
    }
    out.list_unless_empty("hashes", &component.hashes, hash);
    out.list_unless_empty("licenses", &component.licenses, license_choice);
    if let Some(purl) = &component.purl {
        out.field("purl", purl);
    }
    out.list_unless_empty(
        "externalReferences",
        &component.external_references,
        external_reference,
    );
    out.list_unless_empty("properties", &component.properties, property);
    out.close(b'}');
}

fn hash(out: &mut Out, hash: &HashValue) {
    out.open(b'{');
    out.field("alg", hash.alg);
    out.field("content", &hash.content);
    out.close(b'}');
}

fn license_choice(out: &mut Out, choice: &LicenseChoice) {
    out.open(b'{');
    match choice {
        LicenseChoice::License { license } => {
            out.key("license");
            license_object(out, license);
        }
        LicenseChoice::Expression {
            expression,
            acknowledgement,
        } => {
            out.field("expression", expression);
            if let Some(acknowledgement) = acknowledgement {
                out.field("acknowledgement", acknowledgement);
            }
        }
    }
    out.close(b'}');
}

fn license_object(out: &mut Out, license: &License) {
    out.open(b'{');
    if let Some(id) = &license.id {
        out.field("id", id);
    }
    if let Some(name) = &license.name {
        out.field("name", name);
    }
    if let Some(acknowledgement) = license.acknowledgement {
        out.field("acknowledgement", acknowledgement);
    }
    out.close(b'}');
}

fn external_reference(out: &mut Out, reference: &ExternalReference) {
    out.open(b'{');
    out.field("url", &reference.url);
    out.field("type", reference.kind);
    out.list_unless_empty("hashes", &reference.hashes, hash);
    out.close(b'}');
}

fn property(out: &mut Out, property: &Property) {
    out.open(b'{');
    out.field("name", &property.name);
    out.field("value", &property.value);
    out.close(b'}');
}

fn dependency(out: &mut Out, dependency: &Dependency) {
    out.open(b'{');
    out.field("ref", &dependency.reference);
    out.key("dependsOn");
    out.list(&dependency.depends_on, |out, reference| {
        out.string(reference);
    });
    out.close(b'}');
}

/// The output and where the pretty printer stands: nesting depth, and whether the innermost
/// open object or array has no member yet.
struct Out {
    buf: Vec<u8>,
    depth: usize,
    empty: bool,
}

impl Out {
    fn open(&mut self, bracket: u8) {
        self.buf.push(bracket);
        self.depth += 1;
        self.empty = true;
    }

    fn close(&mut self, bracket: u8) {
        self.depth = self.depth.saturating_sub(1);
        if !self.empty {
            self.newline();
        }
        self.buf.push(bracket);
        // The enclosing object or array holds at least this value.
        self.empty = false;
    }

    /// Before each member: the separator, a line break and the indent.
    fn member(&mut self) {
        if !self.empty {
            self.buf.push(b',');
        }
        self.newline();
        self.empty = false;
    }

    fn newline(&mut self) {
        const SPACES: &[u8] = &[b' '; 64];
        self.buf.push(b'\n');
        let mut indent = self.depth * 2;
        while indent > 0 {
            let step = indent.min(SPACES.len());
            self.buf
                .extend_from_slice(SPACES.get(..step).unwrap_or_default());
            indent -= step;
        }
    }

    fn key(&mut self, key: &str) {
        self.member();
        self.string(key);
        self.buf.extend_from_slice(b": ");
    }

    fn field(&mut self, key: &str, value: &str) {
        self.key(key);
        self.string(value);
    }

    fn list<T>(&mut self, items: &[T], mut item: impl FnMut(&mut Self, &T)) {
        self.open(b'[');
        for value in items {
            self.member();
            item(self, value);
        }
        self.close(b']');
    }

    /// A member holding a list, left out when the list is empty (as `skip_serializing_if`).
    fn list_unless_empty<T>(&mut self, key: &str, items: &[T], item: impl FnMut(&mut Self, &T)) {
        if !items.is_empty() {
            self.key(key);
            self.list(items, item);
        }
    }

    fn string(&mut self, text: &str) {
        self.buf.push(b'"');
        let bytes = text.as_bytes();
        let mut done = 0;
        let mut at = 0;
        loop {
            at += super::scan::plain_prefix(bytes.get(at..).unwrap_or_default());
            let Some(&byte) = bytes.get(at) else {
                break;
            };
            // DEL stops the scan but JSON writes it as it is.
            if let Some(escape) = escape(byte) {
                self.buf
                    .extend_from_slice(bytes.get(done..at).unwrap_or_default());
                escape.write(&mut self.buf);
                done = at + 1;
            }
            at += 1;
        }
        self.buf
            .extend_from_slice(bytes.get(done..).unwrap_or_default());
        self.buf.push(b'"');
    }
}

enum Escape {
    Short(u8),
    Unicode(u8),
}

impl Escape {
    fn write(self, buf: &mut Vec<u8>) {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        match self {
            Self::Short(letter) => buf.extend_from_slice(&[b'\\', letter]),
            Self::Unicode(byte) => buf.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]),
        }
    }
}

/// serde_json's escapes: the short forms where JSON has them, `\u00XX` for other controls.
fn escape(byte: u8) -> Option<Escape> {
    Some(match byte {
        b'"' => Escape::Short(b'"'),
        b'\\' => Escape::Short(b'\\'),
        0x08 => Escape::Short(b'b'),
        0x0c => Escape::Short(b'f'),
        b'\n' => Escape::Short(b'n'),
        b'\r' => Escape::Short(b'r'),
        b'\t' => Escape::Short(b't'),
        0x00..=0x1f => Escape::Unicode(byte),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rendered(text: &str) -> String {
        let mut out = Out {
            buf: Vec::new(),
            depth: 0,
            empty: true,
        };
        out.string(text);
        String::from_utf8(out.buf).unwrap()
    }

    #[test]
    fn strings_are_escaped_like_serde_json() {
        let mut samples: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
        samples.extend(
            [
                "",
                "plain ascii text longer than a word",
                "ü and 🦀 stay as they are",
                "quote \" in the middle of a long string, and a \\ too",
                "12345678\"",
                "1234567\n",
                "\u{7f}\u{1f}\u{0}tail",
            ]
            .map(str::to_owned),
        );
        for sample in samples {
            assert_eq!(
                rendered(&sample),
                serde_json::to_string(&sample).unwrap(),
                "{sample:?}"
            );
        }
    }

    /// Every lockfile fixture, with the options that change the document's shape: the bytes
    /// are the serde model's, pretty-printed by serde_json.
    #[test]
    fn every_fixture_renders_as_serde_json_does() {
        use crate::sbom::{BuildOptions, SpecVersion, discover, time::Timestamp};
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/lockfiles");
        let mut checked = 0;
        for ecosystem in std::fs::read_dir(&root).unwrap() {
            let ecosystem = ecosystem.unwrap().path();
            if !ecosystem.is_dir() {
                continue;
            }
            for case in std::fs::read_dir(ecosystem).unwrap() {
                let case = case.unwrap().path();
                if !case.is_dir() {
                    continue;
                }
                for options in [
                    BuildOptions::default(),
                    BuildOptions {
                        spec_version: SpecVersion::V1_5,
                        exclude_dev: true,
                        timestamp: Some(Timestamp::fixed(1_700_000_000)),
                    },
                ] {
                    let bom = discover::generate(&case, options).unwrap().bom;
                    let mut expected = serde_json::to_string_pretty(&bom).unwrap();
                    expected.push('\n');
                    assert!(bom.json() == expected, "{}", case.display());
                    checked += 1;
                }
            }
        }
        assert!(checked >= 60, "{checked} documents");
    }

    proptest::proptest! {
        #[test]
        fn any_string_is_escaped_like_serde_json(text in "\\PC*|[\\x00-\\x7f]{0,40}") {
            proptest::prop_assert_eq!(rendered(&text), serde_json::to_string(&text).unwrap());
        }
    }
}
