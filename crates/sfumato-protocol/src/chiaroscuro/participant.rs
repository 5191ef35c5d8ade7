//! A Chiaroscuro participant as a sans-IO node: Alg. 1's loop with Alg. 3's
//! computation step.
//!
//! Each iteration, on the participant's own gossip schedule
//! ([`crate::chiaroscuro::params`]):
//! 1. **Assignment** (Alg. 1 lines 4–6): the closest current centroid; the
//!    participant encrypts, as fixed-point integers, its series and a count
//!    of one in that cluster's slot and zeros elsewhere — **plus its noise
//!    shares** for all k·(n+1) values (§4.2.2, Def. 5 / Lemma 1, scales of
//!    Lemma 2). Alg. 3 runs two EESums in parallel, one for the means and
//!    one for the noise, and adds them before decryption; the sum being
//!    linear, we run one EESum of their sum, which yields the same
//!    perturbed means with half the messages.
//! 2. **EESum** (§4.2.1, Alg. 2) for `exchanges` periods. An initiator
//!    waits for its reply before taking part in another exchange (it
//!    answers [`ChiaroscuroMessage::Busy`] meanwhile), so every exchange is
//!    atomic and the sums conserve mass exactly; a reply the network
//!    bounces is sent again.
//! 3. **Correction** (§4.2.2): from the participation counter each
//!    participant knows how many shares were summed; it draws a random
//!    identifier and gossips it, smallest winning; halfway through, the
//!    holder of the smallest identifier sums as many fresh shares as the
//!    surplus over n_ν and the correction spreads with its identifier.
//! 4. **Decryption** (§4.2.3): the correction is subtracted, key holders
//!    apply their shares, states are merged or adopted until τ distinct
//!    shares decrypt; the result spreads.
//! 5. **Convergence** (§4.2.4) at the start of the next iteration: the new
//!    centroids are the published means that survived smoothing and the
//!    elimination of aberrant ones; the run stops when they moved less
//!    than θ, when the next iteration's noise would overwhelm them
//!    ([`crate::chiaroscuro::stop_after`]) or after n_it^max iterations.
//!    With DP initialisation, iteration 0 has one centroid and publishes
//!    the k centroids expanded around the mean of all series
//!    ([`crate::chiaroscuro::DpInit`]).

use std::sync::{Arc, Mutex, Weak};

use rand_core::Rng;
use rug::Integer;
use serde::{Deserialize, Serialize};

use crate::chiaroscuro::additive::AdditiveScheme;
use crate::chiaroscuro::decryption::{DecryptionState, Published};
use crate::chiaroscuro::eesum::EncryptedMeans;
use crate::chiaroscuro::kmeans::nearest;
use crate::chiaroscuro::messages::{ChiaroscuroMessage, Correction};
use crate::chiaroscuro::params::{ChiaroscuroParams, Phase, WEIGHT_ORIGIN};
use crate::chiaroscuro::perturbed::stop_after;
use crate::context::NodeContext;
use crate::dream::Lambda;
use crate::dream::noise::ShareSampler;
use crate::error::{ProtocolError, Result};
use crate::gossip::PeerSampler;
use crate::node::{Node, NodeId, Time};
use crate::rng::{BulkRng, NodeRng, RngKey};

/// Resends of a bounced EESum reply before giving up.
const MAX_REPLY_ATTEMPTS: u8 = 64;

/// Periods an initiator waits for the answer to its EESum request.
const LOCK_PERIODS: u64 = 3;

/// What all participants of a run share: the public parameters, the
/// scheme (public key) and the noise scales.
#[derive(Debug)]
pub struct Shared<S: AdditiveScheme> {
    /// The public parameters.
    pub params: ChiaroscuroParams,
    /// The encryption scheme.
    pub scheme: S,
    /// Per iteration, the share samplers for the noise scales (sum series,
    /// count) in fixed-point units, rounded up.
    samplers: Vec<(ShareSampler, ShareSampler)>,
    /// The results decrypted by participants in this process. Every
    /// participant that combines τ partial decryptions of the same root's
    /// means obtains an equal result; they keep one shared copy instead of
    /// one each (a simulated million participants would otherwise hold
    /// gigabytes of identical results).
    published: Mutex<Vec<Weak<Published>>>,
}

