//! A fast, strict reader for the TOML that lockfile tools write, in front of the `toml` crate.
//!
//! Why: the `toml` crate lexes into a token vector, then an event vector, then a spanned table,
//! before serde sees anything; on a 2 MB `uv.lock` that is most of `supply sbom`'s time and
//! memory. Lockfiles use a small part of TOML (tables, arrays of tables, one-line strings,
//! integers, booleans, datetimes, arrays, inline tables), which this module reads straight into
//! a tree that borrows from the text.
//!
//! Contract: [`from_str`] gives the same result as `toml::from_str` or none at all. Whatever it
//! does not read itself (multi-line strings, floats, dotted keys in key/value pairs, non-decimal
//! or underscored integers, TOML 1.1 additions, anything malformed) makes it *decline*, and the
//! caller parses with `toml`, which then gives the answer or the located error. So this reader
//! may be stricter than TOML, never looser: each rule below refuses at least what TOML 1.0
//! refuses. The differential tests (every TOML fixture, texts `toml` refuses, mutated fixtures
//! in a proptest) check exactly that against the `toml` crate; the lockfile fuzz targets
//! (`cargo_lock`, `uv_lock`, `poetry_lock`, `pylock`) run through this reader first.
#![warn(clippy::indexing_slicing, clippy::string_slice)]

use std::borrow::Cow;
use std::collections::HashSet;

#[path = "toml_fast_datetime.rs"]
mod datetime;
#[path = "toml_fast_de.rs"]
mod de;
#[path = "toml_fast_parser.rs"]
mod parser;

use parser::Parser;

/// Deserializes `text` as `toml::from_str` would, or `None` when this reader declines. Strings
/// without an escape are lent from `text` to whatever borrows them.
pub(crate) fn from_str<'a, T: serde::Deserialize<'a>>(text: &'a str) -> Option<T> {
    let root = parse(text).ok()?;
    T::deserialize(de::ValueDe(&Value::Table(root))).ok()
}

/// This reader does not take the text; the `toml` crate decides.
#[derive(Debug, Eq, PartialEq)]
pub(crate) struct Decline;

type Read<T> = Result<T, Decline>;

/// A TOML value borrowing from the text where it can.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    String(Cow<'a, str>),
    Integer(i64),
    Boolean(bool),
    /// As written; checked to be a real date and time, kept opaque (serde is never given it).
    Datetime(
        #[cfg_attr(not(test), expect(dead_code, reason = "compared with toml's in tests"))] &'a str,
    ),
    /// `tables` is true for an array of tables (`[[x]]`), which headers may extend.
    Array {
        items: Vec<Value<'a>>,
        tables: bool,
    },
    Table(Table<'a>),
}

/// How a table came to be, which decides what may still be added to it.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub(crate) enum Origin {
    /// Created as the parent of a header (`a` in `[a.b]`); `[a]` may still define it once.
    Implicit,
    /// Defined by a header or the document itself.
    Header,
    /// An inline table, closed once written.
    Inline,
}

#[derive(Debug)]
pub(crate) struct Table<'a> {
    pub(crate) entries: Vec<(Cow<'a, str>, Value<'a>)>,
    pub(crate) origin: Origin,
    /// Hashes of the keys once a table is large, so that duplicates stay cheap to find. A
    /// collision only makes the reader decline, never accept. Boxed: few tables are large, and
    /// inline in every table it made each value twice the size (uv.lock has tens of thousands).
    #[expect(clippy::box_collection, reason = "the box is the point: see above")]
    index: Option<Box<HashSet<u64>>>,
}

/// Above this many keys a table keeps a hash index instead of scanning.
const SCAN_LIMIT: usize = 32;

