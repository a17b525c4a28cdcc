//! CVSS v4.0 scores against an independent implementation, Red Hat's `cvss` package
//! (`tests/oracles/cvss4.py`). Every base vector is compared: the 104,976 combinations of the
//! eleven base metrics. So are 5,000 seeded vectors with threat, environmental and supplemental
//! metrics, and 3,000 garbled ones. Scores must be equal to the bit. A vector either side
//! refuses, the other must refuse too. There is one deliberate exception: `cvss` accepts
//! metrics out of the specification's order, and we do not.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use supply_core::vuln::cvss4::{self, VectorError};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound as u64) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const BASE: [(&str, &[&str]); 11] = [
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
];

/// Threat, environmental and supplemental metrics, in the specification's order.
const OPTIONAL: [(&str, &[&str]); 21] = [
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];

fn every_base_vector() -> Vec<String> {
    let total: usize = BASE.iter().map(|(_, values)| values.len()).product();
    (0..total)
        .map(|mut n| {
            let mut vector = String::from("CVSS:4.0");
            for (metric, values) in BASE {
                vector.push_str(&format!("/{metric}:{}", values[n % values.len()]));
                n /= values.len();
            }
            vector
        })
        .collect()
}

fn random_vector(rng: &mut Rng) -> String {
    let mut vector = String::from("CVSS:4.0");
    for (metric, values) in BASE {
        vector.push_str(&format!("/{metric}:{}", rng.pick(values)));
    }
    // Each vector carries a different share of the optional metrics, from none to all.
    let share = 1 + rng.below(4);
    for (metric, values) in OPTIONAL {
        if rng.below(4) < share {
            vector.push_str(&format!("/{metric}:{}", rng.pick(values)));
        }
    }
    vector
}

fn garble(rng: &mut Rng, vector: &str) -> String {
    let mut fields: Vec<String> = vector.split('/').map(str::to_owned).collect();
    let any = |rng: &mut Rng, len: usize| 1 + rng.below(len - 1);
    match rng.below(8) {
        0 => {
            let (a, b) = (any(rng, fields.len()), any(rng, fields.len()));
            fields.swap(a, b);
        }
        1 => {
            let field = fields[any(rng, fields.len())].clone();
            fields.insert(any(rng, fields.len()), field);
        }
        2 => {
            fields.remove(any(rng, fields.len()));
        }
        3 => {
            let i = any(rng, fields.len());
            let metric = fields[i].split(':').next().unwrap().to_owned();
            fields[i] = format!("{metric}:{}", rng.pick(&["X", "S", "Q", "", "h", "N:N"]));
        }
        4 => {
            let at = any(rng, fields.len());
            fields.insert(at, rng.pick(&["RL:O", "Au:N", "MS:S", "E", ""]).to_owned());
        }
        5 => fields[0] = rng.pick(&["CVSS:3.1", "CVSS:4", "cvss:4.0", ""]).to_owned(),
        6 => {
            let i = any(rng, fields.len());
            fields[i] = fields[i].to_lowercase();
        }
        _ => {
            let joined = fields.join("/");
            return joined[..rng.below(joined.len())].to_owned();
        }
    }
    fields.join("/")
}

/// The oracle's answer per vector: `Some(score)`, or `None` when it refused the vector.
fn oracle(python: &Path, vectors: &[String]) -> Vec<Option<f64>> {
    let mut child = Command::new(python)
        .arg(root().join("tests/oracles/cvss4.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let input: String = vectors.iter().map(|v| format!("{v}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "tests/oracles/cvss4.py failed");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| (line != "E").then(|| line.parse().unwrap()))
        .collect()
}

#[test]
fn cvss4_scores_as_red_hat_cvss_does() {
    let python = std::env::var_os("SUPPLY_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/python-intoto/bin/python"));
    assert!(
        python.is_file(),
        "no test Python at {}: run scripts/test.sh (`pip install cvss==3.6`)",
        python.display()
    );
    let mut vectors = every_base_vector();
    assert_eq!(vectors.len(), 104_976);
    let mut rng = Rng(0x243f_6a88_85a3_08d3);
    let sampled: Vec<String> = (0..5_000).map(|_| random_vector(&mut rng)).collect();
    let garbled: Vec<String> = (0..3_000)
        .map(|i| garble(&mut rng, &sampled[i % sampled.len()]))
        .collect();
    vectors.extend(sampled);
    vectors.extend(garbled);

    let answers = oracle(&python, &vectors);
    assert_eq!(answers.len(), vectors.len(), "the oracle skipped lines");
    let (mut equal, mut refused, mut out_of_order) = (0, 0, 0);
    for (vector, expected) in vectors.iter().zip(answers) {
        match (cvss4::parse(vector), expected) {
            (Ok(parsed), Some(expected)) => {
                assert_eq!(parsed.score(), Some(expected), "{vector}");
                equal += 1;
            }
            (Err(_), None) => refused += 1,
            (Err(VectorError::OutOfOrder { .. }), Some(_)) => out_of_order += 1,
            (Err(e), Some(expected)) => {
                panic!("{vector}: we refuse it ({e}), cvss scores it {expected}")
            }
            (Ok(parsed), None) => {
                panic!(
                    "{vector}: cvss refuses it, we score it {:?}",
                    parsed.score()
                )
            }
        }
    }
    eprintln!(
        "cvss4 oracle: {equal} scores equal, {refused} refused by both, {out_of_order} \
         out of order (refused by us only)"
    );
    assert!(equal >= 104_976 + 5_000, "only {equal} scores compared");
    assert!(refused > 1_000, "only {refused} vectors refused by both");
    assert!(
        out_of_order > 100,
        "only {out_of_order} out-of-order vectors"
    );
}
