//! yarn.lock text (classic v1 and Berry): parse, and when it parses, build and render the SBOM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = sbom::parse_lockfile_bytes(Ecosystem::Yarn, data) {
        let _ = Builder::new(BuildOptions::default())
            .add("yarn.lock", graph)
            .build("fuzz")
            .to_json();
    }
});
