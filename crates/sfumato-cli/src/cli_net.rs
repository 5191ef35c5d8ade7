//! `sfumato net …`: DREAM as a real deployment (the network runtime).

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli_dream::DreamStudyArgs;

/// `sfumato net …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum NetCommand {
    /// Create a DREAM deployment: keys, certificates, the directory, one store per host
    Create(NetCreateArgs),
    /// Run one host of a deployment (its nodes, until the last slot is settled)
    Run(NetRunArgs),
    /// Create a deployment on loopback, run every host as its own process, print the per-slot report
    Up(NetUpArgs),
    /// Print the per-slot report of a deployment that ran
    Report(NetReportArgs),
    /// Chiaroscuro on loopback: participants on hosts (OS processes) with real threshold Damgård–Jurik
    Cluster(Box<NetClusterArgs>),
}

/// What a deployment runs.
#[derive(Debug, Args)]
pub(crate) struct StudyArgs {
    #[command(flatten)]
    pub(crate) dream: DreamStudyArgs,

    /// Slots to run
    #[arg(long, value_name = "K", default_value_t = 12)]
    pub(crate) slots: usize,

    /// Real length of a slot, ms (the supplier's windows are a quarter of it)
    #[arg(long, value_name = "MS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(40..=86_400_000))]
    pub(crate) slot_ms: u64,

    /// Set-up before slot 0, ms: meters register in the first half, get the directory in the second (default: 2 s + 10 ms a household)
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=86_400_000))]
    pub(crate) setup_ms: Option<u64>,

    /// Meter hosts (OS processes); the suppliers run on one more
    #[arg(long, value_name = "P", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) processes: u32,
}

/// Arguments of `sfumato net create`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato net create --dir dep --households 200 --cluster-size 50 --tolerate 10 --epsilon 1 --processes 4\n  \
    sfumato net run --dir dep --host 0 &  sfumato net run --dir dep --host 1 & …\n\
    Hosts listen on free loopback ports unless --addrs lists one address per host (host 0 first).\n\
    Keys come from OS randomness; host-H.sqlite holds host H's secret keys (owner-only).")]
pub(crate) struct NetCreateArgs {
    /// The deployment directory to create (must not exist or be empty)
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// One listening address per host, comma-separated, host 0 (the suppliers) first
    #[arg(long, value_name = "ADDR,…", value_delimiter = ',')]
    pub(crate) addrs: Option<Vec<std::net::SocketAddr>>,

    #[command(flatten)]
    pub(crate) study: StudyArgs,
}

/// Arguments of `sfumato net run`.
#[derive(Debug, Args)]
pub(crate) struct NetRunArgs {
    /// The deployment directory
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// Which host to run (0: the suppliers)
    #[arg(long, value_name = "H")]
    pub(crate) host: u32,

    /// Time zero, ms since the Unix epoch (default: 1 s from now; a restarted host keeps its first)
    #[arg(long, value_name = "MS")]
    pub(crate) epoch_ms: Option<u64>,

    /// INSECURE, for tests: derive every key and all noise from this public seed (as the simulator does)
    #[arg(long, value_name = "S")]
    pub(crate) insecure_test_seed: Option<u64>,

    /// Log every sent message in the host's store
    #[arg(long)]
    pub(crate) audit: bool,
}

/// Arguments of `sfumato net up`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato net up --households 120 --cluster-size 30 --tolerate 8 --epsilon 1 --slots 6\n  \
    sfumato net up --households 1000 --cluster-size 100 --tolerate 30 --epsilon 1 --processes 4 \\\n      \
    --kill-meters-at-slot 4 --kill-supplier-at-slot 8 --audit\n  \
    sfumato net up --households 60 --cluster-size 20 --epsilon 1 --slots 4 --insecure-test-seed 1 --compare\n\
    Every host is its own OS process on loopback; the report is dream run's, read back from\n\
    the supplier host's store.")]
pub(crate) struct NetUpArgs {
    /// Where to create the deployment (default: a new directory under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) study: StudyArgs,

    /// Time from now to the deployment's time zero, ms (processes start and listen first)
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub(crate) start_in_ms: u64,

    /// INSECURE, for tests: every key and all noise from this public seed, as the simulator's
    #[arg(long, value_name = "S")]
    pub(crate) insecure_test_seed: Option<u64>,

    /// Also run the simulator on the same study and compare totals (needs --insecure-test-seed equal to --seed)
    #[arg(long)]
    pub(crate) compare: bool,

    /// Hosts log every sent message; the report checks that no meter sent two readings for a slot
    #[arg(long)]
    pub(crate) audit: bool,

    /// Kill -9 the first meter host just before this slot's readings, and restart it
    #[arg(long, value_name = "T")]
    pub(crate) kill_meters_at_slot: Option<u32>,

    /// Kill -9 the supplier host in this slot's collection window, and restart it
    #[arg(long, value_name = "T")]
    pub(crate) kill_supplier_at_slot: Option<u32>,

    /// How long a killed host stays down, in slots
    #[arg(long, value_name = "D", default_value_t = 1.5)]
    pub(crate) down_slots: f64,
}

/// Arguments of `sfumato net report`.
#[derive(Debug, Args)]
pub(crate) struct NetReportArgs {
    /// The deployment directory
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

/// Arguments of `sfumato net cluster`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato net cluster --synthetic cer --participants 24 --k 3 --key-bits 512 --iterations 2 --hosts 4\n\
    The key is generated and dealt by this command (a trusted dealer); encryption is always\n\
    real Damgård–Jurik. The report is cluster run's, from the participants' own results.")]
pub(crate) struct NetClusterArgs {
    #[command(flatten)]
    pub(crate) run: crate::cli_cluster::ClusterRunArgs,

    /// Where to create the deployment (default: a new directory under the system's temp dir)
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,

    /// Hosts (OS processes) the participants are spread over
    #[arg(long, value_name = "H", default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub(crate) hosts: u32,

    /// Real length of a gossip period, ms (each participant steps once a period)
    #[arg(long, value_name = "MS", default_value_t = 100, value_parser = clap::value_parser!(u64).range(5..=60_000))]
    pub(crate) period_ms: u64,

    /// Time from now to the deployment's time zero, ms
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub(crate) start_in_ms: u64,

    /// INSECURE, for tests: the key, every node's stream and all noise from this public seed
    #[arg(long, value_name = "S")]
    pub(crate) insecure_test_seed: Option<u64>,
}
