//! A centralized differentially private k-means baseline, implemented as
//! diffprivlib's `KMeans` (version 0.6) implements it: **DPLloyd** of Su,
//! Cao, Li, Bertino and Jin, "Differentially private k-means clustering",
//! CODASPY 2016, with diffprivlib's choices. A trusted curator holds all the
//! data, so this is the quality a centralized DP k-means reaches with the
//! same ε and bounds; Chiaroscuro's evaluation compares against it.
//!
//! * **Iterations**: T = ⌊ε/ε_m⌋ clamped to [2, 7], with
//!   ε_m = √(500·k³/N² · (d + ∛(4dρ²))³) and ρ = 0.225 (Su et al. §4.2).
//! * **Budget**: ε/T per iteration, split as one part per dimension of the
//!   sum and ∛(4dρ²) parts for the count.
//! * **Initial centroids**: data-independent "sphere packing": uniform in
//!   the bounding box shrunk by a proximity r on each side, each at least
//!   2r from the ones before (100 tries each); r starts at half the
//!   smallest side and halves when the tries run out.
//! * **Update**: for each non-empty cluster, its count plus two-sided
//!   geometric noise (sensitivity 1) folded onto [0.5, ∞), and each sum
//!   dimension through the bounded-domain Laplace mechanism (Holohan et al.
//!   2018) on [count·lo, count·hi] with sensitivity hi − lo; the centroid
//!   is their ratio. An empty cluster keeps its centroid.
//!
//! Its noise is floating point, as diffprivlib's is: a baseline, never a
//! mechanism sfumato releases data with.

use rand_core::CryptoRng;
use sfumato_dp::continuous::laplace_cdf;

use crate::chiaroscuro::kmeans::{assign, distance2, inertia, means};
use crate::chiaroscuro::quality::SU_RHO;
use crate::error::{ProtocolError, Result};
use crate::rng::open_unit as uniform;

/// What DPLloyd produced.
#[derive(Clone, Debug, PartialEq)]
pub struct DpLloyd {
    /// Its iterations T.
    pub iterations: u32,
    /// The final centroids (k of them: empty clusters keep theirs).
    pub centroids: Vec<Vec<f64>>,
    /// Centroids with at least one series assigned at the end.
    pub used: usize,
    /// The intra-cluster inertia of the final centroids (Def. 1).
    pub intra: f64,
}

/// The number of iterations diffprivlib allows.
pub fn iterations(epsilon: f64, k: usize, n: usize, d: usize) -> u32 {
    let d = d as f64;
    let k = k as f64;
    let n = (n.max(1)) as f64;
    let parts = d + (4.0 * d * SU_RHO * SU_RHO).cbrt();
    let eps_m = (500.0 * k.powi(3) / (n * n) * parts.powi(3)).sqrt();
    (epsilon / eps_m).clamp(2.0, 7.0).floor() as u32
}

/// Runs DPLloyd on `data` (every series of length d, every value in
/// `[lo, hi]`: clip before, as `cluster run` does) for k clusters with
/// total budget `epsilon`.
pub fn dp_lloyd<R: CryptoRng + ?Sized>(
    data: &[Vec<f64>],
    k: usize,
    epsilon: f64,
    (lo, hi): (f64, f64),
    rng: &mut R,
) -> Result<DpLloyd> {
    let d = data.first().map_or(0, Vec::len);
    if d == 0 || k == 0 || data.iter().any(|s| s.len() != d) {
        return Err(ProtocolError::invalid(
            "data",
            "k ≥ 1 and series of one length ≥ 1",
        ));
    }
    if !(epsilon.is_finite() && epsilon > 0.0)
        || lo.partial_cmp(&hi) != Some(core::cmp::Ordering::Less)
    {
        return Err(ProtocolError::invalid("budget", "ε > 0 and lo < hi"));
    }
    let t = iterations(epsilon, k, data.len(), d);
    let parts_count = (4.0 * d as f64 * SU_RHO * SU_RHO).cbrt();
    let unit = epsilon / f64::from(t) / (d as f64 + parts_count);
    let (eps_sum, eps_count) = (unit, unit * parts_count);
    let mut centroids = sphere_packing(k, d, (lo, hi), rng);
    for _ in 0..t {
        let clusters = means(data, &assign(data, &centroids), k);
        for (centroid, (sum, count)) in centroids.iter_mut().zip(clusters) {
            if count == 0 {
                continue;
            }
            let noisy = folded_geometric(count as f64, eps_count, rng);
            let bounds = (noisy * lo, noisy * hi);
            *centroid = sum
                .iter()
                .map(|s| bounded_laplace(*s, hi - lo, eps_sum, bounds, rng) / noisy)
                .collect();
        }
    }
    let a = assign(data, &centroids);
    let mut used = vec![false; k];
    for j in a.iter().flatten() {
        used[*j] = true;
    }
    Ok(DpLloyd {
        iterations: t,
        intra: inertia(data, &centroids).intra,
        used: used.iter().filter(|u| **u).count(),
        centroids,
    })
}

