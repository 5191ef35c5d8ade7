//! The bottom-up household load generator.
//!
//! In the spirit of Richardson et al. 2010, the model DREAM extended
//! (DREAM §7.1: "an extended version of the simulator developed in \[19\]",
//! 33 appliances, 1–5 residents):
//!
//! 1. a household is drawn — residents (1–5, worker / at home / child),
//!    appliances owned, bulbs, how heavily it uses things
//!    ([`household::Household`]);
//! 2. each day, a Markov chain in 10-minute steps gives the number of active
//!    occupants ([`occupancy`]), with separate weekday and weekend routines;
//! 3. appliances start when an active occupant does the activity that
//!    triggers them, at rates calibrated so that an average household of
//!    each size does the model's yearly number of cycles; cold appliances
//!    cycle, storage heaters charge at night by the day's temperature,
//!    heating and cooling follow thermostats ([`day`]);
//! 4. lighting switches on while it is dark indoors and someone is active
//!    ([`weather`] gives daylight and temperature).
//!
//! Loads are computed in continuous time and accumulated into slots of any
//! length that divides a day, in total and optionally per appliance.
//!
//! **Determinism.** Household #k is drawn from a stream keyed by the seed and
//! k; day d of household #k from a stream keyed by the seed, k and the date;
//! weather from the seed and the date. Household #k on a date is therefore
//! the same whether 10 or 10 million households, or 1 or 365 days, are
//! generated, in any batches, on any number of threads.

pub mod day;
pub mod household;
pub mod occupancy;
pub mod population;
pub(crate) mod rng;
pub(crate) mod sink;
pub mod weather;

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::model::params::{ApplianceKind, ClimateParams};
use crate::model::{MAX_RESIDENTS, Model, STEP_MINUTES, STEPS_PER_DAY};
use crate::record::{DayProfile, TOTAL};
use crate::resolution::Resolution;

pub use household::Household;
pub use population::{PopulationPlan, generate_population};
pub use weather::DayWeather;

use rng::{Stream, stream};
use sink::DaySink;

/// The name of the lighting row in a per-appliance breakdown.
pub const LIGHTING: &str = "lighting";

/// Households drawn per size to calibrate start rates.
const CALIBRATION_HOUSEHOLDS: u64 = 400;

/// How to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct GeneratorOptions {
    /// Slot length of the output.
    pub resolution: Resolution,
    /// Whether to emit one row per owned appliance (and lighting) besides
    /// each household-day's total.
    pub per_appliance: bool,
    /// Whether households may own air conditioners and furnace fans
    /// (Tremel §7.3).
    pub hvac: bool,
    /// Climate name in the model (`uk`, `us`).
    pub climate: String,
    /// Give every household this many residents instead of drawing it.
    pub residents: Option<u8>,
}

impl Default for GeneratorOptions {
    fn default() -> Self {
        GeneratorOptions {
            resolution: Resolution::MINUTE,
            per_appliance: false,
            hvac: false,
            climate: "uk".to_string(),
            residents: None,
        }
    }
}

/// A calibrated generator for one run seed.
#[derive(Clone, Debug)]
pub struct Generator {
    model: Model,
    options: GeneratorOptions,
    climate: ClimateParams,
    seed: u64,
    /// Start rate per minute per unit of activity, `[size − 1][appliance]`.
    rates: [Vec<f64>; MAX_RESIDENTS],
}

