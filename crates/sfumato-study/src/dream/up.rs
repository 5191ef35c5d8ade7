//! `sfumato net up`'s orchestration: every host of a deployment as its own
//! OS process, optional kill -9 and restart of hosts mid-run, and each
//! host's final summary.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::dream::network::{HostSummary, NetDeployment};
use crate::error::{Result, StudyError};

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

fn spawn(d: &NetDeployment, o: &UpOptions, host: u32, epoch_ms: u64) -> Result<Child> {
    let mut cmd = Command::new(&o.program);
    cmd.arg("net")
        .arg("run")
        .arg("--dir")
        .arg(&d.dir)
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

/// Runs every host of `d` as a process until the last slot is settled,
/// applying `o.faults`.
pub fn up(d: &NetDeployment, o: &UpOptions) -> Result<UpReport> {
    let hosts = d.study.meter_hosts + 1;
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
    let end = zero + Duration::from_micros(d.plan.params.end().0) + Duration::from_secs(60);
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
        match spawn(d, o, host, epoch_ms) {
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
                match spawn(d, o, r.host, epoch_ms) {
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
