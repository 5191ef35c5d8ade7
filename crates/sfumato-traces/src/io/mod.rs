//! Readers and writers of load-trace files.
//!
//! Every reader streams: it takes any [`BufRead`] plus a path used only to
//! name the file in errors (each format also has an `open_*` function that
//! opens a path), keeps at most one household-day in memory — except the
//! CER reader, whose unsorted format forces it to gather the whole file, and
//! the long reader, which holds up to about a thousand one-row days while it
//! infers the slot length — and yields [`DayProfile`]s. Lines longer than
//! 1 MiB are refused. Every writer takes any [`Write`] and buffers
//! it. Malformed input (a ragged row, a non-number, a bad date or time, an
//! unknown header column, a duplicate slot, rows out of order) is a
//! [`TracesError::Malformed`] naming the file and its 1-based line; no input
//! makes a reader panic. A day refused after it was read (its values sum
//! to more than a finite number, an id holds a control character) is
//! reported at the line just read, or for CER by household and day. Blank lines are skipped; a UTF-8 byte-order mark
//! and `\r\n` line ends are accepted.
//!
//! # Formats
//!
//! **Wide CSV** ([`wide`], read and written): one row per household-day
//! (and appliance), one column per slot named by its start.
//!
//! ```text
//! household,date,residents,appliance,00:00,01:00,…,23:00
//! 17,2024-03-01,2,,0.21,0.18,…,0.42
//! ```
//!
//! **Long CSV** ([`long`], read and written): one row per slot.
//!
//! ```text
//! household,timestamp,kwh,appliance
//! 17,2024-03-01T00:00,0.21,
//! ```
//!
//! **UCI household** ([`uci`], read): the UCI "Individual household electric
//! power consumption" file, one row per minute, power in kW, `?` missing.
//!
//! ```text
//! Date;Time;Global_active_power;Global_reactive_power;Voltage;Global_intensity;Sub_metering_1;Sub_metering_2;Sub_metering_3
//! 16/12/2006;17:24:00;4.216;0.418;234.840;18.400;0.000;1.000;17.000
//! ```
//!
//! **CER** ([`cer`], read): the Irish CER trial, `meter_id DDDHH kwh` per
//! half-hour, unsorted.
//!
//! ```text
//! 1392 19503 0.14
//! ```
//!
//! **Daily profiles** ([`daily`]): any profile whose slot length divides an
//! hour, summed to 24 hourly values and clipped to a declared range
//! (Chiaroscuro §6). [`import_to`] reads a UCI, CER or long file and writes
//! daily profiles as wide hourly CSV: that is `sfumato traces import`.
//!
//! # Missing values
//!
//! Wide files and the values of long files have no missing values: an empty
//! field or `NaN` is an error. Missing data are missing *samples*: a `?` or
//! an absent minute in a UCI file, an absent half-hour in a CER file, an
//! absent row in a long file. The UCI, CER and long readers apply one
//! policy ([`MissingPolicy`]) per hour of each household-day:
//!
//! * an hour is **complete** if at least a fraction (default 0.75) of its
//!   samples are present: 45 of 60 minutes; both half-hours of a CER hour
//!   (one of two is only 0.5); 3 of 4 quarter-hours, 5 of 6 ten-minute
//!   slots. For slots longer than an hour, or not dividing an hour, each
//!   slot is its own group and must be present;
//! * a complete hour with missing samples is **scaled up**: each missing
//!   sample is given the mean of the hour's present samples, so the hour's
//!   energy is their mean × its duration ([`ImportReport::hours_scaled`]);
//! * a day with any incomplete hour is **dropped** and counted
//!   ([`ImportReport::days_dropped_incomplete`]). A CER or long-CSV day
//!   with no row at all is not seen, so not counted; a UCI day whose rows
//!   are all `?` is seen, and dropped.

use core::fmt;
use core::str::FromStr;
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;

use serde::Serialize;

use crate::error::{Result, TracesError};
use crate::record::DayProfile;
use crate::resolution::Resolution;

pub mod cer;
pub mod daily;
pub mod long;
pub(crate) mod text;
pub mod uci;
pub mod wide;

pub use cer::{CerDays, CerOptions, open_cer, read_cer};
pub use daily::{Clip, DailyProfiles, to_hourly};
pub use long::{LongReadOptions, LongReader, LongWriteOptions, LongWriter, open_long, write_long};
pub use uci::{UciOptions, UciReader, open_uci};
pub use wide::{WideReader, WideWriteOptions, WideWriter, open_wide, write_wide};

