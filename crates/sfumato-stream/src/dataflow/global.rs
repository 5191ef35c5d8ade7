//! Global (worker 0): the medians of all plugs over both windows, each
//! second's sent to every worker.

use std::cell::RefCell;
use std::rc::Rc;

use timely::container::CapacityContainerBuilder;
use timely::dataflow::Stream;
use timely::dataflow::channels::pact::Exchange;
use timely::dataflow::operators::Capability;
use timely::dataflow::operators::generic::operator::Operator;

use super::worker::{Stash, Worker, stash_input};
use crate::error::StreamError;
use crate::q2::GlobalMedians;
use crate::wire::{Body, Kind, Packet};

/// Global: the medians of all plugs, on worker 0. Takes the readings from
/// Route; returns the medians, for every worker.
pub(super) fn global<'scope>(
    readings_out: Stream<'scope, u64, Vec<Packet>>,
    state: &Rc<RefCell<Worker>>,
    me: u32,
    peers: u32,
) -> Stream<'scope, u64, Vec<Packet>> {
    let state = state.clone();
    let mut stash = Stash::new();
    let mut global = GlobalMedians::new();
    readings_out.unary_frontier::<CapacityContainerBuilder<Vec<Packet>>, _, _, _>(
        Exchange::new(|p: &Packet| u64::from(p.dest)),
        "Global",
        move |initial, _info| {
            let mut held: Option<Capability<u64>> = Some(initial);
            move |(input, frontier), output| {
                stash_input(input, &mut stash);
                let mut w = state.borrow_mut();
                while let Some((&epoch, _)) = stash.first_key_value() {
                    if frontier.less_equal(&epoch) {
                        break;
                    }
                    let packets = stash.remove(&epoch).unwrap_or_default();
                    let mut readings: Vec<(u32, u32)> = Vec::new();
                    for p in packets {
                        match w.sealer.unpack(p, me, epoch) {
                            Ok(Body::Readings(mut r)) => readings.append(&mut r),
                            Ok(_) => w.fail(StreamError::Sealed("not readings".into())),
                            Err(e) => w.fail(e),
                        }
                    }
                    readings.sort_unstable();
                    let mut medians = Vec::new();
                    let mut i = 0;
                    while i < readings.len() {
                        let ts = readings[i].0;
                        while i < readings.len() && readings[i].0 == ts {
                            global.add(ts, readings[i].1);
                            i += 1;
                        }
                        let Worker { pager, .. } = &mut *w;
                        match global.at(ts, pager) {
                            Ok(g) => medians.push(g),
                            Err(e) => w.fail(e),
                        }
                    }
                    w.report.counts.seconds += medians.len() as u64;
                    w.global_bytes = global.bytes();
                    let over = (w.global_bytes + w.house_bytes).saturating_sub(w.pager.budget);
                    if over > 0 && w.pager.evicts() {
                        let enough = over.div_ceil(crate::window_log::PAGE_BYTES);
                        let Worker { pager, .. } = &mut *w;
                        if let Err(e) = global.evict(pager, enough) {
                            w.fail(e);
                        }
                        w.global_bytes = global.bytes();
                    }
                    if let Some(cap) = held.as_ref() {
                        let cap = cap.delayed(&epoch);
                        let mut session = output.session(&cap);
                        for dest in 0..peers {
                            match w.sealer.pack(
                                Kind::Globals,
                                dest,
                                epoch,
                                Body::Globals(medians.clone()),
                            ) {
                                Ok(p) => session.give(p),
                                Err(e) => w.fail(e),
                            }
                        }
                    }
                }
                match frontier.frontier().first() {
                    Some(&f) => {
                        if let Some(cap) = held.as_mut() {
                            let next = stash.keys().next().map_or(f, |&k| k.min(f));
                            if *cap.time() < next {
                                cap.downgrade(&next);
                            }
                        }
                    }
                    None => held = None,
                }
            }
        },
    )
}
