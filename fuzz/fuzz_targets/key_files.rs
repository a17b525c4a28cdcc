//! Key files: PKIX public keys, keys to import (PKCS#8, SEC1, PKCS#1), cosign's encrypted
//! private keys (a cheap scrypt under `cfg(fuzzing)`), and decrypted PKCS#8 bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use supply_core::keys::{SigningKey, VerifyingKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(key) = VerifyingKey::from_pem(text)
    {
        let _ = key.verify(b"message", b"signature");
        let _ = key.to_pem();
    }
    let _ = SigningKey::from_import_pem(data);
    let _ = SigningKey::from_encrypted_pem(data, b"hello");
    let _ = SigningKey::from_pkcs8_der(data);
});
