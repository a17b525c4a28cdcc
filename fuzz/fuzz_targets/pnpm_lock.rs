//! pnpm-lock.yaml text (v6 and v9; the YAML subset reader underneath): parse, and when it parses, build and render the SBOM.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::sbom::{self, BuildOptions, Builder, Ecosystem};

fuzz_target!(|data: &[u8]| {
    if let Ok(graph) = sbom::parse_lockfile_bytes(Ecosystem::Pnpm, data) {
        let _ = Builder::new(BuildOptions::default())
            .add("pnpm-lock.yaml", graph)
            .build("fuzz")
            .to_json();
    }
});
