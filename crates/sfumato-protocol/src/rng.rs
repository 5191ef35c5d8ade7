//! Per-node randomness derived from the run seed and the node id
//! (ARCHITECTURE.md, "The node model").
//!
//! A run has one 256-bit [`RngKey`] (SHA-256 of a domain label and the
//! seed). Node `i` draws from the ChaCha8 keystream with that key and
//! stream number `i` (RFC 8439's nonce), and remembers only its word
//! position: eight bytes per node rather than a whole generator, so ten
//! million nodes fit, and the stream a node sees depends on nothing but the
//! seed, its id and its own history — not on the shard or the thread that
//! runs it. ChaCha with 8 rounds keeps a wide security margin (the best
//! attacks reach 7 rounds; Aumasson, "Too Much Crypto", 2019) at two thirds
//! of ChaCha12's cost, which matters when ten million nodes each draw every
//! round; the noise samplers of `sfumato-dp` accept it as a `CryptoRng`.

use core::convert::Infallible;

use chacha20::ChaCha8Rng;
use rand_core::{SeedableRng, TryCryptoRng, TryRng};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// The run-wide key of all node streams (zeroized on drop, never printed).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct RngKey([u8; 32]);

impl core::fmt::Debug for RngKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RngKey(..)")
    }
}

impl RngKey {
    /// The key of the run with seed `seed`.
    pub fn from_seed(seed: u64) -> RngKey {
        let mut h = Sha256::new();
        h.update(b"sfumato node rng v1");
        h.update(seed.to_le_bytes());
        RngKey(h.finalize().into())
    }

    /// A key from 32 bytes of secret randomness (the network runtime).
    pub fn from_bytes(bytes: [u8; 32]) -> RngKey {
        RngKey(bytes)
    }
}

/// Positions are multiples of one refill of the generator (4 ChaCha blocks,
/// 64 words), so that successive calls never reuse a word.
const REFILL_WORDS: u128 = 64;

/// A node's stream, positioned at some word.
pub struct NodeRng(ChaCha8Rng);

impl NodeRng {
    /// Stream `stream` of `key`, at word position `position`.
    pub fn at(key: &RngKey, stream: u64, position: u64) -> NodeRng {
        let mut rng = ChaCha8Rng::from_seed(key.0);
        rng.set_stream(stream);
        rng.set_word_pos(u128::from(position));
        NodeRng(rng)
    }

    /// The position from which the next, independent use must start: the
    /// current position rounded up to a whole refill.
    pub fn next_position(&self) -> u64 {
        let pos = self.0.get_word_pos();
        let rounded = pos.div_ceil(REFILL_WORDS) * REFILL_WORDS;
        u64::try_from(rounded).unwrap_or(u64::MAX)
    }
}

impl TryRng for NodeRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        self.0.try_next_u32()
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        self.0.try_next_u64()
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.try_fill_bytes(dst)
    }
}

impl TryCryptoRng for NodeRng {}

/// Uniform integer in `0..bound` (`bound > 0`) by Lemire's multiply-and-
/// reject method: exact, no modulo bias.
pub fn uniform_below<R: rand_core::Rng + ?Sized>(rng: &mut R, bound: u64) -> u64 {
    debug_assert!(bound > 0);
    let bound = bound.max(1);
    let threshold = bound.wrapping_neg() % bound;
    loop {
        let m = u128::from(rng.next_u64()) * u128::from(bound);
        if (m as u64) >= threshold {
            return (m >> 64) as u64;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn positions_replay_and_never_overlap() {
        let key = RngKey::from_seed(42);
        let mut a = NodeRng::at(&key, 5, 0);
        let first: Vec<u64> = (0..3).map(|_| a.next_u64()).collect();
        let next = a.next_position();
        assert_eq!(next, 64);
        let mut again = NodeRng::at(&key, 5, 0);
        let replay: Vec<u64> = (0..3).map(|_| again.next_u64()).collect();
        assert_eq!(first, replay);
        let mut b = NodeRng::at(&key, 5, next);
        assert!(!first.contains(&b.next_u64()));
        // Drawing a whole refill lands exactly on the next boundary.
        let mut c = NodeRng::at(&key, 5, 0);
        for _ in 0..32 {
            c.next_u64();
        }
        assert_eq!(c.next_position(), 64);
        c.next_u32();
        assert_eq!(c.next_position(), 128);
        assert!(format!("{key:?}").contains(".."));
    }

    #[test]
    fn uniform_below_covers_the_range_evenly() {
        let key = RngKey::from_seed(1);
        let mut r = NodeRng::at(&key, 0, 0);
        let mut counts = [0u32; 7];
        for _ in 0..70_000 {
            counts[uniform_below(&mut r, 7) as usize] += 1;
        }
        // Each bin expects 10,000 (sd ≈ 93); 6 sd is α ≈ 1e-9 per bin.
        for c in counts {
            assert!((c as i64 - 10_000).abs() < 560, "{counts:?}");
        }
    }
}
