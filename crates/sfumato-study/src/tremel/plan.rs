//! A Tremel deployment planned from a population of meters and their
//! records (Tremel §4.3, §5.1, §7.2, §7.3).

use std::sync::Arc;

use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::blind::{OwnerPublicKey, OwnerSigningKey};
use sfumato_crypto::symmetric::{AgreementKeyPair, AgreementPublicKey, SigningKey, VerifyingKey};
use sfumato_overlay::{DeterministicOverlay, SizePlan};
use sfumato_protocol::tremel::onions::ByzantineKeys;
use sfumato_protocol::tremel::setup::{OwnerDesk, SigningDesk};
use sfumato_protocol::tremel::{
    Client, Echo, Formats, InsecurePlaintextOnions, Owner, PlannedQuery, QuerySpec, RealOnions,
    TremelNode, TremelParams, Variant,
};
use sfumato_protocol::{NodeId, Time};
use sha2::{Digest, Sha256};

use crate::error::{Result, StudyError};
use crate::tremel::privacy::Privacy;

/// How a simulated node's meter behaves in its own Setup and Shuffle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Meter {
    /// As the protocol says.
    Honest,
    /// A Byzantine meter reporting [`EXTREME_VALUE`] unclamped.
    Extreme,
    /// A Byzantine meter sending its tuple to only some proxies.
    Selective,
}

/// The value a polluting Byzantine meter reports (Wh).
pub const EXTREME_VALUE: i64 = 1_000_000_000_000;

/// Which onion cryptography nodes use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Crypto {
    /// Real X25519 / ChaCha20-Poly1305 onions.
    Real,
    /// The **insecure** plaintext stand-in (simulation only), with the real
    /// packets' sizes and accounted work.
    InsecurePlaintext,
}

impl Crypto {
    /// The name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Crypto::Real => "x25519-chacha20poly1305",
            Crypto::InsecurePlaintext => "INSECURE plaintext stand-in",
        }
    }
}

/// What a deployment is: sizes, tolerance, variant and clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Meters.
    pub meters: u64,
    /// Failures tolerated; `None` for `⌈log₂ n⌉` (the paper's choice).
    pub t: Option<u32>,
    /// The protocol.
    pub variant: Variant,
    /// How the basic protocol echoes.
    pub echo: Echo,
    /// Rounds of the direct Echo (see [`Deployment::fit_echo`]).
    pub echo_rounds: u32,
    /// One overlay round.
    pub round_length: Time,
    /// Aggregation tree wait per level.
    pub level_timeout: Time,
    /// The owner's wait after each result.
    pub result_timeout: Time,
    /// From a query's broadcast to its round 0.
    pub setup: Time,
    /// The onion cryptography.
    pub crypto: Crypto,
    /// The run seed.
    pub seed: u64,
    /// Byzantine variant: the noise of differential privacy (§6.6); none
    /// for exact answers to unfiltered queries.
    #[serde(default)]
    pub privacy: Option<Privacy>,
}

impl Deployment {
    /// Defaults for `meters` meters: `t = ⌈log₂ n⌉`, the basic protocol
    /// with direct echoes,
    /// spread over 4 rounds and a spare one, 20 ms rounds and tree levels
    /// (Tremel §7.3's links take 2–10 ms),
    /// 50 ms between results, 100 ms of set-up, the insecure stand-in.
    pub fn new(meters: u64, seed: u64) -> Deployment {
        Deployment {
            meters,
            t: None,
            variant: Variant::Basic,
            echo: Echo::Direct,
            echo_rounds: 5,
            round_length: Time::from_millis(20),
            level_timeout: Time::from_millis(20),
            result_timeout: Time::from_millis(50),
            setup: Time::from_millis(100),
            crypto: Crypto::InsecurePlaintext,
            seed,
            privacy: None,
        }
    }
}

impl Deployment {
    /// Sizes the direct Echo for CPU costs of `seal` and `open` per sealed
    /// copy: a proxy seals about `t(t + 1)` copies and opens as many. They
    /// are spread over at least 4 rounds, and enough that each round's
    /// share takes at most half a round of CPU, followed by a round (of at
    /// least 12 ms, Tremel §7.3's slowest link) for the last copies to
    /// land. Spreading also keeps the copies in flight at once, and the
    /// simulator's memory, 4× lower (docs/PERFORMANCE.md).
    pub fn fit_echo(&mut self, t: u32, seal: Time, open: Time) {
        let copies = u64::from(t) * (u64::from(t) + 1);
        let cpu = copies.saturating_mul(seal.0.saturating_add(open.0));
        let round = self.round_length.0.max(1);
        let sending = (2 * cpu).div_ceil(round).max(4);
        let spare = 12_000u64.div_ceil(round).max(1);
        self.echo_rounds = (sending + spare).clamp(2, 1000) as u32;
    }

