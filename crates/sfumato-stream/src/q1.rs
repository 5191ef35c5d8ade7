//! DEBS 2014 Query 1: load forecasts per house and per plug.
//!
//! For slices of 1, 5, 15, 60 and 120 minutes, every 30 seconds of event
//! time, the forecast for the slice after next is
//!
//! `L(s_{i+2}) = (avgLoad(s_i) + median{avgLoad(s_j) : s_j = s_{i+2−n·k}, n ≥ 1}) / 2`
//!
//! where `s_i` is the current slice, `avgLoad(s_i)` its average load so
//! far and `k` the number of slices in a day: the same slot on earlier
//! days. With no earlier day yet the forecast is `avgLoad(s_i)`. A house's
//! load is the sum of its plugs' loads, so its `avgLoad` is the sum of its
//! plugs' averages over the plugs that reported in the slice.
//!
//! Time is the events' own: a house's forecasts for the instant `E` (a
//! multiple of 30 s) are made from its events before `E`, when its first
//! event at or after `E` arrives, so a house's outputs depend only on its
//! own events — the same however houses are spread over workers. The
//! forecast made at a slice's end is scored against the slice it
//! forecasts, beside two baselines, in [`Accuracy`].

use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use crate::event::PlugKey;

/// The slice lengths of Query 1, minutes.
pub const SLICE_MINUTES: [u32; 5] = [1, 5, 15, 60, 120];
/// Forecasts are refreshed every this many seconds of event time.
pub const EMIT_EVERY: u32 = 30;
const DAY: u64 = 86_400;

/// Whose load a forecast is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Target {
    /// A whole house.
    House(u32),
    /// One plug.
    Plug(PlugKey),
}

impl Target {
    /// The house.
    pub fn house(&self) -> u32 {
        match self {
            Target::House(h) => *h,
            Target::Plug(p) => p.house,
        }
    }
}

/// One output of Query 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// When it was made (event time, a multiple of 30 s).
    pub at: u32,
    /// Slice length, minutes.
    pub slice_minutes: u32,
    /// The challenge's `ts`: start of the slice forecast.
    pub ts: u32,
    /// House or plug.
    pub target: Target,
    /// The forecast load, W.
    pub predicted_load: f64,
}

/// A key's completed slice averages, NaN where it reported nothing.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct History {
    first: u64,
    values: Vec<f32>,
}

impl History {
    fn set(&mut self, slice: u64, value: Option<f64>) {
        if self.values.is_empty() {
            self.first = slice;
        }
        let Some(at) = slice.checked_sub(self.first) else {
            return;
        };
        let at = at as usize;
        if at >= self.values.len() {
            self.values.resize(at + 1, f32::NAN);
        }
        self.values[at] = value.map_or(f32::NAN, |v| v as f32);
    }

    fn get(&self, slice: u64) -> Option<f64> {
        let at = slice.checked_sub(self.first)? as usize;
        self.values
            .get(at)
            .filter(|v| !v.is_nan())
            .map(|&v| f64::from(v))
    }

    /// Median of the same slot on earlier days than `target`.
    fn median_same_slot(&self, target: u64, per_day: u64, scratch: &mut Vec<f32>) -> Option<f64> {
        scratch.clear();
        let mut j = target.checked_sub(per_day);
        while let Some(s) = j {
            if s < self.first {
                break;
            }
            if let Some(v) = self.get(s) {
                scratch.push(v as f32);
            }
            j = s.checked_sub(per_day);
        }
        if scratch.is_empty() {
            return None;
        }
        scratch.sort_unstable_by(f32::total_cmp);
        let n = scratch.len();
        Some((f64::from(scratch[(n - 1) / 2]) + f64::from(scratch[n / 2])) / 2.0)
    }

    fn bytes(&self) -> usize {
        self.values.capacity() * 4
    }
}

/// Errors of a forecast and of its two baselines, summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ErrorSums {
    /// Forecasts scored.
    pub n: u64,
    /// Σ |actual|.
    pub actual: f64,
    /// Σ |Query 1's forecast − actual|.
    pub forecast: f64,
    /// Σ |seasonal naive (same slot yesterday) − actual|.
    pub seasonal_naive: f64,
    /// Σ |persistence (the current slice's average) − actual|.
    pub persistence: f64,
}

