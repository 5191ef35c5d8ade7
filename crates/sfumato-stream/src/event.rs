//! The DEBS 2014 Grand Challenge event: one smart-plug measurement.
//!
//! The challenge's schema (StreamMine3G's workload): `id, timestamp, value,
//! property, plug_id, household_id, house_id`, where `property` is 0 for
//! *work* (cumulative energy, kWh) and 1 for *load* (power, W). Plug ids
//! are unique within a household, household ids within a house. Timestamps
//! are Unix seconds.

use serde::{Deserialize, Serialize};

/// What a measurement measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Property {
    /// Cumulative energy since the plug was installed, kWh (`0`).
    Work,
    /// Current power, W (`1`).
    Load,
}

impl Property {
    /// The challenge's code: 0 work, 1 load.
    pub fn code(self) -> u8 {
        match self {
            Property::Work => 0,
            Property::Load => 1,
        }
    }

    /// The property with this code.
    pub fn from_code(code: u8) -> Option<Property> {
        match code {
            0 => Some(Property::Work),
            1 => Some(Property::Load),
            _ => None,
        }
    }
}

/// One measurement.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique, increasing in the challenge's file.
    pub id: u64,
    /// Unix seconds.
    pub timestamp: u32,
    /// kWh (work) or W (load).
    pub value: f32,
    /// Work or load.
    pub property: Property,
    /// Plug, unique within its household.
    pub plug: u32,
    /// Household, unique within its house.
    pub household: u32,
    /// House.
    pub house: u32,
}

impl Event {
    /// The plug this event comes from.
    pub fn plug_key(&self) -> PlugKey {
        PlugKey {
            house: self.house,
            household: self.household,
            plug: self.plug,
        }
    }
}

/// A plug's full name: house, household, plug. Ordered house first, so a
/// range of houses is a contiguous range of plugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PlugKey {
    /// House.
    pub house: u32,
    /// Household within the house.
    pub household: u32,
    /// Plug within the household.
    pub plug: u32,
}
