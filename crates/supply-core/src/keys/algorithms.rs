//! The key types cosign accepts, and how each signs: ECDSA P-256/SHA-256, P-384/SHA-384,
//! P-521/SHA-512 (ASN.1 DER signatures), RSA 2048/3072/4096 PKCS#1 v1.5/SHA-256, Ed25519 (cosign
//! signs with Ed25519ph, SHA-512 pre-hashed; both forms verify).

use ed25519_dalek::Digest as _;
use p256::pkcs8::{
    DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding,
};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::KeyError;

const ALLOWED: &str = "allowed: ECDSA P-256/P-384/P-521, RSA 2048/3072/4096, Ed25519";

pub(super) enum Private {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    /// Both forms: the secret key gives the public key without a fallible conversion.
    P521(p521::SecretKey, p521::ecdsa::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
    Ed25519(ed25519_dalek::SigningKey),
}

#[derive(Clone, Debug, Eq, PartialEq)]
pub(super) enum Public {
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    /// Kept as a `PublicKey`: p521's `VerifyingKey` has no `Debug`/`Eq`.
    P521(p521::PublicKey),
    Rsa(rsa::RsaPublicKey),
    Ed25519(ed25519_dalek::VerifyingKey),
}

fn unsupported(reason: impl Into<String>) -> KeyError {
    KeyError::UnsupportedKey {
        reason: reason.into(),
    }
}

fn rsa_size_allowed(key: &rsa::RsaPrivateKey) -> Result<(), KeyError> {
    let bits = key.n().bits();
    if matches!(bits, 2048 | 3072 | 4096) {
        Ok(())
    } else {
        Err(unsupported(format!(
            "RSA key size {bits} bits is not supported ({ALLOWED})"
        )))
    }
}

impl Private {
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::P256(_) => "ECDSA P-256",
            Self::P384(_) => "ECDSA P-384",
            Self::P521(..) => "ECDSA P-521",
            Self::Rsa(_) => "RSA",
            Self::Ed25519(_) => "Ed25519",
        }
    }

    /// PKCS#8 (`PRIVATE KEY`), any allowed algorithm.
    pub(super) fn from_pkcs8_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(key) = p256::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Self::P256(key));
        }
        if let Ok(key) = p384::ecdsa::SigningKey::from_pkcs8_der(der) {
            return Ok(Self::P384(key));
        }
        if let Ok(secret) = p521::SecretKey::from_pkcs8_der(der) {
            return p521_from_secret(&secret);
        }
        if let Ok(key) = rsa::RsaPrivateKey::from_pkcs8_der(der) {
            rsa_size_allowed(&key)?;
            return Ok(Self::Rsa(Box::new(key)));
        }
        if let Ok(key) = ed25519_dalek::SigningKey::from_pkcs8_der(der) {
            return Ok(Self::Ed25519(key));
        }
        Err(unsupported(format!(
            "not a PKCS#8 private key of an allowed type ({ALLOWED})"
        )))
    }

    /// SEC1 (`EC PRIVATE KEY`).
    pub(super) fn from_sec1_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(secret) = p256::SecretKey::from_sec1_der(der) {
            return Ok(Self::P256(secret.into()));
        }
        if let Ok(secret) = p384::SecretKey::from_sec1_der(der) {
            return Ok(Self::P384(secret.into()));
        }
        if let Ok(secret) = p521::SecretKey::from_sec1_der(der) {
            return p521_from_secret(&secret);
        }
        Err(unsupported(
            "error parsing ecdsa private key: only the curves P-256, P-384 and P-521 are allowed",
        ))
    }

    /// PKCS#1 (`RSA PRIVATE KEY`).
    pub(super) fn from_pkcs1_der(der: &[u8]) -> Result<Self, KeyError> {
        let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
            .map_err(|_| unsupported("error parsing RSA private key"))?;
        rsa_size_allowed(&key)?;
        Ok(Self::Rsa(Box::new(key)))
    }

    pub(super) fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let document = match self {
            Self::P256(key) => key.to_pkcs8_der(),
            Self::P384(key) => key.to_pkcs8_der(),
            Self::P521(secret, _) => secret.to_pkcs8_der(),
            Self::Rsa(key) => key.to_pkcs8_der(),
            Self::Ed25519(key) => key.to_pkcs8_der(),
        };
        let document = document.map_err(|_| unsupported("cannot encode as PKCS#8"))?;
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    }

    pub(super) fn public(&self) -> Public {
        match self {
            Self::P256(key) => Public::P256(*key.verifying_key()),
            Self::P384(key) => Public::P384(*key.verifying_key()),
            Self::P521(secret, _) => Public::P521(secret.public_key()),
            Self::Rsa(key) => Public::Rsa(key.to_public_key()),
            Self::Ed25519(key) => Public::Ed25519(key.verifying_key()),
        }
    }

    pub(super) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::P256(key) => Signer::<p256::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
            Self::P384(key) => Signer::<p384::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
            Self::P521(_, key) => Signer::<p521::ecdsa::Signature>::sign(key, message)
                .to_der()
                .as_bytes()
                .to_vec(),
            Self::Rsa(key) => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new((**key).clone())
                .sign(message)
                .to_vec(),
            Self::Ed25519(key) => {
                let prehash = ed25519_dalek::Sha512::new().chain_update(message);
                // Signing with a fresh SHA-512 state and no context cannot fail.
                key.sign_prehashed(prehash, None)
                    .map(|s| s.to_bytes().to_vec())
                    .unwrap_or_default()
            }
        }
    }
}

