//! `sfumato stream …`: StreamMine3G's elastic, secure stream processing of
//! smart-plug events (the DEBS 2014 Grand Challenge queries).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli_sim::RuntimeArgs;

/// `sfumato stream …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum StreamCommand {
    /// Generate a DEBS 2014 smart-plug stream (CSV) from the household load model
    Generate(StreamGenerateArgs),
    /// Run Query 1 (load forecasts) and Query 2 (outliers) over a stream on timely dataflow
    Run(StreamRunArgs),
    /// Measure throughput against the single-threaded reference, sealed, with a migration
    Bench(StreamBenchArgs),
}

/// The generated world.
#[derive(Debug, Args, Clone)]
pub(crate) struct WorldArgs {
    /// Houses
    #[arg(long, value_name = "N", default_value_t = 40)]
    pub(crate) houses: u32,

    /// Plugs in all (about; whole households are dealt to houses)
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub(crate) plugs: u32,

    /// Length of the stream, hours of event time (fractions allowed)
    #[arg(long, value_name = "H", default_value_t = 1.0)]
    pub(crate) hours: f64,

    /// Start, Unix seconds (a midnight, UTC; default 2013-09-01 as in the challenge)
    #[arg(long, value_name = "UNIX", default_value_t = 1_377_993_600)]
    pub(crate) start: u32,

    /// One work (kWh) reading per plug every this many seconds (loads come every second)
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub(crate) work_every: u32,
}

/// Arguments of `sfumato stream generate`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato stream generate --hours 2 --out plugs.csv\n\
    Lines: id,timestamp,value,property,plug_id,household_id,house_id (property 0 work kWh, 1 load W).")]
pub(crate) struct StreamGenerateArgs {
    /// The CSV file to write (replaced only when complete)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// Seed of households, days, weather and jitter
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    #[command(flatten)]
    pub(crate) world: WorldArgs,

    /// Do not show a progress bar
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// Arguments of `sfumato stream run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato stream run --hours 2 --workers 2 --out results/\n  \
    sfumato stream run --input plugs.csv --encrypt --migrate 0..20:1@1800 --workers 2\n  \
    sfumato stream run --reference --hours 2          # the single-threaded reference\n\
    Several processes: start the same command with --processes P --process 0..P-1.\n\
    --encrypt seals every packet and evicted state with the INSECURE software enclave stand-in,\n\
    and the report says so.")]
pub(crate) struct StreamRunArgs {
    /// A DEBS 2014 CSV file; without it, a stream is generated (see the world options)
    #[arg(long, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) world: WorldArgs,

    /// Write the challenge's output files (q1-house-<m>min.csv, q1-plug-<m>min.csv, q2-1h.csv,
    /// q2-24h.csv) into this new directory
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,

    /// Run the plain single-threaded reference instead of the dataflow
    #[arg(long, conflicts_with_all = ["encrypt", "migrate", "processes", "rate", "initial_workers"])]
    pub(crate) reference: bool,

    /// Seal all data between operators and evicted state (StreamMine3G §III), with the
    /// insecure software enclave stand-in
    #[arg(long)]
    pub(crate) encrypt: bool,

    /// Enclave page cache per process, MB (state beyond it is evicted sealed)
    #[arg(long, value_name = "MB", default_value_t = 128)]
    pub(crate) epc_mb: u64,

    /// Move houses FIRST..END to worker W, starting SECONDS after the stream's start
    /// (StreamMine3G §II), e.g. 0..20:1@1800
    #[arg(long, value_name = "FIRST..END:W@SECONDS")]
    pub(crate) migrate: Option<String>,

    /// Spread the houses over only the first N workers at the start; the others are spares that
    /// --migrate can move a range onto (scaling out)
    #[arg(long, value_name = "N")]
    pub(crate) initial_workers: Option<u32>,

    /// Seconds of event time per epoch (the unit of ordering, migration and latency)
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub(crate) epoch_seconds: u32,

    /// Pace the input to this many events per second (for latency); default: flat out
    #[arg(long, value_name = "EVENTS")]
    pub(crate) rate: Option<f64>,

    #[command(flatten)]
    pub(crate) runtime: RuntimeArgs,
}

/// Arguments of `sfumato stream bench`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato stream bench --hours 1 --workers 2")]
pub(crate) struct StreamBenchArgs {
    #[command(flatten)]
    pub(crate) world: WorldArgs,

    /// Timely workers of the dataflow rows
    #[arg(long, value_name = "W", default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) workers: u32,

    /// Seconds of event time per epoch
    #[arg(long, value_name = "S", default_value_t = 60)]
    pub(crate) epoch_seconds: u32,

    /// The paced latency row runs at this fraction of the sealed row's throughput
    #[arg(long, value_name = "F", default_value_t = 0.5)]
    pub(crate) paced_fraction: f64,

    /// Seed of the generated stream
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Do not show progress
    #[arg(long)]
    pub(crate) quiet: bool,
}
