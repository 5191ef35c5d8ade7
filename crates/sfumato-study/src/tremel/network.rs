//! Tremel's queries as a real deployment: the simulator's clients and
//! owner, unchanged, on hosts of `sfumato-net`, with **real** X25519 /
//! ChaCha20-Poly1305 onions (the plaintext stand-in is the simulator's
//! only).
//!
//! A deployment is a directory:
//!
//! * `query.json` — the public parameters, the owner's queries
//!   ([`QueryNetStudy`]);
//! * `onion-keys.json` — every client's X25519 public key (the PKI of
//!   Tremel §2);
//! * `directory.json` — the membership service;
//! * `host-H.sqlite` — host H's node identities, its clients' X25519
//!   secrets and their meters' records (secret);
//! * the Byzantine variant adds `identity-keys.json`, every client's
//!   Ed25519 verifying key (its secret key on its host), and
//!   `owner-key.der`, the owner's RSA public key for blind signatures (its
//!   private key on host 0).
//!
//! The owner runs on host 0, client `i` on host `1 + i mod (hosts − 1)`.
//! A run keeps nothing durable: a client that restarts starts afresh and
//! counts as crashed for the queries in progress (the protocol tolerates
//! `t` of them).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::blind::{OwnerPublicKey, OwnerSigningKey};
use sfumato_crypto::symmetric::{AgreementKeyPair, AgreementPublicKey, SigningKey, VerifyingKey};
use sfumato_net::{Host, Membership};
use sfumato_overlay::DeterministicOverlay;
use sfumato_protocol::tremel::onions::ByzantineKeys;
use sfumato_protocol::tremel::setup::{OwnerDesk, SigningDesk};
use sfumato_protocol::tremel::{
    Client, Formats, Owner, PlannedQuery, QueryAnswer, RealOnions, TremelEvent, TremelNode,
    TremelParams, Variant,
};
use sfumato_protocol::{NodeId, Time};
use zeroize::Zeroizing;

use crate::error::{Result, StudyError};
use crate::tremel::plan::TremelPlan;
use crate::up::{
    HostOptions, HostSummary, new_dir, open_host, read_json, write_directory, write_json,
};

/// What a query deployment runs (`query.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QueryNetStudy {
    /// The deployment's name.
    pub name: String,
    /// Meters (clients `0..meters`; the overlay's spare ids also run).
    pub meters: u64,
    /// The public parameters.
    pub params: TremelParams,
    /// Packet formats.
    pub formats: Formats,
    /// The owner's queries, times from the deployment's time zero.
    pub queries: Vec<PlannedQuery>,
    /// From a query's broadcast to its round 0.
    pub setup: Time,
    /// Hosts: the owner's, then the clients'.
    pub hosts: u32,
}

impl QueryNetStudy {
    /// When the last query's deadline has passed.
    pub fn end(&self) -> Result<Time> {
        let overlay = self.overlay()?;
        Ok(self
            .queries
            .iter()
            .map(|q| q.at)
            .max()
            .unwrap_or(Time::ZERO)
            .plus(self.setup)
            .plus(self.params.query_duration(&overlay))
            .plus(Time::from_millis(500)))
    }

    fn overlay(&self) -> Result<DeterministicOverlay> {
        self.params
            .overlay()
            .map_err(|e| StudyError::usage(e.to_string()))
    }

    /// The host of node `id`.
    pub fn host_of(&self, id: u32) -> u32 {
        if u64::from(id) == self.params.n {
            0
        } else {
            1 + id % (self.hosts - 1)
        }
    }
}

/// A query deployment, loaded.
pub struct QueryDeployment {
    /// Its directory.
    pub dir: PathBuf,
    /// What it runs.
    pub study: QueryNetStudy,
    /// Every client's X25519 public key.
    pub keys: Arc<Vec<AgreementPublicKey>>,
    /// The membership service.
    pub membership: Arc<Membership>,
    /// Byzantine variant: every client's Ed25519 key and the owner's RSA
    /// public key.
    pub byzantine: Option<(Arc<Vec<VerifyingKey>>, Arc<OwnerPublicKey>)>,
}

