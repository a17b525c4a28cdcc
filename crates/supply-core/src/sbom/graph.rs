//! The resolved dependency graph of one lockfile, ecosystem-neutral.
//!
//! Each parser turns its lockfile into a `DepGraph`; the builder turns graphs into a BOM.
//! Nothing here knows CycloneDX or any lockfile syntax.

use std::fmt;

use base64::Engine as _;

use super::Ecosystem;
use super::hex::Hex;

/// The packages of one lockfile and the edges between them.
#[derive(Clone, Debug)]
pub struct DepGraph {
    /// Which lockfile format this came from.
    pub ecosystem: Ecosystem,
    /// The lockfile's format version as written (`4`, `1 (revision 3)`, `3`).
    pub format_version: String,
    /// Every package, in lockfile order.
    pub packages: Vec<Package>,
    /// `(from, to)` indices into `packages`, sorted and without duplicates once built.
    pub edges: Vec<(usize, usize)>,
    /// The project root(s): what the lockfile was made for.
    pub roots: Vec<usize>,
    /// Inconsistencies that did not stop parsing (e.g. an npm dependency missing from the tree).
    pub warnings: Vec<String>,
}

impl DepGraph {
    /// An empty graph for `ecosystem`.
    pub fn new(ecosystem: Ecosystem, format_version: impl Into<String>) -> Self {
        Self {
            ecosystem,
            format_version: format_version.into(),
            packages: Vec::new(),
            edges: Vec::new(),
            roots: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Sorts and deduplicates edges and roots; parsers call this last.
    pub(crate) fn finish(mut self) -> Self {
        self.edges.sort_unstable();
        self.edges.dedup();
        self.roots.sort_unstable();
        self.roots.dedup();
        self
    }

    /// Indices of packages that no edge points to among the local ones, the usual roots.
    pub(crate) fn local_packages_without_dependents(&self) -> Vec<usize> {
        let mut has_dependent = vec![false; self.packages.len()];
        for &(from, to) in &self.edges {
            if from != to {
                has_dependent[to] = true;
            }
        }
        let roots: Vec<usize> = (0..self.packages.len())
            .filter(|&i| self.packages[i].local.is_some() && !has_dependent[i])
            .collect();
        if roots.is_empty() {
            (0..self.packages.len())
                .filter(|&i| self.packages[i].local.is_some())
                .collect()
        } else {
            roots
        }
    }
}

/// One resolved package.
#[derive(Clone, Debug, Default)]
pub struct Package {
    /// Name as the ecosystem spells it (without npm scope; see `group`).
    pub name: String,
    /// npm scope with its `@`, if any.
    pub group: Option<String>,
    /// Exact version; absent for some local packages.
    pub version: Option<String>,
    /// Canonical package URL; `None` for local (path, workspace) packages.
    pub purl: Option<String>,
    /// For local packages: an identifier unique within the lockfile (a path or `name@version`).
    pub local: Option<String>,
    /// Digests of the package's artifact.
    pub hashes: Vec<Hash>,
    /// License as the lockfile states it (an SPDX expression or a free-text name).
    pub license: Option<String>,
    /// Whether the project needs it at run time.
    pub scope: Scope,
    /// Download and source locations.
    pub external_references: Vec<ExternalReference>,
    /// Facts with no CycloneDX field of their own.
    pub properties: Vec<(String, String)>,
}

/// How a package is needed, strongest first (so `min` merges two sightings).
#[derive(Clone, Copy, Debug, Default, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub enum Scope {
    /// Needed at run time.
    #[default]
    Required,
    /// Needed only when an optional feature (extra, optional dependency) is used.
    Optional,
    /// Needed only for development (dev dependencies, dependency groups).
    Excluded,
}

/// A digest of an artifact, in lower-case hex.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct Hash {
    /// Algorithm.
    pub alg: HashAlg,
    /// Lower-case hex digest, its length checked against `alg`.
    pub hex: Hex,
}

impl Hash {
    /// A hash from hex text, refusing a length that does not fit the algorithm.
    pub fn from_hex(alg: HashAlg, hex: &str) -> Option<Self> {
        if hex.len() != alg.hex_len() {
            return None;
        }
        Hex::from_text(hex).map(|hex| Self { alg, hex })
    }

    /// A hash from raw digest bytes.
    pub fn from_bytes(alg: HashAlg, bytes: &[u8]) -> Option<Self> {
        if bytes.len() * 2 != alg.hex_len() {
            return None;
        }
        Hex::from_bytes(bytes).map(|hex| Self { alg, hex })
    }
}

