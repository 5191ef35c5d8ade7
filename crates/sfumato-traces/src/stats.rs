//! Population statistics over household-day profiles.
//!
//! [`PopulationStats`] is fed [`DayProfile`]s one at a time and keeps sums,
//! one number per household (its annual-equivalent consumption, for
//! percentiles) and the set of household ids seen (to refuse a household
//! that comes back), so its memory is O(households), never O(days).
//!
//! * **Totals and breakdowns.** Rows whose appliance is `None` or
//!   [`TOTAL`](crate::record::TOTAL) are household totals; every figure
//!   except the appliance shares is computed from them. Other rows are
//!   appliance breakdowns; they only feed the per-appliance shares, each
//!   appliance's energy divided by the energy of all total rows (so the
//!   shares are meaningful when every household-day with a total also has
//!   its breakdown; what the breakdowns do not cover is `unattributed`).
//! * **Households are contiguous.** The total rows of one household must
//!   follow each other (as every writer of this crate produces them), with
//!   dates, when known, increasing; a household that reappears after
//!   another, or a repeated day, is an error. Its residents count must not
//!   change.
//! * **One resolution.** All total rows have the same slot length, which
//!   must divide an hour (1, 5, 10, 15, 30 or 60 minutes…); hourly figures
//!   are sums of slots. Slot power is slot energy / slot length.
//!
//! Figures:
//!
//! * per household size (residents 1, 2, 3, 4, 5 or more, unknown, and
//!   all): households, household-days, and the **annual-equivalent kWh** of
//!   a household — its mean daily total × 365.25 — summarised over the
//!   households of that size (mean, min, 10th/50th/90th percentiles with
//!   linear interpolation, max);
//! * the **mean daily shape**: for each hour the mean over household-days
//!   of its energy, i.e. its mean power in kW, and that as a share of the
//!   mean daily total;
//! * **peak**: the hour where the mean shape is highest and its value, and
//!   the mean over household-days of the day's highest slot power;
//! * **base load**: the mean power of the mean shape over 02:00–05:00, and
//!   the mean over household-days of the day's lowest slot power.

use core::fmt;
use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::calendar::Date;
use crate::error::{Result, TracesError};
use crate::io::text::{MAX_LINE_BYTES, parse_timestamp, split_csv};
use crate::io::{LongReadOptions, LongReader, WideReader};
use crate::record::DayProfile;
use crate::resolution::Resolution;

/// Household-size classes: 1–4 residents, 5 or more, unknown.
const SIZE_LABELS: [&str; 6] = ["1", "2", "3", "4", "5+", "unknown"];

fn size_class(residents: Option<u8>) -> usize {
    match residents {
        Some(r @ 1..=4) => usize::from(r - 1),
        Some(_) => 4,
        None => 5,
    }
}

/// The household whose rows are being read.
struct Household {
    id: String,
    residents: Option<u8>,
    last_date: Option<Date>,
    days: u64,
    kwh: f64,
}

/// Streaming accumulator of population statistics (see the
/// [module](self) documentation).
#[derive(Default)]
pub struct PopulationStats {
    resolution: Option<Resolution>,
    current: Option<Household>,
    seen: HashSet<String>,
    /// Annual-equivalent kWh of each finished household, per size class.
    annual: [Vec<f64>; 6],
    days_by_size: [u64; 6],
    days: u64,
    total_kwh: f64,
    hourly_kwh: [f64; 24],
    sum_max_kw: f64,
    sum_min_kw: f64,
    appliances: BTreeMap<String, f64>,
}

impl PopulationStats {
    /// An empty accumulator.
    pub fn new() -> Self {
        PopulationStats::default()
    }

    /// Household-day totals added so far.
    pub fn household_days(&self) -> u64 {
        self.days
    }