/// k data-independent centroids spread in the box (see the module docs).
fn sphere_packing<R: CryptoRng + ?Sized>(
    k: usize,
    d: usize,
    (lo, hi): (f64, f64),
    rng: &mut R,
) -> Vec<Vec<f64>> {
    let mut proximity = (hi - lo) / 2.0;
    // Halving 64 times takes any proximity below the spacing of doubles.
    for _ in 0..64 {
        let mut centers: Vec<Vec<f64>> = Vec::with_capacity(k);
        let mut retry = 0;
        while centers.len() < k && retry < 100 {
            let c: Vec<f64> = (0..d)
                .map(|_| lo + proximity + uniform(rng) * (hi - lo - 2.0 * proximity))
                .collect();
            let far = centers
                .iter()
                .all(|o| distance2(o, &c).sqrt() >= 2.0 * proximity);
            if far {
                centers.push(c);
                retry = 0;
            } else {
                retry += 1;
            }
        }
        if centers.len() == k {
            return centers;
        }
        proximity /= 2.0;
    }
    (0..k)
        .map(|_| (0..d).map(|_| lo + uniform(rng) * (hi - lo)).collect())
        .collect()
}

/// `count` plus two-sided geometric noise of parameter e^(−ε) (sensitivity
/// 1), folded onto [0.5, ∞): a value v below 0.5 becomes 1 − v.
fn folded_geometric<R: CryptoRng + ?Sized>(count: f64, epsilon: f64, rng: &mut R) -> f64 {
    let alpha = (-epsilon).exp();
    let geometric = |r: &mut R| (uniform(r).ln() / alpha.ln()).floor();
    let v = count + geometric(rng) - geometric(rng);
    if v < 0.5 { 1.0 - v } else { v }
}

/// The scale of the bounded-domain Laplace mechanism (Holohan et al. 2018,
/// Thm. 4): the fixed point b = Δ/(ε − ln ΔC(b)) with
/// ΔC(b) = (2 − e^(−Δ/b) − e^(−(D−Δ)/b)) / (1 − e^(−D/b)), D the domain's
/// width, found by bisection from b = Δ/ε.
pub fn bounded_laplace_scale(sensitivity: f64, epsilon: f64, width: f64) -> f64 {
    let dq = sensitivity;
    let delta_c =
        |b: f64| (2.0 - (-dq / b).exp() - (-(width - dq) / b).exp()) / (1.0 - (-width / b).exp());
    let f = |b: f64| dq / (epsilon - delta_c(b).ln());
    let mut left = dq / epsilon;
    let mut right = f(left);
    if !(right.is_finite() && right > left) {
        return left;
    }
    for _ in 0..200 {
        let mid = (left + right) / 2.0;
        if f(mid) >= mid {
            left = mid;
        } else {
            right = mid;
        }
        if right - left <= f64::EPSILON * right {
            break;
        }
    }
    (left + right) / 2.0
}

