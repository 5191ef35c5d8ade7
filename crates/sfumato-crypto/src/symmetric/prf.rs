//! A keyed pseudo-random function for per-slot values: DREAM §5.2 Phase 2
//! steps 1–2 evaluate PRF(K_{i,j}, r) for every pairwise key and every
//! slot; Tremel §6.6 draws each pair's shared noise from a PRF of their
//! shared secret and the round.
//!
//! # Construction
//!
//! `PRF(K, N)` is the ChaCha20 keystream (RFC 8439 §2.4, IETF variant:
//! 256-bit key, 96-bit nonce, 32-bit block counter starting at 0) under key
//! `K` and nonce `N`, read as consecutive little-endian 64-bit words:
//! word `w` is keystream bytes `8w .. 8w + 8`.
//!
//! Why ChaCha20: its block function keyed by `K` and indexed by
//! (nonce, counter) is the standard PRF assumption behind ChaCha20 and
//! ChaCha20-Poly1305, so no new assumption is added; it has no key schedule
//! (a fresh key costs nothing, which matters when a meter evaluates one PRF
//! per pairwise key per slot); one 64-byte block yields 8 words, so a
//! DREAM slot costs one block per key; it is constant-time in software on
//! the small CPUs of meters, which lack AES instructions; and `chacha20`
//! (RustCrypto) is already in the dependency tree. HMAC-SHA256 would cost
//! two SHA-256 compressions a call, about twice a ChaCha20 block; keyed
//! BLAKE3 would be as fast but adds a dependency for no gain.
//!
//! # Nonces
//!
//! A [`PrfNonce`] is the 12-byte ChaCha20 nonce. `PrfNonce::new(domain,
//! counter)` lays it out as `LE64(counter) ‖ LE32(domain)`, so different
//! uses of one key (DREAM's r_1 and r_2, say) get disjoint inputs by
//! choosing different `domain`s; a bare `u64` is `new(0, counter)`; raw
//! 12-byte strings are accepted as they are. The nonce is public: the
//! secrecy is all in the key.
//!
//! One (key, nonce) pair gives at most [`MAX_WORDS`] words (2^32 blocks,
//! ChaCha20's counter range); asking for more is an error.

use core::fmt;

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::keys::PairwiseKey;
use crate::error::{CryptoError, Result};

/// Length in bytes of a PRF key.
pub const PRF_KEY_LEN: usize = 32;

/// Length in bytes of a PRF nonce (the ChaCha20 IETF nonce).
pub const PRF_NONCE_LEN: usize = 12;

/// Most 64-bit words one (key, nonce) pair yields: 2^32 − 1 ChaCha20
/// blocks of 8 words each (the last counter value is left unused, as the
/// `chacha20` crate refuses to wrap its 32-bit counter).
pub const MAX_WORDS: u64 = ((1 << 32) - 1) * 8;

/// The public input of the PRF: a 96-bit ChaCha20 nonce.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PrfNonce([u8; PRF_NONCE_LEN]);

impl PrfNonce {
    /// The nonce `LE64(counter) ‖ LE32(domain)`: `counter` is the slot (or
    /// round) number, `domain` separates the uses of one key.
    pub const fn new(domain: u32, counter: u64) -> Self {
        let c = counter.to_le_bytes();
        let d = domain.to_le_bytes();
        Self([
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], d[0], d[1], d[2], d[3],
        ])
    }

    /// The nonce with exactly these bytes.
    pub const fn from_bytes(bytes: [u8; PRF_NONCE_LEN]) -> Self {
        Self(bytes)
    }

    /// The 12 bytes given to ChaCha20.
    pub const fn as_bytes(&self) -> &[u8; PRF_NONCE_LEN] {
        &self.0
    }
}

impl From<u64> for PrfNonce {
    /// `PrfNonce::new(0, counter)`.
    fn from(counter: u64) -> Self {
        Self::new(0, counter)
    }
}

impl From<[u8; PRF_NONCE_LEN]> for PrfNonce {
    fn from(bytes: [u8; PRF_NONCE_LEN]) -> Self {
        Self(bytes)
    }
}

impl TryFrom<&[u8]> for PrfNonce {
    type Error = CryptoError;

    /// Exactly 12 bytes; any other length is refused (no silent padding,
    /// which would let two different byte strings name the same input).
    fn try_from(bytes: &[u8]) -> Result<Self> {
        let array: [u8; PRF_NONCE_LEN] = bytes.try_into().map_err(|_| {
            CryptoError::input(
                "PRF nonce",
                format!("must be {PRF_NONCE_LEN} bytes, got {}", bytes.len()),
            )
        })?;
        Ok(Self(array))
    }
}

impl fmt::Debug for PrfNonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrfNonce({})", super::hex::encode(&self.0))
    }
}

