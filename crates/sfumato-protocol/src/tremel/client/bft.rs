//! A client of Tremel's Byzantine-tolerant queries (§5.2, §6.3, §6.4, §6.6;
//! docs/tremel-bft.md):
//!
//! * **Setup**: on the query, the meter clamps its record into the query's
//!   ranges, adds its aggregate noise share and its paired noise, blinds
//!   the tuple and asks the owner for one signature;
//! * **Shuffle**: with the unblinded signature, the tuple goes to its
//!   `2t + 1` proxies along node-disjoint tunneled paths;
//! * **Agreement**: `t + 1` Dolev–Strong rounds among each tuple's proxies
//!   ([`crate::tremel::crusader`]), with every tuple checked for the owner's
//!   signature, the query number, a reused signature and the pollution
//!   filter's band;
//! * every message between clients travels in a signed envelope, checked
//!   against the sender the transport names (and, as in every variant,
//!   round messages only from the round's predecessor).

use std::collections::BTreeMap;
use std::sync::Arc;

use rand_core::Rng;
use sha2::{Digest, Sha256};

use crate::context::NodeContext;
use crate::message::{decode, encode};
use crate::node::{NodeId, Time};
use crate::tremel::client::Client;
use crate::tremel::crusader::{Agreement, Endorsement};
use crate::tremel::messages::{
    EndorsementBytes, QueryRequest, SignedTupleBytes, TremelMessage, Tuple, envelope_bytes,
};
use crate::tremel::node::TremelNode;
use crate::tremel::noise::{aggregate_share, contribution, pair_noise};
use crate::tremel::onions::{OnionSuite, work};

/// A meter's tuple waiting for the owner's signature.
pub(crate) struct Pending<S: OnionSuite> {
    query: u64,
    bytes: Vec<u8>,
    blinding: Arc<S::Blinding>,
    proxies: Vec<u32>,
}

impl<S: OnionSuite> Clone for Pending<S> {
    fn clone(&self) -> Self {
        Pending {
            query: self.query,
            bytes: self.bytes.clone(),
            blinding: self.blinding.clone(),
            proxies: self.proxies.clone(),
        }
    }
}

impl<S: OnionSuite> core::fmt::Debug for Pending<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pending")
            .field("query", &self.query)
            .finish_non_exhaustive()
    }
}

/// A tuple this node proxies and its agreement.
#[derive(Clone, Debug)]
struct Held {
    signed: SignedTupleBytes,
    tuple: Tuple,
    agreement: Agreement,
}

/// The Byzantine variant's state in one query.
#[derive(Clone, Debug, Default)]
pub(crate) struct BftRun {
    /// Tuples by the SHA-256 of their encoding.
    tuples: BTreeMap<[u8; 32], Held>,
    /// Owner signatures accepted, with the tuple each signed.
    signatures: BTreeMap<Vec<u8>, [u8; 32]>,
}

impl BftRun {
    /// The tuples the agreement decided to use.
    pub(crate) fn used(&self) -> Vec<&Tuple> {
        self.tuples
            .values()
            .filter(|h| h.agreement.decided())
            .map(|h| &h.tuple)
            .collect()
    }
}

/// The paired-noise draw of `field` in query `query`.
fn draw_index(query: u64, field: u16) -> u64 {
    query.wrapping_mul(1 << 16).wrapping_add(u64::from(field))
}

impl<S: OnionSuite> Client<S> {
    /// Sends `msg` to `to`, in a signed envelope in the Byzantine variant.
    pub(crate) fn send(
        &mut self,
        to: u32,
        msg: TremelMessage<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        if self.params.variant != crate::tremel::Variant::Byzantine {
            ctx.send(NodeId(to), msg);
            return;
        }
        let signed = envelope_bytes(to, &msg).and_then(|b| self.suite.sign(&b));
        let Ok(signature) = signed else {
            self.stats.unroutable += 1;
            return;
        };
        ctx.work(work::SIGN, 1);
        self.stats.signatures += 1;
        ctx.send(
            NodeId(to),
            TremelMessage::Signed {
                signature: signature.to_vec(),
                body: Box::new(msg),
            },
        );
    }