fn identity_key(id: u32) -> String {
    format!("tremel-ed25519-{id}")
}

const OWNER_RSA: &str = "tremel-owner-rsa";

fn os_seed() -> Result<Zeroizing<[u8; 32]>> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut())
        .map_err(|e| StudyError::usage(format!("OS randomness is unavailable: {e}")))?;
    Ok(seed)
}

fn bad(e: impl std::fmt::Display) -> StudyError {
    StudyError::usage(e.to_string())
}

fn records_key(id: u32) -> String {
    format!("tremel-records-{id}")
}

fn secret_key(id: u32) -> String {
    format!("tremel-x25519-{id}")
}

/// Whether `dir` holds a query deployment.
pub fn is_query_deployment(dir: &Path) -> bool {
    dir.join("query.json").exists()
}

/// Creates deployment `dir` from `plan` on `hosts` hosts (at least two:
/// the owner's and one of clients): every node's TLS identity and every
/// client's X25519 key from OS randomness, and each meter's records on its
/// host.
pub fn create(dir: &Path, name: &str, plan: &TremelPlan, hosts: u32) -> Result<QueryDeployment> {
    if hosts < 2 {
        return Err(StudyError::usage(
            "a query deployment needs two hosts or more: the owner's and the clients'",
        ));
    }
    let n = plan.params.n as u32;
    let study = QueryNetStudy {
        name: name.to_string(),
        meters: plan.deployment.meters,
        params: (*plan.params).clone(),
        formats: plan.formats,
        queries: plan.queries.clone(),
        setup: plan.deployment.setup,
        hosts,
    };
    new_dir(dir)?;
    let membership = write_directory(
        dir,
        name,
        hosts,
        None,
        (0..=n).map(|i| (NodeId(i), study.host_of(i))),
    )?;
    let mut public = Vec::with_capacity(n as usize);
    let mut secrets: Vec<Zeroizing<[u8; 32]>> = Vec::with_capacity(n as usize);
    for _ in 0..n {
        let k = AgreementKeyPair::from_secret_bytes(&*os_seed()?);
        public.push(k.public_key());
        secrets.push(k.to_secret_bytes());
    }
    let bft = study.params.variant == Variant::Byzantine;
    let mut identity_secrets: Vec<Zeroizing<[u8; 32]>> = Vec::new();
    let mut identities: Vec<VerifyingKey> = Vec::new();
    let mut byzantine = None;
    if bft {
        for _ in 0..n {
            let seed = os_seed()?;
            identities.push(SigningKey::from_bytes(&seed).verifying_key());
            identity_secrets.push(seed);
        }
        let mut rng = ChaCha20Rng::from_seed(*os_seed()?);
        let owner = OwnerSigningKey::generate(&mut rng, 2048).map_err(bad)?;
        let (store, _) = open_host(dir, 0)?;
        store.put_meta_blob(OWNER_RSA, owner.to_der().map_err(bad)?.as_ref())?;
        let public_key = owner.public_key();
        std::fs::write(dir.join("owner-key.der"), public_key.to_der().map_err(bad)?)
            .map_err(|e| StudyError::usage(format!("{}: {e}", dir.display())))?;
        write_json(&dir.join("identity-keys.json"), &identities)?;
        byzantine = Some((Arc::new(identities.clone()), Arc::new(public_key)));
    }
    for host in 1..hosts {
        let (store, _) = open_host(dir, host)?;
        for i in (0..n).filter(|i| study.host_of(*i) == host) {
            store.put_meta_blob(&secret_key(i), secrets[i as usize].as_ref())?;
            if bft {
                store.put_meta_blob(&identity_key(i), identity_secrets[i as usize].as_ref())?;
            }
            if let Some(r) = plan.records().get(i as usize) {
                let bytes = serde_json::to_vec(r).map_err(|e| StudyError::usage(e.to_string()))?;
                store.put_meta_blob(&records_key(i), &bytes)?;
            }
        }
    }
    write_json(&dir.join("onion-keys.json"), &public)?;
    write_json(&dir.join("query.json"), &study)?;
    Ok(QueryDeployment {
        dir: dir.to_path_buf(),
        study,
        keys: Arc::new(public),
        membership,
        byzantine,
    })
}