impl ErrorSums {
    /// Adds another set of sums.
    pub fn merge(&mut self, other: &ErrorSums) {
        self.n += other.n;
        self.actual += other.actual;
        self.forecast += other.forecast;
        self.seasonal_naive += other.seasonal_naive;
        self.persistence += other.persistence;
    }
}

/// Query 1's accuracy against the loads that came, per level (house or
/// plug) and slice length: sums whose MAE and WAPE the report computes.
/// Only forecasts for which a seasonal-naive baseline exists (a day of
/// history) are scored, so the three methods are compared on one set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Accuracy {
    /// Houses, by slice length (index into [`SLICE_MINUTES`]).
    pub house: [ErrorSums; 5],
    /// Plugs, by slice length.
    pub plug: [ErrorSums; 5],
}

impl Accuracy {
    /// Adds another house's sums.
    pub fn merge(&mut self, other: &Accuracy) {
        for i in 0..5 {
            self.house[i].merge(&other.house[i]);
            self.plug[i].merge(&other.plug[i]);
        }
    }
}

/// A forecast awaiting the load it forecast.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Pending {
    slice: u64,
    forecast: f64,
    persistence: f64,
    seasonal: f64,
}

/// One key's state for one slice length.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Series {
    history: History,
    current: u64,
    sum: f64,
    count: u32,
    pending: VecDeque<Pending>,
}

impl Series {
    fn add(&mut self, slice: u64, load: f64) {
        if self.count > 0 && slice != self.current {
            let avg = self.sum / f64::from(self.count);
            self.history.set(self.current, Some(avg));
            self.count = 0;
            self.sum = 0.0;
        }
        self.current = slice;
        self.sum += load;
        self.count += 1;
    }

    /// The average so far of `slice`, if the key reported in it.
    fn average(&self, slice: u64) -> Option<f64> {
        (self.count > 0 && self.current == slice).then(|| self.sum / f64::from(self.count))
    }

    /// Closes `slice` (its average moves to the history).
    fn close(&mut self, slice: u64) {
        if self.count > 0 && self.current == slice {
            let avg = self.sum / f64::from(self.count);
            self.history.set(slice, Some(avg));
            self.count = 0;
            self.sum = 0.0;
        }
    }
}

/// Forecast `i + 2` from `avg` of slice `i` and the history; scores the
/// pending forecast of `i` when `i` is complete.
#[allow(clippy::too_many_arguments)]
fn forecast(
    history: &History,
    pending: &mut VecDeque<Pending>,
    avg: Option<f64>,
    slice: u64,
    per_day: u64,
    complete: bool,
    scratch: &mut Vec<f32>,
    sums: &mut ErrorSums,
) -> Option<f64> {
    if complete {
        while pending.front().is_some_and(|p| p.slice < slice) {
            pending.pop_front();
        }
        if pending.front().is_some_and(|p| p.slice == slice)
            && let (Some(p), Some(actual)) = (pending.pop_front(), avg)
        {
            sums.n += 1;
            sums.actual += actual.abs();
            sums.forecast += (p.forecast - actual).abs();
            sums.seasonal_naive += (p.seasonal - actual).abs();
            sums.persistence += (p.persistence - actual).abs();
        }
    }
    let avg = avg?;
    let target = slice + 2;
    let predicted = match history.median_same_slot(target, per_day, scratch) {
        Some(m) => (avg + m) / 2.0,
        None => avg,
    };
    if complete
        && target >= per_day
        && let Some(seasonal) = history.get(target - per_day)
    {
        pending.push_back(Pending {
            slice: target,
            forecast: predicted,
            persistence: avg,
            seasonal,
        });
    }
    Some(predicted)
}

