//! A smart meter (DREAM §5.1, §5.2, §6).
//!
//! Call order: `start` registers the meter's public key with the supplier
//! and sets the timer of slot 0; the supplier's `Directory` lets it derive
//! its pairwise keys K_{i,j} with every other meter and its keystream key
//! K'_i with the supplier (§5.1); each slot timer sends Enc(X̂_t) (§5.2);
//! a `Recover` request gets the missing dummy keys plus C_i, once per slot,
//! or a refusal when more than M meters are declared missing (§6).

use std::collections::BTreeMap;
use std::sync::Arc;

use sfumato_crypto::symmetric::{
    AgreementKeyPair, AgreementPublicKey, MaskKey, PairwiseKey, PairwiseMasks, Prf, aggregator_key,
    encrypt, pairwise_key,
};
use zeroize::Zeroizing;

use crate::context::NodeContext;
use crate::dream::durable::{MeterKeys, MeterState, NodeState, PeerKey, encode_state};
use crate::dream::ledger::PrivacyLedger;
use crate::dream::messages::DreamMessage;
use crate::dream::node::{DreamNode, DreamTimer};
use crate::dream::noise::noise_share;
use crate::dream::params::ClusterPlan;
use crate::error::{ProtocolError, Result};
use crate::node::{NodeId, Time};
use crate::rng::NodeRng;

/// HKDF context of the pairwise keys between meters.
pub const PAIRWISE_CONTEXT: &[u8] = b"sfumato/dream/pairwise";
/// HKDF context of the keystream key shared with the supplier.
pub const KEYSTREAM_CONTEXT: &[u8] = b"sfumato/dream/keystream";

/// A meter of a cluster.
pub struct Meter {
    plan: Arc<ClusterPlan>,
    index: u32,
    identity: AgreementKeyPair,
    readings: Arc<[u64]>,
    masks: Option<PairwiseMasks>,
    keystream: Option<Prf>,
    /// C_i of the slots whose second round is still open.
    pending: BTreeMap<u32, MaskKey>,
    ledger: PrivacyLedger,
    noise_failures: u32,
}

impl core::fmt::Debug for Meter {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Meter")
            .field("index", &self.index)
            .field("keyed", &self.masks.is_some())
            .finish_non_exhaustive()
    }
}

impl Meter {
    /// Meter `index` of `plan`, whose readings (in units, one per slot) are
    /// `readings`; its long-term identity is drawn from `rng`.
    pub fn new(
        plan: Arc<ClusterPlan>,
        index: u32,
        readings: Arc<[u64]>,
        rng: &mut NodeRng,
    ) -> Meter {
        Meter {
            plan,
            index,
            identity: AgreementKeyPair::generate(rng),
            readings,
            masks: None,
            keystream: None,
            pending: BTreeMap::new(),
            ledger: PrivacyLedger::new(),
            noise_failures: 0,
        }
    }

    /// The meter's privacy ledger: ε(t) of every slot it reported.
    pub fn ledger(&self) -> &PrivacyLedger {
        &self.ledger
    }

    /// Whether the set-up gave it its keys.
    pub fn is_keyed(&self) -> bool {
        self.masks.is_some()
    }

    /// The meter's durable state (see [`crate::dream::durable`]): its
    /// long-term key, the keys of §5.1, the open C_i and its ledger.
    /// Secret: zeroized on drop.
    pub fn snapshot(&self) -> Result<Zeroizing<Vec<u8>>> {
        let keys = match (&self.masks, &self.keystream) {
            (Some(masks), Some(keystream)) => Some(MeterKeys {
                keystream: *keystream.to_key_bytes(),
                peers: masks
                    .peer_keys()
                    .map(|(peer, key)| PeerKey {
                        peer,
                        key: *key.as_bytes(),
                    })
                    .collect(),
            }),
            _ => None,
        };
        encode_state(&NodeState::Meter(MeterState {
            index: self.index,
            identity: *self.identity.to_secret_bytes(),
            keys,
            pending: self.pending.iter().map(|(t, c)| (*t, c.value())).collect(),
            ledger: self.ledger.clone(),
            noise_failures: self.noise_failures,
        }))
    }

    /// Meter `index` of `plan` as [`Meter::snapshot`] left it, with its
    /// readings supplied again. Errors: bytes that are not a meter's
    /// snapshot, or the snapshot of another meter.
    pub fn restore(
        plan: Arc<ClusterPlan>,
        index: u32,
        readings: Arc<[u64]>,
        snapshot: &[u8],
    ) -> Result<Meter> {
        let NodeState::Meter(state) = crate::dream::durable::decode_state(snapshot)? else {
            return Err(ProtocolError::Malformed(
                "the snapshot is not a meter's".into(),
            ));
        };
        if state.index != index {
            return Err(ProtocolError::Malformed(format!(
                "the snapshot is meter {}'s, not meter {index}'s",
                state.index
            )));
        }
        let (masks, keystream) = match &state.keys {
            Some(keys) => {
                let masks = PairwiseMasks::new(
                    u64::from(index),
                    keys.peers
                        .iter()
                        .map(|p| (p.peer, PairwiseKey::from_bytes(&p.key))),
                    plan.params.selection_probability(),
                )
                .map_err(|e| ProtocolError::Malformed(e.to_string()))?;
                (Some(masks), Some(Prf::new(&keys.keystream)))
            }
            None => (None, None),
        };
        Ok(Meter {
            plan,
            index,
            identity: AgreementKeyPair::from_secret_bytes(&state.identity),
            readings,
            masks,
            keystream,
            pending: state
                .pending
                .iter()
                .map(|(t, c)| (*t, MaskKey::new(*c)))
                .collect(),
            ledger: state.ledger.clone(),
            noise_failures: state.noise_failures,
        })
    }

