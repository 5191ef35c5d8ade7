//! A sequential-composition privacy accountant that refuses to overspend.

use super::epsilon::Epsilon;
use crate::error::{DpError, Result};

/// One accepted charge.
#[derive(Clone, Debug, PartialEq)]
pub struct Charge {
    /// What the budget was spent on (e.g. `"iteration 3: sums"`).
    pub label: String,
    /// ε spent.
    pub epsilon: Epsilon,
    /// Confidence δ of a probabilistic-DP release (Chiaroscuro Def. 3), or
    /// `None` for a pure ε-DP release.
    pub delta: Option<f64>,
}

/// Tracks spending against a total ε under sequential composition: releases
/// with ε₁, …, ε_k together are (Σεᵢ)-DP (DREAM §3.3, Chiaroscuro §3.3.2).
///
/// Sums are exact rationals, so the check is exact: the accountant accepts a
/// charge if and only if the new total does not exceed the budget. A refused
/// charge changes nothing.
///
/// For (ε, δ)-probabilistic DP (Chiaroscuro Def. 3) the confidences multiply:
/// k releases at δᵢ give Πδᵢ. An accountant made with
/// [`Accountant::with_delta_floor`] also refuses charges that would push that
/// product below the floor (the product is rounded down at each step).
#[derive(Clone, Debug)]
pub struct Accountant {
    total: Epsilon,
    spent: Epsilon,
    delta: f64,
    delta_floor: Option<f64>,
    charges: Vec<Charge>,
}

impl Accountant {
    /// An accountant for a total budget ε.
    pub fn new(total: Epsilon) -> Self {
        Accountant {
            total,
            spent: Epsilon::zero(),
            delta: 1.0,
            delta_floor: None,
            charges: Vec::new(),
        }
    }

    /// An accountant for (ε, δ)-probabilistic DP whose overall confidence must
    /// stay at least `delta_floor` ∈ (0, 1].
    pub fn with_delta_floor(total: Epsilon, delta_floor: f64) -> Result<Self> {
        if !(delta_floor > 0.0 && delta_floor <= 1.0) {
            return Err(DpError::invalid(
                "delta",
                format!("must be in (0, 1] (got {delta_floor})"),
            ));
        }
        let mut a = Self::new(total);
        a.delta_floor = Some(delta_floor);
        Ok(a)
    }

    /// The total budget.
    pub fn total(&self) -> &Epsilon {
        &self.total
    }

    /// ε spent so far (exact).
    pub fn spent(&self) -> &Epsilon {
        &self.spent
    }

    /// ε left (exact).
    pub fn remaining(&self) -> Epsilon {
        self.total
            .checked_sub(&self.spent)
            .unwrap_or_else(Epsilon::zero)
    }

    /// The product of the confidences of all charges (1 if none was
    /// probabilistic).
    pub fn delta(&self) -> f64 {
        self.delta
    }

    /// The accepted charges, oldest first.
    pub fn charges(&self) -> &[Charge] {
        &self.charges
    }

    /// Whether `epsilon` can still be spent.
    pub fn can_afford(&self, epsilon: &Epsilon) -> bool {
        self.spent.add(epsilon) <= self.total
    }

    /// Spends `epsilon` on a pure ε-DP release, or refuses with
    /// [`DpError::BudgetExceeded`] and changes nothing.
    pub fn charge(&mut self, label: impl Into<String>, epsilon: &Epsilon) -> Result<()> {
        self.charge_inner(label.into(), epsilon, None)
    }

    /// Spends `epsilon` on a release that is ε-DP with probability at least
    /// `delta` (Chiaroscuro Def. 3).
    pub fn charge_probabilistic(
        &mut self,
        label: impl Into<String>,
        epsilon: &Epsilon,
        delta: f64,
    ) -> Result<()> {
        if !(delta > 0.0 && delta <= 1.0) {
            return Err(DpError::invalid(
                "delta",
                format!("must be in (0, 1] (got {delta})"),
            ));
        }
        self.charge_inner(label.into(), epsilon, Some(delta))
    }

    fn charge_inner(&mut self, label: String, epsilon: &Epsilon, delta: Option<f64>) -> Result<()> {
        let spent = self.spent.add(epsilon);
        if spent > self.total {
            return Err(DpError::BudgetExceeded {
                requested: epsilon.exact_string(),
                remaining: self.remaining().exact_string(),
                total: self.total.exact_string(),
            });
        }
        let new_delta = match delta {
            Some(d) if d < 1.0 => (self.delta * d).next_down().max(0.0),
            _ => self.delta,
        };
        if let Some(floor) = self.delta_floor
            && new_delta < floor
        {
            return Err(DpError::DeltaExhausted {
                would_be: new_delta,
                floor,
            });
        }
        self.spent = spent;
        self.delta = new_delta;
        self.charges.push(Charge {
            label,
            epsilon: epsilon.clone(),
            delta,
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eps(s: &str) -> Epsilon {
        Epsilon::parse(s).unwrap()
    }

    #[test]
    fn exact_budget_is_spendable_to_the_last_bit() {
        let mut a = Accountant::new(eps("0.3"));
        a.charge("a", &eps("0.1")).unwrap();
        a.charge("b", &eps("0.2")).unwrap();
        assert!(a.remaining().is_zero());
        let err = a.charge("c", &eps("1e-30")).unwrap_err();
        assert!(matches!(err, DpError::BudgetExceeded { .. }));
        assert_eq!(a.charges().len(), 2);
        assert_eq!(a.spent(), &eps("0.3"));
    }

    #[test]
    fn refusal_changes_nothing() {
        let mut a = Accountant::new(eps("1"));
        a.charge("a", &eps("0.75")).unwrap();
        assert!(a.charge("b", &eps("0.5")).is_err());
        assert_eq!(a.remaining(), eps("0.25"));
        a.charge("c", &eps("0.25")).unwrap();
    }

    #[test]
    fn delta_floor() {
        let mut a = Accountant::with_delta_floor(eps("1"), 0.99).unwrap();
        a.charge_probabilistic("a", &eps("0.1"), 0.995).unwrap();
        assert!(a.delta() < 0.995 && a.delta() > 0.9949);
        let err = a.charge_probabilistic("b", &eps("0.1"), 0.99).unwrap_err();
        assert!(matches!(err, DpError::DeltaExhausted { .. }));
        assert!(a.charge_probabilistic("c", &eps("0.1"), 1.5).is_err());
        assert!(Accountant::with_delta_floor(eps("1"), 0.0).is_err());
    }
}
