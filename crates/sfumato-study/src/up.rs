//! `sfumato net up`'s orchestration, for any protocol's deployment: every
//! host as its own OS process (`sfumato net run`), optional kill -9 and
//! restart of hosts mid-run, and each host's final summary.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sfumato_net::directory::to_hex;
use sfumato_net::host::HostFacts;
use sfumato_net::store::Store;
use sfumato_net::{
    Directory, DirectoryEntry, HostConfig, HostEntry, HostReport, Membership, NodeIdentity,
    Randomness,
};
use sfumato_protocol::{NodeId, Time};

use crate::error::{Result, StudyError};

/// How to run a host.
#[derive(Clone, Debug)]
pub struct HostOptions {
    /// Time zero, ms since the Unix epoch (a host that ran before keeps
    /// the one it stored; default: one second from now).
    pub epoch_unix_ms: Option<u64>,
    /// **Insecure**: the simulator's streams for this seed instead of OS
    /// randomness (tests and comparisons only).
    pub insecure_test_seed: Option<u64>,
    /// Log every sent message in the host's store.
    pub audit: bool,
}

const EPOCH_KEY: &str = "epoch_unix_micros";

/// Writes `value` to `path` as pretty JSON.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| StudyError::usage(format!("{}: {e}", path.display())))?;
    std::fs::write(path, text + "\n")
        .map_err(|e| StudyError::io(format!("writing {}", path.display()), e))
}

/// Reads JSON from `path`.
pub(crate) fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| StudyError::io(format!("reading {}", path.display()), e))?;
    serde_json::from_str(&text).map_err(|e| StudyError::usage(format!("{}: {e}", path.display())))
}

/// The store of host `host`.
pub fn store_path(dir: &Path, host: u32) -> PathBuf {
    dir.join(format!("host-{host}.sqlite"))
}

/// Free loopback ports, one per host (bound and released: another
/// program could take one before the hosts start, which the hosts then
/// report as an error).
pub fn loopback_addrs(hosts: u32) -> Result<Vec<SocketAddr>> {
    let listeners: Vec<TcpListener> = (0..hosts)
        .map(|_| TcpListener::bind("127.0.0.1:0"))
        .collect::<std::io::Result<_>>()
        .map_err(|e| StudyError::io("finding a free loopback port", e))?;
    listeners
        .iter()
        .map(|l| {
            l.local_addr()
                .map_err(|e| StudyError::io("finding a free loopback port", e))
        })
        .collect()
}

impl HostOptions {
    /// The configuration of host `host` running until `until`, with the
    /// time zero stored in `store` (set on first start).
    pub fn config(&self, store: &Store, host: u32, until: Time) -> Result<HostConfig> {
        let epoch = match store.meta_i64(EPOCH_KEY)? {
            Some(e) => e.max(0) as u64,
            None => {
                let e = match self.epoch_unix_ms {
                    Some(ms) => ms.saturating_mul(1000),
                    None => sfumato_net::host::unix_micros() + 1_000_000,
                };
                store.put_meta_i64(EPOCH_KEY, e as i64)?;
                e
            }
        };
        let mut config = HostConfig::new(host, epoch, until);
        config.audit = self.audit;
        if let Some(seed) = self.insecure_test_seed {
            config.randomness = Randomness::InsecureTestSeed(seed);
        }
        Ok(config)
    }
}

