//! Chiaroscuro as a real deployment: the simulator's participants,
//! unchanged, on hosts of `sfumato-net`, encrypting with **real**
//! threshold Damgård–Jurik (the insecure plaintext stand-in is the
//! simulator's only).
//!
//! A deployment is a directory:
//!
//! * `cluster.json` — the run's public parameters ([`ClusterNetStudy`]);
//! * `public.json` — the threshold public key (Chiaroscuro §3.3.1);
//! * `directory.json` — the membership service, as for DREAM;
//! * `host-H.sqlite` — host H's node keys, its participants' series and,
//!   for the committee members it runs, their key shares (secret).
//!
//! The key is generated and dealt once, at creation, by whoever creates
//! the deployment (a trusted dealer, as the simulator's runs assume). A
//! run keeps nothing durable: a participant that restarts starts afresh,
//! and Chiaroscuro's gossip tolerates the loss (§6.1.5).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::dj::PrivateKey;
use sfumato_crypto::dj::threshold::{KeyShare, ThresholdPublicKey};
use sfumato_net::{Host, Membership};
use sfumato_protocol::chiaroscuro::{
    ChiaroscuroEvent, ChiaroscuroParams, DamgardJurik, Participant, Shared,
};
use sfumato_protocol::{NodeId, Time};
use sfumato_sim::Probe;
use sfumato_sim::chiaroscuro::{ChiaroscuroProbe, ChiaroscuroSummary};

use crate::error::{Result, StudyError};
use crate::up::{
    HostOptions, HostSummary, new_dir, open_host, read_json, write_directory, write_json,
};

/// What a Chiaroscuro deployment runs (`cluster.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClusterNetStudy {
    /// The deployment's name.
    pub name: String,
    /// The run's public parameters (population, k, budgets, periods…).
    pub params: ChiaroscuroParams,
    /// Key holders (participants `0..committee`).
    pub committee: u32,
    /// τ: partial decryptions needed.
    pub threshold: u32,
    /// Bits of the Damgård–Jurik modulus.
    pub key_bits: u32,
    /// Hosts; participant i runs on host i mod hosts.
    pub hosts: u32,
}

impl ClusterNetStudy {
    /// When every iteration is over.
    pub fn end(&self) -> Time {
        self.params.end(self.params.max_iterations())
    }
}

/// A Chiaroscuro deployment, loaded.
pub struct ClusterDeployment {
    /// Its directory.
    pub dir: PathBuf,
    /// What it runs.
    pub study: ClusterNetStudy,
    /// The threshold public key.
    pub key: Arc<ThresholdPublicKey>,
    /// The membership service.
    pub membership: Arc<Membership>,
}

fn row_key(id: u32) -> String {
    format!("series-{id}")
}

fn share_key(id: u32) -> String {
    format!("dj-share-{id}")
}

/// Whether `dir` holds a Chiaroscuro deployment.
pub fn is_cluster_deployment(dir: &Path) -> bool {
    dir.join("cluster.json").exists()
}

/// Creates deployment `dir`: generates a `key_bits` threshold key and
/// deals it to the committee, draws every node's identity, and stores each
/// participant's series and share on its host. The key comes from OS
/// randomness, or — **insecure, for comparisons** — from the simulator's
/// derivation of `insecure_key_seed`.
pub fn create(
    dir: &Path,
    study: &ClusterNetStudy,
    rows: &[Vec<f64>],
    insecure_key_seed: Option<u64>,
) -> Result<ClusterDeployment> {
    let p = &study.params;
    p.validate()?;
    if study.hosts == 0 {
        return Err(StudyError::usage("a deployment needs at least one host"));
    }
    if rows.len() != p.population as usize {
        return Err(StudyError::usage(format!(
            "{} series for {} participants",
            rows.len(),
            p.population
        )));
    }
    if study.threshold == 0 || study.threshold > study.committee || study.committee > p.population {
        return Err(StudyError::usage(format!(
            "a committee of {} with threshold {} among {} participants",
            study.committee, study.threshold, p.population
        )));
    }
    new_dir(dir)?;
    let mut rng = match insecure_key_seed {
        // The derivation `cluster run` uses for its dealer.
        Some(seed) => ChaCha20Rng::seed_from_u64(seed ^ 0x00d1_5ea1),
        None => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed)
                .map_err(|e| StudyError::usage(format!("OS randomness is unavailable: {e}")))?;
            ChaCha20Rng::from_seed(seed)
        }
    };
    let sk = PrivateKey::generate(&mut rng, study.key_bits, 1, 2, &|_| {})?;
    let (key, shares) = sk.deal(study.committee, study.threshold, &mut rng)?;
    drop(sk);
    let membership = write_directory(
        dir,
        &study.name,
        study.hosts,
        None,
        (0..p.population).map(|i| (NodeId(i), i % study.hosts)),
    )?;
    for host in 0..study.hosts {
        let (store, _) = open_host(dir, host)?;
        for i in (host..p.population).step_by(study.hosts as usize) {
            let row = serde_json::to_vec(&rows[i as usize])
                .map_err(|e| StudyError::usage(e.to_string()))?;
            store.put_meta_blob(&row_key(i), &row)?;
            if let Some(share) = shares.get(i as usize) {
                store.put_meta_blob(&share_key(i), share.to_json().as_bytes())?;
            }
        }
    }
    std::fs::write(dir.join("public.json"), key.to_json())
        .map_err(|e| StudyError::io("writing public.json", e))?;
    write_json(&dir.join("cluster.json"), study)?;
    Ok(ClusterDeployment {
        dir: dir.to_path_buf(),
        study: study.clone(),
        key: Arc::new(key),
        membership,
    })
}

