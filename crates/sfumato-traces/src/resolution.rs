//! Slot lengths: how many minutes one value of a trace covers.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, TracesError};

/// Minutes in a day.
pub const MINUTES_PER_DAY: u32 = 1440;

/// A slot length in whole minutes that divides a day (1, 5, 10, 15, 30, 60
/// minutes, …, up to 1440).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Resolution {
    minutes: u32,
}

impl Resolution {
    /// One value per minute: the generator's native resolution.
    pub const MINUTE: Resolution = Resolution { minutes: 1 };
    /// One value per hour: Chiaroscuro's daily profiles (§6).
    pub const HOUR: Resolution = Resolution { minutes: 60 };

    /// A slot of `minutes` minutes; it must divide 1440.
    pub fn from_minutes(minutes: u32) -> Result<Resolution> {
        if minutes == 0 || !MINUTES_PER_DAY.is_multiple_of(minutes) {
            return Err(TracesError::invalid(
                "resolution",
                format!("{minutes} min does not divide a day of 1440 min"),
            ));
        }
        Ok(Resolution { minutes })
    }

    /// Minutes per slot.
    pub fn minutes(self) -> u32 {
        self.minutes
    }

    /// Slots per day.
    pub fn slots_per_day(self) -> usize {
        (MINUTES_PER_DAY / self.minutes) as usize
    }

    /// `HH:MM`, the start of slot `i` (0-based).
    pub fn slot_label(self, i: usize) -> String {
        let m = i as u32 * self.minutes;
        format!("{:02}:{:02}", m / 60, m % 60)
    }
}

impl fmt::Display for Resolution {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.minutes.is_multiple_of(60) {
            write!(f, "{}h", self.minutes / 60)
        } else {
            write!(f, "{}m", self.minutes)
        }
    }
}

impl FromStr for Resolution {
    type Err = TracesError;

    /// Reads `10m`, `10min`, `1h`, `60` (minutes), `1d`.
    fn from_str(s: &str) -> Result<Resolution> {
        let t = s.trim().to_ascii_lowercase();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let bad = || {
            TracesError::invalid(
                "resolution",
                format!("`{s}` is not a slot length such as 1m, 10m, 30m or 1h"),
            )
        };
        let n: u32 = num.parse().map_err(|_| bad())?;
        let factor = match unit {
            "" | "m" | "min" | "mins" | "minute" | "minutes" => 1,
            "h" | "hour" | "hours" => 60,
            "d" | "day" => MINUTES_PER_DAY,
            _ => return Err(bad()),
        };
        Resolution::from_minutes(n.checked_mul(factor).ok_or_else(bad)?)
    }
}

impl Serialize for Resolution {
    /// As minutes per slot.
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.serialize_u32(self.minutes)
    }
}

impl<'de> Deserialize<'de> for Resolution {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Resolution, D::Error> {
        Resolution::from_minutes(u32::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        for (s, m) in [
            ("1m", 1),
            ("10m", 10),
            ("15min", 15),
            ("30", 30),
            ("1h", 60),
            ("1d", 1440),
        ] {
            assert_eq!(s.parse::<Resolution>().unwrap().minutes(), m);
        }
        assert_eq!(Resolution::HOUR.to_string(), "1h");
        assert_eq!("10m".parse::<Resolution>().unwrap().slots_per_day(), 144);
        assert_eq!(Resolution::HOUR.slot_label(23), "23:00");
        for s in ["7m", "0m", "x", "10s", "99999999999h"] {
            assert!(s.parse::<Resolution>().is_err(), "{s}");
        }
    }
}
