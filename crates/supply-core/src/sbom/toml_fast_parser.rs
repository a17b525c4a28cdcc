//! The fast TOML reader's syntax: one pass over the bytes, one value at a time. Every rule
//! refuses at least what TOML 1.0 refuses (see the parent module's contract).
#![warn(clippy::indexing_slicing, clippy::string_slice)]

use std::borrow::Cow;

use super::{Decline, Origin, Read, Table, Value, datetime};

pub(super) struct Parser<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
    /// Arrays and inline tables open around the current value.
    pub(super) depth: usize,
    /// The items of the arrays open around the current value, innermost last; an array's
    /// vector is made once it is closed, with exactly the room it needs. Thousands of small
    /// arrays and inline tables each took room for four (a first `push` reserves four) and a
    /// five-item one for eight; shrinking each once closed cost more in copies than it saved.
    pub(super) items: Vec<Value<'a>>,
    /// The same for the pairs of the inline tables open around the current value.
    pub(super) pairs: Vec<(Cow<'a, str>, Value<'a>)>,
}

/// Deeper nesting declines (the reader recurses; `toml` has its own limit and error).
pub(super) const MAX_DEPTH: usize = 64;

impl<'a> Parser<'a> {
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.text.as_bytes().get(self.pos + ahead).copied()
    }

    pub(super) fn expect(&mut self, byte: u8) -> Read<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Decline)
        }
    }

    pub(super) fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// A comment runs to the line end; control characters other than tab are not allowed.
    fn skip_comment(&mut self) -> Read<()> {
        if self.peek() != Some(b'#') {
            return Ok(());
        }
        while let Some(byte) = self.peek() {
            match byte {
                b'\n' => break,
                b'\r' if self.peek_at(1) == Some(b'\n') => break,
                b'\t' => {}
                0..=0x1f | 0x7f => return Err(Decline),
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// Consumes one newline (`\n` or `\r\n`) if there is one.
    fn newline(&mut self) -> Read<bool> {
        match (self.peek(), self.peek_at(1)) {
            (Some(b'\n'), _) => self.pos += 1,
            (Some(b'\r'), Some(b'\n')) => self.pos += 2,
            (Some(b'\r'), _) => return Err(Decline),
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Whitespace, comments and newlines.
    pub(super) fn skip_blank(&mut self) -> Read<()> {
        loop {
            self.skip_ws();
            self.skip_comment()?;
            if !self.newline()? {
                return Ok(());
            }
        }
    }

    /// What may follow a pair or a header: whitespace, a comment, then a newline or the end.
    pub(super) fn line_end(&mut self) -> Read<()> {
        self.skip_ws();
        self.skip_comment()?;
        if self.newline()? || self.peek().is_none() {
            Ok(())
        } else {
            Err(Decline)
        }
    }

    /// `[a.b]` or `[[a.b]]`: the path and whether it is an array of tables.
    pub(super) fn header(&mut self) -> Read<(Vec<Cow<'a, str>>, bool)> {
        self.expect(b'[')?;
        let array = self.peek() == Some(b'[');
        if array {
            self.pos += 1;
        }
        let mut path = Vec::new();
        loop {
            self.skip_ws();
            path.push(self.key()?);
            self.skip_ws();
            if self.peek() == Some(b'.') {
                self.pos += 1;
            } else {
                break;
            }
        }
        self.expect(b']')?;
        if array {
            self.expect(b']')?;
        }
        self.line_end()?;
        Ok((path, array))
    }

    /// A bare or quoted (one-line) key.
    pub(super) fn key(&mut self) -> Read<Cow<'a, str>> {
        match self.peek() {
            Some(b'"') => self.basic_string(),
            Some(b'\'') => self.literal_string(),
            _ => {
                let start = self.pos;
                while matches!(
                    self.peek(),
                    Some(b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-')
                ) {
                    self.pos += 1;
                }
                match self.text.get(start..self.pos) {
                    Some(key) if !key.is_empty() => Ok(Cow::Borrowed(key)),
                    _ => Err(Decline),
                }
            }
        }
    }

    pub(super) fn value(&mut self) -> Read<Value<'a>> {
        match self.peek().ok_or(Decline)? {
            b'"' => self.basic_string().map(Value::String),
            b'\'' => self.literal_string().map(Value::String),
            b'[' | b'{' => {
                if self.depth >= MAX_DEPTH {
                    return Err(Decline);
                }
                self.depth += 1;
                let nested = if self.peek() == Some(b'[') {
                    self.array()
                } else {
                    self.inline_table()
                };
                self.depth -= 1;
                nested
            }
            b't' => self.keyword("true", Value::Boolean(true)),
            b'f' => self.keyword("false", Value::Boolean(false)),
            b'0'..=b'9' | b'+' | b'-' => self.number_or_datetime(),
            _ => Err(Decline),
        }
    }

    fn keyword(&mut self, word: &str, value: Value<'a>) -> Read<Value<'a>> {
        let rest = self.text.get(self.pos..).ok_or(Decline)?;
        if !rest.starts_with(word) {
            return Err(Decline);
        }
        self.pos += word.len();
        // What may follow is checked by the caller (`truex` fails there).
        Ok(value)
    }

    fn array(&mut self) -> Read<Value<'a>> {
        self.expect(b'[')?;
        let start = self.items.len();
        loop {
            self.skip_blank()?;
            if self.peek() == Some(b']') {
                self.pos += 1;
                break;
            }
            let item = self.value()?;
            self.items.push(item);
            self.skip_blank()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Decline),
            }
        }
        Ok(Value::Array {
            items: self.items.drain(start..).collect(),
            tables: false,
        })
    }

    /// `{ k = v, … }` on one line (TOML 1.0: no newline between pairs, no trailing comma).
    fn inline_table(&mut self) -> Read<Value<'a>> {
        self.expect(b'{')?;
        let mut table = Table::new(Origin::Inline);
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Table(table));
        }
        // The pairs wait in `self.pairs` (see there) until the table is closed.
        let start = self.pairs.len();
        let mut index = None;
        loop {
            self.skip_ws();
            let key = self.key()?;
            self.skip_ws();
            self.expect(b'=')?; // a `.` here (a dotted key) declines too
            self.skip_ws();
            let value = self.value()?;
            let open = self.pairs.get(start..).unwrap_or_default();
            super::check_new_key(open, &mut index, &key)?;
            self.pairs.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    table.entries = self.pairs.drain(start..).collect();
                    table.index = index;
                    return Ok(Value::Table(table));
                }
                _ => return Err(Decline),
            }
        }
    }

    /// A one-line `"…"` string; `"""` (multi-line) declines.
    fn basic_string(&mut self) -> Read<Cow<'a, str>> {
        self.expect(b'"')?;
        if self.peek() == Some(b'"') && self.peek_at(1) == Some(b'"') {
            return Err(Decline);
        }
        let mut owned: Option<String> = None;
        let mut segment = self.pos;
        loop {
            let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
            self.pos += crate::sbom::scan::plain_prefix(rest);
            let byte = self.peek().ok_or(Decline)?;
            match byte {
                b'"' => {
                    let tail = self.text.get(segment..self.pos).ok_or(Decline)?;
                    self.pos += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(tail),
                        Some(mut text) => {
                            text.push_str(tail);
                            Cow::Owned(text)
                        }
                    });
                }
                b'\\' => {
                    let text = owned.get_or_insert_with(String::new);
                    text.push_str(self.text.get(segment..self.pos).ok_or(Decline)?);
                    self.pos += 1;
                    text.push(self.escape()?);
                    segment = self.pos;
                }
                b'\t' => self.pos += 1,
                _ => return Err(Decline), // other control characters and DEL
            }
        }
    }

    /// The character after a backslash (TOML 1.0's escapes only).
    fn escape(&mut self) -> Read<char> {
        let byte = self.peek().ok_or(Decline)?;
        self.pos += 1;
        let digits = match byte {
            b'b' => return Ok('\u{8}'),
            b't' => return Ok('\t'),
            b'n' => return Ok('\n'),
            b'f' => return Ok('\u{c}'),
            b'r' => return Ok('\r'),
            b'"' => return Ok('"'),
            b'\\' => return Ok('\\'),
            b'u' => 4,
            b'U' => 8,
            _ => return Err(Decline),
        };
        let hex = self.text.get(self.pos..self.pos + digits).ok_or(Decline)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Decline);
        }
        self.pos += digits;
        let code = u32::from_str_radix(hex, 16).map_err(|_| Decline)?;
        char::from_u32(code).ok_or(Decline)
    }

    /// A one-line `'…'` string; `'''` declines.
    fn literal_string(&mut self) -> Read<Cow<'a, str>> {
        self.expect(b'\'')?;
        if self.peek() == Some(b'\'') && self.peek_at(1) == Some(b'\'') {
            return Err(Decline);
        }
        let start = self.pos;
        loop {
            match self.peek().ok_or(Decline)? {
                b'\'' => break,
                b'\t' => {}
                0..=0x1f | 0x7f => return Err(Decline),
                _ => {}
            }
            self.pos += 1;
        }
        let text = self.text.get(start..self.pos).ok_or(Decline)?;
        self.pos += 1;
        Ok(Cow::Borrowed(text))
    }

    /// A decimal integer or a datetime; floats, `0x…`, `1_000`, `inf` and `nan` decline.
    fn number_or_datetime(&mut self) -> Read<Value<'a>> {
        let start = self.pos;
        while matches!(
            self.peek(),
            Some(b'0'..=b'9' | b'+' | b'-' | b':' | b'.' | b'T' | b't' | b'Z' | b'z')
        ) {
            self.pos += 1;
        }
        let token = self.text.get(start..self.pos).ok_or(Decline)?;
        if let Some(integer) = decimal(token) {
            return Ok(Value::Integer(integer));
        }
        // `1979-05-27 07:32:00`: a space may stand for `T`; left to the `toml` crate.
        if self.peek() == Some(b' ') && self.peek_at(1).is_some_and(|b| b.is_ascii_digit()) {
            return Err(Decline);
        }
        if datetime::is_datetime(token) {
            Ok(Value::Datetime(token))
        } else {
            Err(Decline)
        }
    }
}

/// `[+-]?(0|[1-9][0-9]*)` within `i64`.
fn decimal(token: &str) -> Option<i64> {
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    let leading_zero = digits.len() > 1 && digits.starts_with('0');
    if digits.is_empty() || leading_zero || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    token.parse().ok()
}
