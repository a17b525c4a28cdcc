//! cosign's encrypted private-key file (go-securesystemslib `encrypted` format): PEM whose body
//! is JSON `{"kdf":{"name":"scrypt","params":{"N","r","p"},"salt"},"cipher":{"name":
//! "nacl/secretbox","nonce"},"ciphertext"}`; key = scrypt(password, salt), 32 bytes;
//! ciphertext = XSalsa20-Poly1305 secretbox of the PKCS#8 DER key.

use base64::Engine as _;
use crypto_secretbox::aead::{Aead, KeyInit};
use crypto_secretbox::{Key, Nonce, XSalsa20Poly1305};
use rand_core::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::{ENCRYPTED_COSIGN_LABEL, ENCRYPTED_SIGSTORE_LABEL, KeyError};

/// scrypt cost parameters.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Deserialize, Serialize)]
pub struct KdfParams {
    /// CPU/memory cost.
    #[serde(rename = "N")]
    pub n: u64,
    /// Block size.
    pub r: u32,
    /// Parallelism.
    pub p: u32,
}

impl KdfParams {
    /// What cosign writes today.
    pub const STANDARD: Self = Self {
        n: 65536,
        r: 8,
        p: 1,
    };
    /// Every set cosign accepts on read: legacy, standard, OWASP.
    pub const ACCEPTED: [Self; 3] = [
        Self {
            n: 32768,
            r: 8,
            p: 1,
        },
        Self::STANDARD,
        Self {
            n: 131_072,
            r: 8,
            p: 1,
        },
    ];
}

#[derive(Deserialize, Serialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    ciphertext: String,
}

#[derive(Deserialize, Serialize)]
struct Kdf {
    name: String,
    params: KdfParams,
    salt: String,
}

#[derive(Deserialize, Serialize)]
struct Cipher {
    name: String,
    nonce: String,
}

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// Encrypts PKCS#8 DER into cosign's PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`).
pub fn encrypt_private_key(
    pkcs8_der: &[u8],
    password: &[u8],
    params: KdfParams,
) -> Result<String, KeyError> {
    let mut salt = [0u8; 32];
    let mut nonce = [0u8; 24];
    rand_core::OsRng.fill_bytes(&mut salt);
    rand_core::OsRng.fill_bytes(&mut nonce);
    let key = derive_key(password, &salt, params)?;
    let ciphertext = XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
        .encrypt(Nonce::from_slice(&nonce), pkcs8_der)
        .map_err(|_| KeyError::UnsupportedEncryption {
            reason: "encryption failed".into(),
        })?;
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".into(),
            params,
            salt: B64.encode(salt),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: B64.encode(nonce),
        },
        ciphertext: B64.encode(ciphertext),
    };
    let json = serde_json::to_vec(&envelope).map_err(|_| KeyError::UnsupportedEncryption {
        reason: "cannot encode".into(),
    })?;
    pem_rfc7468::encode_string(ENCRYPTED_SIGSTORE_LABEL, pem_rfc7468::LineEnding::LF, &json)
        .map_err(|_| KeyError::UnsupportedEncryption {
            reason: "cannot encode PEM".into(),
        })
}

