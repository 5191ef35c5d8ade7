//! `sfumato dp budget`: spreads a privacy budget ε over the iterations of an
//! iterative algorithm (Chiaroscuro §5.1), exactly.
//!
//! Text output is one line per iteration, `i<TAB>ε_i`, then `total<TAB>Σε_i`.
//! When a value has no terminating decimal (ε/3) a third column gives the
//! exact fraction.

use serde::Serialize;
use sfumato_dp::{BudgetStrategy, Epsilon};

use crate::cli::{BudgetArgs, DEFAULT_FLOOR, StrategyArg};
use crate::error::CliError;
use crate::output::Output;

/// One ε in the JSON document: nearest `f64` and exact text.
#[derive(Serialize)]
struct Amount {
    epsilon: f64,
    exact: String,
}

impl Amount {
    fn of(e: &Epsilon) -> Self {
        Amount {
            epsilon: e.to_f64(),
            exact: e.exact_string(),
        }
    }
}

/// One iteration's allocation in the JSON document.
#[derive(Serialize)]
struct Iteration {
    iteration: u64,
    #[serde(flatten)]
    amount: Amount,
}

/// The JSON document.
#[derive(Serialize)]
struct Report {
    strategy: String,
    epsilon: String,
    iterations: Vec<Iteration>,
    total: Amount,
}

/// The library strategy the arguments name.
fn strategy(args: &BudgetArgs) -> Result<BudgetStrategy, CliError> {
    if args.floor.is_some() && args.strategy != StrategyArg::GreedyFloor {
        return Err(CliError::usage(
            "--floor applies only to --strategy greedy-floor",
        ));
    }
    Ok(args
        .strategy
        .strategy(args.floor.unwrap_or(DEFAULT_FLOOR), args.iterations))
}

/// `ε<TAB>exact` when the decimal does not show ε exactly, else `ε`.
fn text(e: &Epsilon) -> String {
    let shown = e.to_string();
    let exact = e.exact_string();
    if shown == exact {
        shown
    } else {
        format!("{shown}\t{exact}")
    }
}

/// Runs `sfumato dp budget`.
pub(crate) fn run(args: &BudgetArgs, out: &mut Output) -> Result<(), CliError> {
    let strategy = strategy(args)?;
    let allocation = strategy.allocate(&args.epsilon, args.iterations)?;
    let total = allocation.iter().fold(Epsilon::zero(), |sum, e| sum.add(e));
    if out.is_json() {
        let report = Report {
            strategy: strategy.to_string(),
            epsilon: args.epsilon.exact_string(),
            iterations: (1..)
                .zip(&allocation)
                .map(|(iteration, e)| Iteration {
                    iteration,
                    amount: Amount::of(e),
                })
                .collect(),
            total: Amount::of(&total),
        };
        return out.json(&report);
    }
    for (i, e) in (1u64..).zip(&allocation) {
        out.line(format_args!("{i}\t{}", text(e)))?;
    }
    out.line(format_args!("total\t{}", text(&total)))
}
