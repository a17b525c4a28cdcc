//! CVSS v4.0 scores computed from the vector string: the FIRST CVSS v4.0 specification (§7
//! "Vector String", §8 "CVSS v4.0 Scoring") and its official calculator.
//!
//! v4.0 has no formula. Each vector falls into one of 270 *macrovectors* (six equivalence sets,
//! EQ1–EQ6). A table gives each macrovector a score. The vector's score is that score less an
//! interpolation: for each EQ, how far the vector sits below the most severe vectors of its
//! macrovector, scaled by how far that macrovector's score is above the next lower one.
//!
//! Decisions:
//! - Parsing is strict, as `cvss.rs` is. The prefix must be `CVSS:4.0`. All eleven base metrics
//!   are required, each metric may appear once, and every value must come from the
//!   specification. v3.1 told readers to accept any order, but v4.0 says the metrics must be in
//!   Table 23's order ("every other ordering is invalid"), so a vector out of that order is
//!   refused ([`VectorError::OutOfOrder`]). Red Hat's `cvss` package is laxer on exactly this
//!   point. Refused vectors have no score; the gate then falls back to the database's rating.
//! - Threat and environmental metrics count, because OSV vectors may carry them. A modified
//!   metric (MAV…MSA) replaces its base metric unless it is X. A missing or X Exploit Maturity
//!   counts as Attacked, and missing or X requirements (CR/IR/AR) count as High. So the result
//!   is the specification's CVSS-B, -BT, -BE or -BTE score, whichever the vector supports.
//!   Supplemental metrics are checked and then ignored: they never change the score.
//! - The arithmetic is `f64` in the same order as the calculator, which makes the scores
//!   bit-identical to it. `tests/cvss4_oracle.rs` checks every base vector against Red Hat's
//!   `cvss`.
//! - The qualitative rating uses v3's bands, so use [`super::cvss::rating`].

use std::fmt;

/// The base score (CVSS-B, or -BT/-BE/-BTE when the vector has threat or environmental
/// metrics) of a `CVSS:4.0/AV:…` vector, or `None` when [`parse`] refuses it.
pub fn base_score(vector: &str) -> Option<f64> {
    parse(vector).ok()?.score()
}

/// Why a string is not a CVSS v4.0 vector.
#[derive(Clone, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum VectorError {
    /// The string does not start with `CVSS:4.0/`.
    NotVersion4,
    /// `//`, or a trailing `/`.
    EmptyField,
    /// A field without `:`.
    Malformed(String),
    /// A metric name the specification does not define.
    UnknownMetric(String),
    /// A value the metric does not take.
    InvalidValue {
        /// The metric.
        metric: &'static str,
        /// The value found.
        value: String,
    },
    /// A metric given twice.
    Duplicate(&'static str),
    /// A metric placed after one that the specification orders after it.
    OutOfOrder {
        /// The misplaced metric.
        metric: &'static str,
        /// The metric before it, which should come after it.
        after: &'static str,
    },
    /// A base metric is absent.
    Missing(&'static str),
}

impl fmt::Display for VectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotVersion4 => f.write_str("not a CVSS v4.0 vector (no `CVSS:4.0/` prefix)"),
            Self::EmptyField => f.write_str("empty field (`//` or a trailing `/`)"),
            Self::Malformed(field) => write!(f, "field `{field}` is not `METRIC:VALUE`"),
            Self::UnknownMetric(name) => write!(f, "unknown metric `{name}`"),
            Self::InvalidValue { metric, value } => {
                write!(f, "`{value}` is not a value of metric {metric}")
            }
            Self::Duplicate(metric) => write!(f, "metric {metric} appears more than once"),
            Self::OutOfOrder { metric, after } => write!(
                f,
                "metric {metric} comes after {after}, but CVSS v4.0 requires the specification's \
                 order"
            ),
            Self::Missing(metric) => write!(f, "base metric {metric} is missing"),
        }
    }
}

