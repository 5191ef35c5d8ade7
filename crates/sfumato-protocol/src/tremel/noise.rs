//! The noise of Tremel's Byzantine-tolerant queries (§6.6), as designed in
//! docs/tremel-bft.md: every meter's contribution is
//! `w = clamp(v) + η + z(i→s) − z(p→i)`, where
//!
//! * `z(a→b)` is the **paired noise** of the pair (a, b) of the query's
//!   first overlay round: a discrete Laplace draw both ends derive from
//!   their X25519 pairwise key and the query number, with no message
//!   (§6.6). It hides a record from the Byzantine proxies that glimpse it
//!   and cancels in the sum when both ends contribute;
//! * `η` is the meter's **aggregate noise share**: a Pólya share such that
//!   any `parties` honest shares sum to a discrete Laplace of the target
//!   scale (`sfumato_dp::exact::PolyaShare`). Carried inside the tuple, it
//!   is summed identically by every correct group, so the owner's `t + 1`
//!   matching answers are one noisy answer, not independent draws.
//!
//! All noise is exact integer sampling; nothing here reads a clock or OS
//! randomness.

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};
use sfumato_crypto::symmetric::{PairwiseKey, Prf, PrfNonce};
use sfumato_dp::{DiscreteLaplace, ExactScale, NoiseSampler, PolyaShare};

use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};

/// The PRF domain of paired noise (distinct from every other use of a
/// pairwise key).
const PAIR_NOISE_DOMAIN: u32 = 0x7e3e_0001;

/// `z(a→b)` for query `query`: a discrete Laplace draw of `scale` from a
/// ChaCha20 stream seeded by `PRF(K_ab, query)`. Both ends of the pair get
/// the same value; another query or pair gets an independent one.
pub fn pair_noise(key: &PairwiseKey, query: u64, scale: ExactScale) -> i64 {
    let prf = Prf::from(key);
    let mut seed = [0u8; 32];
    for (i, chunk) in seed.chunks_exact_mut(8).enumerate() {
        let word = prf.word(PrfNonce::new(
            PAIR_NOISE_DOMAIN,
            query.wrapping_mul(4) + i as u64,
        ));
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    let mut rng = ChaCha20Rng::from_seed(seed);
    zeroize::Zeroize::zeroize(&mut seed);
    DiscreteLaplace::new(scale).sample(&mut rng)
}

/// A meter's aggregate noise share: any `parties` of them sum to a
/// discrete Laplace of `scale`.
pub fn aggregate_share<R: CryptoRng + ?Sized>(
    rng: &mut R,
    parties: u64,
    scale: ExactScale,
) -> Result<i64> {
    let share = PolyaShare::new(parties, scale)
        .map_err(|e| ProtocolError::invalid("noise parties", e.to_string()))?;
    Ok(share.sample(rng))
}

/// A meter's contribution: its value clamped into `[lo, hi]` (the
/// pollution filter's range, §6.4), plus its share, plus the noise it pairs
/// with its successor, minus the noise its predecessor pairs with it.
/// Saturates rather than wraps.
pub fn contribution(v: i64, lo: i64, hi: i64, share: i64, z_out: i64, z_in: i64) -> i64 {
    v.clamp(lo.min(hi), hi.max(lo))
        .saturating_add(share)
        .saturating_add(z_out)
        .saturating_sub(z_in)
}

/// The noise of one summed field (Byzantine variant), fixed by the owner's
/// planner and broadcast with the query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldNoise {
    /// The field.
    pub field: u16,
    /// `λ_sum` as `num / den`: the honest shares sum to `DLap(λ_sum)`.
    pub sum_scale: (u64, u64),
    /// `λ_rec` as `num / den`: each pair's noise is `DLap(λ_rec)`.
    pub record_scale: (u64, u64),
    /// The pollution filter's slack `B`: a proxy refuses a tuple whose
    /// value lies outside `[lo − B, hi + B]` (see [`band`]).
    pub band: i64,
}

/// A query's noise (Byzantine variant, docs/tremel-bft.md).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoisePlan {
    /// Honest meters the aggregate shares are calibrated for (`n − t − f`).
    pub parties: u64,
    /// Meters: identifiers `0 … meters − 1` contribute; the spares above
    /// them do not, so a pair with a spare draws no paired noise.
    pub meters: u64,
    /// One entry per summed field.
    pub fields: Vec<FieldNoise>,
}

impl FieldNoise {
    /// `λ_sum`.
    pub fn sum(&self) -> Result<ExactScale> {
        scale(self.sum_scale)
    }

    /// `λ_rec`.
    pub fn record(&self) -> Result<ExactScale> {
        scale(self.record_scale)
    }
}

fn scale((num, den): (u64, u64)) -> Result<ExactScale> {
    ExactScale::new(num, den).map_err(|e| ProtocolError::invalid("noise scale", e.to_string()))
}

