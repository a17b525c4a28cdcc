//! DSSE envelopes and the in-toto statements inside them (v1 and v0.1).
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::attest::dsse::{self, Envelope};
use supply_core::attest::intoto::Statement;
use supply_core::digest::Digest;

fuzz_target!(|data: &[u8]| {
    if let Ok(envelope) = Envelope::from_json(data)
        && let Ok(payload) = envelope.payload_bytes()
    {
        let _ = dsse::pae(&envelope.payload_type, &payload);
        if let Ok(statement) = Statement::parse(&payload) {
            let _ = statement.has_subject(&Digest::sha256(b""));
        }
    }
    if let Ok(statement) = Statement::parse(data) {
        let _ = statement.has_subject(&Digest::sha256(data));
        let _ = statement.to_json();
    }
});
