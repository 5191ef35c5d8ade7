//! What a Chiaroscuro run is measured against (§6): Lloyd's k-means from the
//! protocol's own start, the centralized perturbed k-means on the run's
//! parameters, the best non-private k-means (k-means++), and diffprivlib's
//! centralized DP k-means. They are oracles on the true data, which no
//! participant has; every front end that evaluates a run (the CLI, the
//! dashboard) computes them here, from the same seeds.

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::Serialize;

use crate::chiaroscuro::dplloyd::{DpLloyd, dp_lloyd};
use crate::chiaroscuro::kmeans::{inertia, kmeans_pp, lloyd_step};
use crate::chiaroscuro::params::ChiaroscuroParams;
use crate::chiaroscuro::perturbed::perturbed_kmeans;
use crate::error::Result;

/// How many k-means++ restarts the non-private reference keeps the best of.
pub const KMEANS_PP_RESTARTS: u32 = 3;

/// Lloyd iterations a k-means++ restart runs at most.
const KMEANS_PP_ITERATIONS: u32 = 100;

/// One iteration of a baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineIteration {
    /// Intra-cluster inertia of the clustering its input centroids induce,
    /// with the exact means.
    pub intra_before: f64,
    /// Intra-cluster inertia with the centroids it outputs.
    pub intra_after: f64,
    /// The centroids it outputs.
    pub centroids: usize,
}

/// The baselines of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Baselines {
    /// Lloyd's k-means from the centroids the protocol started its first
    /// clustering iteration from (after DP initialisation, its expansion).
    pub lloyd: Vec<BaselineIteration>,
    /// The centralized perturbed k-means on the run's parameters.
    pub centralized: Vec<BaselineIteration>,
    /// The best non-private k-means (k-means++, restarts, to convergence).
    pub kmeans_pp: Option<f64>,
    /// The centralized DP k-means of diffprivlib.
    pub dp_lloyd: DpLloyd,
}

/// `iterations` of Lloyd's k-means from `initial`.
pub fn lloyd_baseline(
    data: &[Vec<f64>],
    initial: &[Vec<f64>],
    iterations: usize,
) -> Vec<BaselineIteration> {
    let mut c = initial.to_vec();
    let mut out = Vec::new();
    for _ in 0..iterations {
        let next = lloyd_step(data, &c);
        let before = inertia(data, &next).intra;
        out.push(BaselineIteration {
            intra_before: before,
            intra_after: before,
            centroids: next.len(),
        });
        c = next;
    }
    out
}

/// Runs the baselines of a run with parameters `p` on `data`, for k
/// clusters and total budget `epsilon`. With DP initialisation,
/// `dp_init_start` is the centroids its iteration published: Lloyd's first
/// row is then that iteration's (one centroid) and Lloyd continues from
/// them, as the protocol does.
pub fn baselines(
    data: &[Vec<f64>],
    p: &ChiaroscuroParams,
    dp_init_start: Option<&[Vec<f64>]>,
    k: usize,
    epsilon: f64,
    seed: u64,
) -> Result<Baselines> {
    let iterations = p.max_iterations() as usize;
    let lloyd = match dp_init_start {
        Some(start) => {
            let before = inertia(data, &lloyd_step(data, &p.initial)).intra;
            let mut rows = vec![BaselineIteration {
                intra_before: before,
                intra_after: before,
                centroids: start.len(),
            }];
            rows.extend(lloyd_baseline(data, start, iterations.saturating_sub(1)));
            rows
        }
        None => lloyd_baseline(data, &p.initial, iterations),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x0ce4_77a1);
    let centralized = perturbed_kmeans(data, p, &mut rng)?
        .into_iter()
        .map(|r| BaselineIteration {
            intra_before: r.before.intra,
            intra_after: r.after.intra,
            centroids: r.centroids.len(),
        })
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x6b6d_2b2b);
    let kmeans_pp =
        kmeans_pp(data, k, KMEANS_PP_RESTARTS, KMEANS_PP_ITERATIONS, &mut rng).map(|(_, q)| q);
    let mut rng = ChaCha20Rng::seed_from_u64(seed ^ 0x00d9_11d1);
    let dp_lloyd = dp_lloyd(data, k, epsilon, p.range, &mut rng)?;
    Ok(Baselines {
        lloyd,
        centralized,
        kmeans_pp,
        dp_lloyd,
    })
}
