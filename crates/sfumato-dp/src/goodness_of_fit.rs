//! Goodness-of-fit tests used to check the samplers: Kolmogorov–Smirnov for
//! continuous distributions, Pearson's χ² for integer ones.
//!
//! Public so that later crates (and users) can check their own noise the same
//! way. The p-values are asymptotic approximations; use them with large
//! samples and a small α (this crate's tests use α = 10⁻⁶).

/// Outcome of a goodness-of-fit test.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitOutcome {
    /// The test statistic (D for KS, χ² for Pearson).
    pub statistic: f64,
    /// Degrees of freedom (χ² only; 0 for KS).
    pub degrees_of_freedom: u64,
    /// Probability, under the hypothesis, of a statistic at least this large.
    pub p_value: f64,
}

/// One-sample Kolmogorov–Smirnov test of `samples` against a continuous
/// `cdf` (ties, which have probability zero, are not corrected for). Sorts
/// `samples` in place. NaNs sort last.
pub fn ks_test(samples: &mut [f64], cdf: impl Fn(f64) -> f64) -> FitOutcome {
    samples.sort_by(|a, b| a.total_cmp(b));
    let n = samples.len();
    if n == 0 {
        return FitOutcome {
            statistic: 0.0,
            degrees_of_freedom: 0,
            p_value: 1.0,
        };
    }
    let nf = n as f64;
    let mut d: f64 = 0.0;
    for (i, &x) in samples.iter().enumerate() {
        let f = if x.is_nan() { 1.0 } else { cdf(x) };
        d = d.max(f - i as f64 / nf).max((i + 1) as f64 / nf - f);
    }
    FitOutcome {
        statistic: d,
        degrees_of_freedom: 0,
        p_value: kolmogorov_p_value(d, n),
    }
}

/// P(D_n ≥ d) by the Kolmogorov limit distribution with Stephens' (1970)
/// finite-n correction `x = d(√n + 0.12 + 0.11/√n)`.
pub fn kolmogorov_p_value(d: f64, n: usize) -> f64 {
    let sn = (n as f64).sqrt();
    let x = d * (sn + 0.12 + 0.11 / sn);
    if x < 0.2 {
        return 1.0;
    }
    let mut p = 0.0;
    for k in 1..=100u32 {
        let kf = f64::from(k);
        let term = (-2.0 * kf * kf * x * x).exp();
        p += if k % 2 == 1 { term } else { -term };
        if term < 1e-300 {
            break;
        }
    }
    (2.0 * p).clamp(0.0, 1.0)
}

/// Pearson's χ² test of integer `samples` against `pmf`. Cells are the integers
/// from the smallest to the largest sample, merged left to right until each
/// expects at least 5 observations; the mass outside that range is added to
/// the last cell.
pub fn chi_square_test(samples: &[i64], pmf: impl Fn(i64) -> f64) -> FitOutcome {
    let n = samples.len();
    let (Some(&lo), Some(&hi)) = (samples.iter().min(), samples.iter().max()) else {
        return FitOutcome {
            statistic: 0.0,
            degrees_of_freedom: 0,
            p_value: 1.0,
        };
    };
    let width = usize::try_from(hi.saturating_sub(lo))
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let width = width.min(50_000_000);
    let mut observed = vec![0u64; width];
    for &s in samples {
        if let Ok(i) = usize::try_from(s - lo)
            && i < width
        {
            observed[i] += 1;
        }
    }
    let nf = n as f64;
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut obs, mut exp) = (0.0, 0.0);
    let mut inside = 0.0;
    for (i, &o) in observed.iter().enumerate() {
        let p = pmf(lo + i as i64);
        inside += p;
        obs += o as f64;
        exp += nf * p;
        if exp >= 5.0 {
            cells.push((obs, exp));
            obs = 0.0;
            exp = 0.0;
        }
    }
    exp += nf * (1.0 - inside).max(0.0);
    match cells.last_mut() {
        Some(last) if exp < 5.0 => {
            last.0 += obs;
            last.1 += exp;
        }
        _ => cells.push((obs, exp)),
    }
    pearson(&cells)
}

/// Pearson's χ² test of real `samples` against `cdf` on the cells
/// `(-∞, e₀], (e₀, e₁], …, (e_last, ∞)` given by increasing `edges`, merged
/// left to right until each expects at least 5 observations. Unlike
/// [`ks_test`] it copes with values that pile up at an edge (e.g. gamma
/// variables of tiny shape that underflow to 0 when below the smallest
/// subnormal: put an edge above it).
pub fn chi_square_binned(samples: &[f64], edges: &[f64], cdf: impl Fn(f64) -> f64) -> FitOutcome {
    let n = samples.len() as f64;
    let mut observed = vec![0u64; edges.len() + 1];
    for &x in samples {
        let cell = edges.partition_point(|&e| e < x);
        observed[cell] += 1;
    }
    let mut cells: Vec<(f64, f64)> = Vec::new();
    let (mut obs, mut exp, mut below) = (0.0, 0.0, 0.0);
    for (i, &o) in observed.iter().enumerate() {
        let upto = edges.get(i).map_or(1.0, |&e| cdf(e));
        obs += o as f64;
        exp += n * (upto - below).max(0.0);
        below = upto;
        if exp >= 5.0 {
            cells.push((obs, exp));
            obs = 0.0;
            exp = 0.0;
        }
    }
    match cells.last_mut() {
        Some(last) if exp < 5.0 => {
            last.0 += obs;
            last.1 += exp;
        }
        _ => cells.push((obs, exp)),
    }
    pearson(&cells)
}

