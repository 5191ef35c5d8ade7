//! `sfumato stream bench`: throughput against the reference in one run.

use sfumato_stream::bench::{BenchConfig, bench};

use crate::cli_stream::StreamBenchArgs;
use crate::commands::stream_generate::world;
use crate::error::CliError;
use crate::output::{Output, grouped};

/// Runs `sfumato stream bench`.
pub(crate) fn run(args: &StreamBenchArgs, out: &mut Output) -> Result<(), CliError> {
    if !(args.paced_fraction > 0.0 && args.paced_fraction <= 1.0) {
        return Err(CliError::usage("--paced-fraction must be in (0, 1]"));
    }
    let config = BenchConfig {
        world: world(&args.world, args.seed)?,
        workers: args.workers as usize,
        epoch_seconds: args.epoch_seconds,
        paced_fraction: args.paced_fraction,
    };
    let quiet = args.quiet;
    let report = bench(&config, &mut |name| {
        if !quiet {
            eprintln!("measuring: {name}");
        }
    })?;
    if out.is_json() {
        return out.json(&report);
    }
    let events = report.rows.first().map_or(0, |r| r.events);
    out.line(format!(
        "sfumato stream bench — Query 1 + Query 2, {} events ({} houses, {} plugs, {} s of event time), {} workers",
        grouped(events as f64, 0),
        config.world.houses,
        report.plugs,
        config.world.seconds,
        config.workers
    ))?;
    out.line(format!(
        "{:<38} {:>12} {:>8} {:>9} {:>10} {:>10} {:>8}",
        "run", "events/s", "vs ref", "outputs", "lat med", "lat p99", "sealed"
    ))?;
    for r in &report.rows {
        let (med, p99) = r
            .latency
            .as_ref()
            .map_or((String::new(), String::new()), |l| {
                (
                    format!("{:.3} s", l.steady.median),
                    format!("{:.3} s", l.steady.p99),
                )
            });
        out.line(format!(
            "{:<38} {:>12} {:>7.2}× {:>9} {:>10} {:>10} {:>6.0} MB",
            r.name,
            grouped(r.events_per_second, 0),
            r.vs_reference,
            if r.outputs_equal { "equal" } else { "DIFFER" },
            med,
            p99,
            r.sealed_megabytes
        ))?;
        if let Some(l) = r.latency.as_ref().filter(|l| l.migration.epochs > 0) {
            out.line(format!(
                "{:<38} {:>12} {:>8} {:>9} {:>10} {:>10}   (epochs during the migration)",
                "",
                "",
                "",
                "",
                format!("{:.3} s", l.migration.median),
                format!("{:.3} s", l.migration.p99)
            ))?;
        }
    }
    for r in report.rows.iter().filter(|r| r.encrypted) {
        out.line(format!(
            "{}: peak state {:.0} MB per worker against an EPC share of {:.0} MB; window pages sealed out {}, back {}",
            r.name, r.peak_state_megabytes, r.epc_budget_megabytes, r.paging.evicted, r.paging.restored
        ))?;
    }
    out.line(format!(
        "sealing alone (ChaCha20-Poly1305, 16,384-event batches): {:.0} MB/s, {:.1} ns per event",
        report.seal_megabytes_per_second, report.seal_nanoseconds_per_event
    ))?;
    out.line(format!("sealed rows used the {}", report.enclave))?;
    Ok(())
}
