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

use chacha20::ChaCha8;
use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use rand_core::{TryCryptoRng, TryRng};
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

/// Words (u32) per ChaCha block.
const BLOCK_WORDS: u64 = 16;

/// A node's stream, positioned at some word.
///
/// Block `b` of stream `s` is the ChaCha8 keystream block with the
/// 96-bit nonce `s (8 bytes LE) ‖ b >> 32 (4 bytes LE)` and block counter
/// `b mod 2³²`; words are taken in order, little-endian. One block is
/// computed at a time: a node that draws a single number per round pays
/// for 64 bytes, not for a generator's whole buffer.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct NodeRng {
    key: [u8; 32],
    stream: u64,
    /// The next block to compute.
    next_block: u64,
    buf: [u32; 16],
    /// Next unread word of `buf` (16: empty).
    idx: usize,
}

impl NodeRng {
    /// Stream `stream` of `key`, at word position `position` (rounded up to
    /// a whole block).
    pub fn at(key: &RngKey, stream: u64, position: u64) -> NodeRng {
        NodeRng {
            key: key.0,
            stream,
            next_block: position.div_ceil(BLOCK_WORDS),
            buf: [0; 16],
            idx: 16,
        }
    }

    /// The position from which the next, independent use must start: the
    /// next whole block.
    pub fn next_position(&self) -> u64 {
        self.next_block.saturating_mul(BLOCK_WORDS)
    }

    fn refill(&mut self) {
        let b = self.next_block;
        let mut nonce = [0u8; 12];
        nonce[..8].copy_from_slice(&self.stream.to_le_bytes());
        nonce[8..].copy_from_slice(&((b >> 32) as u32).to_le_bytes());
        let mut cipher = ChaCha8::new(&self.key.into(), &nonce.into());
        cipher.seek((b & 0xffff_ffff) * 64);
        let mut bytes = [0u8; 64];
        cipher.write_keystream(&mut bytes);
        for (w, chunk) in self.buf.iter_mut().zip(bytes.chunks_exact(4)) {
            let mut four = [0u8; 4];
            four.copy_from_slice(chunk);
            *w = u32::from_le_bytes(four);
        }
        bytes.zeroize();
        self.next_block = b.wrapping_add(1);
        self.idx = 0;
    }

    fn word(&mut self) -> u32 {
        if self.idx == 16 {
            self.refill();
        }
        let w = self.buf[self.idx];
        self.idx += 1;
        w
    }
}

/// A uniform variate in the open interval (0, 1) from the top 53 bits of
/// one word: for public choices and centralized baselines, never for the
/// exact noise protocols release data with.
pub fn open_unit<R: rand_core::Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
}

/// `rand_core`'s traits for a generator of 32-bit words: words in order,
/// a u64 as two words (low first), bytes as little-endian words.
macro_rules! word_rng {
    ($t:ty) => {
        impl TryRng for $t {
            type Error = Infallible;

            fn try_next_u32(&mut self) -> Result<u32, Infallible> {
                Ok(self.word())
            }

            fn try_next_u64(&mut self) -> Result<u64, Infallible> {
                let lo = u64::from(self.word());
                let hi = u64::from(self.word());
                Ok(lo | hi << 32)
            }

            fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
                for chunk in dst.chunks_mut(4) {
                    let w = self.word().to_le_bytes();
                    chunk.copy_from_slice(&w[..chunk.len()]);
                }
                Ok(())
            }
        }

        impl TryCryptoRng for $t {}
    };
}

word_rng!(NodeRng);

/// Bytes a [`BulkRng`] computes at a time (16 ChaCha blocks).
const BULK_BYTES: usize = 1024;

/// A ChaCha8 stream for a node's heavy, short-lived uses (thousands of
/// noise shares at once): keyed by 32 bytes drawn from the node's
/// [`NodeRng`], so a run still replays bit for bit, with one key set-up for
/// the whole stream and 1 KiB of keystream computed at a time. The
/// keystream buffer is zeroed on drop (the cipher zeroes its own state).
pub struct BulkRng {
    cipher: ChaCha8,
    buf: [u8; BULK_BYTES],
    /// Next unread byte of `buf` (a multiple of 4).
    idx: usize,
}

