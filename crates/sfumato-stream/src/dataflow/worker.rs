//! A worker's state shared by its operators, and the epochs they visit.

use std::collections::BTreeMap;

use timely::communication::Pull;
use timely::dataflow::channels::Message;
use timely::dataflow::operators::generic::InputHandleCore;

use super::report::WorkerReport;
use crate::error::StreamError;
use crate::migration::MigrationPlan;
use crate::window_log::Pager;
use crate::wire::{Packet, Sealer};

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

/// Packets an operator holds until the frontier passes their epoch.
pub(super) type Stash = BTreeMap<u64, Vec<Packet>>;

/// Moves what `input` received into `stash`, by epoch.
pub(super) fn stash_input<P: Pull<Message<u64, Vec<Packet>>>>(
    input: &mut InputHandleCore<u64, Vec<Packet>, P>,
    stash: &mut Stash,
) {
    input.for_each(|cap, data| {
        if let Some(&t) = cap.least() {
            stash.entry(t).or_default().append(data);
        }
    });
}

/// The earliest epoch any of `stashes` holds, or `visits` still lists.
pub(super) fn earliest(stashes: [&Stash; 3], visits: &[u64]) -> Option<u64> {
    stashes
        .iter()
        .filter_map(|s| s.keys().next())
        .chain(visits.iter())
        .min()
        .copied()
}
