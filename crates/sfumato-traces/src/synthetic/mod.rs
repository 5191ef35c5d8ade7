//! Synthetic data sets for clustering experiments (Chiaroscuro §6, App. D):
//! CER-like household daily profiles (derived from the load generator),
//! NUMED-like tumour-size series and 2-D points in 50 clusters; and any
//! set of equally long series read from a CSV file.
//!
//! Every value is clipped to the set's declared range — the range fixes the
//! sensitivity of the sums a private clustering publishes (Chiaroscuro
//! Def. 4) — and the number of clipped values is reported.

pub mod cer;
pub mod csv;
pub mod numed;
pub mod points;
pub mod replicate;

pub use cer::{CER_HOURS, CER_MAX, CER_POOL, CER_UNITS_PER_KWH, cer_like};
pub use csv::from_csv;
pub use numed::{NUMED_MAX, NUMED_WEEKS, numed_like};
pub use points::{POINTS_CLUSTERS, POINTS_MAX, points_2d};
pub use replicate::replicate;

/// A set of equally long series, one per participant.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// One row per participant.
    pub rows: Vec<Vec<f64>>,
    /// The declared range of every value.
    pub range: (f64, f64),
    /// Values that fell outside the range and were clipped to it.
    pub clipped: u64,
    /// The generating cluster of each row, when there is one.
    pub labels: Option<Vec<u32>>,
}

/// Clips `v` to `[lo, hi]`, counting the values changed.
pub(crate) fn clip(v: f64, lo: f64, hi: f64, clipped: &mut u64) -> f64 {
    if v.is_nan() {
        *clipped += 1;
        return lo;
    }
    if v < lo || v > hi {
        *clipped += 1;
    }
    v.clamp(lo, hi)
}
