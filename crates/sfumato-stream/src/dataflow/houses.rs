//! Houses: a worker's houses' Query 1 and Query 2 state, evicting cold
//! window pages over its share of the EPC, and in a migration sending or
//! installing a state snapshot through a feedback edge (one epoch later).

use std::cell::RefCell;
use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::operators::{Capability, ConnectLoop, Feedback};
use timely::dataflow::{Scope, Stream};

use super::worker::{Stash, Worker, earliest, stash_input};
use crate::error::StreamError;
use crate::event::Event;
use crate::migration::Routing;
use crate::processor::{HouseState, Houses, Outputs};
use crate::q2::GlobalAt;
use crate::wire::{Body, Kind, Packet};

/// Houses: both queries for this worker's houses. Takes the events from
/// Route and the medians from Global, visits the `visits` epochs even
/// without data, and returns the outputs (for the sink).
pub(super) fn houses<'scope>(
    scope: Scope<'scope, u64>,
    events_out: Stream<'scope, u64, Vec<Packet>>,
    globals: Stream<'scope, u64, Vec<Packet>>,
    state: &Rc<RefCell<Worker>>,
    routing: &Routing,
    me: u32,
    visits: &[u64],
) -> Stream<'scope, u64, Vec<Packet>> {
    let (state_handle, state_in) = scope.feedback::<Vec<Packet>>(1);
    let (outputs_stream, state_stream) = {
        let mut builder = OperatorBuilder::new("Houses".to_owned(), scope);
        let exchange = || Exchange::new(|p: &Packet| u64::from(p.dest));
        let mut events_in = builder.new_input(events_out, exchange());
        let mut globals_in = builder.new_input(globals, exchange());
        let mut snapshots_in = builder.new_input(state_in, exchange());
        let (outputs_output, outputs_stream) = builder.new_output::<Vec<Packet>>();
        let (state_output, state_stream) = builder.new_output::<Vec<Packet>>();
        let mut outputs_output = timely::dataflow::operators::generic::OutputBuilder::<
            _,
            CapacityContainerBuilder<Vec<Packet>>,
        >::from(outputs_output);
        let mut state_output = timely::dataflow::operators::generic::OutputBuilder::<
            _,
            CapacityContainerBuilder<Vec<Packet>>,
        >::from(state_output);
        let state = state.clone();
        let routing = routing.clone();
        let visits = visits.to_vec();
        builder.build(move |caps| {
            let mut held: Option<(Capability<u64>, Capability<u64>)> = {
                let mut it = caps.into_iter();
                match (it.next(), it.next()) {
                    (Some(a), Some(b)) => Some((a, b)),
                    _ => None,
                }
            };
            let mut events = Stash::new();
            let mut medians = Stash::new();
            let mut snapshots = Stash::new();
            let mut houses = Houses::new();
            let mut visited: Vec<u64> = visits.clone();
            move |frontiers| {
                stash_input(&mut events_in, &mut events);
                stash_input(&mut globals_in, &mut medians);
                stash_input(&mut snapshots_in, &mut snapshots);
                let passed = |e: &u64| frontiers.iter().all(|f| !f.less_equal(e));
                let mut out_session = outputs_output.activate();
                let mut state_session = state_output.activate();
                loop {
                    // The next epoch with anything to do.
                    let next = earliest([&events, &medians, &snapshots], &visited);
                    let Some(epoch) = next.filter(passed) else {
                        break;
                    };
                    visited.retain(|&v| v != epoch);
                    let Some((cap_out, cap_state)) = held.as_ref() else {
                        break;
                    };
                    let cap_out = cap_out.delayed(&epoch);
                    let cap_state = cap_state.delayed(&epoch);
                    let mut w = state.borrow_mut();
                    let plan = routing.plan();
                    // A replica installs the snapshot at its epoch.
                    for p in snapshots.remove(&epoch).unwrap_or_default() {
                        match w.sealer.unpack(p, me, epoch) {
                            Ok(Body::State(s)) => {
                                w.report.houses_moved += s.len() as u64;
                                houses.install(s);
                            }
                            Ok(_) => w.fail(StreamError::Migration(
                                "a state packet without state".into(),
                            )),
                            Err(e) => w.fail(e),
                        }
                    }
                    let mut batch: Vec<Event> = Vec::new();
                    for p in events.remove(&epoch).unwrap_or_default() {
                        match w.sealer.unpack(p, me, epoch) {
                            Ok(Body::Events(mut e)) => batch.append(&mut e),
                            Ok(_) => w.fail(StreamError::Sealed("not events".into())),
                            Err(e) => w.fail(e),
                        }
                    }
                    let mut globals: Vec<GlobalAt> = Vec::new();
                    for p in medians.remove(&epoch).unwrap_or_default() {
                        match w.sealer.unpack(p, me, epoch) {
                            Ok(Body::Globals(mut g)) => globals.append(&mut g),
                            Ok(_) => w.fail(StreamError::Sealed("not medians".into())),
                            Err(e) => w.fail(e),
                        }
                    }
                    // The replica drops duplicates its snapshot covers.
                    if let Some(p) = plan.filter(|p| p.to == me && epoch < p.snapshot) {
                        let before = batch.len();
                        batch.retain(|e| !p.houses.contains(&e.house) || !routing.moving(e.house));
                        w.report.duplicates_dropped += (before - batch.len()) as u64;
                    }
                    batch.sort_unstable_by_key(|e| (e.timestamp, e.id));
                    globals.sort_by_key(|g| g.ts);
                    let mut out = Outputs::default();
                    let mut g = globals.iter().peekable();
                    {
                        let Worker { pager, .. } = &mut *w;
                        let mut failed = None;
                        for e in &batch {
                            while let Some(at) = g.next_if(|at| at.ts < e.timestamp) {
                                if let Err(err) = houses.evaluate(at, pager, &mut out) {
                                    failed = Some(err);
                                }
                            }
                            houses.load(e, &mut out);
                        }
                        for at in g {
                            if let Err(err) = houses.evaluate(at, pager, &mut out) {
                                failed = Some(err);
                            }
                        }
                        if let Some(err) = failed {
                            w.fail(err);
                        }
                    }
                    // Outputs: the replica's are compared, not counted.
                    let replica_phase =
                        plan.is_some_and(|p| p.to == me && epoch >= p.snapshot && epoch < p.switch);
                    let mut replica = Outputs::default();
                    if replica_phase {
                        let moving = |h: u32| routing.moving(h);
                        replica = out.clone();
                        replica.retain(moving);
                        out.retain(|h| !moving(h));
                    }
                    for (kind, o) in [(Kind::Outputs, out), (Kind::ReplicaOutputs, replica)] {
                        if o.is_empty() {
                            continue;
                        }
                        match w.sealer.pack(kind, 0, epoch, Body::Outputs(o)) {
                            Ok(p) => out_session.session(&cap_out).give(p),
                            Err(e) => w.fail(e),
                        }
                    }
                    // The owner's side of a migration.
                    if let Some(p) = plan {
                        if epoch + 1 == p.snapshot && p.to != me {
                            let snapshot: Vec<HouseState> = houses.snapshot(|h| routing.moving(h));
                            // Sealed for the epoch it arrives at (one later).
                            match w
                                .sealer
                                .pack(Kind::State, p.to, epoch + 1, Body::State(snapshot))
                            {
                                Ok(packet) => {
                                    w.report.snapshot_bytes += match &packet.body {
                                        Body::Sealed(b) => b.len() as u64,
                                        Body::State(s) => {
                                            postcard::to_allocvec(s).map_or(0, |v| v.len() as u64)
                                        }
                                        _ => 0,
                                    };
                                    state_session.session(&cap_state).give(packet);
                                }
                                Err(e) => w.fail(e),
                            }
                        }
                        if epoch + 1 == p.switch && p.to != me {
                            houses.take(|h| routing.moving(h));
                        }
                    }
                    // The EPC budget.
                    let other = w.global_bytes;
                    let Worker { pager, .. } = &mut *w;
                    if let Err(e) = houses.keep_within_budget(pager, other) {
                        w.fail(e);
                    }
                    // What stays resident after eviction.
                    w.house_bytes = houses.bytes();
                    w.report.peak_state_bytes = w
                        .report
                        .peak_state_bytes
                        .max((w.house_bytes + w.global_bytes) as u64);
                }
                // Hold capabilities only as far back as needed.
                // (Not the snapshot input's: it follows our own capability.)
                let lowest = frontiers[..2]
                    .iter()
                    .filter_map(|f| f.frontier().first().copied())
                    .min();
                let pending = earliest([&events, &medians, &snapshots], &visited);
                match (lowest, pending) {
                    (None, None) => {
                        held = None;
                        let mut w = state.borrow_mut();
                        w.report.accuracies = houses.accuracies();
                    }
                    (a, b) => {
                        let next = a.into_iter().chain(b).min().unwrap_or(0);
                        if let Some((c1, c2)) = held.as_mut()
                            && *c1.time() < next
                        {
                            c1.downgrade(&next);
                            c2.downgrade(&next);
                        }
                    }
                }
            }
        });
        (outputs_stream, state_stream)
    };
    state_stream.connect_loop(state_handle);
    outputs_stream
}