impl NoisePlan {
    /// Checks the plan (also one received from the network).
    pub fn validate(&self) -> Result<()> {
        if self.parties == 0 || self.fields.is_empty() {
            return Err(ProtocolError::invalid(
                "noise",
                "a noise plan needs parties and fields",
            ));
        }
        for f in &self.fields {
            f.sum()?;
            f.record()?;
            if f.band < 0 {
                return Err(ProtocolError::invalid("noise", "a negative band"));
            }
        }
        Ok(())
    }

    /// The noise of `field`, if it is summed with noise.
    pub fn field(&self, field: u16) -> Option<&FieldNoise> {
        self.fields.iter().find(|f| f.field == field)
    }
}

/// The pollution filter's slack: a bound `B` with
/// `P(|η + z_out − z_in| > B) ≤ β` for an honest tuple. A Pólya share is
/// stochastically smaller in magnitude than the whole discrete Laplace
/// (its shape is `1/parties ≤ 1`), and `P(|DLap(λ)| > b) ≤ 2e^{−b/λ}`, so
/// by a union bound over the three terms `B = (λ_sum + 2λ_rec)·ln(6/β)`.
pub fn band(sum_scale: f64, record_scale: f64, beta: f64) -> i64 {
    let b = (sum_scale + 2.0 * record_scale) * (6.0 / beta).ln();
    if b.is_finite() && b < 9.0e18 {
        b.ceil() as i64
    } else {
        i64::MAX / 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use sfumato_crypto::symmetric::{AgreementKeyPair, pairwise_key};
    use sfumato_dp::goodness_of_fit::chi_square_test;

    fn ring(n: usize, seed: u64) -> Vec<AgreementKeyPair> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| AgreementKeyPair::generate(&mut rng))
            .collect()
    }

    /// The key of the pair (i, i + 1) in a ring of meters.
    fn key(keys: &[AgreementKeyPair], a: usize, b: usize) -> PairwiseKey {
        pairwise_key(&keys[a], &keys[b].public_key(), b"tremel/pair-noise").unwrap()
    }

    #[test]
    fn both_ends_derive_the_same_noise_and_it_cancels_in_the_sum() {
        let scale = ExactScale::new(50, 1).unwrap();
        let keys = ring(12, 3);
        let n = keys.len();
        // Each end computes the pair's noise from its own side.
        let out: Vec<i64> = (0..n)
            .map(|i| pair_noise(&key(&keys, i, (i + 1) % n), 9, scale))
            .collect();
        let seen_by_succ: Vec<i64> = (0..n)
            .map(|i| pair_noise(&key(&keys, (i + 1) % n, i), 9, scale))
            .collect();
        assert_eq!(out, seen_by_succ);
        assert!(out.iter().any(|z| *z != 0));
        // Another query draws afresh.
        let other: Vec<i64> = (0..n)
            .map(|i| pair_noise(&key(&keys, i, (i + 1) % n), 10, scale))
            .collect();
        assert_ne!(out, other);
        let w: Vec<i64> = (0..n)
            .map(|i| contribution(100 + i as i64, 0, 1000, 0, out[i], out[(i + n - 1) % n]))
            .collect();
        assert_eq!(
            w.iter().sum::<i64>(),
            (0..n as i64).map(|i| 100 + i).sum::<i64>()
        );
        // A missing meter c leaves its two pairs unpaired.
        let c = 5;
        let sum_without: i64 = (0..n).filter(|i| *i != c).map(|i| w[i]).sum();
        let truth_without: i64 = (0..n as i64)
            .filter(|i| *i != c as i64)
            .map(|i| 100 + i)
            .sum();
        assert_eq!(sum_without - truth_without, out[c - 1] - out[c]);
        // Values are clamped into the range first.
        assert_eq!(contribution(-5, 0, 10, 0, 0, 0), 0);
        assert_eq!(contribution(99, 0, 10, 1, 2, 3), 10);
    }

    /// The published noise — the sum of `parties` honest shares, the pairs
    /// cancelled — is the discrete Laplace of the target scale (chi-square,
    /// fixed seed, α = 10⁻⁴).
    #[test]
    fn the_honest_shares_sum_to_the_target_discrete_laplace() {
        let scale = ExactScale::new(8, 1).unwrap();
        let parties = 20;
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let sums: Vec<i64> = (0..20_000)
            .map(|_| {
                (0..parties)
                    .map(|_| aggregate_share(&mut rng, parties, scale).unwrap())
                    .sum()
            })
            .collect();
        let target = DiscreteLaplace::new(scale);
        let fit = chi_square_test(&sums, |k| target.pmf(k));
        assert!(fit.p_value > 1e-4, "{fit:?}");
        // A wrong scale is told apart.
        let wrong = DiscreteLaplace::new(ExactScale::new(6, 1).unwrap());
        assert!(chi_square_test(&sums, |k| wrong.pmf(k)).p_value < 1e-4);
        assert!(aggregate_share(&mut rng, 0, scale).is_err());
    }
}
