//! `sfumato query run --network`: the simulator's clients and owner as real
//! hosts (OS processes) over TLS on loopback, with real onions, reported
//! as the simulator's runs are.

use sfumato_sim::RunInfo;
use sfumato_study::tremel::data::MeterRecords;
use sfumato_study::tremel::network::{create, merge};
use sfumato_study::tremel::{ClientTraffic, QueryOutcome, QueryStudy, plan, rows};
use sfumato_study::up::{UpOptions, up as bring_up};

use crate::cli_query::QueryRunArgs;
use crate::commands::net::{frames_line, temp_dir};
use crate::commands::query_run::report;
use crate::error::CliError;
use crate::output::Output;

/// Runs study `s` over the network and reports it.
pub(crate) fn run(
    args: &QueryRunArgs,
    s: &QueryStudy,
    records: &MeterRecords,
    out: &mut Output,
) -> Result<(), CliError> {
    let plan = plan(s, records)?;
    let dir = args.dir.clone().unwrap_or_else(temp_dir);
    let name = dir
        .file_name()
        .map_or("sfumato".into(), |n| n.to_string_lossy().into_owned());
    let dep = create(&dir, &name, &plan, args.hosts)?;
    let end = dep.study.end()?;
    if !out.is_json() {
        eprintln!(
            "sfumato query run --network: {} clients and the owner on {} hosts in {}, about {:.0} s",
            plan.params.n,
            args.hosts,
            dep.dir.display(),
            (args.start_in_ms as f64 + end.as_millis_f64()) / 1000.0
        );
    }
    let program = std::env::current_exe()
        .map_err(|e| CliError::Runtime(format!("finding the sfumato binary: {e}")))?;
    let up = bring_up(
        &dep.dir,
        args.hosts,
        end,
        &UpOptions {
            program,
            start_in_ms: args.start_in_ms,
            insecure_test_seed: None,
            audit: false,
            faults: Vec::new(),
        },
    )?;
    let merged = merge(&up.hosts)?;
    let clients = up.hosts.iter().filter(|h| h.host > 0);
    let traffic = ClientTraffic {
        clients: merged.client_count,
        messages: clients.clone().map(|h| h.facts.sent).sum(),
        bytes: clients.clone().map(|h| h.facts.sent_bytes).sum(),
        max_bytes: 0,
        cpu_micros: clients.map(|h| h.facts.handler_micros).sum(),
        stats: merged.clients,
    };
    let outcome = QueryOutcome {
        size: plan.size,
        t: plan.params.t,
        rounds: plan.params.overlay_rounds(&plan.overlay),
        rows: rows(
            &s.spec,
            records,
            &merged.answers,
            &[],
            s.deployment.variant == sfumato_protocol::tremel::Variant::Byzantine,
        ),
        failed: Vec::new(),
        traffic,
        insecure: false,
        byzantine: Vec::new(),
        ledger: match &s.deployment.privacy {
            Some(p) if s.deployment.variant == sfumato_protocol::tremel::Variant::Byzantine => {
                let asked: Vec<u64> = (1..=u64::from(s.queries)).collect();
                Some(sfumato_study::tremel::privacy::ledger(p, &asked)?)
            }
            _ => None,
        },
        run: RunInfo {
            workers: 1,
            processes: args.hosts as usize,
            wall_seconds: up.wall_seconds,
            peak_memory_bytes: 0,
        },
    };
    let counters = up
        .hosts
        .iter()
        .fold(sfumato_net::CounterSnapshot::default(), |a, h| {
            a.merged(&h.facts.counters)
        });
    report(args, s, &outcome, None, out)?;
    if !out.is_json() {
        out.line(format!(
            "network: {} hosts (OS processes) over TLS on loopback, {:.1} s of wall time; handlers used {:.1} s of CPU",
            args.hosts,
            up.wall_seconds,
            outcome.traffic.cpu_micros as f64 / 1e6
        ))?;
        out.line(frames_line(&counters))?;
    }
    Ok(())
}