impl std::error::Error for VectorError {}

/// Every metric in the order the specification requires (Table 23), with its values: base
/// (mandatory), threat, environmental, then supplemental.
const METRICS: [(&str, &[&str]); 32] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", IMPACT),
    ("VI", IMPACT),
    ("VA", IMPACT),
    ("SC", IMPACT),
    ("SI", IMPACT),
    ("SA", IMPACT),
    ("E", &["X", "A", "P", "U"]),
    ("CR", REQUIREMENT),
    ("IR", REQUIREMENT),
    ("AR", REQUIREMENT),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", MODIFIED_IMPACT),
    ("MVI", MODIFIED_IMPACT),
    ("MVA", MODIFIED_IMPACT),
    ("MSC", MODIFIED_IMPACT),
    ("MSI", SAFETY_IMPACT),
    ("MSA", SAFETY_IMPACT),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];
const IMPACT: &[&str] = &["H", "L", "N"];
const MODIFIED_IMPACT: &[&str] = &["X", "H", "L", "N"];
/// Only the modified subsequent-system integrity and availability can be S (Safety).
const SAFETY_IMPACT: &[&str] = &["X", "S", "H", "L", "N"];
const REQUIREMENT: &[&str] = &["X", "H", "M", "L"];

/// The first `BASE_METRICS` entries of [`METRICS`] are the mandatory base metrics. The modified
/// counterpart of base metric `i` is entry `i + MODIFIED_OFFSET`.
const BASE_METRICS: usize = 11;
const MODIFIED_OFFSET: usize = 15;
const E: usize = 11;
const CR: usize = 12;
const IR: usize = 13;
const AR: usize = 14;

/// A parsed CVSS v4.0 vector.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Vector {
    /// The first byte of each metric's value, indexed like [`METRICS`]; 0 when absent. (Only the
    /// supplemental U has values longer than one byte, and it does not affect the score.)
    values: [u8; METRICS.len()],
}

/// Parses a vector, strictly (see the module documentation).
pub fn parse(vector: &str) -> Result<Vector, VectorError> {
    let mut fields = vector.split('/');
    if fields.next() != Some("CVSS:4.0") {
        return Err(VectorError::NotVersion4);
    }
    let mut values = [0u8; METRICS.len()];
    let mut last: Option<usize> = None;
    for field in fields {
        if field.is_empty() {
            return Err(VectorError::EmptyField);
        }
        let (name, value) = field
            .split_once(':')
            .ok_or_else(|| VectorError::Malformed(shorten(field)))?;
        let index = METRICS
            .iter()
            .position(|(metric, _)| *metric == name)
            .ok_or_else(|| VectorError::UnknownMetric(shorten(name)))?;
        let (metric, allowed) = METRICS[index];
        if values[index] != 0 {
            return Err(VectorError::Duplicate(metric));
        }
        if let Some(last) = last.filter(|&last| last > index) {
            return Err(VectorError::OutOfOrder {
                metric,
                after: METRICS[last].0,
            });
        }
        let value = allowed
            .iter()
            .find(|allowed| **allowed == value)
            .ok_or_else(|| VectorError::InvalidValue {
                metric,
                value: shorten(value),
            })?;
        values[index] = value.as_bytes().first().copied().unwrap_or(b'?');
        last = Some(index);
    }
    if let Some(((metric, _), _)) = METRICS
        .iter()
        .zip(values)
        .take(BASE_METRICS)
        .find(|(_, value)| *value == 0)
    {
        return Err(VectorError::Missing(metric));
    }
    Ok(Vector { values })
}

/// Input echoed in an error, cut to a readable length.
fn shorten(text: &str) -> String {
    const LIMIT: usize = 40;
    if text.chars().count() <= LIMIT {
        text.to_owned()
    } else {
        text.chars()
            .take(LIMIT)
            .chain(std::iter::once('…'))
            .collect()
    }
}

