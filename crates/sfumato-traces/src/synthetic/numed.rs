//! NUMED-like series: 20 weekly tumour sizes in [0, 50] (Chiaroscuro §6,
//! the NUMED data set), from the tumour-growth-inhibition model of Claret
//! et al. (J. Clin. Oncol. 2009) with patient-level variation.
//!
//! y(t) = y₀ · exp(K_G·t − (K_S/K_L)·(1 − e^{−K_L·t})): the tumour grows at
//! rate K_G, the treatment kills at rate K_S, and resistance makes the kill
//! rate decay at rate K_L. Each patient draws y₀, K_G, K_S and K_L from
//! log-normal laws (shrinking, stable and regrowing courses all occur),
//! and each weekly measurement carries a 5 % multiplicative error. The
//! parameters are ours, chosen so that sizes stay mostly within the
//! declared range; they are not fitted to any patient data.

use crate::error::{Result, TracesError};
use crate::generator::rng::{Stream, lognormal, stream};
use crate::synthetic::{Dataset, clip};

/// Weekly measurements per patient.
pub const NUMED_WEEKS: usize = 20;
/// The declared largest size (mm).
pub const NUMED_MAX: f64 = 50.0;

/// `patients` NUMED-like series for run `seed`; patient `p` is the same
/// whatever the number of patients.
pub fn numed_like(patients: u64, seed: u64) -> Result<Dataset> {
    if patients == 0 || patients > 100_000_000 {
        return Err(TracesError::invalid(
            "patients",
            "must be between 1 and 100,000,000",
        ));
    }
    let mut clipped = 0;
    let rows = (0..patients)
        .map(|p| {
            let mut r = stream(seed, Stream::Patient, p, 0);
            let y0 = lognormal(&mut r, 18.0, 0.45);
            let kg = lognormal(&mut r, 0.025, 0.6);
            let ks = lognormal(&mut r, 0.09, 0.8);
            let kl = lognormal(&mut r, 0.12, 0.6);
            (0..NUMED_WEEKS)
                .map(|w| {
                    let t = w as f64;
                    let y = y0 * (kg * t - ks / kl * (1.0 - (-kl * t).exp())).exp();
                    let measured = y * lognormal(&mut r, 1.0, 0.05);
                    clip(measured, 0.0, NUMED_MAX, &mut clipped)
                })
                .collect()
        })
        .collect();
    Ok(Dataset {
        rows,
        range: (0.0, NUMED_MAX),
        clipped,
        labels: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_in_range_varied_and_replayable() {
        let d = numed_like(2000, 7).unwrap();
        assert_eq!(d.rows.len(), 2000);
        assert!(d.rows.iter().all(|r| r.len() == NUMED_WEEKS));
        assert!(
            d.rows
                .iter()
                .flatten()
                .all(|v| (0.0..=NUMED_MAX).contains(v))
        );
        // Some tumours shrink by a third over the 20 weeks, some grow by a third.
        let shrink = d.rows.iter().filter(|r| r[19] < r[0] * 0.67).count();
        let grow = d.rows.iter().filter(|r| r[19] > r[0] * 1.33).count();
        assert!(shrink > 200 && grow > 200, "{shrink} shrink, {grow} grow");
        // Clipping is rare at this range.
        assert!(d.clipped < 2000 * 20 / 20, "{}", d.clipped);
        // Patient 5 does not depend on how many patients there are.
        assert_eq!(numed_like(10, 7).unwrap().rows[5], d.rows[5]);
        assert_ne!(numed_like(10, 8).unwrap().rows[5], d.rows[5]);
        assert!(numed_like(0, 1).is_err());
    }
}