/// When an hour with missing samples still counts (see [Missing
/// values](self#missing-values)): at least `min_fraction` of its samples
/// must be present. Default 0.75.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MissingPolicy {
    min_fraction: f64,
}

impl Default for MissingPolicy {
    fn default() -> Self {
        MissingPolicy { min_fraction: 0.75 }
    }
}

impl MissingPolicy {
    /// At least `min_fraction` (in (0, 1]) of an hour's samples present;
    /// 1 keeps only hours with every sample.
    pub fn new(min_fraction: f64) -> Result<Self> {
        if !(min_fraction > 0.0 && min_fraction <= 1.0) {
            return Err(TracesError::invalid(
                "min-present",
                format!("{min_fraction} is not in (0, 1]"),
            ));
        }
        Ok(MissingPolicy { min_fraction })
    }

    /// The smallest fraction of present samples of a complete hour.
    pub fn min_fraction(self) -> f64 {
        self.min_fraction
    }

    /// Whether an hour with `present` of `expected` samples is complete.
    pub fn accepts(self, present: usize, expected: usize) -> bool {
        present > 0 && present as f64 >= self.min_fraction * expected as f64 - 1e-9
    }
}

impl FromStr for MissingPolicy {
    type Err = TracesError;

    /// Reads a fraction (`0.75`) or a percentage (`75%`).
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        let (num, scale) = match t.strip_suffix('%') {
            Some(n) => (n, 100.0),
            None => (t, 1.0),
        };
        let v: f64 = num.trim().parse().map_err(|_| {
            TracesError::invalid(
                "min-present",
                format!("`{s}` is not a fraction or percentage"),
            )
        })?;
        MissingPolicy::new(v / scale)
    }
}

/// Applies the missing-values policy to one day of samples (`None` =
/// missing): the filled values, or `None` if the day is dropped.
pub(crate) fn complete_day(
    slots: &[Option<f64>],
    resolution: Resolution,
    policy: MissingPolicy,
    report: &mut ImportReport,
) -> Option<Vec<f64>> {
    report.samples_missing += slots.iter().filter(|s| s.is_none()).count() as u64;
    let m = resolution.minutes();
    let group = if 60u32.is_multiple_of(m) {
        (60 / m) as usize
    } else {
        1
    };
    let mut out = Vec::with_capacity(slots.len());
    let mut scaled = 0;
    for chunk in slots.chunks(group) {
        let (sum, n) = chunk
            .iter()
            .flatten()
            .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        if n == chunk.len() {
            out.extend(chunk.iter().flatten());
        } else if policy.accepts(n, chunk.len()) {
            let mean = sum / n as f64;
            out.extend(chunk.iter().map(|v| v.unwrap_or(mean)));
            scaled += 1;
        } else {
            report.days_dropped_incomplete += 1;
            return None;
        }
    }
    report.hours_scaled += scaled;
    Some(out)
}

/// A streaming writer of day profiles, whatever its layout
/// ([`WideWriter`], [`LongWriter`]), for callers that choose the layout at
/// run time.
pub trait ProfileWriter {
    /// Writes one profile.
    fn write_profile(&mut self, p: &DayProfile) -> Result<()>;

    /// Flushes the output (errors surface here) and returns the rows
    /// written.
    fn close(self: Box<Self>) -> Result<u64>;
}

impl<W: Write> ProfileWriter for WideWriter<W> {
    fn write_profile(&mut self, p: &DayProfile) -> Result<()> {
        self.write(p)
    }

    fn close(self: Box<Self>) -> Result<u64> {
        let rows = self.rows();
        self.finish()?;
        Ok(rows)
    }
}

impl<W: Write> ProfileWriter for LongWriter<W> {
    fn write_profile(&mut self, p: &DayProfile) -> Result<()> {
        self.write(p)
    }

    fn close(self: Box<Self>) -> Result<u64> {
        let rows = self.rows();
        self.finish()?;
        Ok(rows)
    }
}

/// What an import read, dropped and wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows read (lines, for CER).
    pub rows_read: u64,
    /// Household-days seen (with at least one sample).
    pub days_read: u64,
    /// Household-days written out.
    pub days_written: u64,
    /// Household-days dropped because an hour was incomplete.
    pub days_dropped_incomplete: u64,
    /// Hours of kept days scaled up from partial samples.
    pub hours_scaled: u64,
    /// Samples missing in the days seen (kept or dropped).
    pub samples_missing: u64,
    /// Hourly values clipped to the declared range.
    pub values_clipped: u64,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} rows, {} household-days read; {} written, {} dropped as incomplete; \
             {} hours scaled up from partial data; {} samples missing; {} values clipped",
            self.rows_read,
            self.days_read,
            self.days_written,
            self.days_dropped_incomplete,
            self.hours_scaled,
            self.samples_missing,
            self.values_clipped
        )
    }
}

