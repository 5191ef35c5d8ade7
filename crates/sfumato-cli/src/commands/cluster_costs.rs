//! `sfumato cluster costs`: the paper's cost figures. `--figure 4a`, `4b`
//! and `3b` (latency and churn, §6.3.2 and §6.4) are simulated in
//! `cluster_latency`; this module parses every figure's options and
//! measures `--figure 5`, the default.
//!
//! `--figure 5`: Chiaroscuro's unit local costs (§6.3.1, Fig. 5) — what
//! one participant spends on one *set of means* under a real threshold
//! Damgård–Jurik key.
//!
//! A set of means is `means × (measures + 1)` values: per mean, the sum of
//! its members' series (`measures` values) and their count (Alg. 1–3 sum
//! both and divide at the end). For that set the command times
//!
//! * encrypting it (full-randomness encryption `(1+n)^m · r^(nˢ)`);
//! * adding two encrypted sets homomorphically (the epidemic sum's step);
//! * one key holder's partial decryption of it, with proofs of correctness;
//! * combining τ partial decryptions into its plaintexts (each partial
//!   verified, as [`ThresholdPublicKey::combine`] does);
//!
//! and counts the bytes to transfer it: the fixed width of a ciphertext
//! (the bytes of `nˢ⁺¹`) times the count, the postcard encoding of the
//! `Vec<Ciphertext>` (the wire format of protocol messages, where a
//! ciphertext is a decimal string), and a plaintext set (8 bytes a value)
//! for reference. Each time is reported as min / mean / max over
//! `--repeat` runs; every run decrypts a sum and checks it.
//!
//! The set operations run on `--threads` threads (default 1: one
//! participant's device, as the paper measures); key generation searches
//! safe primes on every core. The key comes from `--seed` and is not
//! secret.

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rug::Integer;
use serde_json::{Value, json};
use sfumato_crypto::dj::threshold::{KeyShare, PartialDecryption, ThresholdPublicKey};
use sfumato_crypto::dj::{Ciphertext, PrivateKey, PublicKey};

use crate::error::CliError;
use crate::output::{Output, grouped, human_bytes};
use crate::progress::Progress;

/// Damgård–Jurik degree: plaintexts modulo `n`, ciphertexts modulo `n²`.
const S: u32 = 1;
/// Largest set the command measures (values).
const MAX_VALUES: u64 = 1_000_000;
/// Bytes of one plaintext value in the reference size (a 64-bit number).
const PLAINTEXT_VALUE_BYTES: u64 = 8;

/// The figure `sfumato cluster costs` measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum FigureArg {
    /// Fig. 5: one participant's time and bytes for a set of encrypted means (§6.3.1)
    #[value(name = "5")]
    Five,
    /// Fig. 4(a): messages per participant of EESum and of the correction's
    /// dissemination, against the population and e_max (§6.3.2)
    #[value(name = "4a")]
    FourA,
    /// Fig. 4(b): messages per participant of the epidemic decryption against τ (§6.3.2)
    #[value(name = "4b")]
    FourB,
    /// Fig. 3(b): relative error of EESum under churn (§6.4)
    #[value(name = "3b")]
    ThreeB,
}

/// Arguments of `sfumato cluster costs`. Options without a default apply to
/// some figures only; giving one to another figure is an error.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "--figure 5 (the default) times, on one participant, the operations Chiaroscuro performs \
on one set of means (Fig. 5): encrypt it, add two encrypted sets, one key holder's partial decryption, \
and combining the threshold's partial decryptions into plaintexts; and the bytes to transfer it. A set \
holds means × (measures + 1) values: each mean's sum series and its count.\n\
--figure 4a, 4b and 3b simulate the protocol with every participant's data a single 1 (§6.1.4) and \
count its messages per participant by phase (Fig. 4), or measure EESum's error under churn (Fig. 3(b)). \
They run the insecure plaintext stand-in: the same messages as Damgård–Jurik, nothing encrypted.\n\
Examples:\n  \
sfumato cluster costs --means 50 --measures 20 --key-bits 1024\n  \
sfumato cluster costs --figure 4a --populations 1000,10000,100000 --e-max 1,0.1,0.01,0.001 --workers 2\n  \
sfumato cluster costs --figure 4b --populations 1000,10000 --tau-fractions 0.001,0.01,0.1\n  \
sfumato cluster costs --figure 3b --populations 1000,10000,100000 --churn 0.1,0.25,0.5"
)]
pub(crate) struct CostsArgs {
    /// The figure to measure
    #[arg(long, value_enum, default_value = "5")]
    pub(crate) figure: FigureArg,

