//! CER-like daily profiles: 24 hourly values per household-day in [0, 80]
//! (Chiaroscuro §6: "three millions daily time-series … reduced to
//! twenty-four measures each (electricity consumption per hour). The range
//! of each measure is [0,80] (sum sensitivity thus equals to 1920)").
//!
//! **Unit.** A value is the hour's energy in tenths of a kWh (hourly kWh ×
//! 10), so the declared range [0, 80] allows up to 8 kWh in one hour, which
//! a household reaches only with several heavy loads at once (storage
//! heaters, a shower and an oven). The paper does not give the unit; with
//! plain kWh a range of 80 would be a hundred times a typical hourly load
//! and the noise calibrated to it would drown every mean.
//!
//! **Derivation.** The household load generator ([`crate::generator`])
//! costs about 50 µs per household-day (`docs/PERFORMANCE.md`), so a
//! million profiles straight from it would take about half a minute on two
//! cores. Instead, each call draws from a fixed *pool* of [`CER_POOL`]
//! generated household-days — pool day `j` is household `j` of the run's
//! generator (UK climate, no air conditioning, as in Ireland) on a date of
//! the CER trial (2009-07-14 to 2010-12-31) chosen by its own stream, at
//! one-minute resolution summed into hours — and row `i` is one pool day,
//! chosen by row `i`'s own stream, perturbed like a similar household on a
//! similar day:
//!
//! * its level scaled by a log-normal factor of mean 1 (log-sd 0.15);
//! * shifted in time by a uniform −30 to +30 minutes (energy moved between
//!   neighbouring hours in proportion, around midnight circularly, so the
//!   day's total is kept);
//! * each hour scaled by its own log-normal factor of mean 1 (log-sd 0.10).
//!
//! Morning and evening peaks, night storage heating, direct heating in
//! winter, weekday and weekend routines, and one- to five-person households
//! all come from the generator. Only the pool days some row uses are
//! generated, so small sets are cheap; row `i` depends only on the seed
//! and `i`, never on the number of profiles or threads.

use rand_core::Rng;

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::generator::rng::{Stream, spread, stream, uniform};
use crate::generator::{DayWeather, Generator, GeneratorOptions};
use crate::io::daily::to_hourly;
use crate::model::Model;
use crate::resolution::Resolution;
use crate::synthetic::{Dataset, clip};

/// Hourly values per profile.
pub const CER_HOURS: usize = 24;
/// The declared largest value (tenths of a kWh in one hour).
pub const CER_MAX: f64 = 80.0;
/// Values per kWh: a value is the hour's energy in tenths of a kWh.
pub const CER_UNITS_PER_KWH: f64 = 10.0;
/// Generated household-days the profiles are drawn from.
pub const CER_POOL: u64 = 1 << 15;

/// Largest number of profiles a call produces.
const MAX_PROFILES: u64 = 100_000_000;
/// First and last day of the CER trial (inclusive).
const TRIAL_START: (i32, u32, u32) = (2009, 7, 14);
const TRIAL_END: (i32, u32, u32) = (2010, 12, 31);
/// Log-sd of a profile's level factor.
const LEVEL_SIGMA: f64 = 0.15;
/// Log-sd of each hour's factor.
const HOUR_SIGMA: f64 = 0.10;
/// Largest time shift, hours.
const MAX_SHIFT_HOURS: f64 = 0.5;

