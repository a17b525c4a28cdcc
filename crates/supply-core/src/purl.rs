//! Package URLs (purl-spec), built in canonical form.
//!
//! Only construction is needed here: parsers know the parts, and the canonical string is what
//! consumers such as vulnerability matchers compare. Encoding follows the spec: every byte
//! outside `A-Z a-z 0-9 . - _ ~` is percent-encoded except `:`, qualifier keys are lower-case
//! and sorted, empty qualifier values are dropped.

use std::fmt::{self, Write};

use crate::byte_set::{self, ByteSet};

/// A package URL under construction.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Purl {
    ty: &'static str,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    /// Sorted by key, one value per key: a purl has one or two, and a map node per purl was
    /// most of the memory a Poetry lockfile's per-file purls took.
    qualifiers: Vec<(&'static str, String)>,
}

impl Purl {
    /// A purl of type `ty` (`cargo`, `npm`, `pypi`) for `name`.
    pub fn new(ty: &'static str, name: impl Into<String>) -> Self {
        Self {
            ty,
            namespace: None,
            name: name.into(),
            version: None,
            qualifiers: Vec::new(),
        }
    }

    /// Sets the namespace (an npm scope, with its `@`).
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// Sets the version, if there is one.
    #[must_use]
    pub fn version(mut self, version: Option<&str>) -> Self {
        self.version = version.map(str::to_owned);
        self
    }

    /// Adds a qualifier; an empty value is dropped, as the spec requires.
    #[must_use]
    pub fn qualifier(mut self, key: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        if !value.is_empty() {
            match self.slot(key) {
                Ok(at) => {
                    if let Some(slot) = self.qualifiers.get_mut(at) {
                        slot.1 = value;
                    }
                }
                Err(at) => self.qualifiers.insert(at, (key, value)),
            }
        }
        self
    }

    /// Where `key`'s qualifier is (`Ok`) or would go in sorted order (`Err`).
    fn slot(&self, key: &str) -> Result<usize, usize> {
        self.qualifiers.binary_search_by(|(k, _)| (*k).cmp(key))
    }

    /// This purl as a string with one more qualifier (replacing one of the same key), as
    /// `self.clone().qualifier(key, value).to_string()` would give, without the copy: a Poetry
    /// lockfile names thousands of files, each located by its own purl.
    pub fn to_string_with(&self, key: &'static str, value: &str) -> String {
        if value.is_empty() {
            return self.to_string(); // an empty value is dropped, as `qualifier` drops it
        }
        let (before, after) = match self.slot(key) {
            Ok(at) => (self.qualifiers.get(..at), self.qualifiers.get(at + 1..)),
            Err(at) => (self.qualifiers.get(..at), self.qualifiers.get(at..)),
        };
        let qualifiers = pairs(before.unwrap_or_default())
            .chain([(key, value)])
            .chain(pairs(after.unwrap_or_default()));
        let raw_len = self.ty.len()
            + self.namespace.as_ref().map_or(0, String::len)
            + self.name.len()
            + self.version.as_ref().map_or(0, String::len)
            + qualifiers
                .clone()
                .map(|(k, v)| k.len() + v.len() + 2)
                .sum::<usize>()
            + 8;
        let mut out = String::with_capacity(raw_len);
        // Writing to a `String` cannot fail.
        let _ = self.write(&mut out, qualifiers);
        out
    }

    fn write<'q>(
        &self,
        f: &mut impl Write,
        qualifiers: impl Iterator<Item = (&'q str, &'q str)>,
    ) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(namespace) = &self.namespace {
            for segment in namespace.split('/') {
                write_encoded(f, segment)?;
                f.write_char('/')?;
            }
        }
        write_encoded(f, &self.name)?;
        if let Some(version) = &self.version {
            f.write_char('@')?;
            write_encoded(f, version)?;
        }
        for (i, (key, value)) in qualifiers.enumerate() {
            f.write_char(if i == 0 { '?' } else { '&' })?;
            f.write_str(key)?;
            f.write_char('=')?;
            write_encoded(f, value)?;
        }
        Ok(())
    }
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, pairs(&self.qualifiers))
    }
}

/// Qualifiers as borrowed key/value pairs, for [`Purl::write`].
fn pairs<'q>(
    list: &'q [(&'static str, String)],
) -> impl Iterator<Item = (&'q str, &'q str)> + Clone {
    list.iter().map(|(k, v)| (*k, v.as_str()))
}

/// Normalizes a Python distribution name as PEP 503 does (lower case, runs of `-_.` → `-`).
pub fn normalize_pypi_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            // Every real package name is ASCII: no trip through the Unicode case tables.
            if c.is_ascii() {
                out.push(c.to_ascii_lowercase());
            } else {
                out.extend(c.to_lowercase());
            }
            in_separator_run = false;
        }
    }
    out
}

