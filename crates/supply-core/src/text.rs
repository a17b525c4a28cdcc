//! Text from untrusted sources (registry error bodies, media types, annotations) made safe to
//! print: control characters and Unicode bidirectional overrides could otherwise rewrite a
//! terminal line or hide part of a message.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character and bidirectional control escaped as `\u{…}`; borrowed
/// when nothing needs escaping.
pub fn printable(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert!(matches!(printable("application/json"), Cow::Borrowed(_)));
        assert_eq!(printable("a\x1b[2Jb\r\n"), "a\\u{1b}[2Jb\\u{d}\\u{a}");
        assert_eq!(printable("ok\u{202e}gnp.exe"), "ok\\u{202e}gnp.exe");
        assert_eq!(printable("ünïcödé"), "ünïcödé");
    }
}
