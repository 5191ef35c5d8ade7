//! Wide CSV: one row per household-day (or per household-day and
//! appliance), one column per slot.
//!
//! ```text
//! household,date,residents,appliance,00:00,01:00,02:00,…,23:00
//! 17,2024-03-01,2,,0.21,0.18,0.17,…,0.42
//! 17,2024-03-01,2,fridge,0.02,0.03,0.02,…,0.03
//! ```
//!
//! # Header
//!
//! The first column is the household id, whatever its name. Then come, in
//! any order, the optional columns `date` (`YYYY-MM-DD`), `residents` (a
//! whole number 1–255) and `appliance` (names are case-insensitive), then the
//! slot columns, which run to the end of the row. The slot columns are either
//!
//! * all named by their start `HH:MM` (`H:MM` is accepted): they must be
//!   evenly spaced from `00:00` and cover the day, which fixes the slot
//!   length (`00:00,00:10,…,23:50` is 10 minutes); a repeated label is a
//!   *duplicate slot*; or
//! * all named by one prefix followed by consecutive whole numbers, starting
//!   at 0 or 1 (`h1,…,h24`, `v0,…,v47`, `1,…,96`): the slot length is
//!   1440 / N minutes for N columns, and N must divide 1440.
//!
//! Any other column name is an *unknown header column*.
//!
//! A file may also have **no header**: the first line is taken as data
//! unless its first field is `household`, `id`, `meter` or `meter_id`
//! (case-insensitive) or one of its other fields is not a number. A
//! headerless row is an id followed by N values (same rules for N).
//!
//! # Rows
//!
//! Every row has as many fields as the header (a *ragged row* is an error).
//! An empty `date`, `residents` or `appliance` field means "not known" (for
//! `appliance`: the household total). Every slot value must be a finite
//! number: **an empty field or `NaN` is an error** — wide files carry no
//! missing values; fill or drop days before writing them. Blank lines are
//! skipped. Fields may be quoted with `"` (no line breaks inside).

use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::io::text::{Lines, NumberFormat, parse_hhmm, parse_value, push_csv_field, split_csv};
use crate::record::DayProfile;
use crate::resolution::{MINUTES_PER_DAY, Resolution};

/// Names a headerless file's first field may not have.
const ID_NAMES: [&str; 4] = ["household", "id", "meter", "meter_id"];

/// Where each column of a wide file is.
#[derive(Clone, Debug)]
struct Layout {
    date: Option<usize>,
    residents: Option<usize>,
    appliance: Option<usize>,
    first_slot: usize,
    columns: usize,
    /// Slot column names, for error messages.
    slot_names: Vec<String>,
}

/// Streaming reader of a wide CSV file; yields one [`DayProfile`] per row.
///
/// The header is read by [`WideReader::new`]. After an error the iterator
/// ends.
pub struct WideReader<R> {
    lines: Lines<R>,
    layout: Layout,
    resolution: Resolution,
    /// The first line is data (headerless file) and has not been yielded.
    replay: bool,
    done: bool,
    rows: u64,
}

impl WideReader<BufReader<File>> {
    /// Opens a wide CSV file.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
        WideReader::new(BufReader::new(file), path)
    }
}

/// Opens a wide CSV file (see [`WideReader`]).
pub fn open_wide(path: impl AsRef<Path>) -> Result<WideReader<BufReader<File>>> {
    WideReader::open(path)
}

impl<R: BufRead> WideReader<R> {
    /// Reads the header of `input`; `path` only names the file in errors.
    pub fn new(input: R, path: impl Into<PathBuf>) -> Result<Self> {
        let mut lines = Lines::new(input, path.into());
        if !lines.advance_nonblank()? {
            return Err(lines.err("empty file: expected a header or a first row"));
        }
        let fields = split_csv(lines.text()).map_err(|e| lines.err(e))?;
        let is_header = fields
            .first()
            .is_some_and(|f| ID_NAMES.contains(&f.to_ascii_lowercase().as_str()))
            || fields.iter().skip(1).any(|f| parse_value(f).is_err());
        let (layout, resolution) = if is_header {
            header_layout(&fields).map_err(|e| lines.err(e))?
        } else {
            let n = fields.len().saturating_sub(1);
            let resolution = resolution_for(n).map_err(|e| lines.err(e))?;
            let layout = Layout {
                date: None,
                residents: None,
                appliance: None,
                first_slot: 1,
                columns: fields.len(),
                slot_names: (0..n).map(|i| resolution.slot_label(i)).collect(),
            };
            (layout, resolution)
        };
        Ok(WideReader {
            lines,
            layout,
            resolution,
            replay: !is_header,
            done: false,
            rows: 0,
        })
    }

