//! The YAML subset `pnpm-lock.yaml` and Yarn Berry's `yarn.lock` are written in, read into
//! [`Node`]s.
//!
//! Lockfiles are untrusted input, so this reads only what those writers produce (js-yaml with a
//! wide line width, Yarn's own stringifier): block mappings and sequences by indentation (spaces
//! only), plain, single- and double-quoted scalars (quoted ones may span lines and are folded),
//! flow mappings and sequences (nested, possibly spanning lines) and comments. A leading `%YAML`
//! line and `---` are tolerated; a BOM is skipped; CRLF is accepted.
//!
//! Refused with an error, because no lockfile writer emits them and each widens what a hostile
//! file can do: anchors, aliases, tags, merge keys, complex (`?`) keys, several documents,
//! nesting deeper than [`MAX_DEPTH`], block scalars (`|`, `>`) and plain scalars continued on a
//! following line. Duplicate keys are an error too: which one wins would differ between tools.
//! Scalars are kept as text: `null`, `~`, `true` and numbers are not interpreted.

use std::collections::HashSet;

use super::LockfileError;
use crate::byte_set::{self, ByteSet};

/// Deepest nesting of collections we accept.
pub(crate) const MAX_DEPTH: usize = 64;

/// A parsed node. Maps keep document order; duplicate keys are an error.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// Plain or quoted text, escapes decoded; `null`, `~` and empty values stay as text.
    Scalar(String),
    /// A block or flow sequence.
    Seq(Vec<Node>),
    /// A block or flow mapping, in document order.
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub(crate) fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    }

    /// A scalar's text.
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Self::Scalar(text) => Some(text),
            _ => None,
        }
    }

    /// A mapping's entries.
    pub(crate) fn as_map(&self) -> Option<&[(String, Node)]> {
        match self {
            Self::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// A sequence's items.
    #[cfg_attr(not(test), allow(dead_code))] // part of the shared API; yarn.rs may use it
    pub(crate) fn as_seq(&self) -> Option<&[Node]> {
        match self {
            Self::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text of the scalar at `key` in a mapping.
    pub(crate) fn str_at(&self, key: &str) -> Option<&str> {
        self.get(key)?.as_str()
    }
}

/// Parses one document. Errors are [`LockfileError::Syntax`] with line and column.
pub(crate) fn parse(text: &str) -> Result<Node, LockfileError> {
    let origin = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        pos: origin,
        origin,
        depth: 0,
    };
    parser.document()
}

/// Reads block content line by line. Between block entries `pos` sits at a line start.
struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Where the first line starts (after a BOM).
    origin: usize,
    depth: usize,
}

impl Parser<'_> {
    fn document(&mut self) -> Result<Node, LockfileError> {
        let mut seen_marker = false;
        let node = loop {
            let Some((start, indent)) = self.peek_content()? else {
                return Ok(Node::Scalar(String::new()));
            };
            let content = start + indent;
            if indent == 0 && !seen_marker && self.byte_at(content) == Some(b'%') {
                if self.is_marker(content, "%YAML") {
                    self.pos = self.next_line(content);
                    continue;
                }
                return Err(self.error_at(
                    content,
                    "YAML directives other than %YAML are not supported",
                ));
            }
            if indent == 0 && self.is_marker(content, "---") {
                if seen_marker {
                    return Err(self.error_at(content, "several YAML documents are not supported"));
                }
                seen_marker = true;
                self.pos = content + 3;
                self.skip_inline_whitespace();
                if self.at_comment_or_line_end(content + 3) {
                    self.pos = self.next_line(self.pos);
                    continue;
                }
                let column = self.column(self.pos);
                break self.block_node(column)?;
            }
            self.pos = content;
            break self.block_node(indent)?;
        };
        let mut ended = false;
        while let Some((start, indent)) = self.peek_content()? {
            let content = start + indent;
            if indent == 0 && self.is_marker(content, "...") && !ended {
                ended = true;
                self.pos = content + 3;
                self.finish_line()?;
                continue;
            }
            let message = if indent == 0 && self.is_marker(content, "---") || ended {
                "several YAML documents are not supported"
            } else if indent == 0 {
                "unexpected content after the top-level value"
            } else {
                "unexpected indentation"
            };
            return Err(self.error_at(content, message));
        }
        Ok(node)
    }

    /// A block node whose first character is at `pos`, in column `indent`.
    fn block_node(&mut self, indent: usize) -> Result<Node, LockfileError> {
        if self.is_seq_item(self.pos) {
            return self.block_seq(indent);
        }
        if self.byte() == Some(b'?') && self.is_separator(self.pos + 1) {
            return Err(self.error("complex mapping keys (`?`) are not supported"));
        }
        if self.line_is_map_entry() {
            return self.block_map(indent);
        }
        let node = self.inline_value()?;
        self.finish_line()?;
        Ok(node)
    }

    fn block_map(&mut self, indent: usize) -> Result<Node, LockfileError> {
        self.enter()?;
        let mut entries = Vec::new();
        let mut offsets = Vec::new();
        loop {
            offsets.push(self.pos);
            let key = self.block_key()?;
            let value = self.map_value(indent)?;
            entries.push((key, value));
            match self.peek_content()? {
                Some((start, column)) if column == indent => {
                    if indent == 0 && self.is_document_marker(start) {
                        break;
                    }
                    self.pos = start + column;
                    if self.is_seq_item(self.pos) {
                        return Err(self.error("a sequence item where a mapping key was expected"));
                    }
                }
                Some((start, column)) if column > indent => {
                    return Err(self.error_at(start + column, "unexpected indentation"));
                }
                _ => break,
            }
        }
        self.check_duplicates(&entries, &offsets)?;
        self.depth -= 1;
        Ok(Node::Map(entries))
    }

    fn block_key(&mut self) -> Result<String, LockfileError> {
        match self.byte() {
            Some(b'\'' | b'"') => {
                let key = self.quoted()?;
                self.skip_inline_whitespace();
                if self.byte() != Some(b':') || !self.is_separator(self.pos + 1) {
                    return Err(self.error("expected `:` after the key"));
                }
                self.pos += 1;
                Ok(key)
            }
            Some(b'{' | b'[' | b'?') => Err(self.error("complex mapping keys are not supported")),
            Some(byte @ (b'&' | b'*' | b'!')) => Err(self.indicator_error(byte)),
            _ => {
                let Some(colon) = self.plain_colon(self.pos) else {
                    return Err(self.error("expected `key: value`"));
                };
                let key = self.slice(self.pos, colon)?.trim_end_matches([' ', '\t']);
                if key == "<<" {
                    return Err(self.error("merge keys (`<<`) are not supported"));
                }
                let key = key.to_owned();
                self.pos = colon + 1;
                Ok(key)
            }
        }
    }

    /// The value after `key:`; `indent` is the key's column.
    fn map_value(&mut self, indent: usize) -> Result<Node, LockfileError> {
        let after_colon = self.pos;
        self.skip_inline_whitespace();
        if !self.at_comment_or_line_end(after_colon) {
            if self.is_seq_item(self.pos) {
                return Err(self.error("a block sequence cannot start on the line of its key"));
            }
            let node = self.inline_value()?;
            self.finish_line()?;
            return Ok(node);
        }
        self.pos = self.next_line(self.pos);
        match self.peek_content()? {
            Some((start, column)) if column > indent => {
                self.pos = start + column;
                self.block_node(column)
            }
            // YAML lets a sequence sit at its key's own indentation.
            Some((start, column)) if column == indent && self.is_seq_item(start + column) => {
                self.pos = start + column;
                self.block_seq(column)
            }
            _ => Ok(Node::Scalar(String::new())),
        }
    }

    fn block_seq(&mut self, indent: usize) -> Result<Node, LockfileError> {
        self.enter()?;
        let mut items = Vec::new();
        loop {
            self.pos += 1; // the `-`
            let after_dash = self.pos;
            self.skip_inline_whitespace();
            let item = if self.at_comment_or_line_end(after_dash) {
                self.pos = self.next_line(self.pos);
                match self.peek_content()? {
                    Some((start, column)) if column > indent => {
                        self.pos = start + column;
                        self.block_node(column)?
                    }
                    _ => Node::Scalar(String::new()),
                }
            } else {
                let column = self.column(self.pos);
                self.block_node(column)?
            };
            items.push(item);
            match self.peek_content()? {
                Some((start, column)) if column == indent && self.is_seq_item(start + column) => {
                    self.pos = start + column;
                }
                Some((start, column)) if column > indent => {
                    return Err(self.error_at(start + column, "unexpected indentation"));
                }
                _ => break,
            }
        }
        self.depth -= 1;
        Ok(Node::Seq(items))
    }

    /// A scalar or flow collection on the current line, in block context.
    fn inline_value(&mut self) -> Result<Node, LockfileError> {
        match self.byte() {
            Some(b'{' | b'[') => self.flow_node(),
            Some(b'\'' | b'"') => Ok(Node::Scalar(self.quoted()?)),
            Some(b'|' | b'>') => Err(self.error("block scalars (`|`, `>`) are not supported")),
            Some(byte @ (b'&' | b'*' | b'!')) => Err(self.indicator_error(byte)),
            Some(b'}' | b']' | b',') => Err(self.error("unexpected flow indicator")),
            _ => self.plain_block(),
        }
    }

    /// A plain scalar up to the end of the line or a comment.
    fn plain_block(&mut self) -> Result<Node, LockfileError> {
        let start = self.pos;
        let mut i = start;
        loop {
            i = self.skip_to(i, &PLAIN_BLOCK);
            if self.at_line_end(i) {
                break;
            }
            match self.bytes[i] {
                b'#' if i > start && is_blank(self.bytes[i - 1]) => break,
                b':' if self.is_separator(i + 1) => {
                    return Err(self.error_at(i, "`: ` inside a plain value (it must be quoted)"));
                }
                _ => i += 1,
            }
        }
        let end = self.trim_blank_end(start, i);
        self.pos = end;
        Ok(Node::Scalar(self.slice(start, end)?.to_owned()))
    }

    // Line handling.

    /// From a line start, skips blank and comment lines; `(line start, indentation)` of the next
    /// line with content, `pos` left at that line's start.
    fn peek_content(&mut self) -> Result<Option<(usize, usize)>, LockfileError> {
        while self.pos < self.bytes.len() {
            let start = self.pos;
            let mut i = start;
            while self.bytes.get(i) == Some(&b' ') {
                i += 1;
            }
            let mut j = i;
            while matches!(self.bytes.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if self.at_line_end(j) || self.bytes.get(j) == Some(&b'#') {
                self.pos = self.next_line(j);
                continue;
            }
            if j != i {
                return Err(self.error_at(i, "tab characters are not allowed in indentation"));
            }
            return Ok(Some((start, i - start)));
        }
        Ok(None)
    }

    /// After a value: only blanks and a comment may follow; moves to the next line.
    fn finish_line(&mut self) -> Result<(), LockfileError> {
        let value_end = self.pos;
        self.skip_inline_whitespace();
        if !self.at_comment_or_line_end(value_end) {
            return Err(self.error("unexpected text after the value"));
        }
        self.pos = self.next_line(self.pos);
        Ok(())
    }

    /// Whether `pos` is at a line end or a comment; a `#` counts only after whitespace, i.e.
    /// when `pos` moved past `since`.
    fn at_comment_or_line_end(&self, since: usize) -> bool {
        self.at_line_end(self.pos) || (self.byte() == Some(b'#') && self.pos > since)
    }

    /// The position after the line break at or after `i`.
    fn next_line(&self, i: usize) -> usize {
        self.bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| b == b'\n'))
            .map_or(self.bytes.len(), |n| i + n + 1)
    }

    fn column(&self, i: usize) -> usize {
        let before = self.bytes.get(self.origin..i).unwrap_or_default();
        before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(before.len(), |n| before.len() - n - 1)
    }

    fn line_is_map_entry(&self) -> bool {
        match self.byte() {
            Some(b'\'' | b'"') => {
                let Some(mut i) = self.quoted_end(self.pos) else {
                    return false;
                };
                while matches!(self.bytes.get(i), Some(b' ' | b'\t')) {
                    i += 1;
                }
                self.bytes.get(i) == Some(&b':') && self.is_separator(i + 1)
            }
            Some(b'{' | b'[') => false,
            _ => self.plain_colon(self.pos).is_some(),
        }
    }

    /// The `:` ending a plain key that starts at `start`, on the same line and before a comment.
    fn plain_colon(&self, start: usize) -> Option<usize> {
        let mut i = start;
        loop {
            i = self.skip_to(i, &PLAIN_BLOCK);
            if self.at_line_end(i) {
                return None;
            }
            match self.bytes[i] {
                b'#' if i > start && is_blank(self.bytes[i - 1]) => return None,
                b':' if self.is_separator(i + 1) => return Some(i),
                _ => i += 1,
            }
        }
    }

    /// The first position at or after `i` holding a byte of `set` (or the end): scans skip
    /// ordinary text in one tight loop.
    fn skip_to(&self, i: usize, set: &ByteSet) -> usize {
        self.bytes
            .get(i..)
            .and_then(|rest| rest.iter().position(|&b| set[usize::from(b)]))
            .map_or(self.bytes.len(), |n| i + n)
    }

    /// `end` moved back over trailing blanks, not before `start`.
    fn trim_blank_end(&self, start: usize, mut end: usize) -> usize {
        while end > start && is_blank(self.bytes[end - 1]) {
            end -= 1;
        }
        end
    }

    fn skip_inline_whitespace(&mut self) {
        while matches!(self.byte(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Whitespace, line breaks and comments inside a flow collection.
    fn skip_flow_whitespace(&mut self) {
        while let Some(byte) = self.byte() {
            match byte {
                b' ' | b'\t' | b'\r' | b'\n' => self.pos += 1,
                b'#' if self.pos == 0
                    || matches!(self.bytes[self.pos - 1], b' ' | b'\t' | b'\r' | b'\n') =>
                {
                    while !self.at_line_end(self.pos) {
                        self.pos += 1;
                    }
                }
                _ => break,
            }
        }
    }

    fn at_line_end(&self, i: usize) -> bool {
        match self.bytes.get(i) {
            None | Some(b'\n') => true,
            Some(b'\r') => matches!(self.bytes.get(i + 1), None | Some(b'\n')),
            Some(_) => false,
        }
    }

    /// Whether a blank or line end is at `i` (what ends a `-`, `?` or `:` indicator).
    fn is_separator(&self, i: usize) -> bool {
        self.at_line_end(i) || self.bytes.get(i).is_some_and(|&b| is_blank(b))
    }

    /// Whether a `:` followed by what is at `i` ends a plain scalar in flow context.
    fn is_flow_stop(&self, i: usize) -> bool {
        self.is_separator(i) || matches!(self.bytes.get(i), Some(b',' | b'[' | b']' | b'{' | b'}'))
    }

    fn is_seq_item(&self, i: usize) -> bool {
        self.bytes.get(i) == Some(&b'-') && self.is_separator(i + 1)
    }

    fn is_marker(&self, i: usize, marker: &str) -> bool {
        self.bytes
            .get(i..i + marker.len())
            .is_some_and(|b| b == marker.as_bytes())
            && self.is_separator(i + marker.len())
    }

    fn is_document_marker(&self, i: usize) -> bool {
        self.is_marker(i, "---") || self.is_marker(i, "...")
    }

    fn byte(&self) -> Option<u8> {
        self.byte_at(self.pos)
    }

    fn byte_at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn slice(&self, start: usize, end: usize) -> Result<&str, LockfileError> {
        self.text
            .get(start..end)
            .ok_or_else(|| self.error_at(start, "text splits a UTF-8 character"))
    }

    fn enter(&mut self) -> Result<(), LockfileError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error("nesting deeper than 64 levels is not supported"));
        }
        Ok(())
    }

    fn check_duplicates(
        &self,
        entries: &[(String, Node)],
        offsets: &[usize],
    ) -> Result<(), LockfileError> {
        let duplicate = if entries.len() <= 8 {
            (1..entries.len()).find(|&i| entries[..i].iter().any(|(k, _)| *k == entries[i].0))
        } else {
            let mut seen = HashSet::with_capacity(entries.len());
            entries
                .iter()
                .position(|(key, _)| !seen.insert(key.as_str()))
        };
        match duplicate {
            Some(i) => Err(self.error_at(
                offsets.get(i).copied().unwrap_or(self.pos),
                format!("duplicate key {:?}", entries[i].0),
            )),
            None => Ok(()),
        }
    }

    fn indicator_error(&self, byte: u8) -> LockfileError {
        self.error(match byte {
            b'&' => "anchors (`&`) are not supported",
            b'*' => "aliases (`*`) are not supported",
            _ => "tags (`!`) are not supported",
        })
    }

    fn error(&self, message: impl Into<String>) -> LockfileError {
        self.error_at(self.pos, message)
    }

    fn error_at(&self, offset: usize, message: impl Into<String>) -> LockfileError {
        LockfileError::at_offset(self.text, offset, message)
    }
}

// Bytes a scan must stop at; see [`Parser::skip_to`].
const PLAIN_BLOCK: ByteSet = byte_set::of(b":#\r\n");
const PLAIN_FLOW: ByteSet = byte_set::of(b",[]{}:#\r\n");
const SINGLE_QUOTED: ByteSet = byte_set::of(b"'\r\n");
const DOUBLE_QUOTED: ByteSet = byte_set::of(b"\"\\\r\n");

fn is_blank(byte: u8) -> bool {
    byte == b' ' || byte == b'\t'
}

#[path = "yaml_inline.rs"]
mod inline;

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
