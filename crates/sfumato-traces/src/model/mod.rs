//! The household load model: its parameters, validated.
//!
//! The built-in parameters are `data/model.toml`, compiled into the crate;
//! [`Model::from_path`] reads a user's own file of the same schema (to
//! recalibrate for another country, or to import a third-party table the
//! user holds a licence for). The schema is documented in that file.

pub mod params;

use std::path::Path;

use crate::error::{Result, TracesError};
pub use params::ApplianceKind;
use params::{
    ActivityParams, ApplianceParams, ClimateParams, LightingParams, ModelFile, OccupancyParams,
    RoutineParams,
};

/// The parameter file shipped with the crate.
pub const BUILTIN_MODEL: &str = include_str!("../../data/model.toml");

/// 10-minute occupancy steps in a day (Richardson et al. 2010).
pub const STEPS_PER_DAY: usize = 144;

/// Minutes per occupancy step.
pub const STEP_MINUTES: u32 = 10;

/// Residents a household may have.
pub const MAX_RESIDENTS: usize = 5;

/// What a resident does on weekdays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResidentType {
    /// Out at work or study on most weekdays.
    Worker,
    /// Mostly at home (retired, caring, working from home).
    Home,
    /// A child at school.
    Child,
}

impl ResidentType {
    /// All types, in the order used for indexing.
    pub const ALL: [ResidentType; 3] = [
        ResidentType::Worker,
        ResidentType::Home,
        ResidentType::Child,
    ];

    /// The name in the parameter file.
    pub fn name(self) -> &'static str {
        match self {
            ResidentType::Worker => "worker",
            ResidentType::Home => "home",
            ResidentType::Child => "child",
        }
    }

    /// Index into [`ResidentType::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One appliance type, validated.
#[derive(Clone, Debug)]
pub struct ApplianceSpec {
    /// The parameters as read.
    pub params: ApplianceParams,
    /// Index of the activity that starts it (`kind = "activity"`).
    pub activity: Option<usize>,
    /// The cycle: `(minutes, watts)` phases at median length.
    pub phases: Vec<(f64, f64)>,
}

impl ApplianceSpec {
    /// The appliance's name.
    pub fn name(&self) -> &str {
        &self.params.name
    }

    /// kWh of one median cycle.
    pub fn cycle_kwh(&self) -> f64 {
        self.phases.iter().map(|(m, w)| m * w / 60_000.0).sum()
    }
}

/// An activity's start-rate profile over the 144 steps of a weekday and of a
/// weekend day, normalised to mean 1 over the weekday.
#[derive(Clone, Debug)]
pub struct ActivityProfile {
    /// The name in the parameter file.
    pub name: String,
    /// Weekday profile.
    pub weekday: [f64; STEPS_PER_DAY],
    /// Weekend profile.
    pub weekend: [f64; STEPS_PER_DAY],
}

/// The validated model.
#[derive(Clone, Debug)]
pub struct Model {
    /// Cumulative shares of household sizes 1..=5.
    pub size_cdf: [f64; MAX_RESIDENTS],
    /// Share of adults who are workers.
    pub adult_worker_share: f64,
    /// Lognormal sigma of usage intensity.
    pub intensity_spread: f64,
    /// Lognormal sigma of standby load.
    pub standby_spread: f64,
    /// Named climates.
    pub climates: Vec<(String, ClimateParams)>,
    /// Occupancy parameters.
    pub occupancy: OccupancyParams,
    /// Routines indexed `[resident type][weekend as usize]`.
    pub routines: [[RoutineParams; 2]; 3],
    /// Activity profiles.
    pub activities: Vec<ActivityProfile>,
    /// Lighting parameters.
    pub lighting: LightingParams,
    /// Appliance types, in file order.
    pub appliances: Vec<ApplianceSpec>,
    /// [`routine_target`] tabulated per minute of routine time from
    /// midnight, `[resident type][weekend as usize]`.
    targets: [[Vec<[f64; 3]>; 2]; 3],
}

/// Minutes tabulated: one day of routine time.
const TABLE_MINUTES: usize = 24 * 60;

