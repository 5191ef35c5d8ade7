//! Exact medians over sliding windows of loads (DEBS 2014 Query 2).
//!
//! Loads are kept at the challenge's resolution, 1 mW (its files give
//! three decimals), as `u32` milliwatts ([`to_milliwatts`]); a median is
//! the middle value, or the mean of the two middle values of an even
//! count, in watts.
//!
//! * [`WindowMedian`] — one plug's window: a counted multiset split into a
//!   lower and an upper half (two ordered maps), so inserting, removing and
//!   reading the median cost `O(log distinct)`.
//! * [`RadixCounts`] — the window of *all* plugs, which takes every event:
//!   counts in a three-level radix table over the milliwatt domain, so an
//!   insert or removal is three increments and the median a scan of at
//!   most 4,096 + 1,024 + 1,024 counters, done once per second.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A load in watts as whole milliwatts (rounded; negative or non-finite
/// loads count as 0, loads beyond 4.29 MW saturate).
pub fn to_milliwatts(watts: f32) -> u32 {
    let mw = (f64::from(watts) * 1000.0).round();
    if mw.is_nan() || mw <= 0.0 {
        0
    } else if mw >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        mw as u32
    }
}

/// The median of a sorted-by-rank pair, in watts.
fn watts(lo: u32, hi: u32) -> f64 {
    (f64::from(lo) + f64::from(hi)) / 2000.0
}

/// One half of a [`WindowMedian`]: a counted multiset and its size.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Half {
    counts: BTreeMap<u32, u32>,
    len: usize,
}

impl Half {
    fn add(&mut self, v: u32) {
        *self.counts.entry(v).or_insert(0) += 1;
        self.len += 1;
    }

    /// Removes one `v`; false if there was none.
    fn take(&mut self, v: u32) -> bool {
        match self.counts.get_mut(&v) {
            Some(c) if *c > 1 => *c -= 1,
            Some(_) => {
                self.counts.remove(&v);
            }
            None => return false,
        }
        self.len -= 1;
        true
    }

    fn max(&self) -> Option<u32> {
        self.counts.last_key_value().map(|(&v, _)| v)
    }

    fn min(&self) -> Option<u32> {
        self.counts.first_key_value().map(|(&v, _)| v)
    }
}

/// A counted multiset of milliwatt values with its median.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WindowMedian {
    /// The lower half (holds the extra element of an odd count).
    low: Half,
    /// The upper half.
    high: Half,
}

impl WindowMedian {
    /// An empty window.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.low.len + self.high.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Distinct values held (for memory accounting).
    pub fn distinct(&self) -> usize {
        self.low.counts.len() + self.high.counts.len()
    }

    /// Adds one value.
    pub fn insert(&mut self, v: u32) {
        match self.low.max() {
            Some(max) if v > max => self.high.add(v),
            _ => self.low.add(v),
        }
        self.rebalance();
    }

    /// Removes one value that was inserted; false (and no change) if it
    /// is not there.
    pub fn remove(&mut self, v: u32) -> bool {
        let removed = match self.low.max() {
            Some(max) if v <= max => self.low.take(v),
            _ => self.high.take(v),
        };
        if removed {
            self.rebalance();
        }
        removed
    }

    fn rebalance(&mut self) {
        // Invariant: low.len == high.len or low.len == high.len + 1.
        while self.low.len > self.high.len + 1 {
            let Some(max) = self.low.max() else { return };
            self.low.take(max);
            self.high.add(max);
        }
        while self.high.len > self.low.len {
            let Some(min) = self.high.min() else { return };
            self.high.take(min);
            self.low.add(min);
        }
    }

    /// The median in watts; `None` when empty.
    pub fn median(&self) -> Option<f64> {
        let lo = self.low.max()?;
        if self.low.len > self.high.len {
            Some(watts(lo, lo))
        } else {
            Some(watts(lo, self.high.min()?))
        }
    }
}

/// The slot of `counts` holding rank `k`, leaving in `k` the rank within
/// that slot.
fn descend(counts: impl Iterator<Item = u64>, k: &mut u64) -> Option<usize> {
    for (i, c) in counts.enumerate() {
        if *k < c {
            return Some(i);
        }
        *k -= c;
    }
    None
}

const TOP_BITS: u32 = 12;
const MID_BITS: u32 = 10;
const LEAF_BITS: u32 = 10;

/// Counts of milliwatt values in a three-level radix table
/// (12 + 10 + 10 bits), allocated lazily.
#[derive(Clone, Debug)]
pub struct RadixCounts {
    len: u64,
    top: Vec<u64>,
    mid: Vec<Option<Box<[u64]>>>,
    leaves: Vec<Option<Box<[u32]>>>,
}

impl Default for RadixCounts {
    fn default() -> Self {
        Self::new()
    }
}

