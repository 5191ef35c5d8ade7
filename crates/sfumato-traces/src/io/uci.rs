//! The UCI "Individual household electric power consumption" file: one
//! household near Paris, one row per minute, December 2006 – November 2010.
//!
//! ```text
//! Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;Sub_metering_3
//! 16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000
//! 21/12/2006;11:23:00;?;?;?;?;?;?;
//! ```
//!
//! Fields are separated by `;`. The date is `d/m/yyyy` (zero padding
//! optional), the time `hh:mm:ss` (the row is the minute `hh:mm`).
//! `Global_active_power` is the minute's mean active power in kW; `?` or an
//! empty field is a missing value. The other columns are checked to be
//! numbers or missing, and otherwise ignored. The header is checked (names
//! are case-insensitive); a file starting directly with data is accepted.
//!
//! Rows must be in time order (a minute given twice, a time or date going
//! backwards is an error). A minute without a row is missing. Each day
//! becomes one hourly [`DayProfile`]: the energy of an hour is the mean power
//! over its present minutes × 1 h, and the [missing-values
//! policy](crate::io#missing-values) decides which hours and days are kept
//! (by default an hour needs 45 of its 60 minutes). The first and last days
//! of the published file are partial and are therefore dropped.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::io::daily::to_hourly;
use crate::io::text::{Lines, file_stem, parse_value, small_digits};
use crate::io::{ImportReport, MissingPolicy, complete_day};
use crate::record::DayProfile;
use crate::resolution::{MINUTES_PER_DAY, Resolution};

/// The header of the published file.
pub const UCI_HEADER: [&str; 9] = [
    "Date",
    "Time",
    "Global_active_power",
    "Global_reactive_power",
    "Voltage",
    "Global_intensity",
    "Sub_metering_1",
    "Sub_metering_2",
    "Sub_metering_3",
];

/// Options of a [`UciReader`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UciOptions {
    /// The household's id; `None`: the input file's stem.
    pub household: Option<String>,
    /// The number of residents, if known.
    pub residents: Option<u8>,
    /// What to do with missing minutes.
    pub missing: MissingPolicy,
}

/// The day being gathered: kWh per minute, `None` where missing.
struct Day {
    date: Date,
    minutes: Vec<Option<f64>>,
    /// Last minute seen and its line.
    last: Option<(u32, u64)>,
}

/// Streaming reader of the UCI household file; yields one hourly
/// [`DayProfile`] per complete day. After an error the iterator ends.
/// [`UciReader::report`] counts what was read and dropped.
pub struct UciReader<R> {
    lines: Lines<R>,
    household: String,
    residents: Option<u8>,
    missing: MissingPolicy,
    day: Option<Day>,
    report: ImportReport,
    replay: bool,
    done: bool,
}

/// Opens a UCI household file (see [`UciReader`]).
pub fn open_uci(path: impl AsRef<Path>, options: UciOptions) -> Result<UciReader<BufReader<File>>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
    UciReader::new(BufReader::new(file), path, options)
}

impl<R: BufRead> UciReader<R> {
    /// Reads the header of `input`; `path` names the file in errors and
    /// gives the default household id.
    pub fn new(input: R, path: impl Into<PathBuf>, options: UciOptions) -> Result<Self> {
        let path = path.into();
        let household = options.household.unwrap_or_else(|| file_stem(&path));
        if household.is_empty() {
            return Err(TracesError::invalid("household", "empty id"));
        }
        let mut lines = Lines::new(input, path);
        if !lines.advance_nonblank()? {
            return Err(lines.err("empty file: expected the header Date;Time;…"));
        }
        let first: Vec<&str> = lines.text().split(';').map(str::trim).collect();
        let headerless = first.first().is_some_and(|f| parse_dmy(f).is_some());
        if !headerless
            && (first.len() != UCI_HEADER.len()
                || first
                    .iter()
                    .zip(UCI_HEADER)
                    .any(|(f, h)| !f.eq_ignore_ascii_case(h)))
        {
            return Err(lines.err(format!("unknown header: expected {}", UCI_HEADER.join(";"))));
        }
        Ok(UciReader {
            lines,
            household,
            residents: options.residents,
            missing: options.missing,
            day: None,
            report: ImportReport::default(),
            replay: headerless,
            done: false,
        })
    }

    /// Counts so far (complete once the iterator has ended).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// The 1-based number of the last line read.
    pub fn line(&self) -> u64 {
        self.lines.line()
    }

    /// Whether the profiles carry a residents count.
    pub fn has_residents(&self) -> bool {
        self.residents.is_some()
    }