    /// The slot length the header fixes.
    pub fn resolution(&self) -> Resolution {
        self.resolution
    }

    /// Whether the file has `date`, `residents`, `appliance` columns.
    pub fn columns(&self) -> (bool, bool, bool) {
        (
            self.layout.date.is_some(),
            self.layout.residents.is_some(),
            self.layout.appliance.is_some(),
        )
    }

    /// Rows yielded so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The 1-based number of the last line read.
    pub fn line(&self) -> u64 {
        self.lines.line()
    }

    /// The file name used in errors.
    pub fn path(&self) -> &Path {
        self.lines.path()
    }

    fn parse_row(&self) -> Result<DayProfile> {
        let lines = &self.lines;
        let fields = split_csv(lines.text()).map_err(|e| lines.err(e))?;
        let l = &self.layout;
        if fields.len() != l.columns {
            return Err(lines.err(format!(
                "ragged row: {} fields where the header has {}",
                fields.len(),
                l.columns
            )));
        }
        let household = fields.first().map(|f| f.to_string()).unwrap_or_default();
        if household.is_empty() {
            return Err(lines.err("empty household id"));
        }
        let field = |i: Option<usize>| i.and_then(|i| fields.get(i)).filter(|f| !f.is_empty());
        let date = match field(l.date) {
            Some(f) => Some(f.parse::<Date>().map_err(|e| lines.err(e.to_string()))?),
            None => None,
        };
        let residents = match field(l.residents) {
            Some(f) => Some(parse_residents(f).map_err(|e| lines.err(e))?),
            None => None,
        };
        let appliance = field(l.appliance).map(|f| f.to_string());
        let mut values = Vec::with_capacity(l.slot_names.len());
        for (f, name) in fields.iter().skip(l.first_slot).zip(&l.slot_names) {
            values.push(parse_value(f).map_err(|e| lines.err(format!("column `{name}`: {e}")))?);
        }
        Ok(DayProfile {
            household,
            date,
            residents,
            appliance,
            resolution: self.resolution,
            values,
        })
    }
}

impl<R: BufRead> Iterator for WideReader<R> {
    type Item = Result<DayProfile>;

