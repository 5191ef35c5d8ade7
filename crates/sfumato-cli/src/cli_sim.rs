//! `sfumato sim …`: the simulator's command line.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// Largest population `sfumato sim` accepts (node ids are 32-bit).
pub(crate) const MAX_NODES: u32 = 100_000_000;

/// `sfumato sim …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum SimCommand {
    /// Push-sum averaging or summation (Kempe et al. 2003): error per round
    PushSum(GossipArgs),
    /// Push-pull averaging (Jelasity et al. 2005), mass-conserving: error per round
    PushPull(GossipArgs),
    /// Rounds until every live node has a broadcast value (Tremel Fig. 8)
    Broadcast(BroadcastArgs),
    /// Benchmark: push-sum on the simulator against a plain loop over the same nodes
    Bench(SimBenchArgs),
}

/// Arguments of `sfumato sim bench`.
#[derive(Debug, Args)]
#[command(after_help = "Example (the figures in docs/PERFORMANCE.md):\n  \
    sfumato sim bench --nodes 1000000 --rounds 50 --workers 1,2")]
pub(crate) struct SimBenchArgs {
    /// Population size
    #[arg(long, value_name = "N", default_value_t = 1_000_000, value_parser = clap::value_parser!(u32).range(2..=i64::from(MAX_NODES)))]
    pub(crate) nodes: u32,

    /// Rounds
    #[arg(long, value_name = "R", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) rounds: u32,

    /// Worker counts to measure the simulator with, comma-separated
    #[arg(long, value_name = "W,...", default_value = "1,2", value_delimiter = ',', value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: Vec<u32>,

    /// Skip the plain loop
    #[arg(long)]
    pub(crate) no_plain: bool,

    /// Seed
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
}

/// How simulated time advances.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ModeArg {
    /// Cycle-driven: every node acts once per round
    Rounds,
    /// Virtual time: latencies, timers and CPU costs in simulated milliseconds
    Time,
}

/// Peer selection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum PeersArg {
    /// A uniform peer oracle
    Uniform,
    /// A Newscast local view (see --view-size)
    Newscast,
}

impl PeersArg {
    /// The protocol's peer sampling, with Newscast views of `view_size`.
    pub(crate) fn sampling(self, view_size: u16) -> sfumato_protocol::gossip::PeerSampling {
        match self {
            PeersArg::Uniform => sfumato_protocol::gossip::PeerSampling::Uniform,
            PeersArg::Newscast => sfumato_protocol::gossip::PeerSampling::Newscast { view_size },
        }
    }
}

/// What the nodes compute.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum AggregateArg {
    /// The average of the nodes' values (every weight 1)
    Average,
    /// The sum of the nodes' values (weight 1 at node 0 only)
    Sum,
}

/// Where and how a run executes: threads, processes, seed.
#[derive(Debug, Args)]
pub(crate) struct RuntimeArgs {
    /// Seed: a run replays bit for bit from it, whatever the workers or processes
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Worker threads (per process)
    #[arg(long, value_name = "W", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: u32,

    /// Run as one of P cooperating processes (timely cluster mode); start the
    /// same command once per process with --process 0..P-1
    #[arg(long, value_name = "P", requires = "process", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub(crate) processes: Option<u32>,

    /// This process's index, 0..P-1; process 0 prints the report
    #[arg(long, value_name = "I", requires = "processes")]
    pub(crate) process: Option<u32>,

    /// File with one host:port per line, one per process (default:
    /// 127.0.0.1:2101, 127.0.0.1:2102, …)
    #[arg(long, value_name = "FILE", requires = "processes")]
    pub(crate) hostfile: Option<PathBuf>,

