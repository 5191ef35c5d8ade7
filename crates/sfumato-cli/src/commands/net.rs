//! `sfumato net create|run|up|report`: DREAM over the network runtime.

use std::path::{Path, PathBuf};

use serde_json::json;
use sfumato_study::chiaroscuro::network as cluster;
use sfumato_study::dream::network::{
    self, HostOptions, HouseholdSource, NetDeployment, NetOutcome, NetStudy,
};
use sfumato_study::dream::{Deployment, deploy};
use sfumato_study::up::{Fault, HostSummary, UpOptions, up as bring_up};

use crate::cli_net::{NetCreateArgs, NetReportArgs, NetRunArgs, NetUpArgs, StudyArgs};
use crate::commands::dream_run::{ReportParams, report as print_report};
use crate::error::CliError;
use crate::output::{Output, ReportExtra, human_bytes};

/// The loud notice every output of a run on the test seed carries.
pub(crate) const INSECURE: &str = "INSECURE TEST SEED: every key and all noise of this run follow from a public seed; never use it for real data";

fn study_of(a: &StudyArgs, name: &str) -> Result<NetStudy, CliError> {
    let d = &a.dream;
    if d.households.is_some_and(|h| h > 100_000) {
        return Err(CliError::usage(
            "--households: at most 100000 for a network deployment",
        ));
    }
    if d.tolerate >= d.cluster_size {
        return Err(CliError::usage(format!(
            "--tolerate {} must be below --cluster-size {}",
            d.tolerate, d.cluster_size
        )));
    }
    Ok(NetStudy {
        name: name.to_string(),
        households: match d.households {
            Some(n) if d.input.is_none() => HouseholdSource::Generated {
                households: n,
                slot: d.slot.clone(),
                seed: d.seed,
            },
            _ => HouseholdSource::File,
        },
        cluster_size: d.cluster_size,
        tolerate: d.tolerate,
        epsilon: d.epsilon.clone(),
        sensitivity: d.sensitivity,
        unit_wh: d.unit_wh,
        partners: d.partners,
        noise: d.noise.into(),
        seed: d.seed,
        slots: a.slots,
        slot_ms: a.slot_ms,
        setup_ms: a.setup_ms.unwrap_or(0),
        meter_hosts: a.processes,
    })
}

/// What the report says of a deployment's parameters (no meter fails at
/// random: failures are the kills).
fn report_params(s: &NetStudy) -> ReportParams {
    ReportParams {
        cluster_size: s.cluster_size,
        tolerate: s.tolerate,
        epsilon: s.epsilon.clone(),
        sensitivity: s.sensitivity,
        unit_wh: s.unit_wh,
        fail_rate: 0.0,
        seed: s.seed,
        store: None,
    }
}

fn name_of(dir: &Path) -> String {
    dir.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "sfumato".into())
}

/// `sfumato net create`.
pub(crate) fn create(args: &NetCreateArgs, out: &mut Output) -> Result<(), CliError> {
    let study = study_of(&args.study, &name_of(&args.dir))?;
    let d = network::create(
        &args.dir,
        &study,
        args.study.dream.input.as_deref(),
        args.addrs.clone(),
    )?;
    if out.is_json() {
        return out.json(&json!({
            "command": "net create",
            "dir": d.dir,
            "study": d.study,
            "hosts": d.membership.directory().hosts,
            "nodes": d.plan.nodes(),
            "clusters": d.plan.clusters.len(),
        }));
    }
    out.line(format_args!(
        "created {}: {} clusters of {} meters and their suppliers ({} nodes) on {} hosts",
        d.dir.display(),
        d.plan.clusters.len(),
        study.cluster_size,
        d.plan.nodes(),
        study.meter_hosts + 1
    ))?;
    for h in &d.membership.directory().hosts {
        out.line(format_args!(
            "  host {}  {}  {} nodes{}",
            h.host,
            h.addr,
            d.membership.nodes_of(h.host).len(),
            if h.host == 0 { " (suppliers)" } else { "" }
        ))?;
    }
    out.line(format_args!(
        "run each host: sfumato net run --dir {} --host H (or everything at once: sfumato net up)",
        d.dir.display()
    ))
}