impl BulkRng {
    /// A fresh stream keyed from `parent`.
    pub fn from_node(parent: &mut NodeRng) -> BulkRng {
        let mut key = [0u8; 32];
        for chunk in key.chunks_mut(4) {
            chunk.copy_from_slice(&parent.word().to_le_bytes());
        }
        let cipher = ChaCha8::new(&key.into(), &[0u8; 12].into());
        key.zeroize();
        BulkRng {
            cipher,
            buf: [0; BULK_BYTES],
            idx: BULK_BYTES,
        }
    }

    #[inline]
    fn word(&mut self) -> u32 {
        if self.idx == BULK_BYTES {
            self.buf.fill(0);
            self.cipher.apply_keystream(&mut self.buf);
            self.idx = 0;
        }
        let i = self.idx;
        self.idx += 4;
        u32::from_le_bytes([
            self.buf[i],
            self.buf[i + 1],
            self.buf[i + 2],
            self.buf[i + 3],
        ])
    }
}

impl Drop for BulkRng {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

word_rng!(BulkRng);

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;

    #[test]
    fn bulk_streams_replay_and_differ_from_their_parent() {
        let key = RngKey::from_seed(3);
        let mut a = NodeRng::at(&key, 1, 0);
        let mut b = NodeRng::at(&key, 1, 0);
        let (mut x, mut y) = (BulkRng::from_node(&mut a), BulkRng::from_node(&mut b));
        let xs: Vec<u64> = (0..600).map(|_| x.next_u64()).collect();
        let ys: Vec<u64> = (0..600).map(|_| y.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs[0], a.next_u64());
        assert!(xs.iter().collect::<std::collections::BTreeSet<_>>().len() > 590);
    }

    #[test]
    fn positions_replay_and_never_overlap() {
        let key = RngKey::from_seed(42);
        let mut a = NodeRng::at(&key, 5, 0);
        let first: Vec<u64> = (0..3).map(|_| a.next_u64()).collect();
        let next = a.next_position();
        assert_eq!(next, 16);
        let mut again = NodeRng::at(&key, 5, 0);
        let replay: Vec<u64> = (0..3).map(|_| again.next_u64()).collect();
        assert_eq!(first, replay);
        let mut b = NodeRng::at(&key, 5, next);
        assert!(!first.contains(&b.next_u64()));
        // Drawing a whole block lands exactly on the next boundary.
        let mut c = NodeRng::at(&key, 5, 0);
        for _ in 0..8 {
            c.next_u64();
        }
        assert_eq!(c.next_position(), 16);
        c.next_u32();
        assert_eq!(c.next_position(), 32);
        assert!(format!("{key:?}").contains(".."));
    }

    #[test]
    fn the_stream_is_the_chacha8_keystream() {
        use chacha20::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
        let key = RngKey::from_bytes([7; 32]);
        let mut r = NodeRng::at(&key, 3, 32);
        let mut bytes = [0u8; 16];
        r.fill_bytes(&mut bytes);
        let mut nonce = [0u8; 12];
        nonce[0] = 3;
        let mut c = ChaCha8::new(&[7u8; 32].into(), &nonce.into());
        c.seek(2 * 64u64);
        let mut expected = [0u8; 16];
        c.write_keystream(&mut expected);
        assert_eq!(bytes, expected);
        // Far positions use the high nonce word instead of overflowing.
        let mut far = NodeRng::at(&key, 3, 16 * (1u64 << 32));
        far.next_u64();
        assert_eq!(far.next_position(), 16 * ((1u64 << 32) + 1));
    }

    #[test]
    fn node_streams_drive_the_exact_uniform_sampler_evenly() {
        use sfumato_dp::exact::uniform_below;
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
