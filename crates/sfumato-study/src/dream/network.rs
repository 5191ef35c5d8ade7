//! A DREAM study as a real deployment (ARCHITECTURE.md, "Runtimes"):
//! the same plan and nodes as [`crate::dream::simulate`], run by hosts of
//! `sfumato-net` over mutually authenticated TLS.
//!
//! A deployment is a directory:
//!
//! * `study.json` — what to run ([`NetStudy`]): households, N, M, ε, the
//!   clustering seed, the real-time slot schedule, the number of meter
//!   hosts;
//! * `directory.json` — the membership service: every node's host and
//!   certificate, every host's address (public);
//! * `households.csv` — the readings, when they come from a file;
//! * `host-H.sqlite` — host H's node identities and, once it runs, its
//!   nodes' durable state and reported events (secret: owner-only).
//!
//! Cluster suppliers run on host 0; meter k of every cluster on host
//! 1 + (k mod meter hosts), so killing one meter host takes the same share
//! of every cluster down — what DREAM §6's second round recovers from when
//! that share is at most M.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_dp::Epsilon;
use sfumato_net::store::Store;
use sfumato_net::{Host, HostReport, Membership, NodeCodec};
use sfumato_protocol::dream::{DreamEvent, DreamMessage, DreamNode, NoiseKind, SlotOutcome};
use sfumato_protocol::{NodeId, Time};
use sfumato_traces::Resolution;
use zeroize::Zeroizing;

use crate::dream::data::{Households, generate, read};
use crate::dream::plan::{Deployment, DreamPlan, Timing};
use crate::dream::simulate::{Outcome, RoleTraffic, Traffic};
use crate::error::{Result, StudyError};
pub use crate::up::{HostOptions, loopback_addrs, store_path};
use crate::up::{HostSummary, new_dir, open_host, read_json, write_directory, write_json};

/// Where the households come from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HouseholdSource {
    /// Generated: this many, slots of this length, this seed.
    Generated {
        /// Households.
        households: u64,
        /// Slot length (`10m`, `30m`, …).
        slot: String,
        /// Generator seed.
        seed: u64,
    },
    /// `households.csv` in the deployment directory (a wide trace file).
    File,
}

/// What a deployment runs (`study.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetStudy {
    /// The deployment's name.
    pub name: String,
    /// The households.
    pub households: HouseholdSource,
    /// N.
    pub cluster_size: u32,
    /// M.
    pub tolerate: u32,
    /// ε per slot, as given (`1`, `0.5`, `1/2`).
    pub epsilon: String,
    /// Δ in Wh, or `None` for the cluster's largest reading.
    pub sensitivity: Option<u64>,
    /// Reading unit, Wh.
    pub unit_wh: u64,
    /// w.
    pub partners: f64,
    /// Noise shares.
    pub noise: NoiseKind,
    /// Clustering seed (public).
    pub seed: u64,
    /// Slots to run.
    pub slots: usize,
    /// Real slot length, ms.
    pub slot_ms: u64,
    /// Set-up time before slot 0, ms: registration, then the directory
    /// (0 at creation:
    /// chosen from the size, see [`auto_setup_ms`]).
    pub setup_ms: u64,
    /// Hosts that run meters (host 0 runs the suppliers).
    pub meter_hosts: u32,
}

impl NetStudy {
    fn deployment(&self) -> Result<Deployment> {
        let epsilon = Epsilon::parse(&self.epsilon)?;
        if epsilon.is_zero() {
            return Err(StudyError::usage("ε must be positive"));
        }
        Ok(Deployment {
            cluster_size: self.cluster_size,
            tolerate: self.tolerate,
            epsilon,
            sensitivity: self.sensitivity,
            unit_wh: self.unit_wh,
            partners: self.partners,
            noise: self.noise,
            fail_rate: 0.0,
            seed: self.seed,
            workers: 1,
            slots: self.slots,
        })
    }

    /// The real-time schedule.
    pub fn timing(&self) -> Timing {
        Timing::real(self.slot_ms, self.setup_ms)
    }
}

/// A deployment directory, loaded.
pub struct NetDeployment {
    /// Its directory.
    pub dir: PathBuf,
    /// What it runs.
    pub study: NetStudy,
    /// The households.
    pub households: Households,
    /// The plan.
    pub plan: Arc<DreamPlan>,
    /// The membership service.
    pub membership: Arc<Membership>,
}

fn households(study: &NetStudy, dir: &Path) -> Result<Households> {
    let h = match &study.households {
        HouseholdSource::Generated {
            households,
            slot,
            seed,
        } => generate(*households, slot.parse::<Resolution>()?, *seed)?,
        HouseholdSource::File => read(&dir.join("households.csv"))?,
    };
    Ok(h.in_units(study.unit_wh))
}

