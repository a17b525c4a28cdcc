//! Signing keys in cosign's formats: ECDSA P-256 key pairs (generated), imported P-384, P-521,
//! RSA and Ed25519 keys, the encrypted private-key file cosign writes (`ENCRYPTED SIGSTORE
//! PRIVATE KEY`, also the legacy `ENCRYPTED COSIGN PRIVATE KEY`), PKIX public keys, and
//! signatures as cosign makes them (see `algorithms`).
//!
//! Invariant: private key material is zeroized on drop and never appears in `Debug`, logs or
//! errors; a wrong password and a corrupted file are told apart only as far as the format allows
//! (secretbox authentication fails for both).

mod algorithms;
mod encrypted;
pub mod files;

pub use algorithms::KeyKind;

use zeroize::Zeroizing;

use algorithms::{Private, Public};

pub use encrypted::{KdfParams, decrypt_private_key, encrypt_private_key};

use crate::ErrorKind;

/// PEM label cosign ≥ 2.0.1 writes for encrypted private keys.
pub const ENCRYPTED_SIGSTORE_LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// PEM label older cosign wrote; still read.
pub const ENCRYPTED_COSIGN_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// A key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The secretbox did not open: wrong password (or a damaged file).
    #[error("wrong password for the private key (or the key file is damaged)")]
    WrongPassword,
    /// Not PEM, or a PEM type we do not read.
    #[error("invalid key file: {reason}")]
    InvalidPem {
        /// What is wrong.
        reason: String,
    },
    /// The encrypted-key JSON is malformed or uses parameters cosign does not accept.
    #[error("unsupported encrypted key: {reason}")]
    UnsupportedEncryption {
        /// What is wrong.
        reason: String,
    },
    /// The key inside is not one we can use.
    #[error("unsupported private key: {reason}")]
    UnsupportedKey {
        /// What is wrong.
        reason: String,
    },
    /// A public key could not be parsed.
    #[error("invalid public key: {reason}")]
    InvalidPublicKey {
        /// What is wrong.
        reason: String,
    },
    /// The signature is malformed or does not verify.
    #[error("signature does not verify: {reason}")]
    BadSignature {
        /// What is wrong.
        reason: &'static str,
    },
}

impl crate::error::Classify for KeyError {
    fn kind(&self) -> crate::ErrorKind {
        match self {
            Self::BadSignature { .. } => ErrorKind::VerificationFailed,
            Self::UnsupportedEncryption { .. } | Self::UnsupportedKey { .. } => {
                ErrorKind::Unsupported
            }
            _ => ErrorKind::InvalidInput,
        }
    }
}

/// A private key that signs as cosign does.
pub struct SigningKey {
    inner: Private,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({}, <redacted>)", self.inner.name())
    }
}

impl SigningKey {
    /// A fresh ECDSA P-256 key (cosign's default) from the operating system's randomness.
    pub fn generate() -> Self {
        Self {
            inner: Private::P256(p256::ecdsa::SigningKey::random(&mut rand_core::OsRng)),
        }
    }

