//! poetry.lock text (lock-version 1.x and 2.x): parse, and when it parses, build and render the SBOM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = sbom::parse_lockfile_bytes(Ecosystem::Poetry, data) {
        let _ = Builder::new(BuildOptions::default())
            .add("poetry.lock", graph)
            .build("fuzz")
            .to_json();
    }
});
