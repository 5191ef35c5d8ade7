//! `sfumato query …`: Tremel et al.'s anonymous, crash-tolerant queries.

use clap::{Args, Subcommand, ValueEnum};
use sfumato_protocol::Time;

/// `sfumato query …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum QueryCommand {
    /// Ask meters for aggregates in the simulator: each answer beside the truth
    Run(Box<QueryRunArgs>),
    /// Reproduce Tremel §7.3: Figure 5, 6 or 7, or the high-failure figures
    Experiment(QueryExperimentArgs),
}

/// The protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum VariantArg {
    /// Shuffle, Echo, Aggregate (Tremel §4.3)
    Basic,
    /// Scatter, Gather, Aggregate by flooding (Tremel §5.1)
    HighFailure,
    /// Byzantine-tolerant: blind-signed tuples, 2t+1 groups, agreement, signed messages, noise (Tremel §5.2, §6.6)
    Bft,
}

/// How proxies echo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EchoArg {
    /// Sealed copies sent directly (every honest value reaches every live proxy)
    Direct,
    /// The paper's encrypted multicast on the overlay
    Overlay,
}

/// Simulated CPU costs of the onion cryptography.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum CostsArg {
    /// Free
    None,
    /// Measured now, on this machine, and charged per layer sealed or peeled
    Measured,
}

/// What a query deployment is (shared by `query run` and, later, the
/// network).
#[derive(Debug, Args)]
pub(crate) struct QueryDeploymentArgs {
    /// Meters (generated households; the overlay rounds up to a suitable size)
    #[arg(long, value_name = "N", default_value_t = 1019, value_parser = clap::value_parser!(u64).range(3..=20_000_000))]
    pub(crate) meters: u64,

    /// Households own air conditioners and furnace fans (the DSM load of Tremel §7.3)
    #[arg(long)]
    pub(crate) hvac: bool,

    /// Climate of the generated day (us, uk)
    #[arg(long, value_name = "NAME", default_value = "us")]
    pub(crate) climate: String,

    /// Window of a meter's record (the time between queries, by default)
    #[arg(long, value_name = "DURATION", default_value = "30m")]
    pub(crate) window: String,

    /// t: failures tolerated (default ⌈log₂ n⌉)
    #[arg(long, value_name = "T")]
    pub(crate) t: Option<u32>,

    /// The protocol
    #[arg(long, value_enum, default_value_t = VariantArg::Basic)]
    pub(crate) variant: VariantArg,

    /// How proxies echo (basic protocol)
    #[arg(long, value_enum, default_value_t = EchoArg::Direct)]
    pub(crate) echo: EchoArg,

    /// Aggregates: sum:F, count, min:F, max:F, histogram:F:E1/E2/…, with F total or dsm
    #[arg(long, value_name = "LIST", default_value = "sum:total,sum:dsm,count")]
    pub(crate) aggregate: String,

    /// Range clauses FIELD:LO:HI in Wh, comma-separated: proxies leave out tuples outside them (Tremel §6.4)
    #[arg(long, value_name = "LIST")]
    pub(crate) range: Option<String>,

    /// Only some meters contribute: ids:A/B/C, or FIELD:LO:HI on their own value (a filtered query)
    #[arg(long, value_name = "FILTER")]
    pub(crate) filter: Option<String>,

    /// One overlay round [default: 20ms simulated, 150ms over the network]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) round: Option<Time>,

    /// Aggregation-tree wait per level [default: as a round]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) level_timeout: Option<Time>,

    /// The owner's wait after each result [default: 50ms simulated, 500ms over the network]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) result_timeout: Option<Time>,

    /// From a query's broadcast to its first round [default: 100ms simulated, 2s over the network]
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub(crate) setup: Option<Time>,

    /// Seed of households, keys, proxies and failures
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// bft: differential privacy of each answer, ε_sum (the answer's noise; needs --range on summed fields)
    #[arg(long, value_name = "EPSILON")]
    pub(crate) epsilon: Option<String>,

    /// bft: ε_rec, the privacy of one record a Byzantine proxy glimpses (default: as --epsilon)
    #[arg(long, value_name = "EPSILON")]
    pub(crate) epsilon_record: Option<String>,
}

