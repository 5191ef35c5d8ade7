//! Households for DREAM runs: read from a trace file or generated, in whole
//! Wh per slot, with the per-appliance breakdown when there is one.

use std::collections::BTreeMap;
use std::path::Path;

use sfumato_traces::generator::{Generator, GeneratorOptions, PopulationPlan, generate_population};
use sfumato_traces::io::wide::open_wide;
use sfumato_traces::model::Model;
use sfumato_traces::{Date, Resolution};

use crate::error::{Result, StudyError};

/// The day generated households are generated for (a winter weekday, as
/// the demo's).
pub const GENERATED_DATE: &str = "2024-01-17";

/// Households' readings.
pub struct Households {
    /// Slot length.
    pub resolution: Resolution,
    /// Wh per slot, one row per household.
    pub totals: Vec<Vec<u64>>,
    /// Per household, Wh per slot of each appliance (empty without a
    /// breakdown).
    pub appliances: Vec<BTreeMap<String, Vec<f64>>>,
}

impl Households {
    /// The same readings in units of `unit_wh` Wh (rounded to the nearest
    /// unit): DREAM §5.2 quantises readings to integers before adding noise.
    pub fn in_units(mut self, unit_wh: u64) -> Households {
        if unit_wh > 1 {
            let u = unit_wh as f64;
            for row in &mut self.totals {
                for v in row.iter_mut() {
                    *v = (*v as f64 / u).round() as u64;
                }
            }
            for parts in &mut self.appliances {
                for wh in parts.values_mut() {
                    wh.iter_mut().for_each(|v| *v /= u);
                }
            }
        }
        self
    }

    /// The true total of the households `members` in slot `t`.
    pub fn cluster_total(&self, members: &[usize], t: usize) -> i64 {
        members.iter().map(|i| self.totals[*i][t] as i64).sum()
    }

    /// Slots per household.
    pub fn slots(&self) -> usize {
        self.resolution.slots_per_day()
    }
}

fn to_wh(kwh: &[f64]) -> Vec<u64> {
    kwh.iter()
        .map(|v| {
            let wh = (v * 1000.0).round();
            if wh.is_finite() && wh > 0.0 {
                wh.min(1e15) as u64
            } else {
                0
            }
        })
        .collect()
}

/// `households` generated households, one day at `resolution`, with their
/// appliance breakdown.
pub fn generate(households: u64, resolution: Resolution, seed: u64) -> Result<Households> {
    let options = GeneratorOptions {
        resolution,
        per_appliance: true,
        ..GeneratorOptions::default()
    };
    let generator = Generator::new(Model::builtin()?, options, seed)?;
    let date: Date = GENERATED_DATE.parse()?;
    let plan = PopulationPlan {
        first_household: 0,
        households,
        start: date,
        days: 1,
    };
    let mut out = Households {
        resolution,
        totals: Vec::new(),
        appliances: Vec::new(),
    };
    generate_population(
        &generator,
        &plan,
        0,
        |rows| {
            // A batch holds whole households: each total row comes with
            // its appliance rows.
            let mut order: Vec<&str> = Vec::new();
            let mut totals: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
            let mut appliances: BTreeMap<&str, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
            for row in rows {
                if row.is_total() {
                    order.push(&row.household);
                    totals.insert(&row.household, to_wh(&row.values));
                } else if let Some(name) = &row.appliance {
                    let wh: Vec<f64> = row.values.iter().map(|v| v * 1000.0).collect();
                    appliances
                        .entry(&row.household)
                        .or_default()
                        .insert(name.clone(), wh);
                }
            }
            for hh in order {
                out.totals.push(totals.remove(hh).unwrap_or_default());
                out.appliances
                    .push(appliances.remove(hh).unwrap_or_default());
            }
            Ok(())
        },
        |_| {},
    )?;
    Ok(out)
}

/// The household totals of the first day of each household in a wide CSV
/// trace file (appliance rows are kept as the breakdown).
pub fn read(path: &Path) -> Result<Households> {
    let mut resolution = None;
    let mut order: Vec<String> = Vec::new();
    let mut totals: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    let mut appliances: BTreeMap<String, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for row in open_wide(path)? {
        let row = row?;
        if resolution.is_some_and(|r| r != row.resolution) {
            return Err(StudyError::usage(format!(
                "{}: rows have different slot lengths",
                path.display()
            )));
        }
        resolution = Some(row.resolution);
        if row.is_total() {
            if !totals.contains_key(&row.household) {
                order.push(row.household.clone());
                totals.insert(row.household.clone(), to_wh(&row.values));
            }
        } else if let Some(name) = &row.appliance {
            appliances
                .entry(row.household.clone())
                .or_default()
                .entry(name.clone())
                .or_insert_with(|| row.values.iter().map(|v| v * 1000.0).collect());
        }
    }
    let Some(resolution) = resolution else {
        return Err(StudyError::usage(format!(
            "{}: no households",
            path.display()
        )));
    };
    Ok(Households {
        resolution,
        appliances: order
            .iter()
            .map(|h| appliances.remove(h).unwrap_or_default())
            .collect(),
        totals: order.iter().filter_map(|h| totals.remove(h)).collect(),
    })
}
