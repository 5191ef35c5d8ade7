//! `sfumato stream generate`: a DEBS 2014 smart-plug stream as CSV.

use std::io::BufWriter;

use serde_json::json;
use sfumato_stream::csv::write_event;
use sfumato_stream::generate::{PlugStream, StreamConfig};
use sfumato_traces::atomic::AtomicFile;

use crate::cli_stream::{StreamGenerateArgs, WorldArgs};
use crate::error::CliError;
use crate::output::{Output, grouped};
use crate::progress::Progress;

/// The generator's configuration from the world options.
pub(crate) fn world(args: &WorldArgs, seed: u64) -> Result<StreamConfig, CliError> {
    if !(args.hours.is_finite() && args.hours > 0.0) {
        return Err(CliError::usage(format!(
            "--hours must be a positive number (got {})",
            args.hours
        )));
    }
    let seconds = (args.hours * 3600.0).round() as u64;
    let config = StreamConfig {
        seed,
        houses: args.houses,
        plugs: args.plugs,
        start: args.start,
        seconds: seconds.max(1),
        work_every: args.work_every,
    };
    config.validate()?;
    Ok(config)
}

/// Runs `sfumato stream generate`.
pub(crate) fn run(args: &StreamGenerateArgs, out: &mut Output) -> Result<(), CliError> {
    let config = world(&args.world, args.seed)?;
    let mut stream = PlugStream::new(&config)?;
    let total = stream.total_events();
    let file = AtomicFile::create(&args.out)?;
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let bar = (!args.quiet).then(|| Progress::new("events", total));
    let mut batch = Vec::with_capacity(64 * 1024);
    let mut written = 0u64;
    let io =
        |e: std::io::Error| CliError::Runtime(format!("cannot write {}: {e}", args.out.display()));
    loop {
        batch.clear();
        if stream.fill(&mut batch, 64 * 1024) == 0 {
            break;
        }
        for e in &batch {
            write_event(&mut w, e).map_err(io)?;
        }
        written += batch.len() as u64;
        if let Some(b) = &bar {
            b.set(written);
        }
    }
    if let Some(b) = &bar {
        b.finish();
    }
    let file = w.into_inner().map_err(|e| {
        CliError::Runtime(format!(
            "cannot write {}: {}",
            args.out.display(),
            e.error()
        ))
    })?;
    file.commit()?;
    if out.is_json() {
        out.json(&json!({
            "out": args.out.display().to_string(),
            "events": written,
            "houses": config.houses,
            "plugs": stream.plug_count(),
            "seconds": config.seconds,
            "start": config.start,
            "seed": config.seed,
        }))?;
    } else {
        out.line(format!(
            "{} events from {} plugs in {} houses, {} s from {} → {}",
            grouped(written as f64, 0),
            stream.plug_count(),
            config.houses,
            config.seconds,
            config.start,
            args.out.display()
        ))?;
    }
    Ok(())
}
