//! Where the generator's randomness comes from.
//!
//! Every household, every household-day and every day's weather has its own
//! ChaCha8 stream, seeded from the run seed and that object's identity only.
//! So household #k on a given date is the same whether 10 or 10 million
//! households are generated, in whatever batches, on however many threads.
//! (Load traces are not secret: a fast stream cipher is plenty here.)

use rand_chacha::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

/// Which kind of object a stream belongs to.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub(crate) enum Stream {
    /// A household's lasting attributes (size, appliances, bulbs).
    Household = 0x686f_7573_6568_6f6c,
    /// One household-day.
    Day = 0x6461_7920_6f66_2075,
    /// One date's weather, shared by all households.
    Weather = 0x7765_6174_6865_7221,
    /// The model's calibration sample.
    Calibration = 0x6361_6c69_6272_6174,
    /// A synthetic patient's tumour series.
    Patient = 0x7061_7469_656e_7421,
    /// A synthetic 2-D point or cluster centre.
    Point = 0x706f_696e_7432_6421,
    /// A CER-like daily profile (which pool day, how it is perturbed).
    Profile = 0x7072_6f66_696c_6521,
    /// The date of a CER-like pool day.
    ProfilePool = 0x706f_6f6c_6461_7921,
    /// One replicated copy of a real series.
    Replica = 0x7265_706c_6963_6121,
}

/// SplitMix64's finaliser: a bijection of u64 with good avalanche.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The random stream of object `(a, b)` of kind `stream` in the run `seed`.
pub(crate) fn stream(seed: u64, kind: Stream, a: u64, b: u64) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    let words = [
        mix(seed ^ kind as u64),
        mix(a.wrapping_add(0x9e37_79b9_7f4a_7c15) ^ mix(seed)),
        mix(b ^ 0x632b_e59b_d9b4_e019 ^ mix(a ^ kind as u64)),
        mix(seed.wrapping_add(a).wrapping_add(b) ^ 0xd6e8_feb8_6659_fd93),
    ];
    for (chunk, w) in key.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_le_bytes());
    }
    ChaCha8Rng::from_seed(key)
}

/// Uniform in [0, 1).
#[inline]
pub(crate) fn uniform<R: Rng + ?Sized>(r: &mut R) -> f64 {
    (r.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// True with probability `p`.
#[inline]
pub(crate) fn bernoulli<R: Rng + ?Sized>(r: &mut R, p: f64) -> bool {
    uniform(r) < p
}

/// Standard exponential.
#[inline]
pub(crate) fn exp1<R: Rng + ?Sized>(r: &mut R) -> f64 {
    -(1.0 - uniform(r)).ln()
}

/// Standard normal (Box–Muller, one of the pair).
pub(crate) fn normal<R: Rng + ?Sized>(r: &mut R) -> f64 {
    let u1 = 1.0 - uniform(r);
    let u2 = uniform(r);
    (-2.0 * u1.ln()).sqrt() * (core::f64::consts::TAU * u2).cos()
}

/// Lognormal with the given median and log-sd.
pub(crate) fn lognormal<R: Rng + ?Sized>(r: &mut R, median: f64, sigma: f64) -> f64 {
    if sigma == 0.0 {
        median
    } else {
        median * (sigma * normal(r)).exp()
    }
}

/// Lognormal with mean 1 and log-sd `sigma`: a multiplicative spread.
pub(crate) fn spread<R: Rng + ?Sized>(r: &mut R, sigma: f64) -> f64 {
    lognormal(r, (-0.5 * sigma * sigma).exp(), sigma)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_differ_and_replay() {
        let a = stream(1, Stream::Day, 5, 7).next_u64();
        assert_eq!(a, stream(1, Stream::Day, 5, 7).next_u64());
        for other in [
            stream(2, Stream::Day, 5, 7),
            stream(1, Stream::Household, 5, 7),
            stream(1, Stream::Day, 7, 5),
            stream(1, Stream::Day, 5, 8),
        ] {
            let mut other = other;
            assert_ne!(a, other.next_u64());
        }
    }

    #[test]
    fn moments() {
        let mut r = stream(3, Stream::Calibration, 0, 0);
        let n = 200_000;
        let (mut s, mut s2, mut e, mut sp) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let z = normal(&mut r);
            s += z;
            s2 += z * z;
            e += exp1(&mut r);
            sp += spread(&mut r, 0.4);
        }
        let n = n as f64;
        assert!((s / n).abs() < 0.02 && (s2 / n - 1.0).abs() < 0.02);
        assert!((e / n - 1.0).abs() < 0.02);
        assert!((sp / n - 1.0).abs() < 0.02);
    }
}
