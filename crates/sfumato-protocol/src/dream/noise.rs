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

/// A share for a cluster whose noise is calibrated for `parties` meters.
pub fn noise_share<R: rand_core::CryptoRng + ?Sized>(
    kind: NoiseKind,
    parties: u64,
    lambda: &Lambda,
    rng: &mut R,
) -> Result<i64> {
    match kind {
        NoiseKind::Discrete => {
            let s = PolyaShare::new(parties, lambda.exact)
                .map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
            Ok(s.sample(rng))
        }
        NoiseKind::Gamma => {
            let s = GammaShare::new(parties, lambda.value)
                .map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
            let x = s.sample(rng).round();
            Ok(if x.is_finite() {
                x.clamp(-9.0e18, 9.0e18) as i64
            } else {
                0
            })
        }
    }
}