/// Query 1's state for one house: its plugs' series and its own.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HouseForecaster {
    house: u32,
    /// Event time up to which forecasts were made (exclusive).
    clock: Option<u32>,
    plugs: BTreeMap<PlugKey, [Series; 5]>,
    own: [History; 5],
    own_pending: [VecDeque<Pending>; 5],
    accuracy: Accuracy,
    #[serde(skip)]
    scratch: Vec<f32>,
}

impl HouseForecaster {
    /// A house with no events yet.
    pub fn new(house: u32) -> Self {
        HouseForecaster {
            house,
            ..Default::default()
        }
    }

    /// The accuracy sums so far.
    pub fn accuracy(&self) -> &Accuracy {
        &self.accuracy
    }

    /// Bytes of state held (for the enclave's memory budget).
    pub fn bytes(&self) -> usize {
        let plugs: usize = self
            .plugs
            .values()
            .map(|s| s.iter().map(|x| x.history.bytes() + 64).sum::<usize>())
            .sum();
        plugs + self.own.iter().map(History::bytes).sum::<usize>() + 256
    }

    /// Makes the forecasts due up to `now` (every multiple of 30 s in
    /// `(previous event time, now]`), before `now`'s events are applied.
    pub fn advance(&mut self, now: u32, out: &mut Vec<Forecast>) {
        let Some(clock) = self.clock else {
            self.clock = Some(now);
            return;
        };
        // In u64: near the end of u32 time the next instant may not exist.
        let mut at = (u64::from(clock) / u64::from(EMIT_EVERY) + 1) * u64::from(EMIT_EVERY);
        while at <= u64::from(now) {
            self.emit(at as u32, out);
            at += u64::from(EMIT_EVERY);
        }
        self.clock = Some(now.max(clock));
    }

    /// Applies one load reading at the current time.
    pub fn add(&mut self, plug: PlugKey, timestamp: u32, load: f64) {
        let series = self.plugs.entry(plug).or_default();
        for (s, minutes) in series.iter_mut().zip(SLICE_MINUTES) {
            s.add(u64::from(timestamp) / u64::from(minutes * 60), load);
        }
    }