fn logistic(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A routine's target distribution `[away, asleep, active]` at routine time
/// `x` hours (clock time minus the resident's shift): awake between wake and
/// bed (a bed time after midnight keeps people up into the small hours), out
/// at work between leave and return with probability `away`, otherwise out
/// on errands with probability `errand` in the daytime; transitions are
/// logistic with width `softness`.
pub fn routine_target(r: &RoutineParams, softness: f64, x: f64) -> [f64; 3] {
    let s = softness;
    let awake_at = |x: f64| logistic((x - r.wake) / s) * (1.0 - logistic((x - r.bed) / s));
    let x = x.rem_euclid(24.0);
    let awake = awake_at(x).max(awake_at(x + 24.0));
    let at_work = r.away * logistic((x - r.leave) / s) * (1.0 - logistic((x - r.r#return) / s));
    let daytime = logistic(x - 9.0) * (1.0 - logistic(x - 21.0));
    let out = 1.0 - (1.0 - at_work) * (1.0 - r.errand * daytime);
    [awake * out, 1.0 - awake, awake * (1.0 - out)]
}

fn check(ok: bool, what: impl FnOnce() -> String) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(TracesError::Model(what()))
    }
}

fn finite_in(x: f64, lo: f64, hi: f64) -> bool {
    x.is_finite() && x >= lo && x <= hi
}

impl Model {
    /// The built-in model (`data/model.toml`).
    pub fn builtin() -> Result<Model> {
        Model::from_toml_str(BUILTIN_MODEL)
    }

    /// A model read from a TOML file of the same schema.
    pub fn from_path(path: &Path) -> Result<Model> {
        let text = std::fs::read_to_string(path).map_err(|e| TracesError::io(path, e))?;
        Model::from_toml_str(&text).map_err(|e| match e {
            TracesError::Model(m) => TracesError::Model(format!("{}: {m}", path.display())),
            other => other,
        })
    }

    /// A model from TOML text, validated.
    pub fn from_toml_str(text: &str) -> Result<Model> {
        let file: ModelFile = toml::from_str(text).map_err(|e| {
            // One line: where, then what (toml's own rendering spans lines).
            let line = e
                .span()
                .and_then(|s| text.get(..s.start))
                .map(|t| t.matches('\n').count() + 1);
            let what = e.message().trim().replace('\n', " ");
            TracesError::Model(match line {
                Some(l) => format!("line {l}: {what}"),
                None => what,
            })
        })?;
        Model::from_file(file)
    }

    fn from_file(file: ModelFile) -> Result<Model> {
        let pop = &file.population;
        check(pop.size_shares.len() == MAX_RESIDENTS, || {
            "population.size_shares needs 5 shares (1 to 5 residents)".into()
        })?;
        check(
            pop.size_shares.iter().all(|&s| finite_in(s, 0.0, 1.0)),
            || "population.size_shares must be in [0, 1]".into(),
        )?;
        let total: f64 = pop.size_shares.iter().sum();
        check(total > 0.0, || "population.size_shares sum to 0".into())?;
        let mut size_cdf = [0.0; MAX_RESIDENTS];
        let mut acc = 0.0;
        for (i, s) in pop.size_shares.iter().enumerate() {
            acc += s / total;
            size_cdf[i] = acc;
        }
        size_cdf[MAX_RESIDENTS - 1] = 1.0;
        check(finite_in(pop.adult_worker_share, 0.0, 1.0), || {
            "population.adult_worker_share must be in [0, 1]".into()
        })?;
        for (name, v) in [
            ("intensity_spread", pop.intensity_spread),
            ("standby_spread", pop.standby_spread),
        ] {
            check(finite_in(v, 0.0, 3.0), || {
                format!("population.{name} must be in [0, 3]")
            })?;
        }

        check(!file.climate.is_empty(), || {
            "at least one [climate.NAME] is needed".into()
        })?;
        for (name, c) in &file.climate {
            check(finite_in(c.latitude, -66.0, 66.0), || {
                format!("climate.{name}.latitude must be within the polar circles")
            })?;
            for (field, v) in [
                ("mean_temp", c.mean_temp),
                ("seasonal_amplitude", c.seasonal_amplitude),
                ("diurnal_amplitude", c.diurnal_amplitude),
                ("daily_sd", c.daily_sd),
            ] {
                check(finite_in(v.abs(), 0.0, 60.0), || {
                    format!("climate.{name}.{field} is out of range")
                })?;
            }
            check(finite_in(c.warmest_day, 1.0, 366.0), || {
                format!("climate.{name}.warmest_day must be 1–366")
            })?;
        }

        let occ = &file.occupancy;
        check(finite_in(occ.refresh, 0.0, 1.0), || {
            "occupancy.refresh must be in [0, 1]".into()
        })?;
        for (f, v) in [
            ("household_shift_sd", occ.household_shift_sd),
            ("resident_shift_sd", occ.resident_shift_sd),
        ] {
            check(finite_in(v, 0.0, 240.0), || {
                format!("occupancy.{f} must be 0–240 minutes")
            })?;
        }
        check(finite_in(occ.softness, 0.01, 4.0), || {
            "occupancy.softness must be 0.01–4 hours".into()
        })?;
        let mut routines = [[RoutineParams {
            wake: 7.0,
            bed: 23.0,
            leave: 8.0,
            r#return: 17.0,
            away: 0.0,
            errand: 0.0,
        }; 2]; 3];
        for t in ResidentType::ALL {
            let by_day = occ.routine.get(t.name()).ok_or_else(|| {
                TracesError::Model(format!("occupancy.routine.{} is missing", t.name()))
            })?;
            for (d, day) in ["weekday", "weekend"].into_iter().enumerate() {
                let r = by_day.get(day).ok_or_else(|| {
                    TracesError::Model(format!("occupancy.routine.{}.{day} is missing", t.name()))
                })?;
                let here = || format!("occupancy.routine.{}.{day}", t.name());
                check(
                    finite_in(r.wake, 0.0, 24.0) && finite_in(r.bed, r.wake + 1.0, 30.0),
                    || format!("{}: need 0 ≤ wake < bed − 1 ≤ 29", here()),
                )?;
                check(
                    finite_in(r.leave, r.wake, r.bed) && finite_in(r.r#return, r.leave, r.bed),
                    || format!("{}: need wake ≤ leave ≤ return ≤ bed", here()),
                )?;
                check(
                    finite_in(r.away, 0.0, 1.0) && finite_in(r.errand, 0.0, 1.0),
                    || format!("{}: away and errand must be in [0, 1]", here()),
                )?;
                routines[t.index()][d] = *r;
            }
        }

        let mut activities = Vec::new();
        for (name, a) in &file.activity {
            activities.push(activity_profile(name, a)?);
        }

        let l = &file.lighting;
        check(
            finite_in(l.bulbs_mean, 1.0, 200.0) && finite_in(l.bulbs_sd, 0.0, 100.0),
            || "lighting.bulbs_mean must be 1–200 and bulbs_sd 0–100".into(),
        )?;
        check(
            !l.bulb_types.is_empty()
                && l.bulb_types
                    .iter()
                    .all(|[s, w]| finite_in(*s, 0.0, 1.0) && finite_in(*w, 0.0, 2000.0))
                && l.bulb_types.iter().map(|b| b[0]).sum::<f64>() > 0.0,
            || "lighting.bulb_types needs [share, watts] pairs with positive total share".into(),
        )?;
        for (f, v, lo, hi) in [
            ("dark_elevation_mean", l.dark_elevation_mean, -20.0, 60.0),
            ("dark_elevation_sd", l.dark_elevation_sd, 0.0, 30.0),
            ("overcast_shift", l.overcast_shift, 0.0, 60.0),
            ("overcast_share", l.overcast_share, 0.0, 1.0),
            ("switch_on_rate", l.switch_on_rate, 0.0, 10.0),
            ("sharing", l.sharing, 0.0, 1.0),
            ("duration_median", l.duration_median, 0.1, 1440.0),
            ("duration_sigma", l.duration_sigma, 0.0, 3.0),
        ] {
            check(finite_in(v, lo, hi), || {
                format!("lighting.{f} must be in [{lo}, {hi}]")
            })?;
        }

        let mut appliances = Vec::new();
        for a in &file.appliance {
            appliances.push(appliance_spec(a, &activities)?);
        }
        let mut names: Vec<&str> = appliances.iter().map(|a| a.name()).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(TracesError::Model(format!(
                "appliance `{}` is listed twice",
                w[0]
            )));
        }
        check(
            names.iter().all(|n| *n != "lighting" && *n != crate::TOTAL),
            || "`lighting` and `total` are reserved names".into(),
        )?;

        let targets = routines.map(|by_day| {
            by_day.map(|r| {
                (0..TABLE_MINUTES)
                    .map(|m| routine_target(&r, file.occupancy.softness, m as f64 / 60.0))
                    .collect()
            })
        });
        Ok(Model {
            targets,
            size_cdf,
            adult_worker_share: pop.adult_worker_share,
            intensity_spread: pop.intensity_spread,
            standby_spread: pop.standby_spread,
            climates: file.climate.into_iter().collect(),
            occupancy: file.occupancy,
            routines,
            activities,
            lighting: file.lighting,
            appliances,
        })
    }

    /// The target occupancy distribution `[away, asleep, active]` of a
    /// resident of `kind` at routine time `x` hours (clock time minus the
    /// resident's shift), to the minute.
    pub fn occupancy_target(&self, kind: ResidentType, weekend: bool, x: f64) -> [f64; 3] {
        let x = if (0.0..24.0).contains(&x) {
            x
        } else {
            x.rem_euclid(24.0)
        };
        let i = ((x * 60.0) as usize).min(TABLE_MINUTES - 1);
        self.targets[kind.index()][usize::from(weekend)][i]
    }

    /// The climate called `name`.
    pub fn climate(&self, name: &str) -> Result<&ClimateParams> {
        self.climates
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .ok_or_else(|| {
                let known: Vec<&str> = self.climates.iter().map(|(n, _)| n.as_str()).collect();
                TracesError::invalid(
                    "climate",
                    format!("`{name}` is not one of {}", known.join(", ")),
                )
            })
    }
}

fn activity_profile(name: &str, a: &ActivityParams) -> Result<ActivityProfile> {
    let here = || format!("activity.{name}");
    check(finite_in(a.base, 0.0, 100.0), || {
        format!("{}.base must be in [0, 100]", here())
    })?;
    check(finite_in(a.weekend, 0.0, 100.0), || {
        format!("{}.weekend must be in [0, 100]", here())
    })?;
    for [h, w, k] in &a.bumps {
        check(
            finite_in(*h, 0.0, 24.0) && finite_in(*w, 0.05, 12.0) && finite_in(*k, 0.0, 100.0),
            || {
                format!(
                    "{}.bumps need [hour 0–24, width 0.05–12, weight ≥ 0]",
                    here()
                )
            },
        )?;
    }
    let mut weekday = [0.0; STEPS_PER_DAY];
    for (i, v) in weekday.iter_mut().enumerate() {
        let hour = (i as f64 + 0.5) / 6.0;
        *v = a.base
            + a.bumps
                .iter()
                .map(|[c, w, k]| {
                    // Distance on the 24-hour circle, so a bump near
                    // midnight wraps.
                    let d = (hour - c).abs();
                    let d = d.min(24.0 - d);
                    k * (-0.5 * (d / w).powi(2)).exp()
                })
                .sum::<f64>();
    }
    let mean = weekday.iter().sum::<f64>() / STEPS_PER_DAY as f64;
    check(mean > 0.0, || format!("{} is zero all day", here()))?;
    let mut weekend = [0.0; STEPS_PER_DAY];
    for i in 0..STEPS_PER_DAY {
        weekday[i] /= mean;
        weekend[i] = weekday[i] * a.weekend;
    }
    Ok(ActivityProfile {
        name: name.to_string(),
        weekday,
        weekend,
    })
}

fn appliance_spec(a: &ApplianceParams, activities: &[ActivityProfile]) -> Result<ApplianceSpec> {
    let here = || format!("appliance `{}`", a.name);
    check(
        !a.name.is_empty()
            && a.name
                .bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_'),
        || format!("{}: names are snake_case ASCII", here()),
    )?;
    check(finite_in(a.ownership, 0.0, 1.0), || {
        format!("{}: ownership must be in [0, 1]", here())
    })?;
    check(
        finite_in(a.power, 0.0, 50_000.0) && finite_in(a.standby, 0.0, 1_000.0),
        || format!("{}: power must be 0–50,000 W and standby 0–1,000 W", here()),
    )?;
    check(finite_in(a.duration_spread, 0.0, 3.0), || {
        format!("{}: duration_spread must be 0–3", here())
    })?;
    check(finite_in(a.restart_delay, 0.0, 1440.0), || {
        format!("{}: restart_delay must be 0–1440", here())
    })?;
    let mut activity = None;
    let mut phases = Vec::new();
    match a.kind {
        ApplianceKind::Activity => {
            let name = a.activity.as_deref().ok_or_else(|| {
                TracesError::Model(format!("{}: kind `activity` needs an `activity`", here()))
            })?;
            activity = Some(
                activities
                    .iter()
                    .position(|p| p.name == name)
                    .ok_or_else(|| {
                        TracesError::Model(format!("{}: unknown activity `{name}`", here()))
                    })?,
            );
            check(finite_in(a.cycles_per_year, 0.0, 100_000.0), || {
                format!("{}: cycles_per_year must be 0–100,000", here())
            })?;
            check(finite_in(a.size_elasticity, 0.0, 3.0), || {
                format!("{}: size_elasticity must be 0–3", here())
            })?;
            if a.phases.is_empty() {
                check(finite_in(a.duration, 0.5, 1440.0), || {
                    format!("{}: duration must be 0.5–1440 minutes", here())
                })?;
                phases.push((a.duration, a.power));
            } else {
                for [m, w] in &a.phases {
                    check(
                        finite_in(*m, 0.1, 1440.0) && finite_in(*w, 0.0, 50_000.0),
                        || format!("{}: phases need [0.1–1440 minutes, 0–50,000 W]", here()),
                    )?;
                    phases.push((*m, *w));
                }
            }
        }
        ApplianceKind::Always => {}
        ApplianceKind::Cold => {
            check(
                finite_in(a.on, 1.0, 600.0) && finite_in(a.off, 1.0, 600.0),
                || format!("{}: on and off must be 1–600 minutes", here()),
            )?;
        }
        ApplianceKind::Storage => {
            check(
                finite_in(a.window_start, 0.0, 24.0) && finite_in(a.window_hours, 0.5, 12.0),
                || format!("{}: window_start 0–24 h and window_hours 0.5–12 h", here()),
            )?;
            check(
                a.setpoint.is_finite() && a.design_temp.is_finite() && a.design_temp < a.setpoint,
                || format!("{}: design_temp must be below setpoint", here()),
            )?;
        }
        ApplianceKind::Heating | ApplianceKind::Fan => {
            check(
                a.full_duty_below.is_finite()
                    && a.setpoint.is_finite()
                    && a.full_duty_below < a.setpoint,
                || format!("{}: full_duty_below must be below setpoint", here()),
            )?;
            check(finite_in(a.max_duty, 0.0, 1.0), || {
                format!("{}: max_duty must be in [0, 1]", here())
            })?;
        }
        ApplianceKind::Cooling => {
            check(
                a.full_duty_above.is_finite()
                    && a.setpoint.is_finite()
                    && a.full_duty_above > a.setpoint,
                || format!("{}: full_duty_above must be above setpoint", here()),
            )?;
            check(finite_in(a.max_duty, 0.0, 1.0), || {
                format!("{}: max_duty must be in [0, 1]", here())
            })?;
        }
    }
    Ok(ApplianceSpec {
        params: a.clone(),
        activity,
        phases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_model_is_valid_and_large_enough() {
        let m = Model::builtin().unwrap();
        let core = m.appliances.iter().filter(|a| !a.params.hvac).count();
        assert!(core >= 33, "{core} appliance types besides HVAC");
        assert!(m.climate("uk").is_ok() && m.climate("us").is_ok());
        assert!(m.climate("mars").is_err());
        for a in &m.activities {
            let mean = a.weekday.iter().sum::<f64>() / STEPS_PER_DAY as f64;
            assert!((mean - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let good = BUILTIN_MODEL;
        for (from, to, needle) in [
            (
                "size_shares = [0.30, 0.34, 0.16, 0.13, 0.07]",
                "size_shares = [1.0]",
                "size_shares",
            ),
            ("ownership = 0.97", "ownership = 1.97", "ownership"),
            (
                "activity = \"hot_drinks\"",
                "activity = \"juggling\"",
                "juggling",
            ),
            ("name = \"clock\"", "name = \"kettle\"", "twice"),
            ("refresh = 0.025", "refresh = 0.025\nbogus = 1", "bogus"),
        ] {
            assert!(good.contains(from), "{from}");
            let err = Model::from_toml_str(&good.replacen(from, to, 1))
                .unwrap_err()
                .to_string();
            assert!(err.contains(needle), "{err}");
        }
    }
}