/// Undoes `%XX` escapes. `None` when an escape is not `%` and two ASCII hex digits (a sign such
/// as `%+f` is not a digit) or the result is not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_owned());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let high = hex_digit(*bytes.get(i + 1)?)?;
            let low = hex_digit(*bytes.get(i + 2)?)?;
            out.push(high << 4 | low);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn hex_digit(byte: u8) -> Option<u8> {
    char::from(byte)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

fn write_encoded(f: &mut impl Write, text: &str) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    // Runs of safe bytes go out with one `write_str` (a byte at a time was a few percent of an
    // SBOM run), the bytes tested by table (the class test per byte was 3% of a Poetry run).
    // Runs hold only ASCII and start after an ASCII or a whole encoded character, so each is a
    // `str` slice on char boundaries.
    let mut run = 0;
    for (i, byte) in text.bytes().enumerate() {
        if !PURL_SAFE[usize::from(byte)] {
            f.write_str(text.get(run..i).unwrap_or_default())?;
            let escape = [
                b'%',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ];
            // Three ASCII bytes: always a `str`.
            f.write_str(std::str::from_utf8(&escape).unwrap_or_default())?;
            run = i + 1;
        }
    }
    f.write_str(text.get(run..).unwrap_or_default())
}

/// The bytes a purl component keeps as written: `A-Z a-z 0-9 . - _ ~ :`.
const PURL_SAFE: ByteSet = byte_set::alphanumeric_and(b".-_~:");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decode_wants_two_hex_digits() {
        assert_eq!(percent_decode("%40demo%2Fa").as_deref(), Some("@demo/a"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        for broken in ["%+f", "%-1", "%4", "%", "%zz", "%ff", "a%2"] {
            assert_eq!(percent_decode(broken), None, "{broken}");
        }
    }

    #[test]
    fn cargo_purl_is_plain() {
        let purl = Purl::new("cargo", "rand").version(Some("0.7.2"));
        assert_eq!(purl.to_string(), "pkg:cargo/rand@0.7.2");
    }

    #[test]
    fn encoding_keeps_safe_runs_and_escapes_every_other_byte() {
        let purl = Purl::new("pypi", "a b").version(Some("1.0+é/x"));
        assert_eq!(purl.to_string(), "pkg:pypi/a%20b@1.0%2B%C3%A9%2Fx");
    }

    #[test]
    fn npm_scope_is_percent_encoded() {
        let purl = Purl::new("npm", "node")
            .namespace("@types")
            .version(Some("20.1.0"));
        assert_eq!(purl.to_string(), "pkg:npm/%40types/node@20.1.0");
    }

    #[test]
    fn one_more_qualifier_renders_as_a_copy_with_it_would() {
        let bases = [
            Purl::new("pypi", "numpy").version(Some("2.0")),
            Purl::new("pypi", "a b").qualifier("repository_url", "https://x/simple"),
            Purl::new("npm", "n")
                .namespace("@s")
                .qualifier("checksum", "sha1:ab")
                .qualifier("vcs_url", "git+https://h/r@1"),
        ];
        let extras = [
            ("file_name", "numpy-2.0-cp312-win_amd64.whl"),
            ("arch", "x86"),
            ("checksum", "sha256:cd"),
            ("repository_url", "https://y/simple"),
            ("zzz", "last one"),
            ("file_name", ""),
        ];
        for base in &bases {
            for (key, value) in extras {
                assert_eq!(
                    base.to_string_with(key, value),
                    base.clone().qualifier(key, value).to_string(),
                    "{base} + {key}={value}"
                );
            }
        }
    }

    #[test]
    fn qualifiers_are_sorted_and_encoded_but_colons_are_kept() {
        let purl = Purl::new("npm", "mypackage")
            .version(Some("12.4.5"))
            .qualifier("vcs_url", "git://host.com/path/to/repo.git@4345abcd34343")
            .qualifier("download_url", "")
            .qualifier("checksum", "sha256:ab");
        assert_eq!(
            purl.to_string(),
            "pkg:npm/mypackage@12.4.5?checksum=sha256:ab&vcs_url=git:%2F%2Fhost.com%2Fpath%2Fto%2Frepo.git%404345abcd34343"
        );
        // Set twice, a qualifier keeps its last value, in its sorted place.
        let again = purl
            .qualifier("checksum", "sha1:cd")
            .qualifier("arch", "x86");
        assert_eq!(
            again.to_string(),
            "pkg:npm/mypackage@12.4.5?arch=x86&checksum=sha1:cd&vcs_url=git:%2F%2Fhost.com%2Fpath%2Fto%2Frepo.git%404345abcd34343"
        );
    }

    #[test]
    fn every_ascii_byte_is_kept_or_escaped_as_the_spec_says() {
        for byte in 0u8..128 {
            let c = char::from(byte);
            let purl = Purl::new("generic", format!("a{c}b"));
            let kept = c.is_ascii_alphanumeric() || ".-_~:".contains(c);
            let middle = if kept {
                c.to_string()
            } else {
                format!("%{byte:02X}")
            };
            assert_eq!(
                purl.to_string(),
                format!("pkg:generic/a{middle}b"),
                "{byte}"
            );
        }
    }

    #[test]
    fn plus_and_space_are_encoded() {
        let purl = Purl::new("cargo", "x").version(Some("1.0.0+build 1"));
        assert_eq!(purl.to_string(), "pkg:cargo/x@1.0.0%2Bbuild%201");
    }

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(normalize_pypi_name("Django_package"), "django-package");
        assert_eq!(normalize_pypi_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_pypi_name("a__-.b"), "a-b");
        assert_eq!(normalize_pypi_name("Foo.-Bar_"), "foo-bar-");
        // Non-ASCII names take the Unicode path: same rules, Unicode lower case.
        assert_eq!(normalize_pypi_name("Ñame__X"), "ñame-x");
    }
}
