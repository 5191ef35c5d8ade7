//! Query 1 and Query 2 over a set of houses: the state one worker holds
//! (or, in the reference, all of it), and the outputs it produces.
//!
//! Both the timely dataflow ([`crate::dataflow`]) and the single-threaded
//! [`crate::reference`] drive this same state, one second of event time at
//! a time: a second's load readings in id order, then — if any reading at
//! all arrived in that second — Query 2's evaluation with the global
//! medians of that second. Everything the queries compute is a function of
//! the ordered events, so the two runs can only differ in partitioning,
//! ordering and transport, which the equality tests check.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::event::{Event, Property};
use crate::median::to_milliwatts;
use crate::mix::splitmix64;
use crate::q1::{Accuracy, Forecast, HouseForecaster, Target};
use crate::q2::{GlobalAt, HouseOutliers, Outlier};
use crate::window_log::{PAGE_BYTES, Pager};

/// Outputs of both queries.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Outputs {
    /// Query 1.
    pub forecasts: Vec<Forecast>,
    /// Query 2.
    pub outliers: Vec<Outlier>,
}

impl Outputs {
    /// Appends `other`'s outputs.
    pub fn append(&mut self, other: &mut Outputs) {
        self.forecasts.append(&mut other.forecasts);
        self.outliers.append(&mut other.outliers);
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.forecasts.is_empty() && self.outliers.is_empty()
    }

    /// Sorts into the canonical order: forecasts by (time made, slice
    /// length, target), outliers by (second, window, house).
    pub fn sort(&mut self) {
        self.forecasts
            .sort_by_key(|f| (f.at, f.slice_minutes, f.target));
        self.outliers
            .sort_by_key(|o| (o.ts_stop, o.window, o.house));
    }

    /// Whether every output is about one of `houses`.
    pub fn retain(&mut self, keep: impl Fn(u32) -> bool) {
        self.forecasts.retain(|f| keep(f.target.house()));
        self.outliers.retain(|o| keep(o.house));
    }
}

fn hash(words: &[u64]) -> u64 {
    words.iter().fold(0x5F_u64, |h, &w| splitmix64(h ^ w))
}

/// An order-independent fingerprint of a set of outputs: counts and the
/// wrapping sum of a 64-bit hash of each output's every field (floats by
/// their bits). Two runs with equal outputs, in any order and from any
/// number of workers, have equal digests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Digest {
    /// Query 1 outputs.
    pub forecasts: u64,
    /// Query 2 outputs.
    pub outliers: u64,
    /// Σ hash(output) mod 2⁶⁴.
    pub sum: u64,
}

impl Digest {
    /// Adds every output of `outputs`.
    pub fn add(&mut self, outputs: &Outputs) {
        for f in &outputs.forecasts {
            let (kind, a, b, c) = match f.target {
                Target::House(h) => (0, h, 0, 0),
                Target::Plug(p) => (1, p.house, p.household, p.plug),
            };
            self.sum = self.sum.wrapping_add(hash(&[
                1,
                u64::from(f.at),
                u64::from(f.slice_minutes),
                u64::from(f.ts),
                kind,
                u64::from(a),
                u64::from(b),
                u64::from(c),
                f.predicted_load.to_bits(),
            ]));
        }
        for o in &outputs.outliers {
            self.sum = self.sum.wrapping_add(hash(&[
                2,
                u64::from(o.window),
                u64::from(o.ts_start),
                u64::from(o.ts_stop),
                u64::from(o.house),
                o.percentage.to_bits(),
            ]));
        }
        self.forecasts += outputs.forecasts.len() as u64;
        self.outliers += outputs.outliers.len() as u64;
    }

    /// Combines two digests of disjoint outputs.
    pub fn merge(&mut self, other: &Digest) {
        self.forecasts += other.forecasts;
        self.outliers += other.outliers;
        self.sum = self.sum.wrapping_add(other.sum);
    }

    /// The digest as 16 hex digits with the counts, for reports.
    pub fn to_hex(&self) -> String {
        format!("{:016x}", self.sum)
    }
}

/// One house's state of both queries, as moved in a migration.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HouseState {
    /// The house.
    pub house: u32,
    /// Query 1.
    pub q1: HouseForecaster,
    /// Query 2.
    pub q2: HouseOutliers,
}

