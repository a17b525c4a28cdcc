//! Flow collections and scalars: what a value on one line is made of, for [`super`].

use super::{DOUBLE_QUOTED, LockfileError, Node, PLAIN_FLOW, Parser, SINGLE_QUOTED, is_blank};

impl Parser<'_> {
    pub(super) fn flow_node(&mut self) -> Result<Node, LockfileError> {
        match self.byte() {
            Some(b'{') => self.flow_map(),
            Some(b'[') => self.flow_seq(),
            _ => Ok(Node::Scalar(self.flow_scalar()?)),
        }
    }

    fn flow_scalar(&mut self) -> Result<String, LockfileError> {
        match self.byte() {
            Some(b'\'' | b'"') => self.quoted(),
            Some(byte @ (b'&' | b'*' | b'!')) => Err(self.indicator_error(byte)),
            Some(b'{' | b'[') => Err(self.error("complex mapping keys are not supported")),
            Some(b'?') if self.is_flow_stop(self.pos + 1) => {
                Err(self.error("complex mapping keys (`?`) are not supported"))
            }
            Some(b'|' | b'>' | b',' | b']' | b'}') | None => Err(self.error("expected a value")),
            _ => self.plain_flow(),
        }
    }

    fn flow_map(&mut self) -> Result<Node, LockfileError> {
        self.enter()?;
        let open = self.pos;
        self.pos += 1;
        let mut entries = Vec::new();
        let mut offsets = Vec::new();
        loop {
            self.skip_flow_whitespace();
            match self.byte() {
                None => return Err(self.error_at(open, "unclosed `{`")),
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            let key_offset = self.pos;
            let key = self.flow_scalar()?;
            if key == "<<" && !matches!(self.byte_at(key_offset), Some(b'\'' | b'"')) {
                return Err(self.error_at(key_offset, "merge keys (`<<`) are not supported"));
            }
            self.skip_flow_whitespace();
            let value = if self.byte() == Some(b':') {
                self.pos += 1;
                self.skip_flow_whitespace();
                match self.byte() {
                    Some(b',' | b'}') => Node::Scalar(String::new()),
                    _ => self.flow_node()?,
                }
            } else {
                Node::Scalar(String::new())
            };
            entries.push((key, value));
            offsets.push(key_offset);
            self.skip_flow_whitespace();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                None => return Err(self.error_at(open, "unclosed `{`")),
                _ => return Err(self.error("expected `,` or `}` in a flow mapping")),
            }
        }
        self.check_duplicates(&entries, &offsets)?;
        self.depth -= 1;
        Ok(Node::Map(entries))
    }

    fn flow_seq(&mut self) -> Result<Node, LockfileError> {
        self.enter()?;
        let open = self.pos;
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.skip_flow_whitespace();
            match self.byte() {
                None => return Err(self.error_at(open, "unclosed `[`")),
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => {}
            }
            items.push(self.flow_node()?);
            self.skip_flow_whitespace();
            match self.byte() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b':') => {
                    return Err(self.error("mappings inside flow sequences are not supported"));
                }
                None => return Err(self.error_at(open, "unclosed `[`")),
                _ => return Err(self.error("expected `,` or `]` in a flow sequence")),
            }
        }
        self.depth -= 1;
        Ok(Node::Seq(items))
    }

    /// A plain scalar in flow context; it may continue on following lines (folded to a space).
    fn plain_flow(&mut self) -> Result<String, LockfileError> {
        let first = self.pos;
        let mut out = String::new();
        let mut breaks = 0;
        loop {
            let start = self.pos;
            let mut i = start;
            loop {
                i = self.skip_to(i, &PLAIN_FLOW);
                if self.at_line_end(i) {
                    break;
                }
                let stop = match self.bytes[i] {
                    b',' | b'[' | b']' | b'{' | b'}' => true,
                    b':' => self.is_flow_stop(i + 1),
                    b'#' => i > start && is_blank(self.bytes[i - 1]),
                    _ => false,
                };
                if stop {
                    break;
                }
                i += 1;
            }
            let end = self.trim_blank_end(start, i);
            if end > start {
                match breaks {
                    0 => {}
                    1 => out.push(' '),
                    n => out.extend(std::iter::repeat_n('\n', n - 1)),
                }
                out.push_str(self.slice(start, end)?);
            }
            self.pos = i;
            if !self.at_line_end(i) || i >= self.bytes.len() || end == start {
                break;
            }
            // Look past the line break: more text there continues this scalar.
            let mut j = i;
            let mut newlines = 0;
            while let Some(&byte) = self.bytes.get(j) {
                match byte {
                    b'\n' => newlines += 1,
                    b' ' | b'\t' | b'\r' => {}
                    _ => break,
                }
                j += 1;
            }
            match self.bytes.get(j) {
                None | Some(b',' | b']' | b'}' | b':' | b'#') => break,
                Some(_) => {
                    breaks = newlines;
                    self.pos = j;
                }
            }
        }
        if out.is_empty() {
            return Err(self.error_at(first, "expected a value"));
        }
        Ok(out)
    }

    /// A single- or double-quoted scalar at `pos`; `pos` ends after the closing quote.
    pub(super) fn quoted(&mut self) -> Result<String, LockfileError> {
        let open = self.pos;
        let double = self.byte() == Some(b'"');
        let mut out = String::new();
        let mut run = open + 1;
        let mut i = run;
        let set = if double {
            &DOUBLE_QUOTED
        } else {
            &SINGLE_QUOTED
        };
        loop {
            i = self.skip_to(i, set);
            let Some(&byte) = self.bytes.get(i) else {
                return Err(self.error_at(open, "unclosed quoted scalar"));
            };
            match byte {
                b'\'' if !double => {
                    out.push_str(self.slice(run, i)?);
                    if self.bytes.get(i + 1) == Some(&b'\'') {
                        out.push('\'');
                        i += 2;
                        run = i;
                    } else {
                        self.pos = i + 1;
                        return Ok(out);
                    }
                }
                b'"' if double => {
                    out.push_str(self.slice(run, i)?);
                    self.pos = i + 1;
                    return Ok(out);
                }
                b'\\' if double => {
                    out.push_str(self.slice(run, i)?);
                    i = self.escape(i, &mut out)?;
                    run = i;
                }
                b'\n' | b'\r' if self.at_line_end(i) => {
                    out.push_str(self.slice(run, i)?.trim_end_matches([' ', '\t']));
                    i = self.fold(i, &mut out);
                    run = i;
                }
                _ => i += 1,
            }
        }
    }

    /// Decodes the escape at `i` (a backslash) into `out`; returns where text resumes.
    fn escape(&self, i: usize, out: &mut String) -> Result<usize, LockfileError> {
        let Some(&code) = self.bytes.get(i + 1) else {
            return Err(self.error_at(i, "unclosed quoted scalar"));
        };
        let simple = match code {
            b'0' => '\0',
            b'a' => '\u{7}',
            b'b' => '\u{8}',
            b't' | b'\t' => '\t',
            b'n' => '\n',
            b'v' => '\u{b}',
            b'f' => '\u{c}',
            b'r' => '\r',
            b'e' => '\u{1b}',
            b' ' => ' ',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{a0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' | b'u' | b'U' => return self.hex_escape(i, code, out),
            b'\n' | b'\r' if self.at_line_end(i + 1) => {
                // An escaped line break joins the lines without a space.
                let mut j = self.next_line(i + 1);
                while matches!(self.bytes.get(j), Some(b' ' | b'\t')) {
                    j += 1;
                }
                return Ok(j);
            }
            _ => return Err(self.error_at(i, "invalid escape in a double-quoted scalar")),
        };
        out.push(simple);
        Ok(i + 2)
    }

    fn hex_escape(&self, i: usize, code: u8, out: &mut String) -> Result<usize, LockfileError> {
        let invalid = || self.error_at(i, "invalid escape in a double-quoted scalar");
        let digits = match code {
            b'x' => 2,
            b'u' => 4,
            _ => 8,
        };
        let value = self.hex_at(i + 2, digits).ok_or_else(invalid)?;
        let mut next = i + 2 + digits;
        let scalar = if (0xd800..0xdc00).contains(&value) {
            // A UTF-16 surrogate pair, as JSON writers emit for characters beyond the BMP.
            let low = (self.bytes.get(next..next + 2) == Some(b"\\u"))
                .then(|| self.hex_at(next + 2, 4))
                .flatten()
                .filter(|low| (0xdc00..0xe000).contains(low))
                .ok_or_else(invalid)?;
            next += 6;
            0x10000 + ((value - 0xd800) << 10) + (low - 0xdc00)
        } else {
            value
        };
        out.push(char::from_u32(scalar).ok_or_else(invalid)?);
        Ok(next)
    }

    fn hex_at(&self, at: usize, digits: usize) -> Option<u32> {
        let hex = self.bytes.get(at..at + digits)?;
        if !hex.iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    }

    /// Folds the line break at `i` inside a quoted scalar: one break is a space, each further
    /// (empty) line a newline. Returns where text resumes.
    fn fold(&self, i: usize, out: &mut String) -> usize {
        let mut j = self.next_line(i);
        let mut empty_lines = 0;
        loop {
            while matches!(self.bytes.get(j), Some(b' ' | b'\t')) {
                j += 1;
            }
            if j < self.bytes.len() && self.at_line_end(j) {
                empty_lines += 1;
                j = self.next_line(j);
            } else {
                break;
            }
        }
        if empty_lines == 0 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', empty_lines));
        }
        j
    }

    /// The end of the quoted scalar starting at `open`, without decoding it.
    pub(super) fn quoted_end(&self, open: usize) -> Option<usize> {
        let quote = *self.bytes.get(open)?;
        let mut i = open + 1;
        loop {
            let byte = *self.bytes.get(i)?;
            if byte == b'\\' && quote == b'"' {
                i += 2;
            } else if byte == quote {
                if quote == b'\'' && self.bytes.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return Some(i + 1);
                }
            } else {
                i += 1;
            }
        }
    }
}