/// Decrypts cosign's PEM (either label) into PKCS#8 DER.
pub fn decrypt_private_key(pem: &[u8], password: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let (label, json) = pem_rfc7468::decode_vec(trim(pem)).map_err(|e| KeyError::InvalidPem {
        reason: e.to_string(),
    })?;
    if label != ENCRYPTED_SIGSTORE_LABEL && label != ENCRYPTED_COSIGN_LABEL {
        return Err(KeyError::InvalidPem {
            reason: format!(
                "PEM type {label:?} is not an encrypted cosign key (expected {ENCRYPTED_SIGSTORE_LABEL:?})"
            ),
        });
    }
    let unsupported = |reason: &str| KeyError::UnsupportedEncryption {
        reason: reason.to_owned(),
    };
    let envelope: Envelope = serde_json::from_slice(&json)
        .map_err(|_| unsupported("the PEM body is not cosign's encrypted-key JSON"))?;
    if envelope.kdf.name != "scrypt" {
        return Err(unsupported("key derivation must be scrypt"));
    }
    if !KdfParams::ACCEPTED.contains(&envelope.kdf.params) {
        return Err(unsupported(
            "unsupported scrypt parameters (cosign accepts N=32768, 65536 or 131072 with r=8, p=1)",
        ));
    }
    if envelope.cipher.name != "nacl/secretbox" {
        return Err(unsupported("cipher must be nacl/secretbox"));
    }
    let salt = B64
        .decode(&envelope.kdf.salt)
        .map_err(|_| unsupported("salt is not base64"))?;
    let nonce = B64
        .decode(&envelope.cipher.nonce)
        .map_err(|_| unsupported("nonce is not base64"))?;
    if nonce.len() != 24 {
        return Err(unsupported("nonce must be 24 bytes"));
    }
    let ciphertext = B64
        .decode(&envelope.ciphertext)
        .map_err(|_| unsupported("ciphertext is not base64"))?;
    let key = derive_key(password, &salt, envelope.kdf.params)?;
    XSalsa20Poly1305::new(Key::from_slice(key.as_slice()))
        .decrypt(Nonce::from_slice(&nonce), ciphertext.as_slice())
        .map(Zeroizing::new)
        .map_err(|_| KeyError::WrongPassword)
}

fn derive_key(
    password: &[u8],
    salt: &[u8],
    params: KdfParams,
) -> Result<Zeroizing<[u8; 32]>, KeyError> {
    let log_n = u8::try_from(params.n.trailing_zeros()).unwrap_or(0);
    // Under coverage-guided fuzzing a real scrypt (32-128 MiB, ~0.1 s) per input would leave
    // nothing but the KDF explored; the parameters are still validated before this point.
    #[cfg(fuzzing)]
    let log_n = log_n.min(1);
    let scrypt_params = scrypt::Params::new(log_n, params.r, params.p, 32).map_err(|_| {
        KeyError::UnsupportedEncryption {
            reason: "invalid scrypt parameters".into(),
        }
    })?;
    let mut key = Zeroizing::new([0u8; 32]);
    scrypt::scrypt(password, salt, &scrypt_params, key.as_mut_slice()).map_err(|_| {
        KeyError::UnsupportedEncryption {
            reason: "scrypt failed".into(),
        }
    })?;
    Ok(key)
}

/// PEM parsers want the block alone; key files may carry surrounding whitespace.
fn trim(pem: &[u8]) -> &[u8] {
    let start = pem
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(pem.len());
    let end = pem
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    &pem[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_password() {
        let secret = b"pkcs8 bytes stand-in";
        let pem = encrypt_private_key(
            secret,
            b"pw",
            KdfParams {
                n: 32768,
                r: 8,
                p: 1,
            },
        )
        .unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert_eq!(
            decrypt_private_key(pem.as_bytes(), b"pw")
                .unwrap()
                .as_slice(),
            secret
        );
        assert!(matches!(
            decrypt_private_key(pem.as_bytes(), b"nope"),
            Err(KeyError::WrongPassword)
        ));
    }

    #[test]
    fn unaccepted_parameters_are_refused() {
        let pem = encrypt_private_key(
            b"x",
            b"pw",
            KdfParams {
                n: 1024,
                r: 8,
                p: 1,
            },
        )
        .unwrap();
        assert!(matches!(
            decrypt_private_key(pem.as_bytes(), b"pw"),
            Err(KeyError::UnsupportedEncryption { .. })
        ));
        assert!(matches!(
            decrypt_private_key(
                b"-----BEGIN PUBLIC KEY-----\nAA==\n-----END PUBLIC KEY-----\n",
                b""
            ),
            Err(KeyError::InvalidPem { .. })
        ));
        assert!(matches!(
            decrypt_private_key(b"garbage", b""),
            Err(KeyError::InvalidPem { .. })
        ));
    }
}