fn p521_from_secret(secret: &p521::SecretKey) -> Result<Private, KeyError> {
    p521::ecdsa::SigningKey::from_bytes(&secret.to_bytes())
        .map(|signing| Private::P521(secret.clone(), signing))
        .map_err(|_| unsupported("invalid P-521 key"))
}

impl Public {
    pub(super) fn from_public_key_der(der: &[u8]) -> Result<Self, KeyError> {
        if let Ok(key) = p256::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P256(key));
        }
        if let Ok(key) = p384::ecdsa::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::P384(key));
        }
        if let Ok(key) = p521::PublicKey::from_public_key_der(der) {
            return Ok(Self::P521(key));
        }
        if let Ok(key) = rsa::RsaPublicKey::from_public_key_der(der) {
            return Ok(Self::Rsa(key));
        }
        if let Ok(key) = ed25519_dalek::VerifyingKey::from_public_key_der(der) {
            return Ok(Self::Ed25519(key));
        }
        Err(invalid_public())
    }

    pub(super) fn to_pem(&self) -> Result<String, KeyError> {
        let pem = match self {
            Self::P256(key) => key.to_public_key_pem(LineEnding::LF),
            Self::P384(key) => key.to_public_key_pem(LineEnding::LF),
            Self::P521(key) => key.to_public_key_pem(LineEnding::LF),
            Self::Rsa(key) => key.to_public_key_pem(LineEnding::LF),
            Self::Ed25519(key) => key.to_public_key_pem(LineEnding::LF),
        };
        pem.map_err(|_| invalid_public())
    }

    pub(super) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        let malformed = KeyError::BadSignature {
            reason: "not an ASN.1 DER ECDSA signature",
        };
        let mismatch = || KeyError::BadSignature {
            reason: "the signature was not made by this key over these bytes",
        };
        let ok = match self {
            // DER as cosign writes it; raw r‖s too (the DSSE specification's own test vector).
            Self::P256(key) => {
                let signature = p256::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p256::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| malformed)?;
                key.verify(message, &signature).is_ok()
            }
            Self::P384(key) => {
                let signature = p384::ecdsa::Signature::from_der(signature)
                    .or_else(|_| p384::ecdsa::Signature::from_slice(signature))
                    .map_err(|_| malformed)?;
                key.verify(message, &signature).is_ok()
            }
            Self::P521(key) => {
                let key = p521::ecdsa::VerifyingKey::from_affine(*key.as_affine())
                    .map_err(|_| invalid_public())?;
                key.verify(
                    message,
                    &p521::ecdsa::Signature::from_der(signature).map_err(|_| malformed)?,
                )
                .is_ok()
            }
            Self::Rsa(key) => {
                let signature =
                    rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| mismatch())?;
                rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone())
                    .verify(message, &signature)
                    .is_ok()
            }
            Self::Ed25519(key) => {
                let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    KeyError::BadSignature {
                        reason: "not a 64-byte Ed25519 signature",
                    }
                })?;
                let prehash = ed25519_dalek::Sha512::new().chain_update(message);
                key.verify_prehashed(prehash, None, &signature).is_ok()
                    || key.verify_strict(message, &signature).is_ok()
            }
        };
        if ok { Ok(()) } else { Err(mismatch()) }
    }
}

