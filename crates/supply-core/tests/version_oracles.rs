//! The version orderings against independent implementations, on generated versions: PEP 440
//! against Python's `packaging` (`tests/oracles/pep440.py`), SemVer against npm's `semver`
//! (`tests/oracles/semver.js`). Both must agree on which strings are versions and on the order
//! of every pair.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use std::cmp::Ordering;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use supply_core::vuln::version::{pep440, semver};

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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn small(&mut self) -> u64 {
        [0, 0, 1, 1, 2, 3, 9, 10, 11, 100][(self.next() % 10) as usize]
    }
}

fn pep440_version(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.next().is_multiple_of(6) {
        v.push_str(&format!("{}!", rng.small()));
    }
    let segments = 1 + rng.next() % 4;
    let release: Vec<String> = (0..segments).map(|_| rng.small().to_string()).collect();
    v.push_str(&release.join("."));
    if rng.next().is_multiple_of(3) {
        v.push_str(rng.pick(&[
            "a", "b", "rc", "alpha", "beta", "c", "pre", "-a", ".b", "_rc", "preview",
        ]));
        if !rng.next().is_multiple_of(4) {
            v.push_str(&rng.small().to_string());
        }
    }
    if rng.next().is_multiple_of(4) {
        v.push_str(rng.pick(&[".post", "post", "-", ".rev", "r", "-post"]));
        v.push_str(&rng.small().to_string());
    }
    if rng.next().is_multiple_of(4) {
        v.push_str(rng.pick(&[".dev", "dev", "-dev"]));
        if !rng.next().is_multiple_of(3) {
            v.push_str(&rng.small().to_string());
        }
    }
    if rng.next().is_multiple_of(6) {
        v.push('+');
        v.push_str(rng.pick(&["abc", "1", "abc.5", "5.abc", "ubuntu-1", "x_y.2"]));
    }
    match rng.next() % 20 {
        0 => v.insert(0, 'v'),
        1 => v = v.to_uppercase(),
        2 => v.push_str(rng.pick(&["-", "..", "+", "a.b", " x"])),
        _ => {}
    }
    v
}

fn semver_version(rng: &mut Rng) -> String {
    let mut v = format!("{}.{}.{}", rng.small(), rng.small(), rng.small());
    if rng.next().is_multiple_of(2) {
        let parts: Vec<String> = (0..1 + rng.next() % 3)
            .map(|_| match rng.next() % 3 {
                0 => rng.small().to_string(),
                1 => rng
                    .pick(&["alpha", "beta", "rc", "x-y", "a1", "1a", "-"])
                    .to_owned(),
                _ => format!("{}{}", rng.pick(&["beta", "rc"]), rng.small()),
            })
            .collect();
        v.push('-');
        v.push_str(&parts.join("."));
    }
    if rng.next().is_multiple_of(5) {
        v.push('+');
        v.push_str(rng.pick(&["build.1", "sha.5114f85", "001"]));
    }
    match rng.next() % 20 {
        0 => v = format!("0{v}"),
        1 => v.push_str(rng.pick(&["-", ".", "-a..b", "+"])),
        2 => v = v.replacen('.', "", 1),
        _ => {}
    }
    v
}

/// Runs an oracle over `pairs`; its answers, one per pair.
fn oracle(program: &Path, script: &Path, pairs: &[(String, String)]) -> Vec<String> {
    let mut child = Command::new(program)
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
    let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    let mut stdin = child.stdin.take().unwrap();
    std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{} failed", script.display());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn ours<T: std::str::FromStr + Ord>(a: &str, b: &str) -> String {
    match (a.parse::<T>(), b.parse::<T>()) {
        (Ok(a), Ok(b)) => match a.cmp(&b) {
            Ordering::Less => "-1",
            Ordering::Equal => "0",
            Ordering::Greater => "1",
        }
        .to_owned(),
        _ => "E".to_owned(),
    }
}

#[test]
fn pep440_orders_as_python_packaging_does() {
    let python = std::env::var_os("SUPPLY_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/python-intoto/bin/python"));
    assert!(
        python.is_file(),
        "no test Python at {}: run scripts/test.sh (`pip install packaging==26.4`)",
        python.display()
    );
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let versions: Vec<String> = (0..600).map(|_| pep440_version(&mut rng)).collect();
    let pairs: Vec<(String, String)> = (0..6000)
        .map(|i| {
            (
                versions[i % versions.len()].clone(),
                versions[(i * 7 + 3) % versions.len()].clone(),
            )
        })
        .collect();
    let answers = oracle(&python, &root().join("tests/oracles/pep440.py"), &pairs);
    assert_eq!(answers.len(), pairs.len());
    let mut valid = 0;
    for ((a, b), expected) in pairs.iter().zip(&answers) {
        assert_eq!(&ours::<pep440::Version>(a, b), expected, "{a:?} vs {b:?}");
        valid += usize::from(expected != "E");
    }
    assert!(valid > 2000, "only {valid} pairs of valid versions");
}

#[test]
fn semver_orders_as_npm_semver_does() {
    let modules = root().join("tests/oracles/node_modules/semver");
    assert!(
        modules.is_dir(),
        "npm semver is missing: run `npm ci --prefix tests/oracles` (scripts/test.sh does)"
    );
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let versions: Vec<String> = (0..600).map(|_| semver_version(&mut rng)).collect();
    let pairs: Vec<(String, String)> = (0..6000)
        .map(|i| {
            (
                versions[i % versions.len()].clone(),
                versions[(i * 11 + 5) % versions.len()].clone(),
            )
        })
        .collect();
    let answers = oracle(
        Path::new("node"),
        &root().join("tests/oracles/semver.js"),
        &pairs,
    );
    assert_eq!(answers.len(), pairs.len());
    let mut valid = 0;
    for ((a, b), expected) in pairs.iter().zip(&answers) {
        assert_eq!(&ours::<semver::SemVer>(a, b), expected, "{a:?} vs {b:?}");
        valid += usize::from(expected != "E");
    }
    assert!(valid > 2000, "only {valid} pairs of valid versions");
}
