//! The geometric distribution with ratio `exp(-1/τ)`, sampled exactly.

use rand_core::CryptoRng;

use super::bernoulli::bernoulli_exp_neg;
use super::uniform::uniform_below;
use crate::rational::ExactScale;
use crate::sampler::NoiseSampler;

/// Geometric distribution on {0, 1, 2, …} with `P(k) = (1 - q)·q^k`,
/// `q = exp(-1/τ)` for an exact rational scale τ.
///
/// Sampled with the first half of Canonne–Kamath–Steinke 2020 Alg. 2: for
/// τ = t/s, draw `X` with `P(X = x) ∝ exp(-x/t)` as `U + t·V` (U uniform on
/// `[0, t)` accepted with probability `exp(-U/t)`, V counting `exp(-1)`
/// successes), then return `⌊X/s⌋`. Only integer arithmetic is used.
///
/// Its mean is `q / (1 - q) ≈ τ`. It is the negative binomial NB(1, q), whose
/// difference of two independent copies is the discrete Laplace distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometric {
    scale: ExactScale,
}

impl Geometric {
    /// Geometric with ratio `exp(-1/scale)`.
    pub fn new(scale: ExactScale) -> Self {
        Geometric { scale }
    }

    /// The scale τ.
    pub fn scale(&self) -> ExactScale {
        self.scale
    }

    /// The ratio `q = exp(-1/τ)` (floating point, for reporting and tests).
    pub fn ratio(&self) -> f64 {
        (-1.0 / self.scale.to_f64()).exp()
    }
}

impl NoiseSampler for Geometric {
    type Output = u64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> u64 {
        let t = self.scale.numerator();
        let s = self.scale.denominator();
        loop {
            let u = uniform_below(rng, t);
            if !bernoulli_exp_neg(rng, u, t) {
                continue;
            }
            let mut v: u64 = 0;
            while bernoulli_exp_neg(rng, 1, 1) {
                v = v.saturating_add(1);
            }
            let x = u128::from(u).saturating_add(u128::from(t).saturating_mul(u128::from(v)));
            let y = x / u128::from(s);
            return u64::try_from(y).unwrap_or(u64::MAX);
        }
    }
}