    /// Byzantine variant: the message inside a valid envelope from a
    /// client, or the owner's own messages; `None` (counted) otherwise.
    pub(crate) fn open_envelope(
        &mut self,
        from: NodeId,
        msg: TremelMessage<S::Packet>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) -> Option<TremelMessage<S::Packet>> {
        let owner = self.params.owner();
        match msg {
            TremelMessage::Query(_) | TremelMessage::SignReply { .. } if from == owner => Some(msg),
            TremelMessage::Signed { signature, body }
                if u64::from(from.0) < self.params.n
                    && !matches!(*body, TremelMessage::Signed { .. }) =>
            {
                let sig = <[u8; 64]>::try_from(signature.as_slice()).ok();
                let bytes = envelope_bytes(self.id, &body).ok();
                ctx.work(work::VERIFY, 1);
                self.stats.verifications += 1;
                match (sig, bytes) {
                    (Some(sig), Some(bytes)) if self.suite.verify(from.0, &bytes, &sig) => {
                        Some(*body)
                    }
                    _ => {
                        self.stats.refused += 1;
                        None
                    }
                }
            }
            _ => {
                self.stats.refused += 1;
                None
            }
        }
    }

    /// Setup (§5.2, §6.6): the noisy, clamped tuple, blinded, and the
    /// request for the owner's signature.
    pub(crate) fn begin_bft(
        &mut self,
        req: &QueryRequest,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        self.pending = None;
        let noise = req.noise.as_ref();
        let valid = match noise {
            Some(plan) => req.spec.check_noise(plan).is_ok(),
            // Filtered queries only with noise (§6.6).
            None => req.spec.filter.is_none(),
        };
        if !valid {
            self.stats.refused += 1;
            return;
        }
        let fields = req.spec.fields_needed();
        let Some(raw) = self
            .records
            .as_ref()
            .and_then(|r| r.get(req.window as usize))
            .filter(|r| r.len() >= fields)
        else {
            return;
        };
        // A meter the filter leaves out contributes zeros with its noise,
        // so that the tuples do not tell who was selected.
        let mut record = if req.spec.selects(self.id, raw) {
            raw[..fields].to_vec()
        } else {
            vec![0; fields]
        };
        if !self.unclamped {
            for r in &req.spec.ranges {
                if let Some(v) = record.get_mut(usize::from(r.field)) {
                    *v = (*v).clamp(r.lo, r.hi);
                }
            }
        }
        if let Some(plan) = noise {
            let n = self.params.n;
            let succ = self.partner(req, 0);
            let step = self.overlay.partner(0, req.first_round).0;
            let pred = ((u64::from(self.id) + n - step) % n) as u32;
            for f in &plan.fields {
                let (Ok(sum), Ok(rec)) = (f.sum(), f.record()) else {
                    return;
                };
                let Some(v) = record.get_mut(usize::from(f.field)) else {
                    continue;
                };
                let Ok(share) = aggregate_share(ctx.rng(), plan.parties, sum) else {
                    return;
                };
                let mut pair = |other: u32| -> i64 {
                    if u64::from(other) >= plan.meters || other == self.id {
                        return 0;
                    }
                    ctx.work(work::PAIR_KEY, 1);
                    self.suite
                        .pair_key(other)
                        .map_or(0, |k| pair_noise(&k, draw_index(req.number, f.field), rec))
                };
                let z_out = pair(succ);
                let z_in = pair(pred);
                *v = contribution(*v, i64::MIN, i64::MAX, share, z_out, z_in);
            }
        }
        let tuple = self.draw_tuple(req.number, record, ctx);
        let proxies = tuple.proxies.clone();
        let Ok(bytes) = encode(&tuple) else { return };
        ctx.work(work::BLIND, 1);
        let Ok((request, blinding)) = self.suite.blind_tuple(ctx.rng(), &bytes) else {
            self.stats.unroutable += 1;
            return;
        };
        self.stats.contributed += 1;
        self.pending = Some(Pending {
            query: req.number,
            bytes,
            blinding: Arc::new(blinding),
            proxies,
        });
        ctx.send(
            self.params.owner(),
            TremelMessage::SignRequest {
                query: req.number,
                request,
            },
        );
    }