impl<S: AdditiveScheme> Shared<S> {
    /// Checks `params` and derives the noise scales.
    pub fn new(params: ChiaroscuroParams, scheme: S) -> Result<Arc<Shared<S>>> {
        params.validate()?;
        if scheme.threshold() == 0 || scheme.threshold() > params.committee {
            return Err(ProtocolError::invalid(
                "threshold",
                format!(
                    "τ = {} for a committee of {}",
                    scheme.threshold(),
                    params.committee
                ),
            ));
        }
        let unit = params.unit();
        let mut samplers = Vec::new();
        for i in 0..params.max_iterations() {
            let (sum, count) = params
                .noise_scales(i)
                .ok_or_else(|| ProtocolError::invalid("budget", "no noise scale"))?;
            let units = |l: f64| -> Result<Lambda> {
                let u = (l * unit).ceil();
                if !(1.0..1e18).contains(&u) {
                    return Err(ProtocolError::invalid(
                        "noise",
                        format!("a scale of {l} is out of range"),
                    ));
                }
                Lambda::new(u as u64, 1)
            };
            let sampler = |l: f64| ShareSampler::new(params.noise, params.noise_shares, &units(l)?);
            samplers.push((sampler(sum)?, sampler(count)?));
        }
        Ok(Arc::new(Shared {
            params,
            scheme,
            samplers,
            published: Mutex::new(Vec::new()),
        }))
    }

    /// One fixed-point unit.
    pub fn unit(&self) -> f64 {
        self.params.unit()
    }

    /// `p`, or an equal result already decrypted in this process.
    fn intern(&self, p: Arc<Published>) -> Arc<Published> {
        let Ok(mut table) = self.published.lock() else {
            return p;
        };
        table.retain(|w| w.strong_count() > 0);
        if let Some(q) = table.iter().filter_map(Weak::upgrade).find(|q| **q == *p) {
            return q;
        }
        table.push(Arc::downgrade(&p));
        p
    }

    /// A noise share for value `i` of a vector in `iteration` (the count
    /// of each cluster, every (n+1)-th value, has its own scale).
    fn noise_share<R: rand_core::CryptoRng + ?Sized>(
        &self,
        iteration: u32,
        i: usize,
        rng: &mut R,
    ) -> i64 {
        let p = &self.params;
        let (sum, count) = &self.samplers[iteration as usize];
        let sampler = if i % (p.length + 1) == p.length {
            count
        } else {
            sum
        };
        sampler.sample(rng)
    }
}

/// Why a participant stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    /// Still iterating.
    Running,
    /// The centroids moved less than θ (§4.2.4).
    Converged,
    /// n_it^max iterations ran.
    IterationLimit,
    /// Every mean was eliminated as aberrant.
    NoCentroids,
    /// The next iteration's noise would overwhelm the centroids, or has
    /// left one of several (§5.1 fn. 9, [`crate::chiaroscuro::stop_after`]).
    NoiseOverwhelms,
}

/// Counters of a participant's exchanges, for diagnostics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParticipantStats {
    /// EESum exchanges it initiated that completed.
    pub sum_exchanges: u32,
    /// EESum exchanges refused (partner busy or elsewhere in the run).
    pub sum_refused: u32,
    /// Messages that arrived too late for their phase.
    pub stale: u32,
    /// Bounced EESum replies given up on.
    pub lost_replies: u32,
    /// Iterations in which it applied the noise correction.
    pub corrected: u32,
    /// Malformed messages or failed local steps.
    pub errors: u32,
    /// The deepest chain of exchanges behind its means (Alg. 2's n_l, the
    /// doublings a packed vector must hold) in any iteration.
    pub deepest: u32,
    /// EESum exchanges it answered Busy because they would go deeper than
    /// the scheme holds ([`AdditiveScheme::max_depth`]).
    pub too_deep: u32,
}

/// The timer of a participant: its next gossip step.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct StepTimer;

