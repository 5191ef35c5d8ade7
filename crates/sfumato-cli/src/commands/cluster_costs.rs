//! `sfumato cluster costs --figure 5`: Chiaroscuro's unit local costs
//! (§6.2, Fig. 5) — what one participant spends on one *set of means*
//! under a real threshold Damgård–Jurik key.
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

/// Arguments of `sfumato cluster costs`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Times, on one participant, the operations Chiaroscuro performs on one set of means \
(Fig. 5): encrypt it, add two encrypted sets, one key holder's partial decryption, and combining \
the threshold's partial decryptions into plaintexts; and the bytes to transfer it. A set holds \
means × (measures + 1) values: each mean's sum series and its count.\n\
Example (the paper's setting, 50 means × 20 measures, 1024-bit key):\n  \
sfumato cluster costs --means 50 --measures 20 --key-bits 1024"
)]
pub(crate) struct UnitCostsArgs {
    /// Means in a set (clusters)
    #[arg(long, value_name = "K", default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) means: u32,

    /// Measures per mean (length of a series); each mean also carries a count
    #[arg(long, value_name = "D", default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub(crate) measures: u32,

    /// Bits of the Damgård–Jurik modulus n (two safe primes of half the size; s = 1)
    #[arg(long, value_name = "B", default_value_t = 1024, value_parser = clap::value_parser!(u32).range(256..=4096))]
    pub(crate) key_bits: u32,

    /// Key holders the decryption key is dealt to
    #[arg(long, value_name = "L", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) committee: u32,

    /// Threshold τ: partial decryptions combined into a plaintext
    #[arg(long, value_name = "T", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub(crate) threshold: u32,

    /// Measurements of each operation (min, mean and max are reported)
    #[arg(long, value_name = "R", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1_000))]
    pub(crate) repeat: u32,

    /// Seed of the key and the data (the key is not secret)
    #[arg(long, value_name = "S", default_value_t = 1)]
    pub(crate) seed: u64,

    /// Threads for the set operations (1: one participant's core; 0: all cores); key generation uses all cores
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub(crate) threads: usize,
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

/// Runs `sfumato cluster costs --figure 5`.
pub(crate) fn run_unit(args: &UnitCostsArgs, out: &mut Output) -> Result<(), CliError> {
    let costs = measure(args, true)?;
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
        args: UnitCostsArgs,
    }

    fn parse(argv: &[&str]) -> Result<UnitCostsArgs, clap::Error> {
        Cmd::try_parse_from(std::iter::once("costs").chain(argv.iter().copied())).map(|c| c.args)
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