impl RadixCounts {
    /// Empty counts.
    pub fn new() -> Self {
        RadixCounts {
            len: 0,
            top: vec![0; 1 << TOP_BITS],
            mid: vec![None; 1 << TOP_BITS],
            leaves: Vec::new(),
        }
    }

    /// Number of values.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether there are no values.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes allocated for the table (for memory accounting).
    pub fn bytes(&self) -> usize {
        let mids = self.mid.iter().flatten().count();
        let leaves = self.leaves.iter().flatten().count();
        self.top.len() * 8 + mids * (8 << MID_BITS) + leaves * (4 << LEAF_BITS)
    }

    fn split(v: u32) -> (usize, usize, usize) {
        let t = (v >> (MID_BITS + LEAF_BITS)) as usize;
        let m = ((v >> LEAF_BITS) & ((1 << MID_BITS) - 1)) as usize;
        let l = (v & ((1 << LEAF_BITS) - 1)) as usize;
        (t, m, l)
    }

    /// Adds one value.
    pub fn insert(&mut self, v: u32) {
        let (t, m, l) = Self::split(v);
        let leaf_index = (t << MID_BITS) | m;
        if self.leaves.len() <= leaf_index {
            self.leaves.resize(leaf_index + 1, None);
        }
        self.top[t] += 1;
        self.mid[t].get_or_insert_with(|| vec![0; 1 << MID_BITS].into_boxed_slice())[m] += 1;
        self.leaves[leaf_index]
            .get_or_insert_with(|| vec![0; 1 << LEAF_BITS].into_boxed_slice())[l] += 1;
        self.len += 1;
    }

    /// Removes one value; false (and no change) if it is not there.
    pub fn remove(&mut self, v: u32) -> bool {
        let (t, m, l) = Self::split(v);
        let leaf_index = (t << MID_BITS) | m;
        let Some(Some(leaf)) = self.leaves.get_mut(leaf_index) else {
            return false;
        };
        if leaf[l] == 0 {
            return false;
        }
        leaf[l] -= 1;
        if let Some(mid) = self.mid[t].as_mut() {
            mid[m] -= 1;
        }
        self.top[t] -= 1;
        self.len -= 1;
        true
    }

    /// The value of rank `k` (0-based, in increasing order); `None` if
    /// `k >= len`.
    pub fn select(&self, mut k: u64) -> Option<u32> {
        if k >= self.len {
            return None;
        }
        let t = descend(self.top.iter().copied(), &mut k)?;
        let m = descend(self.mid[t].as_ref()?.iter().copied(), &mut k)?;
        let leaf = self.leaves.get((t << MID_BITS) | m)?.as_ref()?;
        let l = descend(leaf.iter().map(|&c| u64::from(c)), &mut k)?;
        Some(((t as u32) << (MID_BITS + LEAF_BITS)) | ((m as u32) << LEAF_BITS) | l as u32)
    }

    /// The median in watts; `None` when empty.
    pub fn median(&self) -> Option<f64> {
        if self.len == 0 {
            return None;
        }
        let lo = self.select((self.len - 1) / 2)?;
        let hi = self.select(self.len / 2)?;
        Some(watts(lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn naive(values: &[u32]) -> Option<f64> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_unstable();
        let n = v.len();
        Some(watts(v[(n - 1) / 2], v[n / 2]))
    }

    #[test]
    fn milliwatts_round_and_clamp() {
        assert_eq!(to_milliwatts(68.451), 68_451);
        assert_eq!(to_milliwatts(0.0004), 0);
        assert_eq!(to_milliwatts(-3.0), 0);
        assert_eq!(to_milliwatts(f32::NAN), 0);
        assert_eq!(to_milliwatts(f32::INFINITY), u32::MAX);
    }

    #[test]
    fn empty_has_no_median() {
        assert_eq!(WindowMedian::new().median(), None);
        assert_eq!(RadixCounts::new().median(), None);
        assert!(!RadixCounts::new().remove(5));
        assert!(!WindowMedian::new().remove(5));
    }

    proptest! {
        /// Both structures agree with sorting after any sequence of
        /// inserts and removals (a sliding window over random values).
        #[test]
        fn medians_equal_sorting(
            values in proptest::collection::vec(
                prop_oneof![0u32..50, 0u32..5_000_000, Just(u32::MAX)], 1..300),
            window in 1usize..40,
        ) {
            let mut w = WindowMedian::new();
            let mut r = RadixCounts::new();
            for (i, &v) in values.iter().enumerate() {
                w.insert(v);
                r.insert(v);
                if i >= window {
                    prop_assert!(w.remove(values[i - window]));
                    prop_assert!(r.remove(values[i - window]));
                }
                let live = &values[(i + 1).saturating_sub(window)..=i];
                let expected = naive(live);
                prop_assert_eq!(w.median(), expected);
                prop_assert_eq!(r.median(), expected);
                prop_assert_eq!(w.len(), live.len());
            }
        }
    }
}
