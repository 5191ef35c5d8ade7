//! Budget concentration strategies (Chiaroscuro §5.1).

use core::fmt;
use core::str::FromStr;

use super::epsilon::Epsilon;
use crate::error::{DpError, Result};

/// How a total budget ε is spread over the iterations of an iterative
/// algorithm such as Chiaroscuro's perturbed k-means (Chiaroscuro §5.1).
///
/// Every strategy allocates at most ε in total, however many iterations are
/// asked for; the allocations are exact rationals.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BudgetStrategy {
    /// GREEDY: iteration i (from 1) gets ε/2ⁱ.
    Greedy,
    /// GREEDY_FLOOR(f): each GREEDY share is spread over a floor of f
    /// iterations: iterations 1..=f get ε/(2f), f+1..=2f get ε/(4f), …
    GreedyFloor {
        /// The floor size f ≥ 1 (the paper uses 4).
        floor: u64,
    },
    /// UNIFORM_FAST(n): ε/n for each of the first n iterations, nothing after.
    UniformFast {
        /// The iteration limit n ≥ 1 (the paper's example is 5).
        iterations: u64,
    },
}

impl BudgetStrategy {
    /// Checks the strategy's parameter.
    pub fn validate(&self) -> Result<()> {
        match *self {
            BudgetStrategy::GreedyFloor { floor: 0 } => {
                Err(DpError::invalid("floor", "must be at least 1"))
            }
            BudgetStrategy::UniformFast { iterations: 0 } => {
                Err(DpError::invalid("iterations", "must be at least 1"))
            }
            _ => Ok(()),
        }
    }

    /// Budget of iteration `i` (1-based) out of `total`; zero for `i = 0`.
    pub fn allocation(&self, total: &Epsilon, i: u64) -> Epsilon {
        if i == 0 {
            return Epsilon::zero();
        }
        match *self {
            BudgetStrategy::Greedy => halve(total, i),
            BudgetStrategy::GreedyFloor { floor } => {
                let floor = floor.max(1);
                let level = (i - 1) / floor + 1;
                halve(total, level).div_int(floor)
            }
            BudgetStrategy::UniformFast { iterations } => {
                if i <= iterations {
                    total.div_int(iterations)
                } else {
                    Epsilon::zero()
                }
            }
        }
    }

    /// Budgets of iterations 1..=`iterations`; their sum never exceeds `total`.
    pub fn allocate(&self, total: &Epsilon, iterations: u64) -> Result<Vec<Epsilon>> {
        self.validate()?;
        if iterations > 1_000_000 {
            return Err(DpError::invalid("iterations", "at most 1,000,000"));
        }
        Ok((1..=iterations)
            .map(|i| self.allocation(total, i))
            .collect())
    }

    /// The command-line name.
    pub fn name(&self) -> &'static str {
        match self {
            BudgetStrategy::Greedy => "greedy",
            BudgetStrategy::GreedyFloor { .. } => "greedy-floor",
            BudgetStrategy::UniformFast { .. } => "uniform-fast",
        }
    }
}

/// ε / 2^k, exactly.
fn halve(total: &Epsilon, k: u64) -> Epsilon {
    let mut e = total.clone();
    // Halving k > 64 times: divide in chunks to stay inside u64.
    let mut k = k;
    while k > 0 {
        let step = k.min(63);
        e = e.div_int(1u64 << step);
        k -= step;
    }
    e
}

impl fmt::Display for BudgetStrategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BudgetStrategy::Greedy => f.write_str("GREEDY"),
            BudgetStrategy::GreedyFloor { floor } => write!(f, "GREEDY_FLOOR({floor})"),
            BudgetStrategy::UniformFast { iterations } => write!(f, "UNIFORM_FAST({iterations})"),
        }
    }
}

impl FromStr for BudgetStrategy {
    type Err = DpError;
    /// Reads `greedy`, `greedy-floor:F` (or `greedy_floor(F)`) and
    /// `uniform-fast:N`, case-insensitively.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        let (name, arg) = match lower.split_once([':', '(']) {
            Some((n, a)) => (n.to_string(), Some(a.trim_end_matches(')').to_string())),
            None => (lower.clone(), None),
        };
        let bad = || DpError::Parse {
            text: s.to_string(),
            expected: "greedy, greedy-floor:F or uniform-fast:N",
        };
        let number =
            |a: Option<String>| -> Result<u64> { a.and_then(|a| a.parse().ok()).ok_or_else(bad) };
        let strategy = match name.as_str() {
            "greedy" if arg.is_none() => BudgetStrategy::Greedy,
            "greedy-floor" => BudgetStrategy::GreedyFloor {
                floor: number(arg)?,
            },
            "uniform-fast" => BudgetStrategy::UniformFast {
                iterations: number(arg)?,
            },
            _ => return Err(bad()),
        };
        strategy.validate()?;
        Ok(strategy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eps(s: &str) -> Epsilon {
        Epsilon::parse(s).unwrap()
    }

    #[test]
    fn greedy_halves() {
        let a = BudgetStrategy::Greedy.allocate(&eps("0.69"), 4).unwrap();
        let shown: Vec<String> = a.iter().map(|e| e.to_string()).collect();
        assert_eq!(shown, ["0.345", "0.1725", "0.08625", "0.043125"]);
    }

    #[test]
    fn greedy_floor_spreads_each_level() {
        let a = BudgetStrategy::GreedyFloor { floor: 4 }
            .allocate(&eps("1"), 9)
            .unwrap();
        let shown: Vec<String> = a.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            shown,
            [
                "0.125", "0.125", "0.125", "0.125", "0.0625", "0.0625", "0.0625", "0.0625",
                "0.03125"
            ]
        );
    }

    #[test]
    fn uniform_fast_stops() {
        let a = BudgetStrategy::UniformFast { iterations: 3 }
            .allocate(&eps("1"), 5)
            .unwrap();
        assert_eq!(a[0], eps("1/3"));
        assert_eq!(a[2], eps("1/3"));
        assert!(a[3].is_zero() && a[4].is_zero());
    }

    #[test]
    fn parses_names() {
        assert_eq!(
            "greedy".parse::<BudgetStrategy>().unwrap(),
            BudgetStrategy::Greedy
        );
        assert_eq!(
            "GREEDY_FLOOR(4)".parse::<BudgetStrategy>().unwrap(),
            BudgetStrategy::GreedyFloor { floor: 4 }
        );
        assert_eq!(
            "uniform-fast:5".parse::<BudgetStrategy>().unwrap(),
            BudgetStrategy::UniformFast { iterations: 5 }
        );
        for bad in [
            "greedy-floor",
            "greedy-floor:0",
            "uniform-fast:x",
            "lazy",
            "greedy:3",
        ] {
            assert!(bad.parse::<BudgetStrategy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn very_long_greedy_is_tiny_not_zero() {
        let e = BudgetStrategy::Greedy.allocation(&eps("1"), 200);
        assert!(!e.is_zero());
        assert!(e.to_f64() < 1e-59);
    }
}
