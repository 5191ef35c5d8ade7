//! What keeps the clusters alive under noise (Chiaroscuro §5, beyond the
//! paper where it is silent): how ε_i is split between the sums and the
//! counts, where the initial centroids come from, how the published means
//! are smoothed, and when to stop before the noise overwhelms the
//! centroids (§5.1 footnote 9). Every choice here is either fixed before
//! the run from public parameters or computed from differentially private
//! outputs (post-processing), so no budget is spent twice and no choice
//! depends on the data outside DP. `docs/chiaroscuro.md` gives the
//! measurements behind each default.

use rand_core::Rng;
use serde::{Deserialize, Serialize};

use crate::chiaroscuro::kmeans::distance2;
use crate::chiaroscuro::perturbed::smooth;
use crate::rng::{NodeRng, RngKey, open_unit};

/// Su et al.'s coordinate normalisation factor ρ (Su, Cao, Li, Bertino,
/// Jin, "Differentially private k-means clustering", CODASPY 2016, §4.2),
/// the value diffprivlib also uses.
pub const SU_RHO: f64 = 0.225;

/// The share of an iteration's ε_i spent on a cluster's sum series (the
/// rest perturbs its count), after Su et al. 2016: the count gets
/// ∛(4nρ²) parts and each of the n dimensions one part, so the sums get
/// n / (n + ∛(4nρ²)) — 93 % for n = 24. The paper perturbs both without
/// saying how (§4.2.2); an even split, our first choice, gave the sums
/// half, so their noise was 1.87× larger at n = 24, for counts that are
/// thousands and barely need any.
pub fn sum_share(n: usize) -> f64 {
    let n = n.max(1) as f64;
    n / (n + (4.0 * n * SU_RHO * SU_RHO).cbrt())
}

/// The run's quality options (all public, fixed before the run).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// DP initialisation; `None`: start from [`ChiaroscuroParams::initial`].
    ///
    /// [`ChiaroscuroParams::initial`]: crate::chiaroscuro::ChiaroscuroParams::initial
    pub init: Option<DpInit>,
    /// How the SMA is applied (when a window is set).
    pub smoothing: SmoothingMode,
    /// Stop when the next iteration's noise would overwhelm the centroids
    /// ([`noise_overwhelms`] with this ratio); `None`: run every iteration.
    pub stop_noise: Option<f64>,
}

impl Default for Quality {
    /// No DP initialisation, adaptive smoothing, stop at ratio 0.2.
    fn default() -> Quality {
        Quality {
            init: None,
            smoothing: SmoothingMode::Adaptive,
            stop_noise: Some(DEFAULT_STOP_RATIO),
        }
    }
}

/// The default ratio of [`noise_overwhelms`]: stop when the next
/// iteration's added noise inertia exceeds 20 % of the inter-cluster
/// inertia of the published centroids (measured in docs/chiaroscuro.md).
pub const DEFAULT_STOP_RATIO: f64 = 0.2;

/// How the published means are smoothed (§5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SmoothingMode {
    /// The paper's SMA, applied to every mean whatever its noise.
    Always,
    /// The SMA's correction applied in proportion to how much of what it
    /// removes is noise ([`adaptive_smooth`]).
    Adaptive,
}

/// DP initialisation: iteration 0 runs with one centroid, so every
/// participant contributes to it and the iteration publishes the
/// differentially private mean g of all series (at the cost of its own
/// ε_0). Its published centroids are then k points at distance `radius`
/// from g in public pseudo-random directions (drawn from `seed`): each
/// participant joins the direction its series deviates most towards, so
/// iteration 1 starts from k cones around the data's own centre, none of
/// them empty, and its means spread as far as the data do. A
/// data-independent start (uniform in the declared range) puts centroids
/// where no data lie whenever the data occupy a small part of the range,
/// as real load profiles do, and all of those clusters die.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DpInit {
    /// The number of centroids k to expand g into.
    pub k: usize,
    /// Their distance from g: small, so only directions matter.
    pub radius: f64,
    /// The public seed of the directions.
    pub seed: u64,
}

