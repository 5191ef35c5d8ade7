//! The centralized perturbed k-means Chiaroscuro evaluates quality with
//! (§6: "a perturbed centralized k-means implementation embedding our
//! budget concentration strategies and means smoothing technique").
//!
//! Iteration i spends ε_i (from a budget strategy, §5.1): the sums of each
//! cluster get Laplace noise of scale n·max(|d_min|, |d_max|)/(ε_i/2) per
//! dimension (Def. 4) and the counts Laplace noise of scale 1/(ε_i/2) — the
//! paper perturbs both (§4.2.2) without saying how ε_i is split between
//! them; we split it evenly, so each iteration is ε_i-DP by sequential
//! composition. The noisy sums are smoothed by a cyclic simple moving
//! average over w + 1 values (§5.2) and divided by the noisy counts; see
//! [`perturbed_mean`] for which means are dropped as aberrant (§4.2
//! footnote 8).

use rand_core::CryptoRng;
use sfumato_dp::{Laplace, NoiseSampler};

use crate::chiaroscuro::kmeans::{Inertia, assign, inertia, means};
use crate::error::{ProtocolError, Result};

/// What one iteration produced.
#[derive(Clone, Debug, PartialEq)]
pub struct IterationReport {
    /// Inertia of the clustering by the exact (unperturbed) means.
    pub before: Inertia,
    /// Inertia of the clustering by the perturbed means that survive.
    pub after: Inertia,
    /// The perturbed means that survive, the next iteration's centroids.
    pub centroids: Vec<Vec<f64>>,
}

/// The parameters of the perturbed k-means.
#[derive(Clone, Debug, PartialEq)]
pub struct Perturbation {
    /// The declared range of every value [d_min, d_max].
    pub range: (f64, f64),
    /// ε_i of each iteration.
    pub budgets: Vec<f64>,
    /// SMA window as a fraction of the series length (Chiaroscuro Table 2:
    /// 20 %); `None`: no smoothing.
    pub smoothing: Option<f64>,
}

/// The SMA window w for series of `n` values: a fraction of n, rounded
/// (§5.2; Table 2: 20 %); 0 without smoothing.
pub fn smoothing_window(fraction: Option<f64>, n: usize) -> usize {
    fraction
        .map(|f| (f * n as f64).round() as usize)
        .unwrap_or(0)
}

/// Cyclic simple moving average over `w + 1` values (§5.2).
pub fn smooth(values: &[f64], w: usize) -> Vec<f64> {
    let n = values.len();
    if n == 0 || w == 0 {
        return values.to_vec();
    }
    let half = (w / 2) as isize;
    (0..n as isize)
        .map(|j| {
            let sum: f64 = (-half..=half)
                .map(|d| values[(j + d).rem_euclid(n as isize) as usize])
                .sum();
            sum / (2 * half + 1) as f64
        })
        .collect()
}

/// A perturbed mean from its noisy sums and count (§5.2, §4.2 fn. 8):
/// the sums smoothed by a cyclic SMA over `window + 1` values, divided by
/// the count; `None` when the mean is aberrant — a count below 1, or a
/// value beyond the declared range by more than the range's width, which
/// only the noise can produce. Values just outside the range are clipped
/// into it (post-processing of a differentially private output).
pub fn perturbed_mean(
    noisy_sums: &[f64],
    noisy_count: f64,
    window: usize,
    (lo, hi): (f64, f64),
) -> Option<Vec<f64>> {
    if noisy_count.is_nan() || noisy_count < 1.0 {
        return None;
    }
    let slack = hi - lo;
    let mean: Vec<f64> = smooth(noisy_sums, window)
        .iter()
        .map(|s| s / noisy_count)
        .collect();
    if mean.iter().any(|v| !(lo - slack..=hi + slack).contains(v)) {
        return None;
    }
    Some(mean.into_iter().map(|v| v.clamp(lo, hi)).collect())
}