    /// Sizes the Byzantine variant for measured costs: the Setup long
    /// enough for the owner to sign every meter's tuple (one RSA private
    /// operation each, serially), and each agreement round long enough for
    /// the busiest one, the first: a proxy holds about `h = 2t + 1` tuples
    /// and relays each to `2t` proxies, each relay in an envelope it signs
    /// and the receiver checks; a relay's endorsements are checked only
    /// until the tuple is accepted (at most `t + 2` of them), the owner's
    /// signature once. That CPU takes at most half of the round's overlay
    /// rounds, and a round (of at least 12 ms, Tremel §7.3's slowest link)
    /// is left for the last relays to land.
    pub fn fit_byzantine(&mut self, t: u32, costs: &crate::tremel::costs::ByzantineCosts) {
        let signing = costs.owner_sign.0.saturating_mul(self.meters);
        self.setup = Time(self.setup.0.max(signing + signing / 5 + 50_000));
        let h = u64::from(2 * t + 1);
        let msgs = h * u64::from(2 * t);
        let cpu = msgs.saturating_mul(costs.sign.0 + costs.verify.0)
            + h.saturating_mul(
                costs.sign.0
                    + costs.tuple_verify.0
                    + costs.verify.0.saturating_mul(u64::from(t) + 2),
            );
        let round = self.round_length.0.max(1);
        let sending = (2 * cpu).div_ceil(round).max(1);
        let spare = 12_000u64.div_ceil(round).max(1);
        self.echo_rounds = (sending + spare).clamp(2, 1000) as u32;
    }

    /// How the meters fill the overlay (Tremel §7.2), and the public
    /// parameters of the deployment.
    pub fn params(&self) -> Result<(SizePlan, TremelParams)> {
        let size =
            SizePlan::for_population(self.meters).map_err(|e| StudyError::usage(e.to_string()))?;
        let params = TremelParams {
            n: size.size,
            t: self.t_for(size.size),
            variant: self.variant,
            echo: self.echo,
            echo_rounds: self.echo_rounds,
            round_length: self.round_length,
            level_timeout: self.level_timeout,
            result_timeout: self.result_timeout,
        };
        Ok((size, params))
    }

    /// The packet formats for records of `fields` fields.
    pub fn formats(&self, fields: usize) -> Result<Formats> {
        Formats::for_deployment(&self.params()?.1, fields)
            .map_err(|e| StudyError::usage(e.to_string()))
    }

    /// `t` for an overlay of `n` nodes: the given one, or `⌈log₂ n⌉`.
    pub fn t_for(&self, n: u64) -> u32 {
        self.t.unwrap_or(64 - (n.max(2) - 1).leading_zeros())
    }
}

/// The planned deployment: the overlay of a suitable size, the public
/// parameters, the packet formats, and each meter's records.
#[derive(Clone, Debug)]
pub struct TremelPlan {
    /// How the meters fill the overlay (Tremel §7.2): identifiers beyond the
    /// population are spares that relay and proxy but hold no record.
    pub size: SizePlan,
    /// The public parameters.
    pub params: Arc<TremelParams>,
    /// The overlay.
    pub overlay: DeterministicOverlay,
    /// Packet formats.
    pub formats: Formats,
    /// The owner's queries.
    pub queries: Vec<PlannedQuery>,
    /// The deployment.
    pub deployment: Deployment,
    /// Record fields.
    pub fields: usize,
    /// `records[meter][window]`: a meter's fields for a window.
    records: Arc<Vec<Vec<Vec<i64>>>>,
    keys: Option<Arc<Vec<AgreementPublicKey>>>,
    byzantine_keys: Option<SimulatedByzantineKeys>,
}

/// The Byzantine variant's simulated keys: every node's Ed25519 identity
/// and the owner's RSA key, derived from the run seed.
#[derive(Clone, Debug)]
struct SimulatedByzantineKeys {
    identities: Arc<Vec<VerifyingKey>>,
    owner: Arc<OwnerSigningKey>,
    owner_public: Arc<OwnerPublicKey>,
}