    /// Adds one household-day (a total or an appliance breakdown).
    pub fn add(&mut self, p: &DayProfile) -> Result<()> {
        let bad = |reason: String| TracesError::invalid("profile", reason);
        p.check_length()?;
        // Finite and below 10¹² kWh a slot (more than any grid delivers), so
        // that sums over any number of households stay finite.
        if p.values
            .iter()
            .any(|v| !v.is_finite() || v.abs() > MAX_ABS_KWH)
        {
            return Err(bad(format!(
                "household {} has a value that is not a number between ±10¹² kWh",
                p.household
            )));
        }
        if let Some(a) = p.appliance.as_deref().filter(|_| !p.is_total()) {
            *self.appliances.entry(a.to_owned()).or_insert(0.0) += p.total_kwh();
            return Ok(());
        }
        let resolution = *self.resolution.get_or_insert(p.resolution);
        if p.resolution != resolution {
            return Err(bad(format!(
                "household {} is at {} slots, earlier rows at {}: statistics need one resolution",
                p.household, p.resolution, resolution
            )));
        }
        let m = resolution.minutes();
        if !60u32.is_multiple_of(m) {
            return Err(bad(format!(
                "{resolution} slots do not divide an hour: statistics need hourly sums"
            )));
        }
        match &mut self.current {
            Some(h) if h.id == p.household => {
                if h.residents != p.residents {
                    return Err(bad(format!(
                        "household {}: residents change from {:?} to {:?}",
                        p.household, h.residents, p.residents
                    )));
                }
                if let (Some(last), Some(d)) = (h.last_date, p.date)
                    && d <= last
                {
                    return Err(bad(format!(
                        "household {}: day {d} after {last} (days must be in order, once each)",
                        p.household
                    )));
                }
                if p.date.is_some() {
                    h.last_date = p.date;
                }
            }
            _ => {
                if self.seen.contains(&p.household) {
                    return Err(bad(format!(
                        "household {} appears again after other households: \
                         the rows of a household must be contiguous",
                        p.household
                    )));
                }
                self.flush();
                self.seen.insert(p.household.clone());
                self.current = Some(Household {
                    id: p.household.clone(),
                    residents: p.residents,
                    last_date: p.date,
                    days: 0,
                    kwh: 0.0,
                });
            }
        }
        let total = p.total_kwh();
        if let Some(h) = &mut self.current {
            h.days += 1;
            h.kwh += total;
        }
        self.days += 1;
        self.total_kwh += total;
        let per_hour = (60 / m) as usize;
        for (acc, chunk) in self.hourly_kwh.iter_mut().zip(p.values.chunks(per_hour)) {
            *acc += chunk.iter().sum::<f64>();
        }
        let hours = f64::from(m) / 60.0;
        let (lo, hi) = p
            .values
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            });
        self.sum_max_kw += hi / hours;
        self.sum_min_kw += lo / hours;
        Ok(())
    }

    fn flush(&mut self) {
        if let Some(h) = self.current.take()
            && h.days > 0
        {
            let k = size_class(h.residents);
            if let (Some(a), Some(d)) = (self.annual.get_mut(k), self.days_by_size.get_mut(k)) {
                a.push(h.kwh / h.days as f64 * 365.25);
                *d += h.days;
            }
        }
    }

    /// The report; an error if no household-day total was added.
    pub fn finish(mut self) -> Result<StatsReport> {
        self.flush();
        let Some(resolution) = self.resolution.filter(|_| self.days > 0) else {
            return Err(TracesError::invalid(
                "profiles",
                "no household-day totals to summarise",
            ));
        };
        let days = self.days as f64;
        let mut by_size = Vec::new();
        let mut all = Vec::new();
        for ((label, annual), &d) in SIZE_LABELS.iter().zip(&self.annual).zip(&self.days_by_size) {
            if annual.is_empty() {
                continue;
            }
            all.extend_from_slice(annual);
            by_size.push(SizeStats {
                residents: (*label).to_owned(),
                households: annual.len() as u64,
                household_days: d,
                annual_kwh: Summary::of(annual.clone()),
            });
        }
        let households = all.len() as u64;
        by_size.push(SizeStats {
            residents: "all".to_owned(),
            households,
            household_days: self.days,
            annual_kwh: Summary::of(all),
        });
        let hourly_mean_kw: Vec<f64> = self.hourly_kwh.iter().map(|s| s / days).collect();
        let daily: f64 = hourly_mean_kw.iter().sum();
        let hourly_share = hourly_mean_kw
            .iter()
            .map(|v| if daily != 0.0 { v / daily } else { 0.0 })
            .collect();
        let (peak_hour, peak_kw) =
            hourly_mean_kw
                .iter()
                .enumerate()
                .fold((0, f64::NEG_INFINITY), |(bh, bv), (h, &v)| {
                    if v > bv { (h, v) } else { (bh, bv) }
                });
        let night = hourly_mean_kw
            .get(2..5)
            .map_or(0.0, |n| n.iter().sum::<f64>() / 3.0);
        let mut appliances: Vec<ApplianceShare> = self
            .appliances
            .into_iter()
            .map(|(appliance, kwh)| ApplianceShare {
                share: if self.total_kwh != 0.0 {
                    kwh / self.total_kwh
                } else {
                    0.0
                },
                appliance,
                kwh,
            })
            .collect();
        appliances.sort_by(|a, b| b.kwh.total_cmp(&a.kwh).then(a.appliance.cmp(&b.appliance)));
        let unattributed_share =
            (!appliances.is_empty()).then(|| 1.0 - appliances.iter().map(|a| a.share).sum::<f64>());
        Ok(StatsReport {
            resolution_minutes: resolution.minutes(),
            households,
            household_days: self.days,
            mean_daily_kwh: self.total_kwh / days,
            by_size,
            hourly_mean_kw,
            hourly_share,
            peak: PeakStats {
                hour: peak_hour as u8,
                mean_kw: peak_kw,
                mean_daily_max_kw: self.sum_max_kw / days,
            },
            base_load: BaseLoadStats {
                night_mean_kw: night,
                mean_daily_min_kw: self.sum_min_kw / days,
            },
            appliances,
            unattributed_share,
            days_dropped_incomplete: 0,
        })
    }
}