    /// Fig. 5: means in a set (clusters) [default: 50]
    #[arg(long, value_name = "K", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) means: Option<u32>,

    /// Fig. 5: measures per mean (length of a series); each mean also carries a count [default: 20]
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) measures: Option<u32>,

    /// Fig. 5: bits of the Damgård–Jurik modulus n (two safe primes of half the size; s = 1) [default: 1024]
    #[arg(long, value_name = "B", value_parser = clap::value_parser!(u32).range(256..=4096))]
    pub(crate) key_bits: Option<u32>,

    /// Figs. 5 and 4b: key holders the decryption key is dealt to [default: 10; 4b: every participant, §4.2.3]
    #[arg(long, value_name = "L", value_parser = clap::value_parser!(u32).range(1..=50_000_000))]
    pub(crate) committee: Option<u32>,

    /// Fig. 5: threshold τ, partial decryptions combined into a plaintext [default: 3]
    #[arg(long, value_name = "T", value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) threshold: Option<u32>,

    /// Fig. 5: measurements of each operation (min, mean and max are reported) [default: 3]
    #[arg(long, value_name = "R", value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub(crate) repeat: Option<u32>,

    /// Fig. 5: threads for the set operations (1: one participant's core; 0: all cores) [default: 1]
    #[arg(long, value_name = "N")]
    pub(crate) threads: Option<usize>,

    /// Seed of the key and the data (Fig. 5; the key is not secret), or of the simulation
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Figs. 4a, 4b, 3b: populations, comma-separated [default: 4a and 3b 1000,10000,100000; 4b 1000,10000]
    #[arg(long, value_name = "P,P,…")]
    pub(crate) populations: Option<String>,

    /// Fig. 4a: absolute approximation errors e_max of the sum, comma-separated [default: 1,0.1,0.01,0.001]
    #[arg(long, value_name = "E,E,…")]
    pub(crate) e_max: Option<String>,

    /// Fig. 4a: n_e, EESum exchanges per participant [default: Theorem 3's for each e_max]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub(crate) n_e: Option<u64>,

    /// Figs. 4a, 4b: δ of Theorem 3's failure probability (App. B) [default: 0.995]
    #[arg(long, value_name = "D")]
    pub(crate) delta: Option<f64>,

    /// Fig. 4b: thresholds τ as fractions of the population, comma-separated [default: 0.001,0.01,0.1]
    #[arg(long, value_name = "F,F,…")]
    pub(crate) tau_fractions: Option<String>,

    /// Fig. 3b: per-exchange disconnection probabilities, comma-separated [default: 0.1,0.25,0.5]
    #[arg(long, value_name = "P,P,…")]
    pub(crate) churn: Option<String>,

    /// Periods simulated: 4a the EESum (default: enough to reach the smallest e_max), 4b the
    /// decryption (default: the schedule's, 2(⌈log₂ P⌉ + 4) + 4τ), 3b the EESum (default: 50,
    /// about 100 messages per participant)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) periods: Option<u32>,

    /// Figs. 4a, 4b, 3b: peer sampling, a uniform oracle or Newscast views of 30 (Table 2) [default: uniform]
    #[arg(long, value_enum)]
    pub(crate) peers: Option<crate::cli_sim::PeersArg>,

    /// Figs. 4a, 4b, 3b: simulator worker threads [default: 1]
    #[arg(long, value_name = "W", value_parser = clap::value_parser!(u32).range(1..=256))]
    pub(crate) workers: Option<u32>,

    /// Do not show progress on stderr
    #[arg(long)]
    pub(crate) quiet: bool,
}