    /// Reads the current line; returns the day it ended, if any.
    fn row(&mut self) -> Result<Option<Day>> {
        let lines = &self.lines;
        let fields: Vec<&str> = lines.text().split(';').map(str::trim).collect();
        if fields.len() != UCI_HEADER.len() {
            return Err(lines.err(format!(
                "ragged row: {} fields where the header has {}",
                fields.len(),
                UCI_HEADER.len()
            )));
        }
        let (d, t) = (fields[0], fields[1]);
        let date = parse_dmy(d)
            .ok_or_else(|| lines.err(format!("`{d}` is not a date d/m/yyyy")))?
            .map_err(|e| lines.err(e.to_string()))?;
        let minute =
            parse_hms(t).ok_or_else(|| lines.err(format!("`{t}` is not a time hh:mm:ss")))?;
        let mut power = None;
        for (i, (f, name)) in fields.iter().zip(UCI_HEADER).enumerate().skip(2) {
            if *f == "?" || f.is_empty() {
                continue;
            }
            let v = parse_value(f).map_err(|e| lines.err(format!("{name}: {e}")))?;
            if i == 2 {
                power = Some(v);
            }
        }
        self.report.rows_read += 1;
        let line = lines.line();
        let ended = match &mut self.day {
            Some(day) if day.date == date => None,
            Some(day) if day.date > date => {
                return Err(lines.err(format!(
                    "rows are not in time order: {date} after {}",
                    day.date
                )));
            }
            _ => self.day.replace(Day {
                date,
                minutes: vec![None; MINUTES_PER_DAY as usize],
                last: None,
            }),
        };
        let Some(day) = &mut self.day else {
            return Ok(ended);
        };
        if let Some((last, last_line)) = day.last {
            if minute == last {
                return Err(lines.err(format!(
                    "duplicate slot: {t} on {d} is already on line {last_line}"
                )));
            }
            if minute < last {
                return Err(lines.err(format!(
                    "rows are not in time order: {t} after {:02}:{:02} on line {last_line}",
                    last / 60,
                    last % 60
                )));
            }
        }
        day.last = Some((minute, line));
        if let Some(slot) = day.minutes.get_mut(minute as usize) {
            // kW over one minute = kW / 60 kWh.
            *slot = power.map(|p| p / 60.0);
        }
        Ok(ended)
    }

    fn finish(&mut self, day: Day) -> Option<DayProfile> {
        self.report.days_read += 1;
        let values = complete_day(
            &day.minutes,
            Resolution::MINUTE,
            self.missing,
            &mut self.report,
        )?;
        let minute = DayProfile {
            household: self.household.clone(),
            date: Some(day.date),
            residents: self.residents,
            appliance: None,
            resolution: Resolution::MINUTE,
            values,
        };
        to_hourly(&minute).ok()
    }
}

impl<R: BufRead> Iterator for UciReader<R> {
    type Item = Result<DayProfile>;

    fn next(&mut self) -> Option<Result<DayProfile>> {
        while !self.done {
            let more = if self.replay {
                self.replay = false;
                Ok(true)
            } else {
                self.lines.advance_nonblank()
            };
            let ended = match more {
                Ok(true) => self.row(),
                Ok(false) => {
                    self.done = true;
                    Ok(self.day.take())
                }
                Err(e) => Err(e),
            };
            match ended {
                Ok(Some(day)) => {
                    if let Some(p) = self.finish(day) {
                        return Some(Ok(p));
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// `d/m/yyyy`: `None` if it is not of that shape, an error if the date does
/// not exist.
fn parse_dmy(s: &str) -> Option<Result<Date>> {
    let mut parts = s.split('/');
    let d = small_digits(parts.next()?, 1, 2)?;
    let m = small_digits(parts.next()?, 1, 2)?;
    let y = small_digits(parts.next()?, 4, 4)?;
    if parts.next().is_some() {
        return None;
    }
    Some(Date::from_ymd(y as i32, m, d))
}

/// `hh:mm:ss` (or `hh:mm`) to the minute of the day.
fn parse_hms(s: &str) -> Option<u32> {
    let mut parts = s.split(':');
    let h = small_digits(parts.next()?, 1, 2)?;
    let m = small_digits(parts.next()?, 2, 2)?;
    if let Some(sec) = parts.next() {
        let sec = small_digits(sec, 2, 2)?;
        if sec >= 60 {
            return None;
        }
    }
    if parts.next().is_some() || h >= 24 || m >= 60 {
        return None;
    }
    Some(h * 60 + m)
}
