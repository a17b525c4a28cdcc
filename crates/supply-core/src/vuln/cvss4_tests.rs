use super::*;

const BASE_93: &str = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";

fn score(vector: &str) -> f64 {
    match parse(vector) {
        Ok(parsed) => parsed
            .score()
            .unwrap_or_else(|| panic!("{vector}: no score")),
        Err(e) => panic!("{vector}: {e}"),
    }
}

/// Scores published with the specification's calculator (all four implementations surveyed
/// agree), with the macrovector each falls into.
#[test]
fn known_base_vectors_score_as_the_calculator() {
    for (vector, macro_vector, expected) in [
        (BASE_93, "000200", 9.3),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "100200",
            8.5,
        ),
        (
            "CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            "112201",
            1.8,
        ),
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H",
            "102101",
            6.4,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            "000100",
            10.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            "002201",
            0.0,
        ),
    ] {
        assert_eq!(base_score(vector), Some(expected), "{vector}");
        assert_eq!(
            parse(vector).unwrap().macro_vector(),
            macro_vector,
            "{vector}"
        );
    }
}

/// Threat and environmental metrics applied as the specification's effective values. Scores
/// from Red Hat's `cvss` 3.6; the first is also the one FIRST's calculator gives (quoted in
/// quay/claircore#1382, where another implementation got 4.7).
#[test]
fn threat_and_environmental_metrics_change_the_score() {
    for (suffix_or_vector, macro_vector, expected) in [
        (
            "CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:H/CR:X",
            "202101",
            4.1,
        ),
        ("/E:U", "000220", 8.1),
        ("/E:P", "000210", 8.9),
        ("/CR:L/IR:L/AR:L", "000201", 8.9),
        ("/CR:M/IR:H/AR:L", "000200", 9.3),
        ("/MAV:P/MPR:H", "200200", 7.0),
        ("/MAV:L/MAC:H/MAT:P/MPR:L/MUI:A", "210200", 5.4),
        ("/MVC:L/MSC:H", "001100", 9.2),
        // Modified impacts of None everywhere: the all-None short cut applies to effective
        // values.
        ("/MVC:N/MVI:N/MVA:N", "002201", 0.0),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N/MSI:S",
            "002001",
            8.9,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H/MSI:S/MSA:S",
            "000000",
            10.0,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U/CR:L/IR:L/AR:L",
            "212221",
            0.1,
        ),
    ] {
        let vector = if suffix_or_vector.starts_with('/') {
            format!("{BASE_93}{suffix_or_vector}")
        } else {
            suffix_or_vector.to_owned()
        };
        assert_eq!(score(&vector), expected, "{vector}");
        assert_eq!(
            parse(&vector).unwrap().macro_vector(),
            macro_vector,
            "{vector}"
        );
    }
}

#[test]
fn supplemental_and_not_defined_metrics_leave_the_score_alone() {
    for suffix in [
        "/S:P/AU:Y/R:I/V:C/RE:H/U:Red",
        "/U:Clear",
        "/E:X/CR:X/IR:X/AR:X/MAV:X/MAC:X/MAT:X/MPR:X/MUI:X/MVC:X/MVI:X/MVA:X/MSC:X/MSI:X/MSA:X\
         /S:X/AU:X/R:X/V:X/RE:X/U:X",
        "/E:A/CR:H/IR:H/AR:H/MAV:N/MSI:X",
    ] {
        assert_eq!(score(&format!("{BASE_93}{suffix}")), 9.3, "{suffix}");
    }
}

