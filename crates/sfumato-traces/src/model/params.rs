//! The parameter file's schema (`data/model.toml`), read with serde.
//!
//! These are plain data; [`super::Model`] validates them and derives what the
//! generator needs.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelFile {
    /// Household sizes and spreads.
    pub population: PopulationParams,
    /// Named climates (`uk`, `us`, …).
    pub climate: BTreeMap<String, ClimateParams>,
    /// Occupancy chain.
    pub occupancy: OccupancyParams,
    /// Named activity profiles.
    pub activity: BTreeMap<String, ActivityParams>,
    /// Lighting.
    pub lighting: LightingParams,
    /// Appliance types.
    pub appliance: Vec<ApplianceParams>,
}

/// `[population]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationParams {
    /// Shares of households with 1..=5 residents.
    pub size_shares: Vec<f64>,
    /// Share of adults out at work or study on weekdays.
    pub adult_worker_share: f64,
    /// Lognormal sigma of usage intensity.
    pub intensity_spread: f64,
    /// Lognormal sigma of the always-on and standby load.
    pub standby_spread: f64,
}

/// `[climate.NAME]`: outdoor temperature and daylight.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClimateParams {
    /// Latitude in degrees (north positive).
    pub latitude: f64,
    /// Annual mean temperature, °C.
    pub mean_temp: f64,
    /// Half the difference between the warmest and coldest day's mean, °C.
    pub seasonal_amplitude: f64,
    /// Day of the year with the warmest mean.
    pub warmest_day: f64,
    /// Half the day–night temperature swing, °C.
    pub diurnal_amplitude: f64,
    /// Standard deviation of a day's mean around the seasonal curve, °C.
    pub daily_sd: f64,
    /// Whether clocks move forward an hour from the last Sunday of March to
    /// the last Sunday of October.
    pub summer_time: bool,
}

/// `[occupancy]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OccupancyParams {
    /// Chance per 10-minute step of a fresh draw from the target distribution.
    pub refresh: f64,
    /// Sd (minutes) of a household's routine shift.
    pub household_shift_sd: f64,
    /// Sd (minutes) of a resident's own shift.
    pub resident_shift_sd: f64,
    /// Transition softness, hours.
    pub softness: f64,
    /// Routines by resident type (`worker`, `home`, `child`) and day type
    /// (`weekday`, `weekend`).
    pub routine: BTreeMap<String, BTreeMap<String, RoutineParams>>,
}

/// One routine: times of day in decimal hours.
#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutineParams {
    /// Getting up.
    pub wake: f64,
    /// Going to bed (may be after midnight: 24.5).
    pub bed: f64,
    /// Leaving for work or school.
    pub leave: f64,
    /// Coming back.
    pub r#return: f64,
    /// Chance of being away between `leave` and `return` on such a day.
    pub away: f64,
    /// Chance of being out at a daytime moment otherwise.
    pub errand: f64,
}

/// `[activity.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityParams {
    /// Constant part of the profile.
    pub base: f64,
    /// Gaussian bumps `[hour, width_hours, weight]`.
    #[serde(default)]
    pub bumps: Vec<[f64; 3]>,
    /// Multiplier on weekends.
    #[serde(default = "one")]
    pub weekend: f64,
}

/// `[lighting]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LightingParams {
    /// Mean bulbs per household.
    pub bulbs_mean: f64,
    /// Sd of bulbs per household.
    pub bulbs_sd: f64,
    /// `[share, watts]` per bulb technology.
    pub bulb_types: Vec<[f64; 2]>,
    /// Mean sun elevation (degrees) below which light is needed.
    pub dark_elevation_mean: f64,
    /// Its sd across households.
    pub dark_elevation_sd: f64,
    /// Extra degrees on overcast days.
    pub overcast_shift: f64,
    /// Share of overcast days.
    pub overcast_share: f64,
    /// Switch-on events per minute per effective occupant.
    pub switch_on_rate: f64,
    /// Effective occupants = active^sharing.
    pub sharing: f64,
    /// Median minutes a bulb stays on.
    pub duration_median: f64,
    /// Lognormal sigma of that duration.
    pub duration_sigma: f64,
}

/// How an appliance is driven.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ApplianceKind {
    /// Started by an active occupant's activity.
    Activity,
    /// Constant draw.
    Always,
    /// Compressor cycling.
    Cold,
    /// Night storage heating.
    Storage,
    /// Direct electric space heating.
    Heating,
    /// Air conditioning.
    Cooling,
    /// Furnace fan.
    Fan,
}

/// `[[appliance]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplianceParams {
    /// Identifier (snake_case), used as the column/row name.
    pub name: String,
    /// Category for reports.
    pub group: String,
    /// How it is driven.
    pub kind: ApplianceKind,
    /// Share of households that own one.
    pub ownership: f64,
    /// Activity that starts it (`kind = "activity"`).
    #[serde(default)]
    pub activity: Option<String>,
    /// Cycles per year for two residents.
    #[serde(default)]
    pub cycles_per_year: f64,
    /// Elasticity of use with household size.
    #[serde(default)]
    pub size_elasticity: f64,
    /// Power while on, W.
    #[serde(default)]
    pub power: f64,
    /// Median cycle length, minutes.
    #[serde(default)]
    pub duration: f64,
    /// Lognormal sigma of the cycle length.
    #[serde(default = "default_spread")]
    pub duration_spread: f64,
    /// Multi-phase cycle `[minutes, W]` instead of `power`/`duration`.
    #[serde(default)]
    pub phases: Vec<[f64; 2]>,
    /// Power when not in use, W.
    #[serde(default)]
    pub standby: f64,
    /// Minutes after a cycle before the next can start.
    #[serde(default)]
    pub restart_delay: f64,
    /// Whether use ends when nobody is active any more.
    #[serde(default)]
    pub stops_when_inactive: bool,
    /// Compressor on-time, minutes (`cold`).
    #[serde(default)]
    pub on: f64,
    /// Compressor off-time, minutes (`cold`).
    #[serde(default)]
    pub off: f64,
    /// Start of the night charging window, clock hours (`storage`).
    #[serde(default)]
    pub window_start: f64,
    /// Length of the charging window, hours (`storage`).
    #[serde(default)]
    pub window_hours: f64,
    /// Thermostat setpoint, °C.
    #[serde(default)]
    pub setpoint: f64,
    /// Temperature at which storage heaters charge fully, °C.
    #[serde(default)]
    pub design_temp: f64,
    /// Temperature at or below which heating runs at `max_duty`, °C.
    #[serde(default)]
    pub full_duty_below: f64,
    /// Temperature at or above which cooling runs at `max_duty`, °C.
    #[serde(default)]
    pub full_duty_above: f64,
    /// Largest share of time heating/cooling runs.
    #[serde(default)]
    pub max_duty: f64,
    /// Demand-side manageable load (Tremel §7.3).
    #[serde(default)]
    pub dsm: bool,
    /// Exists only when heating/cooling loads are asked for.
    #[serde(default)]
    pub hvac: bool,
}

fn one() -> f64 {
    1.0
}

fn default_spread() -> f64 {
    0.3
}
