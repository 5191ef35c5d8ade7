//! The supplier (aggregator) of a cluster (DREAM §5.1, §5.3, §6).
//!
//! Call order: `start` sets the set-up timer; `Register` messages are
//! collected until it fires, then the `Directory` goes to every registered
//! meter (§5.1). For each slot t the first window collects readings; then
//! either the total is published (all present, or M = 0 and all present),
//! or — robust variant — the meters that answered are asked for the
//! missing dummy keys and their C_i (§6 step 2), and the second window's
//! end publishes the total or reports why it cannot.

use std::collections::BTreeMap;
use std::sync::Arc;

use sfumato_crypto::symmetric::{
    AgreementKeyPair, AgreementPublicKey, MaskKey, Prf, aggregate, aggregator_key, decrypt,
    pairwise_key, sum_keys,
};

use zeroize::Zeroizing;

use crate::context::NodeContext;
use crate::dream::durable::{NodeState, SlotRecord, SupplierState, decode_state, encode_state};
use crate::dream::messages::DreamMessage;
use crate::dream::meter::KEYSTREAM_CONTEXT;
use crate::dream::node::{DreamEvent, DreamNode, DreamTimer, SlotOutcome, SlotStatus};
use crate::dream::params::ClusterPlan;
use crate::error::{ProtocolError, Result};
use crate::node::{NodeId, Time};
use crate::rng::NodeRng;

/// One slot in progress.
#[derive(Debug, Default)]
struct SlotState {
    readings: BTreeMap<u32, u64>,
    asked: Vec<u32>,
    missing: u32,
    replies: BTreeMap<u32, u64>,
    refused: bool,
    closed: bool,
}

/// A cluster's supplier.
pub struct Supplier {
    plan: Arc<ClusterPlan>,
    identity: AgreementKeyPair,
    registered: BTreeMap<u32, [u8; 32]>,
    keystreams: BTreeMap<u32, Prf>,
    slots: BTreeMap<u32, SlotState>,
}

impl core::fmt::Debug for Supplier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Supplier")
            .field("registered", &self.registered.len())
            .finish_non_exhaustive()
    }
}

impl Supplier {
    /// The supplier of `plan`, its identity drawn from `rng`.
    pub fn new(plan: Arc<ClusterPlan>, rng: &mut NodeRng) -> Supplier {
        Supplier {
            plan,
            identity: AgreementKeyPair::generate(rng),
            registered: BTreeMap::new(),
            keystreams: BTreeMap::new(),
            slots: BTreeMap::new(),
        }
    }

    /// The supplier's durable state (see [`crate::dream::durable`]): its
    /// key, the registered meters and every slot's state, closed slots
    /// included. Secret: zeroized on drop.
    pub fn snapshot(&self) -> Result<Zeroizing<Vec<u8>>> {
        encode_state(&NodeState::Supplier(SupplierState {
            identity: *self.identity.to_secret_bytes(),
            registered: self.registered.iter().map(|(k, p)| (*k, *p)).collect(),
            keyed: !self.keystreams.is_empty(),
            slots: self
                .slots
                .iter()
                .map(|(t, s)| SlotRecord {
                    slot: *t,
                    readings: s.readings.iter().map(|(k, c)| (*k, *c)).collect(),
                    asked: s.asked.clone(),
                    missing: s.missing,
                    replies: s.replies.iter().map(|(k, v)| (*k, *v)).collect(),
                    refused: s.refused,
                    closed: s.closed,
                })
                .collect(),
        }))
    }

    /// The supplier of `plan` as [`Supplier::snapshot`] left it. Errors:
    /// bytes that are not a supplier's snapshot.
    pub fn restore(plan: Arc<ClusterPlan>, snapshot: &[u8]) -> Result<Supplier> {
        let NodeState::Supplier(state) = decode_state(snapshot)? else {
            return Err(ProtocolError::Malformed(
                "the snapshot is not a supplier's".into(),
            ));
        };
        let mut supplier = Supplier {
            plan,
            identity: AgreementKeyPair::from_secret_bytes(&state.identity),
            registered: state.registered.iter().copied().collect(),
            keystreams: BTreeMap::new(),
            slots: state
                .slots
                .iter()
                .map(|r| {
                    (
                        r.slot,
                        SlotState {
                            readings: r.readings.iter().copied().collect(),
                            asked: r.asked.clone(),
                            missing: r.missing,
                            replies: r.replies.iter().copied().collect(),
                            refused: r.refused,
                            closed: r.closed,
                        },
                    )
                })
                .collect(),
        };
        if state.keyed {
            supplier.derive_keystreams();
        }
        Ok(supplier)
    }

    /// K'_i of every registered meter (§5.1).
    fn derive_keystreams(&mut self) {
        for (k, public) in &self.registered {
            if let Ok(key) = pairwise_key(
                &self.identity,
                &AgreementPublicKey::from(*public),
                KEYSTREAM_CONTEXT,
            ) {
                self.keystreams.insert(*k, Prf::from(&key));
            }
        }
    }

    pub(crate) fn start(&mut self, ctx: &mut NodeContext<'_, DreamNode>) {
        let p = self.plan.params;
        ctx.set_timer(p.directory_time(), DreamTimer::Setup);
    }