/// Loads deployment `dir`.
pub fn load(dir: &Path) -> Result<QueryDeployment> {
    let study: QueryNetStudy = read_json(&dir.join("query.json"))?;
    study.overlay()?;
    let keys: Vec<AgreementPublicKey> = read_json(&dir.join("onion-keys.json"))?;
    if keys.len() as u64 != study.params.n || study.hosts < 2 {
        return Err(StudyError::usage(format!(
            "{}: {} onion keys for an overlay of {} nodes",
            dir.display(),
            keys.len(),
            study.params.n
        )));
    }
    let membership = Arc::new(Membership::load(&dir.join("directory.json"))?);
    if membership.directory().nodes.len() as u64 != study.params.n + 1 {
        return Err(StudyError::usage(format!(
            "{}: the directory lists {} nodes for {} clients and the owner",
            dir.display(),
            membership.directory().nodes.len(),
            study.params.n
        )));
    }
    let byzantine = if study.params.variant == Variant::Byzantine {
        let identities: Vec<VerifyingKey> = read_json(&dir.join("identity-keys.json"))?;
        if identities.len() as u64 != study.params.n {
            return Err(StudyError::usage(format!(
                "{}: {} identity keys for an overlay of {} nodes",
                dir.display(),
                identities.len(),
                study.params.n
            )));
        }
        let der = std::fs::read(dir.join("owner-key.der"))
            .map_err(|e| StudyError::usage(format!("{}/owner-key.der: {e}", dir.display())))?;
        let owner = OwnerPublicKey::from_der(&der)
            .map_err(|e| StudyError::usage(format!("{}/owner-key.der: {e}", dir.display())))?;
        Some((Arc::new(identities), Arc::new(owner)))
    } else {
        None
    };
    Ok(QueryDeployment {
        dir: dir.to_path_buf(),
        study,
        keys: Arc::new(keys),
        membership,
        byzantine,
    })
}

/// What a query host adds to its summary.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct QueryHostResult {
    /// The owner's answers (host 0).
    pub answers: Vec<QueryAnswer>,
    /// Its clients' counters, summed.
    pub clients: sfumato_protocol::tremel::ClientStats,
    /// Its clients.
    pub client_count: u64,
}

