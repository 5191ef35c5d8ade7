//! DREAM's durable state is complete: a cluster whose every node is
//! replaced, between any two steps, by `restore(snapshot(node))` publishes
//! exactly what the same cluster publishes without restarts (same seed),
//! and a snapshot restored and taken again is the same bytes.

use std::collections::BTreeMap;
use std::sync::Arc;

use sfumato_protocol::context::Effects;
use sfumato_protocol::dream::{
    ClusterPlan, DreamEvent, DreamMessage, DreamNode, DreamParams, DreamTimer, Lambda, Meter,
    NoiseKind, SlotOutcome, Supplier,
};
use sfumato_protocol::{Context, Node, NodeId, NodeRng, RngKey, Time};

const N: u32 = 6;
const SLOTS: u32 = 5;

fn plan(tolerate: u32) -> Arc<ClusterPlan> {
    Arc::new(ClusterPlan {
        params: DreamParams {
            cluster_size: N,
            tolerate,
            partners: 3.0,
            noise: NoiseKind::Discrete,
            first_slot: Time::from_millis(1000),
            slot_length: Time::from_millis(1000),
            window: Time::from_millis(100),
            slots: SLOTS,
        },
        supplier: NodeId(0),
        meters: (1..=N).map(NodeId).collect(),
        lambdas: vec![Lambda::new(50, 1).unwrap(); SLOTS as usize].into(),
    })
}

fn readings(k: u32) -> Arc<[u64]> {
    (0..SLOTS)
        .map(|t| u64::from(100 + 7 * k + t))
        .collect::<Vec<_>>()
        .into()
}

fn restore(plan: &Arc<ClusterPlan>, id: NodeId, node: &DreamNode) -> DreamNode {
    let bytes = node.snapshot().unwrap();
    let again = if id.0 == 0 {
        DreamNode::Supplier(Box::new(Supplier::restore(plan.clone(), &bytes).unwrap()))
    } else {
        DreamNode::Meter(Box::new(
            Meter::restore(plan.clone(), id.0 - 1, readings(id.0 - 1), &bytes).unwrap(),
        ))
    };
    assert_eq!(*again.snapshot().unwrap(), *bytes, "node {id}");
    again
}

/// What the driver delivers.
enum Input {
    Msg(NodeId, NodeId, DreamMessage),
    Timer(NodeId, DreamTimer),
    Start(NodeId),
}

/// Runs the cluster with a minimal in-order driver: messages take 1 ms;
/// `restart(step)` says whether every node restarts before that step.
/// `down` meters miss slot 2 (their slot timer is dropped).
fn run(tolerate: u32, down: &[u32], restart: impl Fn(usize) -> bool) -> Vec<SlotOutcome> {
    let plan = plan(tolerate);
    let key = RngKey::from_seed(11);
    let mut nodes: BTreeMap<NodeId, (DreamNode, u64)> = BTreeMap::new();
    for id in (0..=N).map(NodeId) {
        let mut rng = NodeRng::at(&key, u64::from(id.0), 0);
        let node = if id.0 == 0 {
            DreamNode::Supplier(Box::new(Supplier::new(plan.clone(), &mut rng)))
        } else {
            DreamNode::Meter(Box::new(Meter::new(
                plan.clone(),
                id.0 - 1,
                readings(id.0 - 1),
                &mut rng,
            )))
        };
        nodes.insert(id, (node, rng.next_position()));
    }
    let mut queue: BTreeMap<(Time, u64), Input> = BTreeMap::new();
    let mut order = 0u64;
    for id in nodes.keys() {
        queue.insert((Time::ZERO, order), Input::Start(*id));
        order += 1;
    }
    let mut fx: Effects<DreamMessage, DreamTimer, DreamEvent> = Effects::default();
    let mut out = Vec::new();
    let mut step = 0usize;
    while let Some(((now, _), input)) = queue.pop_first() {
        if restart(step) {
            for (id, (node, _)) in nodes.iter_mut() {
                *node = restore(&plan, *id, node);
            }
        }
        step += 1;
        let id = match &input {
            Input::Msg(to, _, _) | Input::Timer(to, _) | Input::Start(to) => *to,
        };
        if let Input::Timer(to, DreamTimer::Slot(2)) = &input
            && down.contains(&to.0)
        {
            // Offline this slot: the next slot's timer is still due.
            queue.insert(
                (plan.params.slot_time(3), order),
                Input::Timer(*to, DreamTimer::Slot(3)),
            );
            order += 1;
            continue;
        }
        let Some((node, pos)) = nodes.get_mut(&id) else {
            continue;
        };
        fx.clear();
        {
            let mut ctx = Context::new(id, now, &key, pos, &mut fx);
            match input {
                Input::Start(_) => node.start(&mut ctx),
                Input::Msg(_, from, m) => node.handle_message(now, from, m, &mut ctx),
                Input::Timer(_, t) => node.handle_timer(now, t, &mut ctx),
            }
        }
        for m in fx.messages.drain(..) {
            queue.insert(
                (now.plus(Time::from_millis(1)), order),
                Input::Msg(m.to, id, m.msg),
            );
            order += 1;
        }
        for (at, t) in fx.timers.drain(..) {
            queue.insert((at.max(now), order), Input::Timer(id, t));
            order += 1;
        }
        for DreamEvent::Slot(o) in fx.events.drain(..) {
            out.push(o);
        }
    }
    out
}

#[test]
fn restarts_between_any_steps_change_nothing() {
    for tolerate in [0, 2] {
        let plain = run(tolerate, &[], |_| false);
        assert_eq!(plain.len(), SLOTS as usize);
        assert!(plain.iter().all(|o| o.published.is_some()), "{plain:?}");
        for every in [1, 2, 7] {
            assert_eq!(
                run(tolerate, &[], |s| s % every == 0),
                plain,
                "M = {tolerate}, every {every}"
            );
        }
    }
}

#[test]
fn restarts_during_a_recovery_round_change_nothing() {
    let plain = run(2, &[3, 5], |_| false);
    assert_eq!(plain[2].missing, 2);
    assert!(plain[2].published.is_some(), "{plain:?}");
    assert_eq!(run(2, &[3, 5], |s| s % 3 == 1), plain);
}
