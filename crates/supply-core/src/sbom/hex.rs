//! A digest, held inline as its bytes and shown as lower-case hex.
//!
//! Every package of a JavaScript lockfile carries a SHA-512, and npm writes it twice in an
//! SBOM (the component's and its tarball's): as hex `String`s those were some 10,000 small
//! allocations, 1.6 MB of fresh memory, for a large package-lock.json. Inline bytes are 66 of
//! them, copied by a `memcpy`, never freed; the digits are written when the text is needed.

use std::cmp::Ordering;
use std::fmt;

/// The longest digest a lockfile carries (SHA-512, BLAKE2b-512), in bytes.
const MAX_BYTES: usize = 64;

/// A digest of at most 64 bytes; compares, hashes and prints as its lower-case hex.
#[derive(Clone, Copy)]
pub struct Hex {
    len: u8,
    bytes: [u8; MAX_BYTES],
}

/// The hex digits of a [`Hex`], on the stack.
pub struct HexText {
    len: u8,
    digits: [u8; 2 * MAX_BYTES],
}

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Each byte's value as a hex digit of either case, or `0xff` (high bits set) if it is none.
const VALUES: [u8; 256] = {
    let mut values = [0xff; 256];
    let mut i = 0;
    while i < 16 {
        values[DIGITS[i] as usize] = i as u8;
        values[DIGITS[i].to_ascii_uppercase() as usize] = i as u8;
        i += 1;
    }
    values
};

impl Hex {
    /// The digest `text` spells in hex digits of either case, if it is an even number of them
    /// and at most 128.
    pub(crate) fn from_text(text: &str) -> Option<Self> {
        // By table, without a branch per digit: in a digest, digits and letters come at
        // random, so a per-digit branch mispredicts often (it was most of uv's own parse
        // time, thousands of hashes).
        if !text.len().is_multiple_of(2) || text.len() > 2 * MAX_BYTES {
            return None;
        }
        let mut bytes = [0u8; MAX_BYTES];
        let mut bad = 0u8;
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            if let [high, low] = pair {
                let (high, low) = (VALUES[usize::from(*high)], VALUES[usize::from(*low)]);
                bad |= (high | low) & 0xf0;
                *byte = (high << 4) | (low & 0xf);
            }
        }
        let len = u8::try_from(text.len() / 2).ok()?;
        (bad == 0).then_some(Self { len, bytes })
    }

    /// A digest of at most 64 bytes.
    pub(crate) fn from_bytes(digest: &[u8]) -> Option<Self> {
        let len = u8::try_from(digest.len())
            .ok()
            .filter(|&l| usize::from(l) <= MAX_BYTES)?;
        let mut bytes = [0u8; MAX_BYTES];
        bytes
            .iter_mut()
            .zip(digest)
            .for_each(|(to, from)| *to = *from);
        Some(Self { len, bytes })
    }

    /// The digest's bytes.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The digest's lower-case hex digits.
    pub fn text(&self) -> HexText {
        let mut digits = [0u8; 2 * MAX_BYTES];
        for (pair, byte) in digits.chunks_exact_mut(2).zip(self.bytes()) {
            if let [high, low] = pair {
                *high = DIGITS[usize::from(byte >> 4)];
                *low = DIGITS[usize::from(byte & 0xf)];
            }
        }
        HexText {
            len: self.len.saturating_mul(2),
            digits,
        }
    }
}

impl HexText {
    /// The digits.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and letters are ever written, so this cannot fail.
        let digits = self.digits.get(..usize::from(self.len)).unwrap_or_default();
        std::str::from_utf8(digits).unwrap_or_default()
    }
}

impl std::ops::Deref for HexText {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

// Same order as the hex text: digits go high nibble first and `0`–`9` sort before `a`–`f`.
impl PartialEq for Hex {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Hex {}

impl PartialOrd for Hex {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Hex {
    fn cmp(&self, other: &Self) -> Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl std::hash::Hash for Hex {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.bytes().hash(state);
    }
}

impl PartialEq<str> for Hex {
    fn eq(&self, other: &str) -> bool {
        *self.text() == *other
    }
}

impl PartialEq<&str> for Hex {
    fn eq(&self, other: &&str) -> bool {
        *self.text() == **other
    }
}

impl PartialEq<String> for Hex {
    fn eq(&self, other: &String) -> bool {
        *self.text() == **other
    }
}

impl fmt::Display for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl fmt::Debug for Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.text(), f)
    }
}

impl serde::Serialize for Hex {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_read_in_either_case_and_bounded() {
        let hex = Hex::from_text("00aB9f").unwrap();
        assert_eq!(hex.bytes(), [0x00, 0xab, 0x9f]);
        assert_eq!(hex, "00ab9f");
        assert_eq!(Hex::from_text("").unwrap(), "");
        assert!(Hex::from_text(&"a".repeat(128)).is_some());
        assert!(Hex::from_text(&"a".repeat(130)).is_none());
        assert!(Hex::from_text("abc").is_none());
        // Every byte that is not a hex digit is refused, in either nibble.
        for byte in 0..=255u8 {
            let c = char::from(byte);
            let expected = byte.is_ascii_hexdigit();
            for text in [format!("{c}0"), format!("0{c}")] {
                if text.len() == 2 {
                    assert_eq!(Hex::from_text(&text).is_some(), expected, "{text:?}");
                }
            }
        }
        for byte in 0..=255u8 {
            let text = format!("{byte:02x}");
            assert_eq!(Hex::from_text(&text).unwrap().bytes(), [byte]);
            assert_eq!(Hex::from_text(&text.to_uppercase()).unwrap(), text);
        }
    }

    #[test]
    fn bytes_become_two_digits_each() {
        assert_eq!(
            Hex::from_bytes(&[0x00, 0x0f, 0xa0, 0xff]).unwrap(),
            "000fa0ff"
        );
        assert_eq!(Hex::from_bytes(&[0xab; 64]).unwrap(), "ab".repeat(64));
        assert!(Hex::from_bytes(&[0; 65]).is_none());
        assert!(Hex::from_bytes(&[0; 300]).is_none());
    }

    #[test]
    fn order_and_equality_are_the_texts() {
        let texts = ["09", "0a", "10", "9f", "a0", "ff"];
        let hexes: Vec<Hex> = texts.iter().map(|t| Hex::from_text(t).unwrap()).collect();
        assert!(hexes.windows(2).all(|w| w[0] < w[1]));
        assert!(texts.windows(2).all(|w| w[0] < w[1]));
        let a = Hex::from_text("ab").unwrap();
        assert_eq!(a, Hex::from_text("AB").unwrap());
        assert_ne!(a, Hex::from_text("abcd").unwrap());
        assert_eq!(format!("{a} {a:?}"), "ab \"ab\"");
    }
}
