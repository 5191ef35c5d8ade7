//! Route (inside the enclave): opens the source's sealed batches and
//! sends each load reading to its house's worker (and, during a
//! migration, to the replica too) and every reading to Global.

use std::cell::RefCell;
use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::channels::pact::Pipeline;
use timely::dataflow::operators::generic::builder_rc::OperatorBuilder;
use timely::dataflow::{Scope, Stream};

use super::worker::Worker;
use crate::error::StreamError;
use crate::event::{Event, Property};
use crate::median::to_milliwatts;
use crate::migration::Routing;
use crate::wire::{Body, Kind, Packet};

/// Route: open the source's batches, send readings on. Returns the
/// events (by house) and the readings (for Global).
pub(super) fn route<'scope>(
    scope: Scope<'scope, u64>,
    packets: Stream<'scope, u64, Vec<Packet>>,
    state: &Rc<RefCell<Worker>>,
    routing: &Routing,
    me: u32,
    peers: u32,
) -> (
    Stream<'scope, u64, Vec<Packet>>,
    Stream<'scope, u64, Vec<Packet>>,
) {
    let mut builder = OperatorBuilder::new("Route".to_owned(), scope);
    let mut from_source = builder.new_input(packets, Pipeline);
    let (events_output, events_stream) = builder.new_output::<Vec<Packet>>();
    let (readings_output, readings_stream) = builder.new_output::<Vec<Packet>>();
    let mut events_output = timely::dataflow::operators::generic::OutputBuilder::<
        _,
        CapacityContainerBuilder<Vec<Packet>>,
    >::from(events_output);
    let mut readings_output = timely::dataflow::operators::generic::OutputBuilder::<
        _,
        CapacityContainerBuilder<Vec<Packet>>,
    >::from(readings_output);
    let state = state.clone();
    let routing = routing.clone();
    builder.build(move |_caps| {
        let mut per_dest: Vec<Vec<Event>> = vec![Vec::new(); peers as usize];
        move |_frontiers| {
            let mut ev = events_output.activate();
            let mut rd = readings_output.activate();
            from_source.for_each(|cap, data| {
                let Some(&epoch) = cap.least() else { return };
                let (Some(cap_events), Some(cap_readings)) =
                    (cap.retain_least(0), cap.retain_least(1))
                else {
                    return;
                };
                let mut w = state.borrow_mut();
                for packet in data.drain(..) {
                    let events = match w.sealer.unpack(packet, me, epoch) {
                        Ok(Body::Events(e)) => e,
                        Ok(_) => {
                            w.fail(StreamError::Sealed("a source packet without events".into()));
                            continue;
                        }
                        Err(e) => {
                            w.fail(e);
                            continue;
                        }
                    };
                    let mut readings = Vec::with_capacity(events.len());
                    for e in events {
                        if e.property != Property::Load {
                            w.report.counts.work += 1;
                            continue;
                        }
                        w.report.counts.loads += 1;
                        readings.push((e.timestamp, to_milliwatts(e.value)));
                        let r = routing.route(e.house, epoch);
                        per_dest[r.primary as usize].push(e);
                        if let Some(replica) = r.replica {
                            per_dest[replica as usize].push(e);
                        }
                    }
                    for (dest, batch) in per_dest.iter_mut().enumerate() {
                        if batch.is_empty() {
                            continue;
                        }
                        match w.sealer.pack(
                            Kind::Events,
                            dest as u32,
                            epoch,
                            Body::Events(std::mem::take(batch)),
                        ) {
                            Ok(p) => ev.session(&cap_events).give(p),
                            Err(e) => w.fail(e),
                        }
                    }
                    if !readings.is_empty() {
                        match w
                            .sealer
                            .pack(Kind::Readings, 0, epoch, Body::Readings(readings))
                        {
                            Ok(p) => rd.session(&cap_readings).give(p),
                            Err(e) => w.fail(e),
                        }
                    }
                }
            });
        }
    });
    (events_stream, readings_stream)
}
