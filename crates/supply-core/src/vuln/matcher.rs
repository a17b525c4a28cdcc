//! Whether a version is affected, by OSV's evaluation rules: listed `versions` match exactly;
//! each range's events are sorted in the range's ordering and walked (`introduced` turns
//! affected on, `fixed` off at that version, `last_affected` off above it, `limit` bounds the
//! range), and the first `fixed` above the version is the fix to report.

use std::cmp::Ordering;

use super::osv::{Affected, Event, RangeKind};
use super::version::{pep440, semver};

/// A version in one of the orderings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Parsed {
    Sem(semver::SemVer),
    Py(pep440::Version),
}

/// How `ecosystem`'s versions order under a range of `kind`.
fn parse(ecosystem: &str, kind: RangeKind, text: &str) -> Option<Parsed> {
    match (ecosystem, kind) {
        ("PyPI", RangeKind::Ecosystem) => text.parse().ok().map(Parsed::Py),
        _ => text.parse().ok().map(Parsed::Sem),
    }
}

/// A match: the version is affected, fixed in `fixed` if a fix is known.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Hit {
    /// The first fixed version above the installed one.
    pub fixed: Option<String>,
}

/// Whether `version` of `affected`'s package is affected; `Err` names an event version the
/// ordering cannot read.
pub fn check(affected: &Affected, version: &str) -> Result<Option<Hit>, String> {
    let listed = if affected.ecosystem == "PyPI" {
        let wanted: Option<pep440::Version> = version.parse().ok();
        affected.versions.iter().any(|v| {
            v == version || (wanted.is_some() && v.parse::<pep440::Version>().ok() == wanted)
        })
    } else {
        affected.versions.iter().any(|v| v == version)
    };
    let mut hit = listed.then_some(Hit { fixed: None });
    for range in &affected.ranges {
        if range.kind == RangeKind::Git {
            continue;
        }
        let Some(installed) = parse(&affected.ecosystem, range.kind, version) else {
            continue;
        };
        let mut events = Vec::with_capacity(range.events.len());
        for event in &range.events {
            let at = if matches!(event, Event::Introduced(v) if v == "0") {
                None
            } else {
                Some(
                    parse(&affected.ecosystem, range.kind, event.version()).ok_or_else(|| {
                        format!(
                            "{}: version {:?} does not parse",
                            affected.name,
                            event.version()
                        )
                    })?,
                )
            };
            events.push((at, event));
        }
        // "0" first, then by version; the order of equal versions is the record's.
        events.sort_by(|(a, _), (b, _)| match (a, b) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(a), Some(b)) => a.cmp(b),
        });
        let mut affected_here = false;
        let mut limited = false;
        for (at, event) in &events {
            match (event, at) {
                (Event::Introduced(_), None) => affected_here = true,
                (Event::Introduced(_), Some(at)) if installed >= *at => affected_here = true,
                (Event::Fixed(_), Some(at)) if installed >= *at => affected_here = false,
                (Event::LastAffected(_), Some(at)) if installed > *at => affected_here = false,
                (Event::Limit(_), Some(at)) if installed >= *at => limited = true,
                _ => {}
            }
        }
        if affected_here && !limited {
            let fixed = events.iter().find_map(|(at, event)| match (event, at) {
                (Event::Fixed(v), Some(at)) if *at > installed => Some(v.clone()),
                _ => None,
            });
            match &mut hit {
                Some(existing) if existing.fixed.is_none() => existing.fixed = fixed,
                Some(_) => {}
                None => hit = Some(Hit { fixed }),
            }
        }
    }
    Ok(hit)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::vuln::osv::Range;

    fn affected(ecosystem: &str, events: Vec<Event>) -> Affected {
        Affected {
            ecosystem: ecosystem.into(),
            name: "p".into(),
            versions: Vec::new(),
            ranges: vec![Range {
                kind: RangeKind::Ecosystem,
                events,
            }],
            database_severity: None,
        }
    }

    #[test]
    fn ranges_follow_osv_evaluation() {
        let a = affected(
            "npm",
            vec![
                Event::Introduced("0".into()),
                Event::Fixed("1.2.0".into()),
                Event::Introduced("2.0.0-rc.1".into()),
                Event::LastAffected("2.1.0".into()),
            ],
        );
        let fixed = |v: &str| check(&a, v).unwrap().map(|h| h.fixed);
        assert_eq!(fixed("1.1.9"), Some(Some("1.2.0".into())));
        assert_eq!(fixed("1.2.0"), None);
        assert_eq!(
            fixed("2.0.0-beta"),
            None,
            "a pre-release below the introduction"
        );
        assert_eq!(fixed("2.0.0-rc.2"), Some(None));
        assert_eq!(fixed("2.1.0"), Some(None), "last_affected is inclusive");
        assert_eq!(fixed("2.1.1"), None);
    }

    #[test]
    fn pypi_ranges_use_pep_440() {
        let a = affected(
            "PyPI",
            vec![
                Event::Introduced("1.0".into()),
                Event::Fixed("1.0.post1".into()),
            ],
        );
        assert!(check(&a, "1.0").unwrap().is_some());
        assert!(check(&a, "1.0.post1").unwrap().is_none());
        assert!(check(&a, "1!0.5").unwrap().is_none(), "a later epoch");
        assert!(check(&a, "1.0rc1").unwrap().is_none());
        let bad = affected("npm", vec![Event::Introduced("not a version".into())]);
        assert!(check(&bad, "1.0.0").is_err());
    }
}
