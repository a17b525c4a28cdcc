//! Where `supply sbom` spends its time on one lockfile, phase by phase, in one process:
//! `cargo run --release -p supply-core --example sbom_phases -- LOCKFILE [RUNS]`.
//! First one cold pass as `supply sbom -o FILE` makes it (time and fresh pages per phase),
//! then the best of RUNS (default 20; 0: none) per phase; a generic parse of the same text
//! (`toml::Table`, `serde_json::Value`) is the reference floor.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::time::{Duration, Instant};

use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(f());
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

/// Minor page faults of this process so far (Linux; 0 elsewhere).
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Field 10 (minflt), counted after the `(comm)` field, which may hold spaces.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after
        .split_whitespace()
        .nth(7)
        .and_then(|f| f.parse().ok())
        .unwrap_or(0)
}

/// One cold pass as `supply sbom` makes it: time and fresh pages per phase.
fn cold(path: &str, ecosystem: Ecosystem) -> String {
    let mut report = String::from("  cold pass (ms, page faults):");
    let mut mark = (Instant::now(), minor_faults());
    let mut phase = |name: &str| {
        let now = (Instant::now(), minor_faults());
        report.push_str(&format!(
            " {name} {:.2}/{}",
            (now.0 - mark.0).as_secs_f64() * 1e3,
            now.1 - mark.1
        ));
        mark = (Instant::now(), minor_faults());
    };
    let text = std::fs::read_to_string(path).expect("readable");
    phase("read");
    let graph = sbom::parse_lockfile(ecosystem, &text).unwrap();
    phase("parse");
    let builder = Builder::new(BuildOptions::default()).add("lock", graph);
    phase("add");
    let bom = std::hint::black_box(builder.build("x"));
    phase("build");
    let out = std::env::temp_dir().join(format!("sbom_phases-{}.json", std::process::id()));
    let mut file = std::fs::File::create(&out).expect("a temporary file");
    bom.write_json(&mut file).unwrap();
    drop(file);
    phase("write");
    std::fs::remove_file(&out).unwrap();
    drop(bom);
    phase("drop");
    report
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: sbom_phases LOCKFILE [RUNS]");
    let runs: usize = args.next().map_or(20, |r| r.parse().expect("RUNS"));
    let ecosystem = Ecosystem::from_file_name(Path::new(&path)).expect("a lockfile name");
    let cold = cold(&path, ecosystem);
    if runs == 0 {
        // Only the cold pass, e.g. under `valgrind --tool=dhat`.
        println!("{path}\n{cold}");
        return;
    }
    let text = std::fs::read_to_string(&path).expect("readable");
    let generic = match ecosystem {
        Ecosystem::Npm => best(runs, || {
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        }),
        Ecosystem::Pnpm | Ecosystem::Yarn => Duration::ZERO,
        _ => best(runs, || text.parse::<toml::Table>().unwrap()),
    };
    let parse = best(runs, || sbom::parse_lockfile(ecosystem, &text).unwrap());
    let graph = sbom::parse_lockfile(ecosystem, &text).unwrap();
    let add = best(runs, || {
        Builder::new(BuildOptions::default()).add("lock", graph.clone())
    });
    let clone = best(runs, || graph.clone());
    let build = best(runs, || {
        let bom = Builder::new(BuildOptions::default())
            .add("lock", graph.clone())
            .build("x");
        bom.json().len()
    });
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{path}: {} bytes, {} packages\n{cold}\n  generic parse {:.2} ms\n  parse {:.2} ms\n  add {:.2} ms (incl. clone {:.2})\n  add+build+render {:.2} ms",
        text.len(),
        graph.packages.len(),
        ms(generic),
        ms(parse),
        ms(add),
        ms(clone),
        ms(build)
    );
}
