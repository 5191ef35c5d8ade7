//! DEBS 2014 Query 2: outliers.
//!
//! For each house, the share of its plugs whose median load over the last
//! hour (and the last 24 hours) exceeds the median load of all plugs of
//! all houses over the same window. Windows slide by the second: at every
//! second `T` at which any event arrived, the window is `(T − W, T]`. An
//! output is made for a house and window whenever its percentage changes:
//! `ts_start = T − W` (0 while `T < W`), `ts_stop = T`, the house and the percentage (of the
//! house's plugs that reported in the window).
//!
//! The per-plug medians are local to the worker that holds the house; the
//! global median needs every reading, so it has its own operator
//! ([`GlobalMedians`]) that sends each second's two medians to all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::event::PlugKey;
use crate::median::{RadixCounts, WindowMedian};
use crate::window_log::{PAGE_BYTES, PagedLog, Pager};

/// The two windows, seconds: one hour and 24 hours.
pub const WINDOWS: [u32; 2] = [3_600, 86_400];

/// One output of Query 2.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outlier {
    /// Window length, seconds.
    pub window: u32,
    /// Start of the window (exclusive).
    pub ts_start: u32,
    /// End of the window (inclusive): the second evaluated.
    pub ts_stop: u32,
    /// House.
    pub house: u32,
    /// Percentage of the house's plugs above the global median.
    pub percentage: f64,
}

/// The global medians at one second.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalAt {
    /// The second.
    pub ts: u32,
    /// Median load of all plugs over the hour and the day, W.
    pub medians: [Option<f64>; 2],
}

/// Readings at or before this leave a window ending at `ts` (none while
/// `ts < window`).
fn expiry(ts: u32, window: u32) -> Option<u32> {
    ts.checked_sub(window)
}

/// A multiset a window's readings leave.
trait Leave {
    /// Removes one reading.
    fn leave(&mut self, milliwatts: u32);
}

impl Leave for WindowMedian {
    fn leave(&mut self, milliwatts: u32) {
        self.remove(milliwatts);
    }
}

impl Leave for RadixCounts {
    fn leave(&mut self, milliwatts: u32) {
        self.remove(milliwatts);
    }
}

/// Slides `log`'s two windows to end at `ts`: readings leaving the hour
/// leave `windows[0]`, readings leaving the day `windows[1]`.
fn slide<W: Leave>(
    log: &mut PagedLog,
    ts: u32,
    pager: &mut Pager,
    windows: &mut [W; 2],
) -> Result<()> {
    let [hour, day] = windows;
    if let Some(l) = expiry(ts, WINDOWS[0]) {
        log.expire_short(l, pager, |v| hour.leave(v))?;
    }
    if let Some(l) = expiry(ts, WINDOWS[1]) {
        log.expire_long(l, pager, |v| day.leave(v))?;
    }
    Ok(())
}

/// An owner number for a plug's log (associated data of sealed pages).
fn owner(key: PlugKey) -> u64 {
    (u64::from(key.house) << 42) ^ (u64::from(key.household) << 21) ^ u64::from(key.plug)
}

/// The median of all plugs' loads over both windows.
#[derive(Clone, Debug)]
pub struct GlobalMedians {
    log: PagedLog,
    counts: [RadixCounts; 2],
}

impl Default for GlobalMedians {
    fn default() -> Self {
        Self::new()
    }
}

impl GlobalMedians {
    /// No readings yet.
    pub fn new() -> Self {
        GlobalMedians {
            log: PagedLog::new(u64::MAX),
            counts: [RadixCounts::new(), RadixCounts::new()],
        }
    }

    /// Adds a reading (in time order).
    pub fn add(&mut self, ts: u32, milliwatts: u32) {
        self.log.push(ts, milliwatts);
        self.counts[0].insert(milliwatts);
        self.counts[1].insert(milliwatts);
    }

    /// The medians at `ts`, after its readings were added.
    pub fn at(&mut self, ts: u32, pager: &mut Pager) -> Result<GlobalAt> {
        slide(&mut self.log, ts, pager, &mut self.counts)?;
        Ok(GlobalAt {
            ts,
            medians: [self.counts[0].median(), self.counts[1].median()],
        })
    }

    /// Resident bytes.
    pub fn bytes(&self) -> usize {
        self.log.resident_pages() * PAGE_BYTES + self.counts[0].bytes() + self.counts[1].bytes()
    }

    /// Seals cold pages out; returns how many.
    pub fn evict(&mut self, pager: &mut Pager, enough: usize) -> Result<usize> {
        self.log.evict_cold(pager, enough)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct PlugWindow {
    log: PagedLog,
    medians: [WindowMedian; 2],
}

/// Query 2's state for one house.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HouseOutliers {
    house: u32,
    plugs: BTreeMap<PlugKey, PlugWindow>,
    last: [Option<f64>; 2],
}

impl HouseOutliers {
    /// A house with no readings.
    pub fn new(house: u32) -> Self {
        HouseOutliers {
            house,
            plugs: BTreeMap::new(),
            last: [None; 2],
        }
    }

    /// Adds a reading (in time order).
    pub fn add(&mut self, plug: PlugKey, ts: u32, milliwatts: u32) {
        let w = self.plugs.entry(plug).or_insert_with(|| PlugWindow {
            log: PagedLog::new(owner(plug)),
            medians: [WindowMedian::new(), WindowMedian::new()],
        });
        w.log.push(ts, milliwatts);
        w.medians[0].insert(milliwatts);
        w.medians[1].insert(milliwatts);
    }