/// Arguments of `sfumato query run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato query run --meters 1019 --hvac --queries 48\n  \
    sfumato query run --meters 200 --t 4 --fail 4 --aggregate count,min:total,max:total,histogram:total:100/200/400\n  \
    sfumato query run --meters 100000 --insecure-plaintext --costs measured --workers 2\n  \
    sfumato query run --meters 101 --network --hosts 4 --queries 2 --every 5s\n  \
    sfumato query run --meters 200 --variant bft --range total:0:3000 --aggregate sum:total,count --epsilon 1 --byzantine extreme:2 --byzantine lying-leader\n\
    Every answer is printed beside the truth over all meters and over the meters that did not fail.")]
pub(crate) struct QueryRunArgs {
    #[command(flatten)]
    pub(crate) deployment: QueryDeploymentArgs,

    /// Queries, one per window from midnight
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub(crate) queries: u32,

    /// Time between queries (default: the window)
    #[arg(long, value_name = "DURATION")]
    pub(crate) every: Option<String>,

    /// Nodes failed from the start, drawn from the seed
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) fail: u32,

    /// A crash: NODE@TIME (for example 17@350ms), repeatable
    #[arg(long, value_name = "NODE@TIME")]
    pub(crate) crash: Vec<String>,

    /// bft: Byzantine nodes ATTACK[:K] (drop, selective, wrong-partner, double, forge, unsigned, extreme, lying-leader), repeatable
    #[arg(long, value_name = "ATTACK[:K]")]
    pub(crate) byzantine: Vec<String>,

    /// Use the INSECURE plaintext stand-in for onions (simulation at scale; the report says so)
    #[arg(long)]
    pub(crate) insecure_plaintext: bool,

    /// Simulated CPU cost of the onion cryptography
    #[arg(long, value_enum, default_value_t = CostsArg::None)]
    pub(crate) costs: CostsArg,

    /// Worker threads
    #[arg(long, value_name = "W", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: u32,

    /// Run over the network instead: every host an OS process, TLS on loopback, real onions
    #[arg(long)]
    pub(crate) network: bool,

    /// With --network: hosts (OS processes), the owner's and the clients'
    #[arg(long, value_name = "H", default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
    pub(crate) hosts: u32,

    /// With --network: the deployment directory (default: a new one under the temporary directory)
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<std::path::PathBuf>,

    /// With --network: time zero this long after the hosts are created, ms
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    pub(crate) start_in_ms: u64,

    /// Record the run in this results store (SQLite; created if missing), for the dashboard
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<std::path::PathBuf>,
}

/// Which result of Tremel §7.3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FigureArg {
    /// Figure 5: half-hourly total and DSM load over 24 h, 1,019 meters, query vs true
    #[value(name = "5")]
    Five,
    /// Figure 6: query latency vs n, t = ⌈log₂ n⌉, with and without t failures
    #[value(name = "6")]
    Six,
    /// Figure 7: data sent per meter vs n, with and without t failures
    #[value(name = "7")]
    Seven,
    /// §7.3's high-failure runs: 797 meters, t = 0.1 n, without and with 10 % failures
    #[value(name = "high-failure")]
    HighFailure,
}

/// Arguments of `sfumato query experiment`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato query experiment --figure 5\n  \
    sfumato query experiment --figure 6 --sizes 101,1019,10007\n  \
    sfumato query experiment --figure 7 --bft --sizes 101,1019\n\
    Figures 6 and 7 come from the same runs; the paper's values or shape are printed beside ours.")]
pub(crate) struct QueryExperimentArgs {
    /// Which figure
    #[arg(long, value_enum)]
    pub(crate) figure: FigureArg,

    /// Population sizes for Figures 6 and 7 (rounded up to suitable sizes)
    #[arg(
        long,
        value_name = "N,…",
        value_delimiter = ',',
        default_value = "101,1019,10007"
    )]
    pub(crate) sizes: Vec<u64>,

    /// Figure 5 with real X25519 onions (slow: about 15 s a query) instead of the stand-in
    #[arg(long)]
    pub(crate) real_onions: bool,

    /// Figures 6 and 7's right-hand panels: the Byzantine-tolerant variant (Tremel §5.2)
    #[arg(long)]
    pub(crate) bft: bool,

    /// One overlay round for Figures 6, 7 and the high-failure runs
    #[arg(long, value_name = "DURATION", default_value = "20ms", value_parser = parse_duration)]
    pub(crate) round: Time,

    /// Seed
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Worker threads
    #[arg(long, value_name = "W", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: u32,
}

/// A duration such as 20ms, 250us or 1s.
pub(crate) fn parse_duration(s: &str) -> Result<Time, String> {
    sfumato_sim::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration such as 20ms, 250us or 1s"))
}
