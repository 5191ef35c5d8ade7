//! What every `sfumato sim …` command shares: workers, processes, seed and
//! the progress bar.

use std::sync::Arc;

use sfumato_sim::{Cluster, CostModel, Faults, Mode, ProgressFn, SimConfig};

use crate::cli_sim::RuntimeArgs;
use crate::error::CliError;
use crate::progress::Progress;

/// The first port of the default loopback cluster.
const DEFAULT_PORT: u32 = 2101;

/// The cluster `args` describe, if any.
pub(crate) fn cluster(args: &RuntimeArgs) -> Result<Option<Cluster>, CliError> {
    let (Some(processes), Some(process)) = (args.processes, args.process) else {
        return Ok(None);
    };
    if process >= processes {
        return Err(CliError::usage(format!(
            "--process {process} must be below --processes {processes}"
        )));
    }
    let addresses: Vec<String> = match &args.hostfile {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::usage(format!("cannot read hostfile {}: {e}", path.display()))
            })?;
            let hosts: Vec<String> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_string)
                .collect();
            if let Some(bad) = hosts.iter().find(|h| !h.contains(':')) {
                return Err(CliError::usage(format!(
                    "hostfile {}: `{bad}` is not host:port",
                    path.display()
                )));
            }
            if hosts.len() < processes as usize {
                return Err(CliError::usage(format!(
                    "hostfile {} lists {} hosts for {processes} processes",
                    path.display(),
                    hosts.len()
                )));
            }
            hosts.into_iter().take(processes as usize).collect()
        }
        None => (0..processes)
            .map(|i| format!("127.0.0.1:{}", DEFAULT_PORT + i))
            .collect(),
    };
    Ok(Some(Cluster {
        process: process as usize,
        addresses,
    }))
}

/// A run configuration from the shared arguments.
pub(crate) fn config(
    args: &RuntimeArgs,
    nodes: u32,
    mode: Mode,
    faults: Faults,
) -> Result<SimConfig, CliError> {
    let config = SimConfig {
        seed: args.seed,
        nodes,
        workers: args.workers as usize,
        mode,
        faults,
        costs: CostModel::free(),
        cluster: cluster(args)?,
    };
    config.validate()?;
    Ok(config)
}

/// A progress bar over the run's ticks (none with --quiet or on processes
/// other than 0), and the callback that drives it.
pub(crate) fn progress(
    args: &RuntimeArgs,
    what: &str,
    total: u64,
) -> Option<(Arc<Progress>, ProgressFn)> {
    if args.quiet || args.process.is_some_and(|p| p != 0) {
        return None;
    }
    let bar = Arc::new(Progress::new(what, total));
    let driven = bar.clone();
    let callback: ProgressFn = Arc::new(move |p| driven.set(p.completed_ticks));
    Some((bar, callback))
}

/// "2 workers × 3 processes" or "2 workers".
pub(crate) fn describe_workers(config: &SimConfig) -> String {
    let w = config.workers;
    let plural = if w == 1 { "" } else { "s" };
    match &config.cluster {
        Some(c) => format!("{w} worker{plural} × {} processes", c.addresses.len()),
        None => format!("{w} worker{plural}"),
    }
}