    /// Evaluates second `global.ts`: slides every plug's windows, compares
    /// their medians with the global ones and reports changed percentages.
    pub fn evaluate(
        &mut self,
        global: &GlobalAt,
        pager: &mut Pager,
        out: &mut Vec<Outlier>,
    ) -> Result<()> {
        let ts = global.ts;
        let mut above = [0u32; 2];
        let mut reporting = [0u32; 2];
        for w in self.plugs.values_mut() {
            slide(&mut w.log, ts, pager, &mut w.medians)?;
            for i in 0..2 {
                if let (Some(m), Some(g)) = (w.medians[i].median(), global.medians[i]) {
                    reporting[i] += 1;
                    if m > g {
                        above[i] += 1;
                    }
                }
            }
        }
        for i in 0..2 {
            if reporting[i] == 0 {
                continue;
            }
            let percentage = 100.0 * f64::from(above[i]) / f64::from(reporting[i]);
            if self.last[i] != Some(percentage) {
                self.last[i] = Some(percentage);
                out.push(Outlier {
                    window: WINDOWS[i],
                    ts_start: ts.saturating_sub(WINDOWS[i]),
                    ts_stop: ts,
                    house: self.house,
                    percentage,
                });
            }
        }
        Ok(())
    }

    /// Resident bytes (pages, and about 40 bytes per distinct value in the
    /// median maps).
    pub fn bytes(&self) -> usize {
        self.plugs
            .values()
            .map(|w| {
                w.log.resident_pages() * PAGE_BYTES
                    + 40 * (w.medians[0].distinct() + w.medians[1].distinct())
                    + 128
            })
            .sum()
    }

    /// Seals up to `enough` cold pages out; returns how many.
    pub fn evict(&mut self, pager: &mut Pager, enough: usize) -> Result<usize> {
        let mut sealed = 0;
        for w in self.plugs.values_mut() {
            if sealed >= enough {
                break;
            }
            sealed += w.log.evict_cold(pager, enough - sealed)?;
        }
        Ok(sealed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(house: u32, plug: u32) -> PlugKey {
        PlugKey {
            house,
            household: 0,
            plug,
        }
    }

    #[test]
    fn share_of_plugs_above_the_global_median() {
        let mut global = GlobalMedians::new();
        let mut houses = [HouseOutliers::new(0), HouseOutliers::new(1)];
        let mut pager = Pager::unbounded();
        let mut out = Vec::new();
        // House 0: plugs at 10, 20, 30 W; house 1: one plug at 1 W.
        for t in 0..3u32 {
            for (h, p, w) in [
                (0, 0, 10_000),
                (0, 1, 20_000),
                (0, 2, 30_000),
                (1, 0, 1_000),
            ] {
                houses[h as usize].add(key(h, p), t, w);
                global.add(t, w);
            }
            let g = global.at(t, &mut pager).unwrap();
            // Global median of {1, 10, 20, 30} (repeated) = 15 W.
            assert_eq!(g.medians, [Some(15.0), Some(15.0)]);
            for h in &mut houses {
                h.evaluate(&g, &mut pager, &mut out).unwrap();
            }
        }
        // Reported once per house and window (no change afterwards).
        assert_eq!(out.len(), 4);
        let p0: Vec<f64> = out
            .iter()
            .filter(|o| o.house == 0)
            .map(|o| o.percentage)
            .collect();
        assert_eq!(p0, vec![200.0 / 3.0, 200.0 / 3.0]);
        assert!(
            out.iter()
                .filter(|o| o.house == 1)
                .all(|o| o.percentage == 0.0)
        );
        assert_eq!(out[0].ts_start, 0);
        assert_eq!(out[0].ts_stop, 0);
    }

    #[test]
    fn readings_leave_the_hour_window() {
        let mut global = GlobalMedians::new();
        let mut houses = [HouseOutliers::new(0), HouseOutliers::new(1)];
        let mut pager = Pager::unbounded();
        let mut out = Vec::new();
        // House 0: one plug at 100 W for the first hour, then 1 W.
        // House 1: plugs at 5 W and 6 W.
        for t in 0..7_300u32 {
            let w0 = if t < 3_600 { 100_000 } else { 1_000 };
            for (h, p, w) in [(0, 0, w0), (1, 1, 5_000), (1, 2, 6_000)] {
                houses[h as usize].add(key(h, p), t, w);
                global.add(t, w);
            }
            let g = global.at(t, &mut pager).unwrap();
            for h in &mut houses {
                h.evaluate(&g, &mut pager, &mut out).unwrap();
            }
        }
        let hour = |house: u32| -> Vec<(u32, f64)> {
            out.iter()
                .filter(|o| o.window == 3_600 && o.house == house)
                .map(|o| (o.ts_stop, o.percentage))
                .collect()
        };
        // The global hour median is 6 W, then 5 W once plug 0's hour is
        // mostly 1 W: plug 0 goes from above to below, plug 2 from level
        // to above.
        let h0 = hour(0);
        assert_eq!(h0.first(), Some(&(0, 100.0)));
        assert_eq!(h0.len(), 2, "{h0:?}");
        assert!(
            (5_000..6_000).contains(&h0[1].0) && h0[1].1 == 0.0,
            "{h0:?}"
        );
        let h1 = hour(1);
        assert_eq!(h1.first(), Some(&(0, 0.0)));
        assert_eq!(h1.last().map(|x| x.1), Some(50.0));
        // In the day window plug 0 falls below only once its lows
        // outnumber its highs, after 7,200 s.
        let day: Vec<(u32, f64)> = out
            .iter()
            .filter(|o| o.window == 86_400 && o.house == 0)
            .map(|o| (o.ts_stop, o.percentage))
            .collect();
        assert_eq!(day.len(), 2, "{day:?}");
        assert!(day[1].0 >= 7_199 && day[1].1 == 0.0, "{day:?}");
    }
}