/// Creates `dir` for a new deployment. Errors: it exists and is not
/// empty.
pub fn new_dir(dir: &Path) -> Result<()> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| StudyError::io(format!("reading {}", dir.display()), e))?
            .next()
            .is_some()
    {
        return Err(StudyError::usage(format!(
            "{} exists and is not empty: choose a new directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| StudyError::io(format!("creating {}", dir.display()), e))
}

/// Draws every node's key from OS randomness and writes deployment
/// `name`'s `directory.json` and one store per host holding its nodes'
/// keys. `nodes` gives each node's host; `addrs` (one per host, host 0
/// first) default to free loopback ports.
pub fn write_directory(
    dir: &Path,
    name: &str,
    hosts: u32,
    addrs: Option<Vec<SocketAddr>>,
    nodes: impl Iterator<Item = (NodeId, u32)>,
) -> Result<Arc<Membership>> {
    let addrs = match addrs {
        Some(a) => a,
        None => loopback_addrs(hosts)?,
    };
    let mut identities: BTreeMap<u32, Vec<NodeIdentity>> = BTreeMap::new();
    let mut entries = Vec::new();
    for (id, host) in nodes {
        let identity = NodeIdentity::generate(id)?;
        entries.push(DirectoryEntry {
            id,
            host,
            certificate: to_hex(&identity.certificate),
        });
        identities.entry(host).or_default().push(identity);
    }
    let directory = Directory {
        deployment: name.to_string(),
        hosts: addrs
            .iter()
            .enumerate()
            .map(|(h, addr)| HostEntry {
                host: h as u32,
                addr: *addr,
            })
            .collect(),
        nodes: entries,
    };
    let membership = Arc::new(Membership::new(directory.clone())?);
    for (host, ids) in &identities {
        let mut store = Store::open(&store_path(dir, *host))?;
        store.put_identities(ids)?;
    }
    write_json(&dir.join("directory.json"), &directory)?;
    Ok(membership)
}

/// Host `host`'s store in deployment `dir` and the node identities it
/// holds. Errors: no such store, or one without keys.
pub fn open_host(dir: &Path, host: u32) -> Result<(Store, Vec<NodeIdentity>)> {
    let path = store_path(dir, host);
    if !path.exists() {
        return Err(StudyError::usage(format!(
            "the deployment has no host {host} ({} does not exist)",
            path.display()
        )));
    }
    let store = Store::open(&path)?;
    let identities = store.identities()?;
    if identities.is_empty() {
        return Err(StudyError::usage(format!(
            "host {host}'s store holds no node keys"
        )));
    }
    Ok((store, identities))
}

/// What one host process said when it finished (`sfumato net run --json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HostSummary {
    /// The host.
    pub host: u32,
    /// Counters and timings.
    #[serde(flatten)]
    pub facts: HostFacts,
    /// Events reported.
    pub events: usize,
    /// What the protocol adds (Chiaroscuro: the host's participants'
    /// summary).
    #[serde(default)]
    pub protocol: serde_json::Value,
}

impl HostSummary {
    /// The summary of host `host`'s report.
    pub fn new<E>(host: u32, r: &HostReport<E>) -> HostSummary {
        HostSummary {
            host,
            facts: r.facts,
            events: r.events.len(),
            protocol: serde_json::Value::Null,
        }
    }
}

/// A host killed (SIGKILL) at a time and restarted after a pause.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fault {
    /// The host.
    pub host: u32,
    /// When, ms after time zero.
    pub at_ms: u64,
    /// How long it stays down before its restart, ms.
    pub down_ms: u64,
}

/// How to bring a deployment up.
#[derive(Clone, Debug)]
pub struct UpOptions {
    /// The `sfumato` binary that runs a host (`net run`).
    pub program: PathBuf,
    /// Time zero: ms from now.
    pub start_in_ms: u64,
    /// **Insecure**: the simulator's streams for this seed.
    pub insecure_test_seed: Option<u64>,
    /// Hosts log every sent message.
    pub audit: bool,
    /// Hosts to kill and restart.
    pub faults: Vec<Fault>,
}

/// What happened.
#[derive(Clone, Debug)]
pub struct UpReport {
    /// Each host's summary from its last incarnation, by host.
    pub hosts: Vec<HostSummary>,
    /// (host, ms after time zero) of every kill.
    pub kills: Vec<(u32, f64)>,
    /// Wall-clock seconds from the first process to the last exit.
    pub wall_seconds: f64,
    /// Time zero, ms since the Unix epoch.
    pub epoch_unix_ms: u64,
}

struct Running {
    host: u32,
    child: Option<Child>,
    /// Restart at this instant.
    restart_at: Option<Instant>,
    summary: Option<HostSummary>,
}

fn spawn(dir: &Path, o: &UpOptions, host: u32, epoch_ms: u64) -> Result<Child> {
    let mut cmd = Command::new(&o.program);
    cmd.arg("net")
        .arg("run")
        .arg("--dir")
        .arg(dir)
        .arg("--host")
        .arg(host.to_string())
        .arg("--epoch-ms")
        .arg(epoch_ms.to_string())
        .arg("--json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if let Some(seed) = o.insecure_test_seed {
        cmd.arg("--insecure-test-seed").arg(seed.to_string());
    }
    if o.audit {
        cmd.arg("--audit");
    }
    cmd.spawn()
        .map_err(|e| StudyError::io(format!("starting {}", o.program.display()), e))
}

fn finished(host: u32, mut child: Child) -> Result<HostSummary> {
    let status = child
        .wait()
        .map_err(|e| StudyError::io(format!("waiting for host {host}"), e))?;
    let mut out = String::new();
    if let Some(mut s) = child.stdout.take() {
        let _ = s.read_to_string(&mut out);
    }
    if !status.success() {
        return Err(StudyError::usage(format!("host {host} failed ({status})")));
    }
    out.lines()
        .rev()
        .find_map(|l| serde_json::from_str::<HostSummary>(l).ok())
        .ok_or_else(|| StudyError::usage(format!("host {host} printed no summary")))
}

/// Runs hosts `0..hosts` of the deployment in `dir` as processes until
/// they end (their protocol's `end`, at the latest a minute after it),
/// applying `o.faults`.
pub fn up(dir: &Path, hosts: u32, end: Time, o: &UpOptions) -> Result<UpReport> {
    for f in &o.faults {
        if f.host >= hosts {
            return Err(StudyError::usage(format!(
                "there is no host {} to kill",
                f.host
            )));
        }
    }
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|x| x.as_millis() as u64)
        .unwrap_or(0);
    let epoch_ms = now_ms + o.start_in_ms;
    let started = Instant::now();
    let zero = started + Duration::from_millis(o.start_in_ms);
    let end = zero + Duration::from_micros(end.0) + Duration::from_secs(60);
    let mut running: Vec<Running> = Vec::with_capacity(hosts as usize);
    let kill_all = |running: &mut Vec<Running>| {
        for r in running.iter_mut() {
            if let Some(mut c) = r.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
    };
    for host in 0..hosts {
        match spawn(dir, o, host, epoch_ms) {
            Ok(child) => running.push(Running {
                host,
                child: Some(child),
                restart_at: None,
                summary: None,
            }),
            Err(e) => {
                kill_all(&mut running);
                return Err(e);
            }
        }
    }
    let mut pending: Vec<Fault> = o.faults.clone();
    pending.sort_by_key(|f| f.at_ms);
    let mut kills = Vec::new();
    loop {
        let now = Instant::now();
        if now > end {
            kill_all(&mut running);
            return Err(StudyError::usage("the deployment did not finish in time"));
        }
        let since_zero = now.saturating_duration_since(zero).as_millis() as u64;
        while let Some(f) = pending.first().copied() {
            if f.at_ms > since_zero || now < zero {
                break;
            }
            pending.remove(0);
            let r = &mut running[f.host as usize];
            if let Some(mut c) = r.child.take() {
                let _ = c.kill();
                let _ = c.wait();
                kills.push((
                    f.host,
                    now.saturating_duration_since(zero).as_secs_f64() * 1e3,
                ));
                r.restart_at = Some(now + Duration::from_millis(f.down_ms));
            }
        }
        let mut active = false;
        for r in running.iter_mut() {
            if let Some(at) = r.restart_at
                && now >= at
            {
                r.restart_at = None;
                match spawn(dir, o, r.host, epoch_ms) {
                    Ok(c) => r.child = Some(c),
                    Err(e) => {
                        kill_all(&mut running);
                        return Err(e);
                    }
                }
            }
            if let Some(c) = r.child.as_mut() {
                match c.try_wait() {
                    Ok(Some(_)) => {
                        if let Some(child) = r.child.take() {
                            match finished(r.host, child) {
                                Ok(s) => r.summary = Some(s),
                                Err(e) => {
                                    kill_all(&mut running);
                                    return Err(e);
                                }
                            }
                        }
                    }
                    Ok(None) => active = true,
                    Err(e) => {
                        kill_all(&mut running);
                        return Err(StudyError::io("waiting for a host", e));
                    }
                }
            }
            active |= r.restart_at.is_some();
        }
        if !active {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(UpReport {
        hosts: running
            .into_iter()
            .map(|r| r.summary.unwrap_or_default())
            .collect(),
        kills,
        wall_seconds: started.elapsed().as_secs_f64(),
        epoch_unix_ms: epoch_ms,
    })
}