/// `value` (clamped into `bounds`) plus Laplace noise conditioned on the
/// result lying in `bounds`, with the scale of [`bounded_laplace_scale`]:
/// inverse-CDF sampling restricted to the bounds' quantiles.
fn bounded_laplace<R: CryptoRng + ?Sized>(
    value: f64,
    sensitivity: f64,
    epsilon: f64,
    (lower, upper): (f64, f64),
    rng: &mut R,
) -> f64 {
    let width = upper - lower;
    if width.is_nan() || width <= 0.0 {
        return lower;
    }
    let b = bounded_laplace_scale(sensitivity, epsilon, width);
    let x = value.clamp(lower, upper);
    let cdf = |z: f64| laplace_cdf(z, b);
    let quantile = |u: f64| {
        if u < 0.5 {
            b * (2.0 * u).ln()
        } else {
            -b * (2.0 - 2.0 * u).ln()
        }
    };
    let (a, c) = (cdf(lower - x), cdf(upper - x));
    let u = a + uniform(rng) * (c - a);
    (x + quantile(u)).clamp(lower, upper)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn iterations_follow_diffprivlib() {
        // 144,000 series of 24 values, k = 10, ε = 0.69: ε_m ≈ 0.64, so
        // ⌊1.08⌋ clamped up to 2.
        assert_eq!(iterations(0.69, 10, 144_000, 24), 2);
        // Many series and a large ε: capped at 7.
        assert_eq!(iterations(50.0, 2, 10_000_000, 2), 7);
    }

    #[test]
    fn the_bounded_scale_matches_diffprivlib() {
        // diffprivlib 0.6's LaplaceBoundedDomain._find_scale() for these
        // (sensitivity, ε, domain) gives 1560.991462922675,
        // 2.914643648653125 and 11900.432357329526: at small ε the
        // bounded mechanism needs nearly twice the plain scale Δ/ε.
        for (dq, eps, width, theirs) in [
            (80.0, 0.1, 800_000.0, 1560.991462922675),
            (1.0, 0.5, 2.0, 2.914643648653125),
            (80.0, 0.0134, 80.0 * 14_400.0, 11900.432357329526),
        ] {
            let ours = bounded_laplace_scale(dq, eps, width);
            assert!(
                (ours - theirs).abs() < 1e-6 * theirs,
                "{ours} against {theirs}"
            );
        }
        let narrow = bounded_laplace_scale(1.0, 0.5, 2.0);
        // The fixed point holds.
        let dc = |b: f64| (2.0 - (-1.0 / b).exp() - (-1.0 / b).exp()) / (1.0 - (-2.0 / b).exp());
        assert!((narrow - 1.0 / (0.5 - dc(narrow).ln())).abs() < 1e-9);
    }

    #[test]
    fn noise_stays_in_its_domain_and_is_centred_on_a_wide_one() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let draws: Vec<f64> = (0..20_000)
            .map(|_| bounded_laplace(50.0, 1.0, 1.0, (0.0, 100.0), &mut rng))
            .collect();
        assert!(draws.iter().all(|v| (0.0..=100.0).contains(v)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        // Laplace(1): standard deviation √2, mean error √2/√20000 = 0.01.
        assert!((mean - 50.0).abs() < 0.06, "{mean}");
        let near_edge: Vec<f64> = (0..1000)
            .map(|_| bounded_laplace(0.0, 10.0, 0.1, (0.0, 5.0), &mut rng))
            .collect();
        assert!(near_edge.iter().all(|v| (0.0..=5.0).contains(v)));
        let counts: Vec<f64> = (0..1000)
            .map(|_| folded_geometric(0.0, 0.1, &mut rng))
            .collect();
        assert!(counts.iter().all(|c| *c >= 0.5 && c.fract() == 0.0));
    }

    #[test]
    fn it_clusters_separated_groups_with_a_generous_budget() {
        let data: Vec<Vec<f64>> = (0..6000)
            .map(|i| {
                let g = (i % 2) as f64 * 60.0 + 10.0;
                vec![g + (i % 7) as f64, g + (i % 5) as f64]
            })
            .collect();
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let r = dp_lloyd(&data, 2, 50.0, (0.0, 80.0), &mut rng).unwrap();
        assert_eq!(r.centroids.len(), 2);
        assert!(r.iterations >= 2);
        // Within-group spread is about (7² − 1)/12 + (5² − 1)/12 = 6.
        assert!(r.intra < 12.0, "{r:?}");
        assert!(dp_lloyd(&data, 0, 1.0, (0.0, 80.0), &mut rng).is_err());
        assert!(dp_lloyd(&data, 2, 0.0, (0.0, 80.0), &mut rng).is_err());
    }
}