impl DpInit {
    /// The k centroids around `g`, clipped to the range.
    pub fn expand(&self, g: &[f64], (lo, hi): (f64, f64)) -> Vec<Vec<f64>> {
        let mut rng = NodeRng::at(&RngKey::from_seed(self.seed), 0, 0);
        (0..self.k)
            .map(|_| {
                let z: Vec<f64> = g.iter().map(|_| standard_normal(&mut rng)).collect();
                let norm = z.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
                g.iter()
                    .zip(&z)
                    .map(|(x, d)| (x + self.radius * d / norm).clamp(lo, hi))
                    .collect()
            })
            .collect()
    }
}

/// A standard normal variate (Box–Muller) from 53-bit uniforms; used for
/// public directions only, never for noise.
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    let (a, b) = (open_unit(rng), open_unit(rng));
    (-2.0 * a.ln()).sqrt() * (core::f64::consts::TAU * b).cos()
}

/// The SMA applied in proportion to its benefit: with `mean` a noisy mean
/// whose values each carry noise of variance `noise_var`, the SMA over
/// `window + 1` values (w = `window`) removes r = mean − SMA(mean). Of
/// ‖r‖², noise accounts for n·σ²·(1 − 1/W) in expectation (W the odd
/// window actually averaged), and the rest is the profile's own detail.
/// The result is SMA(mean) + α·r with α the estimated share of detail in r
/// (clamped to [0, 1]): a James–Stein-style shrinkage. A mean drowned in
/// noise is smoothed fully, as the paper does; a mean whose noise is small
/// keeps its peaks, which the plain SMA flattens. Post-processing only.
pub fn adaptive_smooth(mean: &[f64], window: usize, noise_var: f64) -> Vec<f64> {
    let n = mean.len();
    let half = window / 2;
    if n == 0 || half == 0 {
        return mean.to_vec();
    }
    let s = smooth(mean, window);
    let w = (2 * half + 1) as f64;
    let r: Vec<f64> = mean.iter().zip(&s).map(|(m, v)| m - v).collect();
    let energy: f64 = r.iter().map(|v| v * v).sum();
    let noise = n as f64 * noise_var.max(0.0) * (1.0 - 1.0 / w);
    let detail = (energy - noise).max(0.0);
    let alpha = if detail + noise > 0.0 {
        detail / (detail + noise)
    } else {
        0.0
    };
    s.iter().zip(&r).map(|(v, d)| v + alpha * d).collect()
}

