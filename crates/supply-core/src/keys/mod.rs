//! Signing keys in cosign's formats: ECDSA P-256 key pairs, the encrypted private-key file
//! cosign writes (`ENCRYPTED SIGSTORE PRIVATE KEY`, also the legacy `ENCRYPTED COSIGN PRIVATE
//! KEY`), PKIX public keys, and ASN.1 DER ECDSA signatures over SHA-256.
//!
//! Invariant: private key material is zeroized on drop and never appears in `Debug`, logs or
//! errors; a wrong password and a corrupted file are told apart only as far as the format allows
//! (secretbox authentication fails for both).

mod encrypted;
pub mod files;

use p256::ecdsa::signature::{Signer, Verifier};
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use zeroize::Zeroizing;

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

impl KeyError {
    /// The stable classification of this error.
    pub fn kind(&self) -> ErrorKind {
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
    inner: p256::ecdsa::SigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(ECDSA P-256, <redacted>)")
    }
}

impl SigningKey {
    /// A fresh ECDSA P-256 key from the operating system's randomness.
    pub fn generate() -> Self {
        Self {
            inner: p256::ecdsa::SigningKey::random(&mut rand_core::OsRng),
        }
    }

    /// A key from PKCS#8 DER (the plaintext inside cosign's encrypted file).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        match p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            Ok(inner) => Ok(Self { inner }),
            Err(_) => Err(KeyError::UnsupportedKey {
                reason: "not a PKCS#8 ECDSA P-256 private key".into(),
            }),
        }
    }

    /// PKCS#8 DER, wiped from memory when dropped.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let document = self
            .inner
            .to_pkcs8_der()
            .map_err(|_| KeyError::UnsupportedKey {
                reason: "cannot encode as PKCS#8".into(),
            })?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
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
            inner: *self.inner.verifying_key(),
        }
    }

    /// ECDSA P-256 over SHA-256 of `message`, ASN.1 DER encoded (what cosign stores, base64).
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature = self.inner.sign(message);
        signature.to_der().as_bytes().to_vec()
    }
}

/// A public key that verifies cosign signatures.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct VerifyingKey {
    inner: p256::ecdsa::VerifyingKey,
}

impl VerifyingKey {
    /// Reads a PKIX `PUBLIC KEY` PEM (cosign's `cosign.pub`).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        p256::ecdsa::VerifyingKey::from_public_key_pem(pem.trim())
            .map(|inner| Self { inner })
            .map_err(|_| KeyError::InvalidPublicKey {
                reason: "expected a PEM `PUBLIC KEY` holding an ECDSA P-256 key".into(),
            })
    }

    /// PKIX `PUBLIC KEY` PEM.
    pub fn to_pem(&self) -> Result<String, KeyError> {
        self.inner
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| KeyError::InvalidPublicKey {
                reason: "cannot encode".into(),
            })
    }

    /// Checks a DER signature over `message` (hashed with SHA-256).
    pub fn verify(&self, message: &[u8], signature_der: &[u8]) -> Result<(), KeyError> {
        let signature = p256::ecdsa::Signature::from_der(signature_der).map_err(|_| {
            KeyError::BadSignature {
                reason: "not an ASN.1 DER ECDSA signature",
            }
        })?;
        self.inner
            .verify(message, &signature)
            .map_err(|_| KeyError::BadSignature {
                reason: "the signature was not made by this key over these bytes",
            })
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
