//! The crate's one error type.

use thiserror::Error;

/// Everything that can go wrong in `sfumato-crypto`.
///
/// Bad input (a malformed key or ciphertext), a peer's misbehaviour (a
/// partial decryption whose proof fails) and misuse of the API are
/// different variants, so callers can react differently.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// A parameter is outside its domain (key size, s, committee size…).
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter {
        /// Name of the parameter as the user sees it.
        name: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A key, share, ciphertext or other value read from outside is
    /// malformed or does not belong to the key it is used with.
    #[error("invalid {what}: {reason}")]
    InvalidInput {
        /// What was being read (`ciphertext`, `public key`, …).
        what: &'static str,
        /// Why it was refused.
        reason: String,
    },
    /// A committee member's contribution failed its verification: it is
    /// wrong (or forged), not merely malformed.
    #[error("key holder {holder}: {reason}")]
    BadContribution {
        /// Index of the key holder.
        holder: u32,
        /// What failed.
        reason: String,
    },
    /// A value does not fit where it must go (a plaintext too large, a
    /// packed slot that would overflow its declared bound).
    #[error("overflow: {0}")]
    Overflow(String),
    /// Too few contributions to finish (fewer partial decryptions than the
    /// threshold).
    #[error("not enough {what}: have {have}, need {need}")]
    NotEnough {
        /// What is counted.
        what: &'static str,
        /// How many there are.
        have: usize,
        /// How many are needed.
        need: usize,
    },
}

impl CryptoError {
    /// Shorthand for [`CryptoError::InvalidParameter`].
    pub fn invalid(name: &'static str, reason: impl Into<String>) -> Self {
        CryptoError::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// Shorthand for [`CryptoError::InvalidInput`].
    pub fn input(what: &'static str, reason: impl Into<String>) -> Self {
        CryptoError::InvalidInput {
            what,
            reason: reason.into(),
        }
    }
}

/// Result alias for this crate.
pub type Result<T> = core::result::Result<T, CryptoError>;
