//! `sfumato cluster …`: Chiaroscuro's command line.

use std::path::PathBuf;

use clap::{ArgGroup, Args, Subcommand, ValueEnum};

use crate::cli::StrategyArg;
use crate::cli_sim::RuntimeArgs;

/// `sfumato cluster …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum ClusterCommand {
    /// Run Chiaroscuro's private k-means on simulated participants, with the
    /// paper's baselines from the same initial centroids
    Run(Box<ClusterRunArgs>),
    /// The paper's cost figures: Fig. 5, one participant's time and bytes for a set of
    /// encrypted means; Fig. 4, messages per participant by phase; Fig. 3(b), EESum's error
    /// under churn
    Costs(Box<crate::commands::cluster_costs::CostsArgs>),
}

/// A synthetic data set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SyntheticArg {
    /// CER-like daily load profiles: 24 hourly values in [0, 80]
    Cer,
    /// NUMED-like tumour sizes: 20 weekly values in [0, 50]
    Numed,
    /// 2-D points in 50 clusters (App. D)
    Points2d,
}

/// Where the initial centroids come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum InitArg {
    /// DP initialisation: a first iteration (spending --init-budget of ε) publishes the mean
    /// of all series, expanded into k centroids in public random directions around it
    Dp,
    /// k points uniform in --range (data-independent; poor when the data fill little of it)
    Range,
    /// k series from the synthetic generator under another seed (--synthetic only)
    Generator,
}

/// How the published means are smoothed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SmoothingModeArg {
    /// The SMA in proportion to how much of what it removes is noise
    Adaptive,
    /// The paper's SMA on every mean
    Always,
}

/// The additively homomorphic encryption.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum EncryptionArg {
    /// Threshold Damgård–Jurik (real encryption)
    DamgardJurik,
    /// INSECURE: no encryption at all, for simulating huge populations
    InsecurePlaintext,
}

/// Arguments of `sfumato cluster run`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("data").required(true).args(["input", "synthetic"])))]
#[command(after_help = "Examples:\n  \
    sfumato cluster run --synthetic cer --participants 2000 --k 10 --epsilon 0.69 --strategy greedy --key-bits 512 --iterations 3\n  \
    sfumato cluster run --synthetic cer --participants 100000 --k 50 --epsilon 0.69 --strategy greedy --encryption insecure-plaintext --workers 2\n  \
    sfumato cluster run --input series.csv --range 0,80 --k 20 --epsilon 1 --strategy uniform-fast --encryption insecure-plaintext\n\
    The insecure plaintext stand-in encrypts nothing; every output of a run that used it says so.")]
pub(crate) struct ClusterRunArgs {
    /// A CSV file, one participant per row (an optional header line)
    #[arg(long, value_name = "FILE", requires = "range")]
    pub(crate) input: Option<PathBuf>,

    /// The declared range of every value of --input, `LO,HI` (values outside are clipped)
    #[arg(long, value_name = "LO,HI")]
    pub(crate) range: Option<String>,

    /// Generate a synthetic data set instead
    #[arg(long, value_enum)]
    pub(crate) synthetic: Option<SyntheticArg>,

    /// Participants (synthetic: generated; --input: the first P rows)
    #[arg(long, value_name = "P", value_parser = clap::value_parser!(u32).range(2..=50_000_000))]
    pub(crate) participants: Option<u32>,

    /// k: initial centroids
    #[arg(long, value_name = "K", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) k: u32,

    /// Initial centroids from a CSV file (public; never participants' data)
    #[arg(long, value_name = "FILE", conflicts_with = "init")]
    pub(crate) initial: Option<PathBuf>,

    /// Where the initial centroids come from (default: dp for --input, generator for
    /// --synthetic)
    #[arg(long, value_enum)]
    pub(crate) init: Option<InitArg>,

    /// The share of ε the DP initialisation spends (--init dp)
    #[arg(long, value_name = "FRACTION", default_value_t = 0.05)]
    pub(crate) init_budget: f64,

    /// How the SMA is applied (§5.2)
    #[arg(long, value_enum, default_value_t = SmoothingModeArg::Adaptive)]
    pub(crate) smoothing_mode: SmoothingModeArg,