/// Rare events a participant reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ChiaroscuroEvent {
    /// This participant combined τ shares and published iteration's means.
    Decrypted {
        /// The iteration.
        iteration: u32,
    },
    /// A key holder refused to decrypt: too few noise shares were summed.
    RefusedDecryption {
        /// The iteration.
        iteration: u32,
        /// The participants the counter says contributed.
        participants: f64,
    },
    /// A local step failed.
    Error {
        /// The iteration.
        iteration: u32,
        /// What failed.
        what: String,
    },
}

/// A Chiaroscuro participant.
pub struct Participant<S: AdditiveScheme> {
    shared: Arc<Shared<S>>,
    data: Vec<f64>,
    key_share: Option<Arc<S::KeyShare>>,
    peers: PeerSampler,
    offset: Time,
    step: u64,
    iteration: u32,
    phase: Phase,
    status: Status,
    last: Option<Arc<Published>>,
    history: Vec<Option<Arc<Published>>>,
    means: Option<EncryptedMeans<S>>,
    locked: bool,
    locked_at: u64,
    participants: Option<f64>,
    own_id: u64,
    correction: Option<Correction>,
    noise_ok: bool,
    decryption: Option<DecryptionState<S>>,
    /// The key of the randomness spent by encryption and partial
    /// decryption, apart from the protocol's own draws so that a run makes
    /// the same choices whatever the scheme.
    crypto_key: RngKey,
    crypto_uses: u64,
    /// Diagnostics.
    pub stats: ParticipantStats,
}

impl<S: AdditiveScheme> core::fmt::Debug for Participant<S> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never the data, the key share or the means.
        f.debug_struct("Participant")
            .field("iteration", &self.iteration)
            .field("status", &self.status)
            .field("key_holder", &self.key_share.is_some())
            .finish_non_exhaustive()
    }
}

impl<S: AdditiveScheme> Participant<S> {
    /// Participant `me` with its series `data` (clipped to the declared
    /// range here, whatever the caller did) and, for a committee member,
    /// its key share.
    pub fn new(
        me: NodeId,
        shared: Arc<Shared<S>>,
        data: Vec<f64>,
        key_share: Option<Arc<S::KeyShare>>,
        rng: &mut NodeRng,
    ) -> Result<Participant<S>> {
        let p = &shared.params;
        if data.len() != p.length {
            return Err(ProtocolError::invalid(
                "data",
                format!("a series of {} values, expected {}", data.len(), p.length),
            ));
        }
        let (lo, hi) = p.range;
        let data = data
            .into_iter()
            .map(|v| if v.is_nan() { lo } else { v.clamp(lo, hi) })
            .collect();
        let peers = PeerSampler::new(p.sampling, me, p.population, rng)?;
        let offset = Time(sfumato_dp::exact::uniform_below(rng, p.period.0));
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Ok(Participant {
            shared,
            data,
            key_share,
            peers,
            offset,
            step: 0,
            iteration: 0,
            phase: Phase::Sum,
            status: Status::Running,
            last: None,
            history: Vec::new(),
            means: None,
            locked: false,
            locked_at: 0,
            participants: None,
            own_id: 0,
            correction: None,
            noise_ok: false,
            decryption: None,
            crypto_key: RngKey::from_bytes(key),
            crypto_uses: 0,
            stats: ParticipantStats::default(),
        })
    }

    /// The current centroids (public).
    pub fn centroids(&self) -> &[Vec<f64>] {
        match &self.last {
            Some(p) => &p.centroids,
            None => &self.shared.params.initial,
        }
    }

    /// What each finished iteration published, as this participant saw it
    /// (`None`: it missed the result).
    pub fn history(&self) -> &[Option<Arc<Published>>] {
        &self.history
    }

    /// Why it stopped, or [`Status::Running`].
    pub fn status(&self) -> Status {
        self.status
    }

    /// The participant's estimate of the number of contributors to the
    /// current iteration's sums, once EESum is over.
    pub fn participants_estimate(&self) -> Option<f64> {
        self.participants
    }

    /// The current iteration.
    pub fn iteration(&self) -> u32 {
        self.iteration
    }

    /// The correction it holds (for tests and probes).
    pub fn correction(&self) -> Option<&Correction> {
        self.correction.as_ref()
    }

