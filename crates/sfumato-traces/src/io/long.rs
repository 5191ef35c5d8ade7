//! Long CSV: one row per household and slot.
//!
//! ```text
//! household,timestamp,kwh,appliance
//! 17,2024-03-01T00:00,0.21,
//! 17,2024-03-01T01:00,0.18,
//! ```
//!
//! # Header
//!
//! Columns are found by name, in any order: `household`, `timestamp`, `kwh`
//! (required), `appliance` and `residents` (optional; the writer puts them
//! after `kwh`, in that order). Any other name is an *unknown header
//! column*. A file without a header is recognised by a timestamp in the
//! second field of its first line; its columns are then
//! `household,timestamp,kwh[,appliance]`.
//!
//! # Rows
//!
//! The timestamp is the start of the slot, `YYYY-MM-DDTHH:MM`; a space may
//! replace `T` and `:00` seconds may follow (`2024-03-01 00:10:00`). `kwh`
//! must be a finite number (empty or `NaN` is an error: a missing slot is a
//! missing row). An empty `appliance` is the household total; an empty
//! `residents` is unknown.
//!
//! The reader groups consecutive rows of the same household, date and
//! appliance into one [`DayProfile`]. The rows of a household-day must be
//! **contiguous and in time order**, and the days of a household (per
//! appliance) in date order: a repeated slot, a time going backwards or a
//! household-day that starts again later are errors naming the line. (To
//! check this the reader remembers the last date of each household and
//! appliance: memory grows with the number of households, not of rows.)
//!
//! # Slot length
//!
//! Unless [`LongReadOptions::resolution`] fixes it, the slot length is
//! inferred from the first household-day with at least two rows (and the
//! one-row days before it, about a thousand at most): the largest slot
//! length that puts all their timestamps on a grid from 00:00 (the greatest
//! common divisor of their minutes and 1440). A file of one-row days at
//! 00:00 is read as daily, and one-row days at 12:00 as 12-hour slots, with
//! the afternoon missing; neither can be summed to the hourly profiles that
//! `import` and `stats` need. Every later timestamp must be on that grid.
//!
//! Slots without a row are missing and the [missing-values
//! policy](crate::io#missing-values) applies per hour.

use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::io::text::{
    Lines, NumberFormat, parse_timestamp, parse_value, push_csv_field, push_u64, split_csv,
};
use crate::io::wide::{check_profile, parse_residents};
use crate::io::{ImportReport, MissingPolicy, complete_day};
use crate::record::DayProfile;
use crate::resolution::{MINUTES_PER_DAY, Resolution};

/// Options of a [`LongReader`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LongReadOptions {
    /// The slot length; `None` infers it from the first household-day.
    pub resolution: Option<Resolution>,
    /// What to do with missing slots.
    pub missing: MissingPolicy,
}

#[derive(Clone, Copy, Debug)]
struct Columns {
    household: usize,
    timestamp: usize,
    kwh: usize,
    appliance: Option<usize>,
    residents: Option<usize>,
    count: usize,
}

/// One household-day being gathered.
struct Group {
    household: String,
    date: Date,
    appliance: Option<String>,
    residents: Option<u8>,
    /// (minute of the day, kWh, line).
    rows: Vec<(u32, f64, u64)>,
}

/// Streaming reader of a long CSV file; yields one [`DayProfile`] per
/// complete household-day (see the [module](self) documentation). After
/// an error the iterator ends. [`LongReader::report`] counts what was read
/// and dropped.
pub struct LongReader<R> {
    lines: Lines<R>,
    columns: Columns,
    options: LongReadOptions,
    resolution: Option<Resolution>,
    current: Option<Group>,
    /// Last date started per (household, appliance).
    last_dates: HashMap<(String, Option<String>), Date>,
    report: ImportReport,
    /// Household-days ended before the slot length was known.
    pending: Vec<Group>,
    /// Profiles ready to yield, with their first and last lines.
    ready: VecDeque<(DayProfile, (u64, u64))>,
    /// First and last line of the household-day last yielded.
    last_lines: (u64, u64),
    replay: bool,
    done: bool,
}

