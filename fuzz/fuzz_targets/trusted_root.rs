//! Sigstore trusted roots (JSON) and TUF root metadata (canonical JSON, signature thresholds).
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::sigstore::TrustedRoot;
use supply_core::sigstore::tuf::check_pinned_root;

fuzz_target!(|data: &[u8]| {
    if let Ok(root) = TrustedRoot::from_json(data) {
        let _ = root.tlog(&[0u8; 32]);
    }
    let _ = check_pinned_root(data);
});
