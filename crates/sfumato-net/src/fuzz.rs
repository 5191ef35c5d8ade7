//! A fuzz-style check of the frame decoder, for the test suite (a few
//! thousand cases) and the benchmark (millions): streams of valid frames,
//! random bytes, and valid frames mutated (bytes flipped, lengths changed,
//! cut short), fed to [`FrameDecoder`] in random pieces.
//!
//! What must hold: no panic; every frame before the first damaged byte
//! comes out intact and in order (nothing lost); a damaged stream either
//! waits for more bytes or fails with an error, and stays failed; and
//! payloads decode to a message or an error, never a panic.

use serde::de::DeserializeOwned;
use sfumato_protocol::NodeId;
use sfumato_protocol::dream::DreamMessage;

use crate::frame::{Frame, FrameDecoder};

/// A valid DREAM message's encoding chosen by `x`: readings, second-round
/// requests and answers (the payloads the fuzz check mutates).
pub fn dream_payload(x: u64) -> Vec<u8> {
    let m = match x % 3 {
        0 => DreamMessage::Reading {
            slot: x as u32,
            ciphertext: x,
        },
        1 => DreamMessage::Recover {
            slot: 1,
            missing: vec![x as u32 % 7; (x % 5) as usize],
        },
        _ => DreamMessage::Recovery { slot: 2, value: x },
    };
    sfumato_protocol::encode(&m).unwrap_or_default()
}

/// What a fuzz run saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FuzzReport {
    /// Frames fed (valid or mutated).
    pub frames: u64,
    /// Valid frames that came out intact.
    pub intact: u64,
    /// Streams that ended in an error.
    pub errors: u64,
    /// Streams that stopped waiting for more bytes.
    pub waiting: u64,
    /// Payloads that decoded to a message.
    pub messages: u64,
    /// Payloads that did not.
    pub bad_payloads: u64,
    /// Violations of the properties (must be 0).
    pub violations: u64,
}

/// SplitMix64: a small deterministic generator for test data (not for
/// anything secret).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Runs about `frames` frames through the decoder, seeded, limit
/// `max_frame`; payloads are decoded as `M`. `valid_payload` makes the
/// payload of a valid frame.
pub fn fuzz_frames<M: DeserializeOwned>(
    frames: u64,
    seed: u64,
    max_frame: usize,
    valid_payload: &mut dyn FnMut(u64) -> Vec<u8>,
) -> FuzzReport {
    let mut r = FuzzReport::default();
    let mut rng = Mix(seed);
    while r.frames < frames {
        // A stream: some valid frames, then maybe damage.
        let count = 1 + rng.below(8);
        let mut good: Vec<Frame> = Vec::new();
        let mut stream = Vec::new();
        for _ in 0..count {
            let payload = if rng.below(4) == 0 {
                let n = rng.below(64) as usize;
                rng.bytes(n)
            } else {
                valid_payload(rng.next())
            };
            let f = Frame {
                from: NodeId(rng.next() as u32),
                to: NodeId(rng.next() as u32),
                epoch: rng.next(),
                seq: rng.next(),
                payload,
            };
            if let Ok(bytes) = f.encode(max_frame) {
                stream.extend(bytes);
                good.push(f);
            }
        }
        r.frames += good.len() as u64;
        let clean = stream.len();
        let damage = rng.below(4);
        match damage {
            0 => {}
            1 => {
                // Random bytes after the frames.
                let n = 1 + rng.below(48) as usize;
                stream.extend(rng.bytes(n));
                r.frames += 1;
            }
            2 => {
                // Flip bytes somewhere.
                for _ in 0..1 + rng.below(4) {
                    let i = rng.below(stream.len() as u64) as usize;
                    stream[i] ^= 1 << rng.below(8);
                }
            }
            _ => {
                // Cut short.
                stream.truncate(rng.below(stream.len() as u64) as usize);
            }
        }
        // The first damaged byte: frames wholly before it must come out.
        let first_bad = match damage {
            0 | 1 => clean,
            _ => stream
                .iter()
                .zip(
                    good.iter()
                        .flat_map(|f| f.encode(max_frame).unwrap_or_default()),
                )
                .position(|(a, b)| *a != b)
                .unwrap_or(stream.len().min(clean)),
        };
        let mut d = FrameDecoder::new(max_frame);
        let mut out = Vec::new();
        let mut failed = false;
        let mut at = 0;
        while at < stream.len() && !failed {
            let piece = 1 + rng.below(97) as usize;
            let end = (at + piece).min(stream.len());
            d.push(&stream[at..end]);
            at = end;
            loop {
                match d.next_frame() {
                    Ok(Some(f)) => out.push(f),
                    Ok(None) => break,
                    Err(_) => {
                        failed = true;
                        break;
                    }
                }
            }
        }
        if failed {
            r.errors += 1;
            if d.next_frame().is_ok() {
                r.violations += 1;
            }
        } else if d.pending() > 0 {
            r.waiting += 1;
        }
        // Intact prefix: every good frame that ends before the damage.
        let mut end = 0;
        for (i, g) in good.iter().enumerate() {
            end += 4 + crate::frame::HEADER_LEN + g.payload.len();
            if end > first_bad {
                break;
            }
            match out.get(i) {
                Some(f) if f == g => r.intact += 1,
                _ => r.violations += 1,
            }
        }
        if damage == 0 && (out != good || failed) {
            r.violations += 1;
        }
        for f in &out {
            match sfumato_protocol::decode::<M>(&f.payload) {
                Ok(_) => r.messages += 1,
                Err(_) => r.bad_payloads += 1,
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twenty_thousand_random_and_mutated_frames() {
        let mut payload = dream_payload;
        let r = fuzz_frames::<DreamMessage>(20_000, 7, 4096, &mut payload);
        assert_eq!(r.violations, 0, "{r:?}");
        assert!(r.frames >= 20_000);
        assert!(
            r.intact > 5_000 && r.errors > 1_000 && r.messages > 1_000 && r.bad_payloads > 100,
            "{r:?}"
        );
    }
}