    /// A key from PKCS#8 DER (the plaintext inside cosign's encrypted file).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        Private::from_pkcs8_der(der).map(|inner| Self { inner })
    }

    /// A key to import, from an unencrypted PEM: `PRIVATE KEY` (PKCS#8: RSA, ECDSA, Ed25519),
    /// `EC PRIVATE KEY` (SEC1) or `RSA PRIVATE KEY` (PKCS#1), with cosign's size and curve rules.
    pub fn from_import_pem(pem: &[u8]) -> Result<Self, KeyError> {
        let text = std::str::from_utf8(pem).map_err(|_| KeyError::InvalidPem {
            reason: "not text".into(),
        })?;
        let (label, der) =
            pem_rfc7468::decode_vec(text.trim().as_bytes()).map_err(|_| KeyError::InvalidPem {
                reason: "invalid pem block".into(),
            })?;
        let der = Zeroizing::new(der);
        let inner = match label {
            "PRIVATE KEY" => Private::from_pkcs8_der(&der)?,
            "EC PRIVATE KEY" => Private::from_sec1_der(&der)?,
            "RSA PRIVATE KEY" => Private::from_pkcs1_der(&der)?,
            other => {
                return Err(KeyError::UnsupportedKey {
                    reason: format!("unsupported private key (PEM type {other:?})"),
                });
            }
        };
        Ok(Self { inner })
    }

    /// PKCS#8 DER, wiped from memory when dropped.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        self.inner.to_pkcs8_der()
    }

    /// Reads cosign's encrypted private-key PEM with `password`.
    pub fn from_encrypted_pem(pem: &[u8], password: &[u8]) -> Result<Self, KeyError> {
        let der = decrypt_private_key(pem, password)?;
        Self::from_pkcs8_der(&der)
    }

    /// Writes cosign's encrypted private-key PEM (`ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt
    /// N=65536 r=8 p=1, nacl/secretbox).
    pub fn to_encrypted_pem(&self, password: &[u8]) -> Result<String, KeyError> {
        encrypt_private_key(&self.to_pkcs8_der()?, password, KdfParams::STANDARD)
    }

    /// The matching public key.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey {
            inner: self.inner.public(),
        }
    }

    /// The signature over `message` as cosign makes it (DER for ECDSA, PKCS#1 v1.5 for RSA,
    /// Ed25519ph for Ed25519).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.inner.sign(message)
    }
}

/// A public key that verifies cosign signatures.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct VerifyingKey {
    inner: Public,
}

impl VerifyingKey {
    /// Reads a PKIX `PUBLIC KEY` PEM (cosign's `cosign.pub`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let (label, der) = pem_rfc7468::decode_vec(pem.trim().as_bytes()).map_err(|_| {
            KeyError::InvalidPublicKey {
                reason: "not a PEM document".into(),
            }
        })?;
        if label != "PUBLIC KEY" {
            return Err(KeyError::InvalidPublicKey {
                reason: format!("PEM type {label:?} is not PUBLIC KEY"),
            });
        }
        Public::from_public_key_der(&der).map(|inner| Self { inner })
    }

    /// Reads a DER SubjectPublicKeyInfo (as a certificate carries it).
    pub fn from_der(der: &[u8]) -> Result<Self, KeyError> {
        Public::from_public_key_der(der).map(|inner| Self { inner })
    }

    /// PKIX `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.inner.to_pem()
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn to_der(&self) -> Result<Vec<u8>, KeyError> {
        let pem = self.to_pem()?;
        pem_rfc7468::decode_vec(pem.as_bytes())
            .map(|(_, der)| der)
            .map_err(|_| KeyError::InvalidPublicKey {
                reason: "cannot encode the key".into(),
            })
    }

    /// `sha256:<hex>` of the DER SubjectPublicKeyInfo: the key's identity in verdicts.
    pub fn key_id(&self) -> String {
        self.to_der()
            .map(|der| crate::digest::Digest::sha256(&der).to_string())
            .unwrap_or_default()
    }

    /// Checks a signature over `message` (Ed25519: pure or Ed25519ph, as cosign signs).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.inner.verify(message, signature)
    }

    /// Checks a signature over `message`, Ed25519 only in its pure form (DSSE, signed notes).
    pub fn verify_pure(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.inner.verify_pure(message, signature)
    }

    /// Checks a signature over a digest computed elsewhere (not possible for Ed25519).
    pub fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        self.inner.verify_digest(digest, signature)
    }

    /// The kind of key.
    pub fn kind(&self) -> KeyKind {
        self.inner.kind()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_verify_and_pem_round_trip() {
        let key = SigningKey::generate();
        let signature = key.sign(b"payload");
        let public = VerifyingKey::from_pem(&key.verifying_key().to_pem().unwrap()).unwrap();
        public.verify(b"payload", &signature).unwrap();
        assert!(public.verify(b"payload!", &signature).is_err());
        assert!(matches!(
            public.verify(b"payload", &signature[..signature.len() - 1]),
            Err(KeyError::BadSignature { .. })
        ));
        assert!(!format!("{key:?}").contains("0x"));
    }
}