/// The set-up time a deployment of `households` meters gets by default:
/// 2 s, plus 10 ms a meter, half for registration and half for the
/// directory (on loopback with 2 cores, 1,000 meters need about 4 s to
/// register and as long again to receive the directory over new TLS
/// channels and agree their keys).
pub fn auto_setup_ms(households: u64) -> u64 {
    2000 + 10 * households
}

/// The host of node `id` in `plan` with `meter_hosts` meter hosts.
pub fn host_of(plan: &DreamPlan, id: NodeId, meter_hosts: u32) -> u32 {
    match plan.locate(id) {
        Some((_, Some(k))) => 1 + k % meter_hosts.max(1),
        _ => 0,
    }
}

/// Creates deployment `dir` for `study`: checks the plan, draws every
/// node's key from OS randomness, and writes the directory and one store
/// per host. `households_file` is copied in when the study reads a file;
/// `addrs` (one per host, host 0 first) default to free loopback ports.
pub fn create(
    dir: &Path,
    study: &NetStudy,
    households_file: Option<&Path>,
    addrs: Option<Vec<SocketAddr>>,
) -> Result<NetDeployment> {
    if study.meter_hosts == 0 {
        return Err(StudyError::usage(
            "a deployment needs at least one meter host",
        ));
    }
    new_dir(dir)?;
    match (&study.households, households_file) {
        (HouseholdSource::File, Some(f)) => {
            std::fs::copy(f, dir.join("households.csv"))
                .map_err(|e| StudyError::io(format!("copying {}", f.display()), e))?;
        }
        (HouseholdSource::File, None) => {
            return Err(StudyError::usage(
                "the study reads a households file: give it",
            ));
        }
        _ => {}
    }
    let h = households(study, dir)?;
    let mut study = study.clone();
    if study.setup_ms == 0 {
        study.setup_ms = auto_setup_ms(h.totals.len() as u64);
    }
    let study = &study;
    let plan = DreamPlan::new(&h, &study.deployment()?, study.timing())?;
    let hosts = study.meter_hosts + 1;
    let addrs = match addrs {
        Some(a) if a.len() != hosts as usize => {
            return Err(StudyError::usage(format!(
                "{} addresses for {hosts} hosts (the supplier host and {} meter hosts)",
                a.len(),
                study.meter_hosts
            )));
        }
        a => a,
    };
    let membership = write_directory(
        dir,
        &study.name,
        hosts,
        addrs,
        (0..plan.nodes()).map(|id| (NodeId(id), host_of(&plan, NodeId(id), study.meter_hosts))),
    )?;
    write_json(&dir.join("study.json"), study)?;
    Ok(NetDeployment {
        dir: dir.to_path_buf(),
        study: study.clone(),
        households: h,
        plan: Arc::new(plan),
        membership,
    })
}

/// Loads deployment `dir`.
pub fn load(dir: &Path) -> Result<NetDeployment> {
    let study: NetStudy = read_json(&dir.join("study.json"))?;
    let membership = Arc::new(Membership::load(&dir.join("directory.json"))?);
    let h = households(&study, dir)?;
    let plan = DreamPlan::new(&h, &study.deployment()?, study.timing())?;
    if membership.directory().nodes.len() != plan.nodes() as usize {
        return Err(StudyError::usage(format!(
            "{}: the directory lists {} nodes, the study plans {}",
            dir.display(),
            membership.directory().nodes.len(),
            plan.nodes()
        )));
    }
    Ok(NetDeployment {
        dir: dir.to_path_buf(),
        study,
        households: h,
        plan: Arc::new(plan),
        membership,
    })
}

/// Saves DREAM nodes with their snapshots.
struct DreamCodec(Arc<DreamPlan>);

impl NodeCodec<DreamNode> for DreamCodec {
    fn save(&self, node: &DreamNode) -> core::result::Result<Option<Zeroizing<Vec<u8>>>, String> {
        node.snapshot().map(Some).map_err(|e| e.to_string())
    }

    fn restore(&self, id: NodeId, state: &[u8]) -> core::result::Result<DreamNode, String> {
        self.0.restore_node(id, state).map_err(|e| e.to_string())
    }
}

/// Runs host `host` of deployment `d` to the end of its last slot,
/// resuming its nodes if it ran before.
pub fn run_host(
    d: &NetDeployment,
    host: u32,
    options: &HostOptions,
) -> Result<HostReport<DreamEvent>> {
    if d.membership.host_addr(host).is_none() {
        return Err(StudyError::usage(format!(
            "the deployment has no host {host} (hosts 0 to {})",
            d.study.meter_hosts
        )));
    }
    let (store, identities) = open_host(&d.dir, host)?;
    let until = d
        .plan
        .params
        .end()
        .plus(Time::from_millis(d.study.slot_ms / 2));
    let config = options.config(&store, host, until)?;
    let plan = d.plan.clone();
    let codec: Arc<dyn NodeCodec<DreamNode>> = Arc::new(DreamCodec(plan.clone()));
    let host = Host::new(
        config,
        d.membership.clone(),
        identities,
        Some(store),
        Some(codec),
    )?;
    Ok(host.run(|id, rng| plan.make_node(id, rng).map_err(|e| e.to_string()))?)
}

