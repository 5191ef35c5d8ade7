//! Ready-made probes that know nothing of a protocol: they read a node
//! through a function the caller supplies.

use serde::{Deserialize, Serialize};
use sfumato_protocol::{NodeId, Time};

use crate::report::Probe;

/// The largest relative error of the nodes' estimates of `target`.
#[derive(Clone, Copy, Debug)]
pub struct EstimateError<F> {
    target: f64,
    estimate: F,
}

impl<F> EstimateError<F> {
    /// Compares `estimate(node)` with `target` (`target ≠ 0`).
    pub fn new(target: f64, estimate: F) -> Self {
        EstimateError { target, estimate }
    }
}

/// The fold of [`EstimateError`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorSummary {
    /// The largest `|estimate − target| / |target|` of a node with an
    /// estimate.
    pub max_relative_error: f64,
    /// Live nodes observed.
    pub observed: u64,
    /// Live nodes without an estimate yet (for example a zero weight).
    pub without_estimate: u64,
}

impl<N, F> Probe<N> for EstimateError<F>
where
    F: Fn(&N) -> Option<f64> + Clone + Send + Sync + 'static,
{
    type Summary = ErrorSummary;

    fn empty(&self) -> ErrorSummary {
        ErrorSummary {
            max_relative_error: 0.0,
            observed: 0,
            without_estimate: 0,
        }
    }

    fn observe(&self, _: NodeId, node: &N, _: Time, into: &mut ErrorSummary) {
        into.observed += 1;
        match (self.estimate)(node) {
            Some(e) if e.is_finite() => {
                let err = ((e - self.target) / self.target).abs();
                if err > into.max_relative_error || err.is_nan() {
                    into.max_relative_error = if err.is_nan() { f64::INFINITY } else { err };
                }
            }
            _ => into.without_estimate += 1,
        }
    }

    fn merge(&self, into: &mut ErrorSummary, other: &ErrorSummary) {
        into.max_relative_error = into.max_relative_error.max(other.max_relative_error);
        into.observed += other.observed;
        into.without_estimate += other.without_estimate;
    }
}

/// How many live nodes satisfy a predicate.
#[derive(Clone, Copy, Debug)]
pub struct CountWhere<F>(pub F);

/// The fold of [`CountWhere`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountSummary {
    /// Live nodes satisfying the predicate.
    pub matching: u64,
    /// Live nodes observed.
    pub observed: u64,
}

impl<N, F> Probe<N> for CountWhere<F>
where
    F: Fn(&N) -> bool + Clone + Send + Sync + 'static,
{
    type Summary = CountSummary;

    fn empty(&self) -> CountSummary {
        CountSummary::default()
    }

    fn observe(&self, _: NodeId, node: &N, _: Time, into: &mut CountSummary) {
        into.observed += 1;
        if (self.0)(node) {
            into.matching += 1;
        }
    }

    fn merge(&self, into: &mut CountSummary, other: &CountSummary) {
        into.matching += other.matching;
        into.observed += other.observed;
    }
}
