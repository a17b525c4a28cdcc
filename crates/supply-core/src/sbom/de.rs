//! Deserialization helpers shared by the parsers: strict maps and error locations.
//!
//! serde's maps silently keep the last of two equal keys; a lockfile with a duplicated
//! package key is corrupt or tampered with, so JSON maps are read through [`UniqueMap`],
//! which refuses duplicates (serde_json then reports the line and column).

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::LockfileError;

/// A JSON object kept in document order, refusing duplicate keys.
#[derive(Debug)]
pub(crate) struct UniqueMap<V>(pub(crate) Vec<(String, V)>);

impl<V> Default for UniqueMap<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// Up to this many entries a map is scanned for duplicates rather than hashed.
const SCAN_LIMIT: usize = 16;

/// The keys of a JSON object whose values we do not need (dependency name → range).
pub(crate) type KeySet = UniqueMap<IgnoredAny>;

impl<V> UniqueMap<V> {
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for UniqueMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V>(PhantomData<V>);

        impl<'de, V: Deserialize<'de>> Visitor<'de> for MapVisitor<V> {
            type Value = UniqueMap<V>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(String, V)> =
                    Vec::with_capacity(access.size_hint().unwrap_or(0));
                // Checked as each key arrives, so that the error points at the duplicate. Small
                // maps (most dependency lists) are scanned; larger ones keep key hashes, a hit
                // confirmed by comparing keys. No key is copied for the check.
                let mut hashes: Option<HashSet<u64>> = None;
                let state = RandomState::new();
                let key_hash = |key: &str| state.hash_one(key);
                while let Some(key) = access.next_key::<String>()? {
                    let duplicate = if entries.len() < SCAN_LIMIT {
                        entries.iter().any(|(k, _)| *k == key)
                    } else {
                        let hashes = hashes.get_or_insert_with(|| {
                            entries.iter().map(|(k, _)| key_hash(k)).collect()
                        });
                        !hashes.insert(key_hash(&key)) && entries.iter().any(|(k, _)| *k == key)
                    };
                    if duplicate {
                        return Err(serde::de::Error::custom(format_args!(
                            "duplicate key `{key}`"
                        )));
                    }
                    let value = access.next_value()?;
                    entries.push((key, value));
                }
                Ok(UniqueMap(entries))
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// Turns a serde_json error into a located syntax error. Text that is not JSON at all says so
/// in plain words (serde_json's "expected ident" means nothing to a user); valid JSON of the
/// wrong shape keeps serde's words, which name the type found and the one expected.
pub(crate) fn json_error(error: &serde_json::Error) -> LockfileError {
    let text = error.to_string();
    // serde_json appends " at line L column C"; we report the location in our own fields.
    let detail = match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text),
        None => &text,
    };
    let message = match error.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            let plain = match detail {
                "expected ident" | "expected value" => "expected a value",
                "trailing characters" => "text after the end of the document",
                "EOF while parsing a value" if error.line() <= 1 && error.column() == 0 => {
                    "the text is empty"
                }
                "EOF while parsing a value" => "the text ends where a value should be",
                "EOF while parsing an object" => "the text ends inside an object",
                "EOF while parsing a list" => "the text ends inside an array",
                "EOF while parsing a string" => "the text ends inside a string",
                other => other,
            };
            format!("not JSON: {plain}")
        }
        _ => detail.to_owned(),
    };
    LockfileError::Syntax {
        line: error.line().max(1),
        column: error.column().max(1),
        message,
    }
}

/// `toml::from_str`, through the fast reader when it takes the text (same result, see
/// [`super::toml_fast`]).
pub(crate) fn toml_from_str<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, toml::de::Error> {
    match super::toml_fast::from_str(text) {
        Some(value) => Ok(value),
        None => toml::from_str(text),
    }
}

/// Turns a TOML error into a located syntax error.
pub(crate) fn toml_error(text: &str, error: &toml::de::Error) -> LockfileError {
    let offset = error.span().map_or(0, |span| span.start);
    LockfileError::at_offset(text, offset, error.message().trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_refused_with_location() {
        let err = serde_json::from_str::<UniqueMap<u32>>("{\n\"a\": 1,\n\"a\": 2}").unwrap_err();
        let LockfileError::Syntax { line, message, .. } = json_error(&err) else {
            panic!("expected a syntax error");
        };
        assert_eq!(line, 3);
        assert_eq!(message, "duplicate key `a`");
    }

    #[test]
    fn text_that_is_not_json_says_so_in_plain_words() {
        let cases = [
            ("not json at all", 1, 2, "not JSON: expected a value"),
            ("{\n  \"a\": tru }", 2, 11, "not JSON: expected a value"),
            ("<html>", 1, 1, "not JSON: expected a value"),
            (
                "{\"a\": 1",
                1,
                7,
                "not JSON: the text ends inside an object",
            ),
            ("[1, 2", 1, 5, "not JSON: the text ends inside an array"),
            (
                "{\"a\": 1} x",
                1,
                10,
                "not JSON: text after the end of the document",
            ),
            ("", 1, 1, "not JSON: the text is empty"),
        ];
        for (text, line, column, expected) in cases {
            let err = serde_json::from_str::<serde_json::Value>(text).unwrap_err();
            let LockfileError::Syntax {
                line: l,
                column: c,
                message,
            } = json_error(&err)
            else {
                panic!("expected a syntax error");
            };
            assert_eq!(
                (l, c, message.as_str()),
                (line, column, expected),
                "{text:?}"
            );
        }
        // Valid JSON of the wrong shape keeps serde's words: they name the field's type.
        let err = serde_json::from_str::<UniqueMap<u32>>("[1]").unwrap_err();
        let LockfileError::Syntax { message, .. } = json_error(&err) else {
            panic!("expected a syntax error");
        };
        assert_eq!(message, "invalid type: sequence, expected an object");
    }

    #[test]
    fn order_is_kept() {
        let map: UniqueMap<u32> = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a"]);
    }
}
