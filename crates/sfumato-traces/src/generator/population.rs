//! Generating a population as an ordered stream, in parallel, in bounded
//! memory.

use std::num::NonZeroUsize;
use std::thread;

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::record::DayProfile;

use super::{DayWeather, Generator};

/// Largest number of slot values one worker holds in one batch.
const VALUES_PER_BATCH: usize = 1 << 21;

/// Which households and days to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PopulationPlan {
    /// Index of the first household.
    pub first_household: u64,
    /// Number of households.
    pub households: u64,
    /// First date.
    pub start: Date,
    /// Number of consecutive days.
    pub days: u32,
}

impl PopulationPlan {
    /// Household-days in the plan.
    pub fn household_days(&self) -> u64 {
        self.households * u64::from(self.days)
    }
}

/// Generates `plan` with `generator` on `threads` worker threads (0: one per
/// core) and hands the rows to `emit` in order — household by household,
/// each household's days in date order (total first, then its breakdown) —
/// in batches. Memory is bounded by the batch size, not the population.
/// `progress` is told how many households are done after each batch.
/// Stops at the first error `emit` returns.
pub fn generate_population(
    generator: &Generator,
    plan: &PopulationPlan,
    threads: usize,
    mut emit: impl FnMut(&[DayProfile]) -> Result<()>,
    mut progress: impl FnMut(u64),
) -> Result<()> {
    if plan.households == 0 || plan.days == 0 {
        return Err(TracesError::invalid(
            "households",
            "need at least one household and one day",
        ));
    }
    if plan.first_household.checked_add(plan.households).is_none() {
        return Err(TracesError::invalid(
            "households",
            "household indices overflow",
        ));
    }
    let threads = if threads == 0 {
        thread::available_parallelism().map_or(1, NonZeroUsize::get)
    } else {
        threads
    };
    let weather: Vec<DayWeather> = (0..plan.days)
        .map(|d| generator.weather(plan.start.add_days(d as i32)))
        .collect();
    let rows_per_day = if generator.options().per_appliance {
        32
    } else {
        1
    };
    let values_per_household =
        plan.days as usize * rows_per_day * generator.options().resolution.slots_per_day();
    let batch = (VALUES_PER_BATCH / values_per_household.max(1)).clamp(1, 4096) as u64;

    let end = plan.first_household + plan.households;
    let mut next = plan.first_household;
    while next < end {
        let round_end = end.min(next + batch * threads as u64);
        let chunks: Vec<(u64, u64)> = (next..round_end)
            .step_by(batch as usize)
            .map(|s| (s, (s + batch).min(round_end)))
            .collect();
        let results: Vec<Vec<DayProfile>> = if chunks.len() == 1 {
            chunks
                .iter()
                .map(|&(s, e)| households(generator, plan, &weather, s, e))
                .collect()
        } else {
            thread::scope(|scope| {
                let handles: Vec<_> = chunks
                    .iter()
                    .map(|&(s, e)| {
                        let weather = &weather;
                        scope.spawn(move || households(generator, plan, weather, s, e))
                    })
                    .collect();
                handles
                    .into_iter()
                    // A worker that panicked is a bug: re-raise it here
                    // rather than lose its rows.
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        };
        for rows in &results {
            emit(rows)?;
        }
        progress(round_end - plan.first_household);
        next = round_end;
    }
    Ok(())
}

fn households(
    generator: &Generator,
    plan: &PopulationPlan,
    weather: &[DayWeather],
    start: u64,
    end: u64,
) -> Vec<DayProfile> {
    let mut sink = generator.sink();
    let mut out = Vec::new();
    for index in start..end {
        let household = generator.household(index);
        for (d, w) in weather.iter().enumerate() {
            generator.day_into(
                &household,
                plan.start.add_days(d as i32),
                w,
                &mut sink,
                &mut out,
            );
        }
    }
    out
}