    /// The owner's blinded signature: unblind it and Shuffle the signed
    /// tuple, if round 0 has not been sent yet.
    pub(crate) fn on_sign_reply(
        &mut self,
        blinded: Vec<u8>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let current = self.running.as_ref().map(|r| r.req.number);
        let Some(p) = self.pending.take().filter(|p| Some(p.query) == current) else {
            self.stats.refused += 1;
            return;
        };
        let Ok(signature) = self.suite.finalize_tuple(&blinded, &p.blinding, &p.bytes) else {
            self.stats.refused += 1;
            return;
        };
        let Some(run) = self.running.as_ref() else {
            return;
        };
        if run.next_round > 0 {
            self.stats.late_signatures += 1;
            return;
        }
        let req = run.req.clone();
        let signed = SignedTupleBytes {
            tuple: p.bytes,
            signature,
        };
        let Ok(payload) = encode(&signed) else { return };
        let mut others: Vec<u32> = p
            .proxies
            .iter()
            .copied()
            .filter(|x| *x != self.id)
            .collect();
        if self.selective_shuffle {
            // Keep a random 1 to t of them.
            let keep = 1 + (ctx.rng().next_u64() % u64::from(self.params.t.max(1))) as usize;
            while others.len() > keep {
                let k = (ctx.rng().next_u64() % others.len() as u64) as usize;
                others.swap_remove(k);
            }
        } else if others.len() < p.proxies.len() {
            self.deliver_signed(&payload, ctx);
        }
        self.shuffle(&req, &others, &payload, ctx);
    }

    /// The agreement round of the current time (0 during the Shuffle).
    fn agreement_round_now(&self, now: Time) -> u32 {
        let Some(run) = self.running.as_ref() else {
            return 0;
        };
        let rel = now.0.saturating_sub(run.req.start.0) / self.params.round_length.0.max(1);
        let rel = u32::try_from(rel).unwrap_or(u32::MAX);
        self.params.agreement_round_at(&self.overlay, rel)
    }

    /// A tuple delivered by the Shuffle: accepted in round 0 if it passes
    /// the checks and the Shuffle is still on.
    pub(crate) fn deliver_signed(
        &mut self,
        payload: &[u8],
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        let Ok(signed) = decode::<SignedTupleBytes>(payload) else {
            self.stats.refused += 1;
            return;
        };
        if self.agreement_round_now(ctx.now()) != 0 {
            self.stats.refused += 1;
            return;
        }
        if let Some(digest) = self.check_tuple(&signed, ctx)
            && let Some(held) = self
                .running
                .as_mut()
                .and_then(|r| r.bft.tuples.get_mut(&digest))
        {
            held.agreement.receive();
        }
    }

    /// Checks an owner-signed tuple once (§5.2, §6.3, §6.4): the owner's
    /// signature, not reused on another tuple; this query; `2t + 1`
    /// proxies, one per group, this node among them; the pollution
    /// filter's band. Returns its digest, with its agreement held.
    fn check_tuple(
        &mut self,
        signed: &SignedTupleBytes,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) -> Option<[u8; 32]> {
        let digest: [u8; 32] = Sha256::digest(&signed.tuple).into();
        let run = self.running.as_ref()?;
        if run.bft.tuples.contains_key(&digest) {
            return Some(digest);
        }
        if run.aggregating || run.bft.signatures.contains_key(&signed.signature) {
            self.stats.refused += 1;
            return None;
        }
        ctx.work(work::TUPLE_VERIFY, 1);
        self.stats.tuple_checks += 1;
        if !self.suite.verify_tuple(&signed.tuple, &signed.signature) {
            self.stats.refused += 1;
            return None;
        }
        let Ok(tuple) = decode::<Tuple>(&signed.tuple) else {
            self.stats.refused += 1;
            return None;
        };
        let groups = self.params.groups();
        let well_placed = tuple.proxies.len() == groups as usize
            && tuple
                .proxies
                .iter()
                .enumerate()
                .all(|(g, p)| self.params.group_members(g as u32).contains(p))
            && tuple.proxies.get(self.group as usize) == Some(&self.id);
        if tuple.query != run.req.number
            || !well_placed
            || tuple.record.len() < run.req.spec.fields_needed()
        {
            self.stats.refused += 1;
            return None;
        }
        if !run
            .req
            .spec
            .in_range_within(&tuple.record, run.req.noise.as_ref())
        {
            self.stats.polluted += 1;
            return None;
        }
        let agreement =
            Agreement::new(tuple.query, digest, tuple.proxies.clone(), self.params.t).ok()?;
        let run = self.running.as_mut()?;
        run.bft.signatures.insert(signed.signature.clone(), digest);
        run.bft.tuples.insert(
            digest,
            Held {
                signed: signed.clone(),
                tuple,
                agreement,
            },
        );
        self.stats.tuples_held += 1;
        Some(digest)
    }