/// An input format of [`import_to`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// The UCI household file ([`uci`]), `uci-household`.
    UciHousehold,
    /// A CER trial file ([`cer`]), `cer`.
    Cer,
    /// A long CSV file ([`long`]), `long-csv`.
    LongCsv,
}

impl Format {
    /// Every format, in the order of [`Format::NAMES`].
    pub const ALL: [Format; 3] = [Format::UciHousehold, Format::Cer, Format::LongCsv];
    /// The formats' names on the command line.
    pub const NAMES: [&'static str; 3] = ["uci-household", "cer", "long-csv"];

    /// The name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::UciHousehold => "uci-household",
            Format::Cer => "cer",
            Format::LongCsv => "long-csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = TracesError;

    /// Reads `uci-household`, `cer` or `long-csv`.
    fn from_str(s: &str) -> Result<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                TracesError::invalid(
                    "format",
                    format!("`{s}` is not one of {}", Format::NAMES.join(", ")),
                )
            })
    }
}

/// Options of [`import_to`].
#[derive(Clone, Debug, PartialEq)]
pub struct ImportOptions {
    /// UCI: the household's id (default: the input file's stem).
    pub household: Option<String>,
    /// UCI: the number of residents, if known.
    pub residents: Option<u8>,
    /// Long CSV: the slot length (default: inferred).
    pub resolution: Option<Resolution>,
    /// When an hour with missing samples counts.
    pub missing: MissingPolicy,
    /// The declared range of hourly values; `None` does not clip.
    pub clip: Option<Clip>,
    /// Decimals written; `None` for shortest exact text. Default 4.
    pub decimals: Option<u8>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            household: None,
            residents: None,
            resolution: None,
            missing: MissingPolicy::default(),
            clip: None,
            decimals: Some(4),
        }
    }
}

enum Source<R> {
    Uci(UciReader<R>),
    Cer(CerDays),
    Long(LongReader<R>),
}

impl<R: BufRead> Source<R> {
    fn new(format: Format, input: R, path: &Path, o: &ImportOptions) -> Result<Self> {
        Ok(match format {
            Format::UciHousehold => Source::Uci(UciReader::new(
                input,
                path,
                UciOptions {
                    household: o.household.clone(),
                    residents: o.residents,
                    missing: o.missing,
                },
            )?),
            Format::Cer => Source::Cer(read_cer(input, path, CerOptions { missing: o.missing })?),
            Format::LongCsv => Source::Long(LongReader::new(
                input,
                path,
                LongReadOptions {
                    resolution: o.resolution,
                    missing: o.missing,
                },
            )?),
        })
    }

    fn next_profile(&mut self) -> Option<Result<DayProfile>> {
        match self {
            Source::Uci(r) => r.next(),
            Source::Cer(r) => r.next().map(Ok),
            Source::Long(r) => r.next(),
        }
    }

    fn report(&self) -> ImportReport {
        match self {
            Source::Uci(r) => r.report().clone(),
            Source::Cer(r) => r.report().clone(),
            Source::Long(r) => r.report().clone(),
        }
    }

    /// Turns a refusal of profile `p` into an error that names where `p`
    /// came from: the line just read, or (CER) the household and day.
    fn locate(&self, e: TracesError, p: &DayProfile, path: &Path) -> TracesError {
        let reason = match e {
            TracesError::InvalidParameter { reason, .. } => reason,
            other => return other,
        };
        match self {
            Source::Uci(r) => TracesError::malformed(path, r.line(), reason),
            Source::Long(r) => TracesError::malformed(path, r.line(), reason),
            Source::Cer(_) => TracesError::MalformedDay {
                path: path.to_path_buf(),
                household: p.household.clone(),
                date: p
                    .date
                    .map_or_else(|| "unknown date".to_string(), |d| d.to_string()),
                reason,
            },
        }
    }

    /// Whether the output needs `residents` and `appliance` columns.
    fn columns(&self) -> (bool, bool) {
        match self {
            Source::Uci(r) => (r.has_residents(), false),
            Source::Cer(_) => (false, false),
            Source::Long(r) => r.has_columns(),
        }
    }
}

