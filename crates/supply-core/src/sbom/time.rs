//! The SBOM timestamp: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.

use std::time::{SystemTime, UNIX_EPOCH};

use super::SbomError;

/// A point in time, in whole seconds since 1970, and whether it was pinned for reproducibility.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Timestamp {
    seconds: u64,
    reproducible: bool,
}

impl Timestamp {
    /// A fixed time, as from `SOURCE_DATE_EPOCH`; output using it is reproducible.
    pub fn fixed(seconds: u64) -> Self {
        Self {
            seconds,
            reproducible: true,
        }
    }

    /// `SOURCE_DATE_EPOCH` if set, else the current time.
    pub fn from_env_or_now() -> Result<Self, SbomError> {
        match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(value) => Self::from_source_date_epoch(&value),
            Err(_) => {
                let seconds = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                Ok(Self {
                    seconds,
                    reproducible: false,
                })
            }
        }
    }

    /// Parses a `SOURCE_DATE_EPOCH` value.
    pub fn from_source_date_epoch(value: &str) -> Result<Self, SbomError> {
        value
            .trim()
            .parse::<u64>()
            .ok()
            // Past year 9999 RFC 3339 cannot express it.
            .filter(|&s| s < 253_402_300_800)
            .map(Self::fixed)
            .ok_or_else(|| SbomError::InvalidSourceDateEpoch {
                value: value.to_owned(),
            })
    }

    /// Whether the time was pinned (so the output should be marked reproducible).
    pub fn is_reproducible(self) -> bool {
        self.reproducible
    }

    /// RFC 3339 in UTC: `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn to_rfc3339(self) -> String {
        let days = self.seconds / 86_400;
        let secs = self.seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        format!(
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs % 3600 / 60,
            secs % 60
        )
    }
}

/// Days since 1970-01-01 → (year, month, day), Howard Hinnant's algorithm for the Gregorian
/// calendar, restricted to non-negative days.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_dates() {
        assert_eq!(Timestamp::fixed(0).to_rfc3339(), "1970-01-01T00:00:00Z");
        assert_eq!(
            Timestamp::fixed(951_782_400).to_rfc3339(),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(
            Timestamp::fixed(1_700_000_000).to_rfc3339(),
            "2023-11-14T22:13:20Z"
        );
        assert_eq!(
            Timestamp::fixed(253_402_300_799).to_rfc3339(),
            "9999-12-31T23:59:59Z"
        );
    }

    #[test]
    fn source_date_epoch_must_be_seconds() {
        assert!(
            Timestamp::from_source_date_epoch("1700000000")
                .unwrap()
                .is_reproducible()
        );
        assert!(Timestamp::from_source_date_epoch("-1").is_err());
        assert!(Timestamp::from_source_date_epoch("soon").is_err());
        assert!(Timestamp::from_source_date_epoch("253402300800").is_err());
    }
}
