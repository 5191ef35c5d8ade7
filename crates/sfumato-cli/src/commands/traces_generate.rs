//! `sfumato traces generate`: a population of households' load traces.

use std::io::Write;
use std::time::Instant;

use serde_json::json;
use sfumato_traces::atomic::AtomicFile;
use sfumato_traces::generator::{Generator, GeneratorOptions, PopulationPlan, generate_population};
use sfumato_traces::io::{
    LongWriteOptions, LongWriter, ProfileWriter, WideWriteOptions, WideWriter,
};
use sfumato_traces::model::Model;
use sfumato_traces::{Date, Resolution};

use crate::cli::{GenerateArgs, TraceFormatArg};
use crate::error::CliError;
use crate::output::{Output, grouped};
use crate::progress::Progress;

/// What a run wrote.
struct Written {
    rows: u64,
    bytes: u64,
}

/// Counts the bytes passing through.
struct Counting<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `sfumato traces generate`.
pub(crate) fn run(args: &GenerateArgs, out: &mut Output) -> Result<(), CliError> {
    let resolution: Resolution = args.resolution.parse()?;
    let start: Date = args.start_date.parse()?;
    if args.out == "-" && out.is_json() {
        return Err(CliError::usage(
            "--json prints a summary on stdout: give --out a file, not `-`",
        ));
    }
    let model = match &args.model {
        Some(path) => Model::from_path(path)?,
        None => Model::builtin()?,
    };
    let options = GeneratorOptions {
        resolution,
        per_appliance: args.per_appliance,
        hvac: args.hvac,
        climate: args.climate.clone(),
        residents: args.residents,
    };
    let generator = Generator::new(model, options, args.seed.seed)?;
    let plan = PopulationPlan {
        first_household: args.first_household,
        households: args.households,
        start,
        days: args.days,
    };
    let decimals = args
        .decimals
        .unwrap_or(if resolution.minutes() < 10 { 6 } else { 4 });
    let started = Instant::now();
    let written = if args.out == "-" {
        write(args, &generator, &plan, decimals, out.writer(), "<stdout>")?
    } else {
        let mut file = AtomicFile::create(&args.out)?;
        let written = write(args, &generator, &plan, decimals, &mut file, &args.out)?;
        file.commit()?;
        written
    };
    let seconds = started.elapsed().as_secs_f64();
    let rate = plan.household_days() as f64 / seconds.max(1e-9);
    if out.is_json() {
        out.json(&json!({
            "command": "traces generate",
            "out": args.out,
            "households": plan.households,
            "first_household": plan.first_household,
            "days": plan.days,
            "start_date": start.to_string(),
            "resolution_minutes": resolution.minutes(),
            "unit": "kWh per slot",
            "per_appliance": args.per_appliance,
            "hvac": args.hvac,
            "climate": args.climate,
            "model": args.model.as_ref().map_or("built-in".to_string(), |p| p.display().to_string()),
            "seed": args.seed.seed,
            "rows": written.rows,
            "bytes": written.bytes,
            "seconds": seconds,
            "household_days_per_second": rate,
        }))?;
    } else {
        let line = format!(
            "wrote {} households × {} day(s) ({} rows, {} slots, kWh per slot, {} MB) to {} in {:.2} s ({} household-days/s), seed {}",
            grouped(plan.households as f64, 0),
            plan.days,
            grouped(written.rows as f64, 0),
            resolution,
            grouped(written.bytes as f64 / 1e6, 1),
            args.out,
            seconds,
            grouped(rate, 0),
            args.seed.seed,
        );
        if args.out == "-" {
            eprintln!("{line}");
        } else {
            out.line(line)?;
        }
    }
    Ok(())
}

fn write<W: Write>(
    args: &GenerateArgs,
    generator: &Generator,
    plan: &PopulationPlan,
    decimals: u8,
    sink: W,
    path: &str,
) -> Result<Written, CliError> {
    let mut counting = Counting {
        inner: sink,
        bytes: 0,
    };
    let progress = Progress::new("generating", plan.households);
    let mut writer: Box<dyn ProfileWriter + '_> = match args.format {
        TraceFormatArg::Wide => {
            let options = WideWriteOptions {
                decimals: Some(decimals),
                date: Some(true),
                residents: Some(true),
                appliance: Some(args.per_appliance),
            };
            let resolution = generator.options().resolution;
            Box::new(WideWriter::new(&mut counting, resolution, options)?.with_path(path))
        }
        TraceFormatArg::Long => {
            let options = LongWriteOptions {
                decimals: Some(decimals),
                appliance: Some(args.per_appliance),
                residents: Some(true),
            };
            Box::new(LongWriter::new(&mut counting, options)?.with_path(path))
        }
    };
    generate_population(
        generator,
        plan,
        args.threads,
        |rows| rows.iter().try_for_each(|r| writer.write_profile(r)),
        |n| progress.set(n),
    )?;
    let rows = writer.close()?;
    progress.finish();
    counting.flush()?;
    Ok(Written {
        rows,
        bytes: counting.bytes,
    })
}