    /// A relay of agreement round `round` from `from`.
    pub(crate) fn on_agree(
        &mut self,
        from: NodeId,
        round: u32,
        tuple: Arc<SignedTupleBytes>,
        endorsements: Arc<Vec<EndorsementBytes>>,
        ctx: &mut NodeContext<'_, TremelNode<S>>,
    ) {
        if round == 0 || round != self.agreement_round_now(ctx.now()) {
            self.stats.refused += 1;
            return;
        }
        let Some(digest) = self.check_tuple(&tuple, ctx) else {
            return;
        };
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let Some(held) = run.bft.tuples.get_mut(&digest) else {
            return;
        };
        if !held.agreement.proxies().contains(&from.0) {
            self.stats.refused += 1;
            return;
        }
        if held.agreement.decided() {
            return;
        }
        let mut es = Vec::with_capacity(endorsements.len());
        for e in endorsements.iter() {
            match <[u8; 64]>::try_from(e.signature.as_slice()) {
                Ok(signature) => es.push(Endorsement {
                    proxy: e.proxy,
                    signature,
                }),
                Err(_) => {
                    self.stats.refused += 1;
                    return;
                }
            }
        }
        let suite = &self.suite;
        let mut checked = 0u64;
        let mut verify = |p: u32, b: &[u8], s: &[u8; 64]| {
            checked += 1;
            suite.verify(p, b, s)
        };
        let result = held.agreement.on_relay(round, &es, &mut verify);
        ctx.work(work::VERIFY, checked);
        self.stats.verifications += checked;
        if result.is_err() {
            self.stats.refused += 1;
        }
    }

    /// At relative round `round`: if an agreement round starts, relay
    /// every tuple accepted in the previous one.
    pub(crate) fn agreement_round(&mut self, round: u32, ctx: &mut NodeContext<'_, TremelNode<S>>) {
        let first = self.params.first_phase_rounds(&self.overlay);
        let len = self.params.echo_rounds.max(1);
        if round < first || !(round - first).is_multiple_of(len) {
            return;
        }
        let r = (round - first) / len + 1;
        if r > self.params.agreement_rounds() {
            return;
        }
        let me = self.id;
        let suite = &self.suite;
        let Some(run) = self.running.as_mut() else {
            return;
        };
        let query = run.req.number;
        let mut out = Vec::new();
        let mut signed = 0u64;
        for held in run.bft.tuples.values_mut() {
            let mut sign = |b: &[u8]| {
                signed += 1;
                suite.sign(b).unwrap_or([0; 64])
            };
            if let Some(es) = held.agreement.relay(r, me, &mut sign) {
                let endorsements: Arc<Vec<EndorsementBytes>> = es
                    .iter()
                    .map(|e| EndorsementBytes {
                        proxy: e.proxy,
                        signature: e.signature.to_vec(),
                    })
                    .collect::<Vec<_>>()
                    .into();
                let tuple = Arc::new(held.signed.clone());
                for to in held.agreement.proxies() {
                    if *to != me {
                        out.push((*to, tuple.clone(), endorsements.clone()));
                    }
                }
            }
        }
        ctx.work(work::SIGN, signed);
        self.stats.signatures += signed;
        for (to, tuple, endorsements) in out {
            self.stats.relays += 1;
            self.stats.items_sent += 1;
            self.send(
                to,
                TremelMessage::Agree {
                    query,
                    round: r,
                    tuple,
                    endorsements,
                },
                ctx,
            );
        }
    }
}
