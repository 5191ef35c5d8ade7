//! Probabilistic differential privacy of gossip sums (Chiaroscuro App. B).
//!
//! Gossip (epidemic) sums are approximate. Chiaroscuro relaxes ε-DP to
//! (ε, δ)-probabilistic DP (Def. 3): each perturbed value is private with
//! probability at least δ_atom, and all of them together with probability δ.
//!
//! Two places where the extracted paper text and its own worked examples
//! disagree are resolved in favour of the examples (both reproduce the
//! paper's numbers; see the tests):
//! - δ_atom is the `(n_it^max · 2n)`-th root of δ (the text shows a `+`, but
//!   the example takes the 480-th root for n_it^max = 10, n = 24, and
//!   footnote 11 raises to the 480-th power);
//! - the failure probability ι of Theorem 3 is `1 − δ_atom`: this gives the
//!   example's n_e = 47 and footnote 11's δ = (1 − 2·10⁻⁵¹)⁴⁸⁰.

use crate::error::{DpError, Result};

/// The constant of Theorem 3 (Jelasity et al., Newscast aggregation).
pub const NEWSCAST_CONSTANT: f64 = 0.581;

/// Number of perturbed values ("atoms") the budget δ is shared among:
/// `n_it^max · 2n` (n sums and n noise sums per iteration, for series of
/// length n).
pub fn atoms(max_iterations: u64, length: u64) -> Result<u64> {
    if max_iterations == 0 || length == 0 {
        return Err(DpError::invalid(
            "iterations",
            "iterations and series length must be at least 1",
        ));
    }
    max_iterations
        .checked_mul(length)
        .and_then(|x| x.checked_mul(2))
        .ok_or_else(|| DpError::invalid("iterations", "too large"))
}

fn check_delta(delta: f64) -> Result<()> {
    if delta > 0.0 && delta < 1.0 {
        Ok(())
    } else {
        Err(DpError::invalid(
            "delta",
            format!("must be in (0, 1) (got {delta})"),
        ))
    }
}

/// δ_atom = δ^(1/(n_it^max·2n)), the confidence each perturbed value needs.
pub fn delta_atom(delta: f64, max_iterations: u64, length: u64) -> Result<f64> {
    Ok(1.0 - iota(delta, max_iterations, length)?)
}

/// ι = 1 − δ_atom, computed without cancellation (`-expm1(ln δ / atoms)`).
pub fn iota(delta: f64, max_iterations: u64, length: u64) -> Result<f64> {
    check_delta(delta)?;
    let k = atoms(max_iterations, length)? as f64;
    Ok(-libm::expm1(delta.ln() / k))
}

/// Inputs of Theorem 3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GossipParameters {
    /// Population size n_p.
    pub population: u64,
    /// Data variance s² (an upper bound if unknown).
    pub variance: f64,
    /// Largest tolerated approximation error e_max.
    pub e_max: f64,
}

impl GossipParameters {
    fn validate(&self) -> Result<()> {
        if self.population == 0 {
            return Err(DpError::invalid("population", "must be at least 1"));
        }
        if !(self.variance.is_finite() && self.variance > 0.0) {
            return Err(DpError::invalid(
                "variance",
                format!("must be a finite positive number (got {})", self.variance),
            ));
        }
        if !(self.e_max > 0.0 && self.e_max < 1.0) {
            return Err(DpError::invalid(
                "e-max",
                format!("must be in (0, 1) (got {})", self.e_max),
            ));
        }
        Ok(())
    }

    /// The bracket of Theorem 3 before the constant:
    /// `ln n_p + 2 ln s + 2 ln(1/e_max)` (natural logarithms; 2 ln s = ln s²).
    fn base(&self) -> f64 {
        (self.population as f64).ln() + self.variance.ln() - 2.0 * self.e_max.ln()
    }

    /// Theorem 3: exchanges per participant so that, with probability 1 − ι,
    /// every local estimate is within e_max of the exact sum:
    /// `n_e = ⌈0.581 (ln n_p + 2 ln s + 2 ln(1/e_max) + ln(1/ι))⌉` (at least 1).
    pub fn exchanges(&self, iota: f64) -> Result<u64> {
        self.validate()?;
        if !(iota > 0.0 && iota < 1.0) {
            return Err(DpError::invalid(
                "iota",
                format!("must be in (0, 1) (got {iota})"),
            ));
        }
        let x = NEWSCAST_CONSTANT * (self.base() - iota.ln());
        Ok(x.ceil().max(1.0) as u64)
    }

