//! ChaCha20-Poly1305 authenticated encryption (RFC 8439 §2.8, from
//! RustCrypto's `chacha20poly1305`).
//!
//! Used where a protocol message must stay confidential and untampered
//! between two parties: each layer of Tremel's onion-routed ("tunneled")
//! messages and the copies of an encrypted multicast (§4.2), with a key
//! per hop from [`pairwise_key`](super::pairwise_key). Sealed output is
//! `ciphertext ‖ tag` (16-byte Poly1305 tag); the `*_prefixed` functions
//! put the 12-byte nonce in front.
//!
//! Nonces must never repeat under one key. Random nonces
//! ([`AeadKey::seal_prefixed`]) are safe for up to about 2^32 messages per
//! key (birthday bound on 96 bits); counters are safe for any number but
//! need state.

use core::fmt;

use chacha20poly1305::ChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use rand_core::CryptoRng;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::keys::PairwiseKey;
use crate::error::{CryptoError, Result};

/// Length in bytes of an AEAD key.
pub const AEAD_KEY_LEN: usize = 32;
/// Length in bytes of an AEAD nonce.
pub const AEAD_NONCE_LEN: usize = 12;
/// Length in bytes of the Poly1305 tag appended to each ciphertext.
pub const AEAD_TAG_LEN: usize = 16;

/// A ChaCha20-Poly1305 key. Zeroizes on drop; `Debug` prints no key bytes.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct AeadKey([u8; AEAD_KEY_LEN]);

impl AeadKey {
    /// A fresh key from the caller's CSPRNG.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut key = Self([0u8; AEAD_KEY_LEN]);
        rng.fill_bytes(&mut key.0);
        key
    }

    /// The key with these bytes.
    pub fn from_bytes(bytes: &[u8; AEAD_KEY_LEN]) -> Self {
        Self(*bytes)
    }

    fn cipher(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(&self.0.into())
    }

    /// Encrypts and authenticates `plaintext`, authenticates `aad`, under
    /// the explicit `nonce`. Returns `ciphertext ‖ tag`
    /// (`plaintext.len() + 16` bytes).
    ///
    /// Errors: a plaintext longer than ChaCha20-Poly1305 allows (about
    /// 256 GiB).
    pub fn seal(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.cipher()
            .encrypt(
                &(*nonce).into(),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| {
                CryptoError::invalid(
                    "plaintext",
                    format!(
                        "{} bytes is more than ChaCha20-Poly1305 can seal",
                        plaintext.len()
                    ),
                )
            })
    }

    /// Checks and decrypts `ciphertext ‖ tag` sealed under `nonce` with
    /// `aad`.
    ///
    /// Errors: input shorter than the tag, or any change to the ciphertext,
    /// tag, nonce, `aad` or key (the tag does not verify). No plaintext is
    /// released on failure.
    pub fn open(
        &self,
        nonce: &[u8; AEAD_NONCE_LEN],
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>> {
        if ciphertext.len() < AEAD_TAG_LEN {
            return Err(CryptoError::input(
                "AEAD ciphertext",
                format!(
                    "{} bytes is shorter than the {AEAD_TAG_LEN}-byte tag",
                    ciphertext.len()
                ),
            ));
        }
        self.cipher()
            .decrypt(
                &(*nonce).into(),
                Payload {
                    msg: ciphertext,
                    aad,
                },
            )
            .map_err(|_| {
                CryptoError::input(
                    "AEAD ciphertext",
                    "authentication failed: it was altered, or the key, nonce or associated data differ",
                )
            })
    }

    /// Seals under a fresh nonce drawn from the caller's CSPRNG and returns
    /// `nonce ‖ ciphertext ‖ tag` (`plaintext.len() + 28` bytes).
    pub fn seal_prefixed<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        let mut nonce = [0u8; AEAD_NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let sealed = self.seal(&nonce, aad, plaintext)?;
        let mut out = Vec::with_capacity(AEAD_NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens the output of [`seal_prefixed`](Self::seal_prefixed).
    ///
    /// Errors: input shorter than nonce and tag (28 bytes), or failed
    /// authentication.
    pub fn open_prefixed(&self, aad: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        let min = AEAD_NONCE_LEN + AEAD_TAG_LEN;
        let Some((nonce, ciphertext)) = data.split_first_chunk::<AEAD_NONCE_LEN>() else {
            return Err(short(data.len(), min));
        };
        if ciphertext.len() < AEAD_TAG_LEN {
            return Err(short(data.len(), min));
        }
        self.open(nonce, aad, ciphertext)
    }
}

fn short(len: usize, min: usize) -> CryptoError {
    CryptoError::input(
        "AEAD ciphertext",
        format!("{len} bytes is shorter than nonce and tag ({min} bytes)"),
    )
}

impl From<&PairwiseKey> for AeadKey {
    /// The AEAD key with a pairwise key's bytes. Derive it with a context
    /// of its own (see [`pairwise_key`](super::pairwise_key)): do not use
    /// the same key for the AEAD and for [`Prf`](super::Prf).
    fn from(key: &PairwiseKey) -> Self {
        Self::from_bytes(key.as_bytes())
    }
}

impl fmt::Debug for AeadKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AeadKey(<redacted>)")
    }
}