#[test]
fn refused_vectors_say_why() {
    let cases: [(String, VectorError); 12] = [
        (String::new(), VectorError::NotVersion4),
        (
            BASE_93.replace("CVSS:4.0", "CVSS:3.1"),
            VectorError::NotVersion4,
        ),
        (BASE_93.replace("CVSS:4.0/", ""), VectorError::NotVersion4),
        (format!("{BASE_93}/"), VectorError::EmptyField),
        (
            BASE_93.replace("/AC:L/", "//AC:L/"),
            VectorError::EmptyField,
        ),
        (
            BASE_93.replace("AT:N", "ATN"),
            VectorError::Malformed("ATN".to_owned()),
        ),
        (
            format!("{BASE_93}/RL:O"),
            VectorError::UnknownMetric("RL".to_owned()),
        ),
        (
            BASE_93.replace("AV:N", "AV:X"),
            VectorError::InvalidValue {
                metric: "AV",
                value: "X".to_owned(),
            },
        ),
        // S (Safety) is a value of the modified metrics only.
        (
            BASE_93.replace("SI:N", "SI:S"),
            VectorError::InvalidValue {
                metric: "SI",
                value: "S".to_owned(),
            },
        ),
        (format!("{BASE_93}/E:A/E:P"), VectorError::Duplicate("E")),
        (BASE_93.replace("/UI:N", ""), VectorError::Missing("UI")),
        (
            format!("{BASE_93}/MAV:N/CR:H"),
            VectorError::OutOfOrder {
                metric: "CR",
                after: "MAV",
            },
        ),
    ];
    for (vector, expected) in cases {
        assert_eq!(parse(&vector), Err(expected), "{vector}");
        assert_eq!(base_score(&vector), None, "{vector}");
    }
    assert_eq!(
        VectorError::OutOfOrder {
            metric: "VI",
            after: "SC"
        }
        .to_string(),
        "metric VI comes after SC, but CVSS v4.0 requires the specification's order"
    );
    // Echoed input is cut short, on a character boundary.
    let long = format!("{BASE_93}/{}", "é".repeat(100));
    assert_eq!(
        parse(&long),
        Err(VectorError::Malformed(format!("{}…", "é".repeat(40))))
    );
}

/// The specification: "every other ordering is invalid". This jumbled vector was published in
/// GHSA-28g4-38q8-3cwc (github/advisory-database#7448); Red Hat's `cvss` scores it anyway.
#[test]
fn out_of_order_metrics_are_refused() {
    let jumbled = "CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:N/VC:H/SC:N/VI:H/SI:N/VA:H/SA:N";
    assert_eq!(
        parse(jumbled),
        Err(VectorError::OutOfOrder {
            metric: "VI",
            after: "SC"
        })
    );
    assert_eq!(
        parse(&format!("{BASE_93}/U:Red/S:P")),
        Err(VectorError::OutOfOrder {
            metric: "S",
            after: "U"
        })
    );
    // A threat metric among the base metrics.
    assert_eq!(
        parse(&BASE_93.replace("/SA:N", "/E:A/SA:N")),
        Err(VectorError::OutOfOrder {
            metric: "SA",
            after: "E"
        })
    );
}

#[test]
fn every_proper_prefix_of_a_base_vector_is_refused() {
    for end in 0..BASE_93.len() {
        let prefix = &BASE_93[..end];
        assert!(parse(prefix).is_err(), "{prefix:?} was accepted");
    }
    // With optional metrics, the prefixes that end at a field boundary are vectors.
    let full = format!("{BASE_93}/E:P/CR:L/U:Amber");
    let accepted = (0..=full.len())
        .filter(|&end| parse(&full[..end]).is_ok())
        .count();
    assert_eq!(accepted, 4);
}

