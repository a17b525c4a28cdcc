//! PEP 440 versions, parsed, normalised and ordered as Python's `packaging.version.Version`
//! does.
//!
//! A version is `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, read case-insensitively with
//! the spellings PEP 440 normalises: a leading `v`; surrounding whitespace; `alpha`, `beta`,
//! `c`, `pre` and `preview` for `a`, `b`, `rc` and `rc`; `.`, `-` or `_` (or nothing) around
//! the pre-release, post-release and dev-release markers; an omitted number meaning 0; `rev`
//! and `r` for `post`, and `-N` alone for `.postN`; `-` and `_` between local segments. Numbers
//! have no size limit. [`Display`](fmt::Display) gives the normalised form, as `str(Version(..))`.
//!
//! The order is PEP 440's, as `packaging` computes it: epoch; then the release with trailing
//! zeros ignored (`1.0 == 1.0.0`); then a dev release of a final release (`1.0.dev0`) before
//! any pre-release, pre-releases `a < b < rc`, and the release itself; then no post-release
//! before any post-release; then any dev release before none; and last the local version, where
//! none sorts first and segments compare one by one, alphanumeric ones (lexically) before
//! numeric ones (numerically), a shorter list first. `Eq` and `Hash` agree with that order.
//! Inputs over [`MAX_LEN`] bytes are refused.
#![warn(clippy::indexing_slicing, clippy::string_slice)]

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Classify, ErrorKind};

/// The longest input accepted, in bytes, surrounding whitespace included.
pub const MAX_LEN: usize = 256;

/// A PEP 440 version.
#[derive(Clone, Debug)]
pub struct Version {
    epoch: Number,
    release: Vec<Number>,
    pre: Option<(PreKind, Number)>,
    post: Option<Number>,
    dev: Option<Number>,
    /// Empty when there is no local version (a local version has at least one segment).
    local: Vec<LocalSegment>,
}

/// A non-negative integer of any size, as written in a version.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Number {
    /// Decimal digits without leading zeros; empty for zero.
    digits: String,
}

/// The kind of a pre-release, in PEP 440's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PreKind {
    /// `a` (also spelt `alpha`).
    Alpha,
    /// `b` (also spelt `beta`).
    Beta,
    /// `rc` (also spelt `c`, `pre`, `preview`).
    Rc,
}

/// One segment of a local version label, lower-cased.
///
/// Alphanumeric segments sort before numeric ones (the variant order).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LocalSegment {
    /// A segment with a letter in it, in lower case; compares lexically.
    Alphanumeric(String),
    /// An all-digit segment; compares numerically (`01 == 1`).
    Numeric(Number),
}

/// Why a string is not a PEP 440 version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pep440Error {
    /// The input is longer than [`MAX_LEN`] bytes.
    #[error("version is {0} bytes long, over the 256-byte limit")]
    TooLong(usize),
    /// The input does not follow PEP 440's grammar; `offset` is the byte at which it stops
    /// doing so.
    #[error("not a PEP 440 version (unexpected input at byte {offset})")]
    Invalid {
        /// Byte offset into the input.
        offset: usize,
    },
}

impl Classify for Pep440Error {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

static ZERO: Number = Number {
    digits: String::new(),
};

impl Number {
    fn from_digits(digits: &[u8]) -> Self {
        Self {
            digits: digits
                .iter()
                .skip_while(|&&b| b == b'0')
                .map(|&b| char::from(b))
                .collect(),
        }
    }

    /// Whether the number is 0.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The value, when it fits in 64 bits.
    pub fn to_u64(&self) -> Option<u64> {
        if self.digits.is_empty() {
            Some(0)
        } else {
            self.digits.parse().ok()
        }
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        if value == 0 {
            Self::default()
        } else {
            Self {
                digits: value.to_string(),
            }
        }
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Self) -> Ordering {
        // No leading zeros: the longer is the larger, equal lengths compare digit by digit.
        self.digits
            .len()
            .cmp(&other.digits.len())
            .then_with(|| self.digits.as_bytes().cmp(other.digits.as_bytes()))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.digits.is_empty() {
            f.write_str("0")
        } else {
            f.write_str(&self.digits)
        }
    }
}

impl PreKind {
    fn from_word(word: &str) -> Self {
        match word {
            "alpha" | "a" => Self::Alpha,
            "beta" | "b" => Self::Beta,
            _ => Self::Rc,
        }
    }