/// Runs the perturbed k-means from `initial` for `p.budgets.len()`
/// iterations (fewer if every mean became aberrant).
pub fn perturbed_kmeans<R: CryptoRng + ?Sized>(
    data: &[Vec<f64>],
    initial: &[Vec<f64>],
    p: &Perturbation,
    rng: &mut R,
) -> Result<Vec<IterationReport>> {
    let n = data.first().map_or(0, Vec::len);
    let (lo, hi) = p.range;
    if lo.partial_cmp(&hi) != Some(core::cmp::Ordering::Less) {
        return Err(ProtocolError::invalid("range", "d_min must be below d_max"));
    }
    let sensitivity = n as f64 * lo.abs().max(hi.abs());
    let window = smoothing_window(p.smoothing, n);
    let mut centroids = initial.to_vec();
    let mut out = Vec::with_capacity(p.budgets.len());
    for &eps in &p.budgets {
        if centroids.is_empty() {
            break;
        }
        if !(eps > 0.0 && eps.is_finite()) {
            return Err(ProtocolError::invalid(
                "budget",
                format!("ε_i = {eps} is not positive"),
            ));
        }
        let half = eps / 2.0;
        let sum_noise = Laplace::new(sensitivity / half)
            .map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
        let count_noise =
            Laplace::new(1.0 / half).map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
        let a = assign(data, &centroids);
        let exact = means(data, &a, centroids.len());
        let exact_means: Vec<Vec<f64>> = exact
            .iter()
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| s.iter().map(|v| v / *c as f64).collect())
            .collect();
        let mut next = Vec::new();
        for (sum, count) in &exact {
            let noisy: Vec<f64> = sum.iter().map(|v| v + sum_noise.sample(rng)).collect();
            let c = *count as f64 + count_noise.sample(rng);
            if let Some(mean) = perturbed_mean(&noisy, c, window, (lo, hi)) {
                next.push(mean);
            }
        }
        out.push(IterationReport {
            before: inertia(data, &exact_means),
            after: inertia(data, &next),
            centroids: next.clone(),
        });
        centroids = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn aberrant_means_are_dropped_and_slight_excursions_clipped() {
        let r = (0.0, 10.0);
        assert_eq!(
            perturbed_mean(&[-4.0, 24.0], 2.0, 0, r),
            Some(vec![0.0, 10.0])
        );
        assert_eq!(perturbed_mean(&[-42.0, 4.0], 2.0, 0, r), None);
        assert_eq!(perturbed_mean(&[4.0, 4.0], 0.9, 0, r), None);
        assert_eq!(perturbed_mean(&[4.0, 4.0], f64::NAN, 0, r), None);
    }

    #[test]
    fn smoothing_is_a_cyclic_moving_average() {
        assert_eq!(smooth(&[3.0, 0.0, 0.0, 0.0], 2), vec![1.0, 1.0, 0.0, 1.0]);
        assert_eq!(smooth(&[1.0, 2.0], 0), vec![1.0, 2.0]);
    }

    /// 3,000 series of length 4 in 3 well separated groups.
    fn data() -> Vec<Vec<f64>> {
        (0..3000)
            .map(|i| {
                let g = (i % 3) as f64 * 30.0 + 5.0;
                (0..4)
                    .map(|j| g + ((i * 7 + j * 3) % 10) as f64 / 2.0)
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_large_budget_tracks_lloyd_and_a_tiny_one_destroys_the_means() {
        let d = data();
        let init = vec![vec![0.0; 4], vec![40.0; 4], vec![80.0; 4]];
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let p = Perturbation {
            range: (0.0, 80.0),
            budgets: vec![10.0; 5],
            smoothing: None,
        };
        let r = perturbed_kmeans(&d, &init, &p, &mut rng).unwrap();
        assert_eq!(r.len(), 5);
        let last = &r[4];
        assert_eq!(last.centroids.len(), 3);
        // With ε = 10 per iteration on 1,000 series per group the means
        // move by about 80·4/5/1000 ≈ 0.06: the inertia stays at Lloyd's.
        assert!(
            last.after.intra < last.before.intra * 1.05 + 0.1,
            "{last:?}"
        );
        let q = Perturbation {
            range: (0.0, 80.0),
            budgets: vec![1e-4; 3],
            smoothing: Some(0.5),
        };
        let r = perturbed_kmeans(&d, &init, &q, &mut rng).unwrap();
        // Noise of scale ~6·10⁶ on sums of ~1,000 values: the means leave
        // the range and are dropped.
        assert!(r.iter().any(|it| it.centroids.len() < 3));
        assert!(
            perturbed_kmeans(
                &d,
                &init,
                &Perturbation {
                    range: (1.0, 1.0),
                    ..p
                },
                &mut rng
            )
            .is_err()
        );
    }
}
