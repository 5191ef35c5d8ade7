//! Calibrating noise to sensitivity and privacy: λ = Δ/ε, the vector-sum
//! sensitivity of Chiaroscuro Def. 4, and DREAM §6's tolerance of failures.

use num_rational::BigRational;
use num_traits::Signed;

use crate::budget::Epsilon;
use crate::error::{DpError, Result};
use crate::rational::{ExactScale, ratio_to_f64_up};

fn positive_finite(name: &'static str, x: f64) -> Result<()> {
    if x.is_finite() && x > 0.0 {
        Ok(())
    } else {
        Err(DpError::invalid(
            name,
            format!("must be a finite positive number (got {x})"),
        ))
    }
}

/// The Laplace scale λ = Δ/ε that makes a query of L1 sensitivity Δ
/// ε-differentially private (DREAM Thm. 1; Dwork et al. 2006). Rounded up
/// to the next `f64`, never down.
pub fn laplace_scale(sensitivity: f64, epsilon: f64) -> Result<f64> {
    positive_finite("sensitivity", sensitivity)?;
    positive_finite("epsilon", epsilon)?;
    let exact = BigRational::from_float(sensitivity)
        .zip(BigRational::from_float(epsilon))
        .map(|(s, e)| s / e)
        .ok_or_else(|| DpError::invalid("epsilon", "not a finite number"))?;
    let lambda = ratio_to_f64_up(&exact);
    positive_finite("scale", lambda)?;
    Ok(lambda)
}

/// The exact discrete-Laplace scale τ = Δ/ε for an integer-valued query of
/// sensitivity Δ (rational, e.g. read with [`crate::rational::parse_rational`]).
pub fn exact_scale(sensitivity: &BigRational, epsilon: &Epsilon) -> Result<ExactScale> {
    if !sensitivity.is_positive() {
        return Err(DpError::invalid("sensitivity", "must be positive"));
    }
    if epsilon.is_zero() {
        return Err(DpError::invalid("epsilon", "must be positive"));
    }
    ExactScale::from_ratio(&(sensitivity / epsilon.as_ratio()))
}

/// L1 sensitivity of the dimension-wise sum of time series of length `n` whose
/// values lie in `[d_min, d_max]`, under insertion or deletion of one series:
/// `n · max(|d_min|, |d_max|)` (Chiaroscuro Def. 4). For CER daily profiles
/// (24 hourly values in [0, 80]) it is 1920.
pub fn vector_sum_sensitivity(n: u64, d_min: f64, d_max: f64) -> Result<f64> {
    if n == 0 {
        return Err(DpError::invalid("length", "must be at least 1"));
    }
    if !(d_min.is_finite() && d_max.is_finite()) || d_min > d_max {
        return Err(DpError::invalid(
            "range",
            format!("need finite d_min ≤ d_max (got [{d_min}, {d_max}])"),
        ));
    }
    let s = n as f64 * d_min.abs().max(d_max.abs());
    if s == 0.0 {
        return Err(DpError::invalid(
            "range",
            "[0, 0] has zero sensitivity: nothing to protect",
        ));
    }
    Ok(s)
}

/// DREAM §6: noise shares calibrated so that the target noise is reached when
/// at least `parties − max_failures` of `parties` shares arrive.
///
/// Each party draws a share for `N − M` parties; if all N report, the
/// aggregate carries the extra noise of M shares (DREAM Thm. 2 bounds the
/// error this costs, see [`crate::error_metric::theorem2_bounds`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureTolerance {
    parties: u64,
    max_failures: u64,
}

impl FailureTolerance {
    /// Tolerates up to `max_failures` (M) of `parties` (N); needs M < N.
    pub fn new(parties: u64, max_failures: u64) -> Result<Self> {
        if parties == 0 {
            return Err(DpError::invalid("parties", "must be at least 1"));
        }
        if max_failures >= parties {
            return Err(DpError::invalid(
                "max-failures",
                format!("must be below the number of parties ({max_failures} ≥ {parties})"),
            ));
        }
        Ok(FailureTolerance {
            parties,
            max_failures,
        })
    }

    /// Tolerates a fraction α = M/N of failures, M = ⌊α·N⌋ (DREAM Table 1).
    pub fn from_fraction(parties: u64, alpha: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&alpha) {
            return Err(DpError::invalid(
                "alpha",
                format!("must be in [0, 1) (got {alpha})"),
            ));
        }
        Self::new(parties, (alpha * parties as f64).floor() as u64)
    }

    /// N.
    pub fn parties(&self) -> u64 {
        self.parties
    }

    /// M.
    pub fn max_failures(&self) -> u64 {
        self.max_failures
    }

    /// α = M/N.
    pub fn alpha(&self) -> f64 {
        self.max_failures as f64 / self.parties as f64
    }

    /// The N − M parties each share is drawn for: pass this as `parties` to
    /// [`crate::continuous::GammaShare`] or [`crate::exact::PolyaShare`].
    pub fn share_parties(&self) -> u64 {
        self.parties - self.max_failures
    }

    /// Variance of the noise when `reporting` parties deliver their share, as
    /// a multiple of the target noise's variance: `reporting / (N − M)`.
    /// Below 1 means privacy is not guaranteed for this aggregate.
    pub fn noise_ratio(&self, reporting: u64) -> f64 {
        reporting as f64 / self.share_parties() as f64
    }

    /// Whether an aggregate of `reporting` shares still reaches the target noise.
    pub fn is_private_with(&self, reporting: u64) -> bool {
        reporting >= self.share_parties()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rational::parse_rational;

    #[test]
    fn cer_sensitivity_is_1920() {
        assert_eq!(vector_sum_sensitivity(24, 0.0, 80.0).unwrap(), 1920.0);
        assert_eq!(vector_sum_sensitivity(20, 0.0, 50.0).unwrap(), 1000.0);
        assert_eq!(vector_sum_sensitivity(2, -7.0, 3.0).unwrap(), 14.0);
        assert!(vector_sum_sensitivity(0, 0.0, 1.0).is_err());
        assert!(vector_sum_sensitivity(3, 2.0, 1.0).is_err());
        assert!(vector_sum_sensitivity(3, 0.0, 0.0).is_err());
    }

    #[test]
    fn scale_is_sensitivity_over_epsilon_rounded_up() {
        assert_eq!(laplace_scale(1200.0, 0.5).unwrap(), 2400.0);
        let l = laplace_scale(1.0, 0.1).unwrap();
        assert!(BigRational::from_float(l).unwrap() >= parse_rational("10").unwrap());
        assert!(laplace_scale(1.0, 0.0).is_err());
        assert!(laplace_scale(-1.0, 1.0).is_err());
        assert!(laplace_scale(1e300, 1e-300).is_err());
    }

    #[test]
    fn exact_scale_is_exact() {
        let eps = Epsilon::parse("0.69").unwrap();
        let s = exact_scale(&parse_rational("1920").unwrap(), &eps).unwrap();
        assert_eq!((s.numerator(), s.denominator()), (64000, 23));
    }

    #[test]
    fn failure_tolerance() {
        let f = FailureTolerance::new(100, 10).unwrap();
        assert_eq!(f.share_parties(), 90);
        assert!((f.alpha() - 0.1).abs() < 1e-15);
        assert!(f.is_private_with(90));
        assert!(!f.is_private_with(89));
        assert!(FailureTolerance::new(10, 10).is_err());
        assert_eq!(
            FailureTolerance::from_fraction(300, 0.3)
                .unwrap()
                .max_failures(),
            90
        );
        assert!(FailureTolerance::from_fraction(300, 1.0).is_err());
    }
}