    /// Do not show a progress bar
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// Arguments of `sfumato sim push-sum` and `sim push-pull`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    sfumato sim push-sum --nodes 1000000 --rounds 50 --seed 1 --workers 2\n  \
    sfumato sim push-sum --nodes 100000 --rounds 40 --churn 0.25 --loss 0.01\n  \
    sfumato sim push-pull --nodes 100000 --rounds 50 --mode time --latency-sd 2ms\n\
    Node i holds the value (i * 2654435761 mod 1000) / 10.")]
pub(crate) struct GossipArgs {
    /// Population size
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(2..=i64::from(MAX_NODES)))]
    pub(crate) nodes: u32,

    /// Gossip rounds: each node initiates this many exchanges
    #[arg(long, value_name = "R", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) rounds: u32,

    /// Round mode or virtual-time mode
    #[arg(long, value_enum, default_value_t = ModeArg::Rounds)]
    pub(crate) mode: ModeArg,

    /// Average or sum
    #[arg(long, value_enum, default_value_t = AggregateArg::Average)]
    pub(crate) aggregate: AggregateArg,

    /// Peer selection
    #[arg(long, value_enum, default_value_t = PeersArg::Uniform)]
    pub(crate) peers: PeersArg,

    /// Newscast view size c (Chiaroscuro Table 2: 30)
    #[arg(long, value_name = "C", default_value_t = 30, value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub(crate) view_size: u16,

    /// Churn: probability that the peer of an exchange is disconnected (the
    /// sender is told and keeps its mass; Chiaroscuro §6.1.5)
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_probability)]
    pub(crate) churn: f64,

    /// Probability that a message is lost silently
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_probability)]
    pub(crate) loss: f64,

    /// Probability that a live node crashes in a given round
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_probability)]
    pub(crate) crash: f64,

    /// Virtual time: the gossip period of a node
    #[arg(long, value_name = "DURATION", default_value = "10ms", value_parser = parse_duration)]
    pub(crate) period: sfumato_protocol::Time,

    /// Virtual time: the clock's resolution
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    pub(crate) tick: sfumato_protocol::Time,

    /// Virtual time: σ of the link latency 2 ms + N(4 ms, σ) (Tremel §7.3)
    #[arg(long, value_name = "DURATION", default_value = "1ms", value_parser = parse_duration)]
    pub(crate) latency_sd: sfumato_protocol::Time,

    /// Print every K-th round (and the last)
    #[arg(long, value_name = "K", default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) every: u64,

    #[command(flatten)]
    pub(crate) runtime: RuntimeArgs,
}

/// Which overlay a broadcast uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum OverlayArg {
    /// Tremel's deterministic overlay, flooding with TTL ⌈log₂ n⌉ + t
    Deterministic,
    /// Random push gossip (a uniform peer per round)
    Random,
}

/// Arguments of `sfumato sim broadcast`.
#[derive(Debug, Args)]
#[command(after_help = "Example (Tremel Fig. 8):\n  \
    sfumato sim broadcast --overlay deterministic --nodes 10000 --fail 0.3 --seed 1\n\
    With --overlay deterministic the population is rounded up to the next suitable size\n\
    (a prime with 2 as a primitive root) and the spare ids are treated as failed.")]
pub(crate) struct BroadcastArgs {
    /// Deterministic overlay or random gossip
    #[arg(long, value_enum)]
    pub(crate) overlay: OverlayArg,

    /// Population size
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(3..=i64::from(MAX_NODES)))]
    pub(crate) nodes: u32,

    /// Probability that a node has failed before the broadcast (the source never has)
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_probability)]
    pub(crate) fail: f64,

    /// Failures the flood's TTL tolerates: TTL = ⌈log₂ n⌉ + t (default: the
    /// expected number of failures, capped at n)
    #[arg(long, value_name = "T")]
    pub(crate) tolerate: Option<u32>,

    /// Most rounds to run
    #[arg(long, value_name = "R", default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) max_rounds: u32,

    #[command(flatten)]
    pub(crate) runtime: RuntimeArgs,
}

/// A probability in [0, 1].
fn parse_probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|_| format!("`{s}` is not a number"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability in [0, 1]"))
    }
}

/// A duration such as 10ms, 250us or 1s.
fn parse_duration(s: &str) -> Result<sfumato_protocol::Time, String> {
    sfumato_sim::parse_duration(s)
        .ok_or_else(|| format!("`{s}` is not a duration such as 10ms, 250us or 1s"))
}
