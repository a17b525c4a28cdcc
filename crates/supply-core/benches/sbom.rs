//! Parse + build time per ecosystem on the large real lockfiles in `testdata/lockfiles/*/large`.
//! Whole-process comparisons with the peer tools live in `bench/compare-sbom.sh`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a panic is the failure report.

use criterion::{Criterion, criterion_group, criterion_main};
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem, Timestamp};

fn lockfile(path: &str) -> String {
    let full = format!(
        "{}/../../testdata/lockfiles/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

fn bench(c: &mut Criterion) {
    let cases = [
        (
            "cargo_1169_packages",
            Ecosystem::Cargo,
            lockfile("cargo/large/Cargo.lock"),
        ),
        (
            "uv_435_packages",
            Ecosystem::Uv,
            lockfile("uv/large/uv.lock"),
        ),
        (
            "npm_5100_entries",
            Ecosystem::Npm,
            lockfile("npm/large/package-lock.json"),
        ),
    ];
    let options = BuildOptions {
        timestamp: Some(Timestamp::fixed(1_700_000_000)),
        ..BuildOptions::default()
    };
    let mut group = c.benchmark_group("sbom");
    group.sample_size(20);
    for (name, ecosystem, text) in &cases {
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| sbom::parse_lockfile(*ecosystem, text).unwrap());
        });
        group.bench_function(format!("parse_build_render/{name}"), |b| {
            b.iter(|| {
                let graph = sbom::parse_lockfile(*ecosystem, text).unwrap();
                Builder::new(options)
                    .add("lock", graph)
                    .build("bench")
                    .to_json()
            });
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