/// Deterministic garbling: byte replacements, insertions, deletions and swaps of whole fields,
/// including non-ASCII text. Nothing panics, and whatever is still accepted scores 0–10 with one
/// decimal and has metrics in order.
#[test]
fn garbled_vectors_never_panic() {
    let seeds = [
        BASE_93.to_owned(),
        format!("{BASE_93}/E:U/CR:M/IR:L/AR:H/MAV:A/MAC:H/MSI:S/MSA:N/S:P/U:Green"),
        "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:L/VA:N/SC:L/SI:H/SA:N".to_owned(),
    ];
    let junk = [
        "/", ":", "X", "S", "N", "H", "é", "\u{0}", "CVSS:4.0", "MSI", "//", "Clear",
    ];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move |bound: usize| {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        (state.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound as u64) as usize
    };
    let mut accepted = 0;
    for round in 0..20_000 {
        let mut text = seeds[round % seeds.len()].clone();
        for _ in 0..1 + next(3) {
            let mut at = next(text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            match next(4) {
                0 => text.insert_str(at, junk[next(junk.len())]),
                1 => text.truncate(at),
                2 => {
                    let mut end = (at + 1 + next(4)).min(text.len());
                    while !text.is_char_boundary(end) {
                        end += 1;
                    }
                    text.replace_range(at..end, junk[next(junk.len())]);
                }
                _ => {
                    let mut fields: Vec<&str> = text.split('/').collect();
                    let (a, b) = (next(fields.len()), next(fields.len()));
                    fields.swap(a, b);
                    text = fields.join("/");
                }
            }
        }
        if let Ok(vector) = parse(&text) {
            accepted += 1;
            let score = vector.score().unwrap();
            assert!((0.0..=10.0).contains(&score), "{text}: {score}");
            assert_eq!(score, (score * 10.0).round() / 10.0, "{text}: {score}");
        }
    }
    assert!(
        accepted > 100,
        "only {accepted} garbled vectors stayed valid"
    );
}

/// Each EQ depends on its own metrics (EQ3 and EQ6 share the impacts), so the macrovectors the
/// rules can produce are the product of what each group can produce. All of them must be in
/// the table, and the table must hold nothing else.
#[test]
fn the_table_holds_exactly_the_macrovectors_the_rules_produce() {
    fn digits(vector: &str, positions: &[usize]) -> String {
        let macro_vector = parse(vector).unwrap().macro_vector();
        positions
            .iter()
            .map(|&i| char::from(macro_vector.as_bytes()[i]))
            .collect()
    }
    let base = |replacements: &[(&str, &str)]| {
        let mut vector = BASE_93.to_owned();
        for (from, to) in replacements {
            vector = vector.replace(from, to);
        }
        vector
    };
    let mut eq1 = std::collections::BTreeSet::new();
    for av in ["N", "A", "L", "P"] {
        for pr in ["N", "L", "H"] {
            for ui in ["N", "P", "A"] {
                let v = base(&[
                    ("AV:N", &format!("AV:{av}")),
                    ("PR:N", &format!("PR:{pr}")),
                    ("UI:N", &format!("UI:{ui}")),
                ]);
                eq1.insert(digits(&v, &[0]));
            }
        }
    }
    let mut eq2 = std::collections::BTreeSet::new();
    for ac in ["L", "H"] {
        for at in ["N", "P"] {
            let v = base(&[("AC:L", &format!("AC:{ac}")), ("AT:N", &format!("AT:{at}"))]);
            eq2.insert(digits(&v, &[1]));
        }
    }
    let mut eq3eq6 = std::collections::BTreeSet::new();
    for impacts in 0..27 {
        for requirements in 0..27 {
            let pick = |set: &[&str], n: usize, i: u32| set[n / 3usize.pow(i) % 3].to_owned();
            let (hln, hml) = (["H", "L", "N"], ["H", "M", "L"]);
            let v = format!(
                "{}/CR:{}/IR:{}/AR:{}",
                base(&[
                    ("VC:H", &format!("VC:{}", pick(&hln, impacts, 0))),
                    ("VI:H", &format!("VI:{}", pick(&hln, impacts, 1))),
                    ("VA:H", &format!("VA:{}", pick(&hln, impacts, 2))),
                ]),
                pick(&hml, requirements, 0),
                pick(&hml, requirements, 1),
                pick(&hml, requirements, 2),
            );
            eq3eq6.insert(digits(&v, &[2, 5]));
        }
    }
    let mut eq4 = std::collections::BTreeSet::new();
    for sc in ["H", "L", "N"] {
        for si in ["H", "L", "N"] {
            for msa in ["X", "S", "H", "L", "N"] {
                let v = format!(
                    "{}/MSA:{msa}",
                    base(&[("SC:N", &format!("SC:{sc}")), ("SI:N", &format!("SI:{si}"))])
                );
                eq4.insert(digits(&v, &[3]));
            }
        }
    }
    let mut eq5 = std::collections::BTreeSet::new();
    for e in ["X", "A", "P", "U"] {
        eq5.insert(digits(&format!("{BASE_93}/E:{e}"), &[4]));
    }
    assert_eq!(eq3eq6.len(), 5, "{eq3eq6:?}");
    let mut reachable = Vec::new();
    for a in &eq1 {
        for b in &eq2 {
            for c in &eq3eq6 {
                for d in &eq4 {
                    for e in &eq5 {
                        let (eq3, eq6) = c.split_at(1);
                        reachable.push(format!("{a}{b}{eq3}{d}{e}{eq6}"));
                    }
                }
            }
        }
    }
    reachable.sort();
    let table: Vec<String> = MACRO_VECTOR_SCORES
        .iter()
        .map(|(macro_vector, _)| (*macro_vector).to_owned())
        .collect();
    assert_eq!(reachable, table);
    assert!(MACRO_VECTOR_SCORES.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(
        MACRO_VECTOR_SCORES
            .iter()
            .all(|(_, score)| (0.1..=10.0).contains(score))
    );
}

#[test]
fn rounding_is_half_up_despite_binary_error() {
    assert_eq!(8.6 - 7.15, 1.4499999999999993);
    assert_eq!(round_to_tenth(8.6 - 7.15), 1.5);
    assert_eq!(round_to_tenth(8.4875), 8.5);
    assert_eq!(round_to_tenth(8.44), 8.4);
    assert_eq!(round_to_tenth(10.0), 10.0);
    assert_eq!(round_to_tenth(0.0), 0.0);
}
