//! Distributed discrete Laplace noise: Pólya (negative-binomial) shares.
//!
//! None of the papers has this; it is what sums modulo m (DREAM §4.2,
//! Chiaroscuro's Damgård–Jurik sums) need instead of continuous gamma shares.
//! Derivation and proof notes: `docs/noise.md`.

use rand_core::CryptoRng;

use super::geometric::Geometric;
use super::uniform::uniform_below;
use crate::error::{DpError, Result};
use crate::rational::ExactScale;
use crate::sampler::NoiseSampler;

/// Negative binomial NB(1/n, q), `q = exp(-1/τ)`: `P(k) = Γ(k + 1/n) / (k! Γ(1/n)) · (1-q)^(1/n) · q^k`.
///
/// The sum of `n` independent copies is NB(1, q), the [`Geometric`]
/// distribution. Sampled exactly, in `O(log G)` expected integer steps, by
/// running that construction backwards:
///
/// 1. draw the total `G ~ NB(1, q)` exactly;
/// 2. given the total, one share of shape `1/n` out of shapes summing to 1 is
///    beta-binomial `BB(G; 1/n, 1 - 1/n)`: the number of colour-1 draws in a
///    Pólya urn started with weights `1/n` and `1 - 1/n`;
/// 3. an urn whose weights sum to 1 is a Chinese restaurant process with
///    concentration 1 whose tables get colour 1 independently with
///    probability `1/n`; its table sizes are the cycle lengths of a uniform
///    random permutation of `G` elements, drawn one cycle at a time (the
///    cycle through the first remaining element has a uniform length).
///
/// So: `rest = G`; while `rest > 0`, draw `L` uniform on `1..=rest`, keep
/// `L` with probability `1/n`, and set `rest -= L`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NegativeBinomial {
    total: Geometric,
    parties: u64,
}

impl NegativeBinomial {
    /// NB(1/parties, exp(-1/scale)). `parties` must be at least 1.
    pub fn new(parties: u64, scale: ExactScale) -> Result<Self> {
        if parties == 0 {
            return Err(DpError::invalid("parties", "must be at least 1"));
        }
        Ok(NegativeBinomial {
            total: Geometric::new(scale),
            parties,
        })
    }

    /// The shape's denominator n (shape = 1/n).
    pub fn parties(&self) -> u64 {
        self.parties
    }

    /// The success ratio `q`.
    pub fn ratio(&self) -> f64 {
        self.total.ratio()
    }
}

impl NoiseSampler for NegativeBinomial {
    type Output = u64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> u64 {
        let mut rest = self.total.sample(rng);
        if self.parties == 1 {
            return rest;
        }
        let mut kept: u64 = 0;
        while rest > 0 {
            let cycle = 1 + uniform_below(rng, rest);
            if uniform_below(rng, self.parties) == 0 {
                kept += cycle;
            }
            rest -= cycle;
        }
        kept
    }
}

/// One party's share of distributed discrete Laplace noise: the difference of
/// two independent [`NegativeBinomial`] NB(1/N, q) draws.
///
/// The shares of `N` parties sum **exactly** to discrete Laplace with scale τ
/// (NB is infinitely divisible: N shares of shape 1/N sum to NB(1, q), the
/// geometric, and the difference of two geometrics is discrete Laplace). If
/// fewer than N shares arrive the sum is short of the target; calibrate for
/// failures with [`crate::calibrate::FailureTolerance`] (DREAM §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PolyaShare {
    half: NegativeBinomial,
}

impl PolyaShare {
    /// A share for `parties` parties of discrete Laplace noise with scale τ.
    pub fn new(parties: u64, scale: ExactScale) -> Result<Self> {
        Ok(PolyaShare {
            half: NegativeBinomial::new(parties, scale)?,
        })
    }

    /// The number of parties N the share is calibrated for.
    pub fn parties(&self) -> u64 {
        self.half.parties()
    }

    /// Variance of one share, `2·(1/N)·q/(1-q)²`.
    pub fn variance(&self) -> f64 {
        let q = self.half.ratio();
        2.0 * q / ((1.0 - q) * (1.0 - q)) / self.parties() as f64
    }
}

impl NoiseSampler for PolyaShare {
    type Output = i64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        let a = i64::try_from(self.half.sample(rng)).unwrap_or(i64::MAX);
        let b = i64::try_from(self.half.sample(rng)).unwrap_or(i64::MAX);
        a - b
    }
}