/// Summary of a set of per-household figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Mean.
    pub mean: f64,
    /// Minimum.
    pub min: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// Maximum.
    pub max: f64,
}

impl Summary {
    fn of(mut v: Vec<f64>) -> Summary {
        v.sort_by(f64::total_cmp);
        let q = |p: f64| -> f64 {
            let Some(last) = v.len().checked_sub(1) else {
                return 0.0;
            };
            let pos = p * last as f64;
            let lo = pos.floor() as usize;
            let hi = pos.ceil() as usize;
            let (a, b) = (
                v.get(lo).copied().unwrap_or(0.0),
                v.get(hi).copied().unwrap_or(0.0),
            );
            a + (b - a) * (pos - lo as f64)
        };
        Summary {
            mean: if v.is_empty() {
                0.0
            } else {
                v.iter().sum::<f64>() / v.len() as f64
            },
            min: q(0.0),
            p10: q(0.1),
            p50: q(0.5),
            p90: q(0.9),
            max: q(1.0),
        }
    }
}

/// Figures for one household size.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SizeStats {
    /// `1`–`4`, `5+`, `unknown` or `all`.
    pub residents: String,
    /// Households of this size.
    pub households: u64,
    /// Their household-days.
    pub household_days: u64,
    /// Annual-equivalent consumption across these households, kWh/year.
    pub annual_kwh: Summary,
}

/// Peak figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PeakStats {
    /// Hour (0–23) where the mean daily shape is highest.
    pub hour: u8,
    /// Its mean power, kW.
    pub mean_kw: f64,
    /// Mean over household-days of the day's highest slot power, kW.
    pub mean_daily_max_kw: f64,
}

/// Base-load figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaseLoadStats {
    /// Mean power of the mean daily shape over 02:00–05:00, kW.
    pub night_mean_kw: f64,
    /// Mean over household-days of the day's lowest slot power, kW.
    pub mean_daily_min_kw: f64,
}

