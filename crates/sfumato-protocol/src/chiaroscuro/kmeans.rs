//! Centralized k-means pieces (Chiaroscuro §3.1, Def. 1): assignment to the
//! closest centroid, means, and the intra-, inter-cluster and full inertia.
//! These are the oracle and the baselines of the evaluation (§6): the
//! distributed protocol's participants never see the data they use.

/// Squared Euclidean distance.
pub fn distance2(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

use distance2 as dist2;

/// The index of the centroid closest to `s` (ties to the lower index);
/// `None` when there is no centroid.
pub fn nearest(s: &[f64], centroids: &[Vec<f64>]) -> Option<usize> {
    centroids
        .iter()
        .enumerate()
        .map(|(i, c)| (i, dist2(s, c)))
        .fold(None, |best: Option<(usize, f64)>, (i, d)| match best {
            Some((_, bd)) if bd <= d => best,
            _ => Some((i, d)),
        })
        .map(|(i, _)| i)
}

/// The index of the centroid closest to each series (ties to the lower
/// index); `None` for every series when there is no centroid.
pub fn assign(data: &[Vec<f64>], centroids: &[Vec<f64>]) -> Vec<Option<usize>> {
    data.iter().map(|s| nearest(s, centroids)).collect()
}

/// Per centroid, the sum of its series (dimension by dimension) and their
/// count.
pub fn means(data: &[Vec<f64>], assignment: &[Option<usize>], k: usize) -> Vec<(Vec<f64>, u64)> {
    let n = data.first().map_or(0, Vec::len);
    let mut out = vec![(vec![0.0; n], 0u64); k];
    for (s, a) in data.iter().zip(assignment) {
        if let Some(i) = a
            && let Some((sum, count)) = out.get_mut(*i)
        {
            for (acc, v) in sum.iter_mut().zip(s) {
                *acc += v;
            }
            *count += 1;
        }
    }
    out
}

/// One iteration of Lloyd's algorithm: the means of the clusters the
/// centroids induce; a centroid whose cluster is empty disappears.
pub fn lloyd_step(data: &[Vec<f64>], centroids: &[Vec<f64>]) -> Vec<Vec<f64>> {
    centroids_of(data, &assign(data, centroids), centroids.len())
}

/// The means of the k clusters an assignment makes; empty ones disappear.
fn centroids_of(data: &[Vec<f64>], assignment: &[Option<usize>], k: usize) -> Vec<Vec<f64>> {
    means(data, assignment, k)
        .into_iter()
        .filter(|(_, c)| *c > 0)
        .map(|(sum, c)| sum.into_iter().map(|v| v / c as f64).collect())
        .collect()
}

/// Chiaroscuro Def. 1's inertia of a clustering (each series assigned to
/// its closest centroid), normalised by the number of series t.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Inertia {
    /// (1/t) Σ_i Σ_{s ∈ ζ_i} ‖C_i − s‖²: homogeneity within clusters,
    /// measured against the centroids given.
    pub intra: f64,
    /// Σ_i (|ζ_i|/t) ‖C_i − g‖², g the centre of mass of all series.
    pub inter: f64,
    /// (1/t) Σ_s ‖s − g‖²: a constant of the data set.
    pub full: f64,
}

/// The inertia of `data` clustered by `centroids`.
pub fn inertia(data: &[Vec<f64>], centroids: &[Vec<f64>]) -> Inertia {
    let t = data.len().max(1) as f64;
    let n = data.first().map_or(0, Vec::len);
    let mut g = vec![0.0; n];
    for s in data {
        for (acc, v) in g.iter_mut().zip(s) {
            *acc += v / t;
        }
    }
    let a = assign(data, centroids);
    let mut intra = 0.0;
    let mut sizes = vec![0u64; centroids.len()];
    for (s, i) in data.iter().zip(&a) {
        if let Some(i) = i {
            intra += dist2(s, &centroids[*i]);
            sizes[*i] += 1;
        }
    }
    let inter = centroids
        .iter()
        .zip(&sizes)
        .map(|(c, m)| *m as f64 / t * dist2(c, &g))
        .sum();
    let full = data.iter().map(|s| dist2(s, &g)).sum::<f64>() / t;
    Inertia {
        intra: intra / t,
        inter,
        full,
    }
}

