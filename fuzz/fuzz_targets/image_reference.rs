//! Image references: whatever parses prints as a reference that parses back and prints the
//! same (a reference without tag or digest prints its implied `:latest`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::oci::Reference;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(reference) = text.parse::<Reference>() {
        let printed = reference.to_string();
        let again: Reference = printed.parse().expect("a printed reference parses");
        assert_eq!(again.to_string(), printed, "{text:?}");
        assert_eq!(again.registry(), reference.registry());
        assert_eq!(again.repository(), reference.repository());
        assert_eq!(again.manifest_key(), reference.manifest_key());
    }
});
