//! 2-D points in 50 clusters, like the A3 set Chiaroscuro App. D uses
//! (7,500 points in 50 Gaussian-like clusters, duplicated 100 times with
//! a small jitter into 750,000 points).
//!
//! Cluster centres are drawn uniformly in [5,000, 60,000]² at least 6,000
//! apart; each point is its centre plus a normal offset of standard
//! deviation 1,500 per coordinate; values are clipped to [0, 65,535].
//! The generating cluster of each point is kept as its label.

use crate::error::{Result, TracesError};
use crate::generator::rng::{Stream, normal, stream, uniform};
use crate::synthetic::{Dataset, clip};

/// Clusters.
pub const POINTS_CLUSTERS: usize = 50;
/// The declared largest coordinate.
pub const POINTS_MAX: f64 = 65_535.0;

const SPREAD: f64 = 1_500.0;
const MIN_GAP: f64 = 6_000.0;

/// The 50 cluster centres of run `seed`.
fn centres(seed: u64) -> Vec<(f64, f64)> {
    let mut r = stream(seed, Stream::Point, u64::MAX, 0);
    let mut out: Vec<(f64, f64)> = Vec::with_capacity(POINTS_CLUSTERS);
    let mut attempts = 0;
    while out.len() < POINTS_CLUSTERS {
        let c = (
            5_000.0 + 55_000.0 * uniform(&mut r),
            5_000.0 + 55_000.0 * uniform(&mut r),
        );
        attempts += 1;
        // Keep the centres apart (give up on the gap after many tries).
        if attempts > 100_000 || out.iter().all(|o| (o.0 - c.0).hypot(o.1 - c.1) >= MIN_GAP) {
            out.push(c);
        }
    }
    out
}

/// `points` points for run `seed`, spread evenly over the 50 clusters;
/// point `i` is the same whatever the number of points.
pub fn points_2d(points: u64, seed: u64) -> Result<Dataset> {
    if points == 0 || points > 100_000_000 {
        return Err(TracesError::invalid(
            "points",
            "must be between 1 and 100,000,000",
        ));
    }
    let centres = centres(seed);
    let mut clipped = 0;
    let mut labels = Vec::with_capacity(points as usize);
    let rows = (0..points)
        .map(|i| {
            let k = (i % POINTS_CLUSTERS as u64) as usize;
            labels.push(k as u32);
            let mut r = stream(seed, Stream::Point, i, 1);
            let (cx, cy) = centres[k];
            vec![
                clip(cx + SPREAD * normal(&mut r), 0.0, POINTS_MAX, &mut clipped),
                clip(cy + SPREAD * normal(&mut r), 0.0, POINTS_MAX, &mut clipped),
            ]
        })
        .collect();
    Ok(Dataset {
        rows,
        range: (0.0, POINTS_MAX),
        clipped,
        labels: Some(labels),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_gather_around_fifty_separated_centres() {
        let d = points_2d(5_000, 3).unwrap();
        let labels = d.labels.as_ref().unwrap();
        assert_eq!(d.rows.len(), 5_000);
        let c = centres(3);
        assert_eq!(c.len(), 50);
        // Each point is within 5 standard deviations of its own centre
        // (probability of a violation ≈ 10⁻⁶ per coordinate).
        for (p, k) in d.rows.iter().zip(labels) {
            let (cx, cy) = c[*k as usize];
            assert!((p[0] - cx).abs() < 5.0 * SPREAD && (p[1] - cy).abs() < 5.0 * SPREAD);
        }
        assert_eq!(d.clipped, 0);
        assert_eq!(points_2d(10, 3).unwrap().rows[7], d.rows[7]);
        assert!(points_2d(0, 3).is_err());
    }
}