    /// The means it holds during EESum (for the simulator's oracles).
    pub fn means(&self) -> Option<&EncryptedMeans<S>> {
        self.means.as_ref()
    }

    /// The length of this iteration's vectors: k·(n+1) for the k current
    /// centroids.
    fn vector_len(&self) -> usize {
        self.centroids().len() * (self.shared.params.length + 1)
    }

    /// A fresh randomness stream for one cryptographic operation.
    fn crypto_rng(&mut self) -> NodeRng {
        self.crypto_uses += 1;
        NodeRng::at(&self.crypto_key, self.crypto_uses, 0)
    }

    fn fail(&mut self, ctx: &mut NodeContext<'_, Self>, e: ProtocolError) {
        self.stats.errors += 1;
        ctx.report(ChiaroscuroEvent::Error {
            iteration: self.iteration,
            what: e.to_string(),
        });
    }

    /// Assignment and the initial perturbed encrypted means (Alg. 1 line 6
    /// with Alg. 3 line 4).
    fn begin_iteration(&mut self, iteration: u32, ctx: &mut NodeContext<'_, Self>) -> Result<()> {
        self.iteration = iteration;
        let shared = Arc::clone(&self.shared);
        let p = &shared.params;
        let centroids = self.centroids();
        let k = centroids.len();
        let cluster = nearest(&self.data, centroids);
        let n = p.length;
        let unit = shared.unit();
        let mut values = vec![0i64; k * (n + 1)];
        if let Some(j) = cluster {
            let base = j * (n + 1);
            for (d, x) in self.data.iter().enumerate() {
                values[base + d] = (x * unit).round() as i64;
            }
            values[base + n] = unit as i64;
        }
        let mut rng = BulkRng::from_node(ctx.rng());
        for (i, v) in values.iter_mut().enumerate() {
            *v = v.saturating_add(shared.noise_share(iteration, i, &mut rng));
        }
        ctx.work("chiaroscuro-encrypt-vector", 1);
        let enc = shared.scheme.encrypt_i64(&values, &mut self.crypto_rng());
        self.means = Some(EncryptedMeans::initial(enc, ctx.id() == WEIGHT_ORIGIN));
        self.locked = false;
        self.participants = None;
        self.correction = None;
        self.decryption = None;
        Ok(())
    }

    /// Convergence step (Alg. 1 lines 10–13) for `iteration`.
    fn finish_iteration(&mut self, iteration: u32) {
        let published = self
            .decryption
            .take()
            .and_then(|d| d.published().cloned())
            .filter(|p| p.iteration == iteration);
        self.means = None;
        self.correction = None;
        self.history.push(published.clone());
        let Some(p) = published else { return };
        let old = self.centroids();
        let theta = self.shared.params.theta;
        let moved = (old.len() == p.centroids.len()).then(|| {
            old.iter()
                .zip(&p.centroids)
                .map(|(a, b)| crate::chiaroscuro::kmeans::distance2(a, b).sqrt())
                .fold(0.0, f64::max)
        });
        let entering = old.len();
        if p.centroids.is_empty() {
            self.status = Status::NoCentroids;
        } else if moved.is_some_and(|m| m < theta) {
            self.status = Status::Converged;
        } else if stop_after(
            iteration,
            entering,
            &p.centroids,
            &p.counts,
            &self.shared.params,
        ) {
            self.status = Status::NoiseOverwhelms;
        }
        self.last = Some(p);
    }

    fn start_sum_exchange(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) {
        if self.locked {
            // An answer lost for good (its resends all bounced) must not
            // block the participant for the rest of the phase.
            if self.step.saturating_sub(self.locked_at) < LOCK_PERIODS {
                return;
            }
            self.locked = false;
            self.stats.stale += 1;
        }
        let Some(means) = &self.means else { return };
        let me = ctx.id();
        if let Some(peer) = self.peers.select(me, ctx.rng()) {
            let msg = ChiaroscuroMessage::SumRequest {
                iteration: self.iteration,
                means: means.clone(),
                view: self.peers.outgoing(me, now),
            };
            self.locked = true;
            self.locked_at = self.step;
            ctx.send(peer, msg);
        }
    }