/// Query 1 and 2 state of a set of houses.
#[derive(Clone, Debug, Default)]
pub struct Houses {
    houses: BTreeMap<u32, HouseState>,
}

impl Houses {
    /// No houses yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies one reading (a load; work readings are ignored by both
    /// queries) at its second, after the forecasts due before it.
    pub fn load(&mut self, e: &Event, out: &mut Outputs) {
        if e.property != Property::Load {
            return;
        }
        let s = self.houses.entry(e.house).or_insert_with(|| HouseState {
            house: e.house,
            q1: HouseForecaster::new(e.house),
            q2: HouseOutliers::new(e.house),
        });
        s.q1.advance(e.timestamp, &mut out.forecasts);
        s.q1.add(e.plug_key(), e.timestamp, f64::from(e.value));
        s.q2.add(e.plug_key(), e.timestamp, to_milliwatts(e.value));
    }

    /// Query 2 at `global.ts` for every house held.
    pub fn evaluate(
        &mut self,
        global: &GlobalAt,
        pager: &mut Pager,
        out: &mut Outputs,
    ) -> Result<()> {
        for s in self.houses.values_mut() {
            s.q2.evaluate(global, pager, &mut out.outliers)?;
        }
        Ok(())
    }

    /// Resident bytes of state.
    pub fn bytes(&self) -> usize {
        self.houses
            .values()
            .map(|s| s.q1.bytes() + s.q2.bytes())
            .sum()
    }

    /// Seals cold pages out while resident state exceeds `pager.budget`
    /// (less `other` bytes held elsewhere on this worker); returns pages
    /// sealed.
    pub fn keep_within_budget(&mut self, pager: &mut Pager, other: usize) -> Result<usize> {
        if !pager.evicts() {
            return Ok(0);
        }
        let bytes = self.bytes() + other;
        if bytes <= pager.budget {
            return Ok(0);
        }
        let enough = (bytes - pager.budget).div_ceil(PAGE_BYTES);
        let mut sealed = 0;
        for s in self.houses.values_mut() {
            if sealed >= enough {
                break;
            }
            sealed += s.q2.evict(pager, enough - sealed)?;
        }
        Ok(sealed)
    }

    /// Removes and returns the houses `moving` selects.
    pub fn take(&mut self, moving: impl Fn(u32) -> bool) -> Vec<HouseState> {
        let keys: Vec<u32> = self.houses.keys().copied().filter(|&h| moving(h)).collect();
        keys.iter().filter_map(|h| self.houses.remove(h)).collect()
    }

    /// Copies of the houses `moving` selects.
    pub fn snapshot(&self, moving: impl Fn(u32) -> bool) -> Vec<HouseState> {
        self.houses
            .values()
            .filter(|s| moving(s.house))
            .cloned()
            .collect()
    }

    /// Installs houses (replacing any held under the same number).
    pub fn install(&mut self, states: Vec<HouseState>) {
        for s in states {
            self.houses.insert(s.house, s);
        }
    }

    /// Houses held.
    pub fn house_numbers(&self) -> Vec<u32> {
        self.houses.keys().copied().collect()
    }

    /// Query 1's accuracy of each house.
    pub fn accuracies(&self) -> Vec<(u32, Accuracy)> {
        self.houses
            .values()
            .map(|s| (s.house, s.q1.accuracy().clone()))
            .collect()
    }

    /// Query 1's accuracy, summed over houses in house order.
    pub fn accuracy(&self) -> Accuracy {
        let mut a = Accuracy::default();
        for s in self.houses.values() {
            a.merge(s.q1.accuracy());
        }
        a
    }
}

/// The source's rule for late events: an event older than one already
/// seen (in input order) is dropped and counted, as a stream processor
/// that has moved past its second must.
#[derive(Clone, Copy, Debug, Default)]
pub struct LateFilter {
    newest: u32,
    /// Events dropped as late.
    pub late: u64,
}

impl LateFilter {
    /// Whether `e` is in time (and, if so, the newest time so far).
    pub fn admit(&mut self, e: &Event) -> bool {
        if e.timestamp < self.newest {
            self.late += 1;
            false
        } else {
            self.newest = e.timestamp;
            true
        }
    }
}