/// The values the score is computed from: base metrics with their modified counterparts
/// applied, and the threat and environmental defaults filled in.
struct Effective {
    av: u8,
    ac: u8,
    at: u8,
    pr: u8,
    ui: u8,
    vc: u8,
    vi: u8,
    va: u8,
    sc: u8,
    si: u8,
    sa: u8,
    e: u8,
    cr: u8,
    ir: u8,
    ar: u8,
}

impl Vector {
    fn effective(&self) -> Effective {
        let v = &self.values;
        let metric = |base: usize| match v[base + MODIFIED_OFFSET] {
            0 | b'X' => v[base],
            modified => modified,
        };
        let or_default = |value: u8, default: u8| match value {
            0 | b'X' => default,
            value => value,
        };
        Effective {
            av: metric(0),
            ac: metric(1),
            at: metric(2),
            pr: metric(3),
            ui: metric(4),
            vc: metric(5),
            vi: metric(6),
            va: metric(7),
            sc: metric(8),
            si: metric(9),
            sa: metric(10),
            // Not defined means the worst case: attacked, and every requirement high.
            e: or_default(v[E], b'A'),
            cr: or_default(v[CR], b'H'),
            ir: or_default(v[IR], b'H'),
            ar: or_default(v[AR], b'H'),
        }
    }

    /// The macrovector, as the six digits EQ1…EQ6 (e.g. `"102101"`).
    pub fn macro_vector(&self) -> String {
        macro_vector(&self.effective())
            .iter()
            .map(|digit| char::from(b'0' + digit))
            .collect()
    }

    /// The score, rounded to one decimal. It is `None` only if the macrovector is not in the
    /// table. The EQ rules never produce such a macrovector (a test checks every one they
    /// can), so this never happens; if the table were wrong, the vector would have no score
    /// instead of a made-up one.
    pub fn score(&self) -> Option<f64> {
        let m = self.effective();
        if [m.vc, m.vi, m.va, m.sc, m.si, m.sa]
            .iter()
            .all(|&impact| impact == b'N')
        {
            return Some(0.0);
        }
        let eqs = macro_vector(&m);
        let value = lookup(eqs)?;
        let [eq1, eq2, eq3, eq4, _, eq6] = eqs;

        let lower = |eq: usize| {
            let mut next = eqs;
            next[eq] += 1;
            lookup(next)
        };
        // EQ3 and EQ6 form one dimension. From (0, 0) both steps down exist, and the higher
        // of the two counts. From (2, 1) there is nothing lower.
        let lower_eq3eq6 = match (eq3, eq6) {
            (0, 0) => lower(5).map(|left| match lower(2) {
                Some(right) if right > left => right,
                _ => left,
            }),
            (0 | 1, 1) => lower(2),
            (1, 0) => lower(5),
            _ => None,
        };

        let distance = severity_distances(&m, eqs);
        let step = |depth: u8| f64::from(depth) * 0.1;
        let dimensions = [
            (lower(0), distance.eq1, step(depth(&EQ1_DEPTH, eq1))),
            (lower(1), distance.eq2, step(depth(&EQ2_DEPTH, eq2))),
            (lower_eq3eq6, distance.eq3eq6, step(eq3eq6_depth(eq3, eq6))),
            (lower(3), distance.eq4, step(depth(&EQ4_DEPTH, eq4))),
        ];
        let mut normalized = [0.0; 4];
        let mut dimensions_with_lower = 0u32;
        for ((lower, distance, depth), normalized) in dimensions.into_iter().zip(&mut normalized) {
            if let Some(available) = lower.map(|lower| value - lower).filter(|a| *a >= 0.0) {
                dimensions_with_lower += 1;
                *normalized = available * (distance / depth);
            }
        }
        // Exploit Maturity has one value per level, so the vector is always at the top of its
        // level and adds nothing; a lower level still counts towards the mean.
        if lower(4).is_some_and(|lower| value - lower >= 0.0) {
            dimensions_with_lower += 1;
        }
        let mean = if dimensions_with_lower == 0 {
            0.0
        } else {
            let [a, b, c, d] = normalized;
            (a + b + c + d) / f64::from(dimensions_with_lower)
        };
        Some(round_to_tenth((value - mean).clamp(0.0, 10.0)))
    }
}

