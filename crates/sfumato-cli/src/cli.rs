//! The command line, declared with clap's derive API.
//!
//! Values are checked here when a check needs nothing but the value itself
//! (a number, a positive scale, an exact ε); checks that involve several
//! arguments are left to `sfumato-dp`, whose errors the entry point turns into
//! one line.

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{ArgGroup, Args, Parser, Subcommand, ValueEnum};
use sfumato_dp::rational::{parse_rational, ratio_to_f64_up};
use sfumato_dp::{Epsilon, Mechanism};

/// Most samples `sfumato dp sample` prints in one run.
pub(crate) const MAX_COUNT: u64 = 100_000_000;

/// Most iterations `sfumato dp budget` allocates. GREEDY's i-th share
/// ε/2^i needs about 0.3·i digits to print exactly, so the output (and the
/// time to render it) grows with the square of the count; Chiaroscuro's
/// runs use a few dozen iterations.
pub(crate) const MAX_ITERATIONS: u64 = 1_000;

/// GREEDY_FLOOR's floor when `--floor` is not given (the value Chiaroscuro
/// §5.1 uses).
pub(crate) const DEFAULT_FLOOR: u64 = 4;

/// Privacy-preserving aggregation over smart-meter data.
///
/// sfumato computes sums and statistics over households' time series without
/// any trusted party seeing an individual's data. Start with `sfumato demo`.
#[derive(Debug, Parser)]
#[command(
    name = "sfumato",
    version,
    propagate_version = true,
    subcommand_required = true,
    arg_required_else_help = false,
    after_help = "Start with `sfumato demo`; every command has its own --help."
)]
pub(crate) struct Cli {
    /// Print exactly one JSON document on stdout instead of text
    #[arg(long, global = true, display_order = 900)]
    pub(crate) json: bool,

    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Differential-privacy noise: sample, calibrate, budgets, gossip exchanges
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Dp(DpCommand),
    /// Household load traces: generate, import real data, summarise
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Traces(TracesCommand),
    /// Threshold Damgård–Jurik: keys, encryption, homomorphic sums, decryption
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Crypto(CryptoCommand),
    /// Tremel's deterministic gossip overlay: suitable sizes and their gaps
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Overlay(OverlayCommand),
    /// DREAM: differentially private smart-meter aggregation without a trusted aggregator
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Dream(crate::cli_dream::DreamCommand),
    /// Chiaroscuro: private k-means over participants' time series (gossip, threshold encryption, DP)
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Cluster(crate::cli_cluster::ClusterCommand),
    /// Tremel: anonymous, crash-tolerant aggregation queries over meters
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Query(crate::cli_query::QueryCommand),
    /// The simulator: gossip protocols over millions of nodes on timely dataflow
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Sim(crate::cli_sim::SimCommand),
    /// The network runtime: DREAM deployed as real hosts over mutually authenticated TLS
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Net(crate::cli_net::NetCommand),
    /// The dashboard: the Chiaroscuro demonstrator's views, DREAM and Tremel results, in a browser
    Dashboard(crate::cli_results::DashboardArgs),
    /// The results store: runs recorded with --store (for the dashboard)
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Results(crate::cli_results::ResultsCommand),
    /// Elastic, secure stream processing (StreamMine3G): DEBS 2014 load forecasts and outliers
    #[command(subcommand, subcommand_required = true, arg_required_else_help = false)]
    Stream(crate::cli_stream::StreamCommand),
    /// Distributed noise at work on a neighbourhood of simulated smart meters
    Demo(DemoArgs),
}

/// `sfumato overlay …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum OverlayCommand {
    /// Suitable overlay sizes: primes with 2 as a primitive root (Tremel §4.1, §7.2)
    Primes(OverlayPrimesArgs),
    /// Histogram of gaps between consecutive suitable sizes (Tremel Fig. 4)
    Gaps(OverlayGapsArgs),
}

/// Arguments of `sfumato overlay primes`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example (Tremel §7.2 counts 475,333):\n  sfumato overlay primes --max 20000000 --count"
)]
pub(crate) struct OverlayPrimesArgs {
    /// Largest size considered (at most 100,000,000)
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    pub(crate) max: u64,

    /// Print only how many there are
    #[arg(long)]
    pub(crate) count: bool,
}

