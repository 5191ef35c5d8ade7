//! Continuous (floating-point) Laplace noise and DREAM's gamma noise shares.
//!
//! Kept for reproducing the papers' figures. Floating-point samplers leak
//! through their low-order bits (Mironov, CCS 2012): anything released for
//! real, and anything summed modulo m, should use [`crate::exact`].

use rand_core::CryptoRng;
use rand_distr::{Distribution, Exp1, Gamma};

use crate::error::{DpError, Result};
use crate::sampler::NoiseSampler;

fn check_scale(lambda: f64) -> Result<()> {
    if lambda.is_finite() && lambda > 0.0 {
        Ok(())
    } else {
        Err(DpError::invalid(
            "scale",
            format!("must be a finite positive number (got {lambda})"),
        ))
    }
}

/// Laplace(λ): density `exp(-|x|/λ) / (2λ)` (DREAM §3.4, Chiaroscuro Def. 4),
/// drawn as λ·(E₁ − E₂) for independent standard exponentials.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Laplace {
    lambda: f64,
}

impl Laplace {
    /// Laplace with scale λ > 0.
    pub fn new(lambda: f64) -> Result<Self> {
        check_scale(lambda)?;
        Ok(Laplace { lambda })
    }

    /// The scale λ.
    pub fn scale(&self) -> f64 {
        self.lambda
    }

    /// Cumulative distribution function.
    pub fn cdf(&self, x: f64) -> f64 {
        laplace_cdf(x, self.lambda)
    }
}

/// CDF of Laplace(λ) at `x`.
pub fn laplace_cdf(x: f64, lambda: f64) -> f64 {
    if x < 0.0 {
        0.5 * (x / lambda).exp()
    } else {
        1.0 - 0.5 * (-x / lambda).exp()
    }
}

impl NoiseSampler for Laplace {
    type Output = f64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> f64 {
        let a: f64 = Exp1.sample(rng);
        let b: f64 = Exp1.sample(rng);
        self.lambda * (a - b)
    }
}

/// One party's share of Laplace noise: G₁(N, λ) − G₂(N, λ), two independent
/// gamma variables of shape 1/N and scale λ (DREAM Lemma 1, §4.1;
/// Chiaroscuro Def. 5 "noise-share"). N shares sum to Laplace(λ).
#[derive(Clone, Copy, Debug)]
pub struct GammaShare {
    gamma: Gamma<f64>,
    parties: u64,
    lambda: f64,
}

impl GammaShare {
    /// A share for `parties` parties of Laplace(λ) noise.
    pub fn new(parties: u64, lambda: f64) -> Result<Self> {
        check_scale(lambda)?;
        if parties == 0 {
            return Err(DpError::invalid("parties", "must be at least 1"));
        }
        let gamma = Gamma::new(1.0 / parties as f64, lambda)
            .map_err(|e| DpError::invalid("scale", e.to_string()))?;
        Ok(GammaShare {
            gamma,
            parties,
            lambda,
        })
    }

    /// The number of parties N.
    pub fn parties(&self) -> u64 {
        self.parties
    }

    /// The scale λ of the summed noise.
    pub fn scale(&self) -> f64 {
        self.lambda
    }

    /// Variance of one share, `2λ²/N`.
    pub fn variance(&self) -> f64 {
        2.0 * self.lambda * self.lambda / self.parties as f64
    }

    /// One gamma component G(N, λ) alone (shape 1/N, scale λ).
    pub fn sample_component<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.gamma.sample(rng)
    }
}

impl NoiseSampler for GammaShare {
    type Output = f64;

    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> f64 {
        let a = self.gamma.sample(rng);
        let b = self.gamma.sample(rng);
        a - b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_scales() {
        for l in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(Laplace::new(l).is_err());
            assert!(GammaShare::new(3, l).is_err());
        }
        assert!(GammaShare::new(0, 1.0).is_err());
    }

    #[test]
    fn cdf_is_symmetric() {
        let l = Laplace::new(2.0).unwrap();
        assert_eq!(l.cdf(0.0), 0.5);
        assert!((l.cdf(1.3) + l.cdf(-1.3) - 1.0).abs() < 1e-15);
    }
}