    /// Correction phase, first period: the count estimate, the privacy
    /// check, the random identifier.
    fn prepare_correction(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let Some(means) = &self.means else { return };
        let n_nu = self.shared.params.noise_shares;
        self.participants = means.participants();
        self.noise_ok = self.participants.is_some_and(|c| c.round() >= n_nu as f64);
        if let Some(c) = self.participants {
            self.own_id = ctx.rng().next_u64();
            self.correction = Some(Correction {
                id: self.own_id,
                surplus: (c.round() as u64).saturating_sub(n_nu),
                values: None,
            });
        }
    }

    /// Halfway through the dissemination: the holder of the smallest
    /// identifier it has heard of computes its correction.
    fn compute_correction(&mut self, ctx: &mut NodeContext<'_, Self>) -> Result<()> {
        let len = self.means.as_ref().map_or(0, |_| self.vector_len());
        let Some(c) = &mut self.correction else {
            return Ok(());
        };
        if c.id != self.own_id || c.values.is_some() {
            return Ok(());
        }
        let shared = &self.shared;
        let mut values = vec![0i64; if c.surplus == 0 { 0 } else { len }];
        let mut rng = BulkRng::from_node(ctx.rng());
        for (i, v) in values.iter_mut().enumerate() {
            for _ in 0..c.surplus {
                *v = v.saturating_add(shared.noise_share(self.iteration, i, &mut rng));
            }
        }
        c.values = Some(Arc::new(values));
        Ok(())
    }

    fn merge_correction(&mut self, other: Correction) {
        match &mut self.correction {
            None => self.correction = Some(other),
            Some(mine) if other.id < mine.id => *mine = other,
            Some(mine) if other.id == mine.id && mine.values.is_none() => {
                mine.values = other.values;
            }
            Some(_) => {}
        }
    }

    fn gossip_correction(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let Some(c) = &self.correction else { return };
        let me = ctx.id();
        if let Some(peer) = self.peers.select(me, ctx.rng()) {
            ctx.send(
                peer,
                ChiaroscuroMessage::Correction {
                    iteration: self.iteration,
                    reply: false,
                    candidate: c.clone(),
                },
            );
        }
    }

    /// Decryption phase, first period: subtract the correction, start the
    /// decryption state, apply the key share.
    fn start_decryption(&mut self, ctx: &mut NodeContext<'_, Self>) -> Result<()> {
        let Some(mut means) = self.means.take() else {
            return Ok(());
        };
        self.locked = false;
        if let Some(Correction {
            values: Some(v),
            surplus,
            ..
        }) = &self.correction
        {
            means.removed_shares = *surplus;
            if !v.is_empty() {
                if v.len() != self.vector_len() {
                    return Err(ProtocolError::Malformed(
                        "a correction of another length".into(),
                    ));
                }
                let neg: Vec<Integer> = v.iter().map(|x| Integer::from(-*x)).collect();
                let mut rng = self.crypto_rng();
                means.add_cleartext(&self.shared.scheme, &neg, &mut rng)?;
            }
            self.stats.corrected += 1;
        }
        self.decryption = Some(DecryptionState::Pending {
            root: ctx.id(),
            means,
            partials: Vec::new(),
        });
        self.contribute(ctx)
    }

    fn contribute(&mut self, ctx: &mut NodeContext<'_, Self>) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let mut rng = self.crypto_rng();
        let len = self.vector_len();
        let iteration = self.iteration;
        let Some(state) = &mut self.decryption else {
            return Ok(());
        };
        let share = if self.noise_ok {
            self.key_share.as_deref()
        } else {
            if self.key_share.is_some() && matches!(state, DecryptionState::Pending { .. }) {
                ctx.report(ChiaroscuroEvent::RefusedDecryption {
                    iteration: self.iteration,
                    participants: self.participants.unwrap_or(0.0),
                });
            }
            None
        };
        if state.contribute(
            &shared.scheme,
            share,
            iteration,
            len,
            &shared.params,
            &mut rng,
        )? {
            if let DecryptionState::Done(p) = state {
                *p = shared.intern(Arc::clone(p));
            }
            ctx.report(ChiaroscuroEvent::Decrypted { iteration });
        }
        Ok(())
    }

