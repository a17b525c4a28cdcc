//! The encodings Sigstore's JSON documents use (protobuf's JSON mapping): bytes as base64 in
//! either alphabet, padded or not; 64-bit integers as strings or numbers; timestamps as
//! RFC 3339. Pure and bounded; every failure is a typed [`EncodingError`].

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Deserializer};

/// A value that is not in the encoding it must be in.
#[derive(Clone, Debug, Eq, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodingError {
    /// Not base64 (standard or URL-safe, padded or not).
    #[error("not base64")]
    Base64,
    /// Not an RFC 3339 time.
    #[error("{0:?} is not an RFC 3339 time")]
    Time(String),
}

/// Decodes protobuf-JSON bytes: standard or URL-safe alphabet (chosen by the characters used),
/// padded or not. Line breaks inside are not accepted.
pub fn base64(text: &str) -> Result<Vec<u8>, EncodingError> {
    let url = text.contains(['-', '_']);
    let padded = text.len().is_multiple_of(4) && text.ends_with('=');
    let engine = match (url, padded) {
        (false, true) => &STANDARD,
        (false, false) => &STANDARD_NO_PAD,
        (true, true) => &URL_SAFE,
        (true, false) => &URL_SAFE_NO_PAD,
    };
    engine.decode(text).map_err(|_| EncodingError::Base64)
}

/// Serde helper: a base64 string (see [`base64`]).
pub(crate) fn bytes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    let text = String::deserialize(deserializer)?;
    base64(&text).map_err(serde::de::Error::custom)
}

/// Serde helper: an optional base64 string.
pub(crate) fn optional_bytes<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<u8>>, D::Error> {
    match Option::<String>::deserialize(deserializer)? {
        None => Ok(None),
        Some(text) => base64(&text).map(Some).map_err(serde::de::Error::custom),
    }
}

/// Serde helper: an int64 written as a JSON string (as protobuf's JSON mapping emits it) or a
/// number; `null` or absent is zero.
pub(crate) fn int64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Int {
        Number(i64),
        Text(String),
    }
    match Option::<Int>::deserialize(deserializer)? {
        None => Ok(0),
        Some(Int::Number(n)) => Ok(n),
        Some(Int::Text(text)) => text
            .parse()
            .map_err(|_| serde::de::Error::custom(format!("{text:?} is not an int64"))),
    }
}

/// Seconds since 1970 of an RFC 3339 time (`2021-10-07T13:56:59Z`, fractions and offsets
/// allowed; fractions are dropped, as every check we make has whole-second inputs).
pub fn rfc3339_seconds(text: &str) -> Result<i64, EncodingError> {
    let invalid = || EncodingError::Time(text.to_owned());
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, EncodingError> {
        let part = text.get(range).ok_or_else(invalid)?;
        if part.bytes().all(|b| b.is_ascii_digit()) {
            part.parse().map_err(|_| invalid())
        } else {
            Err(invalid())
        }
    };
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if bytes.len() < 20
        || separators.iter().any(|&(i, c)| bytes.get(i) != Some(&c))
        || !matches!(bytes.get(10), Some(b'T' | b't' | b' '))
    {
        return Err(invalid());
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return Err(invalid());
    }
    let mut rest = text.get(19..).ok_or_else(invalid)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .ok_or_else(invalid)?;
        if end == 0 || end > 9 {
            return Err(invalid());
        }
        rest = fraction.get(end..).ok_or_else(invalid)?;
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return Err(invalid()),
            };
            if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                return Err(invalid());
            }
            let hours: i64 = rest
                .get(1..3)
                .and_then(|h| h.parse().ok())
                .ok_or_else(invalid)?;
            let minutes: i64 = rest
                .get(4..6)
                .and_then(|m| m.parse().ok())
                .ok_or_else(invalid)?;
            sign * (hours * 3600 + minutes * 60)
        }
    };
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// The bytes of a hex string (either case); `None` unless every character is a hex digit and
/// the length is even (`u8::from_str_radix` alone would take a sign such as `+f`).
pub fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| {
            text.get(i..i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_decodes_only_whole_hex() {
        assert_eq!(hex_decode("00ffC0"), Some(vec![0, 255, 192]));
        assert_eq!(hex_decode(""), Some(vec![]));
        for bad in ["abc", "+f", "0g", "éé"] {
            assert_eq!(hex_decode(bad), None, "{bad}");
        }
        assert_eq!(hex_decode(&hex(&[1, 2, 254])), Some(vec![1, 2, 254]));
    }

    #[test]
    fn base64_in_every_protojson_form() {
        assert_eq!(base64("aGk=").unwrap(), b"hi");
        assert_eq!(base64("aGk").unwrap(), b"hi");
        assert_eq!(base64("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64("+/8=").unwrap(), [0xfb, 0xff]);
        assert!(base64("INVALID!!!BASE64!!!ENCODING====").is_err());
        assert!(base64("aGk=\n").is_err());
    }

    #[test]
    fn rfc3339_times() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(
            rfc3339_seconds("2021-10-07T13:56:59.000Z").unwrap(),
            1_633_615_019
        );
        assert_eq!(
            rfc3339_seconds("2022-12-31T23:59:59.999Z").unwrap(),
            1_672_531_199
        );
        assert_eq!(
            rfc3339_seconds("2021-10-07T15:56:59+02:00").unwrap(),
            1_633_615_019
        );
        for bad in [
            "2021-10-07",
            "2021-13-07T13:56:59Z",
            "2021-10-07T13:56:59",
            "2021-10-07T13:56:59.Z",
            "ü021-10-07T13:56:59Z",
        ] {
            assert!(rfc3339_seconds(bad).is_err(), "{bad}");
        }
    }
}
