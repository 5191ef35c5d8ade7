//! The discrete Laplace distribution, sampled exactly.

use rand_core::CryptoRng;

use super::geometric::Geometric;
use super::uniform::uniform_below;
use crate::rational::ExactScale;
use crate::sampler::NoiseSampler;

/// Discrete Laplace on the integers with scale τ: `P(k) ∝ exp(-|k|/τ)`.
///
/// Canonne–Kamath–Steinke 2020, Alg. 2: a geometric magnitude `Y` (see
/// [`Geometric`]) and a fair sign `B`, rejecting `(B = 1, Y = 0)` so that zero
/// is not counted twice. Exact: integer arithmetic only, no floating-point
/// tails. Adding it to an integer sum of sensitivity Δ with τ = Δ/ε is
/// ε-differentially private.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteLaplace {
    magnitude: Geometric,
}

impl DiscreteLaplace {
    /// Discrete Laplace with scale τ.
    pub fn new(scale: ExactScale) -> Self {
        DiscreteLaplace {
            magnitude: Geometric::new(scale),
        }
    }

    /// The scale τ.
    pub fn scale(&self) -> ExactScale {
        self.magnitude.scale()
    }

    /// Variance `2q/(1-q)²` with `q = exp(-1/τ)`.
    pub fn variance(&self) -> f64 {
        let q = self.magnitude.ratio();
        2.0 * q / ((1.0 - q) * (1.0 - q))
    }

    /// `P(X = k)` (floating point, for tests and reports).
    pub fn pmf(&self, k: i64) -> f64 {
        let q = self.magnitude.ratio();
        (1.0 - q) / (1.0 + q) * q.powf(k.unsigned_abs() as f64)
    }
}

impl NoiseSampler for DiscreteLaplace {
    type Output = i64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        loop {
            let y = self.magnitude.sample(rng);
            let negative = uniform_below(rng, 2) == 1;
            if negative && y == 0 {
                continue;
            }
            let y = i64::try_from(y).unwrap_or(i64::MAX);
            return if negative { -y } else { y };
        }
    }
}