/// One published (or failed) cluster-slot as the supplier's store has it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settled {
    /// The cluster.
    pub cluster: usize,
    /// The supplier's account.
    pub outcome: SlotOutcome,
    /// When it settled, ms after the slot's readings were due.
    pub latency_ms: f64,
}

/// What a deployment published, read back from the stores.
pub struct NetOutcome {
    /// The same account as a simulation's (traffic from the hosts).
    pub outcome: Outcome,
    /// Every settled cluster-slot.
    pub settled: Vec<Settled>,
    /// Cluster-slots the supplier settled more than once (must be 0).
    pub settled_twice: u64,
    /// (meter, slot) pairs with more than one reading sent, from the
    /// meters' audit logs (must be 0; `None` without audit logs).
    pub readings_twice: Option<u64>,
}

impl NetOutcome {
    /// Publication latency over the published cluster-slots, ms after
    /// their readings were due: (mean, largest, how many).
    pub fn publication_latency(&self) -> (f64, f64, usize) {
        let l: Vec<f64> = self
            .settled
            .iter()
            .filter(|s| s.outcome.published.is_some())
            .map(|s| s.latency_ms)
            .collect();
        let mean = l.iter().sum::<f64>() / l.len().max(1) as f64;
        (mean, l.iter().copied().fold(0.0, f64::max), l.len())
    }
}

/// Reads what deployment `d` published from the supplier host's store,
/// and checks the meters' audit logs where they exist. `hosts` are the
/// summaries of the host processes (for traffic), if known.
pub fn collect(d: &NetDeployment, hosts: &[HostSummary]) -> Result<NetOutcome> {
    let supplier_store = Store::open(&store_path(&d.dir, 0))?;
    let plan = &d.plan;
    let mut slots: Vec<BTreeMap<u32, SlotOutcome>> = vec![BTreeMap::new(); plan.clusters.len()];
    let mut settled = Vec::new();
    let mut settled_twice = 0;
    for e in supplier_store.events()? {
        let Some((c, None)) = plan.locate(e.node) else {
            continue;
        };
        let Ok(DreamEvent::Slot(o)) = serde_json::from_str::<DreamEvent>(&e.event) else {
            return Err(StudyError::usage(format!(
                "{}: an event of node {} does not parse",
                store_path(&d.dir, 0).display(),
                e.node.0
            )));
        };
        if slots[c].insert(o.slot, o).is_some() {
            settled_twice += 1;
        }
        let due = plan.params.slot_time(o.slot);
        settled.push(Settled {
            cluster: c,
            outcome: o,
            latency_ms: Time(e.time.saturating_sub(due.0)).as_millis_f64(),
        });
    }
    // Meters' audit logs: at most one reading per (meter, slot).
    let mut audited = false;
    let mut twice = 0u64;
    for host in 1..=d.study.meter_hosts {
        let path = store_path(&d.dir, host);
        if !path.exists() {
            continue;
        }
        let store = Store::open(&path)?;
        let sent = store.sent()?;
        audited |= !sent.is_empty();
        let mut seen: BTreeMap<(NodeId, u32), u32> = BTreeMap::new();
        for m in sent {
            if let Ok(DreamMessage::Reading { slot, .. }) = sfumato_protocol::decode(&m.message) {
                *seen.entry((m.node, slot)).or_default() += 1;
            }
        }
        twice += seen.values().filter(|n| **n > 1).count() as u64;
    }
    let meters = u64::from(plan.params.cluster_size) * plan.clusters.len() as u64;
    let mut traffic = RoleTraffic::default();
    for h in hosts {
        let t: &mut Traffic = if h.host == 0 {
            &mut traffic.suppliers
        } else {
            &mut traffic.meters
        };
        t.messages += h.facts.counters.frames_out;
        t.bytes += h.facts.counters.bytes_out;
    }
    traffic.meters.nodes = meters;
    traffic.suppliers.nodes = plan.clusters.len() as u64;
    Ok(NetOutcome {
        outcome: Outcome {
            clusters: plan.clusters.clone(),
            slots: slots
                .into_iter()
                .map(|m| m.into_values().collect())
                .collect(),
            traffic,
            run: sfumato_sim::RunInfo {
                workers: 1,
                processes: hosts.len().max(1),
                wall_seconds: 0.0,
                peak_memory_bytes: 0,
            },
        },
        settled,
        settled_twice,
        readings_twice: audited.then_some(twice),
    })
}