/// Opens a long CSV file (see [`LongReader`]).
pub fn open_long(
    path: impl AsRef<Path>,
    options: LongReadOptions,
) -> Result<LongReader<BufReader<File>>> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
    LongReader::new(BufReader::new(file), path, options)
}

impl<R: BufRead> LongReader<R> {
    /// Reads the header of `input`; `path` only names the file in errors.
    pub fn new(input: R, path: impl Into<PathBuf>, options: LongReadOptions) -> Result<Self> {
        let mut lines = Lines::new(input, path.into());
        if !lines.advance_nonblank()? {
            return Err(lines.err("empty file: expected a header or a first row"));
        }
        let fields = split_csv(lines.text()).map_err(|e| lines.err(e))?;
        let headerless = fields.get(1).is_some_and(|f| parse_timestamp(f).is_ok());
        let columns = if headerless {
            if fields.len() != 3 && fields.len() != 4 {
                return Err(lines.err(format!(
                    "{} fields: a long file without a header has \
                     household,timestamp,kwh[,appliance]",
                    fields.len()
                )));
            }
            Columns {
                household: 0,
                timestamp: 1,
                kwh: 2,
                appliance: (fields.len() == 4).then_some(3),
                residents: None,
                count: fields.len(),
            }
        } else {
            header_columns(&fields).map_err(|e| lines.err(e))?
        };
        Ok(LongReader {
            lines,
            columns,
            options,
            resolution: options.resolution,
            current: None,
            last_dates: HashMap::new(),
            report: ImportReport::default(),
            pending: Vec::new(),
            ready: VecDeque::new(),
            last_lines: (0, 0),
            replay: headerless,
            done: false,
        })
    }

    /// Counts so far (complete once the iterator has ended).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// The slot length, once known.
    pub fn resolution(&self) -> Option<Resolution> {
        self.resolution
    }

    /// The 1-based number of the last line read.
    pub fn line(&self) -> u64 {
        self.lines.line()
    }

    /// First and last line of the household-day last yielded.
    pub fn last_day_lines(&self) -> (u64, u64) {
        self.last_lines
    }

    /// Whether the file has (`residents`, `appliance`) columns.
    pub fn has_columns(&self) -> (bool, bool) {
        (
            self.columns.residents.is_some(),
            self.columns.appliance.is_some(),
        )
    }

    /// The error for a timestamp off the slot grid, if it is.
    fn off_grid(&self, minute: u32, line: u64) -> Option<TracesError> {
        let res = self.resolution?;
        if minute.is_multiple_of(res.minutes()) {
            return None;
        }
        Some(TracesError::malformed(
            self.lines.path(),
            line,
            format!(
                "time {:02}:{:02} is not on the grid of {}-minute slots{}",
                minute / 60,
                minute % 60,
                res.minutes(),
                if self.options.resolution.is_some() {
                    ""
                } else {
                    " inferred from the first household-day with two rows or more \
                     (set the resolution explicitly)"
                }
            ),
        ))
    }

