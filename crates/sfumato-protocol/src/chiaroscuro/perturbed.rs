//! The centralized perturbed k-means Chiaroscuro evaluates quality with
//! (§6: "a perturbed centralized k-means implementation embedding our
//! budget concentration strategies and means smoothing technique").
//!
//! Iteration i spends ε_i (from a budget strategy, §5.1): the sums of each
//! cluster get Laplace noise of scale n·max(|d_min|, |d_max|)/(s·ε_i) per
//! dimension (Def. 4) and the counts Laplace noise of scale 1/((1−s)·ε_i),
//! with s the sums' share of [`sum_share`](crate::chiaroscuro::sum_share)
//! (the paper perturbs both, §4.2.2, without saying how ε_i is split), so
//! each iteration is ε_i-DP by sequential composition. The noisy sums are
//! divided by the noisy counts and smoothed (§5.2; see [`perturbed_mean`]
//! for which means are dropped as aberrant, §4.2 footnote 8).
//! [`publish_means`] and [`stop_after`] are the post-processing the
//! protocol's participants apply to each decrypted iteration too, so the
//! centralized run differs from the distributed one only by where the
//! noise is drawn.

use rand_core::CryptoRng;
use sfumato_dp::{Laplace, NoiseSampler};

use crate::chiaroscuro::kmeans::{Inertia, assign, inertia, means};
use crate::chiaroscuro::params::ChiaroscuroParams;
use crate::chiaroscuro::quality::{SmoothingMode, adaptive_smooth, noise_overwhelms};
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
/// the sums divided by the count and smoothed by a cyclic SMA over
/// `window + 1` values — always (the paper), or, given the iteration's
/// Laplace scale λ of the sums, adaptively ([`adaptive_smooth`], each
/// value of the mean carrying noise of variance 2λ²/count²); `None` when
/// the mean is aberrant — a count below 1, or a value beyond the declared
/// range by more than the range's width, which only the noise can
/// produce. Values just outside the range are clipped into it
/// (post-processing of a differentially private output).
pub fn perturbed_mean(
    noisy_sums: &[f64],
    noisy_count: f64,
    window: usize,
    (lo, hi): (f64, f64),
    adaptive_scale: Option<f64>,
) -> Option<Vec<f64>> {
    if noisy_count.is_nan() || noisy_count < 1.0 {
        return None;
    }
    let slack = hi - lo;
    let raw: Vec<f64> = noisy_sums.iter().map(|s| s / noisy_count).collect();
    let mean = match adaptive_scale {
        None => smooth(&raw, window),
        Some(l) => adaptive_smooth(&raw, window, 2.0 * (l / noisy_count).powi(2)),
    };
    if mean.iter().any(|v| !(lo - slack..=hi + slack).contains(v)) {
        return None;
    }
    Some(mean.into_iter().map(|v| v.clamp(lo, hi)).collect())
}

/// The centroids one iteration publishes, derived from its perturbed
/// values by post-processing only.
#[derive(Clone, Debug, PartialEq)]
pub struct PublishedMeans {
    /// The means that survive, the next iteration's centroids (for the DP
    /// initialisation's iteration: the k centroids around the mean).
    pub centroids: Vec<Vec<f64>>,
    /// Their noisy counts (for the DP initialisation's: the count over k).
    pub counts: Vec<f64>,
    /// Means eliminated as aberrant.
    pub eliminated: u32,
}

/// Iteration `iteration`'s published centroids from its perturbed values
/// (for each cluster, its sum series then its count): [`perturbed_mean`]
/// with the run's smoothing, and for the DP initialisation's iteration
/// the expansion of the mean into k centroids ([`DpInit::expand`]).
pub fn publish_means(values: &[f64], iteration: u32, p: &ChiaroscuroParams) -> PublishedMeans {
    let n = p.length;
    let window = smoothing_window(p.smoothing, n);
    let adaptive = match p.quality.smoothing {
        SmoothingMode::Always => None,
        SmoothingMode::Adaptive => p.noise_scales(iteration).map(|(sum, _)| sum),
    };
    let mut out = PublishedMeans {
        centroids: Vec::new(),
        counts: Vec::new(),
        eliminated: 0,
    };
    for cluster in values.chunks(n + 1) {
        let count = cluster.get(n).copied().unwrap_or(f64::NAN);
        match perturbed_mean(
            &cluster[..n.min(cluster.len())],
            count,
            window,
            p.range,
            adaptive,
        ) {
            Some(mean) if mean.len() == n => {
                out.centroids.push(mean);
                out.counts.push(count);
            }
            _ => out.eliminated += 1,
        }
    }
    if let (true, Some(init), [g]) = (
        p.is_init_iteration(iteration),
        p.quality.init,
        out.centroids.as_slice(),
    ) {
        let share = out.counts[0] / init.k as f64;
        out.centroids = init.expand(g, p.range);
        out.counts = vec![share; init.k];
    }
    out
}

