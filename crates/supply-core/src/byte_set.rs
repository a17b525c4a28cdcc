//! Sets of bytes as 256-entry tables built at compile time: one lookup per byte, where testing
//! each byte of a lockfile or a document against a list or a chain of comparisons was a
//! measurable share of the parsers' and the renderer's time.

pub(crate) type ByteSet = [bool; 256];

/// Exactly `bytes`.
pub(crate) const fn of(bytes: &[u8]) -> ByteSet {
    add(&mut [false; 256], bytes)
}

/// ASCII letters and digits, and `bytes`.
pub(crate) const fn alphanumeric_and(bytes: &[u8]) -> ByteSet {
    let mut set = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        set[byte] = (byte as u8).is_ascii_alphanumeric();
        byte += 1;
    }
    add(&mut set, bytes)
}

const fn add(set: &mut ByteSet, bytes: &[u8]) -> ByteSet {
    let mut i = 0;
    while i < bytes.len() {
        set[bytes[i] as usize] = true;
        i += 1;
    }
    *set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_hold_exactly_their_bytes() {
        let set = of(b":#\n");
        let members: Vec<u8> = (0..=255u8).filter(|&b| set[usize::from(b)]).collect();
        assert_eq!(members, b"\n#:");
        let set = alphanumeric_and(b"-.");
        let members: Vec<u8> = (0..=255u8).filter(|&b| set[usize::from(b)]).collect();
        let mut expected: Vec<u8> = b"-.".to_vec();
        expected.extend((0..=255u8).filter(u8::is_ascii_alphanumeric));
        expected.sort_unstable();
        assert_eq!(members, expected);
    }
}