/// `profiles` CER-like daily profiles (24 hourly values in tenths of a
/// kWh, clipped to [0, [`CER_MAX`]]) for run `seed`; profile `i` is the
/// same whatever the number of profiles. No labels. See the module
/// documentation for how they are derived from the load generator.
pub fn cer_like(profiles: u64, seed: u64) -> Result<Dataset> {
    if profiles == 0 || profiles > MAX_PROFILES {
        return Err(TracesError::invalid(
            "profiles",
            "must be between 1 and 100,000,000",
        ));
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Which pool days are used.
    let mut used = vec![false; CER_POOL as usize];
    for i in 0..profiles {
        used[pool_index(&mut stream(seed, Stream::Profile, i, 0))] = true;
    }
    let pool = Pool::generate(seed, &used, threads)?;
    let chunks = parallel_ranges(profiles, threads, |range| {
        let mut clipped = 0;
        let rows: Vec<Vec<f64>> = range.map(|i| pool.profile(seed, i, &mut clipped)).collect();
        Ok((rows, clipped))
    })?;
    let mut rows = Vec::with_capacity(profiles as usize);
    let mut clipped = 0;
    for (part, c) in chunks {
        rows.extend(part);
        clipped += c;
    }
    Ok(Dataset {
        rows,
        range: (0.0, CER_MAX),
        clipped,
        labels: None,
    })
}

/// The first draw of a row's stream: its pool day.
fn pool_index<R: Rng + ?Sized>(r: &mut R) -> usize {
    (r.next_u64() & (CER_POOL - 1)) as usize
}

/// Generated household-days, hourly kWh; `None` for days no row uses.
struct Pool {
    days: Vec<Option<[f64; CER_HOURS]>>,
}

impl Pool {
    /// Generates the pool days marked in `used`, on `threads` threads.
    fn generate(seed: u64, used: &[bool], threads: usize) -> Result<Pool> {
        let options = GeneratorOptions {
            resolution: Resolution::MINUTE,
            ..GeneratorOptions::default()
        };
        let generator = Generator::new(Model::builtin()?, options, seed)?;
        let (y, m, d) = TRIAL_START;
        let start = Date::from_ymd(y, m, d)?;
        let (y, m, d) = TRIAL_END;
        let end = Date::from_ymd(y, m, d)?;
        let span = end.days_since_epoch() - start.days_since_epoch() + 1;
        let weather: Vec<DayWeather> = (0..span)
            .map(|k| generator.weather(start.add_days(k)))
            .collect();
        let parts = parallel_ranges(used.len() as u64, threads, |range| {
            range
                .map(|j| {
                    if !used[j as usize] {
                        return Ok(None);
                    }
                    let mut r = stream(seed, Stream::ProfilePool, j, 0);
                    let k = (uniform(&mut r) * f64::from(span)) as i32;
                    let k = k.clamp(0, span - 1);
                    let household = generator.household(j);
                    let day = generator.day(&household, start.add_days(k), &weather[k as usize]);
                    let total = day.first().ok_or_else(|| {
                        TracesError::invalid("profiles", "the generator produced no day")
                    })?;
                    let hourly = to_hourly(total)?;
                    let mut out = [0.0; CER_HOURS];
                    if hourly.values.len() != CER_HOURS {
                        return Err(TracesError::invalid(
                            "profiles",
                            "the generator's day is not 24 hours long",
                        ));
                    }
                    out.copy_from_slice(&hourly.values);
                    Ok(Some(out))
                })
                .collect::<Result<Vec<_>>>()
        })?;
        Ok(Pool {
            days: parts.into_iter().flatten().collect(),
        })
    }

    /// Row `i`: its pool day, perturbed, in tenths of a kWh, clipped.
    fn profile(&self, seed: u64, i: u64, clipped: &mut u64) -> Vec<f64> {
        let mut r = stream(seed, Stream::Profile, i, 0);
        let j = pool_index(&mut r);
        let Some(Some(day)) = self.days.get(j) else {
            // Every used day was generated; unreachable, but not a panic.
            return vec![0.0; CER_HOURS];
        };
        let level = spread(&mut r, LEVEL_SIGMA) * CER_UNITS_PER_KWH;
        let shift = (2.0 * uniform(&mut r) - 1.0) * MAX_SHIFT_HOURS;
        let shifted = shift_hours(day, shift);
        shifted
            .iter()
            .map(|v| {
                clip(
                    v * level * spread(&mut r, HOUR_SIGMA),
                    0.0,
                    CER_MAX,
                    clipped,
                )
            })
            .collect()
    }
}

/// `day` shifted later by `shift` hours (|shift| ≤ 1, earlier when
/// negative), energy within an hour taken as uniform, circularly: the total
/// is kept.
fn shift_hours(day: &[f64; CER_HOURS], shift: f64) -> [f64; CER_HOURS] {
    let a = shift.abs().min(1.0);
    let mut out = [0.0; CER_HOURS];
    for (k, o) in out.iter_mut().enumerate() {
        let neighbour = if shift >= 0.0 {
            (k + CER_HOURS - 1) % CER_HOURS
        } else {
            (k + 1) % CER_HOURS
        };
        *o = (1.0 - a) * day[k] + a * day[neighbour];
    }
    out
}

/// Runs `f` over `0..n` split into one contiguous range per thread,
/// returning the results in order.
fn parallel_ranges<T: Send>(
    n: u64,
    threads: usize,
    f: impl Fn(core::ops::Range<u64>) -> Result<T> + Sync,
) -> Result<Vec<T>> {
    let threads = (threads.max(1) as u64).min(n.max(1));
    let chunk = n.div_ceil(threads);
    if threads == 1 {
        return Ok(vec![f(0..n)?]);
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let range = (t * chunk).min(n)..((t + 1) * chunk).min(n);
                let f = &f;
                scope.spawn(move || f(range))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mean_by_hour(d: &Dataset) -> Vec<f64> {
        let n = d.rows.len() as f64;
        (0..CER_HOURS)
            .map(|h| d.rows.iter().map(|r| r[h]).sum::<f64>() / n)
            .collect()
    }

    #[test]
    fn profiles_are_in_range_replayable_and_varied() {
        let d = cer_like(3_000, 11).unwrap();
        assert_eq!(d.rows.len(), 3_000);
        assert_eq!(d.range, (0.0, CER_MAX));
        assert!(d.labels.is_none());
        assert!(d.rows.iter().all(|r| r.len() == CER_HOURS));
        assert!(d.rows.iter().flatten().all(|v| (0.0..=CER_MAX).contains(v)));
        // Clipping is rare.
        assert!(d.clipped < 3_000 * 24 / 1_000, "{}", d.clipped);
        // Row 7 does not depend on how many rows there are; the seed matters.
        assert_eq!(cer_like(10, 11).unwrap().rows[7], d.rows[7]);
        assert_ne!(cer_like(10, 12).unwrap().rows[7], d.rows[7]);
        assert!(cer_like(0, 1).is_err());
        // No two rows alike.
        let mut firsts: Vec<u64> = d.rows.iter().map(|r| r[12].to_bits()).collect();
        firsts.sort_unstable();
        firsts.dedup();
        assert!(firsts.len() > 2_900);
    }

    #[test]
    fn profiles_look_like_household_days() {
        let d = cer_like(5_000, 3).unwrap();
        let mean = mean_by_hour(&d);
        // A daily total of a few to a dozen or so kWh on average
        // (tenths of a kWh: 40 to 200).
        let daily: f64 = mean.iter().sum();
        assert!((40.0..200.0).contains(&daily), "{daily}");
        // The early morning trough is below the evening peak.
        let night = mean[3..5].iter().sum::<f64>() / 2.0;
        let evening = mean[17..21].iter().cloned().fold(0.0, f64::max);
        assert!(evening > 1.5 * night, "night {night}, evening {evening}");
        // Households differ: daily totals spread widely.
        let mut totals: Vec<f64> = d.rows.iter().map(|r| r.iter().sum()).collect();
        totals.sort_by(f64::total_cmp);
        let (p10, p90) = (totals[500], totals[4_500]);
        assert!(p90 > 2.0 * p10, "p10 {p10}, p90 {p90}");
    }

    #[test]
    fn shifting_keeps_the_total() {
        let mut day = [0.0; CER_HOURS];
        day[0] = 1.0;
        day[12] = 2.0;
        let later = shift_hours(&day, 0.25);
        assert!((later[0] - 0.75).abs() < 1e-12 && (later[1] - 0.25).abs() < 1e-12);
        assert!((later[13] - 0.5).abs() < 1e-12);
        let earlier = shift_hours(&day, -0.5);
        assert!((earlier[23] - 0.5).abs() < 1e-12 && (earlier[11] - 1.0).abs() < 1e-12);
        for s in [later, earlier] {
            assert!((s.iter().sum::<f64>() - 3.0).abs() < 1e-12);
        }
    }
}