impl<'a> Table<'a> {
    fn new(origin: Origin) -> Self {
        Self {
            entries: Vec::new(),
            origin,
            index: None,
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Adds a key that must not be there yet.
    fn insert(&mut self, key: Cow<'a, str>, value: Value<'a>) -> Read<()> {
        check_new_key(&self.entries, &mut self.index, &key)?;
        self.entries.push((key, value));
        Ok(())
    }
}

/// Declines when `key` is among `entries` already: a scan while they are few, then a hash index
/// of their keys, made once and kept in `index`. `entries` are a table's, or the pairs of an
/// inline table still being read (`parser::Parser::pairs`).
#[expect(clippy::box_collection, reason = "as `Table::index`")]
fn check_new_key(
    entries: &[(Cow<'_, str>, Value<'_>)],
    index: &mut Option<Box<HashSet<u64>>>,
    key: &str,
) -> Read<()> {
    let new = if entries.len() < SCAN_LIMIT {
        !entries.iter().any(|(k, _)| k == key)
    } else {
        index
            .get_or_insert_with(|| Box::new(entries.iter().map(|(k, _)| key_hash(k)).collect()))
            .insert(key_hash(key))
    };
    if new { Ok(()) } else { Err(Decline) }
}

fn key_hash(key: &str) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(key)
}

/// Parses a whole document into its root table.
pub(crate) fn parse(text: &str) -> Read<Table<'_>> {
    let mut parser = Parser {
        text,
        pos: 0,
        depth: 0,
        items: Vec::new(),
        pairs: Vec::new(),
    };
    let mut root = Table::new(Origin::Header);
    // The table the current section's pairs go to: a header's path, and whether it was `[[…]]`.
    let mut path: Vec<Cow<'_, str>> = Vec::new();
    let mut pending: Vec<(Cow<'_, str>, Value<'_>)> = Vec::new();
    loop {
        parser.skip_blank()?;
        match parser.peek() {
            None => break,
            Some(b'[') => {
                flush(&mut root, &path, &mut pending)?;
                let (header, array) = parser.header()?;
                define(&mut root, &header, array)?;
                path = header;
            }
            Some(_) => {
                let key = parser.key()?;
                parser.skip_ws();
                if parser.peek() == Some(b'.') {
                    return Err(Decline); // dotted keys: left to the `toml` crate
                }
                parser.expect(b'=')?;
                parser.skip_ws();
                let value = parser.value()?;
                parser.line_end()?;
                pending.push((key, value));
            }
        }
    }
    flush(&mut root, &path, &mut pending)?;
    Ok(root)
}

/// Walks to the table a path names, descending into the last table of arrays of tables.
fn walk<'t, 'a>(root: &'t mut Table<'a>, path: &[Cow<'a, str>]) -> Read<&'t mut Table<'a>> {
    let mut table = root;
    for key in path {
        let at = table.position(key).ok_or(Decline)?;
        let (_, value) = table.entries.get_mut(at).ok_or(Decline)?;
        table = descend(value)?;
    }
    Ok(table)
}

/// The table a header may go through: a non-inline table, or the last of an array of tables.
fn descend<'t, 'a>(value: &'t mut Value<'a>) -> Read<&'t mut Table<'a>> {
    match value {
        Value::Table(table) if table.origin != Origin::Inline => Ok(table),
        Value::Array {
            items,
            tables: true,
        } => match items.last_mut() {
            Some(Value::Table(table)) => Ok(table),
            _ => Err(Decline),
        },
        _ => Err(Decline),
    }
}

/// Applies a header: creates or completes the table it names (TOML 1.0's table rules).
fn define<'a>(root: &mut Table<'a>, header: &[Cow<'a, str>], array: bool) -> Read<()> {
    let (last, parents) = header.split_last().ok_or(Decline)?;
    let mut table = root;
    for key in parents {
        let at = match table.position(key) {
            Some(at) => at,
            None => {
                table.insert(key.clone(), Value::Table(Table::new(Origin::Implicit)))?;
                table.entries.len() - 1
            }
        };
        let (_, value) = table.entries.get_mut(at).ok_or(Decline)?;
        table = descend(value)?;
    }
    match (table.position(last), array) {
        (None, false) => table.insert(last.clone(), Value::Table(Table::new(Origin::Header))),
        (None, true) => table.insert(
            last.clone(),
            Value::Array {
                items: vec![Value::Table(Table::new(Origin::Header))],
                tables: true,
            },
        ),
        (Some(at), _) => match (table.entries.get_mut(at), array) {
            (Some((_, Value::Table(existing))), false) if existing.origin == Origin::Implicit => {
                existing.origin = Origin::Header;
                Ok(())
            }
            (
                Some((
                    _,
                    Value::Array {
                        items,
                        tables: true,
                    },
                )),
                true,
            ) => {
                items.push(Value::Table(Table::new(Origin::Header)));
                Ok(())
            }
            _ => Err(Decline),
        },
    }
}

/// Moves a section's pairs into its table; a key already there (a value or a sub-table a
/// header made) is a duplicate.
fn flush<'a>(
    root: &mut Table<'a>,
    path: &[Cow<'a, str>],
    pending: &mut Vec<(Cow<'a, str>, Value<'a>)>,
) -> Read<()> {
    if pending.is_empty() {
        return Ok(());
    }
    let table = walk(root, path)?;
    for (key, value) in pending.drain(..) {
        table.insert(key, value)?;
    }
    Ok(())
}

/// Test helper: the real lockfiles `testdata/lockfiles/<ecosystem>/<case>` are read by this
/// reader, not by the `toml` fallback, down to the parser's serde structs (`takes` is
/// `from_str::<ThoseStructs>(text).is_some()`; a decline would silently cost the speed-up).
#[cfg(test)]
pub(crate) fn assert_fixtures_take_fast_path(
    ecosystem: &str,
    cases: &[&str],
    takes: fn(&str) -> bool,
) {
    for case in cases {
        let path = format!(
            "{}/../../testdata/lockfiles/{ecosystem}/{case}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(takes(&text), "{path}");
    }
}

#[cfg(test)]
#[path = "toml_fast_tests.rs"]
mod tests;
