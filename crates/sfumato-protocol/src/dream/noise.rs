//! One meter's noise share (DREAM §4.1, Lemma 1; §6 for N − M parties).

use serde::{Deserialize, Serialize};
use sfumato_dp::{GammaShare, NoiseSampler, PolyaShare};

use crate::dream::params::Lambda;
use crate::error::{ProtocolError, Result};

/// Which shares the meters add.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoiseKind {
    /// Exact Pólya shares: any `parties` of them sum to a discrete Laplace
    /// of scale λ, sampled on integers with no floating point (the default:
    /// the sum is taken modulo 2⁶⁴).
    Discrete,
    /// The paper's gamma shares G₁(n, λ) − G₂(n, λ), rounded to whole units
    /// (for reproducing its tables).
    Gamma,
}

/// A sampler of one kind of share, calibrated once for `parties` parties
/// and scale λ, for drawing many shares (Chiaroscuro §4.2.2 draws k·(n+1)
/// per participant and iteration).
#[derive(Clone, Copy, Debug)]
pub enum ShareSampler {
    /// Exact Pólya shares.
    Discrete(PolyaShare),
    /// Gamma shares, rounded to whole units.
    Gamma(GammaShare),
}

impl ShareSampler {
    /// The sampler of `kind` shares for `parties` parties and scale λ.
    pub fn new(kind: NoiseKind, parties: u64, lambda: &Lambda) -> Result<ShareSampler> {
        let invalid = |e: sfumato_dp::DpError| ProtocolError::invalid("noise", e.to_string());
        Ok(match kind {
            NoiseKind::Discrete => {
                ShareSampler::Discrete(PolyaShare::new(parties, lambda.exact).map_err(invalid)?)
            }
            NoiseKind::Gamma => {
                ShareSampler::Gamma(GammaShare::new(parties, lambda.value).map_err(invalid)?)
            }
        })
    }

    /// One share, in whole units.
    pub fn sample<R: rand_core::CryptoRng + ?Sized>(&self, rng: &mut R) -> i64 {
        match self {
            ShareSampler::Discrete(s) => s.sample(rng),
            ShareSampler::Gamma(s) => {
                let x = s.sample(rng).round();
                if x.is_finite() {
                    x.clamp(-9.0e18, 9.0e18) as i64
                } else {
                    0
                }
            }
        }
    }
}

/// A share for a cluster whose noise is calibrated for `parties` meters.
pub fn noise_share<R: rand_core::CryptoRng + ?Sized>(
    kind: NoiseKind,
    parties: u64,
    lambda: &Lambda,
    rng: &mut R,
) -> Result<i64> {
    Ok(ShareSampler::new(kind, parties, lambda)?.sample(rng))
}