    /// Reads the current line; returns a group it ended, if any.
    fn row(&mut self) -> Result<Option<Group>> {
        let lines = &self.lines;
        let c = self.columns;
        let fields = split_csv(lines.text()).map_err(|e| lines.err(e))?;
        if fields.len() != c.count {
            return Err(lines.err(format!(
                "ragged row: {} fields where the header has {}",
                fields.len(),
                c.count
            )));
        }
        let get = |i: usize| fields.get(i).map_or("", |f| f.as_ref());
        let household = get(c.household);
        if household.is_empty() {
            return Err(lines.err("empty household id"));
        }
        let ts = get(c.timestamp);
        let (date, minute) = parse_timestamp(ts).map_err(|e| lines.err(e))?;
        let kwh = parse_value(get(c.kwh)).map_err(|e| lines.err(format!("kwh: {e}")))?;
        let appliance = c.appliance.map(get).filter(|a| !a.is_empty());
        let residents = match c.residents.map(get).filter(|r| !r.is_empty()) {
            Some(r) => Some(parse_residents(r).map_err(|e| lines.err(e))?),
            None => None,
        };
        let line = lines.line();
        if let Some(g) = &self.current
            && g.household == household
            && g.date == date
            && g.appliance.as_deref() == appliance
        {
            let &(last, _, last_line) = g.rows.last().unwrap_or(&(0, 0.0, 0));
            if minute == last {
                return Err(lines.err(format!(
                    "duplicate slot `{ts}` (already on line {last_line})"
                )));
            }
            if minute < last {
                return Err(lines.err(format!(
                    "rows are not in time order: `{ts}` after {:02}:{:02} on line {last_line}",
                    last / 60,
                    last % 60
                )));
            }
            if residents != g.residents {
                return Err(lines.err(format!(
                    "residents changes within household {household}'s day {date}"
                )));
            }
            if let Some(e) = self.off_grid(minute, line) {
                return Err(e);
            }
            self.report.rows_read += 1;
            if let Some(g) = &mut self.current {
                g.rows.push((minute, kwh, line));
            }
            return Ok(None);
        }
        let key = (household.to_owned(), appliance.map(str::to_owned));
        if let Some(&last) = self.last_dates.get(&key)
            && date <= last
        {
            let of = match appliance {
                Some(a) => format!("household {household} (appliance {a})"),
                None => format!("household {household}"),
            };
            return Err(lines.err(if last == date {
                format!(
                    "rows of {of} on {date} are not contiguous: that day was interrupted \
                     by other rows"
                )
            } else {
                format!("days of {of} are not in date order: {date} after {last}")
            }));
        }
        if let Some(e) = self.off_grid(minute, line) {
            return Err(e);
        }
        self.report.rows_read += 1;
        let (household, appliance) = key.clone();
        self.last_dates.insert(key, date);
        let new = Group {
            household,
            date,
            appliance,
            residents,
            rows: vec![(minute, kwh, line)],
        };
        Ok(self.current.replace(new))
    }

    /// A household-day has ended: emit it, or keep it until the slot length
    /// is known.
    fn end_group(&mut self, g: Group) -> Result<()> {
        if self.resolution.is_some() {
            self.emit(g);
            return Ok(());
        }
        let decide = g.rows.len() >= 2 || self.pending.len() >= MAX_PENDING;
        self.pending.push(g);
        if decide {
            self.decide_resolution()?;
        }
        Ok(())
    }

    /// Infers the slot length from the pending household-days and emits them.
    fn decide_resolution(&mut self) -> Result<()> {
        let step = self
            .pending
            .iter()
            .flat_map(|g| &g.rows)
            .fold(MINUTES_PER_DAY, |acc, &(m, _, _)| gcd(acc, m));
        // `step` divides 1440 and is positive, so this cannot fail.
        self.resolution = Some(Resolution::from_minutes(step).unwrap_or(Resolution::MINUTE));
        // The next group's first row was read before the grid was known.
        if let Some(next) = &self.current {
            for &(m, _, line) in &next.rows {
                if let Some(e) = self.off_grid(m, line) {
                    return Err(e);
                }
            }
        }
        for g in std::mem::take(&mut self.pending) {
            self.emit(g);
        }
        Ok(())
    }

