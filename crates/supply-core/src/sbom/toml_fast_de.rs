//! serde over the fast reader's tree, visiting values the way the `toml` crate's deserializer
//! does: strings, `i64`s, booleans, sequences, maps, a present value as `Some`, a string as a
//! unit enum variant. Maps are visited in key order, as `toml`'s own (`BTreeMap`) tables are;
//! struct fields in document order, where order cannot matter. A datetime asked for as a value
//! is an error (so the caller falls back to `toml`, which has its own representation).

use std::borrow::Cow;
use std::fmt;

use serde::de::value::{BorrowedStrDeserializer, StrDeserializer};
use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::{Table, Value};

/// Any failure: the caller does not report it, it parses with `toml` instead.
#[derive(Debug)]
pub(super) struct Error;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("declined")
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Self
    }
}

pub(super) struct ValueDe<'v, 'a>(pub(super) &'v Value<'a>);

// The deserializer's lifetime is the text's: a string read without an escape is lent to the
// caller (`Text` keeps it), so a raw lockfile struct need not copy every URL and hash.
impl<'a> Deserializer<'a> for ValueDe<'_, 'a> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(Cow::Borrowed(text)) => visitor.visit_borrowed_str(text),
            Value::String(Cow::Owned(text)) => visitor.visit_str(text),
            Value::Integer(number) => visitor.visit_i64(*number),
            Value::Boolean(flag) => visitor.visit_bool(*flag),
            Value::Datetime(_) => Err(Error),
            Value::Array { items, .. } => visitor.visit_seq(Items(items.iter())),
            Value::Table(table) => visitor.visit_map(Entries::sorted(table)),
        }
    }

    fn deserialize_option<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Table(table) => visitor.visit_map(Entries::in_order(table)),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_enum<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::String(text) => {
                let variant: StrDeserializer<'_, Error> = text.as_ref().into_deserializer();
                visitor.visit_enum(variant)
            }
            _ => Err(Error),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'a>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_unit()
    }

    fn deserialize_unit<V: Visitor<'a>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error)
    }

    fn deserialize_unit_struct<V: Visitor<'a>>(
        self,
        _name: &'static str,
        _visitor: V,
    ) -> Result<V::Value, Error> {
        Err(Error)
    }

    serde::forward_to_deserialize_any! {
        <W: Visitor<'a>>
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        seq tuple tuple_struct map identifier
    }
}

struct Items<'v, 'a>(std::slice::Iter<'v, Value<'a>>);

impl<'a> SeqAccess<'a> for Items<'_, 'a> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'a>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        self.0
            .next()
            .map(|value| seed.deserialize(ValueDe(value)))
            .transpose()
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.0.len())
    }
}

type Entry<'v, 'a> = &'v (Cow<'a, str>, Value<'a>);

/// A table's entries, in document order (structs) or key order (maps).
enum Entries<'v, 'a> {
    InOrder(
        std::slice::Iter<'v, (Cow<'a, str>, Value<'a>)>,
        Option<&'v Value<'a>>,
    ),
    Sorted(std::vec::IntoIter<Entry<'v, 'a>>, Option<&'v Value<'a>>),
}

impl<'v, 'a> Entries<'v, 'a> {
    fn in_order(table: &'v Table<'a>) -> Self {
        Self::InOrder(table.entries.iter(), None)
    }

    fn sorted(table: &'v Table<'a>) -> Self {
        let mut entries: Vec<Entry<'v, 'a>> = table.entries.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Self::Sorted(entries.into_iter(), None)
    }
}

impl<'a> MapAccess<'a> for Entries<'_, 'a> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'a>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let (next, value) = match self {
            Self::InOrder(iter, value) => (iter.next(), value),
            Self::Sorted(iter, value) => (iter.next(), value),
        };
        let Some((key, next_value)) = next else {
            return Ok(None);
        };
        *value = Some(next_value);
        match key {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
            Cow::Owned(key) => seed.deserialize(StrDeserializer::new(key)),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'a>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let value = match self {
            Self::InOrder(_, value) | Self::Sorted(_, value) => value.take(),
        };
        seed.deserialize(ValueDe(value.ok_or(Error)?))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(match self {
            Self::InOrder(iter, _) => iter.len(),
            Self::Sorted(iter, _) => iter.len(),
        })
    }
}
