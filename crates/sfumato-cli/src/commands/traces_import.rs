//! `sfumato traces import`: public smart-meter formats to hourly daily
//! profiles (Chiaroscuro §6).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use serde_json::json;
use sfumato_traces::TracesError;
use sfumato_traces::atomic::AtomicFile;
use sfumato_traces::io::{Clip, Format, ImportOptions, MissingPolicy, import_to};

use crate::cli::{ImportArgs, ImportFormatArg};
use crate::error::CliError;
use crate::output::{Output, grouped};

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

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
    let input = File::open(&args.input).map_err(|e| TracesError::io(&args.input, e))?;
    if same_file(&args.input, &args.out) {
        return Err(CliError::usage(format!(
            "--out {} is the input file: write the profiles somewhere else",
            args.out.display()
        )));
    }
    // The output appears only if the whole import succeeds, so a bad input
    // never destroys an existing file (not even when IN and --out coincide).
    let mut file = AtomicFile::create(&args.out)?;
    let report = import_to(
        format,
        BufReader::new(input),
        &args.input,
        &mut file,
        &options,
    )?;
    if report.days_read == 0 {
        return Err(CliError::usage(format!(
            "{}: no data rows (is it a {} file?)",
            args.input.display(),
            format.name()
        )));
    }
    file.commit()?;
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