    /// The normalised marker: `a`, `b` or `rc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alpha => "a",
            Self::Beta => "b",
            Self::Rc => "rc",
        }
    }
}

impl fmt::Display for PreKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for LocalSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Alphanumeric(text) => f.write_str(text),
            Self::Numeric(number) => number.fmt(f),
        }
    }
}

impl Version {
    /// Parses `text` (same as [`str::parse`]).
    pub fn parse(text: &str) -> Result<Self, Pep440Error> {
        text.parse()
    }

    /// The epoch (0 when none was written).
    pub fn epoch(&self) -> &Number {
        &self.epoch
    }

    /// The release segments as written (trailing zeros kept, leading zeros dropped).
    pub fn release(&self) -> &[Number] {
        &self.release
    }

    /// The pre-release marker and number.
    pub fn pre(&self) -> Option<(PreKind, &Number)> {
        self.pre.as_ref().map(|(kind, number)| (*kind, number))
    }

    /// The post-release number.
    pub fn post(&self) -> Option<&Number> {
        self.post.as_ref()
    }

    /// The dev-release number.
    pub fn dev(&self) -> Option<&Number> {
        self.dev.as_ref()
    }

    /// The local version label's segments; empty when there is none.
    pub fn local(&self) -> &[LocalSegment] {
        &self.local
    }

    /// Whether this is a pre-release: it has a pre-release or a dev-release part
    /// (`packaging`'s `is_prerelease`).
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some() || self.dev.is_some()
    }

    /// Whether this has a post-release part.
    pub fn is_postrelease(&self) -> bool {
        self.post.is_some()
    }

    /// Whether this has a dev-release part.
    pub fn is_devrelease(&self) -> bool {
        self.dev.is_some()
    }

    /// The release without trailing zeros, as it takes part in ordering.
    fn trimmed_release(&self) -> &[Number] {
        let end = self
            .release
            .iter()
            .rposition(|n| !n.is_zero())
            .map_or(0, |last| last + 1);
        self.release.get(..end).unwrap_or_default()
    }

    /// The pre/post/dev part of the sort key, as `packaging`'s `_cmpkey` lays it out:
    /// `(pre rank, pre number, post rank, post number, dev rank, dev number)`.
    fn suffix(&self) -> (i8, &Number, u8, &Number, u8, &Number) {
        let (pre_rank, pre_number) = match (&self.pre, &self.post, &self.dev) {
            (Some((kind, number)), _, _) => (*kind as i8, number),
            // A dev release of a final release precedes all of its pre-releases.
            (None, None, Some(_)) => (-1, &ZERO),
            // No pre-release follows every pre-release.
            (None, _, _) => (3, &ZERO),
        };
        let (post_rank, post_number) = match &self.post {
            Some(number) => (1, number),
            None => (0, &ZERO),
        };
        let (dev_rank, dev_number) = match &self.dev {
            Some(number) => (0, number),
            None => (1, &ZERO),
        };
        (
            pre_rank,
            pre_number,
            post_rank,
            post_number,
            dev_rank,
            dev_number,
        )
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| self.trimmed_release().cmp(other.trimmed_release()))
            .then_with(|| self.suffix().cmp(&other.suffix()))
            // No local label is an empty list, which sorts before any other.
            .then_with(|| self.local.cmp(&other.local))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.epoch.hash(state);
        self.trimmed_release().hash(state);
        self.suffix().hash(state);
        self.local.hash(state);
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.epoch.is_zero() {
            write!(f, "{}!", self.epoch)?;
        }
        let mut release = self.release.iter();
        if let Some(first) = release.next() {
            write!(f, "{first}")?;
        }
        for number in release {
            write!(f, ".{number}")?;
        }
        if let Some((kind, number)) = &self.pre {
            write!(f, "{kind}{number}")?;
        }
        if let Some(number) = &self.post {
            write!(f, ".post{number}")?;
        }
        if let Some(number) = &self.dev {
            write!(f, ".dev{number}")?;
        }
        let mut local = self.local.iter();
        if let Some(first) = local.next() {
            write!(f, "+{first}")?;
        }
        for segment in local {
            write!(f, ".{segment}")?;
        }
        Ok(())
    }
}