    /// Turns a gathered household-day into a profile, or drops it.
    fn emit(&mut self, g: Group) {
        self.report.days_read += 1;
        let Some(resolution) = self.resolution else {
            return;
        };
        let lines = (
            g.rows.first().map_or(0, |r| r.2),
            g.rows.last().map_or(0, |r| r.2),
        );
        let mut slots = vec![None; resolution.slots_per_day()];
        for &(m, v, _) in &g.rows {
            if let Some(s) = slots.get_mut((m / resolution.minutes()) as usize) {
                *s = Some(v);
            }
        }
        let Some(values) = complete_day(&slots, resolution, self.options.missing, &mut self.report)
        else {
            return;
        };
        let p = DayProfile {
            household: g.household,
            date: Some(g.date),
            residents: g.residents,
            appliance: g.appliance,
            resolution,
            values,
        };
        self.ready.push_back((p, lines));
    }

    /// Reads one line, or handles the end of the input.
    fn step(&mut self) -> Result<()> {
        let more = if self.replay {
            self.replay = false;
            true
        } else {
            self.lines.advance_nonblank()?
        };
        if more {
            if let Some(g) = self.row()? {
                self.end_group(g)?;
            }
        } else {
            self.done = true;
            if let Some(g) = self.current.take() {
                self.end_group(g)?;
            }
            if self.resolution.is_none() && !self.pending.is_empty() {
                self.decide_resolution()?;
            }
        }
        Ok(())
    }
}

/// Household-days of one row each kept, at most, while waiting for one
/// with two rows to infer the slot length from.
const MAX_PENDING: usize = 1000;

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl<R: BufRead> Iterator for LongReader<R> {
    type Item = Result<DayProfile>;

    fn next(&mut self) -> Option<Result<DayProfile>> {
        loop {
            if let Some((p, lines)) = self.ready.pop_front() {
                self.last_lines = lines;
                return Some(Ok(p));
            }
            if self.done {
                return None;
            }
            if let Err(e) = self.step() {
                self.done = true;
                self.ready.clear();
                return Some(Err(e));
            }
        }
    }
}

fn header_columns(fields: &[std::borrow::Cow<'_, str>]) -> core::result::Result<Columns, String> {
    let mut found: [Option<usize>; 5] = [None; 5];
    const NAMES: [&str; 5] = ["household", "timestamp", "kwh", "appliance", "residents"];
    for (i, f) in fields.iter().enumerate() {
        let lower = f.to_ascii_lowercase();
        let k = NAMES.iter().position(|n| *n == lower).ok_or_else(|| {
            format!(
                "unknown header column `{f}`: a long file has household,timestamp,kwh \
                 and optionally appliance and residents"
            )
        })?;
        if found[k].replace(i).is_some() {
            return Err(format!("duplicate column `{f}`"));
        }
    }
    let need =
        |k: usize| found[k].ok_or_else(|| format!("the header has no `{}` column", NAMES[k]));
    Ok(Columns {
        household: need(0)?,
        timestamp: need(1)?,
        kwh: need(2)?,
        appliance: found[3],
        residents: found[4],
        count: fields.len(),
    })
}

/// Options of a [`LongWriter`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LongWriteOptions {
    /// Decimals written (trailing zeros dropped); `None` writes the
    /// shortest text that reads back exactly. Default 4.
    pub decimals: Option<u8>,
    /// Write an `appliance` column; `None`: if the first profile has one.
    pub appliance: Option<bool>,
    /// Write a `residents` column; `None`: if the first profile has one.
    pub residents: Option<bool>,
}

impl Default for LongWriteOptions {
    fn default() -> Self {
        LongWriteOptions {
            decimals: Some(4),
            appliance: None,
            residents: None,
        }
    }
}

/// Streaming writer of a long CSV file: one row per slot of each profile.
///
/// Profiles must have a date and all the same resolution. The header is
/// written with the first profile. Output is buffered; call
/// [`LongWriter::finish`] to flush it and see errors.
pub struct LongWriter<W: Write> {
    out: BufWriter<W>,
    path: PathBuf,
    options: LongWriteOptions,
    number: NumberFormat,
    columns: Option<(bool, bool)>,
    resolution: Option<Resolution>,
    labels: Vec<String>,
    buf: Vec<u8>,
    rows: u64,
}

