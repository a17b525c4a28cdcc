//! `supply sbom validate` input: any bytes, checked against the CycloneDX schemas.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = supply_core::sbom::validate(data);
});