/// Arguments of `sfumato overlay gaps`.
#[derive(Debug, Args)]
pub(crate) struct OverlayGapsArgs {
    /// Largest size considered (at most 100,000,000)
    #[arg(long, value_name = "M", value_parser = clap::value_parser!(u64).range(2..=100_000_000))]
    pub(crate) max: u64,
}

/// `sfumato crypto …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum CryptoCommand {
    /// Generate a key (and deal it to a committee): public.json, private.json, share-<i>.json
    Keygen(KeygenArgs),
    /// Encrypt an integer: prints a ciphertext {"c": "..."}
    Encrypt(EncryptArgs),
    /// Add ciphertexts homomorphically: prints the ciphertext of the sum
    Add(AddArgs),
    /// Decrypt with the dealer's private key
    Decrypt(DecryptArgs),
    /// A key holder's partial decryption, with its proof of correctness
    PartialDecrypt(PartialDecryptArgs),
    /// Combine partial decryptions (any threshold of them) into the plaintext
    Combine(CombineArgs),
    /// Operations per second, next to a naive reference measured in the same run
    Bench(CryptoBenchArgs),
}

/// Arguments of `sfumato crypto keygen`.
#[derive(Debug, Args)]
#[command(
    after_help = "Keys come from the operating system's randomness unless --seed is given; a \
seeded key is reproducible and therefore NOT secret (tests and demonstrations only).\n\
Example: sfumato crypto keygen --bits 2048 --s 1 --committee 5 --threshold 3 --out keys/"
)]
pub(crate) struct KeygenArgs {
    /// Bits of the modulus n (two safe primes of half the size)
    #[arg(long, value_name = "B", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(128..=8192))]
    pub(crate) bits: u32,

    /// Damgård–Jurik degree s: plaintexts mod n^s
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=16))]
    pub(crate) s: u32,

    /// Committee size l: deal the key to l holders
    #[arg(long, value_name = "L", requires = "threshold", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) committee: Option<u32>,

    /// Threshold t: any t holders can decrypt together
    #[arg(long, value_name = "T", requires = "committee", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) threshold: Option<u32>,

    /// Directory to write the key files to (created if missing; existing keys are never overwritten)
    #[arg(long, value_name = "DIR")]
    pub(crate) out: std::path::PathBuf,

    /// Reproducible key from this seed: NOT secret, for tests only
    #[arg(long, value_name = "S")]
    pub(crate) seed: Option<u64>,

    /// Threads searching for safe primes [default: one per core]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) threads: usize,
}

/// Arguments of `sfumato crypto encrypt`.
#[derive(Debug, Args)]
pub(crate) struct EncryptArgs {
    /// Public key file (public.json)
    #[arg(long, value_name = "FILE")]
    pub(crate) public_key: std::path::PathBuf,

    /// Integer to encrypt (negative values wrap modulo n^s)
    #[arg(long, value_name = "V", allow_negative_numbers = true)]
    pub(crate) value: String,

    /// Reproducible randomness from this seed: NOT secure, for tests only
    #[arg(long, value_name = "S")]
    pub(crate) seed: Option<u64>,
}

/// Arguments of `sfumato crypto add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// Public key file (public.json)
    #[arg(long, value_name = "FILE")]
    pub(crate) public_key: std::path::PathBuf,

    /// Ciphertexts: files, or JSON documents {"c": "..."} given inline
    #[arg(value_name = "CIPHERTEXT", num_args = 2.., required = true)]
    pub(crate) ciphertexts: Vec<String>,
}

/// Arguments of `sfumato crypto decrypt`.
#[derive(Debug, Args)]
pub(crate) struct DecryptArgs {
    /// The dealer's private key file (private.json)
    #[arg(long, value_name = "FILE")]
    pub(crate) private_key: std::path::PathBuf,

    /// Ciphertext: a file, or a JSON document {"c": "..."} given inline
    #[arg(long, value_name = "C")]
    pub(crate) ciphertext: String,
}

/// Arguments of `sfumato crypto partial-decrypt`.
#[derive(Debug, Args)]
pub(crate) struct PartialDecryptArgs {
    /// The key holder's share file (share-<i>.json)
    #[arg(long, value_name = "FILE")]
    pub(crate) share: std::path::PathBuf,

    /// Ciphertext: a file, or a JSON document {"c": "..."} given inline
    #[arg(long, value_name = "C")]
    pub(crate) ciphertext: String,

