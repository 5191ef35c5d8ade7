//! The four noise mechanisms by name, and "the sum of N parties' shares" as one
//! draw — what a supplier or a gossip sum ends up adding to an aggregate.

use core::fmt;
use core::str::FromStr;

use rand_core::CryptoRng;

use crate::continuous::{GammaShare, Laplace};
use crate::error::{DpError, Result};
use crate::exact::{DiscreteLaplace, PolyaShare};
use crate::rational::ExactScale;
use crate::sampler::NoiseSampler;

/// A noise mechanism, named as on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Mechanism {
    /// Central continuous Laplace(λ) ([`Laplace`]).
    Laplace,
    /// N gamma shares summing to Laplace(λ) (DREAM Lemma 1, [`GammaShare`]).
    GammaShares,
    /// Central exact discrete Laplace(τ) ([`DiscreteLaplace`]).
    DiscreteLaplace,
    /// N Pólya shares summing exactly to discrete Laplace(τ) ([`PolyaShare`]).
    PolyaShares,
}

impl Mechanism {
    /// All mechanisms, in display order.
    pub const ALL: [Mechanism; 4] = [
        Mechanism::Laplace,
        Mechanism::GammaShares,
        Mechanism::DiscreteLaplace,
        Mechanism::PolyaShares,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Laplace => "laplace",
            Mechanism::GammaShares => "gamma-shares",
            Mechanism::DiscreteLaplace => "discrete-laplace",
            Mechanism::PolyaShares => "polya-shares",
        }
    }

    /// Whether each of N parties draws a share (as opposed to one central draw).
    pub fn is_distributed(self) -> bool {
        matches!(self, Mechanism::GammaShares | Mechanism::PolyaShares)
    }

    /// Whether samples are integers drawn exactly.
    pub fn is_exact(self) -> bool {
        matches!(self, Mechanism::DiscreteLaplace | Mechanism::PolyaShares)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Mechanism {
    type Err = DpError;
    fn from_str(s: &str) -> Result<Self> {
        Mechanism::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| DpError::Parse {
                text: s.to_string(),
                expected: "one of laplace, gamma-shares, discrete-laplace, polya-shares",
            })
    }
}

/// One value of noise: real for the continuous mechanisms, integer for the
/// exact ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Noise {
    /// A continuous sample.
    Real(f64),
    /// An exact integer sample.
    Integer(i64),
}

impl Noise {
    /// The value as `f64` (exact for integers below 2⁵³).
    pub fn as_f64(self) -> f64 {
        match self {
            Noise::Real(x) => x,
            Noise::Integer(k) => k as f64,
        }
    }
}

impl fmt::Display for Noise {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Noise::Real(x) => write!(f, "{x}"),
            Noise::Integer(k) => write!(f, "{k}"),
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Inner {
    Laplace(Laplace),
    Gamma(GammaShare),
    Discrete(DiscreteLaplace),
    Polya(PolyaShare),
}

/// The total noise one aggregate receives under a mechanism: one central draw,
/// or the sum of `parties` independently drawn shares.
#[derive(Clone, Copy, Debug)]
pub struct AggregateNoise {
    mechanism: Mechanism,
    parties: u64,
    inner: Inner,
}

impl AggregateNoise {
    /// Noise of scale `scale` (decimal or fraction text, read exactly for the
    /// exact mechanisms) shared among `parties` parties. Central mechanisms
    /// need `parties == 1`.
    pub fn new(mechanism: Mechanism, scale: &str, parties: u64) -> Result<Self> {
        if parties == 0 {
            return Err(DpError::invalid("parties", "must be at least 1"));
        }
        if !mechanism.is_distributed() && parties != 1 {
            return Err(DpError::invalid(
                "parties",
                format!(
                    "{mechanism} is drawn centrally; parties apply only to gamma-shares and polya-shares"
                ),
            ));
        }
        let real_scale = || -> Result<f64> {
            let r = crate::rational::parse_rational(scale)?;
            let l = crate::rational::ratio_to_f64_up(&r);
            if l.is_finite() && l > 0.0 {
                Ok(l)
            } else {
                Err(DpError::invalid(
                    "scale",
                    format!("must be a finite positive number (got {scale})"),
                ))
            }
        };
        let inner = match mechanism {
            Mechanism::Laplace => Inner::Laplace(Laplace::new(real_scale()?)?),
            Mechanism::GammaShares => Inner::Gamma(GammaShare::new(parties, real_scale()?)?),
            Mechanism::DiscreteLaplace => {
                Inner::Discrete(DiscreteLaplace::new(ExactScale::parse(scale)?))
            }
            Mechanism::PolyaShares => {
                Inner::Polya(PolyaShare::new(parties, ExactScale::parse(scale)?)?)
            }
        };
        Ok(AggregateNoise {
            mechanism,
            parties,
            inner,
        })
    }

    /// The mechanism.
    pub fn mechanism(&self) -> Mechanism {
        self.mechanism
    }

    /// Number of shares summed per draw.
    pub fn parties(&self) -> u64 {
        self.parties
    }

    /// Variance of the total noise: 2λ² (Laplace) or 2q/(1−q)² (discrete).
    pub fn variance(&self) -> f64 {
        match self.inner {
            Inner::Laplace(l) => 2.0 * l.scale() * l.scale(),
            Inner::Gamma(g) => g.variance() * self.parties as f64,
            Inner::Discrete(d) => d.variance(),
            Inner::Polya(p) => p.variance() * self.parties as f64,
        }
    }

    /// Variance of one party's share (equal to [`Self::variance`] for central
    /// mechanisms).
    pub fn share_variance(&self) -> f64 {
        self.variance() / self.parties as f64
    }

    /// One party's share (the whole draw for central mechanisms).
    pub fn draw_share<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Noise {
        match &self.inner {
            Inner::Laplace(l) => Noise::Real(l.sample(rng)),
            Inner::Gamma(g) => Noise::Real(g.sample(rng)),
            Inner::Discrete(d) => Noise::Integer(d.sample(rng)),
            Inner::Polya(p) => Noise::Integer(p.sample(rng)),
        }
    }

    /// The total: the sum of `parties` independently drawn shares.
    pub fn draw<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Noise {
        match &self.inner {
            Inner::Laplace(l) => Noise::Real(l.sample(rng)),
            Inner::Discrete(d) => Noise::Integer(d.sample(rng)),
            Inner::Gamma(g) => Noise::Real((0..self.parties).map(|_| g.sample(rng)).sum()),
            Inner::Polya(p) => Noise::Integer(
                (0..self.parties).fold(0i64, |acc, _| acc.saturating_add(p.sample(rng))),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(m.name().parse::<Mechanism>().unwrap(), m);
        }
        assert!("gauss".parse::<Mechanism>().is_err());
    }

    #[test]
    fn central_mechanisms_refuse_parties() {
        assert!(AggregateNoise::new(Mechanism::Laplace, "1", 5).is_err());
        assert!(AggregateNoise::new(Mechanism::PolyaShares, "1", 0).is_err());
        assert!(AggregateNoise::new(Mechanism::PolyaShares, "-1", 3).is_err());
        assert!(AggregateNoise::new(Mechanism::GammaShares, "1e999", 3).is_err());
        assert!(AggregateNoise::new(Mechanism::PolyaShares, "2.5", 3).is_ok());
    }
}