/// The best non-private k-means a user would run: k-means++ seeding
/// (Arthur and Vassilvitskii 2007) then Lloyd's iterations until no series
/// changes cluster (at most `max_iterations`), best of `restarts` by
/// intra-cluster inertia. A reference for the evaluation, not part of the
/// protocol (it reads every series).
pub fn kmeans_pp<R: rand_core::CryptoRng + ?Sized>(
    data: &[Vec<f64>],
    k: usize,
    restarts: u32,
    max_iterations: u32,
    rng: &mut R,
) -> Option<(Vec<Vec<f64>>, f64)> {
    if data.is_empty() || k == 0 {
        return None;
    }
    let uniform = crate::rng::open_unit::<R>;
    let mut best: Option<(Vec<Vec<f64>>, f64)> = None;
    for _ in 0..restarts.max(1) {
        let first = ((uniform(rng) * data.len() as f64) as usize).min(data.len() - 1);
        let mut centroids = vec![data[first].clone()];
        let mut d2: Vec<f64> = data.iter().map(|s| dist2(s, &centroids[0])).collect();
        while centroids.len() < k {
            let total: f64 = d2.iter().sum();
            if total <= 0.0 {
                break;
            }
            let mut target = uniform(rng) * total;
            let mut pick = data.len() - 1;
            for (i, w) in d2.iter().enumerate() {
                if target < *w {
                    pick = i;
                    break;
                }
                target -= w;
            }
            let c = data[pick].clone();
            for (s, d) in data.iter().zip(d2.iter_mut()) {
                *d = d.min(dist2(s, &c));
            }
            centroids.push(c);
        }
        // One assignment per step: the labels of the current centroids
        // give both the next means and the convergence test.
        let mut labels = assign(data, &centroids);
        for _ in 0..max_iterations {
            centroids = centroids_of(data, &labels, centroids.len());
            let next = assign(data, &centroids);
            if next == labels {
                break;
            }
            labels = next;
        }
        let q = inertia(data, &centroids).intra;
        if best.as_ref().is_none_or(|(_, b)| q < *b) {
            best = Some((centroids, q));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Vec<Vec<f64>> {
        vec![
            vec![0.0, 0.0],
            vec![0.0, 2.0],
            vec![10.0, 10.0],
            vec![12.0, 10.0],
            vec![11.0, 13.0],
        ]
    }

    #[test]
    fn assignment_means_and_a_step() {
        let d = data();
        let c = vec![vec![1.0, 1.0], vec![10.0, 11.0]];
        assert_eq!(
            assign(&d, &c),
            vec![Some(0), Some(0), Some(1), Some(1), Some(1)]
        );
        let m = means(&d, &assign(&d, &c), 2);
        assert_eq!(m[0], (vec![0.0, 2.0], 2));
        assert_eq!(m[1], (vec![33.0, 33.0], 3));
        assert_eq!(lloyd_step(&d, &c), vec![vec![0.0, 1.0], vec![11.0, 11.0]]);
        assert!(assign(&d, &[]).iter().all(Option::is_none));
        // An empty cluster's centroid disappears.
        assert_eq!(lloyd_step(&d, &[c[0].clone(), vec![1e6, 1e6]]).len(), 1);
    }

    #[test]
    fn at_the_means_intra_plus_inter_is_the_full_inertia() {
        // Huygens: for centroids that are their clusters' means,
        // intra + inter = full (Def. 1: "It is a constant value").
        let d = data();
        let c = lloyd_step(&d, &[vec![1.0, 1.0], vec![10.0, 11.0]]);
        let q = inertia(&d, &c);
        assert!((q.intra + q.inter - q.full).abs() < 1e-9, "{q:?}");
        // Elsewhere the intra part is larger.
        let off = inertia(&d, &[vec![3.0, 3.0], vec![8.0, 8.0]]);
        assert!(off.intra > q.intra);
        assert!((off.full - q.full).abs() < 1e-12);
    }

    #[test]
    fn kmeans_pp_finds_separated_groups() {
        use rand_core::SeedableRng;
        let d = three_groups();
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let (c, q) = kmeans_pp(&d, 3, 3, 50, &mut rng).unwrap();
        assert_eq!(c.len(), 3);
        assert!(q < 5.0, "{q}");
        assert!(kmeans_pp(&[], 3, 1, 1, &mut rng).is_none());
    }

    /// A small deterministic spread of 300 points in 3 groups.
    fn three_groups() -> Vec<Vec<f64>> {
        (0..300)
            .map(|i| {
                let g = (i % 3) as f64 * 20.0;
                vec![g + (i * 7 % 11) as f64 / 3.0, g + (i * 5 % 13) as f64 / 4.0]
            })
            .collect()
    }

    #[test]
    fn lloyd_never_increases_the_intra_inertia() {
        let d = three_groups();
        // From a poor start (a local optimum: one group split in two) and
        // from a good one (the three groups found).
        for (start, bound) in [([0.0, 1.0, 2.0], 200.0), ([0.0, 20.0, 40.0], 5.0)] {
            let mut c: Vec<Vec<f64>> = start.iter().map(|x| vec![*x, *x]).collect();
            let mut last = inertia(&d, &c).intra;
            for _ in 0..10 {
                c = lloyd_step(&d, &c);
                let now = inertia(&d, &c).intra;
                assert!(now <= last + 1e-9);
                last = now;
            }
            assert!(last < bound, "{last}");
        }
    }
}