/// The keyed PRF. Holds only the 32-byte key, which zeroizes on drop and
/// is never printed.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Prf {
    key: [u8; PRF_KEY_LEN],
}

impl Prf {
    /// The PRF keyed by `key`.
    pub fn new(key: &[u8; PRF_KEY_LEN]) -> Self {
        Self { key: *key }
    }

    /// The key, for a node's durable state only (a runtime that must
    /// survive a restart stores it where only the node can read it). The
    /// copy zeroizes on drop.
    pub fn to_key_bytes(&self) -> zeroize::Zeroizing<[u8; PRF_KEY_LEN]> {
        zeroize::Zeroizing::new(self.key)
    }

    fn stream(&self, nonce: PrfNonce) -> ChaCha20 {
        ChaCha20::new(&self.key.into(), &nonce.0.into())
    }

    /// The first 64-bit word of the stream for `nonce`.
    pub fn word(&self, nonce: impl Into<PrfNonce>) -> u64 {
        let mut bytes = [0u8; 8];
        self.stream(nonce.into()).write_keystream(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    /// The first `out.len()` words of the stream for `nonce`.
    ///
    /// Errors if `out.len()` exceeds [`MAX_WORDS`].
    pub fn fill_words(&self, nonce: impl Into<PrfNonce>, out: &mut [u64]) -> Result<()> {
        check_count(out.len())?;
        let mut stream = self.stream(nonce.into());
        let mut block = [0u8; 64];
        for chunk in out.chunks_mut(8) {
            let bytes = &mut block[..8 * chunk.len()];
            bytes.fill(0);
            stream.try_write_keystream(bytes).map_err(|_| exhausted())?;
            for (word, b) in chunk.iter_mut().zip(bytes.chunks_exact(8)) {
                *word = u64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
            }
        }
        block.zeroize();
        Ok(())
    }

    /// The first `n` words of the stream for `nonce`.
    ///
    /// Errors if `n` exceeds [`MAX_WORDS`].
    pub fn words(&self, nonce: impl Into<PrfNonce>, n: usize) -> Result<Vec<u64>> {
        check_count(n)?;
        let mut out = vec![0u64; n];
        self.fill_words(nonce, &mut out)?;
        Ok(out)
    }

    /// A uniform value in [0, 1): the top 53 bits of [`word`](Self::word)
    /// times 2^-53, so every multiple of 2^-53 in [0, 1) is equally likely.
    pub fn uniform(&self, nonce: impl Into<PrfNonce>) -> f64 {
        word_to_unit(self.word(nonce))
    }

    /// A uniform integer in [0, m), without modulo bias.
    ///
    /// Rejection sampling on the stream for `nonce`: the first word `w`
    /// with `w ≥ 2^64 mod m` gives `w mod m`. Each word is rejected with
    /// probability below 1/2 (and never when `m` is a power of two), so
    /// the expected cost is under two words; the result depends only on
    /// (key, nonce, m).
    ///
    /// Errors: `m = 0`.
    pub fn below(&self, nonce: impl Into<PrfNonce>, m: u64) -> Result<u64> {
        if m == 0 {
            return Err(CryptoError::invalid(
                "m",
                "the range [0, m) is empty for m = 0",
            ));
        }
        let threshold = m.wrapping_neg() % m; // 2^64 mod m
        let mut stream = self.stream(nonce.into());
        let mut bytes = [0u8; 8];
        loop {
            // Ends with an error only after MAX_WORDS consecutive
            // rejections, each of probability < 1/2.
            bytes.fill(0);
            stream
                .try_write_keystream(&mut bytes)
                .map_err(|_| exhausted())?;
            let w = u64::from_le_bytes(bytes);
            if w >= threshold {
                return Ok(w % m);
            }
        }
    }
}

impl From<&PairwiseKey> for Prf {
    /// The PRF keyed by a pairwise key. Derive the key with a context of
    /// its own (see [`pairwise_key`](super::pairwise_key)): do not use the
    /// same key for the PRF and for [`AeadKey`](super::AeadKey).
    fn from(key: &PairwiseKey) -> Self {
        Self::new(key.as_bytes())
    }
}

impl fmt::Debug for Prf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Prf(<redacted>)")
    }
}

/// The top 53 bits of `w` as a multiple of 2^-53 in [0, 1).
pub(crate) fn word_to_unit(w: u64) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (w >> 11) as f64 * SCALE
}

fn exhausted() -> CryptoError {
    CryptoError::Overflow(format!(
        "the PRF stream of one (key, nonce) pair ends after {MAX_WORDS} words"
    ))
}

fn check_count(n: usize) -> Result<()> {
    if u64::try_from(n).map_or(true, |n| n > MAX_WORDS) {
        return Err(CryptoError::invalid(
            "n",
            format!("one (key, nonce) pair yields at most {MAX_WORDS} words, asked for {n}"),
        ));
    }
    Ok(())
}