/// Reads `input` in `format`, applies the daily-profiles transform and
/// hands each hourly profile to `sink`.
fn run<R: BufRead>(
    format: Format,
    input: R,
    input_path: &Path,
    options: &ImportOptions,
    mut sink: impl FnMut(DayProfile, (bool, bool)) -> Result<()>,
) -> Result<ImportReport> {
    let mut source = Source::new(format, input, input_path, options)?;
    let columns = source.columns();
    let mut daily = DailyProfiles::new(options.clip);
    while let Some(p) = source.next_profile() {
        let p = p?;
        // A profile the transform or the writer refuses (a sum that
        // overflows, a control character in an id) is bad input: say where.
        let h = daily
            .apply(&p)
            .map_err(|e| source.locate(e, &p, input_path))?;
        let (household, date) = (h.household.clone(), h.date);
        sink(h, columns).map_err(|e| {
            source.locate(
                e,
                &DayProfile {
                    household,
                    date,
                    ..p
                },
                input_path,
            )
        })?;
    }
    let mut report = source.report();
    report.days_written = daily.days();
    report.values_clipped = daily.values_clipped();
    Ok(report)
}

/// Imports `input` (read as `format`; `input_path` names it in errors and
/// gives UCI's default household id) into daily profiles written to
/// `output` as a wide hourly CSV file (`household,date[,residents]
/// [,appliance],00:00,…,23:00`). Returns what was read, dropped, clipped
/// and written.
pub fn import_to<R: BufRead, W: Write>(
    format: Format,
    input: R,
    input_path: &Path,
    output: W,
    options: &ImportOptions,
) -> Result<ImportReport> {
    import_impl(
        format,
        input,
        input_path,
        output,
        Path::new("<output>"),
        options,
    )
}

fn import_impl<R: BufRead, W: Write>(
    format: Format,
    input: R,
    input_path: &Path,
    output: W,
    output_path: &Path,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let new_writer = |o: W, residents: bool, appliance: bool| -> Result<WideWriter<W>> {
        let wo = WideWriteOptions {
            decimals: options.decimals,
            date: Some(true),
            residents: Some(residents),
            appliance: Some(appliance),
        };
        Ok(WideWriter::new(o, Resolution::HOUR, wo)?.with_path(output_path))
    };
    let mut out = Some(output);
    let mut writer: Option<WideWriter<W>> = None;
    let report = run(
        format,
        input,
        input_path,
        options,
        |p, (residents, appliance)| {
            if writer.is_none()
                && let Some(o) = out.take()
            {
                writer = Some(new_writer(o, residents, appliance)?);
            }
            match &mut writer {
                Some(w) => w.write(&p),
                None => Ok(()),
            }
        },
    )?;
    match (writer, out) {
        (Some(w), _) => {
            w.finish()?;
        }
        // No day was kept: write the header alone.
        (None, Some(o)) => {
            new_writer(o, false, false)?.finish()?;
        }
        (None, None) => {}
    }
    Ok(report)
}

/// [`import_to`] from the file `input` to the file `output`. The output
/// appears only when the import succeeds ([`crate::atomic::AtomicFile`]):
/// a failed import leaves an existing `output` untouched. An `output` that
/// is the input file itself, and an input without a single household-day,
/// are refused.
pub fn import_file(
    format: Format,
    input: &Path,
    output: &Path,
    options: &ImportOptions,
) -> Result<ImportReport> {
    let file = File::open(input).map_err(|e| TracesError::io(input, e))?;
    if same_file(input, output) {
        return Err(TracesError::invalid(
            "out",
            format!(
                "{} is the input file: write the profiles somewhere else",
                output.display()
            ),
        ));
    }
    let mut out = crate::atomic::AtomicFile::create(output)?;
    let report = import_impl(
        format,
        BufReader::new(file),
        input,
        &mut out,
        output,
        options,
    )?;
    if report.days_read == 0 {
        return Err(TracesError::invalid(
            "input",
            format!(
                "{}: no data rows (is it a {} file?)",
                input.display(),
                format.name()
            ),
        ));
    }
    out.commit()?;
    Ok(report)
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Imports the file `input` into hourly daily profiles held in memory.
pub fn import(
    format: Format,
    input: &Path,
    options: &ImportOptions,
) -> Result<(Vec<DayProfile>, ImportReport)> {
    let file = File::open(input).map_err(|e| TracesError::io(input, e))?;
    let mut days = Vec::new();
    let report = run(format, BufReader::new(file), input, options, |p, _| {
        days.push(p);
        Ok(())
    })?;
    Ok((days, report))
}