fn pearson(cells: &[(f64, f64)]) -> FitOutcome {
    let statistic: f64 = cells
        .iter()
        .map(|&(o, e)| {
            if e > 0.0 {
                (o - e) * (o - e) / e
            } else if o > 0.0 {
                f64::INFINITY
            } else {
                0.0
            }
        })
        .sum();
    let df = cells.len().saturating_sub(1) as u64;
    let p_value = if df == 0 {
        1.0
    } else {
        upper_regularized_gamma(df as f64 / 2.0, statistic / 2.0)
    };
    FitOutcome {
        statistic,
        degrees_of_freedom: df,
        p_value,
    }
}

/// Q(a, x) = Γ(a, x)/Γ(a), the upper regularized incomplete gamma function
/// (series below a + 1, Lentz continued fraction above).
pub fn upper_regularized_gamma(a: f64, x: f64) -> f64 {
    if x.is_nan() || a <= 0.0 {
        return f64::NAN;
    }
    if x == f64::INFINITY {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let log_prefix = a * x.ln() - x - libm::lgamma(a);
    if x < a + 1.0 {
        let (mut sum, mut term, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * log_prefix.exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let delta = d * c;
            h *= delta;
            if (delta - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (log_prefix.exp() * h).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn incomplete_gamma_known_values() {
        // Q(1, x) = e^{-x}; χ² with 2 df at 5.991 has p = 0.05.
        assert!((upper_regularized_gamma(1.0, 2.0) - (-2.0f64).exp()).abs() < 1e-14);
        assert!((upper_regularized_gamma(1.0, 0.5) - (-0.5f64).exp()).abs() < 1e-14);
        assert!((upper_regularized_gamma(1.0, 5.991 / 2.0) - 0.05).abs() < 1e-4);
        // χ² with 10 df at 18.307 has p = 0.05; at 29.588 p = 0.001.
        assert!((upper_regularized_gamma(5.0, 18.307 / 2.0) - 0.05).abs() < 1e-4);
        assert!((upper_regularized_gamma(5.0, 29.588 / 2.0) - 0.001).abs() < 1e-5);
    }

    #[test]
    fn kolmogorov_known_values() {
        // Asymptotic critical values: 1.358 at 5%, 1.949 at 0.1%.
        let n = 1_000_000;
        let sn = (n as f64).sqrt();
        assert!((kolmogorov_p_value(1.358 / sn, n) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_p_value(1.949 / sn, n) - 0.001).abs() < 1e-4);
        assert_eq!(kolmogorov_p_value(0.0, n), 1.0);
    }

    #[test]
    fn ks_rejects_a_shifted_sample() {
        let mut xs: Vec<f64> = (0..1000).map(|i| (i as f64 + 0.5) / 1000.0).collect();
        let ok = ks_test(&mut xs, |x| x.clamp(0.0, 1.0));
        assert!(ok.p_value > 0.99);
        let mut shifted: Vec<f64> = xs.iter().map(|x| x * 0.9).collect();
        assert!(ks_test(&mut shifted, |x| x.clamp(0.0, 1.0)).p_value < 1e-6);
    }

    #[test]
    fn chi_square_accepts_exact_counts_and_rejects_wrong_ones() {
        let fair: Vec<i64> = (0..6000).map(|i| i % 6).collect();
        let out = chi_square_test(&fair, |k| if (0..6).contains(&k) { 1.0 / 6.0 } else { 0.0 });
        assert_eq!(out.degrees_of_freedom, 5);
        assert!(out.p_value > 0.999);
        let loaded: Vec<i64> = (0..6000)
            .map(|i| if i % 5 == 0 { 5 } else { i % 6 })
            .collect();
        let bad = chi_square_test(
            &loaded,
            |k| if (0..6).contains(&k) { 1.0 / 6.0 } else { 0.0 },
        );
        assert!(bad.p_value < 1e-6);
    }

    #[test]
    fn binned_chi_square_handles_piles_at_an_edge() {
        // Uniform on [0, 1] with a quarter of the mass piled at exactly 0.
        let xs: Vec<f64> = (0..4000)
            .map(|i| {
                if i % 4 == 0 {
                    0.0
                } else {
                    (i as f64 + 0.5) / 4000.0
                }
            })
            .collect();
        let edges: Vec<f64> = (1..20).map(|k| k as f64 / 20.0).collect();
        let cdf = |x: f64| (0.25 + 0.75 * x).clamp(0.0, 1.0);
        let wrong = |x: f64| x.clamp(0.0, 1.0);
        assert!(chi_square_binned(&xs, &edges, cdf).p_value > 0.01);
        assert!(chi_square_binned(&xs, &edges, wrong).p_value < 1e-6);
    }
}