fn macro_vector(m: &Effective) -> [u8; 6] {
    let eq1 = if m.av == b'N' && m.pr == b'N' && m.ui == b'N' {
        0
    } else if (m.av == b'N' || m.pr == b'N' || m.ui == b'N') && m.av != b'P' {
        1
    } else {
        2
    };
    let eq2 = if m.ac == b'L' && m.at == b'N' { 0 } else { 1 };
    let eq3 = if m.vc == b'H' && m.vi == b'H' {
        0
    } else if m.vc == b'H' || m.vi == b'H' || m.va == b'H' {
        1
    } else {
        2
    };
    let eq4 = if m.si == b'S' || m.sa == b'S' {
        0
    } else if m.sc == b'H' || m.si == b'H' || m.sa == b'H' {
        1
    } else {
        2
    };
    let eq5 = match m.e {
        b'U' => 2,
        b'P' => 1,
        _ => 0,
    };
    let eq6 = if (m.cr == b'H' && m.vc == b'H')
        || (m.ir == b'H' && m.vi == b'H')
        || (m.ar == b'H' && m.va == b'H')
    {
        0
    } else {
        1
    };
    [eq1, eq2, eq3, eq4, eq5, eq6]
}

/// How far (in tenths) the vector lies below the most severe vectors of its macrovector, per
/// dimension.
struct Distances {
    eq1: f64,
    eq2: f64,
    eq3eq6: f64,
    eq4: f64,
}

/// The distances to the first of the macrovector's most severe vectors that the vector does not
/// exceed in any metric, trying them in the calculator's order (EQ1 slowest, EQ4 fastest). If
/// none qualifies, the calculator keeps the last one tried; so does this.
fn severity_distances(m: &Effective, [eq1, eq2, eq3, eq4, _, eq6]: [u8; 6]) -> Distances {
    let pick = |candidates: &'static [&'static [u8]], eq: u8| {
        candidates.get(usize::from(eq)).copied().unwrap_or(&[])
    };
    let mut d = [0.0; 14];
    'search: for top1 in pick(EQ1_TOP, eq1).chunks_exact(3) {
        for top2 in pick(EQ2_TOP, eq2).chunks_exact(2) {
            for top36 in eq3eq6_top(eq3, eq6).chunks_exact(6) {
                for top4 in pick(EQ4_TOP, eq4).chunks_exact(3) {
                    let of = |metric: &[u8], i: usize| metric.get(i).copied().unwrap_or(0);
                    let pairs = [
                        (AV, m.av, of(top1, 0)),
                        (PR, m.pr, of(top1, 1)),
                        (UI, m.ui, of(top1, 2)),
                        (AC, m.ac, of(top2, 0)),
                        (AT, m.at, of(top2, 1)),
                        (VULNERABLE, m.vc, of(top36, 0)),
                        (VULNERABLE, m.vi, of(top36, 1)),
                        (VULNERABLE, m.va, of(top36, 2)),
                        (SUBSEQUENT, m.sc, of(top4, 0)),
                        (SUBSEQUENT, m.si, of(top4, 1)),
                        (SUBSEQUENT, m.sa, of(top4, 2)),
                        (REQUIRED, m.cr, of(top36, 3)),
                        (REQUIRED, m.ir, of(top36, 4)),
                        (REQUIRED, m.ar, of(top36, 5)),
                    ];
                    for (d, (scale, value, top)) in d.iter_mut().zip(pairs) {
                        *d = level(scale, value) - level(scale, top);
                    }
                    if d.iter().all(|d| *d >= 0.0) {
                        break 'search;
                    }
                }
            }
        }
    }
    let [av, pr, ui, ac, at, vc, vi, va, sc, si, sa, cr, ir, ar] = d;
    Distances {
        eq1: av + pr + ui,
        eq2: ac + at,
        eq3eq6: vc + vi + va + cr + ir + ar,
        eq4: sc + si + sa,
    }
}

