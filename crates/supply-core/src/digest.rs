//! Content digests (`sha256:<hex>`, `sha512:<hex>`): parse, print, compute, compare.
//!
//! Every byte we fetch by digest is hashed and compared before it is used; comparison runs in
//! constant time so a verifier leaks nothing about how much of a digest matched.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest as _, Sha256, Sha512};

/// Hash algorithms OCI registries use.
#[derive(Clone, Copy, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub enum Algorithm {
    /// SHA-256, the default everywhere.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    fn name(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha512 => "sha512",
        }
    }

    fn hex_len(self) -> usize {
        match self {
            Self::Sha256 => 64,
            Self::Sha512 => 128,
        }
    }
}

/// A content digest.
#[derive(Clone, Debug, Eq, Hash, Ord, PartialEq, PartialOrd)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

/// Text that is not a digest we support.
#[derive(Debug, thiserror::Error)]
#[error("invalid digest {text:?}: expected sha256:<64 hex> or sha512:<128 hex>")]
pub struct DigestError {
    text: String,
}

impl crate::error::Classify for DigestError {
    fn kind(&self) -> crate::ErrorKind {
        crate::ErrorKind::InvalidInput
    }
}

impl Digest {
    /// The SHA-256 digest of `bytes`.
    pub fn sha256(bytes: &[u8]) -> Self {
        Self {
            algorithm: Algorithm::Sha256,
            hex: to_hex(&Sha256::digest(bytes)),
        }
    }

    /// A SHA-256 digest from its 32 raw bytes (a hash computed elsewhere, e.g. streamed).
    pub fn from_sha256_bytes(hash: &[u8]) -> Self {
        Self {
            algorithm: Algorithm::Sha256,
            hex: to_hex(hash),
        }
    }

    /// The raw hash bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        (0..self.hex.len() / 2)
            .filter_map(|i| self.hex.get(2 * i..2 * i + 2))
            .filter_map(|pair| u8::from_str_radix(pair, 16).ok())
            .collect()
    }

    /// The digest of `bytes` under `algorithm`.
    pub fn of(algorithm: Algorithm, bytes: &[u8]) -> Self {
        let hex = match algorithm {
            Algorithm::Sha256 => to_hex(&Sha256::digest(bytes)),
            Algorithm::Sha512 => to_hex(&Sha512::digest(bytes)),
        };
        Self { algorithm, hex }
    }

    /// Whether `bytes` hash to this digest (constant-time comparison).
    pub fn matches(&self, bytes: &[u8]) -> bool {
        constant_time_eq(
            Self::of(self.algorithm, bytes).hex.as_bytes(),
            self.hex.as_bytes(),
        )
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// Lower-case hex of the digest.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || DigestError {
            text: text.chars().take(200).collect(),
        };
        let (name, hex) = text.split_once(':').ok_or_else(error)?;
        let algorithm = match name {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            _ => return Err(error()),
        };
        let valid = hex.len() == algorithm.hex_len()
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !valid {
            return Err(error());
        }
        Ok(Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.name(), self.hex)
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn to_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_verifies() {
        let digest = Digest::sha256(b"");
        assert_eq!(
            digest.to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(digest.to_string().parse::<Digest>().unwrap(), digest);
        assert!(digest.matches(b""));
        assert!(!digest.matches(b"x"));
        assert!(
            Digest::of(Algorithm::Sha512, b"x")
                .to_string()
                .starts_with("sha512:")
        );
    }

    #[test]
    fn rejects_malformed_digests() {
        for bad in [
            "sha256:abc",
            "md5:00",
            "sha256",
            "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
            "",
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad}");
        }
    }
}
