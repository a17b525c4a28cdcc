//! The CycloneDX document written straight to bytes, the same bytes as `serde_json`'s pretty
//! printer gives for the serde model in [`super::cyclonedx`] (two-space indent, `": "`,
//! `[]`/`{}` when empty, only `"`, `\` and control bytes escaped).
//!
//! Why not serde: rendering is the one phase every lockfile pays in proportion to its output
//! (5 MB for a large npm lockfile), and through serde each of the some 200,000 strings went
//! through the serializer's state machine and a byte-at-a-time escape scan. Here a string is
//! checked eight bytes at a time and copied whole when nothing in it needs escaping, which is
//! nearly always. A test renders every fixture's document both ways and compares the bytes.
//!
//! To a file the document is streamed: handed over in pieces of 64 KiB between the members of
//! a list, written and hashed on a second thread (`super::hash_behind`), the serial
//! number's placeholder overwritten once the hash is known. A whole document in memory was
//! 3 MB (Poetry) to 5 MB (npm) of fresh pages, each costing a few µs on a VM, for bytes that
//! only pass through.

use std::io::{self, Seek, SeekFrom, Write};

use sha2::{Digest, Sha256};

use super::cyclonedx::{
    Component, Dependency, Document, ExternalReference, HashValue, License, LicenseChoice, Property,
};

/// The placeholder the serial number is rendered as, then replaced by a hash of the document.
pub(super) const ZERO_SERIAL: &str = "urn:uuid:00000000-0000-0000-0000-000000000000";

/// When streaming, bytes go out in pieces of about this size.
const CHUNK: usize = 64 * 1024;

/// The whole document in memory, serial number in place.
pub(super) fn to_string(document: &Document) -> String {
    // Sized up front: growing a multi-megabyte buffer by doubling copies it again and again.
    // Untouched capacity costs no memory until written.
    let estimate = 4096 + 768 * document.components.len() + 96 * document.edge_count();
    let mut out = Out::new(Vec::with_capacity(estimate), None);
    let serial_at = self::document(&mut out, document);
    let mut bytes = out.buf;
    let serial = content_uuid(Sha256::digest(&bytes).into());
    if let Some(slot) = bytes.get_mut(serial_at..serial_at + ZERO_SERIAL.len()) {
        slot.copy_from_slice(serial.as_bytes());
    }
    // Only whole strings and ASCII are written: UTF-8.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The same bytes as [`to_string`], written to `out` in pieces while they are hashed; the
/// serial number goes over its placeholder once the hash is known.
pub(super) fn write<W: Write + Seek + Send>(document: &Document, out: &mut W) -> io::Result<()> {
    let start = out.stream_position()?;
    let (serial_at, digest) = super::hash_behind::write_hashed(out, |sink| {
        let mut writer = Out::new(Vec::with_capacity(2 * CHUNK), Some(sink));
        let serial_at = self::document(&mut writer, document);
        writer.finish().map(|()| serial_at)
    })?;
    let serial = content_uuid(digest);
    let end = out.stream_position()?;
    let offset = u64::try_from(serial_at).map_err(io::Error::other)?;
    out.seek(SeekFrom::Start(start + offset))?;
    out.write_all(serial.as_bytes())?;
    out.seek(SeekFrom::Start(end))?;
    Ok(())
}

/// A UUID (version 8, RFC 9562 "custom") from the SHA-256 of the content: the same document
/// always gets the same serial, a different one a different serial.
fn content_uuid(digest: [u8; 32]) -> String {
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(digest.get(..16).unwrap_or(&[0; 16]));
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Pretty JSON of `document` with its trailing newline; returns where the serial number's
/// placeholder starts, counted from the first byte.
fn document(out: &mut Out<'_>, document: &Document) -> usize {
    out.open(b'{');
    out.field("$schema", document.schema);
    out.field("bomFormat", document.bom_format);
    out.field("specVersion", document.spec_version);
    out.key("serialNumber");
    let serial_at = out.position() + 1;
    out.string(document.serial_number);
    out.key("version");
    out.buf
        .extend_from_slice(document.version.to_string().as_bytes());
    out.key("metadata");
    out.open(b'{');
    let metadata = &document.metadata;
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
    component(out, &metadata.component);
    out.list_unless_empty("properties", &metadata.properties, property);
    out.close(b'}');
    out.key("components");
    out.list(&document.components, component);
    out.key("dependencies");
    out.list(&document.dependencies, dependency);
    out.close(b'}');
    out.buf.push(b'\n');
    serial_at
}

fn component(out: &mut Out<'_>, component: &Component) {
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

fn hash(out: &mut Out<'_>, hash: &HashValue) {
    out.open(b'{');
    out.field("alg", hash.alg);
    out.field("content", &hash.content.text());
    out.close(b'}');
}

fn license_choice(out: &mut Out<'_>, choice: &LicenseChoice) {
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

fn license_object(out: &mut Out<'_>, license: &License) {
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

fn external_reference(out: &mut Out<'_>, reference: &ExternalReference) {
    out.open(b'{');
    out.field("url", &reference.url);
    out.field("type", reference.kind);
    out.list_unless_empty("hashes", &reference.hashes, hash);
    out.close(b'}');
}

fn property(out: &mut Out<'_>, property: &Property) {
    out.open(b'{');
    out.field("name", &property.name);
    out.field("value", &property.value);
    out.close(b'}');
}

fn dependency(out: &mut Out<'_>, dependency: &Dependency) {
    out.open(b'{');
    out.field("ref", &dependency.reference);
    out.key("dependsOn");
    out.list(&dependency.depends_on, |out, reference| {
        out.string(reference);
    });
    out.close(b'}');
}

/// The output and where the pretty printer stands: nesting depth, and whether the innermost
/// open object or array has no member yet. With a sink, the buffer is handed over and
/// emptied between the members of a list once it holds [`CHUNK`] bytes.
struct Out<'s> {
    buf: Vec<u8>,
    depth: usize,
    empty: bool,
    sink: Option<Sink<'s>>,
    /// Bytes already handed to the sink.
    spilled: usize,
    /// The sink's first error; nothing more is handed to it after one.
    error: Option<io::Error>,
}

type Sink<'s> = &'s mut dyn FnMut(&[u8]) -> io::Result<()>;

impl<'s> Out<'s> {
    fn new(buf: Vec<u8>, sink: Option<Sink<'s>>) -> Self {
        Self {
            buf,
            depth: 0,
            empty: true,
            sink,
            spilled: 0,
            error: None,
        }
    }

    /// Where the next byte goes, counted from the document's first.
    fn position(&self) -> usize {
        self.spilled + self.buf.len()
    }

    fn spill(&mut self, at_least: usize) {
        if self.buf.len() < at_least {
            return;
        }
        let Some(sink) = self.sink.as_mut() else {
            return;
        };
        if self.error.is_none()
            && let Err(error) = sink(&self.buf)
        {
            self.error = Some(error);
        }
        self.spilled += self.buf.len();
        self.buf.clear();
    }

    /// Hands over what is left; the sink's first error, if any.
    fn finish(mut self) -> io::Result<()> {
        self.spill(1);
        self.error.map_or(Ok(()), Err)
    }

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
            self.spill(CHUNK);
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
#[path = "render_tests.rs"]
mod tests;