/// `sfumato net run`.
pub(crate) fn run(args: &NetRunArgs, out: &mut Output) -> Result<(), CliError> {
    if args.insecure_test_seed.is_some() {
        eprintln!("{INSECURE}");
    }
    let options = HostOptions {
        epoch_unix_ms: args.epoch_ms,
        insecure_test_seed: args.insecure_test_seed,
        audit: args.audit,
    };
    let s = if cluster::is_cluster_deployment(&args.dir) {
        cluster::run_host(&cluster::load(&args.dir)?, args.host, &options)?
    } else if sfumato_study::tremel::network::is_query_deployment(&args.dir) {
        use sfumato_study::tremel::network as query;
        query::run_host(&query::load(&args.dir)?, args.host, &options)?
    } else {
        let d = network::load(&args.dir)?;
        HostSummary::new(args.host, &network::run_host(&d, args.host, &options)?)
    };
    if out.is_json() {
        // One line: `net up` reads it.
        return out.line(serde_json::to_string(&s).map_err(|e| CliError::Runtime(e.to_string()))?);
    }
    out.line(format_args!(
        "host {} (incarnation {}): {} nodes started, {} restored; {} events; {} frames in, {} out ({}, {}); rejected {} (peers {}, forged {}, replays {}, malformed {}); {} undeliverable",
        s.host,
        s.facts.incarnation,
        s.facts.started,
        s.facts.restored,
        s.events,
        s.facts.counters.frames_in,
        s.facts.counters.frames_out,
        human_bytes(s.facts.counters.bytes_in),
        human_bytes(s.facts.counters.bytes_out),
        s.facts.counters.rejected(),
        s.facts.counters.rejected_peers,
        s.facts.counters.forged_senders,
        s.facts.counters.replays,
        s.facts.counters.malformed,
        s.facts.counters.undeliverable
    ))?;
    if s.facts.insecure_test_seed {
        out.line(INSECURE)?;
    }
    Ok(())
}

/// The hosts' frames and rejections, in one line.
pub(crate) fn frames_line(c: &sfumato_net::CounterSnapshot) -> String {
    format!(
        "frames: {} sent, {} received ({}); rejected: {} peers, {} forged senders, {} replays, {} malformed; {} undeliverable",
        c.frames_out,
        c.frames_in,
        human_bytes(c.bytes_out),
        c.rejected_peers,
        c.forged_senders,
        c.replays,
        c.malformed,
        c.undeliverable
    )
}

pub(crate) fn temp_dir() -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    std::env::temp_dir().join(format!("sfumato-net-{}-{stamp}", std::process::id()))
}

fn net_extra(
    d: &NetDeployment,
    o: &NetOutcome,
    hosts: &[HostSummary],
    kills: &[(u32, f64)],
    wall: Option<f64>,
    compared: Option<(usize, usize)>,
) -> ReportExtra {
    let (mean, max, n) = o.publication_latency();
    let total = hosts
        .iter()
        .fold(sfumato_net::CounterSnapshot::default(), |a, h| {
            a.merged(&h.facts.counters)
        });
    let insecure = hosts.iter().any(|h| h.facts.insecure_test_seed);
    let p = &d.plan.params;
    // The supplier settles a slot one window after its readings are due,
    // two in the robust variant (§6: it always runs the second round).
    let window = p.window.as_millis_f64();
    let predicted = if p.robust() { 2.0 * window } else { window };
    let mut lines = vec![
        format!(
            "network: {} hosts as OS processes on {}; slots of {} ms, windows of {} ms",
            hosts.len(),
            d.membership
                .host_addr(0)
                .map_or("?".into(), |a| a.ip().to_string()),
            d.study.slot_ms,
            window
        ),
        format!(
            "published {n} cluster-slots, {:.1} ms after their readings were due on average, {:.1} ms at most (the protocol's schedule: {predicted:.0} ms)",
            mean, max
        ),
        frames_line(&total),
        format!("cluster-slots settled twice: {}", o.settled_twice),
    ];
    if let Some(t) = o.readings_twice {
        lines.push(format!(
            "(meter, slot) pairs with two readings sent: {t} (audit logs)"
        ));
    }
    for (h, at) in kills {
        lines.push(format!(
            "killed host {h} (SIGKILL) at {:.0} ms and restarted it",
            at
        ));
    }
    if let Some(s) = hosts.iter().find(|h| h.host == 0) {
        lines.push(format!(
            "supplier host (last incarnation): {} messages handled, at most {} a second (in 100 ms); {:.1} µs a handler call",
            s.facts.messages,
            s.facts.peak_messages_per_s,
            s.facts.handler_micros as f64 / s.facts.calls.max(1) as f64
        ));
    }
    let handler: u64 = hosts.iter().map(|h| h.facts.handler_micros).sum();
    let commit: u64 = hosts.iter().map(|h| h.facts.commit_micros).sum();
    let commits: u64 = hosts.iter().map(|h| h.facts.commits).sum();
    lines.push(format!(
        "handlers {:.2} s of CPU in {} calls; {} store commits took {:.2} s{}",
        handler as f64 / 1e6,
        hosts.iter().map(|h| h.facts.calls).sum::<u64>(),
        commits,
        commit as f64 / 1e6,
        wall.map_or(String::new(), |w| format!("; wall {w:.2} s"))
    ));
    if let Some((equal, all)) = compared {
        lines.push(format!(
            "simulator on the same seed: {equal} of {all} cluster-slots published the same total{}",
            if equal == all {
                " (identical)"
            } else {
                " — DIFFERENT"
            }
        ));
    }
    if insecure {
        lines.push(INSECURE.to_string());
    }
    let mut json = serde_json::Map::new();
    json.insert("dir".into(), json!(d.dir));
    json.insert("hosts".into(), json!(hosts));
    json.insert("kills_ms".into(), json!(kills));
    json.insert(
        "latency_ms".into(),
        json!({ "mean": mean, "max": max, "published": n, "schedule": predicted }),
    );
    json.insert("settled_twice".into(), json!(o.settled_twice));
    json.insert("readings_twice".into(), json!(o.readings_twice));
    json.insert("counters".into(), json!(total));
    json.insert("wall_seconds".into(), json!(wall));
    json.insert("insecure_test_seed".into(), json!(insecure));
    if let Some((equal, all)) = compared {
        json.insert(
            "simulator_equal".into(),
            json!({ "equal": equal, "cluster_slots": all }),
        );
    }
    ReportExtra {
        command: "net up",
        json,
        lines,
    }
}