    /// Theorem 3 inverted: the failure probability ι left after `exchanges`
    /// exchanges (footnote 11), clamped to [0, 1].
    pub fn iota_after(&self, exchanges: u64) -> Result<f64> {
        self.validate()?;
        let ln_inv_iota = exchanges as f64 / NEWSCAST_CONSTANT - self.base();
        Ok((-ln_inv_iota).exp().clamp(0.0, 1.0))
    }
}

/// Exchanges needed for (ε, δ)-probabilistic DP over `max_iterations`
/// iterations on series of length `length` (Chiaroscuro App. B: δ → δ_atom →
/// ι → Theorem 3).
pub fn exchanges_for_delta(
    params: &GossipParameters,
    delta: f64,
    max_iterations: u64,
    length: u64,
) -> Result<u64> {
    params.exchanges(iota(delta, max_iterations, length)?)
}

/// δ reached after `exchanges` exchanges: `(1 − ι)^(n_it^max·2n)`.
pub fn delta_after(
    params: &GossipParameters,
    exchanges: u64,
    max_iterations: u64,
    length: u64,
) -> Result<f64> {
    let iota = params.iota_after(exchanges)?;
    let k = atoms(max_iterations, length)? as f64;
    Ok((k * libm::log1p(-iota)).exp())
}

/// Lemma 2's compensation: the gossip sum of noise shares is multiplied by
/// `1 + e_max/(1 − e_max)` so that an approximation error of −e_max cannot
/// shrink the noise below Laplace(λ).
pub fn compensation_factor(e_max: f64) -> Result<f64> {
    if !(0.0..1.0).contains(&e_max) {
        return Err(DpError::invalid(
            "e-max",
            format!("must be in [0, 1) (got {e_max})"),
        ));
    }
    Ok(1.0 + e_max / (1.0 - e_max))
}

/// Lemma 2's noise scale for a gossip sum of values in `[d_min, d_max]`:
/// `λ = (1 + e_max) · max(|d_min|, |d_max|) / ε` (multiply by the series
/// length for a vector sum, as in Def. 4).
pub fn gossip_laplace_scale(e_max: f64, d_min: f64, d_max: f64, epsilon: f64) -> Result<f64> {
    compensation_factor(e_max)?;
    let s = crate::calibrate::vector_sum_sensitivity(1, d_min, d_max)?;
    let base = crate::calibrate::laplace_scale(s, epsilon)?;
    Ok(((1.0 + e_max) * base).next_up())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paper() -> GossipParameters {
        GossipParameters {
            population: 1_000_000,
            variance: 1.0,
            e_max: 1e-12,
        }
    }

    #[test]
    fn appendix_b_worked_example_gives_47() {
        let iota = iota(0.995, 10, 24).unwrap();
        assert!((iota - 1.0443e-5).abs() < 1e-8, "{iota}");
        assert_eq!(exchanges_for_delta(&paper(), 0.995, 10, 24).unwrap(), 47);
    }

    #[test]
    fn footnote_11_delta_after_100_exchanges() {
        let p = GossipParameters {
            e_max: 1e-9,
            ..paper()
        };
        let iota = p.iota_after(100).unwrap();
        assert!(iota > 1.5e-51 && iota < 2.5e-51, "{iota}");
        let delta = delta_after(&p, 100, 10, 24).unwrap();
        assert!((0.0..1e-40).contains(&(1.0 - delta)), "{delta}");
    }

    #[test]
    fn exchanges_and_iota_after_are_inverse() {
        let p = paper();
        let n = p.exchanges(1e-5).unwrap();
        assert!(p.iota_after(n).unwrap() <= 1e-5);
        assert!(p.iota_after(n - 1).unwrap() > 1e-5);
    }

    #[test]
    fn compensation() {
        assert_eq!(compensation_factor(0.0).unwrap(), 1.0);
        assert!((compensation_factor(0.5).unwrap() - 2.0).abs() < 1e-15);
        assert!(compensation_factor(1.0).is_err());
        let l = gossip_laplace_scale(1e-3, 0.0, 80.0, 0.5).unwrap();
        assert!((160.16..160.1601).contains(&l));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(iota(1.0, 10, 24).is_err());
        assert!(iota(0.9, 0, 24).is_err());
        let mut p = paper();
        p.variance = -1.0;
        assert!(p.exchanges(1e-5).is_err());
        assert!(paper().exchanges(0.0).is_err());
    }
}
