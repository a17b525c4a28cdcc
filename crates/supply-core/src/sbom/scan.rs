//! Finding the end of a plain run inside a quoted string, eight bytes at a time. Both the
//! TOML reader (lockfile strings) and the JSON writer (SBOM strings) spend most of their time
//! in long runs of ordinary text: hashes, URLs, names.
#![warn(clippy::indexing_slicing, clippy::string_slice)]

/// Length of the longest prefix of `bytes` with no `"`, `\`, control character (below 0x20)
/// or DEL: the bytes a quoted string in TOML or JSON may need to look at.
pub(crate) fn plain_prefix(bytes: &[u8]) -> usize {
    let mut at = 0;
    while let Some(word) = bytes.get(at..at + 8)
        && let Ok(word) = <[u8; 8]>::try_from(word)
        && !any_special(u64::from_le_bytes(word))
    {
        at += 8;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest
        .iter()
        .position(|&b| is_special(b))
        .unwrap_or(rest.len())
}

fn is_special(byte: u8) -> bool {
    matches!(byte, b'"' | b'\\' | 0..=0x1f | 0x7f)
}

/// Whether any of the eight bytes is special (bit tricks: a byte is zero after the XOR, or
/// below 0x20, exactly when its high bit survives the masks; exact for "any", which is all
/// that is asked).
fn any_special(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH;
    below(word, 0x20)
        | below(word ^ (ONES * u64::from(b'"')), 1)
        | below(word ^ (ONES * u64::from(b'\\')), 1)
        | below(word ^ (ONES * 0x7f), 1)
        != 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reference(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(bytes.len())
    }

    #[test]
    fn every_special_byte_ends_the_run_wherever_it_is() {
        for special in (0u8..=0x1f).chain([b'"', b'\\', 0x7f]) {
            for at in 0..20 {
                let mut text = vec![b'a'; 20];
                text.insert(at, special);
                assert_eq!(plain_prefix(&text), at, "{special:#x} at {at}");
            }
        }
        for plain in (0x20u8..=0xff).filter(|&b| !is_special(b)) {
            assert_eq!(plain_prefix(&[plain; 17]), 17, "{plain:#x}");
        }
    }

    proptest! {
        #[test]
        fn plain_prefix_is_the_first_special_byte(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(plain_prefix(&bytes), reference(&bytes));
        }
    }
}