impl<W: Write> LongWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W, options: LongWriteOptions) -> Result<Self> {
        Ok(LongWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            path: PathBuf::from("<output>"),
            number: NumberFormat::new(options.decimals)?,
            options,
            columns: None,
            resolution: None,
            labels: Vec::new(),
            buf: Vec::new(),
            rows: 0,
        })
    }

    /// Names the output in I/O errors.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// Rows (slots) written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn ensure_header(&mut self, first: Option<&DayProfile>) -> Result<(bool, bool)> {
        if let Some(c) = self.columns {
            return Ok(c);
        }
        let cols = (
            self.options
                .appliance
                .unwrap_or_else(|| first.is_some_and(|p| p.appliance.is_some())),
            self.options
                .residents
                .unwrap_or_else(|| first.is_some_and(|p| p.residents.is_some())),
        );
        let mut h = String::from("household,timestamp,kwh");
        if cols.0 {
            h.push_str(",appliance");
        }
        if cols.1 {
            h.push_str(",residents");
        }
        h.push('\n');
        self.out
            .write_all(h.as_bytes())
            .map_err(|e| TracesError::io(&self.path, e))?;
        self.columns = Some(cols);
        Ok(cols)
    }

    /// Writes one profile as one row per slot.
    pub fn write(&mut self, p: &DayProfile) -> Result<()> {
        let resolution = *self.resolution.get_or_insert(p.resolution);
        check_profile(p, resolution)?;
        let Some(date) = p.date else {
            return Err(TracesError::invalid(
                "profile",
                format!(
                    "household {} has no date: a long file needs one",
                    p.household
                ),
            ));
        };
        let (appliance, residents) = self.ensure_header(Some(p))?;
        if !appliance && p.appliance.is_some() || !residents && p.residents.is_some() {
            return Err(TracesError::invalid(
                "profile",
                format!(
                    "household {} has an appliance or residents count the file has no \
                     column for (set it in LongWriteOptions)",
                    p.household
                ),
            ));
        }
        if self.labels.is_empty() {
            self.labels = (0..resolution.slots_per_day())
                .map(|i| resolution.slot_label(i))
                .collect();
        }
        let mut prefix = Vec::new();
        push_csv_field(&mut prefix, &p.household, "household")?;
        prefix.push(b',');
        prefix.extend_from_slice(date.to_string().as_bytes());
        prefix.push(b'T');
        let mut suffix = Vec::new();
        if appliance {
            suffix.push(b',');
            if let Some(a) = &p.appliance {
                push_csv_field(&mut suffix, a, "appliance")?;
            }
        }
        if residents {
            suffix.push(b',');
            if let Some(r) = p.residents {
                push_u64(&mut suffix, u64::from(r));
            }
        }
        suffix.push(b'\n');
        let b = &mut self.buf;
        b.clear();
        for (v, label) in p.values.iter().zip(&self.labels) {
            b.extend_from_slice(&prefix);
            b.extend_from_slice(label.as_bytes());
            b.push(b',');
            self.number.push(b, *v);
            b.extend_from_slice(&suffix);
        }
        self.out
            .write_all(b)
            .map_err(|e| TracesError::io(&self.path, e))?;
        self.rows += p.values.len() as u64;
        Ok(())
    }

    /// Writes the header if nothing was written, flushes, and returns the
    /// output.
    pub fn finish(mut self) -> Result<W> {
        self.ensure_header(None)?;
        let path = self.path;
        self.out
            .into_inner()
            .map_err(|e| TracesError::io(&path, e.into_error()))
    }
}

/// Writes `profiles` as a long CSV file; returns the number of rows.
pub fn write_long<'a, W: Write>(
    out: W,
    options: LongWriteOptions,
    profiles: impl IntoIterator<Item = &'a DayProfile>,
) -> Result<u64> {
    let mut w = LongWriter::new(out, options)?;
    for p in profiles {
        w.write(p)?;
    }
    let rows = w.rows();
    w.finish()?;
    Ok(rows)
}