/// Hash algorithms that lockfiles carry, with their CycloneDX names.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
#[allow(missing_docs)]
pub enum HashAlg {
    Blake2b256,
    Blake2b384,
    Blake2b512,
    Md5,
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// The name CycloneDX uses.
    pub fn cyclonedx_name(self) -> &'static str {
        match self {
            Self::Blake2b256 => "BLAKE2b-256",
            Self::Blake2b384 => "BLAKE2b-384",
            Self::Blake2b512 => "BLAKE2b-512",
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha256 | Self::Blake2b256 => 64,
            Self::Sha384 | Self::Blake2b384 => 96,
            Self::Sha512 | Self::Blake2b512 => 128,
        }
    }
}

impl fmt::Display for HashAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.cyclonedx_name())
    }
}

/// A location related to the package.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct ExternalReference {
    /// What the URL is.
    pub kind: ReferenceKind,
    /// The URL, with any credentials removed.
    pub url: String,
    /// Digests of what the URL serves.
    pub hashes: Vec<Hash>,
}

/// Kinds of external reference we emit.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub enum ReferenceKind {
    /// A built artifact (crate, npm tarball, wheel).
    Distribution,
    /// A source archive (Python sdist); CycloneDX 1.5 has no such type and gets `Distribution`.
    SourceDistribution,
    /// A version-control repository.
    Vcs,
}

/// A git source `https://host/repo?ref=x#commit` → the purl `vcs_url` qualifier
/// (`git+https://host/repo@commit`, SPDX form) and a `vcs` reference (`https://host/repo#commit`,
/// credentials removed). `None` without a commit.
pub(crate) fn git_source(git: &str) -> Option<(String, ExternalReference)> {
    let (url, commit) = git
        .split_once('#')
        .filter(|(_, commit)| !commit.is_empty())?;
    let repository = url.split_once('?').map_or(url, |(base, _)| base);
    let reference = ExternalReference {
        kind: ReferenceKind::Vcs,
        url: strip_credentials(&format!("{repository}#{commit}")),
        hashes: Vec::new(),
    };
    Some((format!("git+{repository}@{commit}"), reference))
}

