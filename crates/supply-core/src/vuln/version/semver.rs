//! Semantic Versioning 2.0.0 versions, ordered by SemVer precedence (§11) as Cargo and npm
//! resolve them.
//!
//! Parsing is strict SemVer 2.0.0 (`MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no leading zeros in
//! numeric parts, no empty identifiers) with one tolerance: a leading lower-case `v`, which npm's
//! strict parser also accepts. Inputs over [`MAX_LEN`] bytes are refused. Build metadata is kept
//! for display but takes no part in ordering, equality or hashing.
#![warn(clippy::indexing_slicing, clippy::string_slice)]

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::error::{Classify, ErrorKind};

/// The longest input accepted, in bytes (npm semver's `MAX_LENGTH`).
pub const MAX_LEN: usize = 256;

/// A SemVer 2.0.0 version.
///
/// `Eq`, `Ord` and `Hash` follow SemVer precedence: build metadata is ignored, so
/// `1.0.0+a == 1.0.0+b`.
#[derive(Clone, Debug)]
pub struct SemVer {
    /// The major version.
    pub major: u64,
    /// The minor version.
    pub minor: u64,
    /// The patch version.
    pub patch: u64,
    pre: Vec<Identifier>,
    build: String,
}

/// One dot-separated pre-release identifier.
///
/// Numeric identifiers (ASCII digits only, no leading zero) compare numerically at any length;
/// alphanumeric ones compare lexically in ASCII; a numeric identifier is lower than an
/// alphanumeric one.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Identifier {
    text: String,
    numeric: bool,
}

/// Why a string is not a SemVer 2.0.0 version.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SemVerError {
    /// The input is longer than [`MAX_LEN`] bytes.
    #[error("version is {0} bytes long, over the 256-byte limit")]
    TooLong(usize),
    /// The core is not three dot-separated numbers.
    #[error("version core must be MAJOR.MINOR.PATCH")]
    Core,
    /// A numeric part (core or pre-release) has a leading zero.
    #[error("numeric part {0:?} has a leading zero")]
    LeadingZero(String),
    /// A core number does not fit in 64 bits.
    #[error("version number {0:?} is too large")]
    Overflow(String),
    /// A pre-release or build identifier is empty.
    #[error("empty {0} identifier")]
    EmptyIdentifier(&'static str),
    /// A pre-release or build identifier holds a character outside `[0-9A-Za-z-]`.
    #[error("{0} identifier {1:?} holds a character outside [0-9A-Za-z-]")]
    InvalidIdentifier(&'static str, String),
}

impl Classify for SemVerError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidInput
    }
}

impl SemVer {
    /// The release `major.minor.patch`, without pre-release or build metadata.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Self {
            major,
            minor,
            patch,
            pre: Vec::new(),
            build: String::new(),
        }
    }

    /// Parses `text` (same as [`str::parse`]).
    pub fn parse(text: &str) -> Result<Self, SemVerError> {
        text.parse()
    }

    /// The pre-release identifiers; empty for a release.
    pub fn pre(&self) -> &[Identifier] {
        &self.pre
    }

    /// The build metadata without its `+`; empty when there is none.
    pub fn build(&self) -> &str {
        &self.build
    }

    /// Whether this is a pre-release (has pre-release identifiers).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }
}

impl Identifier {
    /// A pre-release identifier from its text, validated as SemVer requires.
    pub fn new(text: &str) -> Result<Self, SemVerError> {
        if text.is_empty() {
            return Err(SemVerError::EmptyIdentifier("pre-release"));
        }
        if !text.bytes().all(is_identifier_byte) {
            return Err(SemVerError::InvalidIdentifier(
                "pre-release",
                text.to_owned(),
            ));
        }
        let numeric = text.bytes().all(|b| b.is_ascii_digit());
        if numeric && text.len() > 1 && text.starts_with('0') {
            return Err(SemVerError::LeadingZero(text.to_owned()));
        }
        Ok(Self {
            text: text.to_owned(),
            numeric,
        })
    }

    /// The identifier's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether the identifier is numeric (all ASCII digits).
    pub fn is_numeric(&self) -> bool {
        self.numeric
    }

    /// The numeric value, when the identifier is numeric and fits in 64 bits.
    pub fn as_number(&self) -> Option<u64> {
        if self.numeric {
            self.text.parse().ok()
        } else {
            None
        }
    }
}

impl Ord for Identifier {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.numeric, other.numeric) {
            // No leading zeros, so the longer number is the larger; equal lengths compare
            // digit by digit.
            (true, true) => self
                .text
                .len()
                .cmp(&other.text.len())
                .then_with(|| self.text.as_bytes().cmp(other.text.as_bytes())),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => self.text.as_bytes().cmp(other.text.as_bytes()),
        }
    }
}