    fn emit(&mut self, at: u32, out: &mut Vec<Forecast>) {
        for (l, minutes) in SLICE_MINUTES.iter().copied().enumerate() {
            let len = u64::from(minutes) * 60;
            let per_day = DAY / len;
            let slice = (u64::from(at) - 1) / len;
            let complete = u64::from(at) % len == 0;
            let ts = u32::try_from((slice + 2) * len).unwrap_or(u32::MAX);
            let mut house_avg: Option<f64> = None;
            for (key, series) in &mut self.plugs {
                let s = &mut series[l];
                let avg = s.average(slice);
                if let Some(a) = avg {
                    *house_avg.get_or_insert(0.0) += a;
                }
                if let Some(p) = forecast(
                    &s.history,
                    &mut s.pending,
                    avg,
                    slice,
                    per_day,
                    complete,
                    &mut self.scratch,
                    &mut self.accuracy.plug[l],
                ) {
                    out.push(Forecast {
                        at,
                        slice_minutes: minutes,
                        ts,
                        target: Target::Plug(*key),
                        predicted_load: p,
                    });
                }
                if complete {
                    s.close(slice);
                }
            }
            if let Some(p) = forecast(
                &self.own[l],
                &mut self.own_pending[l],
                house_avg,
                slice,
                per_day,
                complete,
                &mut self.scratch,
                &mut self.accuracy.house[l],
            ) {
                out.push(Forecast {
                    at,
                    slice_minutes: minutes,
                    ts,
                    target: Target::House(self.house),
                    predicted_load: p,
                });
            }
            if complete && house_avg.is_some() {
                self.own[l].set(slice, house_avg);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plug(p: u32) -> PlugKey {
        PlugKey {
            house: 7,
            household: 0,
            plug: p,
        }
    }

    /// Feeds `(t, plug, load)` in time order; returns every forecast.
    fn run(events: &[(u32, u32, f64)]) -> (Vec<Forecast>, HouseForecaster) {
        let mut h = HouseForecaster::new(7);
        let mut out = Vec::new();
        for &(t, p, load) in events {
            h.advance(t, &mut out);
            h.add(plug(p), t, load);
        }
        (out, h)
    }

    fn find(out: &[Forecast], at: u32, minutes: u32, target: Target) -> Option<f64> {
        out.iter()
            .find(|f| f.at == at && f.slice_minutes == minutes && f.target == target)
            .map(|f| f.predicted_load)
    }

    #[test]
    fn first_day_forecast_is_the_current_average() {
        // Plug 0: 100 W for 20 s then 200 W; plug 1: 50 W.
        let mut ev = Vec::new();
        for t in 0..31 {
            ev.push((t, 0, if t < 20 { 100.0 } else { 200.0 }));
            ev.push((t, 1, 50.0));
        }
        let (out, _) = run(&ev);
        // At 30 s: slice [0, 60) so far has t = 0..29.
        let p0 = (20.0 * 100.0 + 10.0 * 200.0) / 30.0;
        assert_eq!(find(&out, 30, 1, Target::Plug(plug(0))), Some(p0));
        assert_eq!(find(&out, 30, 1, Target::Plug(plug(1))), Some(50.0));
        assert_eq!(find(&out, 30, 1, Target::House(7)), Some(p0 + 50.0));
        // The forecast is for the slice after next: [120, 180).
        let f = out
            .iter()
            .find(|f| f.at == 30 && f.slice_minutes == 1)
            .unwrap();
        assert_eq!(f.ts, 120);
        // Nothing is forecast at 0 (the first event sets the clock).
        assert!(out.iter().all(|f| f.at == 30));
    }

    #[test]
    fn later_days_take_the_median_of_the_same_slot() {
        // One reading per minute; on day d, slot 2 (120..180 s) has load
        // 10·(d+1) W; everything else 1 W. On day 3 at 30 s, the 1-minute
        // forecast for slot 2 is (1 + median{10, 20, 30}) / 2.
        let mut ev = Vec::new();
        for d in 0..3u32 {
            for m in 0..1440u32 {
                let t = d * 86_400 + m * 60;
                ev.push((t, 0, if m == 2 { 10.0 * f64::from(d + 1) } else { 1.0 }));
            }
        }
        ev.push((3 * 86_400, 0, 1.0));
        ev.push((3 * 86_400 + 30, 0, 1.0));
        let (out, h) = run(&ev);
        assert_eq!(
            find(&out, 3 * 86_400 + 30, 1, Target::Plug(plug(0))),
            Some((1.0 + 20.0) / 2.0)
        );
        // Scored: forecasts made on days 1 and 2 (a seasonal value exists).
        let acc = &h.accuracy().plug[0];
        assert!(acc.n > 2000, "{acc:?}");
        // Persistence is perfect except around slot 2; the forecast is off
        // there too; seasonal naive is exact on flat slots.
        assert!(acc.forecast > 0.0 && acc.persistence > 0.0);
    }

    #[test]
    fn the_end_of_u32_time_does_not_overflow() {
        let end = u32::MAX;
        let (out, _) = run(&[(end - 100, 0, 1.0), (end - 1, 0, 2.0), (end, 0, 3.0)]);
        assert!(!out.is_empty());
        assert!(out.iter().all(|f| f.at <= end));
    }

    #[test]
    fn a_silent_plug_is_not_forecast_but_the_house_is() {
        let mut ev = vec![(0, 0, 5.0), (0, 1, 7.0)];
        for t in 1..=60 {
            ev.push((t, 0, 5.0));
        }
        let (out, _) = run(&ev);
        assert_eq!(find(&out, 30, 1, Target::Plug(plug(1))), Some(7.0));
        assert_eq!(find(&out, 60, 1, Target::Plug(plug(1))), Some(7.0));
        assert_eq!(find(&out, 60, 1, Target::House(7)), Some(12.0));
        let (out2, _) = run(&[(0, 1, 7.0), (61, 0, 5.0), (91, 0, 5.0)]);
        // At 90 the minute slice [60, 120) has only plug 0.
        assert_eq!(find(&out2, 90, 1, Target::House(7)), Some(5.0));
        assert_eq!(find(&out2, 90, 1, Target::Plug(plug(1))), None);
    }
}