/// The options of `--figure 5`, with their defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UnitCostsArgs {
    pub(crate) means: u32,
    pub(crate) measures: u32,
    pub(crate) key_bits: u32,
    pub(crate) committee: u32,
    pub(crate) threshold: u32,
    pub(crate) repeat: u32,
    pub(crate) seed: u64,
    pub(crate) threads: usize,
}

/// The options given that `figure` does not use, as `--name`s.
pub(crate) fn not_for(args: &CostsArgs, figure: FigureArg) -> Option<&'static str> {
    use FigureArg::{Five, FourA, FourB, ThreeB};
    let given: [(&'static str, bool, &[FigureArg]); 15] = [
        ("--means", args.means.is_some(), &[Five]),
        ("--measures", args.measures.is_some(), &[Five]),
        ("--key-bits", args.key_bits.is_some(), &[Five]),
        ("--committee", args.committee.is_some(), &[Five, FourB]),
        ("--threshold", args.threshold.is_some(), &[Five]),
        ("--repeat", args.repeat.is_some(), &[Five]),
        ("--threads", args.threads.is_some(), &[Five]),
        (
            "--populations",
            args.populations.is_some(),
            &[FourA, FourB, ThreeB],
        ),
        ("--e-max", args.e_max.is_some(), &[FourA]),
        ("--n-e", args.n_e.is_some(), &[FourA]),
        ("--delta", args.delta.is_some(), &[FourA, FourB]),
        ("--tau-fractions", args.tau_fractions.is_some(), &[FourB]),
        ("--churn", args.churn.is_some(), &[ThreeB]),
        ("--periods", args.periods.is_some(), &[FourA, FourB, ThreeB]),
        (
            "--peers",
            args.peers.is_some() || args.workers.is_some(),
            &[FourA, FourB, ThreeB],
        ),
    ];
    given
        .iter()
        .find(|(_, set, figures)| *set && !figures.contains(&figure))
        .map(|(name, ..)| {
            if *name == "--peers" && args.peers.is_none() {
                "--workers"
            } else {
                *name
            }
        })
}

/// The figure's name as `--figure` takes it.
pub(crate) fn figure_name(f: FigureArg) -> &'static str {
    match f {
        FigureArg::Five => "5",
        FigureArg::FourA => "4a",
        FigureArg::FourB => "4b",
        FigureArg::ThreeB => "3b",
    }
}

/// Refuses the options `args.figure` does not use, with one line.
pub(crate) fn check_applicable(args: &CostsArgs) -> Result<(), CliError> {
    match not_for(args, args.figure) {
        Some(name) => Err(CliError::usage(format!(
            "{name} does not apply to --figure {}",
            figure_name(args.figure)
        ))),
        None => Ok(()),
    }
}

/// The options of `--figure 5`, defaults filled in.
pub(crate) fn unit_args(args: &CostsArgs) -> UnitCostsArgs {
    UnitCostsArgs {
        means: args.means.unwrap_or(50),
        measures: args.measures.unwrap_or(20),
        key_bits: args.key_bits.unwrap_or(1024),
        committee: args.committee.unwrap_or(10),
        threshold: args.threshold.unwrap_or(3),
        repeat: args.repeat.unwrap_or(3),
        seed: args.seed,
        threads: args.threads.unwrap_or(1),
    }
}

/// Runs `sfumato cluster costs`.
pub(crate) fn run(args: &CostsArgs, out: &mut Output) -> Result<(), CliError> {
    check_applicable(args)?;
    match args.figure {
        FigureArg::Five => run_unit(&unit_args(args), !args.quiet, out),
        FigureArg::FourA | FigureArg::FourB | FigureArg::ThreeB => {
            crate::commands::cluster_latency::run(args, out)
        }
    }
}

