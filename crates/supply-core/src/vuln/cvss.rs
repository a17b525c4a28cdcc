//! CVSS v3.0/v3.1 base scores computed from the vector string (specification v3.1 §7.1 and
//! Appendix A's Roundup), and the qualitative rating of a score (§5), which v4.0 shares.

use super::Severity;

/// The base score of a v3.0, v3.1 or v4.0 vector; `None` when it is none of them.
pub fn any_base_score(vector: &str) -> Option<f64> {
    if vector.starts_with("CVSS:4.0/") {
        super::cvss4::base_score(vector)
    } else {
        base_score(vector)
    }
}

/// The base score of a `CVSS:3.x/AV:…` vector, or `None` when it is not one (missing or
/// repeated base metrics, unknown values, another version).
pub fn base_score(vector: &str) -> Option<f64> {
    let mut parts = vector.split('/');
    let version = parts.next()?;
    if version != "CVSS:3.1" && version != "CVSS:3.0" {
        return None;
    }
    let mut metrics = std::collections::BTreeMap::new();
    for part in parts {
        let (name, value) = part.split_once(':')?;
        if metrics.insert(name, value).is_some() {
            return None;
        }
    }
    let get = |name: &str| metrics.get(name).copied();
    let scope_changed = match get("S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match get("AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match get("AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (get("PR")?, scope_changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match get("UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |name: &str| match get(name)? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    let total = if scope_changed {
        1.08 * (impact + exploitability)
    } else {
        impact + exploitability
    };
    Some(roundup(total.min(10.0)))
}

/// The smallest number with one decimal that is at least `x` (Appendix A, robust to floating
/// point error).
fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// The rating of a score (§5).
pub fn rating(score: f64) -> Severity {
    if score >= 9.0 {
        Severity::Critical
    } else if score >= 7.0 {
        Severity::High
    } else if score >= 4.0 {
        Severity::Medium
    } else if score > 0.0 {
        Severity::Low
    } else {
        Severity::None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_version_is_scored_by_its_own_rules() {
        let v4 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
        assert_eq!(any_base_score(v4), Some(9.3));
        assert_eq!(
            any_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(base_score(v4), None);
        assert_eq!(any_base_score("CVSS:4.0/AV:N"), None);
        assert_eq!(any_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
    }

    /// The specification's worked examples (CVSS v3.1 Examples document) and the extremes.
    #[test]
    fn worked_examples_score_as_published() {
        for (vector, score) in [
            // CVE-2014-0160 (Heartbleed)
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            // CVE-2013-1937 (phpMyAdmin reflected XSS)
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
            // CVE-2014-6271 (Shellshock)
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            // CVE-2016-5195 (Dirty COW)
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ] {
            assert_eq!(base_score(vector), Some(score), "{vector}");
        }
    }

    #[test]
    fn malformed_vectors_have_no_score() {
        for vector in [
            "",
            "CVSS:2.0/AV:N",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N",
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        ] {
            assert_eq!(base_score(vector), None, "{vector}");
        }
        assert_eq!(rating(9.8), Severity::Critical);
        assert_eq!(rating(6.1), Severity::Medium);
    }
}
