//! `sfumato traces stats`: what a trace file says about its households.

use sfumato_traces::stats::stats_of_file;

use crate::cli::StatsArgs;
use crate::error::CliError;
use crate::output::Output;

/// Runs `sfumato traces stats`.
pub(crate) fn run(args: &StatsArgs, out: &mut Output) -> Result<(), CliError> {
    let report = stats_of_file(&args.file)?;
    if out.is_json() {
        out.json(&report)?;
    } else {
        out.line(format_args!("{report}"))?;
    }
    Ok(())
}
