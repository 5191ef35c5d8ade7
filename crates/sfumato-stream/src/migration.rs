//! Live migration of a key range, StreamMine3G §II.
//!
//! To move a stateful operator's key range (here: a range of houses) to
//! another worker without stopping the stream, StreamMine3G starts a
//! replica with virgin state, duplicates the range's input to both, sends
//! the replica a snapshot of the state stamped with the timestamp it
//! reflects, has the replica drop the duplicated events that snapshot
//! already covers, lets both produce outputs until they agree, and then
//! switches. Processing in a deterministic total order (timestamps) is what
//! makes the replica's outputs equal the original's.
//!
//! Here the steps are scheduled in epochs of event time, known to every
//! worker, so every exchange routes the same way at the same logical
//! time:
//!
//! | epochs | the range's events go to | the replica |
//! | --- | --- | --- |
//! | `< duplicate` | the owner | does not exist |
//! | `duplicate .. snapshot` | owner and replica | drops them: the snapshot will cover them |
//! | `snapshot` | — | installs the owner's state as of the end of `snapshot − 1` |
//! | `snapshot .. switch` | owner and replica | processes them; its outputs are compared with the owner's, and dropped |
//! | `≥ switch` | the replica, now the owner | the old owner dropped the range's state |
//!
//! If the replica's outputs differ from the owner's in any compared epoch
//! the run fails with a migration error rather than switch to a replica
//! that is not exact.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::error::{Result, StreamError};

/// One migration: which houses, to which worker, when (epochs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationPlan {
    /// Houses moved.
    pub houses: Range<u32>,
    /// Worker receiving them.
    pub to: u32,
    /// First epoch whose events are duplicated to the replica.
    pub duplicate: u64,
    /// Epoch at which the replica installs the snapshot (the state after
    /// epoch `snapshot − 1`).
    pub snapshot: u64,
    /// First epoch routed to the replica only.
    pub switch: u64,
}

impl MigrationPlan {
    /// Checks the plan against the number of workers.
    pub fn validate(&self, workers: u32) -> Result<()> {
        if self.to >= workers {
            return Err(StreamError::invalid(
                "migration",
                format!("worker {} does not exist ({workers} workers)", self.to),
            ));
        }
        if self.houses.is_empty() {
            return Err(StreamError::invalid(
                "migration",
                "the house range is empty",
            ));
        }
        if !(self.duplicate < self.snapshot && self.snapshot < self.switch) {
            return Err(StreamError::invalid(
                "migration",
                "epochs must satisfy duplicate < snapshot < switch",
            ));
        }
        Ok(())
    }

    /// Whether `house` moves (it is in the range and not already on the
    /// target), houses being spread over the first `active` workers.
    pub fn moves(&self, house: u32, active: u32) -> bool {
        self.houses.contains(&house) && owner(house, active) != self.to
    }
}

/// The worker that owns `house` before any migration, houses being
/// spread over the first `active` workers.
pub fn owner(house: u32, active: u32) -> u32 {
    house % active.max(1)
}

/// Where a house's events of an epoch go: the owner, and a replica.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// The worker whose outputs count.
    pub primary: u32,
    /// A replica receiving duplicates, during a migration.
    pub replica: Option<u32>,
}

/// The routing table, versioned by epoch.
///
/// Houses start spread over the first `active` workers; the others are
/// spares, idle until a migration moves a range onto one (scaling out, as
/// StreamMine3G adds a node and moves part of a key range to it).
#[derive(Clone, Debug, Default)]
pub struct Routing {
    active: u32,
    plan: Option<MigrationPlan>,
}

impl Routing {
    /// Routing over `workers` workers of which the first `active` hold
    /// houses at the start, with an optional migration.
    pub fn new(workers: u32, active: u32, plan: Option<MigrationPlan>) -> Result<Self> {
        if !(1..=workers).contains(&active) {
            return Err(StreamError::invalid(
                "initial workers",
                format!("must be 1 to {workers} (got {active})"),
            ));
        }
        if let Some(p) = &plan {
            p.validate(workers)?;
        }
        Ok(Routing { active, plan })
    }

    /// The migration, if any.
    pub fn plan(&self) -> Option<&MigrationPlan> {
        self.plan.as_ref()
    }

    /// Whether `house` is being moved by the plan.
    pub fn moving(&self, house: u32) -> bool {
        self.plan
            .as_ref()
            .is_some_and(|p| p.moves(house, self.active))
    }

    /// Where `house`'s events of `epoch` go.
    pub fn route(&self, house: u32, epoch: u64) -> Route {
        let base = owner(house, self.active);
        match &self.plan {
            Some(p) if p.moves(house, self.active) => {
                if epoch >= p.switch {
                    Route {
                        primary: p.to,
                        replica: None,
                    }
                } else if epoch >= p.duplicate {
                    Route {
                        primary: base,
                        replica: Some(p.to),
                    }
                } else {
                    Route {
                        primary: base,
                        replica: None,
                    }
                }
            }
            _ => Route {
                primary: base,
                replica: None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> MigrationPlan {
        MigrationPlan {
            houses: 0..4,
            to: 1,
            duplicate: 10,
            snapshot: 11,
            switch: 13,
        }
    }

    #[test]
    fn routes_change_at_the_planned_epochs() {
        let r = Routing::new(2, 2, Some(plan())).unwrap();
        // House 2 lives on worker 0 and moves; house 1 is already on 1.
        assert!(r.moving(2) && !r.moving(1) && !r.moving(6));
        let at = |e| r.route(2, e);
        assert_eq!(
            at(9),
            Route {
                primary: 0,
                replica: None
            }
        );
        assert_eq!(
            at(10),
            Route {
                primary: 0,
                replica: Some(1)
            }
        );
        assert_eq!(
            at(12),
            Route {
                primary: 0,
                replica: Some(1)
            }
        );
        assert_eq!(
            at(13),
            Route {
                primary: 1,
                replica: None
            }
        );
        assert_eq!(
            r.route(6, 20),
            Route {
                primary: 0,
                replica: None
            }
        );
    }

    #[test]
    fn a_spare_worker_takes_a_range_when_scaling_out() {
        // Two workers, houses all on worker 0 at first; 0..4 move to 1.
        let r = Routing::new(2, 1, Some(plan())).unwrap();
        assert!((0..4).all(|h| r.moving(h)) && !r.moving(4));
        assert_eq!(
            r.route(3, 9),
            Route {
                primary: 0,
                replica: None
            }
        );
        assert_eq!(
            r.route(3, 13),
            Route {
                primary: 1,
                replica: None
            }
        );
        assert_eq!(
            r.route(7, 13),
            Route {
                primary: 0,
                replica: None
            }
        );
    }

    #[test]
    fn bad_plans_are_refused() {
        let mut p = plan();
        p.to = 2;
        assert!(Routing::new(2, 2, Some(p)).is_err());
        assert!(Routing::new(2, 0, None).is_err());
        assert!(Routing::new(2, 3, None).is_err());
        let mut p = plan();
        p.snapshot = 10;
        assert!(p.validate(2).is_err());
        let mut p = plan();
        p.houses = 3..3;
        assert!(p.validate(2).is_err());
    }
}