    /// Reproducible proof randomness from this seed: NOT secure, for tests only
    #[arg(long, value_name = "S")]
    pub(crate) seed: Option<u64>,
}

/// Arguments of `sfumato crypto combine`.
#[derive(Debug, Args)]
pub(crate) struct CombineArgs {
    /// The committee's public key file (public.json written with --committee)
    #[arg(long, value_name = "FILE")]
    pub(crate) public_key: std::path::PathBuf,

    /// Partial decryptions: files, or JSON documents given inline
    #[arg(value_name = "PARTIAL", required = true)]
    pub(crate) partials: Vec<String>,
}

/// Arguments of `sfumato crypto bench`.
#[derive(Debug, Args)]
pub(crate) struct CryptoBenchArgs {
    /// Bits of the modulus n
    #[arg(long, value_name = "B", default_value_t = 2048, value_parser = clap::value_parser!(u32).range(256..=4096))]
    pub(crate) bits: u32,

    /// Damgård–Jurik degree s
    #[arg(long, value_name = "S", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=4))]
    pub(crate) s: u32,

    /// Committee size for partial decryption and combination
    #[arg(long, value_name = "L", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) committee: u32,

    /// Threshold of the committee: partials combined [default: min(L/2 + 1, 10)]
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) threshold: Option<u32>,

    /// Seconds spent measuring each operation (a slow one runs at least once)
    #[arg(long, value_name = "SECS", default_value_t = 1.0)]
    pub(crate) seconds: f64,

    /// Seed of the benchmark's key and data (the key is not secret)
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
}

/// `sfumato traces …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum TracesCommand {
    /// Generate households' electricity load (bottom-up model, DREAM §7.1)
    Generate(GenerateArgs),
    /// Summarise a trace file: annual kWh by household size, daily shape, peaks
    Stats(StatsArgs),
    /// Turn UCI, CER or long-CSV smart-meter data into hourly daily profiles
    Import(ImportArgs),
    /// Grow real profiles into a large population: jittered copies (Chiaroscuro App. D)
    Replicate(ReplicateArgs),
}

/// Arguments of `sfumato traces replicate`.
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  \
    sfumato traces import --format uci-household household_power_consumption.txt --out daily.csv --clip 0:8\n  \
    sfumato traces replicate daily.csv --copies 100 --jitter 0.05 --out population.csv\n  \
    sfumato cluster run --input population.csv --range 0,8 --k 10 --encryption insecure-plaintext")]
pub(crate) struct ReplicateArgs {
    /// Daily profiles (the wide CSV `traces import` writes, or values only)
    #[arg(value_name = "IN")]
    pub(crate) input: std::path::PathBuf,

    /// Copies of each profile (the first is the profile itself)
    #[arg(long, value_name = "C", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) copies: u32,

    /// Each value of a copy is multiplied by 1 + U(−J, J)
    #[arg(long, value_name = "J", default_value_t = 0.05)]
    pub(crate) jitter: f64,

    /// Output CSV of values, one row per participant
    #[arg(long, value_name = "FILE")]
    pub(crate) out: std::path::PathBuf,

    #[command(flatten)]
    pub(crate) seed: SeedArg,
}

/// Output layouts of `sfumato traces generate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TraceFormatArg {
    /// One row per household-day, one column per slot
    Wide,
    /// One row per slot: household,timestamp,kwh[,appliance]
    Long,
}

/// Arguments of `sfumato traces generate`.
#[derive(Debug, Args)]
#[command(
    after_help = "Values are kWh per slot. Household #k is the same for a seed whatever \
the number of households, days or threads.\nExample (DREAM §7: 3,000 households at 10 minutes):\n  \
sfumato traces generate --households 3000 --days 1 --resolution 10m --seed 1 --out traces.csv"
)]
pub(crate) struct GenerateArgs {
    /// Number of households
    #[arg(long, value_name = "H", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub(crate) households: u64,

    /// Number of consecutive days
    #[arg(long, value_name = "D", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=3_660))]
    pub(crate) days: u32,

    /// Slot length: 1m, 5m, 10m, 15m, 30m, 1h (any divisor of a day)
    #[arg(long, value_name = "RES", default_value = "10m")]
    pub(crate) resolution: String,

    /// Output file (`-` for stdout)
    #[arg(long, value_name = "FILE")]
    pub(crate) out: String,

    /// Also write one row per owned appliance and lighting (rows sum to the `total` row)
    #[arg(long)]
    pub(crate) per_appliance: bool,