    fn next(&mut self) -> Option<Result<DayProfile>> {
        if self.done {
            return None;
        }
        if self.replay {
            self.replay = false;
        } else {
            match self.lines.advance_nonblank() {
                Ok(true) => {}
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        let row = self.parse_row();
        match &row {
            Ok(_) => self.rows += 1,
            Err(_) => self.done = true,
        }
        Some(row)
    }
}

/// A residents count: a whole number 1–255.
pub(crate) fn parse_residents(f: &str) -> core::result::Result<u8, String> {
    match f.parse::<u8>() {
        Ok(0) | Err(_) => Err(format!(
            "residents `{f}` is not a whole number from 1 to 255"
        )),
        Ok(n) => Ok(n),
    }
}

fn resolution_for(n: usize) -> core::result::Result<Resolution, String> {
    let day = MINUTES_PER_DAY as usize;
    if n == 0 || !day.is_multiple_of(n) {
        return Err(format!(
            "{n} slot columns do not divide a day of 1440 minutes into whole-minute slots"
        ));
    }
    Resolution::from_minutes((day / n) as u32).map_err(|e| e.to_string())
}

fn header_layout(
    fields: &[std::borrow::Cow<'_, str>],
) -> core::result::Result<(Layout, Resolution), String> {
    if fields.first().is_none_or(|f| f.is_empty()) {
        return Err("the header's first column (the household id) has no name".into());
    }
    let mut layout = Layout {
        date: None,
        residents: None,
        appliance: None,
        first_slot: fields.len(),
        columns: fields.len(),
        slot_names: Vec::new(),
    };
    for (i, f) in fields.iter().enumerate().skip(1) {
        let slot = match f.to_ascii_lowercase().as_str() {
            "date" => &mut layout.date,
            "residents" => &mut layout.residents,
            "appliance" => &mut layout.appliance,
            _ => {
                layout.first_slot = i;
                break;
            }
        };
        if slot.replace(i).is_some() {
            return Err(format!("duplicate column `{f}`"));
        }
    }
    let names: Vec<String> = fields
        .iter()
        .skip(layout.first_slot)
        .map(|f| f.to_string())
        .collect();
    if names.is_empty() {
        return Err("the header has no slot columns".into());
    }
    let clocks: Vec<Option<u32>> = names.iter().map(|n| parse_hhmm(n)).collect();
    let resolution = if clocks.iter().all(Option::is_some) {
        let resolution = resolution_for(names.len())?;
        let mut seen = vec![false; MINUTES_PER_DAY as usize];
        for (i, (name, m)) in names.iter().zip(&clocks).enumerate() {
            let m = m.unwrap_or(0);
            if let Some(s) = seen.get_mut(m as usize) {
                if *s {
                    return Err(format!("duplicate slot column `{name}`"));
                }
                *s = true;
            }
            if m != i as u32 * resolution.minutes() {
                return Err(format!(
                    "slot column `{name}` should be `{}`: slot columns must run from 00:00 \
                     in even steps of {} min covering the day",
                    resolution.slot_label(i),
                    resolution.minutes()
                ));
            }
        }
        resolution
    } else if clocks.iter().any(Option::is_some) {
        let odd = clocks.iter().position(Option::is_none).unwrap_or(0);
        return Err(format!(
            "unknown header column `{}`: slot columns are either all HH:MM or all numbered",
            names.get(odd).map_or("", |s| s)
        ));
    } else {
        check_numbered(&names)?;
        resolution_for(names.len())?
    };
    layout.slot_names = names;
    Ok((layout, resolution))
}

/// Checks that `names` are one prefix followed by consecutive numbers
/// starting at 0 or 1.
fn check_numbered(names: &[String]) -> core::result::Result<(), String> {
    let split = |n: &str| -> Option<(String, u64)> {
        let digits = n.len() - n.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, num) = n.split_at(n.len() - digits);
        Some((prefix.to_owned(), num.parse().ok()?))
    };
    let unknown = |n: &str| {
        format!(
            "unknown header column `{n}`: after the id, `date`, `residents` and `appliance` \
             columns, slot columns are named HH:MM or by one prefix and consecutive numbers"
        )
    };
    let first = names.first().map_or("", |s| s);
    let (prefix, start) = split(first).ok_or_else(|| unknown(first))?;
    if start > 1 {
        return Err(unknown(first));
    }
    for (i, n) in names.iter().enumerate() {
        match split(n) {
            Some((p, k)) if p == prefix && k == start + i as u64 => {}
            Some((p, k)) if p == prefix && k < start + i as u64 => {
                return Err(format!("duplicate or out-of-order slot column `{n}`"));
            }
            _ => return Err(unknown(n)),
        }
    }
    Ok(())
}

/// Options of a [`WideWriter`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WideWriteOptions {
    /// Decimals written (trailing zeros dropped); `None` writes the
    /// shortest text that reads back exactly. Default 4 (0.1 Wh for kWh).
    pub decimals: Option<u8>,
    /// Write a `date` column; `None`: if the first profile has a date.
    pub date: Option<bool>,
    /// Write a `residents` column; `None`: if the first profile has one.
    pub residents: Option<bool>,
    /// Write an `appliance` column; `None`: if the first profile has one.
    pub appliance: Option<bool>,
}

impl Default for WideWriteOptions {
    fn default() -> Self {
        WideWriteOptions {
            decimals: Some(4),
            date: None,
            residents: None,
            appliance: None,
        }
    }
}

/// Streaming writer of a wide CSV file.
///
/// The header is written with the first profile (the optional columns are
/// then fixed; a later profile with a date, residents count or appliance the
/// header has no column for is refused). Output is buffered; call
/// [`WideWriter::finish`] to flush it and see errors.
pub struct WideWriter<W: Write> {
    out: BufWriter<W>,
    path: PathBuf,
    resolution: Resolution,
    options: WideWriteOptions,
    number: NumberFormat,
    columns: Option<(bool, bool, bool)>,
    buf: Vec<u8>,
    rows: u64,
}

impl<W: Write> WideWriter<W> {
    /// A writer of profiles of `resolution` to `out`.
    pub fn new(out: W, resolution: Resolution, options: WideWriteOptions) -> Result<Self> {
        Ok(WideWriter {
            out: BufWriter::with_capacity(1 << 16, out),
            path: PathBuf::from("<output>"),
            resolution,
            number: NumberFormat::new(options.decimals)?,
            options,
            columns: None,
            buf: Vec::new(),
            rows: 0,
        })
    }

