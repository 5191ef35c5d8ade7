//! Civil dates (proleptic Gregorian), without a time zone: what a household
//! day is labelled with. Only the arithmetic the traces need: parsing
//! `YYYY-MM-DD`, adding days, the weekday and the day of the year.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Result, TracesError};

/// A calendar day, stored as the number of days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i32,
}

/// Day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Weekday {
    /// Monday.
    Monday,
    /// Tuesday.
    Tuesday,
    /// Wednesday.
    Wednesday,
    /// Thursday.
    Thursday,
    /// Friday.
    Friday,
    /// Saturday.
    Saturday,
    /// Sunday.
    Sunday,
}

impl Weekday {
    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Weekday::Saturday | Weekday::Sunday)
    }
}

const MIN_YEAR: i32 = 1000;
const MAX_YEAR: i32 = 9999;

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

impl Date {
    /// The date `year-month-day`, if it exists and the year is in 1000..=9999.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Result<Date> {
        if !(MIN_YEAR..=MAX_YEAR).contains(&year) {
            return Err(TracesError::invalid(
                "date",
                format!("year {year} is out of range 1000–9999"),
            ));
        }
        if !(1..=12).contains(&month) {
            return Err(TracesError::invalid(
                "date",
                format!("month {month} does not exist"),
            ));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(TracesError::invalid(
                "date",
                format!("{year:04}-{month:02} has no day {day}"),
            ));
        }
        Ok(Date::from_valid_ymd(year, month, day))
    }

    /// The date for a valid `year-month-day` (checked by the caller).
    pub(crate) fn from_valid_ymd(year: i32, month: u32, day: u32) -> Date {
        // Days from 1970-01-01: count whole years in a 400-year era shifted
        // to start in March, so that the leap day falls at the end.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Date {
            days: era * 146_097 + doe - 719_468,
        }
    }

    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days_since_epoch(self) -> i32 {
        self.days
    }

    /// The date `n` days later (earlier for negative `n`).
    pub fn add_days(self, n: i32) -> Date {
        Date {
            days: self.days + n,
        }
    }

    /// Day of the week (1970-01-01 was a Thursday).
    pub fn weekday(self) -> Weekday {
        const DAYS: [Weekday; 7] = [
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
        ];
        DAYS[self.days.rem_euclid(7) as usize]
    }

    /// Day of the year, 1 for 1 January.
    pub fn ordinal(self) -> u32 {
        let (year, _, _) = self.ymd();
        (self.days - Date::from_valid_ymd(year, 1, 1).days + 1) as u32
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = TracesError;

    /// Reads `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Date> {
        let bad = || TracesError::invalid("date", format!("`{s}` is not a date YYYY-MM-DD"));
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let num = |r: core::ops::Range<usize>| -> Result<u32> {
            let part = &s[r];
            if part.bytes().all(|c| c.is_ascii_digit()) {
                part.parse().map_err(|_| bad())
            } else {
                Err(bad())
            }
        };
        Date::from_ymd(num(0..4)? as i32, num(5..7)?, num(8..10)?)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> core::result::Result<Date, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        let d: Date = "1970-01-01".parse().unwrap();
        assert_eq!(d.days_since_epoch(), 0);
        assert_eq!(d.weekday(), Weekday::Thursday);
        let d: Date = "2009-07-14".parse().unwrap();
        assert_eq!(d.weekday(), Weekday::Tuesday);
        assert_eq!(d.ordinal(), 195);
        assert_eq!("2024-12-31".parse::<Date>().unwrap().ordinal(), 366);
        assert_eq!(
            "2000-02-29".parse::<Date>().unwrap().to_string(),
            "2000-02-29"
        );
    }

    #[test]
    fn round_trips_every_day_of_four_centuries() {
        let start = Date::from_ymd(1900, 1, 1).unwrap();
        for n in 0..146_097 {
            let d = start.add_days(n);
            let (y, m, day) = d.ymd();
            assert_eq!(Date::from_ymd(y, m, day).unwrap(), d);
            assert_eq!(d.to_string().parse::<Date>().unwrap(), d);
        }
    }

    #[test]
    fn rejects_bad_dates() {
        for s in [
            "2023-02-29",
            "2023-13-01",
            "2023-00-10",
            "2023-1-01",
            "abcd-01-01",
            "0999-01-01",
            "",
        ] {
            assert!(s.parse::<Date>().is_err(), "{s}");
        }
    }
}
