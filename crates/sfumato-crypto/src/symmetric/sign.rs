//! Ed25519 signatures (RFC 8032, from `ed25519-dalek`).
//!
//! DREAM §5.1 has each meter hand the supplier a self-signed
//! Diffie–Hellman component with its certificate; Tremel signs the
//! meta-messages relayed on the overlay (§4.2) and the proxy values of its
//! Byzantine-agreement phase (§6). Verification is *strict*
//! (`verify_strict`): non-canonical signatures and small-order keys or
//! `R` points are refused, so a signature cannot be malleated and a weak
//! key cannot sign "every" message.

use core::fmt;

use ed25519_dalek::Signer as _;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::hex::hex_text;
use crate::error::{CryptoError, Result};

/// Length in bytes of an Ed25519 secret key (seed) and of a public key.
pub const SIGNING_KEY_LEN: usize = 32;
/// Length in bytes of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// An Ed25519 signing key. Zeroizes on drop (inside `ed25519-dalek`);
/// `Debug` shows only the verifying key.
pub struct SigningKey(ed25519_dalek::SigningKey);

impl SigningKey {
    /// A fresh key from 32 bytes of the caller's CSPRNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; SIGNING_KEY_LEN]);
        rng.fill_bytes(seed.as_mut());
        Self::from_bytes(&seed)
    }

    /// The key with this 32-byte secret (RFC 8032 §5.1.5). The caller
    /// keeps, and should zeroize, its copy.
    pub fn from_bytes(secret: &[u8; SIGNING_KEY_LEN]) -> Self {
        Self(ed25519_dalek::SigningKey::from_bytes(secret))
    }

    /// The 32-byte secret, for storage; zeroized when dropped.
    pub fn to_bytes(&self) -> Zeroizing<[u8; SIGNING_KEY_LEN]> {
        Zeroizing::new(self.0.to_bytes())
    }

    /// The public key that checks this key's signatures.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// The deterministic Ed25519 signature of `message` (RFC 8032 §5.1.6).
    pub fn sign(&self, message: &[u8]) -> Signature {
        Signature(self.0.sign(message))
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("verifying_key", &self.verifying_key())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// An Ed25519 public key. Serialized (serde, `Display`) as 64 hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// The key with this 32-byte encoding.
    ///
    /// Errors: the bytes are not the encoding of a curve point, or the
    /// point has small order (a weak key, which strict verification would
    /// refuse anyway).
    pub fn from_bytes(bytes: &[u8; SIGNING_KEY_LEN]) -> Result<Self> {
        let key = ed25519_dalek::VerifyingKey::from_bytes(bytes).map_err(|_| {
            CryptoError::input(
                "Ed25519 public key",
                "not the encoding of a point on the curve",
            )
        })?;
        if key.is_weak() {
            return Err(CryptoError::input(
                "Ed25519 public key",
                "it has small order (a weak key)",
            ));
        }
        Ok(Self(key))
    }

    /// The 32-byte encoding.
    pub fn to_bytes(&self) -> [u8; SIGNING_KEY_LEN] {
        self.0.to_bytes()
    }

    /// Checks `signature` on `message` with strict RFC 8032 verification.
    ///
    /// Errors: the signature does not verify (wrong key, altered message or
    /// signature, non-canonical encoding).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<()> {
        self.0.verify_strict(message, &signature.0).map_err(|_| {
            CryptoError::input(
                "Ed25519 signature",
                "verification failed: the message, signature or key differ from what was signed",
            )
        })
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({self})")
    }
}

impl core::hash::Hash for VerifyingKey {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.0.as_bytes().hash(state);
    }
}

hex_text!(VerifyingKey, SIGNING_KEY_LEN, "Ed25519 public key");

/// An Ed25519 signature. Serialized (serde, `Display`) as 128 hex digits.
/// Any 64 bytes parse; validity is decided by [`VerifyingKey::verify`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature(ed25519_dalek::Signature);

impl Signature {
    /// The signature with these 64 bytes (`R ‖ S`). Infallible; kept
    /// `Result` for symmetry with the parsers.
    pub fn from_bytes(bytes: &[u8; SIGNATURE_LEN]) -> Result<Self> {
        Ok(Self(ed25519_dalek::Signature::from_bytes(bytes)))
    }

    /// The signature in a byte slice, which must be 64 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: &[u8; SIGNATURE_LEN] = bytes.try_into().map_err(|_| {
            CryptoError::input(
                "Ed25519 signature",
                format!("must be {SIGNATURE_LEN} bytes, got {}", bytes.len()),
            )
        })?;
        Self::from_bytes(array)
    }

    /// The 64-byte encoding `R ‖ S`.
    pub fn to_bytes(&self) -> [u8; SIGNATURE_LEN] {
        self.0.to_bytes()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

hex_text!(Signature, SIGNATURE_LEN, "Ed25519 signature");