/// Loads deployment `dir`.
pub fn load(dir: &Path) -> Result<ClusterDeployment> {
    let study: ClusterNetStudy = read_json(&dir.join("cluster.json"))?;
    study.params.validate()?;
    let text = std::fs::read_to_string(dir.join("public.json"))
        .map_err(|e| StudyError::io("reading public.json", e))?;
    let key = ThresholdPublicKey::from_json(&text)?;
    let membership = Arc::new(Membership::load(&dir.join("directory.json"))?);
    if membership.directory().nodes.len() != study.params.population as usize {
        return Err(StudyError::usage(format!(
            "{}: the directory lists {} nodes for {} participants",
            dir.display(),
            membership.directory().nodes.len(),
            study.params.population
        )));
    }
    Ok(ClusterDeployment {
        dir: dir.to_path_buf(),
        study,
        key: Arc::new(key),
        membership,
    })
}

/// What a Chiaroscuro host adds to its summary.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ClusterHostResult {
    /// Its participants' results and counters, as the simulator's probe
    /// folds them (messages and bytes: what they sent).
    pub summary: ChiaroscuroSummary,
    /// Participants that combined τ partial decryptions.
    pub decryptions: u64,
    /// Key holders that refused to decrypt (too few noise shares).
    pub refusals: u64,
}

/// Runs host `host` of deployment `d` to the end of the last iteration.
pub fn run_host(d: &ClusterDeployment, host: u32, options: &HostOptions) -> Result<HostSummary> {
    if d.membership.host_addr(host).is_none() {
        return Err(StudyError::usage(format!(
            "the deployment has no host {host} (hosts 0 to {})",
            d.study.hosts.saturating_sub(1)
        )));
    }
    let (store, identities) = open_host(&d.dir, host)?;
    let end = d.study.end();
    let config = options.config(&store, host, end.plus(d.study.params.period))?;
    let mut rows = std::collections::HashMap::new();
    let mut shares = std::collections::HashMap::new();
    for i in &identities {
        let row = store
            .meta_blob(&row_key(i.id.0))?
            .ok_or_else(|| StudyError::usage(format!("participant {} has no series", i.id.0)))?;
        let row: Vec<f64> = serde_json::from_slice(&row)
            .map_err(|e| StudyError::usage(format!("participant {}'s series: {e}", i.id.0)))?;
        rows.insert(i.id, row);
        if let Some(json) = store.meta_blob(&share_key(i.id.0))? {
            let text = std::str::from_utf8(&json)
                .map_err(|e| StudyError::usage(format!("key share {}: {e}", i.id.0)))?;
            shares.insert(i.id, Arc::new(KeyShare::from_json(text)?));
        }
    }
    let shared = Shared::new(d.study.params.clone(), DamgardJurik::new(d.key.clone()))?;
    let host_runner = Host::<Participant<DamgardJurik>>::new(
        config,
        d.membership.clone(),
        identities,
        Some(store),
        None,
    )?;
    let (report, nodes) = host_runner.run_keeping_nodes(|id, rng| {
        let row = rows.remove(&id).unwrap_or_default();
        Participant::new(id, shared.clone(), row, shares.get(&id).cloned(), rng)
            .map_err(|e| e.to_string())
    })?;
    let mut result = ClusterHostResult::default();
    for (id, node) in &nodes {
        ChiaroscuroProbe.observe(*id, node, end, &mut result.summary);
    }
    result.summary.messages = report.facts.sent;
    result.summary.bytes = report.facts.sent_bytes;
    for e in &report.events {
        match e.event {
            ChiaroscuroEvent::Decrypted { .. } => result.decryptions += 1,
            ChiaroscuroEvent::RefusedDecryption { .. } => result.refusals += 1,
            ChiaroscuroEvent::Error { .. } => {}
        }
    }
    let mut summary = HostSummary::new(host, &report);
    summary.protocol =
        serde_json::to_value(&result).map_err(|e| StudyError::usage(e.to_string()))?;
    Ok(summary)
}

/// The hosts' results folded into one, as the simulator folds its
/// workers'. Errors: a host summary without a Chiaroscuro result.
pub fn merge(hosts: &[HostSummary]) -> Result<ClusterHostResult> {
    let mut all = ClusterHostResult::default();
    for h in hosts {
        let r: ClusterHostResult = serde_json::from_value(h.protocol.clone()).map_err(|e| {
            StudyError::usage(format!(
                "host {} reported no Chiaroscuro result: {e}",
                h.host
            ))
        })?;
        <ChiaroscuroProbe as Probe<Participant<DamgardJurik>>>::merge(
            &ChiaroscuroProbe,
            &mut all.summary,
            &r.summary,
        );
        all.decryptions += r.decryptions;
        all.refusals += r.refusals;
    }
    Ok(all)
}
