//! Statistical tests: every sampler, and every sum of N shares, against its
//! target distribution. Seeds are fixed and each test rejects at α = 10⁻⁶, so a
//! correct sampler fails with probability 10⁻⁶ per seed (and, seeds being
//! fixed, never flakily); a wrong one — e.g. shares of the wrong shape — fails
//! with overwhelming probability at these sample sizes.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_dp::continuous::laplace_cdf;
use sfumato_dp::goodness_of_fit::{
    FitOutcome, chi_square_binned, chi_square_test, ks_test, upper_regularized_gamma,
};
use sfumato_dp::{
    AggregateNoise, DiscreteLaplace, ExactScale, GammaShare, Geometric, Laplace, Mechanism,
    NegativeBinomial, NoiseSampler, PolyaShare,
};

const ALPHA: f64 = 1e-6;
const PARTIES: [u64; 4] = [1, 2, 100, 10_000];

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn check(what: &str, out: FitOutcome) {
    assert!(
        out.p_value > ALPHA,
        "{what}: p = {:e} (statistic {}, df {})",
        out.p_value,
        out.statistic,
        out.degrees_of_freedom
    );
}

/// Fewer draws where each costs N shares, so the suite stays fast.
fn draws_for(parties: u64) -> usize {
    match parties {
        0..=100 => 40_000,
        _ => 2_000,
    }
}

fn ln_nb_pmf(k: u64, r: f64, q: f64) -> f64 {
    let k = k as f64;
    libm::lgamma(k + r) - libm::lgamma(k + 1.0) - libm::lgamma(r) + r * (1.0 - q).ln() + k * q.ln()
}

fn scale(text: &str) -> ExactScale {
    ExactScale::parse(text).unwrap()
}

// ---------------------------------------------------------------- continuous

#[test]
fn laplace_matches_its_cdf() {
    for (i, lambda) in [0.5, 1.0, 1920.0 / 0.69].into_iter().enumerate() {
        let l = Laplace::new(lambda).unwrap();
        let mut xs = l.sample_n(&mut rng(10 + i as u64), 200_000);
        check(
            &format!("Laplace({lambda})"),
            ks_test(&mut xs, |x| laplace_cdf(x, lambda)),
        );
    }
}

#[test]
fn gamma_components_match_the_gamma_cdf() {
    // A gamma variable of shape 1/N below the smallest subnormal rounds to 0,
    // so bin on a log scale starting above it and use χ².
    for (i, &n) in PARTIES.iter().enumerate() {
        for lambda in [1.0, 50.0] {
            let share = GammaShare::new(n, lambda).unwrap();
            let mut r = rng(20 + i as u64);
            let xs: Vec<f64> = (0..100_000)
                .map(|_| share.sample_component(&mut r))
                .collect();
            let a = 1.0 / n as f64;
            let edges: Vec<f64> = (0..=400)
                .map(|k| lambda * 10f64.powf(-300.0 + k as f64 * 0.76))
                .collect();
            let cdf = |x: f64| 1.0 - upper_regularized_gamma(a, x / lambda);
            check(
                &format!("G({n}, {lambda})"),
                chi_square_binned(&xs, &edges, cdf),
            );
        }
    }
}

#[test]
fn sums_of_gamma_shares_are_laplace() {
    for (i, &n) in PARTIES.iter().enumerate() {
        for lambda in [1.0, 50.0] {
            let noise =
                AggregateNoise::new(Mechanism::GammaShares, &lambda.to_string(), n).unwrap();
            let mut r = rng(30 + i as u64);
            let mut xs: Vec<f64> = (0..draws_for(n))
                .map(|_| noise.draw(&mut r).as_f64())
                .collect();
            check(
                &format!("sum of {n} gamma shares, λ = {lambda}"),
                ks_test(&mut xs, |x| laplace_cdf(x, lambda)),
            );
        }
    }
}

#[test]
fn gamma_shares_of_the_wrong_shape_are_detected() {
    // Power check: shares drawn for 2N parties but summed over N give
    // Laplace-like noise with the wrong variance; the test must see it.
    let share = GammaShare::new(200, 1.0).unwrap();
    let mut r = rng(39);
    let mut xs: Vec<f64> = (0..20_000)
        .map(|_| (0..100).map(|_| share.sample(&mut r)).sum())
        .collect();
    assert!(ks_test(&mut xs, |x| laplace_cdf(x, 1.0)).p_value < ALPHA);
}

// --------------------------------------------------------------------- exact

const EXACT_SCALES: [&str; 5] = ["0.3", "1", "2.5", "20", "1920/0.69"];