    /// Names the output in I/O errors.
    pub fn with_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = path.into();
        self
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    fn write_header(&mut self, cols: (bool, bool, bool)) -> Result<()> {
        let mut h = String::from("household");
        for (on, name) in [
            (cols.0, ",date"),
            (cols.1, ",residents"),
            (cols.2, ",appliance"),
        ] {
            if on {
                h.push_str(name);
            }
        }
        for i in 0..self.resolution.slots_per_day() {
            h.push(',');
            h.push_str(&self.resolution.slot_label(i));
        }
        h.push('\n');
        self.out
            .write_all(h.as_bytes())
            .map_err(|e| TracesError::io(&self.path, e))
    }

    fn ensure_header(&mut self, first: Option<&DayProfile>) -> Result<(bool, bool, bool)> {
        if let Some(c) = self.columns {
            return Ok(c);
        }
        let o = &self.options;
        let cols = (
            o.date
                .unwrap_or_else(|| first.is_some_and(|p| p.date.is_some())),
            o.residents
                .unwrap_or_else(|| first.is_some_and(|p| p.residents.is_some())),
            o.appliance
                .unwrap_or_else(|| first.is_some_and(|p| p.appliance.is_some())),
        );
        self.write_header(cols)?;
        self.columns = Some(cols);
        Ok(cols)
    }

    /// Writes one profile as one row.
    pub fn write(&mut self, p: &DayProfile) -> Result<()> {
        check_profile(p, self.resolution)?;
        let (date, residents, appliance) = self.ensure_header(Some(p))?;
        let missing_column = |what: &str| {
            TracesError::invalid(
                "profile",
                format!(
                    "household {} has {what} but the file has no such column \
                     (set it in WideWriteOptions)",
                    p.household
                ),
            )
        };
        let b = &mut self.buf;
        b.clear();
        push_csv_field(b, &p.household, "household")?;
        if date {
            b.push(b',');
            if let Some(d) = p.date {
                b.extend_from_slice(d.to_string().as_bytes());
            }
        } else if p.date.is_some() {
            return Err(missing_column("a date"));
        }
        if residents {
            b.push(b',');
            if let Some(r) = p.residents {
                crate::io::text::push_u64(b, u64::from(r));
            }
        } else if p.residents.is_some() {
            return Err(missing_column("a residents count"));
        }
        if appliance {
            b.push(b',');
            if let Some(a) = &p.appliance {
                push_csv_field(b, a, "appliance")?;
            }
        } else if p.appliance.is_some() {
            return Err(missing_column("an appliance"));
        }
        for &v in &p.values {
            b.push(b',');
            self.number.push(b, v);
        }
        b.push(b'\n');
        self.out
            .write_all(b)
            .map_err(|e| TracesError::io(&self.path, e))?;
        self.rows += 1;
        Ok(())
    }

    /// Writes the header if no row was written, flushes, and returns the
    /// output.
    pub fn finish(mut self) -> Result<W> {
        self.ensure_header(None)?;
        let path = self.path;
        self.out
            .into_inner()
            .map_err(|e| TracesError::io(&path, e.into_error()))
    }
}

/// Checks that a profile can be written at `resolution`: right length,
/// finite values, a non-empty id.
pub(crate) fn check_profile(p: &DayProfile, resolution: Resolution) -> Result<()> {
    if p.household.is_empty() {
        return Err(TracesError::invalid("profile", "empty household id"));
    }
    if p.resolution != resolution {
        return Err(TracesError::invalid(
            "profile",
            format!(
                "household {} is at {} slots, the file at {}",
                p.household, p.resolution, resolution
            ),
        ));
    }
    p.check_length()?;
    if let Some(i) = p.values.iter().position(|v| !v.is_finite()) {
        return Err(TracesError::invalid(
            "profile",
            format!(
                "household {} slot {}: {} is not a finite number",
                p.household,
                resolution.slot_label(i),
                p.values[i]
            ),
        ));
    }
    Ok(())
}

/// Writes `profiles` (all of one resolution) as a wide CSV file; returns the
/// number of rows. With no profiles, writes the header of `resolution`.
pub fn write_wide<'a, W: Write>(
    out: W,
    resolution: Resolution,
    options: WideWriteOptions,
    profiles: impl IntoIterator<Item = &'a DayProfile>,
) -> Result<u64> {
    let mut w = WideWriter::new(out, resolution, options)?;
    for p in profiles {
        w.write(p)?;
    }
    let rows = w.rows();
    w.finish()?;
    Ok(rows)
}
