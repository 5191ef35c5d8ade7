//! CER Smart Metering Project (Ireland, 2009–2010) electricity files.
//!
//! ```text
//! 1392 19503 0.14
//! 1392 19504 0.138
//! 1000 36549 0.262
//! ```
//!
//! Each line is `meter_id day_code kwh`, separated by spaces or tabs, with
//! no header (a first line none of whose fields is a number is skipped as a
//! header). `day_code` has five digits `DDDHH`: `DDD` is the day, day 1
//! being 2009-01-01, and `HH` the half-hour of the day, 01 for 00:00–00:30
//! to 48 for 23:30–24:00. `kwh` is the energy of the half-hour.
//!
//! **Clock changes.** On the autumn clock-change day meters report 50
//! half-hours; 49 and 50 are added to the last hour (23:00), so the day's
//! total is kept. On the spring day half-hours 47 and 48 are absent, so the
//! last hour is missing and that day is dropped by the default policy.
//!
//! Lines need not be sorted, so the reader gathers all of a file in memory
//! (about 250 bytes per meter-day: a CER file of ~1000 meters × 536 days
//! takes about 130 MB) before yielding hourly [`DayProfile`]s sorted by
//! meter (numerically when ids are numbers) and date. The energy of an hour
//! is the sum of its two half-hours; the [missing-values
//! policy](crate::io#missing-values) applies with two samples per hour (by
//! default a missing half-hour makes its hour, and so its day, missing). A
//! half-hour given twice is an error naming the line.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::io::text::{Lines, parse_value, small_digits};
use crate::io::{ImportReport, MissingPolicy};
use crate::record::DayProfile;
use crate::resolution::Resolution;

/// Options of [`read_cer`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CerOptions {
    /// What to do with missing half-hours.
    pub missing: MissingPolicy,
}

/// One meter-day being gathered.
struct MeterDay {
    /// kWh of half-hours 2h+1 and 2h+2 for each hour h.
    hours: [f64; 24],
    /// kWh of half-hours 49 and 50.
    extra: f64,
    /// Bit k set when half-hour k+1 was read.
    present: u64,
}

/// The days of a CER file, sorted by meter and date: an iterator of hourly
/// [`DayProfile`]s that drops incomplete days as it goes.
pub struct CerDays {
    meters: Vec<String>,
    order: std::vec::IntoIter<(u32, u16)>,
    days: HashMap<(u32, u16), MeterDay>,
    missing: MissingPolicy,
    first_day: Date,
    report: ImportReport,
}

/// Opens and reads a CER file (see [`read_cer`]).
pub fn open_cer(path: impl AsRef<Path>, options: CerOptions) -> Result<CerDays> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
    read_cer(BufReader::new(file), path, options)
}

