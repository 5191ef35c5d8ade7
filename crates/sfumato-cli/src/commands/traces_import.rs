//! `sfumato traces import`: public smart-meter formats to hourly daily
//! profiles (Chiaroscuro §6).

use serde_json::json;
use sfumato_traces::io::{Clip, Format, ImportOptions, MissingPolicy, import_file};

use crate::cli::{ImportArgs, ImportFormatArg, ReplicateArgs};
use crate::error::CliError;
use crate::output::{Output, grouped};

/// Runs `sfumato traces import`.
pub(crate) fn run(args: &ImportArgs, out: &mut Output) -> Result<(), CliError> {
    let format = match args.format {
        ImportFormatArg::UciHousehold => Format::UciHousehold,
        ImportFormatArg::Cer => Format::Cer,
        ImportFormatArg::LongCsv => Format::LongCsv,
    };
    let clip = args.clip.as_deref().map(str::parse::<Clip>).transpose()?;
    let missing: MissingPolicy = args.min_present.parse()?;
    let options = ImportOptions {
        household: args.household.clone(),
        residents: args.residents,
        missing,
        clip,
        ..ImportOptions::default()
    };
    // The output appears only if the whole import succeeds, so a bad input
    // never destroys an existing file.
    let report = import_file(format, &args.input, &args.out, &options)?;
    if out.is_json() {
        out.json(&json!({
            "command": "traces import",
            "format": format.name(),
            "input": args.input.display().to_string(),
            "out": args.out.display().to_string(),
            "clip": args.clip,
            "min_present": missing.min_fraction(),
            "report": report,
        }))?;
    } else {
        out.line(format_args!(
            "imported {} ({}) into {}: {} household-days written, {} dropped as incomplete",
            args.input.display(),
            format.name(),
            args.out.display(),
            grouped(report.days_written as f64, 0),
            grouped(report.days_dropped_incomplete as f64, 0),
        ))?;
        out.line(format_args!("  {report}"))?;
    }
    Ok(())
}

/// Runs `sfumato traces replicate`: every profile of the input, copied
/// with multiplicative jitter (Chiaroscuro App. D).
pub(crate) fn replicate(args: &ReplicateArgs, out: &mut Output) -> Result<(), CliError> {
    // Read without clipping: the range is the cluster run's to declare.
    let set = sfumato_traces::synthetic::from_csv(&args.input, (-f64::MAX, f64::MAX))?;
    let written = sfumato_traces::synthetic::replicate(
        &set.rows,
        args.copies,
        args.jitter,
        args.seed.seed,
        &args.out,
    )?;
    if out.is_json() {
        out.json(&json!({
            "command": "traces replicate",
            "input": args.input.display().to_string(),
            "profiles": set.rows.len(),
            "copies": args.copies,
            "jitter": args.jitter,
            "seed": args.seed.seed,
            "rows_written": written,
            "out": args.out.display().to_string(),
        }))?;
    } else {
        out.line(format_args!(
            "replicated {} profiles of {} values ×{} (jitter ±{} %, seed {}) into {}: {} rows",
            grouped(set.rows.len() as f64, 0),
            set.rows.first().map_or(0, Vec::len),
            args.copies,
            args.jitter * 100.0,
            args.seed.seed,
            args.out.display(),
            grouped(written as f64, 0),
        ))?;
    }
    Ok(())
}