/// Removes credentials from a URL so secrets in lockfiles never reach an SBOM.
///
/// Over HTTP any user info can be a token (`https://TOKEN@host`), so all of it goes; over SSH a
/// bare user name (`git@`) is how the repository is addressed and is kept.
pub(crate) fn strip_credentials(url: &str) -> String {
    if let Some(scheme_end) = url.find("://") {
        let rest = &url[scheme_end + 3..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        if let Some(at) = rest[..authority_end].rfind('@') {
            let user_info = &rest[..at];
            let is_ssh = url[..scheme_end].ends_with("ssh");
            if !is_ssh || user_info.contains(':') {
                return format!("{}{}", &url[..scheme_end + 3], &rest[at + 1..]);
            }
        }
    }
    url.to_owned()
}

/// Subresource Integrity (`sha512-<base64> sha1-<base64>`) → hex hashes, and for each token
/// that is not a hash we can use, why. npm, pnpm and Yarn classic all write SRI strings.
pub(crate) fn parse_sri(text: &str) -> (Vec<Hash>, Vec<String>) {
    // Nearly always one token: room for exactly one, not the four a first push reserves.
    let mut hashes = Vec::with_capacity(1);
    let mut problems = Vec::new();
    // The SRI grammar separates tokens by ASCII whitespace only.
    for token in text.split_ascii_whitespace() {
        let token = token.split_once('?').map_or(token, |(t, _)| t);
        match parse_sri_token(token) {
            Ok(hash) => hashes.push(hash),
            Err(problem) => problems.push(problem),
        }
    }
    if hashes.is_empty() && problems.is_empty() {
        problems.push("no hash in it".to_owned());
    }
    hashes.sort();
    hashes.dedup();
    (hashes, problems)
}

fn parse_sri_token(token: &str) -> Result<Hash, String> {
    let (name, digest) = token
        .split_once('-')
        .ok_or_else(|| "not `<algorithm>-<base64 digest>`".to_owned())?;
    let (alg, bytes) = match name {
        "sha1" => (HashAlg::Sha1, 20),
        "sha256" => (HashAlg::Sha256, 32),
        "sha384" => (HashAlg::Sha384, 48),
        "sha512" => (HashAlg::Sha512, 64),
        _ => return Err(format!("unsupported algorithm `{name}`")),
    };
    // Decoded on the stack: one per package in every JavaScript lockfile. A digest too long
    // for the buffer is longer than any algorithm's.
    let mut buffer = [0u8; 96];
    let len = if digest.len() > 128 {
        digest.len() / 4 * 3
    } else {
        base64::engine::general_purpose::STANDARD
            .decode_slice(digest, &mut buffer)
            .map_err(|_| format!("{name} digest is not base64"))?
    };
    buffer
        .get(..len)
        .and_then(|decoded| Hash::from_bytes(alg, decoded))
        .ok_or_else(|| format!("{name} digest is {len} bytes, expected {bytes}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_length_must_fit_algorithm() {
        assert!(Hash::from_hex(HashAlg::Sha256, &"a".repeat(64)).is_some());
        assert!(Hash::from_hex(HashAlg::Sha256, &"a".repeat(63)).is_none());
        assert!(Hash::from_hex(HashAlg::Sha1, &"g".repeat(40)).is_none());
        // Every byte next to the hex ranges is refused, wherever it sits; case is folded.
        let good = "0123456789abcdefABCDEF0123456789abcdefAB";
        assert_eq!(
            Hash::from_hex(HashAlg::Sha1, good).unwrap().hex,
            good.to_ascii_lowercase()
        );
        for bad in ['/', ':', '@', 'G', '`', 'g', ' ', '\0', '\u{7f}', 'é'] {
            for at in [0, 17, 39] {
                let mut text: Vec<char> = good.chars().collect();
                text[at] = bad;
                let text: String = text.into_iter().collect();
                if text.len() == 40 {
                    assert!(Hash::from_hex(HashAlg::Sha1, &text).is_none(), "{text:?}");
                }
            }
        }
        for byte in 0..=255u8 {
            let text = format!("{}{}", char::from(byte), "a".repeat(39));
            let expected = byte.is_ascii_hexdigit();
            if text.len() == 40 {
                assert_eq!(
                    Hash::from_hex(HashAlg::Sha1, &text).is_some(),
                    expected,
                    "{byte}"
                );
            }
        }
        assert_eq!(
            Hash::from_bytes(HashAlg::Md5, &[0xab; 16]).unwrap().hex,
            "ab".repeat(16)
        );
    }

    #[test]
    fn sri_tokens_become_hashes_or_reasons() {
        let sha1 = "sha1-qqqqqqqqqqqqqqqqqqqqqqqqqqo=";
        let (hashes, problems) = parse_sri(&format!("{sha1}\t {sha1}?opt \n"));
        assert!(
            hashes.len() == 1 && hashes[0].hex == "a".repeat(40),
            "{hashes:?}"
        );
        assert!(problems.is_empty(), "{problems:?}");
        let (hashes, problems) = parse_sri("sha256-3q2+7w== sha512-%% md5-AAAA sha1");
        assert!(hashes.is_empty());
        assert_eq!(
            problems,
            [
                "sha256 digest is 4 bytes, expected 32",
                "sha512 digest is not base64",
                "unsupported algorithm `md5`",
                "not `<algorithm>-<base64 digest>`",
            ]
        );
        // Longer than any digest: refused without decoding, and said so.
        let (_, problems) = parse_sri(&format!("sha512-{}", "A".repeat(400)));
        assert_eq!(problems, ["sha512 digest is 300 bytes, expected 64"]);
        // Only ASCII whitespace separates tokens (a no-break space is part of one).
        let (hashes, problems) =
            parse_sri("sha1-qqqqqqqqqqqqqqqqqqqqqqqqqqo=\u{a0}sha1-qqqqqqqqqqqqqqqqqqqqqqqqqqo=");
        assert!(
            hashes.is_empty() && problems.len() == 1,
            "{hashes:?} {problems:?}"
        );
    }

    #[test]
    fn credentials_are_removed_from_urls() {
        assert_eq!(
            strip_credentials("https://user:secret@npm.example/x/-/x-1.tgz"),
            "https://npm.example/x/-/x-1.tgz"
        );
        assert_eq!(
            strip_credentials("git+ssh://git@github.com/o/r.git#abc"),
            "git+ssh://git@github.com/o/r.git#abc"
        );
        assert_eq!(
            strip_credentials("git+ssh://git:pw@github.com/o/r.git"),
            "git+ssh://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://ghp_token@github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            strip_credentials("https://a.example/p@1"),
            "https://a.example/p@1"
        );
    }
}