    /// First day, YYYY-MM-DD
    #[arg(long, value_name = "DATE", default_value = "2024-01-01")]
    pub(crate) start_date: String,

    /// Output layout
    #[arg(long, value_enum, default_value_t = TraceFormatArg::Wide)]
    pub(crate) format: TraceFormatArg,

    /// Include air conditioners and furnace fans (Tremel §7.3)
    #[arg(long)]
    pub(crate) hvac: bool,

    /// Climate of the built-in model: uk or us
    #[arg(long, value_name = "NAME", default_value = "uk")]
    pub(crate) climate: String,

    /// Give every household this many residents (1–5) instead of drawing it
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub(crate) residents: Option<u8>,

    /// Index of the first household (to generate a population in shards)
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub(crate) first_household: u64,

    /// Decimals written [default: 4 for slots of 10 minutes or more, 6 below]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(0..=12))]
    pub(crate) decimals: Option<u8>,

    /// Model parameter file replacing the built-in one (same schema as data/model.toml)
    #[arg(long, value_name = "FILE")]
    pub(crate) model: Option<std::path::PathBuf>,

    /// Worker threads [default: one per core]
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub(crate) threads: usize,

    /// Random seed.
    #[command(flatten)]
    pub(crate) seed: SeedArg,
}

/// Arguments of `sfumato traces stats`.
#[derive(Debug, Args)]
pub(crate) struct StatsArgs {
    /// A wide or long CSV trace file
    #[arg(value_name = "FILE")]
    pub(crate) file: std::path::PathBuf,
}

/// Input formats of `sfumato traces import`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImportFormatArg {
    /// UCI "Individual household electric power consumption" (semicolons, `?` missing)
    UciHousehold,
    /// CER smart-metering trial: meter id, day code DDDHH, kWh per half hour
    Cer,
    /// Long CSV: household,timestamp,kwh[,appliance]
    LongCsv,
}

/// Arguments of `sfumato traces import`.
#[derive(Debug, Args)]
#[command(
    after_help = "Writes one row per household-day with 24 hourly kWh values (Chiaroscuro §6). \
An hour counts if at least --min-present of its samples are present (scaled up from them); \
a day with a missing hour is dropped and counted.\nExample (Chiaroscuro's CER range):\n  \
sfumato traces import --format cer File1.txt --out daily.csv --clip 0:80"
)]
pub(crate) struct ImportArgs {
    /// Input format
    #[arg(long, value_enum)]
    pub(crate) format: ImportFormatArg,

    /// Input file
    #[arg(value_name = "IN")]
    pub(crate) input: std::path::PathBuf,

    /// Output wide CSV of hourly daily profiles
    #[arg(long, value_name = "FILE")]
    pub(crate) out: std::path::PathBuf,

    /// Clip each hourly value to MIN:MAX kWh (the papers' sensitivity depends on it)
    #[arg(long, value_name = "MIN:MAX", allow_hyphen_values = true)]
    pub(crate) clip: Option<String>,

    /// Smallest share of an hour's samples that must be present, in (0, 1]
    #[arg(long, value_name = "F", default_value = "0.75")]
    pub(crate) min_present: String,

    /// UCI: the household's id [default: the input file's name]
    #[arg(long, value_name = "ID")]
    pub(crate) household: Option<String>,

    /// UCI: the household's number of residents, if known
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=20))]
    pub(crate) residents: Option<u8>,
}

/// `sfumato dp …` commands.
#[derive(Debug, Subcommand)]
pub(crate) enum DpCommand {
    /// Draw noise: one central draw, or the sum of N parties' shares
    Sample(SampleArgs),
    /// Gossip exchanges needed for (ε, δ)-probabilistic DP (Chiaroscuro App. B)
    GossipExchanges(GossipArgs),
    /// Spread a privacy budget ε over iterations (Chiaroscuro §5.1)
    Budget(BudgetArgs),
    /// Noise scale λ = Δ/ε for a sensitivity or a vector sum (DREAM Thm. 1, §6)
    Calibrate(CalibrateArgs),
}

/// The seed every randomized command takes.
#[derive(Debug, Args)]
pub(crate) struct SeedArg {
    /// Seed of the ChaCha20 random generator; the same seed replays bit for bit
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,
}

