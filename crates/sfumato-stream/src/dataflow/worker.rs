//! A worker's state shared by its operators, and the epochs they visit.

use super::report::WorkerReport;
use crate::error::StreamError;
use crate::migration::MigrationPlan;
use crate::window_log::Pager;
use crate::wire::Sealer;

/// One worker's mutable state, shared by its operators.
pub(super) struct Worker {
    pub(super) sealer: Sealer,
    pub(super) pager: Pager,
    pub(super) report: WorkerReport,
    pub(super) house_bytes: usize,
    pub(super) global_bytes: usize,
}

impl Worker {
    /// Records `e` unless an error is recorded already.
    pub(super) fn fail(&mut self, e: StreamError) {
        if self.report.error.is_none() {
            self.report.bad_input =
                matches!(e, StreamError::Input { .. } | StreamError::Invalid { .. });
            self.report.error = Some(e.to_string());
        }
    }
}

/// The epochs each operator must visit even without data: the migration's.
pub(super) fn migration_epochs(plan: Option<&MigrationPlan>) -> Vec<u64> {
    plan.map_or_else(Vec::new, |p| vec![p.snapshot - 1, p.snapshot, p.switch - 1])
}