/// Min, mean and max of some durations, in seconds.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Spread {
    min: f64,
    mean: f64,
    max: f64,
}

impl Spread {
    fn of(samples: &[f64]) -> Spread {
        let n = samples.len().max(1) as f64;
        Spread {
            min: samples.iter().copied().fold(f64::INFINITY, f64::min),
            mean: samples.iter().sum::<f64>() / n,
            max: samples.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }
}

/// One timed operation on a set.
#[derive(Debug)]
struct Timed {
    key: &'static str,
    name: String,
    seconds: Spread,
}

/// Everything the command measured.
#[derive(Debug)]
struct UnitCosts {
    values: u64,
    threads: usize,
    keygen_seconds: f64,
    deal_seconds: f64,
    timed: Vec<Timed>,
    ciphertext_bytes: u64,
    set_fixed_bytes: u64,
    set_postcard_bytes: u64,
    plaintext_set_bytes: u64,
}

/// What one set of means costs at one key size, measured as `--figure 5`
/// does: for the dashboard's timings and traffic.
#[derive(Clone, Debug)]
pub(crate) struct UnitMeans {
    /// Values in the set (`means × (measures + 1)`).
    pub(crate) values: u64,
    /// Mean seconds of each operation on the set (`encrypt`, `add`,
    /// `partial_decrypt`, `combine`).
    pub(crate) ops: Vec<(&'static str, f64)>,
    /// Bytes of the encrypted set at a fixed ciphertext width.
    pub(crate) set_fixed_bytes: u64,
    /// Bytes of the same set in the clear (8 a value).
    pub(crate) plaintext_set_bytes: u64,
}

/// Measures [`UnitMeans`].
pub(crate) fn unit_means(args: &UnitCostsArgs) -> Result<UnitMeans, CliError> {
    let costs = measure(args, false)?;
    Ok(UnitMeans {
        values: costs.values,
        ops: costs
            .timed
            .iter()
            .map(|t| (t.key, t.seconds.mean))
            .collect(),
        set_fixed_bytes: costs.set_fixed_bytes,
        plaintext_set_bytes: costs.plaintext_set_bytes,
    })
}

/// Runs `sfumato cluster costs --figure 5`.
fn run_unit(args: &UnitCostsArgs, show_progress: bool, out: &mut Output) -> Result<(), CliError> {
    let costs = measure(args, show_progress)?;
    if out.is_json() {
        out.json(&to_json(args, &costs))?;
    } else {
        for line in human(args, &costs) {
            out.line(line)?;
        }
    }
    Ok(())
}

/// Checks the arguments that clap cannot check alone; the set size.
fn validate(args: &UnitCostsArgs) -> Result<u64, CliError> {
    if !args.key_bits.is_multiple_of(2) {
        return Err(CliError::usage(format!(
            "--key-bits must be even (got {})",
            args.key_bits
        )));
    }
    if args.committee > 10_000 {
        return Err(CliError::usage(format!(
            "--committee {} is more than the 10,000 key holders --figure 5 deals",
            args.committee
        )));
    }
    if args.threshold > args.committee {
        return Err(CliError::usage(format!(
            "--threshold {} exceeds --committee {}",
            args.threshold, args.committee
        )));
    }
    let values = u64::from(args.means) * (u64::from(args.measures) + 1);
    if values > MAX_VALUES {
        return Err(CliError::usage(format!(
            "a set of {} values (--means × (--measures + 1)) is more than the {} this command measures",
            grouped(values as f64, 0),
            grouped(MAX_VALUES as f64, 0)
        )));
    }
    Ok(values)
}

/// Threads for the set operations.
fn thread_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// Maps `f` over `items` on `threads` threads, keeping the order; each
/// thread has its own RNG seeded from `rng` (drawn before any work, so the
/// results depend on the number of threads but not on scheduling).
fn par_map<T: Sync, U: Send, E: Send>(
    items: &[T],
    threads: usize,
    rng: &mut ChaCha20Rng,
    f: impl Fn(&T, &mut ChaCha20Rng) -> Result<U, E> + Sync,
) -> Result<Vec<U>, E> {
    let threads = threads.clamp(1, items.len().max(1));
    let chunk = items.len().div_ceil(threads).max(1);
    let seeds: Vec<[u8; 32]> = (0..threads)
        .map(|_| {
            let mut s = [0u8; 32];
            rng.fill_bytes(&mut s);
            s
        })
        .collect();
    if threads == 1 {
        let mut r = ChaCha20Rng::from_seed(seeds[0]);
        return items.iter().map(|x| f(x, &mut r)).collect();
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .zip(&seeds)
            .map(|(part, seed)| {
                let f = &f;
                scope.spawn(move || {
                    let mut r = ChaCha20Rng::from_seed(*seed);
                    part.iter()
                        .map(|x| f(x, &mut r))
                        .collect::<Result<Vec<U>, E>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(items.len());
        for h in handles {
            out.extend(h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?);
        }
        Ok(out)
    })
}

/// Seconds `f` takes.
fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64())
}

/// A set's plaintexts: per mean, `measures` sums (below 2⁴⁰, sums of many
/// fixed-point values) and a count (below 2²⁴).
fn plaintexts(rng: &mut ChaCha20Rng, means: u32, measures: u32) -> Vec<Integer> {
    let mut out = Vec::new();
    for _ in 0..means {
        for _ in 0..measures {
            out.push(Integer::from(rng.next_u64() >> 24));
        }
        out.push(Integer::from(rng.next_u64() >> 40));
    }
    out
}

fn encrypt_set(
    pk: &PublicKey,
    ms: &[Integer],
    threads: usize,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<Ciphertext>, CliError> {
    par_map(ms, threads, rng, |m, r| Ok(pk.encrypt(m, r)))
}

fn partial_set(
    share: &KeyShare,
    cs: &[Ciphertext],
    threads: usize,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<PartialDecryption>, CliError> {
    par_map(cs, threads, rng, |c, r| share.partial_decrypt(c, r)).map_err(CliError::from)
}

/// Combines, value by value, the partial decryptions `partials[holder][i]`
/// of `cs[i]`.
fn combine_set(
    tpk: &ThresholdPublicKey,
    cs: &[Ciphertext],
    partials: &[Vec<PartialDecryption>],
    threads: usize,
    rng: &mut ChaCha20Rng,
) -> Result<Vec<Integer>, CliError> {
    let indexed: Vec<usize> = (0..cs.len()).collect();
    par_map(&indexed, threads, rng, |&i, _| {
        let mine: Vec<PartialDecryption> = partials
            .iter()
            .filter_map(|holder| holder.get(i).cloned())
            .collect();
        tpk.combine(&cs[i], &mine)
    })
    .map_err(CliError::from)
}

/// Generates the key, then times every operation `--repeat` times.
fn measure(args: &UnitCostsArgs, show_progress: bool) -> Result<UnitCosts, CliError> {
    let values = validate(args)?;
    let threads = thread_count(args.threads);
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);

    let spinner = show_progress.then(|| Progress::spinner("searching safe primes"));
    let (sk, keygen_seconds) = timed(|| {
        PrivateKey::generate(&mut rng, args.key_bits, S, 0, &|n| {
            if let Some(s) = &spinner {
                s.set(n);
            }
        })
    });
    if let Some(s) = &spinner {
        s.finish();
    }
    let sk = sk?;
    let (dealt, deal_seconds) = timed(|| sk.deal(args.committee, args.threshold, &mut rng));
    let (tpk, shares) = dealt?;
    drop(sk);
    let pk = tpk.public();
    let tau = args.threshold as usize;
    let repeat = args.repeat as usize;
    let progress =
        show_progress.then(|| Progress::new("measuring one set", (tau + 4 * repeat) as u64));
    let mut done = 0u64;
    let mut step = || {
        done += 1;
        if let Some(p) = &progress {
            p.set(done);
        }
    };

    // The set every decryption works on: the sum of two encrypted sets.
    let a = plaintexts(&mut rng, args.means, args.measures);
    let b = plaintexts(&mut rng, args.means, args.measures);
    let ca = encrypt_set(pk, &a, threads, &mut rng)?;
    let cb = encrypt_set(pk, &b, threads, &mut rng)?;
    let sum: Vec<Ciphertext> = ca.iter().zip(&cb).map(|(x, y)| pk.add(x, y)).collect();
    let expected: Vec<Integer> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| Integer::from(x + y) % pk.plaintext_modulus())
        .collect();
    let mut partials = Vec::with_capacity(tau);
    for share in shares.iter().take(tau) {
        partials.push(partial_set(share, &sum, threads, &mut rng)?);
        step();
    }

    let (mut enc, mut add, mut part, mut comb) = (vec![], vec![], vec![], vec![]);
    for _ in 0..repeat {
        let (c, t) = timed(|| encrypt_set(pk, &a, threads, &mut rng));
        enc.push(t);
        c?;
        step();
        let (c, t) = timed(|| {
            ca.iter()
                .zip(&cb)
                .map(|(x, y)| pk.add(x, y))
                .collect::<Vec<_>>()
        });
        add.push(t);
        if c != sum {
            return Err(self_check("homomorphic addition"));
        }
        step();
        let (p, t) = timed(|| partial_set(&shares[0], &sum, threads, &mut rng));
        part.push(t);
        p?;
        step();
        let (m, t) = timed(|| combine_set(&tpk, &sum, &partials, threads, &mut rng));
        comb.push(t);
        if m? != expected {
            return Err(self_check("threshold decryption"));
        }
        step();
    }
    if let Some(p) = &progress {
        p.finish();
    }

    let ciphertext_bytes = u64::from(pk.ciphertext_modulus().significant_bits().div_ceil(8));
    let set_postcard_bytes = postcard::to_allocvec(&sum)
        .map_err(|e| CliError::usage(format!("cannot encode the encrypted set: {e}")))?
        .len() as u64;
    let timed = vec![
        Timed {
            key: "encrypt",
            name: "encrypt".to_string(),
            seconds: Spread::of(&enc),
        },
        Timed {
            key: "add",
            name: "add two encrypted sets".to_string(),
            seconds: Spread::of(&add),
        },
        Timed {
            key: "partial_decrypt",
            name: "partial decryption by one key holder (with proofs)".to_string(),
            seconds: Spread::of(&part),
        },
        Timed {
            key: "combine",
            name: format!("combine {tau} partial decryptions (verifying each)"),
            seconds: Spread::of(&comb),
        },
    ];
    Ok(UnitCosts {
        values,
        threads,
        keygen_seconds,
        deal_seconds,
        timed,
        ciphertext_bytes,
        set_fixed_bytes: ciphertext_bytes * values,
        set_postcard_bytes,
        plaintext_set_bytes: PLAINTEXT_VALUE_BYTES * values,
    })
}

fn self_check(what: &str) -> CliError {
    CliError::usage(format!(
        "measurement self-check failed: {what} gave a wrong result"
    ))
}

/// A duration for humans: 850 µs, 12.3 ms, 2.61 s.
fn duration(seconds: f64) -> String {
    if seconds < 1e-3 {
        format!("{:.0} µs", seconds * 1e6)
    } else if seconds < 1.0 {
        format!("{:.1} ms", seconds * 1e3)
    } else {
        format!("{seconds:.2} s")
    }
}

/// Bytes, exact and rounded: `268,800 B (269 kB)`.
fn bytes(b: u64) -> String {
    let exact = format!("{} B", grouped(b as f64, 0));
    let rounded = human_bytes(b);
    if rounded == exact || b < 10_000 {
        exact
    } else {
        format!("{exact} ({rounded})")
    }
}

fn human(args: &UnitCostsArgs, c: &UnitCosts) -> Vec<String> {
    let mut lines = vec![
        format!(
            "sfumato cluster costs (Chiaroscuro Fig. 5): one set of {} means × ({} measures + 1 count) = {} values",
            args.means,
            args.measures,
            grouped(c.values as f64, 0)
        ),
        format!(
            "Damgård–Jurik n = {} bits, s = {S}; committee {}, threshold {}; {} repeat{}, seed {}; {} thread{} for the set operations",
            args.key_bits,
            args.committee,
            args.threshold,
            args.repeat,
            if args.repeat == 1 { "" } else { "s" },
            args.seed,
            c.threads,
            if c.threads == 1 { "" } else { "s" },
        ),
        format!(
            "key generation {:.1} s (two {}-bit safe primes, all cores); dealing {:.1} s",
            c.keygen_seconds,
            args.key_bits / 2,
            c.deal_seconds
        ),
        String::new(),
        format!(
            "  {:<54} {:>10} {:>10} {:>10}",
            "time for one set", "min", "mean", "max"
        ),
    ];
    for t in &c.timed {
        lines.push(format!(
            "  {:<54} {:>10} {:>10} {:>10}",
            t.name,
            duration(t.seconds.min),
            duration(t.seconds.mean),
            duration(t.seconds.max)
        ));
    }
    lines.push(String::new());
    lines.push("  bytes to transfer one set".to_string());
    for (name, b) in [
        (
            "one ciphertext (fixed width, bytes of n^(s+1))",
            c.ciphertext_bytes,
        ),
        ("encrypted set, fixed width", c.set_fixed_bytes),
        (
            "encrypted set, postcard (decimal strings)",
            c.set_postcard_bytes,
        ),
        (
            "plaintext set, for reference (8 bytes a value)",
            c.plaintext_set_bytes,
        ),
    ] {
        lines.push(format!("  {name:<54} {:>21}", bytes(b)));
    }
    lines
}

fn to_json(args: &UnitCostsArgs, c: &UnitCosts) -> Value {
    let operations: Vec<Value> = c
        .timed
        .iter()
        .map(|t| {
            json!({
                "operation": t.key,
                "description": t.name,
                "min_seconds": t.seconds.min,
                "mean_seconds": t.seconds.mean,
                "max_seconds": t.seconds.max,
            })
        })
        .collect();
    json!({
        "command": "cluster costs",
        "figure": 5,
        "means": args.means,
        "measures": args.measures,
        "values_per_set": c.values,
        "key_bits": args.key_bits,
        "s": S,
        "committee": args.committee,
        "threshold": args.threshold,
        "repeat": args.repeat,
        "seed": args.seed,
        "threads": c.threads,
        "keygen_seconds": c.keygen_seconds,
        "deal_seconds": c.deal_seconds,
        "operations": operations,
        "bytes": {
            "ciphertext_fixed_width": c.ciphertext_bytes,
            "encrypted_set_fixed_width": c.set_fixed_bytes,
            "encrypted_set_postcard": c.set_postcard_bytes,
            "plaintext_set": c.plaintext_set_bytes,
        },
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        args: CostsArgs,
    }

    fn parse_all(argv: &[&str]) -> Result<CostsArgs, clap::Error> {
        Cmd::try_parse_from(std::iter::once("costs").chain(argv.iter().copied())).map(|c| c.args)
    }

    fn parse(argv: &[&str]) -> Result<UnitCostsArgs, clap::Error> {
        parse_all(argv).map(|a| unit_args(&a))
    }

    #[test]
    fn options_of_other_figures_are_refused() {
        let a = parse_all(&[]).unwrap();
        assert_eq!(a.figure, FigureArg::Five);
        assert!(check_applicable(&a).is_ok());
        let a = parse_all(&["--populations", "1000"]).unwrap();
        assert_eq!(
            check_applicable(&a).unwrap_err().to_string(),
            "--populations does not apply to --figure 5"
        );
        let a = parse_all(&["--figure", "4a", "--means", "3"]).unwrap();
        assert_eq!(
            check_applicable(&a).unwrap_err().to_string(),
            "--means does not apply to --figure 4a"
        );
        let a = parse_all(&["--figure", "3b", "--workers", "2"]).unwrap();
        assert!(check_applicable(&a).is_ok());
        let a = parse_all(&["--figure", "5", "--workers", "2"]).unwrap();
        assert_eq!(
            check_applicable(&a).unwrap_err().to_string(),
            "--workers does not apply to --figure 5"
        );
        let a = parse_all(&["--figure", "4b", "--committee", "20"]).unwrap();
        assert!(check_applicable(&a).is_ok());
        let a = parse_all(&["--figure", "4a", "--tau-fractions", "0.1"]).unwrap();
        assert!(check_applicable(&a).is_err());
        assert!(parse_all(&["--figure", "6"]).is_err());
    }

    #[test]
    fn defaults_are_the_papers_setting() {
        let a = parse(&[]).unwrap();
        assert_eq!(
            (a.means, a.measures, a.key_bits, a.committee, a.threshold),
            (50, 20, 1024, 10, 3)
        );
        assert_eq!((a.repeat, a.seed, a.threads), (3, 1, 1));
        assert_eq!(validate(&a).unwrap(), 1_050);
        assert!(parse(&["--means", "0"]).is_err());
        assert!(parse(&["--key-bits", "128"]).is_err());
        let e = validate(&parse(&["--committee", "2"]).unwrap()).unwrap_err();
        assert_eq!(e.to_string(), "--threshold 3 exceeds --committee 2");
        assert!(validate(&parse(&["--key-bits", "511"]).unwrap()).is_err());
        let big = parse(&["--means", "100000", "--measures", "100"]).unwrap();
        assert!(
            validate(&big)
                .unwrap_err()
                .to_string()
                .contains("10,100,000 values")
        );
    }

    #[test]
    fn measures_a_small_set_and_reports_it() {
        let mut a = parse(&[
            "--means",
            "2",
            "--measures",
            "3",
            "--key-bits",
            "256",
            "--committee",
            "4",
            "--threshold",
            "2",
            "--repeat",
            "2",
            "--seed",
            "5",
        ])
        .unwrap();
        let c = measure(&a, false).unwrap();
        assert_eq!(c.values, 8);
        // n² of 512 bits: 64 bytes a ciphertext.
        assert_eq!((c.ciphertext_bytes, c.set_fixed_bytes), (64, 512));
        // Decimal strings of about 154 digits plus a length byte each.
        assert!(c.set_postcard_bytes > 8 * 140 && c.set_postcard_bytes < 8 * 160);
        assert_eq!(c.plaintext_set_bytes, 64);
        assert_eq!(c.timed.len(), 4);
        for t in &c.timed {
            let s = t.seconds;
            assert!(s.min >= 0.0 && s.min <= s.mean && s.mean <= s.max, "{t:?}");
        }
        let j = to_json(&a, &c);
        assert_eq!(j["values_per_set"], 8);
        assert_eq!(j["operations"][3]["operation"], "combine");
        assert_eq!(j["bytes"]["encrypted_set_fixed_width"], 512);
        let text = human(&a, &c).join("\n");
        assert!(text.contains("combine 2 partial decryptions"), "{text}");
        assert!(text.contains("512 B"), "{text}");
        // The same on two threads.
        a.threads = 2;
        assert_eq!(measure(&a, false).unwrap().values, 8);
    }

    #[test]
    fn spreads_and_units() {
        let s = Spread::of(&[3.0, 1.0, 2.0]);
        assert_eq!(
            s,
            Spread {
                min: 1.0,
                mean: 2.0,
                max: 3.0
            }
        );
        assert_eq!(duration(0.000_85), "850 µs");
        assert_eq!(duration(0.012_34), "12.3 ms");
        assert_eq!(duration(2.614), "2.61 s");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(268_800), "268,800 B (269 kB)");
    }
}
