//! Accumulates loads (intervals of constant power) into slots of energy.

use crate::resolution::{MINUTES_PER_DAY, Resolution};

/// kWh per watt-minute.
const KWH_PER_WATT_MINUTE: f64 = 1.0 / 60_000.0;

/// One household-day's energy per slot, in total and optionally per
/// appliance (index `appliances` is lighting).
#[derive(Clone, Debug)]
pub(crate) struct DaySink {
    slot_minutes: f64,
    total: Vec<f64>,
    /// Per appliance slot; `None` without a breakdown.
    parts: Option<Vec<Vec<f64>>>,
    /// Constant watts per part, added to every slot at the end.
    constant: Vec<f64>,
}

impl DaySink {
    /// A sink for `parts` loads (appliances + lighting).
    pub(crate) fn new(resolution: Resolution, parts: usize, breakdown: bool) -> DaySink {
        let n = resolution.slots_per_day();
        DaySink {
            slot_minutes: f64::from(resolution.minutes()),
            total: vec![0.0; n],
            parts: breakdown.then(|| vec![vec![0.0; n]; parts]),
            constant: vec![0.0; parts],
        }
    }

    /// Resets for another day.
    pub(crate) fn clear(&mut self) {
        self.total.fill(0.0);
        if let Some(parts) = &mut self.parts {
            for p in parts {
                p.fill(0.0);
            }
        }
        self.constant.fill(0.0);
    }

    /// `watts` drawn all day by `part`.
    pub(crate) fn add_constant(&mut self, part: usize, watts: f64) {
        self.constant[part] += watts;
    }

    /// `watts` drawn by `part` from minute `start` to `end` (fractions
    /// allowed; clipped to the day).
    pub(crate) fn add(&mut self, part: usize, start: f64, end: f64, watts: f64) {
        let day = f64::from(MINUTES_PER_DAY);
        let (start, end) = (start.max(0.0), end.min(day));
        if end <= start || watts == 0.0 {
            return;
        }
        let w = watts * KWH_PER_WATT_MINUTE;
        let len = self.slot_minutes;
        let first = (start / len) as usize;
        let last = (((end / len).ceil() as usize).max(first + 1)).min(self.total.len());
        for j in first..last {
            let lo = (j as f64 * len).max(start);
            let hi = ((j + 1) as f64 * len).min(end);
            if hi > lo {
                let e = w * (hi - lo);
                self.total[j] += e;
                if let Some(parts) = &mut self.parts {
                    parts[part][j] += e;
                }
            }
        }
    }

    /// Adds the constant loads and returns the total and the parts.
    pub(crate) fn finish(&mut self) -> (&[f64], Option<&[Vec<f64>]>) {
        let per_slot = self.slot_minutes * KWH_PER_WATT_MINUTE;
        let base: f64 = self.constant.iter().sum::<f64>() * per_slot;
        for v in &mut self.total {
            *v += base;
        }
        if let Some(parts) = &mut self.parts {
            for (p, &c) in parts.iter_mut().zip(&self.constant) {
                if c != 0.0 {
                    for v in p.iter_mut() {
                        *v += c * per_slot;
                    }
                }
            }
        }
        (&self.total, self.parts.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn energy_is_conserved_across_resolutions() {
        for minutes in [1, 5, 10, 15, 30, 60] {
            let mut s = DaySink::new(Resolution::from_minutes(minutes).unwrap(), 2, true);
            s.add(0, 7.5, 10.25, 2000.0); // 2.75 min at 2 kW
            s.add(1, 1430.0, 1500.0, 600.0); // clipped to 10 min
            s.add_constant(1, 60.0);
            let (total, parts) = s.finish();
            let sum: f64 = total.iter().sum();
            let want = 2000.0 * 2.75 / 60_000.0 + 600.0 * 10.0 / 60_000.0 + 60.0 * 24.0 / 1000.0;
            assert!((sum - want).abs() < 1e-12, "{minutes}: {sum} vs {want}");
            let parts = parts.unwrap();
            for j in 0..total.len() {
                assert!((parts[0][j] + parts[1][j] - total[j]).abs() < 1e-12);
            }
        }
    }
}