    /// Stop when the next iteration would add more noise inertia than this fraction of the
    /// published centroids' inter-cluster inertia (§5.1 footnote 9); `off`: run every iteration
    #[arg(long, value_name = "RATIO|off", default_value = "0.2")]
    pub(crate) stop_noise: String,

    /// Total privacy budget ε (exact decimal or fraction)
    #[arg(long, value_name = "E", default_value = "0.69")]
    pub(crate) epsilon: String,

    /// Budget concentration strategy (§5.1)
    #[arg(long, value_enum, default_value_t = StrategyArg::Greedy)]
    pub(crate) strategy: StrategyArg,

    /// GREEDY_FLOOR's floor size
    #[arg(long, value_name = "F", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub(crate) floor: u64,

    /// SMA smoothing window as a fraction of the series length (0: none; §5.2)
    #[arg(long, value_name = "FRACTION", default_value_t = 0.2)]
    pub(crate) smoothing: f64,

    /// n_it^max (UNIFORM_FAST: its iteration count)
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub(crate) iterations: u64,

    /// Convergence threshold θ on how far a centroid moves (0: run all iterations)
    #[arg(long, value_name = "THETA", default_value_t = 0.0)]
    pub(crate) theta: f64,

    /// Additively homomorphic encryption
    #[arg(long, value_enum, default_value_t = EncryptionArg::DamgardJurik)]
    pub(crate) encryption: EncryptionArg,

    /// Encrypt with short exponents and a fixed base (DJN 2010 §4.1): several times faster,
    /// under an extra assumption beside DCR
    #[arg(long)]
    pub(crate) short_exponents: bool,

    /// Pack several values into each Damgård–Jurik plaintext (slots wide enough for the whole
    /// EESum; the layout is printed): several times fewer ciphertexts to encrypt, add, send and
    /// decrypt
    #[arg(long)]
    pub(crate) packing: bool,

    /// Damgård–Jurik modulus bits
    #[arg(long, value_name = "B", default_value_t = 1024)]
    pub(crate) key_bits: u32,

    /// Key holders L (participants 0..L hold the key shares)
    #[arg(long, value_name = "L", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) committee: Option<u32>,

    /// τ: key shares needed to decrypt
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) threshold: Option<u32>,

    /// Peer sampling: a uniform oracle, or Newscast views of 30 (Table 2)
    #[arg(long, value_enum, default_value_t = crate::cli_sim::PeersArg::Uniform)]
    pub(crate) peers: crate::cli_sim::PeersArg,

    /// Probability that a message does not reach its receiver (§6.1.5)
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) churn: f64,

    /// Probability that a participant is disconnected for a whole iteration (§6.1.5, Fig. 3(a)):
    /// its series is left out of that iteration's sums and it only fetches the published result
    /// (the key holders are never disconnected; n_ν's default is lowered to match)
    #[arg(long, value_name = "P", default_value_t = 0.0)]
    pub(crate) iteration_churn: f64,

    /// e_max: the gossip error EESum is run for (Lemma 2, Theorem 3)
    #[arg(long, value_name = "E", default_value_t = 1e-3)]
    pub(crate) e_max: f64,

    /// δ of the (ε, δ)-probabilistic differential privacy (App. B)
    #[arg(long, value_name = "D", default_value_t = 0.995)]
    pub(crate) delta: f64,

    /// EESum periods (default: from Theorem 3's n_e)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) exchanges: Option<u32>,

    /// n_ν: noise shares per Laplace variable (default: 99 % of the participants)
    #[arg(long, value_name = "N")]
    pub(crate) noise_shares: Option<u64>,

    /// Noise shares: exact Pólya shares of a discrete Laplace, or the paper's gamma shares (Def. 5)
    #[arg(long, value_enum, default_value_t = crate::cli_dream::NoiseArg::Discrete)]
    pub(crate) noise: crate::cli_dream::NoiseArg,

    /// Write the last published centroids to this CSV file
    #[arg(long, value_name = "FILE")]
    pub(crate) centroids_out: Option<PathBuf>,

    /// Record the run in this results store (SQLite; created if missing), for the dashboard
    #[arg(long, value_name = "FILE")]
    pub(crate) store: Option<PathBuf>,

    /// Seed, workers, processes, progress
    #[command(flatten)]
    pub(crate) runtime: RuntimeArgs,
}
