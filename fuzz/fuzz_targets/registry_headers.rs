//! Registry response headers: `WWW-Authenticate`, `Link` and `Retry-After`.
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use supply_core::oci::api;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = api::parse_challenge(text);
    let _ = api::next_link(text);
    if let Some(wait) = api::retry_after(text, Duration::from_secs(10)) {
        assert!(wait <= Duration::from_secs(10));
    }
});
