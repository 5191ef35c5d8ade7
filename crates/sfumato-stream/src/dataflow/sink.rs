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
                                Ok(Body::Outputs(mut o)) if kind == Kind::Outputs => primary.append(&mut o),
                                Ok(Body::Outputs(mut o)) if kind == Kind::ReplicaOutputs => replica.append(&mut o),
                                Ok(_) => w.fail(StreamError::Sealed("not outputs".into())),
                                Err(e) => w.fail(e),
                            }
                        }
                        if !replica.is_empty() {
                            let mut owner = primary.clone();
                            owner.retain(|h| routing_sink.moving(h));
                            owner.sort();
                            replica.sort();
                            let compared = (replica.forecasts.len() + replica.outliers.len()) as u64;
                            if owner != replica {
                                w.fail(StreamError::Migration(format!(
                                    "in epoch {epoch} the replica's outputs ({} forecasts, {} outliers) differ from the owner's ({}, {})",
                                    replica.forecasts.len(), replica.outliers.len(),
                                    owner.forecasts.len(), owner.outliers.len()
                                )));

                            }
                            w.report.compared += compared;
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
                                Err(_) => w.fail(StreamError::Runtime("the output sink panicked".into())),
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
