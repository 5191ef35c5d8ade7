//! A household's privacy ledger (DREAM §3.4 Example 1, §7.3).
//!
//! In slot t a reading X_t protected by noise of scale λ(t) costs
//! ε(t) = X_t / λ(t); over s consecutive slots the costs add up
//! (sequential composition): ε_s(t) = Σ_{k=t}^{t+s−1} ε(k).

use serde::{Deserialize, Serialize};

/// ε(t) for each slot of one household (or one appliance of it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrivacyLedger {
    epsilons: Vec<f64>,
}

impl PrivacyLedger {
    /// An empty ledger.
    pub fn new() -> PrivacyLedger {
        PrivacyLedger::default()
    }

    /// Records slot `t`'s cost `reading / lambda` (slots recorded in
    /// order; a slot that was never published costs nothing but is still
    /// recorded, so windows stay aligned).
    pub fn record(&mut self, reading: f64, lambda: f64) {
        let e = if lambda > 0.0 {
            (reading / lambda).max(0.0)
        } else {
            f64::INFINITY
        };
        self.epsilons.push(e);
    }

    /// Records a slot that cost nothing (no reading left the meter).
    pub fn record_nothing(&mut self) {
        self.epsilons.push(0.0);
    }

    /// ε(t) of every slot.
    pub fn per_slot(&self) -> &[f64] {
        &self.epsilons
    }

    /// ε_s of every window of `s` consecutive slots starting at a slot
    /// where a whole window fits.
    pub fn windows(&self, s: usize) -> Vec<f64> {
        if s == 0 || s > self.epsilons.len() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(self.epsilons.len() - s + 1);
        let mut sum: f64 = self.epsilons[..s].iter().sum();
        out.push(sum);
        for k in s..self.epsilons.len() {
            sum += self.epsilons[k] - self.epsilons[k - s];
            out.push(sum);
        }
        out
    }

    /// The total ε over all slots.
    pub fn total(&self) -> f64 {
        self.epsilons.iter().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_papers_example_1() {
        // U₁ reads 300 and 300 with λ = 1200: ε = 0.25 per slot, 0.5 in all.
        let mut l = PrivacyLedger::new();
        l.record(300.0, 1200.0);
        l.record(300.0, 1200.0);
        assert_eq!(l.per_slot(), &[0.25, 0.25]);
        assert_eq!(l.windows(2), vec![0.5]);
        assert_eq!(l.total(), 0.5);
        assert!(l.windows(3).is_empty());
        let mut m = PrivacyLedger::new();
        for x in [1.0, 2.0, 3.0, 4.0] {
            m.record(x, 1.0);
        }
        assert_eq!(m.windows(2), vec![3.0, 5.0, 7.0]);
    }
}
