//! Meters' records for Tremel's queries (Tremel §7.3): per half-hour
//! window, the energy used since the previous query and the part drawn by
//! devices whose load can be shifted (heating and cooling), in whole Wh,
//! from the household load generator with air conditioners and furnace
//! fans.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sfumato_traces::calendar::Date;
use sfumato_traces::generator::{Generator, GeneratorOptions, PopulationPlan, generate_population};
use sfumato_traces::model::Model;
use sfumato_traces::resolution::Resolution;

use crate::error::{Result, StudyError};

/// The generated day: a summer weekday, when air conditioners run.
pub const QUERY_DATE: &str = "2024-07-17";

/// Field 0 of a record: energy used in the window.
pub const FIELD_TOTAL: u16 = 0;
/// Field 1 of a record: energy of demand-side manageable devices.
pub const FIELD_DSM: u16 = 1;

/// Every meter's records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeterRecords {
    /// The window length.
    pub window_minutes: u32,
    /// `records[meter][window] = [total Wh, DSM Wh]`.
    pub records: Vec<Vec<Vec<i64>>>,
}

impl MeterRecords {
    /// Fields per record (at least 1).
    pub fn fields(&self) -> usize {
        self.records
            .iter()
            .flat_map(|m| m.iter().map(Vec::len))
            .max()
            .unwrap_or(0)
            .max(1)
    }

    /// Windows per meter.
    pub fn windows(&self) -> usize {
        self.records.first().map_or(0, Vec::len)
    }

    /// The true total of `field` in `window` over all meters, or over the
    /// meters `keep` accepts.
    pub fn total(&self, window: usize, field: u16, keep: impl Fn(usize) -> bool) -> i64 {
        self.records
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .filter_map(|(_, m)| m.get(window).and_then(|r| r.get(usize::from(field))))
            .sum()
    }
}

/// Generates `meters` households' day in `window` windows with heating and
/// cooling (`hvac`) in `climate` (`us` or `uk`).
pub fn generate(
    meters: u64,
    window: Resolution,
    hvac: bool,
    climate: &str,
    seed: u64,
) -> Result<MeterRecords> {
    let options = GeneratorOptions {
        resolution: window,
        per_appliance: true,
        hvac,
        climate: climate.to_string(),
        residents: None,
    };
    let model = Model::builtin()?;
    let dsm: Vec<String> = model
        .appliances
        .iter()
        .filter(|a| a.params.dsm)
        .map(|a| a.name().to_string())
        .collect();
    let generator = Generator::new(model, options, seed)?;
    let date: Date = QUERY_DATE.parse()?;
    let plan = PopulationPlan {
        first_household: 0,
        households: meters,
        start: date,
        days: 1,
    };
    let mut records: Vec<Vec<Vec<i64>>> = Vec::new();
    generate_population(
        &generator,
        &plan,
        0,
        |rows| {
            let mut order: Vec<&str> = Vec::new();
            let mut by: BTreeMap<&str, Vec<Vec<i64>>> = BTreeMap::new();
            for row in rows {
                let wh = |v: &f64| (v * 1000.0).round() as i64;
                let entry = by.entry(&row.household).or_insert_with(|| {
                    order.push(&row.household);
                    vec![vec![0, 0]; row.values.len()]
                });
                if row.is_total() {
                    for (w, v) in row.values.iter().enumerate() {
                        entry[w][0] = wh(v);
                    }
                } else if row.appliance.as_ref().is_some_and(|a| dsm.contains(a)) {
                    for (w, v) in row.values.iter().enumerate() {
                        entry[w][1] += wh(v);
                    }
                }
            }
            for hh in order {
                records.push(by.remove(hh).unwrap_or_default());
            }
            Ok(())
        },
        |_| {},
    )?;
    if records.len() as u64 != meters {
        return Err(StudyError::usage(
            "the generator did not produce every meter",
        ));
    }
    Ok(MeterRecords {
        window_minutes: window.minutes(),
        records,
    })
}
