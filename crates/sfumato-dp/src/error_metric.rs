//! DREAM's utility measure: the relative error of a noised aggregate
//! (Def. 2) and its expected value and deviation under failure-tolerant noise
//! (Thm. 2).

use crate::error::{DpError, Result};

/// δ_t = |f(D_t) − f̂(D_t)| / (f(D_t) + 1), the error in one slot (DREAM Def. 2).
pub fn relative_error(exact: f64, noised: f64) -> f64 {
    (exact - noised).abs() / (exact + 1.0)
}

/// Mean and standard deviation of a stream of values (Welford's method).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ErrorSummary {
    count: u64,
    mean: f64,
    m2: f64,
}

impl ErrorSummary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let d = x - self.mean;
        self.mean += d / self.count as f64;
        self.m2 += d * (x - self.mean);
    }

    /// Number of values.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Their mean (μ of Def. 2 when the values are δ_t); 0 if empty.
    pub fn mean(&self) -> f64 {
        self.mean
    }

    /// Their population standard deviation (σ of Def. 2); 0 if fewer than 2.
    pub fn std_dev(&self) -> f64 {
        if self.count < 2 {
            0.0
        } else {
            (self.m2 / self.count as f64).sqrt()
        }
    }
}

impl FromIterator<f64> for ErrorSummary {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut s = ErrorSummary::new();
        for x in iter {
            s.push(x);
        }
        s
    }
}

/// The beta function B(x, y) = Γ(x)Γ(y)/Γ(x+y), for x, y > 0.
pub fn beta(x: f64, y: f64) -> f64 {
    (libm::lgamma(x) + libm::lgamma(y) - libm::lgamma(x + y)).exp()
}

/// DREAM Thm. 2: expected error μ and its deviation σ in a slot with exact
/// aggregate `aggregate` when every party adds a share calibrated for
/// N − M = (1 − α)N parties and all N report, so the noise is
/// G(a, λ) − G(a, λ) with shape a = 1/(1 − α).
///
/// `μ = 2/B(1/2, a) · λ/(x + 1)`, `σ = √(2a − 4/B(1/2, a)²) · λ/(x + 1)`.
/// (The extracted paper text puts λ/(x+1) inside the square root; the
/// paper's own remark that σ = μ at α = 0 holds only with it outside, which
/// is also what E|Z|² = 2aλ² gives.) Both are equalities; the paper states
/// them as bounds because fewer than N may report.
pub fn theorem2_bounds(alpha: f64, lambda: f64, aggregate: f64) -> Result<(f64, f64)> {
    if !(0.0..1.0).contains(&alpha) {
        return Err(DpError::invalid(
            "alpha",
            format!("must be in [0, 1) (got {alpha})"),
        ));
    }
    if !(lambda.is_finite() && lambda > 0.0) {
        return Err(DpError::invalid(
            "scale",
            format!("must be positive (got {lambda})"),
        ));
    }
    if !(aggregate.is_finite() && aggregate > -1.0) {
        return Err(DpError::invalid(
            "aggregate",
            format!("must be finite and above −1 (got {aggregate})"),
        ));
    }
    let a = 1.0 / (1.0 - alpha);
    let b = beta(0.5, a);
    let unit = lambda / (aggregate + 1.0);
    let mu = 2.0 / b * unit;
    let sigma = (2.0 * a - 4.0 / (b * b)).max(0.0).sqrt() * unit;
    Ok((mu, sigma))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn def2() {
        assert_eq!(relative_error(99.0, 109.0), 0.1);
        assert_eq!(relative_error(0.0, -1.0), 1.0);
    }

    #[test]
    fn summary_matches_two_pass() {
        let xs = [1.0, 2.0, 4.0, 8.0];
        let s: ErrorSummary = xs.iter().copied().collect();
        assert_eq!(s.count(), 4);
        assert!((s.mean() - 3.75).abs() < 1e-15);
        let var = xs.iter().map(|x| (x - 3.75) * (x - 3.75)).sum::<f64>() / 4.0;
        assert!((s.std_dev() - var.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn beta_known_values() {
        assert!((beta(0.5, 1.0) - 2.0).abs() < 1e-12);
        assert!((beta(0.5, 0.5) - std::f64::consts::PI).abs() < 1e-12);
        assert!((beta(2.0, 3.0) - 1.0 / 12.0).abs() < 1e-14);
    }

    #[test]
    fn theorem2_without_failures_is_laplace() {
        // α = 0: noise is Laplace(λ), E|Z| = λ and sd|Z| = λ.
        let (mu, sigma) = theorem2_bounds(0.0, 10.0, 99.0).unwrap();
        assert!((mu - 0.1).abs() < 1e-12);
        assert!((sigma - 0.1).abs() < 1e-12);
    }

    #[test]
    fn theorem2_grows_with_alpha_and_sigma_below_mu() {
        let mut last = 0.0;
        for alpha in [0.0, 0.1, 0.3, 0.5, 0.9] {
            let (mu, sigma) = theorem2_bounds(alpha, 1.0, 0.0).unwrap();
            assert!(mu > last);
            assert!(sigma <= mu + 1e-12);
            last = mu;
        }
        assert!(theorem2_bounds(1.0, 1.0, 0.0).is_err());
    }
}