/// What kind of public key, for callers that must name the scheme (Rekor v2 entries).
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
#[non_exhaustive]
pub enum KeyKind {
    /// ECDSA P-256.
    EcdsaP256,
    /// ECDSA P-384.
    EcdsaP384,
    /// ECDSA P-521.
    EcdsaP521,
    /// RSA, with its modulus size in bits.
    Rsa(usize),
    /// Ed25519.
    Ed25519,
}

impl Public {
    pub(super) fn kind(&self) -> KeyKind {
        match self {
            Self::P256(_) => KeyKind::EcdsaP256,
            Self::P384(_) => KeyKind::EcdsaP384,
            Self::P521(_) => KeyKind::EcdsaP521,
            Self::Rsa(key) => KeyKind::Rsa(key.size() * 8),
            Self::Ed25519(_) => KeyKind::Ed25519,
        }
    }

    /// Checks a signature over a digest the caller computed (a pre-hashed signature, as
    /// `hashedrekord` and digest-only verification need). Ed25519 signs messages, not digests:
    /// refused.
    pub(super) fn verify_digest(&self, digest: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        use p256::ecdsa::signature::hazmat::PrehashVerifier;
        let mismatch = || KeyError::BadSignature {
            reason: "the signature was not made by this key over this digest",
        };
        let malformed = KeyError::BadSignature {
            reason: "not an ASN.1 DER ECDSA signature",
        };
        let ok = match self {
            Self::P256(key) => key
                .verify_prehash(
                    digest,
                    &p256::ecdsa::Signature::from_der(signature).map_err(|_| malformed)?,
                )
                .is_ok(),
            Self::P384(key) => key
                .verify_prehash(
                    digest,
                    &p384::ecdsa::Signature::from_der(signature).map_err(|_| malformed)?,
                )
                .is_ok(),
            Self::P521(key) => {
                let key = p521::ecdsa::VerifyingKey::from_affine(*key.as_affine())
                    .map_err(|_| invalid_public())?;
                let signature =
                    p521::ecdsa::Signature::from_der(signature).map_err(|_| malformed)?;
                key.verify_prehash(digest, &signature).is_ok()
            }
            Self::Rsa(key) => {
                let signature =
                    rsa::pkcs1v15::Signature::try_from(signature).map_err(|_| mismatch())?;
                match digest.len() {
                    32 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha256>::new(key.clone())
                        .verify_prehash(digest, &signature)
                        .is_ok(),
                    48 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha384>::new(key.clone())
                        .verify_prehash(digest, &signature)
                        .is_ok(),
                    64 => rsa::pkcs1v15::VerifyingKey::<sha2::Sha512>::new(key.clone())
                        .verify_prehash(digest, &signature)
                        .is_ok(),
                    _ => false,
                }
            }
            Self::Ed25519(_) => {
                return Err(KeyError::BadSignature {
                    reason: "an Ed25519 signature cannot be checked against a digest alone",
                });
            }
        };
        if ok { Ok(()) } else { Err(mismatch()) }
    }

    /// Like `verify`, but Ed25519 only in its pure form (DSSE, signed notes): never
    /// Ed25519ph.
    pub(super) fn verify_pure(&self, message: &[u8], signature: &[u8]) -> Result<(), KeyError> {
        match self {
            Self::Ed25519(key) => {
                let signature = ed25519_dalek::Signature::from_slice(signature).map_err(|_| {
                    KeyError::BadSignature {
                        reason: "not a 64-byte Ed25519 signature",
                    }
                })?;
                key.verify_strict(message, &signature)
                    .map_err(|_| KeyError::BadSignature {
                        reason: "the signature was not made by this key over these bytes",
                    })
            }
            _ => self.verify(message, signature),
        }
    }
}

fn invalid_public() -> KeyError {
    KeyError::InvalidPublicKey {
        reason: format!("expected a PEM `PUBLIC KEY` of an allowed type ({ALLOWED})"),
    }
}