#[test]
fn geometric_matches_its_pmf() {
    for (i, t) in EXACT_SCALES.iter().enumerate() {
        let g = Geometric::new(scale(t));
        let q = g.ratio();
        let xs: Vec<i64> = g
            .sample_n(&mut rng(40 + i as u64), 200_000)
            .into_iter()
            .map(|k| k as i64)
            .collect();
        let pmf = |k: i64| {
            if k < 0 {
                0.0
            } else {
                (1.0 - q) * q.powf(k as f64)
            }
        };
        check(&format!("Geometric({t})"), chi_square_test(&xs, pmf));
    }
}

#[test]
fn discrete_laplace_matches_its_pmf() {
    for (i, t) in EXACT_SCALES.iter().enumerate() {
        let d = DiscreteLaplace::new(scale(t));
        let xs = d.sample_n(&mut rng(50 + i as u64), 200_000);
        check(
            &format!("DiscreteLaplace({t})"),
            chi_square_test(&xs, |k| d.pmf(k)),
        );
    }
}

#[test]
fn negative_binomial_components_match_their_pmf() {
    for (i, &n) in PARTIES.iter().enumerate() {
        for t in ["1", "20"] {
            let nb = NegativeBinomial::new(n, scale(t)).unwrap();
            let (r, q) = (1.0 / n as f64, nb.ratio());
            let count = if n >= 10_000 { 1_000_000 } else { 200_000 };
            let xs: Vec<i64> = nb
                .sample_n(&mut rng(60 + i as u64), count)
                .into_iter()
                .map(|k| k as i64)
                .collect();
            let pmf = |k: i64| {
                if k < 0 {
                    0.0
                } else {
                    ln_nb_pmf(k as u64, r, q).exp()
                }
            };
            check(&format!("NB(1/{n}, τ = {t})"), chi_square_test(&xs, pmf));
        }
    }
}

/// P(A − B = d) for A, B independent NB(1/n, q), by summing over B.
fn polya_share_pmf(d: i64, r: f64, q: f64) -> f64 {
    let d = d.unsigned_abs();
    let mut total = 0.0;
    for k in 0..100_000u64 {
        let term = (ln_nb_pmf(k + d, r, q) + ln_nb_pmf(k, r, q)).exp();
        total += term;
        if k > 10 && term < total * 1e-17 {
            break;
        }
    }
    total
}

#[test]
fn single_polya_shares_match_their_pmf() {
    for (i, &n) in [2u64, 100, 10_000].iter().enumerate() {
        let t = "5";
        let share = PolyaShare::new(n, scale(t)).unwrap();
        let q = Geometric::new(scale(t)).ratio();
        let r = 1.0 / n as f64;
        let xs = share.sample_n(&mut rng(70 + i as u64), 300_000);
        check(
            &format!("Pólya share, N = {n}"),
            chi_square_test(&xs, |k| polya_share_pmf(k, r, q)),
        );
    }
}

#[test]
fn sums_of_polya_shares_are_discrete_laplace() {
    for (i, &n) in PARTIES.iter().enumerate() {
        for t in ["1", "2.5", "20"] {
            let noise = AggregateNoise::new(Mechanism::PolyaShares, t, n).unwrap();
            let target = DiscreteLaplace::new(scale(t));
            let mut r = rng(80 + i as u64);
            let xs: Vec<i64> = (0..draws_for(n))
                .map(|_| noise.draw(&mut r).as_f64() as i64)
                .collect();
            check(
                &format!("sum of {n} Pólya shares, τ = {t}"),
                chi_square_test(&xs, |k| target.pmf(k)),
            );
        }
    }
}

#[test]
fn polya_shares_of_the_wrong_shape_are_detected() {
    // Power check: a sum of 50 shares made for 100 parties is discrete
    // Laplace-like with half the variance; χ² must reject it.
    let share = PolyaShare::new(100, scale("20")).unwrap();
    let target = DiscreteLaplace::new(scale("20"));
    let mut r = rng(89);
    let xs: Vec<i64> = (0..20_000)
        .map(|_| (0..50).map(|_| share.sample(&mut r)).sum())
        .collect();
    assert!(chi_square_test(&xs, |k| target.pmf(k)).p_value < ALPHA);
}

#[test]
fn polya_shares_have_the_stated_variance() {
    for &n in &[2u64, 100] {
        let share = PolyaShare::new(n, scale("10")).unwrap();
        let xs = share.sample_n(&mut rng(90), 400_000);
        let mean = xs.iter().sum::<i64>() as f64 / xs.len() as f64;
        let var = xs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / xs.len() as f64;
        let rel = (var - share.variance()).abs() / share.variance();
        assert!(rel < 0.1, "N = {n}: variance {var} vs {}", share.variance());
    }
}