    pub(crate) fn start(&mut self, ctx: &mut NodeContext<'_, DreamNode>) {
        let public = self.identity.public_key().to_bytes();
        ctx.send(self.plan.supplier, DreamMessage::Register { public });
        ctx.set_timer(self.plan.params.slot_time(0), DreamTimer::Slot(0));
    }

    pub(crate) fn on_message(
        &mut self,
        _now: Time,
        from: NodeId,
        msg: DreamMessage,
        ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        if from != self.plan.supplier {
            return;
        }
        match msg {
            DreamMessage::Directory { supplier, meters } if self.masks.is_none() => {
                self.set_up(&supplier, &meters, ctx);
            }
            DreamMessage::Recover { slot, missing } => self.recover(slot, &missing, ctx),
            _ => {}
        }
    }

    /// §5.1: pairwise keys with every other meter listed, keystream key
    /// with the supplier.
    fn set_up(
        &mut self,
        supplier: &[u8; 32],
        meters: &[(u32, [u8; 32])],
        ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        let n = self.plan.params.cluster_size;
        let mut peers = Vec::with_capacity(meters.len());
        for (k, public) in meters {
            if *k == self.index || *k >= n || peers.iter().any(|(j, _)| *j == u64::from(*k)) {
                continue;
            }
            if let Ok(key) = pairwise_key(
                &self.identity,
                &AgreementPublicKey::from(*public),
                PAIRWISE_CONTEXT,
            ) {
                peers.push((u64::from(*k), key));
            }
        }
        ctx.work("x25519", peers.len() as u64 + 1);
        let Ok(key) = pairwise_key(
            &self.identity,
            &AgreementPublicKey::from(*supplier),
            KEYSTREAM_CONTEXT,
        ) else {
            return;
        };
        if let Ok(masks) = PairwiseMasks::new(
            u64::from(self.index),
            peers,
            self.plan.params.selection_probability(),
        ) {
            self.keystream = Some(Prf::from(&key));
            self.masks = Some(masks);
        }
    }

    pub(crate) fn on_timer(
        &mut self,
        now: Time,
        timer: DreamTimer,
        ctx: &mut NodeContext<'_, DreamNode>,
    ) {
        let DreamTimer::Slot(t) = timer else { return };
        let params = self.plan.params;
        if t >= params.slots {
            return;
        }
        if t + 1 < params.slots {
            ctx.set_timer(params.slot_time(t + 1), DreamTimer::Slot(t + 1));
        }
        if now >= params.slot_time(t).plus(params.window) {
            // A meter that was down (a restart) wakes after the slot's
            // window: the supplier would drop the reading, so sending it
            // would cost privacy (§7.3's ledger) for nothing.
            self.ledger.record_nothing();
            return;
        }
        let (Some(masks), Some(keystream)) = (&self.masks, &self.keystream) else {
            self.ledger.record_nothing();
            return;
        };
        let reading = self.readings.get(t as usize).copied().unwrap_or(0);
        let lambda = self.plan.lambdas[t as usize];
        // Phase 1 (§4.1, §5.2): the reading plus a share of the noise for
        // N − M parties (§6).
        let share = match noise_share(params.noise, params.noise_parties(), &lambda, ctx.rng()) {
            Ok(s) => s,
            Err(_) => {
                self.noise_failures += 1;
                self.ledger.record_nothing();
                return;
            }
        };
        let noisy = (reading as i64).wrapping_add(share) as u64;
        // Phase 2 (§4.2, §5.2): keystream K'_i, dummy keys, and in the
        // robust variant the secret C_i (§6 step 1).
        let slot = u64::from(t);
        let mut key = aggregator_key(keystream, slot).add(&masks.slot_key(slot));
        ctx.work("prf", masks.peer_ids().count() as u64 * 2 + 1);
        if params.robust() {
            let c = MaskKey::random(ctx.rng());
            key = key.add(&c);
            self.pending.insert(t, c);
        }
        ctx.send(
            self.plan.supplier,
            DreamMessage::Reading {
                slot: t,
                ciphertext: encrypt(noisy, &key),
            },
        );
        self.ledger.record(reading as f64, lambda.value);
    }

    /// §6 step 3, with the refusal an honest meter owes itself.
    fn recover(&mut self, slot: u32, missing: &[u32], ctx: &mut NodeContext<'_, DreamNode>) {
        let Some(masks) = &self.masks else { return };
        if !self.pending.contains_key(&slot) {
            // Never sent, or already answered: a second answer with another
            // missing set would reveal dummy keys.
            return;
        }
        let tolerate = self.plan.params.tolerate as usize;
        let mut absent: Vec<u64> = missing.iter().map(|k| u64::from(*k)).collect();
        absent.sort_unstable();
        absent.dedup();
        let bogus = absent.len() != missing.len()
            || absent.contains(&u64::from(self.index))
            || absent
                .iter()
                .any(|k| *k >= u64::from(self.plan.params.cluster_size));
        if absent.len() > tolerate || bogus {
            self.pending.remove(&slot);
            ctx.send(self.plan.supplier, DreamMessage::Refuse { slot });
            return;
        }
        if let Some(c) = self.pending.remove(&slot) {
            let value = masks.missing_key(u64::from(slot), &absent).add(&c).value();
            ctx.send(self.plan.supplier, DreamMessage::Recovery { slot, value });
        }
    }
}