/// One appliance's share of the population's energy.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ApplianceShare {
    /// Appliance name as in the input.
    pub appliance: String,
    /// Its energy over all rows, kWh.
    pub kwh: f64,
    /// Its energy / the energy of all total rows.
    pub share: f64,
}

/// Population statistics (see the [module](self) documentation); `Display`
/// renders text tables, `Serialize` gives JSON.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatsReport {
    /// Slot length of the input, minutes.
    pub resolution_minutes: u32,
    /// Households.
    pub households: u64,
    /// Household-days (total rows).
    pub household_days: u64,
    /// Mean daily energy over household-days, kWh.
    pub mean_daily_kwh: f64,
    /// Per household size (sizes present, then `all`).
    pub by_size: Vec<SizeStats>,
    /// Mean power in each hour 00–23, kW (= mean kWh in the hour).
    pub hourly_mean_kw: Vec<f64>,
    /// Each hour's share of the mean daily total.
    pub hourly_share: Vec<f64>,
    /// Peak.
    pub peak: PeakStats,
    /// Base load.
    pub base_load: BaseLoadStats,
    /// Appliances by decreasing energy (empty without breakdown rows).
    pub appliances: Vec<ApplianceShare>,
    /// 1 − the sum of appliance shares, when there are breakdown rows.
    pub unattributed_share: Option<f64>,
    /// Household-days a long-CSV input lost to the missing-values policy.
    pub days_dropped_incomplete: u64,
}

/// Renders rows as a table: first column left-aligned, others right-aligned.
fn table(f: &mut fmt::Formatter<'_>, rows: &[Vec<String>]) -> fmt::Result {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for r in rows {
        let mut line = String::new();
        for (c, (cell, w)) in r.iter().zip(&widths).enumerate() {
            if c == 0 {
                line.push_str(&format!("  {cell:<w$}"));
            } else {
                line.push_str(&format!("  {cell:>w$}"));
            }
        }
        writeln!(f, "{}", line.trim_end())?;
    }
    Ok(())
}

impl fmt::Display for StatsReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let all = self.by_size.last().map_or(0.0, |s| s.annual_kwh.mean);
        writeln!(
            f,
            "{} households, {} household-days, {}-minute slots",
            self.households, self.household_days, self.resolution_minutes
        )?;
        if self.days_dropped_incomplete > 0 {
            writeln!(
                f,
                "({} household-days dropped as incomplete)",
                self.days_dropped_incomplete
            )?;
        }
        writeln!(
            f,
            "mean daily energy {:.2} kWh; mean annual-equivalent {:.0} kWh/year",
            self.mean_daily_kwh, all
        )?;
        writeln!(
            f,
            "\nannual-equivalent consumption by household size (kWh/year)"
        )?;
        let mut rows = vec![
            [
                "residents",
                "households",
                "days",
                "mean",
                "min",
                "p10",
                "p50",
                "p90",
                "max",
            ]
            .map(String::from)
            .to_vec(),
        ];
        for s in &self.by_size {
            let a = &s.annual_kwh;
            let mut row = vec![
                s.residents.clone(),
                s.households.to_string(),
                s.household_days.to_string(),
            ];
            row.extend([a.mean, a.min, a.p10, a.p50, a.p90, a.max].map(|v| format!("{v:.0}")));
            rows.push(row);
        }
        table(f, &rows)?;
        writeln!(f, "\nmean daily shape")?;
        let mut rows = vec![["hour", "kW", "share"].map(String::from).to_vec()];
        for (h, (kw, share)) in self
            .hourly_mean_kw
            .iter()
            .zip(&self.hourly_share)
            .enumerate()
        {
            rows.push(vec![
                format!("{h:02}:00"),
                format!("{kw:.3}"),
                format!("{:.1}%", share * 100.0),
            ]);
        }
        table(f, &rows)?;
        writeln!(
            f,
            "\npeak: {:02}:00 at {:.3} kW mean; mean of daily maxima {:.3} kW",
            self.peak.hour, self.peak.mean_kw, self.peak.mean_daily_max_kw
        )?;
        writeln!(
            f,
            "base load: {:.3} kW mean over 02:00-05:00; mean of daily minima {:.3} kW",
            self.base_load.night_mean_kw, self.base_load.mean_daily_min_kw
        )?;
        if !self.appliances.is_empty() {
            writeln!(f, "\nenergy by appliance (share of total energy)")?;
            let mut rows = vec![["appliance", "kWh", "share"].map(String::from).to_vec()];
            for a in &self.appliances {
                rows.push(vec![
                    a.appliance.clone(),
                    format!("{:.1}", a.kwh),
                    format!("{:.1}%", a.share * 100.0),
                ]);
            }
            if let Some(u) = self.unattributed_share {
                rows.push(vec![
                    "(unattributed)".to_owned(),
                    String::new(),
                    format!("{:.1}%", u * 100.0),
                ]);
            }
            table(f, &rows)?;
        }
        Ok(())
    }
}

