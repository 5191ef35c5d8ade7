//! `sfumato dream …`: DREAM's command line.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

/// `sfumato dream …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum DreamCommand {
    /// Run DREAM on households in the simulator: true and published total per slot
    Run(DreamRunArgs),
    /// Reproduce DREAM §7: Table 1, 2, 3 or the data of Figure 2
    Experiment(DreamExperimentArgs),
}

/// Noise shares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum NoiseArg {
    /// Exact Pólya shares of a discrete Laplace (integers, no floating point)
    Discrete,
    /// The paper's gamma shares, rounded to whole Wh
    Gamma,
}

impl From<NoiseArg> for sfumato_protocol::dream::NoiseKind {
    fn from(a: NoiseArg) -> Self {
        match a {
            NoiseArg::Discrete => sfumato_protocol::dream::NoiseKind::Discrete,
            NoiseArg::Gamma => sfumato_protocol::dream::NoiseKind::Gamma,
        }
    }
}

/// A DREAM study: where the households come from, and the protocol's
/// parameters (shared by `dream run` and `net create|up`).
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["input", "households"])))]
pub(crate) struct DreamStudyArgs {
    /// A wide trace CSV (`sfumato traces generate`): the first day of each household
    #[arg(long, value_name = "FILE")]
    pub(crate) input: Option<PathBuf>,

    /// Generate this many households instead (one winter weekday)
    #[arg(long, value_name = "H", value_parser = clap::value_parser!(u64).range(2..=2_000_000))]
    pub(crate) households: Option<u64>,

    /// N: meters per cluster
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=10_000))]
    pub(crate) cluster_size: u32,

    /// M: meter failures tolerated per slot (0: the one-round protocol)
    #[arg(long, value_name = "M", default_value_t = 0)]
    pub(crate) tolerate: u32,

    /// ε per slot
    #[arg(long, value_name = "E")]
    pub(crate) epsilon: String,

    /// Δ in Wh: the largest reading the noise hides (default: per slot, the cluster's largest)
    #[arg(long, value_name = "WH", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) sensitivity: Option<u64>,

    /// The unit readings are quantised to, in Wh (DREAM §5.2: integers)
    #[arg(long, value_name = "WH", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub(crate) unit_wh: u64,

    /// Slot length (generated households; a file has its own)
    #[arg(long, value_name = "DURATION", default_value = "10m")]
    pub(crate) slot: String,

    /// w: expected partners per meter and slot
    #[arg(long, value_name = "W", default_value_t = 10.0)]
    pub(crate) partners: f64,

    /// Noise shares
    #[arg(long, value_enum, default_value_t = NoiseArg::Discrete)]
    pub(crate) noise: NoiseArg,

    /// Seed of the household generator and the clustering (in the simulator also of keys, noise and failures)
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
}

/// Arguments of `sfumato dream run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato dream run --households 1000 --cluster-size 100 --tolerate 10 --epsilon 1 --fail-rate 0.05 --seed 1\n  \
    sfumato traces generate --households 500 --resolution 10m --out day.csv\n  \
    sfumato dream run --input day.csv --cluster-size 50 --tolerate 0 --epsilon 0.5 --sensitivity 2000\n\
    Without --sensitivity, λ(t) is the largest reading of the cluster in slot t divided by ε,\n\
    known a priori as DREAM §7.1 assumes.")]
pub(crate) struct DreamRunArgs {
    #[command(flatten)]
    pub(crate) study: DreamStudyArgs,

    /// Slots to run (default: a whole day)
    #[arg(long, value_name = "K")]
    pub(crate) slots: Option<usize>,

    /// Probability that a meter fails in a slot
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) fail_rate: f64,

    /// Worker threads
    #[arg(long, value_name = "W", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: u32,

    /// Record the run in this results store (SQLite; created if missing), for the dashboard
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<std::path::PathBuf>,
}

/// Which result of DREAM §7.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableArg {
    /// Table 1: error by cluster size N and failure ratio α
    #[value(name = "1")]
    One,
    /// Table 2: ε_s of households over s slots, by N
    #[value(name = "2")]
    Two,
    /// Table 3: ε_s of appliances over s slots (N = 100)
    #[value(name = "3")]
    Three,
    /// Figure 2: one household's original and noisy trace (N = 100)
    #[value(name = "fig2")]
    Fig2,
}

/// Arguments of `sfumato dream experiment`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  sfumato dream experiment --table 1 --seed 1\n\
    The paper's values are printed beside ours; docs/REPRODUCTION.md explains the differences."
)]
pub(crate) struct DreamExperimentArgs {
    /// Which table
    #[arg(long, value_enum)]
    pub(crate) table: TableArg,

    /// Seed
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Households generated (the paper: 3,000)
    #[arg(long, value_name = "H", default_value_t = 3000, value_parser = clap::value_parser!(u64).range(100..=100_000))]
    pub(crate) households: u64,

    /// Random clusters per cluster size (the paper: 200)
    #[arg(long, value_name = "C", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) clusters: u32,
}