impl PartialOrd for Identifier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn is_identifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// A core number: `0` or ASCII digits without a leading zero, fitting in a `u64`.
fn core_number(text: &str) -> Result<u64, SemVerError> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SemVerError::Core);
    }
    if text.len() > 1 && text.starts_with('0') {
        return Err(SemVerError::LeadingZero(text.to_owned()));
    }
    text.parse()
        .map_err(|_| SemVerError::Overflow(text.to_owned()))
}

impl FromStr for SemVer {
    type Err = SemVerError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        if input.len() > MAX_LEN {
            return Err(SemVerError::TooLong(input.len()));
        }
        let text = input.strip_prefix('v').unwrap_or(input);
        // The core and pre-release hold no `+`, so the first one starts the build metadata;
        // the core holds no `-`, so the first one before it starts the pre-release.
        let (rest, build) = match text.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (text, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };

        let mut parts = core.split('.');
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SemVerError::Core);
        };
        let major = core_number(major)?;
        let minor = core_number(minor)?;
        let patch = core_number(patch)?;

        let pre = match pre {
            Some(pre) => pre
                .split('.')
                .map(Identifier::new)
                .collect::<Result<Vec<_>, _>>()?,
            None => Vec::new(),
        };

        let build = match build {
            Some(build) => {
                for id in build.split('.') {
                    if id.is_empty() {
                        return Err(SemVerError::EmptyIdentifier("build"));
                    }
                    if !id.bytes().all(is_identifier_byte) {
                        return Err(SemVerError::InvalidIdentifier("build", id.to_owned()));
                    }
                }
                build.to_owned()
            }
            None => String::new(),
        };

        Ok(Self {
            major,
            minor,
            patch,
            pre,
            build,
        })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.major
            .cmp(&other.major)
            .then(self.minor.cmp(&other.minor))
            .then(self.patch.cmp(&other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release is higher than any of its pre-releases (§11.3).
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                // Identifier by identifier; a shorter set is lower when all before are equal
                // (§11.4.4), which is how slices order.
                (false, false) => self.pre.as_slice().cmp(other.pre.as_slice()),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

impl Hash for SemVer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.major.hash(state);
        self.minor.hash(state);
        self.patch.hash(state);
        self.pre.hash(state);
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        let mut ids = self.pre.iter();
        if let Some(first) = ids.next() {
            write!(f, "-{first}")?;
            for id in ids {
                write!(f, ".{id}")?;
            }
        }
        if !self.build.is_empty() {
            write!(f, "+{}", self.build)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::string_slice)]
    use super::*;

    fn v(text: &str) -> SemVer {
        text.parse().unwrap()
    }

    #[test]
    fn spec_precedence_chain() {
        // SemVer 2.0.0 §11.4's example.
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for pair in chain.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        // Every pair, not only neighbours: the order is total and transitive.
        for (i, a) in chain.iter().enumerate() {
            for (j, b) in chain.iter().enumerate() {
                assert_eq!(v(a).cmp(&v(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
    }

    #[test]
    fn core_numbers_compare_numerically() {
        // §11.2's example.
        assert!(v("1.0.0") < v("2.0.0"));
        assert!(v("2.0.0") < v("2.1.0"));
        assert!(v("2.1.0") < v("2.1.1"));
        assert!(v("1.9.0") < v("1.10.0"));
        assert!(v("0.0.0") < v("0.0.1"));
        assert!(v("18446744073709551615.0.0") > v("18446744073709551614.99.99"));
    }

    #[test]
    fn prerelease_identifiers() {
        // Numeric < alphanumeric, numeric by value at any length, alphanumeric in ASCII order.
        assert!(v("1.0.0-1") < v("1.0.0-a"));
        assert!(v("1.0.0-999") < v("1.0.0--"));
        assert!(v("1.0.0-2") < v("1.0.0-10"));
        assert!(
            v("1.0.0-99999999999999999999999") < v("1.0.0-100000000000000000000000"),
            "numeric identifiers beyond 64 bits still compare numerically"
        );
        assert!(v("1.0.0-B") < v("1.0.0-a"), "ASCII: upper case first");
        assert!(v("1.0.0-alpha-1") < v("1.0.0-alpha-2"));
        assert!(v("1.0.0-a.b") > v("1.0.0-a"));
        assert!(v("1.0.0-0a") > v("1.0.0-9"), "0a is alphanumeric");
        assert!(v("1.0.0-0") < v("1.0.0"));
        assert!(v("1.0.0-rc.1") < v("1.0.1-alpha"));
    }

    #[test]
    fn build_metadata_is_ignored() {
        assert_eq!(v("1.0.0+a"), v("1.0.0+b"));
        assert_eq!(v("1.0.0-alpha+001"), v("1.0.0-alpha"));
        assert_eq!(v("1.0.0+20130313144700").cmp(&v("1.0.0")), Ordering::Equal);
        assert!(v("1.0.0-beta+exp.sha.5114f85") < v("1.0.0+21AF26D3----117B344092BD"));
        let hash = |s: &SemVer| {
            use std::collections::hash_map::DefaultHasher;
            let mut h = DefaultHasher::new();
            s.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&v("1.2.3-x+a")), hash(&v("1.2.3-x+b")));
        assert_eq!(
            v("1.0.0+21AF26D3----117B344092BD").build(),
            "21AF26D3----117B344092BD"
        );
    }

    #[test]
    fn leading_v_is_tolerated() {
        assert_eq!(v("v1.2.3"), v("1.2.3"));
        assert_eq!(v("v1.2.3-rc.1+b").to_string(), "1.2.3-rc.1+b");
        assert!("V1.2.3".parse::<SemVer>().is_err());
        assert!("vv1.2.3".parse::<SemVer>().is_err());
        assert!("=1.2.3".parse::<SemVer>().is_err());
    }

    #[test]
    fn parts_and_display() {
        let x = v("1.2.3-alpha.10.x-y+build.007");
        assert_eq!((x.major, x.minor, x.patch), (1, 2, 3));
        assert_eq!(
            x.pre().iter().map(Identifier::as_str).collect::<Vec<_>>(),
            ["alpha", "10", "x-y"]
        );
        assert!(x.is_prerelease());
        assert_eq!(x.pre()[1].as_number(), Some(10));
        assert!(x.pre()[1].is_numeric());
        assert_eq!(x.pre()[0].as_number(), None);
        assert_eq!(x.build(), "build.007");
        assert_eq!(x.to_string(), "1.2.3-alpha.10.x-y+build.007");
        assert_eq!(SemVer::new(0, 1, 0).to_string(), "0.1.0");
        assert!(!SemVer::new(0, 1, 0).is_prerelease());
        assert_eq!(SemVer::parse("0.1.0").unwrap(), SemVer::new(0, 1, 0));
        assert!(Identifier::new("01").is_err());
        assert!(Identifier::new("").is_err());
        assert!(Identifier::new("a.b").is_err());
    }

    #[test]
    fn invalid_inputs() {
        let long = format!("1.0.0-{}", "a".repeat(300));
        let exactly = format!("1.0.0-{}", "a".repeat(MAX_LEN - 6));
        assert_eq!(exactly.len(), MAX_LEN);
        assert!(exactly.parse::<SemVer>().is_ok());
        assert_eq!(
            format!("{exactly}a").parse::<SemVer>(),
            Err(SemVerError::TooLong(MAX_LEN + 1))
        );
        for bad in [
            "",
            "v",
            "1",
            "1.0",
            "1.0.0.0",
            "1..0",
            "1.0.",
            ".1.0",
            "a.b.c",
            "a.b",
            "01.2.3",
            "1.02.3",
            "1.2.03",
            "00.0.0",
            "1.0-",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-+b",
            "1.0.0-a..b",
            "1.0.0-a.",
            "1.0.0-.a",
            "1.0.0+a..b",
            "1.0.0+a.",
            "1.0.0-01",
            "1.0.0-a.00",
            "1.0.0-a_b",
            "1.0.0+a_b",
            "1.0.0+a+b",
            "1.0.0-é",
            "1.0.0+é",
            "1.0.０",
            "+1.0.0",
            "1.+0.0",
            "-1.0.0",
            " 1.0.0",
            "1.0.0 ",
            "1.0.0\n",
            "18446744073709551616.0.0",
            "1.0.99999999999999999999",
            long.as_str(),
        ] {
            assert!(bad.parse::<SemVer>().is_err(), "{bad:?} should not parse");
        }
        assert_eq!(
            "01.2.3".parse::<SemVer>(),
            Err(SemVerError::LeadingZero("01".into()))
        );
        assert_eq!(SemVerError::Core.kind(), ErrorKind::InvalidInput);
        // Leading zeros are fine in build metadata.
        assert!("1.0.0+007".parse::<SemVer>().is_ok());
        assert!("1.0.0-0".parse::<SemVer>().is_ok());
        assert!("1.0.0-00a".parse::<SemVer>().is_ok());
        assert!("1.0.0---".parse::<SemVer>().is_ok());
    }

    #[test]
    fn no_panic_on_odd_input() {
        // Multi-byte characters at every position, and every byte prefix of a valid version.
        let base = "v1.22.333-rc.4-x.05a+b.6";
        for (i, _) in base.char_indices() {
            let (head, tail) = base.split_at(i);
            for odd in ["é", "\u{0}", "+", "-", ".", "€", "🦀"] {
                let _ = format!("{head}{odd}{tail}").parse::<SemVer>();
            }
            let _ = head.parse::<SemVer>();
        }
        for b in 0u8..=255 {
            let _ = String::from_utf8_lossy(&[b'1', b'.', b'0', b'.', b'0', b]).parse::<SemVer>();
        }
    }
}
