//! The `daily-profiles` transform of Chiaroscuro §6: each household-day
//! becomes 24 hourly values, each clipped to a declared range
//! `[dmin, dmax]` so that one household's contribution is bounded.
//!
//! A profile at a slot length dividing 60 minutes (1, 5, 10, 15, 30, 60
//! min, …) is summed to hours; hourly profiles pass unchanged. Clipping
//! replaces a value below `min` by `min` and above `max` by `max`, and is
//! counted.

use core::fmt;
use core::str::FromStr;

use serde::Serialize;

use crate::error::{Result, TracesError};
use crate::record::DayProfile;
use crate::resolution::Resolution;

/// A declared range `[min, max]` of hourly values (kWh per hour), both
/// finite, `min < max`. Written `min:max`, e.g. `0:80`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Clip {
    min: f64,
    max: f64,
}

impl Clip {
    /// The range `[min, max]`.
    pub fn new(min: f64, max: f64) -> Result<Clip> {
        if !min.is_finite() || !max.is_finite() {
            return Err(TracesError::invalid(
                "clip",
                format!("bounds {min}:{max} must be finite numbers"),
            ));
        }
        if min >= max {
            return Err(TracesError::invalid(
                "clip",
                format!("lower bound {min} is not below upper bound {max}"),
            ));
        }
        Ok(Clip { min, max })
    }

    /// Lower bound.
    pub fn min(self) -> f64 {
        self.min
    }

    /// Upper bound.
    pub fn max(self) -> f64 {
        self.max
    }

    /// Clips `values` in place; returns how many were changed.
    pub fn apply(self, values: &mut [f64]) -> u64 {
        let mut n = 0;
        for v in values {
            if *v < self.min {
                *v = self.min;
                n += 1;
            } else if *v > self.max {
                *v = self.max;
                n += 1;
            }
        }
        n
    }
}

impl FromStr for Clip {
    type Err = TracesError;

    /// Reads `min:max`, e.g. `0:80` or `-1.5:10`.
    fn from_str(s: &str) -> Result<Clip> {
        let bad = || TracesError::invalid("clip", format!("`{s}` is not a range min:max"));
        let (a, b) = s.split_once(':').ok_or_else(bad)?;
        let min: f64 = a.trim().parse().map_err(|_| bad())?;
        let max: f64 = b.trim().parse().map_err(|_| bad())?;
        Clip::new(min, max)
    }
}

impl fmt::Display for Clip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.min, self.max)
    }
}

/// Sums a profile to hourly values. Its slot length must divide 60
/// minutes and it must have one value per slot.
pub fn to_hourly(p: &DayProfile) -> Result<DayProfile> {
    let m = p.resolution.minutes();
    if !60u32.is_multiple_of(m) {
        return Err(TracesError::invalid(
            "resolution",
            format!(
                "household {}: {} slots cannot be summed to hours",
                p.household, p.resolution
            ),
        ));
    }
    p.check_length()?;
    let per_hour = (60 / m) as usize;
    let values: Vec<f64> = p.values.chunks(per_hour).map(|c| c.iter().sum()).collect();
    if let Some(hour) = values.iter().position(|v| !v.is_finite()) {
        return Err(TracesError::invalid(
            "profile",
            format!(
                "household {}: the values of hour {hour:02}:00 do not add up to a finite number",
                p.household
            ),
        ));
    }
    Ok(DayProfile {
        household: p.household.clone(),
        date: p.date,
        residents: p.residents,
        appliance: p.appliance.clone(),
        resolution: Resolution::HOUR,
        values,
    })
}

/// The `daily-profiles` transform, counting what it clips.
#[derive(Clone, Debug, Default)]
pub struct DailyProfiles {
    clip: Option<Clip>,
    days: u64,
    values_clipped: u64,
}

impl DailyProfiles {
    /// Sums to hours and, with `clip`, clips.
    pub fn new(clip: Option<Clip>) -> Self {
        DailyProfiles {
            clip,
            days: 0,
            values_clipped: 0,
        }
    }

    /// Transforms one profile.
    pub fn apply(&mut self, p: &DayProfile) -> Result<DayProfile> {
        let mut h = to_hourly(p)?;
        if let Some(c) = self.clip {
            self.values_clipped += c.apply(&mut h.values);
        }
        self.days += 1;
        Ok(h)
    }

    /// Profiles transformed so far.
    pub fn days(&self) -> u64 {
        self.days
    }

    /// Hourly values clipped so far.
    pub fn values_clipped(&self) -> u64 {
        self.values_clipped
    }
}
