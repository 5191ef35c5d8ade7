//! One household-day of load: the unit every reader yields and every writer
//! takes.

use serde::{Deserialize, Serialize};

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::resolution::Resolution;

/// The name of the row that carries a household's total when a trace is
/// broken down by appliance.
pub const TOTAL: &str = "total";

/// One household's energy use over one day, slot by slot, in **kWh per
/// slot** (energy, not power: a 2 kW kettle running for a whole 10-minute
/// slot contributes 0.333 kWh to it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DayProfile {
    /// The household's identifier (the generator uses its index).
    pub household: String,
    /// The day, when known.
    pub date: Option<Date>,
    /// Number of residents, when known (the generator always knows it).
    pub residents: Option<u8>,
    /// `None` (or [`TOTAL`]) for the whole household, otherwise one
    /// appliance's (or appliance group's) share.
    pub appliance: Option<String>,
    /// Slot length.
    pub resolution: Resolution,
    /// kWh in each slot; `resolution.slots_per_day()` values.
    pub values: Vec<f64>,
}

impl DayProfile {
    /// Total kWh over the day.
    pub fn total_kwh(&self) -> f64 {
        self.values.iter().sum()
    }

    /// Checks that there is one value per slot of the profile's resolution.
    pub fn check_length(&self) -> Result<()> {
        let slots = self.resolution.slots_per_day();
        if self.values.len() == slots {
            return Ok(());
        }
        Err(TracesError::invalid(
            "profile",
            format!(
                "household {} has {} values, a day has {} slots of {}",
                self.household,
                self.values.len(),
                slots,
                self.resolution
            ),
        ))
    }

    /// Whether this row is a household total rather than one appliance.
    pub fn is_total(&self) -> bool {
        self.appliance.as_deref().is_none_or(|a| a == TOTAL)
    }
}