/// A simulated node's Ed25519 identity key, derived from the run seed
/// (simulation only).
pub fn simulated_identity(seed: u64, node: u32) -> SigningKey {
    let mut h = Sha256::new();
    h.update(b"sfumato/tremel/simulated-identity/v1");
    h.update(seed.to_le_bytes());
    h.update(node.to_le_bytes());
    let mut bytes: [u8; 32] = h.finalize().into();
    let k = SigningKey::from_bytes(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    k
}

/// A simulated node's key pair, derived from the run seed (simulation
/// only: a real deployment's keys come from the OS, in `sfumato-net`).
pub fn simulated_key(seed: u64, node: u32) -> AgreementKeyPair {
    let mut h = Sha256::new();
    h.update(b"sfumato/tremel/simulated-node-key/v1");
    h.update(seed.to_le_bytes());
    h.update(node.to_le_bytes());
    let mut bytes: [u8; 32] = h.finalize().into();
    let k = AgreementKeyPair::from_secret_bytes(&bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    k
}

impl TremelPlan {
    /// Plans `d` for `records` (one entry per meter, each a list of windows
    /// of `fields` values) and the owner's `queries`.
    pub fn new(
        d: &Deployment,
        records: Vec<Vec<Vec<i64>>>,
        queries: Vec<PlannedQuery>,
    ) -> Result<TremelPlan> {
        if records.len() as u64 != d.meters {
            return Err(StudyError::usage(format!(
                "{} meters but records for {}",
                d.meters,
                records.len()
            )));
        }
        let (size, params) = d.params()?;
        let n = size.size;
        let overlay = params
            .overlay()
            .map_err(|e| StudyError::usage(e.to_string()))?;
        let fields = records
            .iter()
            .flat_map(|m| m.iter().map(Vec::len))
            .max()
            .unwrap_or(0)
            .max(1);
        for q in &queries {
            if q.spec.fields_needed() > fields {
                return Err(StudyError::usage(format!(
                    "a query reads field {} but records have {fields}",
                    q.spec.fields_needed() - 1
                )));
            }
        }
        let formats = d.formats(fields)?;
        let mut queries = queries;
        for q in &mut queries {
            match (&d.privacy, params.variant) {
                (Some(p), Variant::Byzantine) => {
                    q.noise = Some(p.noise_plan(&q.spec, d.meters, params.t)?);
                }
                (Some(_), _) => {
                    return Err(StudyError::usage(
                        "differential privacy (--epsilon) belongs to the bft variant",
                    ));
                }
                (None, Variant::Byzantine) if q.spec.filter.is_some() => {
                    return Err(StudyError::usage(
                        "the bft variant answers filtered queries only with noise (--epsilon, Tremel §6.6)",
                    ));
                }
                _ => {}
            }
        }
        let byzantine_keys = (d.crypto == Crypto::Real && params.variant == Variant::Byzantine)
            .then(|| -> Result<SimulatedByzantineKeys> {
                let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(d.seed ^ 0x0B5E_55ED);
                let owner = OwnerSigningKey::generate(&mut rng, 2048)
                    .map_err(|e| StudyError::usage(e.to_string()))?;
                Ok(SimulatedByzantineKeys {
                    identities: Arc::new(
                        (0..n as u32)
                            .map(|i| simulated_identity(d.seed, i).verifying_key())
                            .collect(),
                    ),
                    owner_public: Arc::new(owner.public_key()),
                    owner: Arc::new(owner),
                })
            })
            .transpose()?;
        let keys = (d.crypto == Crypto::Real).then(|| {
            Arc::new(
                (0..n as u32)
                    .map(|i| simulated_key(d.seed, i).public_key())
                    .collect::<Vec<_>>(),
            )
        });
        Ok(TremelPlan {
            size,
            params: Arc::new(params),
            overlay,
            formats,
            queries,
            deployment: d.clone(),
            fields,
            records: Arc::new(records),
            keys,
            byzantine_keys,
        })
    }

    /// Simulated nodes: the `n` clients, then the owner.
    pub fn nodes(&self) -> u32 {
        self.params.n as u32 + 1
    }

    /// The owner's id.
    pub fn owner(&self) -> NodeId {
        self.params.owner()
    }

    /// A meter's records.
    pub fn records(&self) -> &[Vec<Vec<i64>>] {
        &self.records
    }

    /// From a query's broadcast to the owner's deadline, at most.
    pub fn query_span(&self) -> Time {
        self.deployment
            .setup
            .plus(self.params.query_duration(&self.overlay))
    }

    fn client_records(&self, id: u32) -> Option<Vec<Vec<i64>>> {
        self.records.get(id as usize).cloned()
    }

    fn owner_node<S: sfumato_protocol::tremel::OnionSuite>(&self) -> TremelNode<S> {
        let mut owner = Owner::new(
            self.params.clone(),
            self.overlay.clone(),
            self.queries.clone(),
            self.deployment.setup,
        );
        if self.params.variant == Variant::Byzantine {
            owner = owner.with_desk(match &self.byzantine_keys {
                Some(k) => OwnerDesk::Real(SigningDesk::shared(k.owner.clone())),
                None => OwnerDesk::InsecureStandIn(Default::default()),
            });
        }
        TremelNode::Owner(Box::new(owner))
    }

    /// Node `node` with its meter Byzantine as `meter` says: reporting
    /// far out-of-range values unclamped (polluting, §6.4), or sending its
    /// tuple to only some proxies (§5.2).
    fn as_meter<S: sfumato_protocol::tremel::OnionSuite>(
        &self,
        node: TremelNode<S>,
        meter: Meter,
    ) -> TremelNode<S> {
        match (node, meter) {
            (TremelNode::Client(c), Meter::Extreme) => TremelNode::Client(Box::new(
                (*c).with_records(
                    self.records
                        .first()
                        .map(|m| m.iter().map(|w| vec![EXTREME_VALUE; w.len()]).collect()),
                )
                .byzantine_unclamped(),
            )),
            (TremelNode::Client(c), Meter::Selective) => {
                TremelNode::Client(Box::new((*c).byzantine_selective_shuffle()))
            }
            (n, _) => n,
        }
    }

    /// Node `id` with the stand-in, its meter honest or not.
    pub fn plaintext_node_as(
        &self,
        id: NodeId,
        meter: Meter,
    ) -> TremelNode<InsecurePlaintextOnions> {
        self.as_meter(self.plaintext_node(id), meter)
    }

    /// Node `id` with real cryptography, its meter honest or not.
    pub fn real_node_as(&self, id: NodeId, meter: Meter) -> TremelNode<RealOnions> {
        self.as_meter(self.real_node(id), meter)
    }

    /// Node `id` with the stand-in.
    pub fn plaintext_node(&self, id: NodeId) -> TremelNode<InsecurePlaintextOnions> {
        if id == self.owner() {
            return self.owner_node();
        }
        TremelNode::Client(Box::new(Client::new(
            id.0,
            self.params.clone(),
            self.overlay.clone(),
            InsecurePlaintextOnions::new(id.0, self.formats),
            self.client_records(id.0),
        )))
    }

    /// Node `id` with real onions.
    pub fn real_node(&self, id: NodeId) -> TremelNode<RealOnions> {
        if id == self.owner() {
            return self.owner_node();
        }
        TremelNode::Client(Box::new(Client::new(
            id.0,
            self.params.clone(),
            self.overlay.clone(),
            self.real_suite(id),
            self.client_records(id.0),
        )))
    }

    /// Node `id`'s real cryptography.
    pub fn real_suite(&self, id: NodeId) -> RealOnions {
        let keys = self.keys.clone().unwrap_or_default();
        let suite = RealOnions::new(
            Arc::new(simulated_key(self.deployment.seed, id.0)),
            keys,
            self.formats,
        );
        match &self.byzantine_keys {
            Some(k) => suite.with_byzantine(ByzantineKeys {
                identity: Arc::new(simulated_identity(self.deployment.seed, id.0)),
                identities: k.identities.clone(),
                owner: k.owner_public.clone(),
            }),
            None => suite,
        }
    }

    /// Node `id`'s stand-in cryptography.
    pub fn plaintext_suite(&self, id: NodeId) -> InsecurePlaintextOnions {
        InsecurePlaintextOnions::new(id.0, self.formats)
    }

    /// Queries asked every `every` from `first`, one per window, each
    /// computing `spec`.
    pub fn periodic_queries(
        first: Time,
        every: Time,
        windows: u32,
        spec: &QuerySpec,
    ) -> Vec<PlannedQuery> {
        (0..windows)
            .map(|w| PlannedQuery {
                at: first.plus(Time(every.0.saturating_mul(u64::from(w)))),
                window: w,
                spec: spec.clone(),
                noise: None,
            })
            .collect()
    }
}