/// `sfumato net up`.
pub(crate) fn up(args: &NetUpArgs, out: &mut Output) -> Result<(), CliError> {
    if args.compare && args.insecure_test_seed != Some(args.study.dream.seed) {
        return Err(CliError::usage(
            "--compare needs --insecure-test-seed equal to --seed (the simulator's keys and noise come from the seed)",
        ));
    }
    if !(args.down_slots > 0.0 && args.down_slots <= 1000.0) {
        return Err(CliError::usage("--down-slots must be in (0, 1000]"));
    }
    let dir = args.dir.clone().unwrap_or_else(temp_dir);
    let study = study_of(&args.study, &name_of(&dir))?;
    let d = network::create(&dir, &study, args.study.dream.input.as_deref(), None)?;
    let study = d.study.clone();
    let p = d.plan.params;
    for t in [args.kill_meters_at_slot, args.kill_supplier_at_slot]
        .into_iter()
        .flatten()
    {
        if t >= p.slots {
            return Err(CliError::usage(format!(
                "slot {t} is not run (slots 0 to {})",
                p.slots - 1
            )));
        }
    }
    let down_ms = (args.down_slots * study.slot_ms as f64).round() as u64;
    let window_ms = p.window.0 / 1000;
    let mut faults = Vec::new();
    if let Some(t) = args.kill_meters_at_slot {
        faults.push(Fault {
            host: 1,
            at_ms: (p.slot_time(t).0 / 1000).saturating_sub(window_ms / 2),
            down_ms,
        });
    }
    if let Some(t) = args.kill_supplier_at_slot {
        faults.push(Fault {
            host: 0,
            at_ms: p.slot_time(t).0 / 1000 + window_ms / 2,
            down_ms,
        });
    }
    let program = std::env::current_exe()
        .map_err(|e| CliError::Runtime(format!("finding the sfumato binary: {e}")))?;
    let options = UpOptions {
        program,
        start_in_ms: args.start_in_ms,
        insecure_test_seed: args.insecure_test_seed,
        audit: args.audit,
        faults,
    };
    eprintln!(
        "sfumato net up: {} hosts in {}, {} slots of {} ms (about {:.0} s)",
        study.meter_hosts + 1,
        d.dir.display(),
        p.slots,
        study.slot_ms,
        (args.start_in_ms as f64 + p.end().as_millis_f64()) / 1000.0
    );
    let r = bring_up(&d.dir, study.meter_hosts + 1, p.end(), &options)?;
    let o = network::collect(&d, &r.hosts)?;
    let compared = if args.compare {
        let sim = deploy(
            &d.households,
            &Deployment {
                cluster_size: study.cluster_size,
                tolerate: study.tolerate,
                epsilon: sfumato_dp::Epsilon::parse(&study.epsilon)?,
                sensitivity: study.sensitivity,
                unit_wh: study.unit_wh,
                partners: study.partners,
                noise: study.noise,
                fail_rate: 0.0,
                seed: study.seed,
                workers: 1,
                slots: study.slots,
            },
        )?;
        let mut equal = 0;
        let mut all = 0;
        for (a, b) in sim.slots.iter().zip(&o.outcome.slots) {
            all += a.len().max(b.len());
            equal += a
                .iter()
                .zip(b)
                .filter(|(x, y)| {
                    x.slot == y.slot && x.published == y.published && x.status == y.status
                })
                .count();
        }
        Some((equal, all))
    } else {
        None
    };
    let extra = net_extra(&d, &o, &r.hosts, &r.kills, Some(r.wall_seconds), compared);
    print_report(
        &report_params(&study),
        &d.households,
        &o.outcome,
        study.slots,
        Some(extra),
        out,
    )?;
    if o.settled_twice > 0 || o.readings_twice.is_some_and(|t| t > 0) {
        return Err(CliError::Runtime(
            "a slot was settled twice or a meter sent two readings for a slot".into(),
        ));
    }
    if compared.is_some_and(|(e, a)| e != a) {
        return Err(CliError::Runtime(
            "the network run published other totals than the simulator".into(),
        ));
    }
    Ok(())
}

/// `sfumato net report`.
pub(crate) fn report(args: &NetReportArgs, out: &mut Output) -> Result<(), CliError> {
    let d = network::load(&args.dir)?;
    let o = network::collect(&d, &[])?;
    let mut extra = net_extra(&d, &o, &[], &[], None, None);
    extra.command = "net report";
    print_report(
        &report_params(&d.study),
        &d.households,
        &o.outcome,
        d.study.slots,
        Some(extra),
        out,
    )
}