/// Runs host `host` of deployment `d` until the last query's deadline.
pub fn run_host(d: &QueryDeployment, host: u32, options: &HostOptions) -> Result<HostSummary> {
    if host >= d.study.hosts {
        return Err(StudyError::usage(format!(
            "the deployment has no host {host} (hosts 0 to {})",
            d.study.hosts - 1
        )));
    }
    let (store, identities) = open_host(&d.dir, host)?;
    let end = d.study.end()?;
    let config = options.config(&store, host, end)?;
    let overlay = d.study.overlay()?;
    let params = Arc::new(d.study.params.clone());
    let mut suites = std::collections::HashMap::new();
    for i in &identities {
        if u64::from(i.id.0) == d.study.params.n {
            continue;
        }
        let secret = store
            .meta_blob(&secret_key(i.id.0))?
            .ok_or_else(|| StudyError::usage(format!("client {} has no X25519 key", i.id.0)))?;
        let secret: Zeroizing<[u8; 32]> = Zeroizing::new(
            secret
                .as_slice()
                .try_into()
                .map_err(|_| StudyError::usage(format!("client {}'s key is malformed", i.id.0)))?,
        );
        let identity = match &d.byzantine {
            Some(_) => {
                let secret = store.meta_blob(&identity_key(i.id.0))?.ok_or_else(|| {
                    StudyError::usage(format!("client {} has no Ed25519 key", i.id.0))
                })?;
                let secret: Zeroizing<[u8; 32]> =
                    Zeroizing::new(secret.as_slice().try_into().map_err(|_| {
                        StudyError::usage(format!("client {}'s Ed25519 key is malformed", i.id.0))
                    })?);
                Some(Arc::new(SigningKey::from_bytes(&secret)))
            }
            None => None,
        };
        let records: Option<Vec<Vec<i64>>> = match store.meta_blob(&records_key(i.id.0))? {
            Some(b) => Some(
                serde_json::from_slice(&b)
                    .map_err(|e| StudyError::usage(format!("client {}'s records: {e}", i.id.0)))?,
            ),
            None => None,
        };
        suites.insert(
            i.id,
            (
                Arc::new(AgreementKeyPair::from_secret_bytes(&secret)),
                identity,
                records,
            ),
        );
    }
    let desk = match (&d.byzantine, host) {
        (Some(_), 0) => {
            let der = store
                .meta_blob(OWNER_RSA)?
                .ok_or_else(|| StudyError::usage("the owner has no RSA key on host 0"))?;
            let key = OwnerSigningKey::from_der(&Zeroizing::new(der)).map_err(bad)?;
            Some(OwnerDesk::Real(SigningDesk::new(key)))
        }
        _ => None,
    };
    let runner = Host::<TremelNode<RealOnions>>::new(
        config,
        d.membership.clone(),
        identities,
        Some(store),
        None,
    )?;
    let study = &d.study;
    let (report, nodes) = runner.run_keeping_nodes(|id, _| {
        if u64::from(id.0) == study.params.n {
            let owner = Owner::new(
                params.clone(),
                overlay.clone(),
                study.queries.clone(),
                study.setup,
            );
            return Ok(TremelNode::Owner(Box::new(match desk.clone() {
                Some(desk) => owner.with_desk(desk),
                None => owner,
            })));
        }
        let (key, identity, records) = suites
            .remove(&id)
            .ok_or_else(|| format!("client {} has no key on this host", id.0))?;
        let mut suite = RealOnions::new(key, d.keys.clone(), study.formats);
        if let (Some((identities, owner)), Some(identity)) = (&d.byzantine, identity) {
            suite = suite.with_byzantine(ByzantineKeys {
                identity,
                identities: identities.clone(),
                owner: owner.clone(),
            });
        }
        Ok(TremelNode::Client(Box::new(Client::new(
            id.0,
            params.clone(),
            overlay.clone(),
            suite,
            records,
        ))))
    })?;
    let mut result = QueryHostResult::default();
    for e in &report.events {
        let TremelEvent::Answered(a) = &e.event;
        result.answers.push(a.clone());
    }
    result.answers.sort_by_key(|a| a.number);
    for (_, node) in &nodes {
        if let Some(c) = node.as_client() {
            result.client_count += 1;
            result.clients.add(&c.stats());
        }
    }
    let mut summary = HostSummary::new(host, &report);
    summary.protocol =
        serde_json::to_value(&result).map_err(|e| StudyError::usage(e.to_string()))?;
    Ok(summary)
}

/// The hosts' results folded into one: the owner's answers and every
/// client's counters.
pub fn merge(hosts: &[HostSummary]) -> Result<QueryHostResult> {
    let mut all = QueryHostResult::default();
    for h in hosts {
        let r: QueryHostResult = serde_json::from_value(h.protocol.clone()).map_err(|e| {
            StudyError::usage(format!("host {} reported no query result: {e}", h.host))
        })?;
        all.answers.extend(r.answers);
        all.client_count += r.client_count;
        all.clients.add(&r.clients);
    }
    all.answers.sort_by_key(|a| a.number);
    Ok(all)
}