    fn offer_decryption(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let Some(state) = &self.decryption else {
            return;
        };
        let me = ctx.id();
        if let Some(peer) = self.peers.select(me, ctx.rng()) {
            ctx.send(
                peer,
                ChiaroscuroMessage::DecryptOffer {
                    iteration: self.iteration,
                    summary: state.summary(self.key_share.is_some()),
                },
            );
        }
    }

    fn send_state(&self, to: NodeId, want: bool, ctx: &mut NodeContext<'_, Self>) {
        if let Some(state) = &self.decryption {
            ctx.send(
                to,
                ChiaroscuroMessage::DecryptState {
                    iteration: self.iteration,
                    state: Box::new(state.clone()),
                    want,
                },
            );
        }
    }

    fn on_step(&mut self, now: Time, ctx: &mut NodeContext<'_, Self>) -> Result<()> {
        let shared = Arc::clone(&self.shared);
        let p = &shared.params;
        let s = self.step;
        let st = p.step(s);
        let half = p.dissemination / 2;
        if st.phase == Phase::Sum && st.index == 0 {
            if st.iteration > 0 {
                self.finish_iteration(st.iteration - 1);
            }
            if self.status == Status::Running && st.iteration >= p.max_iterations() {
                self.status = Status::IterationLimit;
            }
            if self.status != Status::Running {
                return Ok(());
            }
            self.begin_iteration(st.iteration, ctx)?;
        }
        self.phase = st.phase;
        match st.phase {
            Phase::Sum => self.start_sum_exchange(now, ctx),
            Phase::Correction => {
                if st.index == 0 {
                    self.prepare_correction(ctx);
                }
                if st.index == half {
                    self.compute_correction(ctx)?;
                }
                self.gossip_correction(ctx);
            }
            Phase::Decryption => {
                if st.index == 0 {
                    self.start_decryption(ctx)?;
                }
                self.offer_decryption(ctx);
            }
        }
        Ok(())
    }

    fn on_message(
        &mut self,
        from: NodeId,
        msg: ChiaroscuroMessage<S>,
        ctx: &mut NodeContext<'_, Self>,
    ) -> Result<()> {
        let current = msg.iteration() == self.iteration && self.status == Status::Running;
        let me = ctx.id();
        match msg {
            ChiaroscuroMessage::SumRequest { means, view, .. } => {
                if let Some(v) = &view {
                    self.peers.merge(me, v);
                }
                let ready = current && self.phase == Phase::Sum && !self.locked;
                let combined = match (&self.means, ready) {
                    (Some(mine), true) => {
                        if EncryptedMeans::too_deep(&self.shared.scheme, &means, mine) {
                            self.stats.too_deep += 1;
                        }
                        EncryptedMeans::exchange(&self.shared.scheme, &means, mine).ok()
                    }
                    _ => None,
                };
                match combined {
                    Some(c) => {
                        ctx.work("chiaroscuro-add-vector", 1);
                        self.stats.deepest = self.stats.deepest.max(c.exchanges);
                        self.means = Some(c.clone());
                        let view = self.peers.outgoing(me, ctx.now());
                        ctx.send(
                            from,
                            ChiaroscuroMessage::SumReply {
                                iteration: self.iteration,
                                means: c,
                                view,
                                attempt: 0,
                            },
                        );
                    }
                    None => ctx.send(
                        from,
                        ChiaroscuroMessage::Busy {
                            iteration: self.iteration,
                        },
                    ),
                }
            }
            ChiaroscuroMessage::SumReply { means, view, .. } => {
                if let Some(v) = &view {
                    self.peers.merge(me, v);
                }
                if current && self.locked && self.means.is_some() {
                    self.stats.deepest = self.stats.deepest.max(means.exchanges);
                    self.means = Some(means);
                    self.locked = false;
                    self.stats.sum_exchanges += 1;
                } else {
                    self.stats.stale += 1;
                }
            }
            ChiaroscuroMessage::Busy { .. } => {
                if self.locked {
                    self.locked = false;
                    self.stats.sum_refused += 1;
                }
            }
            ChiaroscuroMessage::Correction {
                reply, candidate, ..
            } => {
                if !(current && self.phase == Phase::Correction) {
                    self.stats.stale += 1;
                    return Ok(());
                }
                self.merge_correction(candidate);
                if !reply && let Some(c) = &self.correction {
                    ctx.send(
                        from,
                        ChiaroscuroMessage::Correction {
                            iteration: self.iteration,
                            reply: true,
                            candidate: c.clone(),
                        },
                    );
                }
            }
            ChiaroscuroMessage::DecryptOffer { summary, .. } => {
                let Some(state) = &self.decryption else {
                    return Ok(());
                };
                if !(current && self.phase == Phase::Decryption) {
                    self.stats.stale += 1;
                    return Ok(());
                }
                let tau = self.shared.scheme.threshold() as usize;
                let mine = state.summary(self.key_share.is_some());
                let they_want = summary.advanced_by(&mine, tau);
                let i_want = mine.advanced_by(&summary, tau);
                if they_want {
                    self.send_state(from, i_want, ctx);
                } else if i_want {
                    ctx.send(
                        from,
                        ChiaroscuroMessage::DecryptWant {
                            iteration: self.iteration,
                        },
                    );
                }
            }
            ChiaroscuroMessage::DecryptWant { .. } => {
                if current {
                    self.send_state(from, false, ctx);
                }
            }
            ChiaroscuroMessage::DecryptState { state, want, .. } => {
                if !current || self.decryption.is_none() {
                    self.stats.stale += 1;
                    return Ok(());
                }
                let tau = self.shared.scheme.threshold() as usize;
                let holder = self.key_share.is_some();
                if let Some(mine) = &mut self.decryption {
                    mine.merge(*state, &self.shared.params, tau, holder)?;
                }
                self.contribute(ctx)?;
                if want {
                    self.send_state(from, false, ctx);
                }
            }
        }
        Ok(())
    }
}