/// §5.1 footnote 9's "smarter termination": whether the next iteration's
/// extra noise would cost more than it can gain. Everything here is
/// published (noisy centroids and counts) or public (the noise scales),
/// so the decision is post-processing.
///
/// A centroid j with count c_j whose sums carry Laplace noise of scale λ
/// on each of their n values lands √(2n)·λ/c_j (root mean square) from its
/// cluster's mean, which adds 2nλ²/c_j² to the inertia of each of its c_j
/// series. Weighted by the counts, an iteration's noise inertia is
/// N(λ) = Σ_j (c_j/C)·2nλ²/c_j² (C = Σ c_j). Lloyd's gains shrink from
/// iteration to iteration and are a small part of the inter-cluster
/// inertia I = Σ_j (c_j/C)·‖C_j − ḡ‖² once the clusters have formed, so
/// the run stops when N(λ_next) − N(λ_now) > `ratio` · I: a GREEDY run,
/// whose noise variance grows fourfold each iteration, stops as soon as
/// the added noise outweighs a few percent of the structure it found. With
/// fewer than two centroids there is no structure to weigh against (the
/// participant stops on its own when noise has left one of several).
pub fn noise_overwhelms(
    centroids: &[Vec<f64>],
    counts: &[f64],
    (now_scale, next_scale): (f64, f64),
    ratio: f64,
) -> bool {
    if centroids.len() < 2 || centroids.len() != counts.len() {
        return false;
    }
    let n = centroids[0].len();
    let weights: Vec<f64> = counts.iter().map(|c| c.max(1.0)).collect();
    let total: f64 = weights.iter().sum();
    let noise = |scale: f64| -> f64 {
        weights
            .iter()
            .map(|c| (c / total) * 2.0 * n as f64 * (scale / c).powi(2))
            .sum()
    };
    let mut g = vec![0.0; n];
    for (c, w) in centroids.iter().zip(&weights) {
        for (acc, v) in g.iter_mut().zip(c) {
            *acc += v * w / total;
        }
    }
    let inter: f64 = centroids
        .iter()
        .zip(&weights)
        .map(|(c, w)| w / total * distance2(c, &g))
        .sum();
    noise(next_scale) - noise(now_scale) > ratio * inter
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn su_split_gives_the_sums_most_of_the_budget() {
        // n = 24: ∛(4·24·0.050625) = ∛4.86 = 1.694; 24 / 25.694.
        assert!((sum_share(24) - 0.93406).abs() < 1e-4, "{}", sum_share(24));
        assert!(sum_share(1) > 0.5 && sum_share(1) < 0.7);
        assert!(sum_share(1000) > 0.98);
    }

    #[test]
    fn expansion_is_public_deterministic_and_around_g() {
        let init = DpInit {
            k: 5,
            radius: 0.1,
            seed: 9,
        };
        let g = vec![3.0; 24];
        let a = init.expand(&g, (0.0, 80.0));
        assert_eq!(a, init.expand(&g, (0.0, 80.0)));
        assert_eq!(a.len(), 5);
        for c in &a {
            assert!((distance2(c, &g).sqrt() - 0.1).abs() < 1e-9);
        }
        // Different directions: every pair apart.
        for i in 0..5 {
            for j in 0..i {
                assert!(distance2(&a[i], &a[j]) > 1e-4);
            }
        }
        let other = DpInit { seed: 10, ..init }.expand(&g, (0.0, 80.0));
        assert_ne!(a, other);
        // Clipped at the range's edge.
        let edge = init.expand(&[0.0; 24], (0.0, 80.0));
        assert!(edge.iter().flatten().all(|v| (0.0..=80.0).contains(v)));
    }

    #[test]
    fn adaptive_smoothing_keeps_a_clean_peak_and_flattens_pure_noise() {
        let mut peak = vec![1.0; 24];
        peak[8] = 20.0;
        // Negligible noise: the peak stays.
        let kept = adaptive_smooth(&peak, 5, 1e-6);
        assert!((kept[8] - 20.0).abs() < 0.01, "{kept:?}");
        // Noise as large as the detail: smoothed (almost) as the SMA does.
        let sma = smooth(&peak, 5);
        let drowned = adaptive_smooth(&peak, 5, 1e6);
        assert!(drowned.iter().zip(&sma).all(|(a, b)| (a - b).abs() < 1e-3));
        // In between, in between.
        let mid = adaptive_smooth(&peak, 5, 5.0);
        assert!(mid[8] < 20.0 && mid[8] > sma[8], "{mid:?}");
        // No window: unchanged.
        assert_eq!(adaptive_smooth(&peak, 0, 5.0), peak);
    }

    #[test]
    fn the_stop_rule_weighs_added_noise_against_the_structure_found() {
        // Two centroids 20 apart (each 10 from the centre: I = 100).
        let c = vec![vec![0.0; 4], vec![10.0; 4]];
        let counts = [1000.0, 1000.0];
        // N(λ) = 2 · ½ · 2·4·λ²/1000² = 8e-6·λ²: from λ = 1000 to 2000 it
        // adds 24, more than 5 % of I = 100: stop.
        assert!(noise_overwhelms(&c, &counts, (1000.0, 2000.0), 0.05));
        // From 250 to 500 it adds 1.5: continue.
        assert!(!noise_overwhelms(&c, &counts, (250.0, 500.0), 0.05));
        // The same budget (UNIFORM_FAST) adds nothing: continue.
        assert!(!noise_overwhelms(&c, &counts, (1e6, 1e6), 0.05));
        // A single centroid: nothing to weigh against.
        assert!(!noise_overwhelms(&c[..1], &counts[..1], (1.0, 1e9), 0.05));
    }
}