/// Whether the run stops after `iteration` published `centroids` with
/// their noisy `counts`, having entered it with `entering` centroids: fewer
/// than two centroids left of several, or [`noise_overwhelms`] for the
/// next iteration's sum scale (§5.1 fn. 9). Never after the DP
/// initialisation's iteration, nor after the last.
pub fn stop_after(
    iteration: u32,
    entering: usize,
    centroids: &[Vec<f64>],
    counts: &[f64],
    p: &ChiaroscuroParams,
) -> bool {
    if p.is_init_iteration(iteration) {
        return false;
    }
    let Some(ratio) = p.quality.stop_noise else {
        return false;
    };
    if entering >= 2 && centroids.len() < 2 {
        return true;
    }
    match (p.noise_scales(iteration), p.noise_scales(iteration + 1)) {
        (Some((now, _)), Some((next, _))) => {
            noise_overwhelms(centroids, counts, (now, next), ratio)
        }
        _ => false,
    }
}

/// Runs the perturbed k-means on the run's parameters `p` (its initial
/// centroids, budgets, scales, smoothing, DP initialisation and stop rule)
/// with centrally drawn Laplace noise: the protocol's arithmetic without
/// the distribution. Stops early as the protocol does.
pub fn perturbed_kmeans<R: CryptoRng + ?Sized>(
    data: &[Vec<f64>],
    p: &ChiaroscuroParams,
    rng: &mut R,
) -> Result<Vec<IterationReport>> {
    p.validate()?;
    let n = p.length;
    if data.iter().any(|s| s.len() != n) {
        return Err(ProtocolError::invalid("data", "series of another length"));
    }
    let mut centroids = p.initial.clone();
    let mut out = Vec::with_capacity(p.budgets.len());
    for i in 0..p.max_iterations() {
        if centroids.is_empty() {
            break;
        }
        let (sum_scale, count_scale) = p
            .noise_scales(i)
            .ok_or_else(|| ProtocolError::invalid("budget", "no noise scale"))?;
        let sum_noise =
            Laplace::new(sum_scale).map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
        let count_noise = Laplace::new(count_scale)
            .map_err(|e| ProtocolError::invalid("noise", e.to_string()))?;
        let a = assign(data, &centroids);
        let exact = means(data, &a, centroids.len());
        let exact_means: Vec<Vec<f64>> = exact
            .iter()
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| s.iter().map(|v| v / *c as f64).collect())
            .collect();
        let mut values = Vec::with_capacity(exact.len() * (n + 1));
        for (sum, count) in &exact {
            values.extend(sum.iter().map(|v| v + sum_noise.sample(rng)));
            values.push(*count as f64 + count_noise.sample(rng));
        }
        let published = publish_means(&values, i, p);
        let stop = stop_after(
            i,
            centroids.len(),
            &published.centroids,
            &published.counts,
            p,
        );
        out.push(IterationReport {
            before: inertia(data, &exact_means),
            after: inertia(data, &published.centroids),
            centroids: published.centroids.clone(),
        });
        centroids = published.centroids;
        if stop {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use crate::chiaroscuro::params::tests::small;
    use crate::chiaroscuro::quality::{DpInit, Quality};

    #[test]
    fn aberrant_means_are_dropped_and_slight_excursions_clipped() {
        let r = (0.0, 10.0);
        assert_eq!(
            perturbed_mean(&[-4.0, 24.0], 2.0, 0, r, None),
            Some(vec![0.0, 10.0])
        );
        assert_eq!(perturbed_mean(&[-42.0, 4.0], 2.0, 0, r, None), None);
        assert_eq!(perturbed_mean(&[4.0, 4.0], 0.9, 0, r, None), None);
        assert_eq!(perturbed_mean(&[4.0, 4.0], f64::NAN, 0, r, Some(1.0)), None);
    }

    #[test]
    fn smoothing_is_a_cyclic_moving_average() {
        assert_eq!(smooth(&[3.0, 0.0, 0.0, 0.0], 2), vec![1.0, 1.0, 0.0, 1.0]);
        assert_eq!(smooth(&[1.0, 2.0], 0), vec![1.0, 2.0]);
        // The paper's SMA flattens a clean peak; the adaptive one keeps it
        // when the noise (scale 1 on a count of 1,000) is negligible.
        let sums = [1000.0, 1000.0, 9000.0, 1000.0, 1000.0, 1000.0];
        let sma = perturbed_mean(&sums, 1000.0, 2, (0.0, 10.0), None).unwrap();
        assert!((sma[2] - 11.0 / 3.0).abs() < 1e-9, "{sma:?}");
        let kept = perturbed_mean(&sums, 1000.0, 2, (0.0, 10.0), Some(1.0)).unwrap();
        assert!((kept[2] - 9.0).abs() < 1e-3, "{kept:?}");
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

    fn params(budgets: Vec<f64>, smoothing: Option<f64>) -> ChiaroscuroParams {
        ChiaroscuroParams {
            range: (0.0, 80.0),
            initial: vec![vec![0.0; 4], vec![40.0; 4], vec![80.0; 4]],
            budgets,
            smoothing,
            quality: Quality {
                stop_noise: None,
                ..Quality::default()
            },
            ..small()
        }
    }

    #[test]
    fn a_large_budget_tracks_lloyd_and_a_tiny_one_destroys_the_means() {
        let d = data();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let r = perturbed_kmeans(&d, &params(vec![10.0; 5], None), &mut rng).unwrap();
        assert_eq!(r.len(), 5);
        let last = &r[4];
        assert_eq!(last.centroids.len(), 3);
        // With ε = 10 per iteration on 1,000 series per group the means
        // move by about 80·4/9/1000 ≈ 0.04: the inertia stays at Lloyd's.
        assert!(
            last.after.intra < last.before.intra * 1.05 + 0.1,
            "{last:?}"
        );
        let r = perturbed_kmeans(&d, &params(vec![1e-4; 3], Some(0.5)), &mut rng).unwrap();
        // Noise of scale ~3·10⁶ on sums of ~1,000 values: the means leave
        // the range and are dropped.
        assert!(r.iter().any(|it| it.centroids.len() < 3));
        let mut bad = params(vec![1.0], None);
        bad.range = (1.0, 1.0);
        assert!(perturbed_kmeans(&d, &bad, &mut rng).is_err());
        assert!(perturbed_kmeans(&[vec![1.0; 3]], &params(vec![1.0], None), &mut rng).is_err());
    }

    #[test]
    fn the_noise_aware_stop_ends_a_greedy_run_before_the_noise_takes_over() {
        let d = data();
        // GREEDY over 12 iterations: by the last, ε is 2⁻¹² of the total.
        let greedy: Vec<f64> = (1..=12).map(|i| 2.0 / f64::powi(2.0, i)).collect();
        let mut p = params(greedy, None);
        let full = perturbed_kmeans(&d, &p, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        // Without the stop the noise eliminates centroids, then all of them.
        assert!(full.last().unwrap().centroids.len() < 3);
        p.quality.stop_noise = Some(0.05);
        let stopped = perturbed_kmeans(&d, &p, &mut ChaCha20Rng::seed_from_u64(3)).unwrap();
        assert!(stopped.len() < full.len(), "{}", stopped.len());
        // Same noise up to the stop, and its last centroids are all three
        // groups. Each iteration may add noise inertia up to 5 % of the
        // inter-cluster inertia, so the last carries less than 4/3 of that.
        assert_eq!(stopped[..], full[..stopped.len()]);
        let last = stopped.last().unwrap();
        assert_eq!(last.centroids.len(), 3);
        assert!(
            last.after.intra < last.before.intra + 0.07 * last.after.full,
            "{last:?}"
        );
    }

    #[test]
    fn dp_initialisation_expands_the_mean_and_finds_the_groups() {
        let d = data();
        let mut p = params(vec![0.5, 2.0, 2.0, 2.0], None);
        p.initial = vec![vec![40.0; 4]];
        p.quality.init = Some(DpInit {
            k: 3,
            radius: 0.08,
            seed: 5,
        });
        let r = perturbed_kmeans(&d, &p, &mut ChaCha20Rng::seed_from_u64(4)).unwrap();
        // Iteration 0 publishes three centroids around the overall mean
        // (37.25 on every value; the noise moves it by about 0.4).
        assert_eq!(r[0].centroids.len(), 3);
        for c in &r[0].centroids {
            assert!(c.iter().all(|v| (v - 37.25).abs() < 1.0), "{c:?}");
        }
        // Three iterations later the three groups are found.
        let last = r.last().unwrap();
        assert_eq!(last.centroids.len(), 3, "{last:?}");
        assert!(last.after.intra < 20.0, "{last:?}");
    }
}