/// Python's `str.isspace`, which is what `packaging`'s `\s` matches: Unicode whitespace plus
/// the information separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{1c}'..='\u{1f}')
}

fn is_separator(b: u8) -> bool {
    matches!(b, b'.' | b'-' | b'_')
}

/// A position in the version's bytes. Every step is greedy and never given back, as
/// `packaging`'s possessive pattern matches: each part either matches where it starts or
/// consumes nothing.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_second(&self) -> Option<u8> {
        self.bytes.get(self.pos.saturating_add(1)).copied()
    }

    fn eat_if(&mut self, wanted: impl Fn(u8) -> bool) -> bool {
        match self.peek() {
            Some(b) if wanted(b) => {
                self.pos = self.pos.saturating_add(1);
                true
            }
            _ => false,
        }
    }

    fn eat_separator(&mut self) -> bool {
        self.eat_if(is_separator)
    }

    /// `word` (ASCII lower case) in any case.
    fn eat_word(&mut self, word: &str) -> bool {
        let end = self.pos.saturating_add(word.len());
        match self.bytes.get(self.pos..end) {
            Some(found) if found.eq_ignore_ascii_case(word.as_bytes()) => {
                self.pos = end;
                true
            }
            _ => false,
        }
    }

    /// The first of `words` found here, tried in order.
    fn eat_one_of(&mut self, words: &[&'static str]) -> Option<&'static str> {
        words.iter().copied().find(|word| self.eat_word(word))
    }

    /// The run of bytes from here that satisfy `wanted`.
    fn eat_run(&mut self, wanted: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.eat_if(&wanted) {}
        self.bytes.get(start..self.pos).unwrap_or_default()
    }

    fn eat_number(&mut self) -> Option<Number> {
        let digits = self.eat_run(|b| b.is_ascii_digit());
        (!digits.is_empty()).then(|| Number::from_digits(digits))
    }

    /// An optional separator, then an optional number (0 when absent): what follows a marker.
    fn eat_marker_number(&mut self) -> Number {
        self.eat_separator();
        self.eat_number().unwrap_or_default()
    }
}

impl FromStr for Version {
    type Err = Pep440Error;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.len() > MAX_LEN {
            return Err(Pep440Error::TooLong(input.len()));
        }
        let start = input.trim_start_matches(is_python_space);
        let leading = input.len().saturating_sub(start.len());
        let text = start.trim_end_matches(is_python_space);
        let mut c = Cursor {
            bytes: text.as_bytes(),
            pos: 0,
        };
        let invalid = |c: &Cursor<'_>| Pep440Error::Invalid {
            offset: leading.saturating_add(c.pos),
        };

        c.eat_word("v");

        // Epoch, or the first release segment.
        let first = c.eat_number().ok_or_else(|| invalid(&c))?;
        let (epoch, first) = if c.eat_if(|b| b == b'!') {
            (first, c.eat_number().ok_or_else(|| invalid(&c))?)
        } else {
            (Number::default(), first)
        };

        let mut release = vec![first];
        while c.peek() == Some(b'.') && c.peek_second().is_some_and(|b| b.is_ascii_digit()) {
            c.eat_separator();
            release.extend(c.eat_number());
        }

        let mark = c.pos;
        c.eat_separator();
        let pre = match c.eat_one_of(&["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
            Some(word) => Some((PreKind::from_word(word), c.eat_marker_number())),
            None => {
                c.pos = mark;
                None
            }
        };

        let mark = c.pos;
        let post = if c.peek() == Some(b'-') && c.peek_second().is_some_and(|b| b.is_ascii_digit())
        {
            // The implicit form: `1.0-1` is `1.0.post1`.
            c.eat_separator();
            c.eat_number()
        } else {
            c.eat_separator();
            if c.eat_one_of(&["post", "rev", "r"]).is_some() {
                Some(c.eat_marker_number())
            } else {
                c.pos = mark;
                None
            }
        };

        let mark = c.pos;
        c.eat_separator();
        let dev = if c.eat_word("dev") {
            Some(c.eat_marker_number())
        } else {
            c.pos = mark;
            None
        };

        let mut local = Vec::new();
        if c.peek() == Some(b'+') && c.peek_second().is_some_and(|b| b.is_ascii_alphanumeric()) {
            c.eat_if(|b| b == b'+');
            loop {
                let segment = c.eat_run(|b| b.is_ascii_alphanumeric());
                local.push(if segment.iter().all(u8::is_ascii_digit) {
                    LocalSegment::Numeric(Number::from_digits(segment))
                } else {
                    LocalSegment::Alphanumeric(
                        segment
                            .iter()
                            .map(|b| char::from(b.to_ascii_lowercase()))
                            .collect(),
                    )
                });
                let more = c.peek().is_some_and(is_separator)
                    && c.peek_second().is_some_and(|b| b.is_ascii_alphanumeric());
                if !more {
                    break;
                }
                c.eat_separator();
            }
        }

        if c.pos != text.len() {
            return Err(invalid(&c));
        }
        Ok(Self {
            epoch,
            release,
            pre,
            post,
            dev,
            local,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)]
    use super::*;

    fn v(text: &str) -> Version {
        text.parse().unwrap()
    }

    fn hash(version: &Version) -> u64 {
        use std::collections::hash_map::DefaultHasher;
        let mut h = DefaultHasher::new();
        version.hash(&mut h);
        h.finish()
    }

    #[test]
    fn spec_ordering_example() {
        // PEP 440, "Summary of permitted suffixes and relative ordering".
        let chain = [
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn dev_pre_post_ranks() {
        assert!(v("1.0.dev0") < v("1.0a0"));
        assert!(v("1.0.dev0") < v("1.0a0.dev0"));
        assert!(v("1.0a0.dev0") < v("1.0a0"));
        assert!(v("1.0rc9") < v("1.0"));
        assert!(v("1.0") < v("1.0.post0.dev0"));
        assert!(v("1.0.post0.dev0") < v("1.0.post0"));
        assert!(v("1.0.post0") < v("1.0.post1"));
        assert!(v("1.0.post1.dev5") > v("1.0.dev5"));
        assert!(v("1.0a1.post1") > v("1.0a1"));
        assert!(v("1.0a1.post1") < v("1.0a2"));
        assert!(v("1.0.dev1") < v("1.0.dev2"));
        assert!(v("0.9.post9") < v("1.0.dev0"));
    }

    #[test]
    fn epochs() {
        assert!(v("1!0.1") > v("2.0"));
        assert!(v("1!0.1") > v("999999.0.post9"));
        assert!(v("2!0") > v("1!99"));
        assert_eq!(v("0!1.0"), v("1.0"));
        assert_eq!(v("0!1.0").to_string(), "1.0");
        assert_eq!(v("01!1.0").to_string(), "1!1.0");
        assert_eq!(v("1!0.1").epoch(), &Number::from(1));
    }

    #[test]
    fn release_trailing_zeros() {
        assert_eq!(v("1.0.0"), v("1.0"));
        assert_eq!(v("1.0.0"), v("1"));
        assert_eq!(v("0"), v("0.0.0.0"));
        assert_eq!(hash(&v("1.0.0")), hash(&v("1")));
        assert_eq!(v("1.0.0").to_string(), "1.0.0", "display keeps the zeros");
        assert!(v("1.0.0.1") > v("1"));
        assert!(v("1.0.1") < v("1.1"));
        assert!(v("1.2") < v("1.10"));
        assert_eq!(v("1.0a1"), v("1.0.0a1"));
        assert!(
            v("1.99999999999999999999999999") > v("1.99999999999999999999999998"),
            "numbers beyond 64 bits compare numerically"
        );
        assert!(v("1.100000000000000000000000000") > v("1.99999999999999999999999999"));
        assert_eq!(v("1.000000000000000000000000000001"), v("1.1"));
    }

    #[test]
    fn normalisation() {
        for (written, normal) in [
            ("1.0-ALPHA_1", "1.0a1"),
            ("1.0a1", "1.0a1"),
            ("1.0.alpha.1", "1.0a1"),
            ("1.0-a-1", "1.0a1"),
            ("1.0BETA2", "1.0b2"),
            ("1.0b", "1.0b0"),
            ("1.0c1", "1.0rc1"),
            ("1.0pre2", "1.0rc2"),
            ("1.0-preview_3", "1.0rc3"),
            ("1.0RC", "1.0rc0"),
            ("1.0-1", "1.0.post1"),
            ("1.0.post", "1.0.post0"),
            ("1.0post1", "1.0.post1"),
            ("1.0_post_1", "1.0.post1"),
            ("1.0-r4", "1.0.post4"),
            ("1.0rev", "1.0.post0"),
            ("1.0.REV.7", "1.0.post7"),
            ("1.0.dev", "1.0.dev0"),
            ("1.0-dev-2", "1.0.dev2"),
            ("1.0dev3", "1.0.dev3"),
            ("1.0-dev-", "1.0.dev0"),
            ("1.0a1-1", "1.0a1.post1"),
            ("1.0a-", "1.0a0"),
            ("1.0a.dev1", "1.0a0.dev1"),
            ("1.0.post.dev", "1.0.post0.dev0"),
            ("1.0+ubuntu-1", "1.0+ubuntu.1"),
            ("1.0+Ubuntu_01.X", "1.0+ubuntu.1.x"),
            ("1.0+007", "1.0+7"),
            ("v1.0", "1.0"),
            ("V1.0", "1.0"),
            ("v1!2.0", "1!2.0"),
            (" \t1.0\n", "1.0"),
            ("\u{3000}1.0\u{1f}", "1.0"),
            ("01.002.0003", "1.2.3"),
            ("1.0.0", "1.0.0"),
            ("0!0", "0"),
            ("1!2.3.4rc5.post6.dev7+a.8", "1!2.3.4rc5.post6.dev7+a.8"),
        ] {
            assert_eq!(v(written).to_string(), normal, "{written:?}");
            assert_eq!(v(written), v(normal), "{written:?}");
            assert_eq!(
                v(normal).to_string(),
                normal,
                "{normal:?} is already normal"
            );
        }
        assert_eq!(v("1.0-ALPHA_1"), v("1.0a1"));
        assert_eq!(v("1.0-1"), v("1.0.post1"));
        assert_eq!(v("v1.0"), v("1.0"));
        assert_eq!(v("1.0.0"), v("1.0"));
    }

    #[test]
    fn local_versions() {
        assert!(v("1.0") < v("1.0+0"));
        assert!(v("1.0+abc") < v("1.0+abc.1"));
        assert!(v("1.0+abc.1") < v("1.0+abd"));
        assert!(v("1.0+zzz") < v("1.0+0"), "alphanumeric before numeric");
        assert!(v("1.0+9") < v("1.0+10"));
        assert!(v("1.0+1a") < v("1.0+1b"));
        assert!(v("1.0+1.a") < v("1.0+1.0"));
        assert_eq!(v("1.0+01"), v("1.0+1"));
        assert_eq!(v("1.0+ABC"), v("1.0+abc"));
        assert_eq!(v("1.0+a-b_c"), v("1.0+a.b.c"));
        assert_eq!(hash(&v("1.0+A.01")), hash(&v("1.0.0+a.1")));
        assert!(v("1.0+local") < v("1.0.post0"));
        assert!(v("1.0.dev1+local") < v("1.0a1"));
        assert_eq!(
            v("1.0+abc.5").local(),
            [
                LocalSegment::Alphanumeric("abc".into()),
                LocalSegment::Numeric(Number::from(5))
            ]
        );
    }

    #[test]
    fn parts() {
        let x = v("2!1.02.0rc3.post4.dev5+x.6");
        assert_eq!(x.epoch().to_u64(), Some(2));
        assert_eq!(
            x.release()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            ["1", "2", "0"]
        );
        assert_eq!(x.pre(), Some((PreKind::Rc, &Number::from(3))));
        assert_eq!(x.post().and_then(Number::to_u64), Some(4));
        assert_eq!(x.dev().and_then(Number::to_u64), Some(5));
        assert!(x.is_prerelease() && x.is_postrelease() && x.is_devrelease());
        assert!(v("1.0.dev0").is_prerelease());
        assert!(!v("1.0.post1").is_prerelease());
        assert_eq!(v("1.0").pre(), None);
        assert!(v("1.0").local().is_empty());
        assert_eq!(Version::parse("1.0").unwrap(), v("1"));
        assert_eq!(Number::from(0), Number::default());
        assert!(Number::from(0).is_zero());
        assert_eq!(v("1.99999999999999999999").release()[1].to_u64(), None);
        assert_eq!(PreKind::Beta.to_string(), "b");
    }

    #[test]
    fn invalid_inputs() {
        let long = format!("1.0+{}", "a".repeat(300));
        assert_eq!(long.parse::<Version>(), Err(Pep440Error::TooLong(304)));
        let exactly = format!("1.{}", "0".repeat(MAX_LEN - 2));
        assert!(exactly.parse::<Version>().is_ok());
        assert!(format!(" {exactly}").parse::<Version>().is_err());
        for bad in [
            "",
            " ",
            "v",
            "1.0-",
            "1.0.0-",
            "1.0_",
            "1.0.",
            "a.b",
            "1..0",
            ".1",
            "1.0+",
            "1.0+a..b",
            "1.0+a.",
            "1.0+.a",
            "1.0+_a",
            "1.0+a+b",
            "1.0+a b",
            "1.0 1",
            "1 .0",
            "1!",
            "!1",
            "1!!2",
            "1!2!3",
            "1.0dev1a1",
            "1.0.post1a1",
            "1.0a1b1",
            "1.0.post1.post2",
            "1.0.dev1.dev2",
            "1.0.devx",
            "1.0prev",
            "1.0alph",
            "1.0--1",
            "1.0.-1",
            "vv1",
            "1,0",
            "1.0\u{0}",
            "1.0\u{200b}",
            "\u{663}",
            "1.\u{ff10}",
            "1.0+\u{212a}",
            "1.0-a1-",
            long.as_str(),
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            "1.0x".parse::<Version>(),
            Err(Pep440Error::Invalid { offset: 3 })
        );
        assert_eq!(
            " 1.0x".parse::<Version>(),
            Err(Pep440Error::Invalid { offset: 4 })
        );
        assert_eq!(Pep440Error::TooLong(300).kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn no_panic_on_odd_input() {
        let base = "v1!2.03rc4.post5.dev6+a-7";
        for (i, _) in base.char_indices() {
            let (head, tail) = base.split_at(i);
            for odd in ["é", "\u{0}", "+", "-", ".", "!", "€", "🦀", " ", "\u{3000}"] {
                let _ = format!("{head}{odd}{tail}").parse::<Version>();
            }
            let _ = head.parse::<Version>();
            let _ = tail.parse::<Version>();
        }
        for b in 0u8..=255 {
            let _ = String::from_utf8_lossy(&[b'1', b'.', b'0', b]).parse::<Version>();
        }
    }
}
