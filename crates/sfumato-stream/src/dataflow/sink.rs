//! Sink (worker 0): compares a replica's outputs with the owner's, drops
//! the duplicates, fingerprints and hands on the outputs, and records
//! when each epoch's outputs were done.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Probe as _;
use timely::dataflow::operators::generic::operator::Operator;
use timely::dataflow::{ProbeHandle, Stream};

use super::OutputSink;
use super::worker::{Stash, Worker, stash_input};
use crate::error::StreamError;
use crate::migration::Routing;
use crate::processor::Outputs;
use crate::wire::{Body, Kind, Packet};

/// Sink: compare, drop duplicates, fingerprint, hand on. Takes the outputs
/// from Houses; records each epoch's end in `done` and probes with `probe`.
pub(super) fn sink<'scope>(
    outputs_stream: Stream<'scope, u64, Vec<Packet>>,
    state: &Rc<RefCell<Worker>>,
    routing: &Routing,
    me: u32,
    sink: Option<&OutputSink>,
    done: &Arc<Mutex<BTreeMap<u64, Instant>>>,
    probe: &ProbeHandle<u64>,
) -> Stream<'scope, u64, Vec<()>> {
    let state_sink = state.clone();
    let sink = sink.cloned();
    let done = done.clone();
    let routing_sink = routing.clone();
    let mut stash = Stash::new();
    outputs_stream
        .unary_frontier::<CapacityContainerBuilder<Vec<()>>, _, _, _>(
            Exchange::new(|p: &Packet| u64::from(p.dest)),
            "Sink",
            move |_initial, _info| {
                move |(input, frontier), _output| {
                    stash_input(input, &mut stash);
                    while let Some((&epoch, _)) = stash.first_key_value() {
                        if frontier.less_equal(&epoch) {
                            break;
                        }
                        let packets = stash.remove(&epoch).unwrap_or_default();
                        let mut w = state_sink.borrow_mut();
                        let mut primary = Outputs::default();
                        let mut replica = Outputs::default();
                        for p in packets {
                            let kind = p.kind;
                            match w.sealer.unpack(p, me, epoch) {
                                Ok(Body::Outputs(mut o)) if kind == Kind::Outputs => {
                                    primary.append(&mut o)
                                }
                                Ok(Body::Outputs(mut o)) if kind == Kind::ReplicaOutputs => {
                                    replica.append(&mut o)
                                }
                                Ok(_) => w.fail(StreamError::Sealed("not outputs".into())),
                                Err(e) => w.fail(e),
                            }
                        }
                        match compare_replica(epoch, &primary, replica, &routing_sink) {
                            Ok(compared) => w.report.compared += compared,
                            Err(e) => w.fail(e),
                        }
                        primary.sort();
                        w.report.digest.add(&primary);
                        if let Some(sink) = sink.as_ref() {
                            match sink.lock() {
                                Ok(mut f) => {
                                    if let Err(e) = f(&mut primary) {
                                        w.fail(e);
                                    }
                                }
                                Err(_) => {
                                    w.fail(StreamError::Runtime("the output sink panicked".into()))
                                }
                            }
                        }
                        if let Ok(mut d) = done.lock() {
                            d.insert(epoch, Instant::now());
                        }
                    }
                }
            },
        )
        .probe_with(probe)
}

/// Checks a migration's replica against the owner in `epoch`: between
/// snapshot and switch (and whenever a replica sent anything) the owner's
/// outputs for the moving houses must equal the replica's — also when the
/// replica sent nothing. Returns how many replica outputs were compared.
fn compare_replica(
    epoch: u64,
    primary: &Outputs,
    mut replica: Outputs,
    routing: &Routing,
) -> Result<u64, StreamError> {
    let comparing = routing
        .plan()
        .is_some_and(|p| epoch >= p.snapshot && epoch < p.switch);
    if !comparing && replica.is_empty() {
        return Ok(0);
    }
    let mut owner = primary.clone();
    owner.retain(|h| routing.moving(h));
    owner.sort();
    replica.sort();
    if owner != replica {
        return Err(StreamError::Migration(format!(
            "in epoch {epoch} the replica's outputs ({} forecasts, {} outliers) differ from the owner's ({}, {})",
            replica.forecasts.len(),
            replica.outliers.len(),
            owner.forecasts.len(),
            owner.outliers.len()
        )));
    }
    Ok((replica.forecasts.len() + replica.outliers.len()) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::MigrationPlan;
    use crate::q1::{Forecast, Target};

    fn forecast(house: u32, load: f64) -> Forecast {
        Forecast {
            at: 30,
            slice_minutes: 1,
            ts: 120,
            target: Target::House(house),
            predicted_load: load,
        }
    }

    #[test]
    fn a_replica_that_differs_or_says_nothing_fails_the_migration() {
        // Houses 0..4 move from worker 0 to 1 (houses 1 and 3 are there
        // already); epochs 11 and 12 are compared.
        let plan = MigrationPlan {
            houses: 0..4,
            to: 1,
            duplicate: 10,
            snapshot: 11,
            switch: 13,
        };
        let routing = Routing::new(2, 2, Some(plan)).unwrap();
        let primary = Outputs {
            forecasts: vec![forecast(2, 5.0), forecast(1, 7.0), forecast(6, 1.0)],
            outliers: vec![],
        };
        let same = Outputs {
            forecasts: vec![forecast(2, 5.0)],
            outliers: vec![],
        };
        assert_eq!(
            compare_replica(11, &primary, same.clone(), &routing).unwrap(),
            1
        );
        let off = Outputs {
            forecasts: vec![forecast(2, 5.000001)],
            outliers: vec![],
        };
        assert!(compare_replica(11, &primary, off, &routing).is_err());
        assert!(compare_replica(12, &primary, Outputs::default(), &routing).is_err());
        // Outside the window, an empty replica is nothing to compare.
        assert_eq!(
            compare_replica(13, &primary, Outputs::default(), &routing).unwrap(),
            0
        );
        assert!(compare_replica(13, &primary, same, &routing).is_ok());
    }
}