/// Arguments of `sfumato dp sample`.
#[derive(Debug, Args)]
#[command(
    after_help = "Each sample is one central draw (laplace, discrete-laplace) or the sum of \
N independently drawn shares (gamma-shares, polya-shares). The exact mechanisms read the \
scale exactly, e.g. --scale 0.5 or --scale 1920/0.69."
)]
pub(crate) struct SampleArgs {
    /// Noise mechanism
    #[arg(long, value_name = "MECHANISM", value_parser = mechanism_parser())]
    pub(crate) mechanism: Mechanism,

    /// Noise scale λ (τ for the discrete mechanisms): a positive decimal or fraction
    #[arg(long, value_name = "L", allow_negative_numbers = true, value_parser = positive_number_text)]
    pub(crate) scale: String,

    /// Parties N whose shares are summed per sample (share mechanisms only)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) parties: u64,

    /// Number of samples to print (at most 100,000,000)
    #[arg(
        long,
        value_name = "K",
        default_value_t = 10,
        value_parser = clap::value_parser!(u64).range(1..=MAX_COUNT)
    )]
    pub(crate) count: u64,

    /// Random seed.
    #[command(flatten)]
    pub(crate) seed: SeedArg,
}

/// Arguments of `sfumato dp gossip-exchanges`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("target").required(true).args(["delta", "exchanges"])),
    after_help = "Example (Chiaroscuro App. B, prints 47):\n  sfumato dp gossip-exchanges \
--delta 0.995 --e-max 1e-12 --variance 1 \\\n      --iterations 10 --population 1000000 --length 24"
)]
pub(crate) struct GossipArgs {
    /// Confidence δ wanted over the whole run, in (0, 1): print the exchanges n_e
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub(crate) delta: Option<f64>,

    /// Instead of --delta: print the δ and ι reached after K exchanges (footnote 11)
    #[arg(long, value_name = "K")]
    pub(crate) exchanges: Option<u64>,

    /// Largest tolerated relative approximation error e_max, in (0, 1)
    #[arg(long = "e-max", value_name = "E", allow_negative_numbers = true)]
    pub(crate) e_max: f64,

    /// Variance s² of the data (an upper bound if unknown)
    #[arg(long, value_name = "S2", allow_negative_numbers = true)]
    pub(crate) variance: f64,

    /// Largest number of iterations n_it^max of the algorithm
    #[arg(long, value_name = "IT")]
    pub(crate) iterations: u64,

    /// Population size n_p
    #[arg(long, value_name = "NP")]
    pub(crate) population: u64,

    /// Length n of each participant's time series
    #[arg(long, value_name = "N")]
    pub(crate) length: u64,
}

/// A budget concentration strategy, as named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum StrategyArg {
    /// Iteration i gets ε/2^i
    Greedy,
    /// Each GREEDY share spread over --floor iterations
    GreedyFloor,
    /// ε/N for each of the N = --iterations iterations
    UniformFast,
}

impl StrategyArg {
    /// The library strategy: GREEDY_FLOOR with `floor`, UNIFORM_FAST over
    /// `iterations`.
    pub(crate) fn strategy(self, floor: u64, iterations: u64) -> sfumato_dp::BudgetStrategy {
        match self {
            StrategyArg::Greedy => sfumato_dp::BudgetStrategy::Greedy,
            StrategyArg::GreedyFloor => sfumato_dp::BudgetStrategy::GreedyFloor { floor },
            StrategyArg::UniformFast => sfumato_dp::BudgetStrategy::UniformFast { iterations },
        }
    }
}

/// Arguments of `sfumato dp budget`.
#[derive(Debug, Args)]
pub(crate) struct BudgetArgs {
    /// Total privacy budget ε, read exactly (decimal or fraction, e.g. 0.69 or 1/3)
    #[arg(long, value_name = "E", allow_negative_numbers = true, value_parser = epsilon_parser)]
    pub(crate) epsilon: Epsilon,

    /// How to spread ε over the iterations
    #[arg(long, value_enum, value_name = "STRATEGY")]
    pub(crate) strategy: StrategyArg,

    /// Floor size f of greedy-floor [default: 4]
    #[arg(long, value_name = "F")]
    pub(crate) floor: Option<u64>,

    /// Number of iterations to allocate, at most 1,000 (uniform-fast's limit N)
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u64).range(1..=MAX_ITERATIONS)
    )]
    pub(crate) iterations: u64,
}

