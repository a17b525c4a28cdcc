//! Deserialization helpers shared by the parsers: strict maps and error locations.
//!
//! serde's maps silently keep the last of two equal keys; a lockfile with a duplicated
//! package key is corrupt or tampered with, so JSON maps are read through [`UniqueMap`],
//! which refuses duplicates (serde_json then reports the line and column).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::LockfileError;

/// A JSON object kept in document order, refusing duplicate keys. Keys are `String`s, or
/// [`Text`] where the caller keeps the document and wants them without a copy.
#[derive(Debug)]
pub(crate) struct UniqueMap<V, K = String>(pub(crate) Vec<(K, V)>);

impl<V, K> Default for UniqueMap<V, K> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

/// Up to this many entries a map is scanned for duplicates rather than hashed.
const SCAN_LIMIT: usize = 16;

/// The keys of a JSON object whose values we do not need (dependency name → range).
pub(crate) type KeySet<K = String> = UniqueMap<IgnoredAny, K>;

impl<V, K: AsRef<str>> UniqueMap<V, K> {
    pub(crate) fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_ref())
    }
}

/// A JSON or TOML string borrowed from the document when it holds no escape (nearly all do),
/// copied otherwise: a large package-lock.json holds some 50,000 strings, and copying each was
/// a third of its parse.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Text<'a>(pub(crate) Cow<'a, str>);

impl AsRef<str> for Text<'_> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for Text<'_> {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Text<'_> {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

// Same order and equality as `str` (derived from `Cow<str>`), so maps keyed by `Text` can be
// searched with a `&str`.
impl std::borrow::Borrow<str> for Text<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;

        impl<'de> Visitor<'de> for TextVisitor {
            type Value = Cow<'de, str>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Cow::Borrowed(v))
            }

            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v.to_owned()))
            }

            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Cow::Owned(v))
            }
        }

        deserializer.deserialize_str(TextVisitor).map(Text)
    }
}

impl<'de, V, K> Deserialize<'de> for UniqueMap<V, K>
where
    V: Deserialize<'de>,
    K: Deserialize<'de> + AsRef<str>,
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<V, K>(PhantomData<(V, K)>);

        impl<'de, V, K> Visitor<'de> for MapVisitor<V, K>
        where
            V: Deserialize<'de>,
            K: Deserialize<'de> + AsRef<str>,
        {
            type Value = UniqueMap<V, K>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object")
            }

            fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Self::Value, A::Error> {
                unique_entries(access, |k: K, v: V| (k, v), |(k, _)| k.as_ref()).map(UniqueMap)
            }
        }

        deserializer.deserialize_map(MapVisitor::<V, K>(PhantomData))
    }
}

/// The entries of a map in order, each turned into a `T` as soon as it is read (so a large
/// map is never held twice, as raw entries and as what the caller wants), refusing a key seen
/// before; `key_of` gives the key back from a `T`.
pub(crate) fn unique_entries<'de, A, K, V, T>(
    mut access: A,
    mut convert: impl FnMut(K, V) -> T,
    key_of: impl Fn(&T) -> &str,
) -> Result<Vec<T>, A::Error>
where
    A: MapAccess<'de>,
    K: Deserialize<'de> + AsRef<str>,
    V: Deserialize<'de>,
{
    let mut entries: Vec<T> = Vec::with_capacity(access.size_hint().unwrap_or(0));
    // Checked as each key arrives, so that the error points at the duplicate. Small maps (most
    // dependency lists) are scanned; larger ones keep key hashes, a hit confirmed by comparing
    // keys. No key is copied for the check.
    let mut hashes: Option<HashSet<u64>> = None;
    let state = RandomState::new();
    let key_hash = |key: &str| state.hash_one(key);
    while let Some(key) = access.next_key::<K>()? {
        let name = key.as_ref();
        let same = |entry: &T| key_of(entry) == name;
        let duplicate = if entries.len() < SCAN_LIMIT {
            entries.iter().any(same)
        } else {
            let hashes =
                hashes.get_or_insert_with(|| entries.iter().map(|e| key_hash(key_of(e))).collect());
            !hashes.insert(key_hash(name)) && entries.iter().any(same)
        };
        if duplicate {
            return Err(serde::de::Error::custom(format_args!(
                "duplicate key `{name}`"
            )));
        }
        let value = access.next_value()?;
        entries.push(convert(key, value));
    }
    Ok(entries)
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
pub(crate) fn toml_from_str<'a, T: Deserialize<'a>>(text: &'a str) -> Result<T, toml::de::Error> {
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
    fn text_borrows_plain_strings_and_copies_escaped_ones() {
        let map: UniqueMap<Text<'_>, Text<'_>> =
            serde_json::from_str(r#"{"plain": "v1", "esc\u0061ped": "a\/b"}"#).unwrap();
        let [(k1, v1), (k2, v2)] = map.0.as_slice() else {
            panic!("expected two entries");
        };
        assert!(matches!(
            (&k1.0, &v1.0),
            (Cow::Borrowed("plain"), Cow::Borrowed("v1"))
        ));
        assert!(
            matches!((&k2.0, &v2.0), (Cow::Owned(k), Cow::Owned(v)) if k == "escaped" && v == "a/b")
        );
        // A duplicate spelled differently (one escaped) is still the same key.
        let err =
            serde_json::from_str::<KeySet<Text<'_>>>(r#"{"ab": 1, "a\u0062": 2}"#).unwrap_err();
        assert!(err.to_string().contains("duplicate key `ab`"), "{err}");
        // Beyond the scan limit the hashed check takes over, with borrowed and copied keys.
        let mut text: String = (0..40).map(|i| format!("\"k{i}\": 0, ")).collect();
        text.push_str(r#""k\u00331": 0"#);
        let err = serde_json::from_str::<KeySet<Text<'_>>>(&format!("{{{text}}}")).unwrap_err();
        assert!(err.to_string().contains("duplicate key `k31`"), "{err}");
    }

    #[test]
    fn order_is_kept() {
        let map: UniqueMap<u32> = serde_json::from_str(r#"{"b": 1, "a": 2}"#).unwrap();
        assert_eq!(map.keys().collect::<Vec<_>>(), ["b", "a"]);
    }
}