/// Severity scales, most severe value first; each step down is a distance of 0.1.
const AV: &[u8] = b"NALP";
const PR: &[u8] = b"NLH";
const UI: &[u8] = b"NPA";
const AC: &[u8] = b"LH";
const AT: &[u8] = b"NP";
const VULNERABLE: &[u8] = b"HLN";
/// S (Safety) sits one step above H; SC cannot be S but shares the scale.
const SUBSEQUENT: &[u8] = b"SHLN";
const REQUIRED: &[u8] = b"HML";

/// A value's position on its scale, as the calculator's literals, so that intermediate values
/// match the calculator's too (`3.0 * 0.1` is not `0.3`; the nudge before rounding would hide
/// that, but nothing needs to rely on it).
fn level(scale: &[u8], value: u8) -> f64 {
    const LEVELS: [f64; 4] = [0.0, 0.1, 0.2, 0.3];
    scale
        .iter()
        .position(|v| *v == value)
        .and_then(|i| LEVELS.get(i))
        .copied()
        .unwrap_or(0.0)
}

/// The most severe vectors of each EQ level (the calculator's "max composed" vectors),
/// concatenated values: EQ1 as AV PR UI, EQ2 as AC AT, EQ4 as SC SI SA.
const EQ1_TOP: &[&[u8]] = &[b"NNN", b"ANNNLNNNP", b"PNNALP"];
const EQ2_TOP: &[&[u8]] = &[b"LN", b"HNLP"];
const EQ4_TOP: &[&[u8]] = &[b"HSS", b"HHH", b"LLL"];

/// EQ3 and EQ6 together, as VC VI VA CR IR AR.
fn eq3eq6_top(eq3: u8, eq6: u8) -> &'static [u8] {
    match (eq3, eq6) {
        (0, 0) => b"HHHHHH",
        (0, _) => b"HHLMMHHHHMMM",
        (1, 0) => b"LHHHHHHLHHHH",
        (1, _) => b"LHLHMHLHHHMMHLHMHMHLLMHHLLHHHM",
        _ => b"LLLHHH",
    }
}

/// The depth of each EQ level, in steps of 0.1: the distance from the level's most severe
/// vectors to its least severe ones.
const EQ1_DEPTH: [u8; 3] = [1, 4, 5];
const EQ2_DEPTH: [u8; 2] = [1, 2];
const EQ4_DEPTH: [u8; 3] = [6, 5, 4];

fn depth(depths: &[u8], eq: u8) -> u8 {
    depths.get(usize::from(eq)).copied().unwrap_or(1)
}

fn eq3eq6_depth(eq3: u8, eq6: u8) -> u8 {
    match (eq3, eq6) {
        (0, 0) => 7,
        (0, _) => 6,
        (1, _) => 8,
        _ => 10,
    }
}

/// Rounds half up to one decimal after adding 10⁻⁶ against floating-point error (8.6 − 7.15 is
/// 1.4499999999999993 and must round to 1.5), as the calculator does. An exact tie cannot occur
/// (no x.x5 is a binary fraction), so the correctly rounded fixed-point formatting of the exact
/// binary value is the same as the calculator's decimal ROUND_HALF_UP.
fn round_to_tenth(x: f64) -> f64 {
    let nudged = x + 1e-6;
    format!("{nudged:.1}").parse().unwrap_or(nudged)
}