/// Arguments of `sfumato dp calibrate`.
#[derive(Debug, Args)]
#[command(
    group(ArgGroup::new("source").required(true).args(["sensitivity", "length"])),
    after_help = "Example (CER daily profiles, Chiaroscuro Def. 4: sensitivity 1920):\n  \
sfumato dp calibrate --length 24 --dmin 0 --dmax 80 --epsilon 0.69"
)]
pub(crate) struct CalibrateArgs {
    /// L1 sensitivity Δ of the query (positive decimal or fraction)
    #[arg(long, value_name = "D", allow_negative_numbers = true, value_parser = positive_number_text)]
    pub(crate) sensitivity: Option<String>,

    /// Instead of --sensitivity: series length n of a vector sum, Δ = n·max(|a|, |b|)
    #[arg(long, value_name = "n", requires_all = ["dmin", "dmax"])]
    pub(crate) length: Option<u64>,

    /// Smallest value a of one slot (with --length)
    #[arg(long, value_name = "a", requires = "length", allow_negative_numbers = true, value_parser = number_text)]
    pub(crate) dmin: Option<String>,

    /// Largest value b of one slot (with --length)
    #[arg(long, value_name = "b", requires = "length", allow_negative_numbers = true, value_parser = number_text)]
    pub(crate) dmax: Option<String>,

    /// Privacy budget ε of the release, read exactly
    #[arg(long, value_name = "E", allow_negative_numbers = true, value_parser = epsilon_parser)]
    pub(crate) epsilon: Epsilon,

    /// Number of parties N drawing noise shares (DREAM §6)
    #[arg(long, value_name = "N")]
    pub(crate) parties: Option<u64>,

    /// Parties M that may fail to report; shares are drawn for N − M [default: 0]
    #[arg(long = "max-failures", value_name = "M", requires = "parties")]
    pub(crate) max_failures: Option<u64>,
}

/// Arguments of `sfumato demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Number of smart meters N, each adding one noise share
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1_000,
        value_parser = clap::value_parser!(u64).range(1..=10_000)
    )]
    pub(crate) meters: u64,

    /// Noisy aggregates drawn per mechanism
    #[arg(
        long,
        value_name = "K",
        default_value_t = 2_000,
        value_parser = clap::value_parser!(u64).range(10..=100_000)
    )]
    pub(crate) draws: u64,

    /// Random seed.
    #[command(flatten)]
    pub(crate) seed: SeedArg,
}

/// One line of help per mechanism, shown in `--help`.
fn mechanism_help(mechanism: Mechanism) -> &'static str {
    match mechanism {
        Mechanism::Laplace => "central continuous Laplace(λ)",
        Mechanism::GammaShares => "sum of N gamma shares, Laplace(λ) in total (DREAM Lemma 1)",
        Mechanism::DiscreteLaplace => "central exact discrete Laplace(τ)",
        Mechanism::PolyaShares => "sum of N Pólya shares, exactly discrete Laplace(τ)",
        _ => "",
    }
}

/// Accepts exactly the library's mechanism names and lists them in `--help`.
fn mechanism_parser() -> impl TypedValueParser<Value = Mechanism> {
    let names = Mechanism::ALL.map(|m| PossibleValue::new(m.name()).help(mechanism_help(m)));
    PossibleValuesParser::new(names).try_map(|name| name.parse::<Mechanism>())
}

/// A decimal or fraction, kept as text so that exact code can read it exactly.
fn number_text(text: &str) -> Result<String, String> {
    parse_rational(text).map_err(|e| e.to_string())?;
    Ok(text.trim().to_string())
}

/// A positive decimal or fraction, kept as text.
fn positive_number_text(text: &str) -> Result<String, String> {
    let value = parse_rational(text).map_err(|e| e.to_string())?;
    // Rounding up keeps every positive rational above zero.
    if ratio_to_f64_up(&value) > 0.0 {
        Ok(text.trim().to_string())
    } else {
        Err("must be positive".to_string())
    }
}

/// ε read exactly; a budget to spend or calibrate for must be positive
/// (ε = 0 would ask for infinite noise).
fn epsilon_parser(text: &str) -> Result<Epsilon, String> {
    let epsilon = Epsilon::parse(text).map_err(|e| e.to_string())?;
    if epsilon.is_zero() {
        return Err("must be positive".to_string());
    }
    Ok(epsilon)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