impl Generator {
    /// Calibrates `model` for `options`; `seed` is the run's seed.
    pub fn new(model: Model, options: GeneratorOptions, seed: u64) -> Result<Generator> {
        if let Some(n) = options
            .residents
            .filter(|n| !(1..=MAX_RESIDENTS as u8).contains(n))
        {
            return Err(TracesError::invalid(
                "residents",
                format!("must be 1 to 5 (got {n})"),
            ));
        }
        let climate = model.climate(&options.climate)?.clone();
        let rates = calibrate(&model);
        Ok(Generator {
            model,
            options,
            climate,
            seed,
            rates,
        })
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The options.
    pub fn options(&self) -> &GeneratorOptions {
        &self.options
    }

    /// The run seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// Household number `index`.
    pub fn household(&self, index: u64) -> Household {
        let mut r = stream(self.seed, Stream::Household, index, 0);
        Household::draw(&mut r, index, &self.model, &self.options, &self.rates)
    }

    /// The weather of `date` (the same for every household).
    pub fn weather(&self, date: Date) -> DayWeather {
        DayWeather::new(
            self.seed,
            date,
            &self.climate,
            self.model.lighting.overcast_share,
        )
    }

    /// Names of the rows a breakdown can have: every appliance type, then
    /// lighting.
    pub fn part_names(&self) -> Vec<&str> {
        self.model
            .appliances
            .iter()
            .map(|a| a.name())
            .chain([LIGHTING])
            .collect()
    }

    /// One household-day: its total, followed (with `per_appliance`) by one
    /// row per owned appliance and lighting.
    pub fn day(&self, household: &Household, date: Date, weather: &DayWeather) -> Vec<DayProfile> {
        let mut sink = self.sink();
        let mut out = Vec::new();
        self.day_into(household, date, weather, &mut sink, &mut out);
        out
    }

    fn sink(&self) -> DaySink {
        DaySink::new(
            self.options.resolution,
            self.model.appliances.len() + 1,
            self.options.per_appliance,
        )
    }

    /// [`Generator::day`] reusing a sink and appending to `out`.
    pub(crate) fn day_into(
        &self,
        household: &Household,
        date: Date,
        weather: &DayWeather,
        sink: &mut DaySink,
        out: &mut Vec<DayProfile>,
    ) {
        let mut r = stream(
            self.seed,
            Stream::Day,
            household.index,
            date.days_since_epoch() as u64,
        );
        sink.clear();
        day::simulate_day(
            &mut r,
            &self.model,
            household,
            weather,
            date.weekday().is_weekend(),
            sink,
        );
        let (total, parts) = sink.finish();
        let id = household.index.to_string();
        let residents = Some(household.size() as u8);
        let row = |appliance: Option<String>, values: &[f64]| DayProfile {
            household: id.clone(),
            date: Some(date),
            residents,
            appliance,
            resolution: self.options.resolution,
            values: values.to_vec(),
        };
        if let Some(parts) = parts {
            out.push(row(Some(TOTAL.to_string()), total));
            for owned in &household.appliances {
                out.push(row(
                    Some(self.model.appliances[owned.index].name().to_string()),
                    &parts[owned.index],
                ));
            }
            out.push(row(
                Some(LIGHTING.to_string()),
                &parts[self.model.appliances.len()],
            ));
        } else {
            out.push(row(None, total));
        }
    }
}

/// Start rates per minute per unit of activity for an average household of
/// each size, so that it does `cycles_per_year × (size/2)^elasticity` cycles
/// a year: the activity mass `Σ_steps 10 · activity(step) · √active(step)`
/// is averaged over a fixed sample of households of that size (5 weekdays,
/// 2 weekend days a week), independent of the run seed.
fn calibrate(model: &Model) -> [Vec<f64>; MAX_RESIDENTS] {
    let zero: [Vec<f64>; MAX_RESIDENTS] = Default::default();
    let n_act = model.activities.len();
    let mut rates: [Vec<f64>; MAX_RESIDENTS] = Default::default();
    for size in 1..=MAX_RESIDENTS {
        let options = GeneratorOptions {
            residents: Some(size as u8),
            ..GeneratorOptions::default()
        };
        let mut mass = vec![0.0; n_act];
        for i in 0..CALIBRATION_HOUSEHOLDS {
            let mut r = stream(0, Stream::Calibration, size as u64, i);
            let h = Household::draw(&mut r, i, model, &options, &zero);
            for (weekend, weight) in [(false, 5.0 / 7.0), (true, 2.0 / 7.0)] {
                let active = occupancy::active_occupants(&mut r, model, &h.residents, weekend);
                for (a, act) in model.activities.iter().enumerate() {
                    let profile = if weekend { &act.weekend } else { &act.weekday };
                    let m: f64 = (0..STEPS_PER_DAY)
                        .map(|k| profile[k] * f64::from(active[k]).sqrt())
                        .sum::<f64>()
                        * f64::from(STEP_MINUTES);
                    mass[a] += weight * m / CALIBRATION_HOUSEHOLDS as f64;
                }
            }
        }
        rates[size - 1] = model
            .appliances
            .iter()
            .map(|spec| match (spec.params.kind, spec.activity) {
                (ApplianceKind::Activity, Some(a)) if mass[a] > 0.0 => {
                    let p = &spec.params;
                    p.cycles_per_year * (size as f64 / 2.0).powf(p.size_elasticity)
                        / 365.25
                        / mass[a]
                }
                _ => 0.0,
            })
            .collect();
    }
    rates
}