/// Largest magnitude of one slot's value that statistics accept, kWh.
const MAX_ABS_KWH: f64 = 1e12;

/// Statistics of a wide or long CSV file, told apart by the header (a
/// `timestamp` column, or a timestamp as second field of a headerless
/// file, means long).
pub fn stats_of_file(path: impl AsRef<Path>) -> Result<StatsReport> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|e| TracesError::io(path, e))?;
    stats_of_reader(BufReader::new(file), path)
}

/// [`stats_of_file`] on any input; `path` names it in errors.
pub fn stats_of_reader<R: BufRead>(mut input: R, path: impl Into<PathBuf>) -> Result<StatsReport> {
    let path = path.into();
    // Read up to the first non-blank line, then put it back in front.
    let mut head = Vec::new();
    let first = loop {
        let start = head.len();
        let n = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut head)
            .map_err(|e| TracesError::io(&path, e))?;
        if head.len() - start > MAX_LINE_BYTES {
            return Err(TracesError::malformed(&path, 1, "line longer than 1 MiB"));
        }
        let line = String::from_utf8_lossy(head.get(start..).unwrap_or(&[])).into_owned();
        if n == 0 || !line.trim_start_matches('\u{feff}').trim().is_empty() {
            break line;
        }
    };
    let is_long = {
        // Split as the readers do (quotes, a byte-order mark); a line that
        // does not split is left for the wide reader to report.
        let first = first.trim_start_matches('\u{feff}').trim();
        let fields = split_csv(first).unwrap_or_default();
        fields
            .iter()
            .any(|f| f.trim().eq_ignore_ascii_case("timestamp"))
            || fields
                .get(1)
                .is_some_and(|f| parse_timestamp(f.trim()).is_ok())
    };
    let input = Cursor::new(head).chain(input);
    let mut stats = PopulationStats::new();
    if is_long {
        let mut reader = LongReader::new(input, &path, LongReadOptions::default())?;
        while let Some(p) = reader.next() {
            let p = p?;
            stats.add(&p).map_err(|e| {
                let (from, to) = reader.last_day_lines();
                at_line(
                    e,
                    &path,
                    from,
                    format!(" (household-day on lines {from}-{to})"),
                )
            })?;
        }
        let dropped = reader.report().days_dropped_incomplete;
        let mut report = stats.finish()?;
        report.days_dropped_incomplete = dropped;
        Ok(report)
    } else {
        let mut reader = WideReader::new(input, &path)?;
        while let Some(p) = reader.next() {
            let p = p?;
            stats
                .add(&p)
                .map_err(|e| at_line(e, &path, reader.line(), String::new()))?;
        }
        stats.finish()
    }
}

/// Turns a parameter error about a row into a malformed-file error at `line`.
fn at_line(e: TracesError, path: &Path, line: u64, note: String) -> TracesError {
    match e {
        TracesError::InvalidParameter { reason, .. } => {
            TracesError::malformed(path, line, format!("{reason}{note}"))
        }
        e => e,
    }
}
