//! TOML 1.0 datetimes, checked strictly: a value is accepted only if it is a real date and
//! time in one of the forms the `toml` crate reads, so accepting one never makes the fast
//! reader looser than `toml`.
#![warn(clippy::indexing_slicing, clippy::string_slice)]

/// Offset or local date-time (`T`/`t` separator), local date, or local time.
pub(super) fn is_datetime(token: &str) -> bool {
    let bytes = token.as_bytes();
    match bytes.get(2) {
        Some(b':') => return time(bytes).is_some_and(<[u8]>::is_empty),
        Some(_) => {}
        None => return false,
    }
    let Some(rest) = date(bytes) else {
        return false;
    };
    let rest = match rest.split_first() {
        None => return true,
        Some((b'T' | b't', rest)) => rest,
        Some(_) => return false,
    };
    let Some(rest) = time(rest) else {
        return false;
    };
    match rest {
        [] | [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            two(*h1, *h2).is_some_and(|h| h <= 23) && two(*m1, *m2).is_some_and(|m| m <= 59)
        }
        _ => false,
    }
}

fn two(a: u8, b: u8) -> Option<u32> {
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| u32::from(a - b'0') * 10 + u32::from(b - b'0'))
}

/// `YYYY-MM-DD`, a real calendar date; returns what follows.
fn date(bytes: &[u8]) -> Option<&[u8]> {
    let [y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2, rest @ ..] = bytes else {
        return None;
    };
    let year = two(*y1, *y2)? * 100 + two(*y3, *y4)?;
    let month = two(*m1, *m2)?;
    let day = two(*d1, *d2)?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (1..=days).contains(&day).then_some(rest)
}

/// `HH:MM:SS` with an optional fraction of 1 to 9 digits; returns what follows.
fn time(bytes: &[u8]) -> Option<&[u8]> {
    let [h1, h2, b':', m1, m2, b':', s1, s2, rest @ ..] = bytes else {
        return None;
    };
    if two(*h1, *h2)? > 23 || two(*m1, *m2)? > 59 || two(*s1, *s2)? > 59 {
        return None;
    }
    let Some((b'.', fraction)) = rest.split_first() else {
        return Some(rest);
    };
    let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
    if (1..=9).contains(&digits) {
        fraction.get(digits..)
    } else {
        None
    }
}