impl<S: AdditiveScheme> Node for Participant<S> {
    type Message = ChiaroscuroMessage<S>;
    type Timer = StepTimer;
    type Event = ChiaroscuroEvent;

    fn start(&mut self, ctx: &mut NodeContext<'_, Self>) {
        let at = ctx.now().plus(self.offset);
        ctx.set_timer(at, StepTimer);
    }

    fn handle_message(
        &mut self,
        _now: Time,
        from: NodeId,
        msg: ChiaroscuroMessage<S>,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        if let Err(e) = self.on_message(from, msg, ctx) {
            self.fail(ctx, e);
        }
    }

    fn handle_timer(&mut self, now: Time, _timer: StepTimer, ctx: &mut NodeContext<'_, Self>) {
        if let Err(e) = self.on_step(now, ctx) {
            self.fail(ctx, e);
        }
        self.step += 1;
        if self.status == Status::Running {
            let p = &self.shared.params;
            let at = Time(
                self.offset
                    .0
                    .saturating_add(self.step.saturating_mul(p.period.0)),
            );
            ctx.set_timer(at, StepTimer);
        }
    }

    fn handle_undeliverable(
        &mut self,
        _now: Time,
        to: NodeId,
        msg: ChiaroscuroMessage<S>,
        ctx: &mut NodeContext<'_, Self>,
    ) {
        match msg {
            ChiaroscuroMessage::SumRequest { .. } => {
                self.locked = false;
                self.stats.sum_refused += 1;
            }
            ChiaroscuroMessage::SumReply {
                iteration,
                means,
                view,
                attempt,
            } => {
                if attempt + 1 < MAX_REPLY_ATTEMPTS {
                    ctx.send(
                        to,
                        ChiaroscuroMessage::SumReply {
                            iteration,
                            means,
                            view,
                            attempt: attempt + 1,
                        },
                    );
                } else {
                    self.stats.lost_replies += 1;
                }
            }
            ChiaroscuroMessage::Busy { iteration } => {
                // The initiator waits for an answer: tell it again.
                ctx.send(to, ChiaroscuroMessage::Busy { iteration });
            }
            _ => {}
        }
    }
}