fn lookup(eqs: [u8; 6]) -> Option<f64> {
    let key = eqs.map(|digit| b'0'.wrapping_add(digit));
    MACRO_VECTOR_SCORES
        .binary_search_by(|(macro_vector, _)| macro_vector.as_bytes().cmp(key.as_slice()))
        .ok()
        .and_then(|i| MACRO_VECTOR_SCORES.get(i))
        .map(|(_, score)| *score)
}

/// The score of every macrovector (EQ1…EQ6), sorted. 324 combinations less the 54 where EQ3 is 2
/// and EQ6 is 0, which cannot happen (no high impact means no high impact to require).
/// Normative data from the FIRST CVSS v4.0 specification, `cvss_lookup.js` of the official
/// calculator; same data as Red Hat's cvss package `constants4.py`.
#[rustfmt::skip]
const MACRO_VECTOR_SCORES: [(&str, f64); 270] = [
    ("000000", 10.0), ("000001", 9.9), ("000010", 9.8), ("000011", 9.5), ("000020", 9.5), ("000021", 9.2),
    ("000100", 10.0), ("000101", 9.6), ("000110", 9.3), ("000111", 8.7), ("000120", 9.1), ("000121", 8.1),
    ("000200", 9.3), ("000201", 9.0), ("000210", 8.9), ("000211", 8.0), ("000220", 8.1), ("000221", 6.8),
    ("001000", 9.8), ("001001", 9.5), ("001010", 9.5), ("001011", 9.2), ("001020", 9.0), ("001021", 8.4),
    ("001100", 9.3), ("001101", 9.2), ("001110", 8.9), ("001111", 8.1), ("001120", 8.1), ("001121", 6.5),
    ("001200", 8.8), ("001201", 8.0), ("001210", 7.8), ("001211", 7.0), ("001220", 6.9), ("001221", 4.8),
    ("002001", 9.2), ("002011", 8.2), ("002021", 7.2), ("002101", 7.9), ("002111", 6.9), ("002121", 5.0),
    ("002201", 6.9), ("002211", 5.5), ("002221", 2.7), ("010000", 9.9), ("010001", 9.7), ("010010", 9.5),
    ("010011", 9.2), ("010020", 9.2), ("010021", 8.5), ("010100", 9.5), ("010101", 9.1), ("010110", 9.0),
    ("010111", 8.3), ("010120", 8.4), ("010121", 7.1), ("010200", 9.2), ("010201", 8.1), ("010210", 8.2),
    ("010211", 7.1), ("010220", 7.2), ("010221", 5.3), ("011000", 9.5), ("011001", 9.3), ("011010", 9.2),
    ("011011", 8.5), ("011020", 8.5), ("011021", 7.3), ("011100", 9.2), ("011101", 8.2), ("011110", 8.0),
    ("011111", 7.2), ("011120", 7.0), ("011121", 5.9), ("011200", 8.4), ("011201", 7.0), ("011210", 7.1),
    ("011211", 5.2), ("011220", 5.0), ("011221", 3.0), ("012001", 8.6), ("012011", 7.5), ("012021", 5.2),
    ("012101", 7.1), ("012111", 5.2), ("012121", 2.9), ("012201", 6.3), ("012211", 2.9), ("012221", 1.7),
    ("100000", 9.8), ("100001", 9.5), ("100010", 9.4), ("100011", 8.7), ("100020", 9.1), ("100021", 8.1),
    ("100100", 9.4), ("100101", 8.9), ("100110", 8.6), ("100111", 7.4), ("100120", 7.7), ("100121", 6.4),
    ("100200", 8.7), ("100201", 7.5), ("100210", 7.4), ("100211", 6.3), ("100220", 6.3), ("100221", 4.9),
    ("101000", 9.4), ("101001", 8.9), ("101010", 8.8), ("101011", 7.7), ("101020", 7.6), ("101021", 6.7),
    ("101100", 8.6), ("101101", 7.6), ("101110", 7.4), ("101111", 5.8), ("101120", 5.9), ("101121", 5.0),
    ("101200", 7.2), ("101201", 5.7), ("101210", 5.7), ("101211", 5.2), ("101220", 5.2), ("101221", 2.5),
    ("102001", 8.3), ("102011", 7.0), ("102021", 5.4), ("102101", 6.5), ("102111", 5.8), ("102121", 2.6),
    ("102201", 5.3), ("102211", 2.1), ("102221", 1.3), ("110000", 9.5), ("110001", 9.0), ("110010", 8.8),
    ("110011", 7.6), ("110020", 7.6), ("110021", 7.0), ("110100", 9.0), ("110101", 7.7), ("110110", 7.5),
    ("110111", 6.2), ("110120", 6.1), ("110121", 5.3), ("110200", 7.7), ("110201", 6.6), ("110210", 6.8),
    ("110211", 5.9), ("110220", 5.2), ("110221", 3.0), ("111000", 8.9), ("111001", 7.8), ("111010", 7.6),
    ("111011", 6.7), ("111020", 6.2), ("111021", 5.8), ("111100", 7.4), ("111101", 5.9), ("111110", 5.7),
    ("111111", 5.7), ("111120", 4.7), ("111121", 2.3), ("111200", 6.1), ("111201", 5.2), ("111210", 5.7),
    ("111211", 2.9), ("111220", 2.4), ("111221", 1.6), ("112001", 7.1), ("112011", 5.9), ("112021", 3.0),
    ("112101", 5.8), ("112111", 2.6), ("112121", 1.5), ("112201", 2.3), ("112211", 1.3), ("112221", 0.6),
    ("200000", 9.3), ("200001", 8.7), ("200010", 8.6), ("200011", 7.2), ("200020", 7.5), ("200021", 5.8),
    ("200100", 8.6), ("200101", 7.4), ("200110", 7.4), ("200111", 6.1), ("200120", 5.6), ("200121", 3.4),
    ("200200", 7.0), ("200201", 5.4), ("200210", 5.2), ("200211", 4.0), ("200220", 4.0), ("200221", 2.2),
    ("201000", 8.5), ("201001", 7.5), ("201010", 7.4), ("201011", 5.5), ("201020", 6.2), ("201021", 5.1),
    ("201100", 7.2), ("201101", 5.7), ("201110", 5.5), ("201111", 4.1), ("201120", 4.6), ("201121", 1.9),
    ("201200", 5.3), ("201201", 3.6), ("201210", 3.4), ("201211", 1.9), ("201220", 1.9), ("201221", 0.8),
    ("202001", 6.4), ("202011", 5.1), ("202021", 2.0), ("202101", 4.7), ("202111", 2.1), ("202121", 1.1),
    ("202201", 2.4), ("202211", 0.9), ("202221", 0.4), ("210000", 8.8), ("210001", 7.5), ("210010", 7.3),
    ("210011", 5.3), ("210020", 6.0), ("210021", 5.0), ("210100", 7.3), ("210101", 5.5), ("210110", 5.9),
    ("210111", 4.0), ("210120", 4.1), ("210121", 2.0), ("210200", 5.4), ("210201", 4.3), ("210210", 4.5),
    ("210211", 2.2), ("210220", 2.0), ("210221", 1.1), ("211000", 7.5), ("211001", 5.5), ("211010", 5.8),
    ("211011", 4.5), ("211020", 4.0), ("211021", 2.1), ("211100", 6.1), ("211101", 5.1), ("211110", 4.8),
    ("211111", 1.8), ("211120", 2.0), ("211121", 0.9), ("211200", 4.6), ("211201", 1.8), ("211210", 1.7),
    ("211211", 0.7), ("211220", 0.8), ("211221", 0.2), ("212001", 5.3), ("212011", 2.4), ("212021", 1.4),
    ("212101", 2.4), ("212111", 1.2), ("212121", 0.5), ("212201", 1.0), ("212211", 0.3), ("212221", 0.1),
];

#[cfg(test)]
#[path = "cvss4_tests.rs"]
mod tests;