    pub(crate) fn on_message(
        &mut self,
        _now: Time,
        from: NodeId,
        msg: DreamMessage,
        _ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        let Some(k) = self.plan.index_of(from) else {
            return;
        };
        match msg {
            DreamMessage::Register { public } if self.keystreams.is_empty() => {
                self.registered.entry(k).or_insert(public);
            }
            DreamMessage::Reading { slot, ciphertext }
                if self.keystreams.contains_key(&k) && slot < self.plan.params.slots =>
            {
                let s = self.slots.entry(slot).or_default();
                if !s.closed && s.asked.is_empty() {
                    s.readings.entry(k).or_insert(ciphertext);
                }
            }
            DreamMessage::Recovery { slot, value } => {
                if let Some(s) = self.slots.get_mut(&slot)
                    && !s.closed
                    && s.asked.contains(&k)
                {
                    s.replies.entry(k).or_insert(value);
                }
            }
            DreamMessage::Refuse { slot } => {
                if let Some(s) = self.slots.get_mut(&slot)
                    && s.asked.contains(&k)
                {
                    s.refused = true;
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        now: Time,
        timer: DreamTimer,
        ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        let p = self.plan.params;
        match timer {
            DreamTimer::Setup => {
                self.set_up(ctx);
                if p.slots > 0 {
                    ctx.set_timer(p.slot_time(0).plus(p.window), DreamTimer::Collect(0));
                }
            }
            DreamTimer::Collect(t) => {
                if t + 1 < p.slots {
                    ctx.set_timer(
                        p.slot_time(t + 1).plus(p.window),
                        DreamTimer::Collect(t + 1),
                    );
                }
                self.collect(t, now, ctx);
            }
            DreamTimer::Finish(t) => self.finish(t, ctx),
            DreamTimer::Slot(_) => {}
        }
    }

    /// §5.1: the directory, and the keystream keys of registered meters.
    fn set_up(&mut self, ctx: &mut NodeContext<'_, DreamNode>) {
        self.derive_keystreams();
        ctx.work("x25519", self.registered.len() as u64);
        let meters: Vec<(u32, [u8; 32])> = self.registered.iter().map(|(k, p)| (*k, *p)).collect();
        let supplier = self.identity.public_key().to_bytes();
        for k in self.keystreams.keys() {
            ctx.send(
                self.plan.meters[*k as usize],
                DreamMessage::Directory {
                    supplier,
                    meters: meters.clone(),
                },
            );
        }
    }

    fn collect(&mut self, t: u32, now: Time, ctx: &mut NodeContext<'_, DreamNode>) {
        let p = self.plan.params;
        let s = self.slots.entry(t).or_default();
        let reporting = s.readings.len() as u32;
        let missing: Vec<u32> = (0..p.cluster_size)
            .filter(|k| !s.readings.contains_key(k))
            .collect();
        s.missing = missing.len() as u32;
        let status = if reporting == 0 {
            Some(SlotStatus::TooManyMissing)
        } else if !p.robust() {
            if missing.is_empty() {
                None
            } else {
                Some(SlotStatus::MissingWithoutRecovery)
            }
        } else if missing.len() > p.tolerate as usize {
            Some(SlotStatus::TooManyMissing)
        } else {
            // §6 step 2: ask every meter that answered.
            s.asked = s.readings.keys().copied().collect();
            for k in &s.asked {
                ctx.send(
                    self.plan.meters[*k as usize],
                    DreamMessage::Recover {
                        slot: t,
                        missing: missing.clone(),
                    },
                );
            }
            ctx.set_timer(now.plus(p.window), DreamTimer::Finish(t));
            return;
        };
        match status {
            None => self.publish(t, ctx),
            Some(status) => self.close(t, None, status, ctx),
        }
    }

    fn finish(&mut self, t: u32, ctx: &mut NodeContext<'_, DreamNode>) {
        let Some(s) = self.slots.get(&t) else { return };
        if s.closed {
            return;
        }
        if s.refused {
            self.close(t, None, SlotStatus::Refused, ctx);
        } else if s.replies.len() < s.asked.len() {
            self.close(t, None, SlotStatus::SecondRoundIncomplete, ctx);
        } else {
            self.publish(t, ctx);
        }
    }

    /// §5.3: Σ Enc − Σ K'_i (− Σ second-round answers, §6 step 4).
    fn publish(&mut self, t: u32, ctx: &mut NodeContext<'_, DreamNode>) {
        let Some(s) = self.slots.get(&t) else { return };
        let slot = u64::from(t);
        let keys: Vec<MaskKey> = s
            .readings
            .keys()
            .filter_map(|k| self.keystreams.get(k))
            .map(|prf| aggregator_key(prf, slot))
            .chain(s.replies.values().map(|v| MaskKey::new(*v)))
            .collect();
        let total = decrypt(
            aggregate(s.readings.values().copied()),
            &sum_keys(keys.iter()),
        ) as i64;
        ctx.work("prf", s.readings.len() as u64);
        self.close(t, Some(total), SlotStatus::Published, ctx);
    }

    fn close(
        &mut self,
        t: u32,
        published: Option<i64>,
        status: SlotStatus,
        ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        let Some(s) = self.slots.get_mut(&t) else {
            return;
        };
        s.closed = true;
        let outcome = SlotOutcome {
            slot: t,
            published,
            reporting: s.readings.len() as u32,
            missing: s.missing,
            status,
        };
        // Keep only what later messages need to be recognised as late.
        s.readings.clear();
        s.replies.clear();
        ctx.report(DreamEvent::Slot(outcome));
    }
}