/// Reads a whole CER file; `path` only names it in errors.
pub fn read_cer<R: BufRead>(
    input: R,
    path: impl Into<PathBuf>,
    options: CerOptions,
) -> Result<CerDays> {
    let mut lines = Lines::new(input, path.into());
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut meters: Vec<String> = Vec::new();
    let mut days: HashMap<(u32, u16), MeterDay> = HashMap::new();
    let mut report = ImportReport::default();
    let mut first = true;
    while lines.advance_nonblank()? {
        let text = lines.text();
        let mut fields = text.split_ascii_whitespace();
        let (Some(meter), Some(code), Some(kwh), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            if first
                && !text
                    .split_ascii_whitespace()
                    .any(|f| f.parse::<f64>().is_ok())
            {
                first = false;
                continue;
            }
            return Err(lines.err(format!(
                "ragged row: {} fields where a CER line has 3 (meter_id day_code kwh)",
                text.split_ascii_whitespace().count()
            )));
        };
        if std::mem::take(&mut first)
            && [meter, code, kwh].iter().all(|f| f.parse::<f64>().is_err())
        {
            continue;
        }
        let bad_code = || {
            lines.err(format!(
                "`{code}` is not a day code DDDHH (day 001–999, half-hour 01–50)"
            ))
        };
        let code_num = small_digits(code, 5, 5).ok_or_else(bad_code)?;
        let (day, half) = (code_num / 100, code_num % 100);
        if day == 0 || half == 0 || half > 50 {
            return Err(bad_code());
        }
        let v = parse_value(kwh).map_err(|e| lines.err(format!("kwh: {e}")))?;
        let idx = match ids.get(meter) {
            Some(&i) => i,
            None => {
                let i = meters.len() as u32;
                ids.insert(meter.to_owned(), i);
                meters.push(meter.to_owned());
                i
            }
        };
        let entry = days.entry((idx, day as u16)).or_insert(MeterDay {
            hours: [0.0; 24],
            extra: 0.0,
            present: 0,
        });
        let bit = 1u64 << (half - 1);
        if entry.present & bit != 0 {
            return Err(lines.err(format!(
                "duplicate slot: meter {meter} day {day} half-hour {half} was already given"
            )));
        }
        entry.present |= bit;
        match entry.hours.get_mut(((half - 1) / 2) as usize) {
            Some(h) => *h += v,
            None => entry.extra += v,
        }
        report.rows_read += 1;
    }
    report.days_read = days.len() as u64;
    let rank = meter_ranks(&meters);
    let mut order: Vec<(u32, u16)> = days.keys().copied().collect();
    order.sort_unstable_by_key(|&(m, d)| (rank.get(m as usize).copied().unwrap_or(0), d));
    Ok(CerDays {
        meters,
        order: order.into_iter(),
        days,
        missing: options.missing,
        first_day: Date::from_ymd(2009, 1, 1)?,
        report,
    })
}

/// The position of each meter when sorted: numeric ids by value, then
/// others by text.
fn meter_ranks(meters: &[String]) -> Vec<u32> {
    let key = |s: &str| -> (bool, usize, String) {
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            let t = s.trim_start_matches('0');
            (false, t.len(), t.to_owned())
        } else {
            (true, 0, s.to_owned())
        }
    };
    let mut idx: Vec<usize> = (0..meters.len()).collect();
    idx.sort_by(|&a, &b| {
        let (ka, kb) = (key(&meters[a]), key(&meters[b]));
        ka.cmp(&kb).then_with(|| meters[a].cmp(&meters[b]))
    });
    let mut rank = vec![0u32; meters.len()];
    for (r, i) in idx.into_iter().enumerate() {
        rank[i] = r as u32;
    }
    rank
}

impl CerDays {
    /// Counts so far: rows and days read are complete, days dropped once
    /// the iterator has ended.
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Number of distinct meters.
    pub fn meters(&self) -> usize {
        self.meters.len()
    }
}

impl Iterator for CerDays {
    type Item = DayProfile;

    fn next(&mut self) -> Option<DayProfile> {
        for key in self.order.by_ref() {
            let Some(day) = self.days.remove(&key) else {
                continue;
            };
            let mut values = vec![0.0; 24];
            let mut complete = true;
            for (h, (out, &sum)) in values.iter_mut().zip(&day.hours).enumerate() {
                let present = (day.present >> (2 * h) & 0b11).count_ones() as usize;
                self.report.samples_missing += 2 - present as u64;
                if present == 2 {
                    *out = sum;
                } else if self.missing.accepts(present, 2) {
                    *out = sum * 2.0 / present as f64;
                    self.report.hours_scaled += 1;
                } else {
                    complete = false;
                }
            }
            if !complete {
                self.report.days_dropped_incomplete += 1;
                continue;
            }
            if let Some(last) = values.last_mut() {
                *last += day.extra;
            }
            return Some(DayProfile {
                household: self.meters.get(key.0 as usize).cloned().unwrap_or_default(),
                date: Some(self.first_day.add_days(i32::from(key.1) - 1)),
                residents: None,
                appliance: None,
                resolution: Resolution::HOUR,
                values,
            });
        }
        None
    }
}
