//! `sfumato crypto bench`: operations per second of Damgård–Jurik on this
//! machine, each next to a naive reference (plain modular exponentiation,
//! no CRT, no precomputation) measured in the same run, so that speed-ups
//! are ratios from one run.

use std::time::{Duration, Instant};

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rug::Integer;
use serde_json::json;
use sfumato_crypto::dj::{PrivateKey, Randomizer, ShortExponentEncryptor, reference};

use crate::cli::CryptoBenchArgs;
use crate::error::CliError;
use crate::output::{Output, grouped};

/// One measured operation.
struct Row {
    name: &'static str,
    ops: f64,
    naive: Option<f64>,
}

/// Runs `f` until `seconds` have passed (at least once); operations per
/// second.
fn rate(seconds: f64, mut f: impl FnMut()) -> f64 {
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut n = 0u64;
    while n < 1 || start.elapsed() < budget {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Runs `sfumato crypto bench`.
pub(crate) fn run(args: &CryptoBenchArgs, out: &mut Output) -> Result<(), CliError> {
    if !args.bits.is_multiple_of(2) {
        return Err(CliError::usage(format!(
            "--bits must be even (got {})",
            args.bits
        )));
    }
    if !(args.seconds > 0.0 && args.seconds <= 600.0) {
        return Err(CliError::usage("--seconds must be in (0, 600]"));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed);
    let t = Instant::now();
    let sk = PrivateKey::generate(&mut rng, args.bits, args.s, 0, &|_| {})?;
    let keygen = t.elapsed().as_secs_f64();
    let pk = sk.public().clone();
    let ns = pk.plaintext_modulus().clone();
    let m = Integer::from(&ns >> 3u32) + 12_345u32;
    let r = Integer::from(pk.n() >> 2u32) + 1u32;
    let secs = args.seconds;
    let mut rows = Vec::new();

    let c1 = pk.encrypt(&m, &mut rng);
    let c2 = pk.encrypt(&Integer::from(777), &mut rng);
    rows.push(Row {
        name: "encrypt (full randomness r^(n^s))",
        ops: rate(secs, || drop(pk.encrypt(&m, &mut rng))),
        naive: Some(rate(secs, || drop(reference::encrypt(&pk, &m, &r)))),
    });
    let t = Instant::now();
    let fast = ShortExponentEncryptor::new(&pk, &mut rng);
    let table = t.elapsed().as_secs_f64();
    rows.push(Row {
        name: "encrypt (short exponent, fixed base)",
        ops: rate(secs, || drop(fast.encrypt(&m, &mut rng))),
        naive: None,
    });
    let batch = 64;
    let t = Instant::now();
    let pool = Randomizer::batch(&pk, &mut rng, batch, 0);
    let pool_rate = batch as f64 / t.elapsed().as_secs_f64();
    let mut pool = pool.into_iter().cycle();
    rows.push(Row {
        name: "encrypt (randomizer precomputed)",
        ops: rate(secs, || {
            if let Some(r) = pool.next() {
                drop(pk.encrypt_with(&m, r));
            }
        }),
        naive: None,
    });
    rows.push(Row {
        name: "randomizers precomputed, all cores",
        ops: pool_rate,
        naive: None,
    });
    let modulus = pk.ciphertext_modulus().clone();
    rows.push(Row {
        name: "add",
        ops: rate(secs, || drop(pk.add(&c1, &c2))),
        naive: Some(rate(secs, || {
            drop(Integer::from(c1.value() * c2.value()) % &modulus)
        })),
    });
    let k = Integer::from(-987_654_321_987i64);
    rows.push(Row {
        name: "multiply by a 40-bit constant",
        ops: rate(secs, || drop(pk.mul_const(&c1, &k))),
        naive: Some(rate(secs, || {
            drop(
                c1.value()
                    .clone()
                    .pow_mod(&Integer::from(&k % &ns), &modulus),
            )
        })),
    });
    rows.push(Row {
        name: "decrypt (CRT)",
        ops: rate(secs, || drop(sk.decrypt(&c1))),
        naive: Some(rate(secs, || drop(reference::decrypt(&sk, &c1)))),
    });
    let batch_ms: Vec<Integer> = (0..64).map(|i| Integer::from(i) * 1_000_003u32).collect();
    let t = Instant::now();
    let mut rounds = 0u32;
    let mut batch_cts = Vec::new();
    while rounds < 1 || t.elapsed().as_secs_f64() < secs {
        batch_cts = fast.encrypt_batch(&batch_ms, &mut rng, 0);
        rounds += 1;
    }
    rows.push(Row {
        name: "encrypt (short exponent), all cores",
        ops: f64::from(rounds) * batch_ms.len() as f64 / t.elapsed().as_secs_f64(),
        naive: None,
    });
    let t = Instant::now();
    let mut rounds = 0u32;
    while rounds < 1 || t.elapsed().as_secs_f64() < secs {
        sk.decrypt_batch(&batch_cts, 0)?;
        rounds += 1;
    }
    rows.push(Row {
        name: "decrypt (CRT), all cores",
        ops: f64::from(rounds) * batch_cts.len() as f64 / t.elapsed().as_secs_f64(),
        naive: None,
    });
    let threshold = args.threshold.unwrap_or((args.committee / 2 + 1).min(10));
    if threshold > args.committee {
        return Err(CliError::usage(format!(
            "--threshold {threshold} exceeds --committee {}",
            args.committee
        )));
    }
    let (tpk, shares) = sk.deal(args.committee, threshold, &mut rng)?;
    let partial = rate(secs, || drop(shares[0].partial_decrypt(&c1, &mut rng)));
    rows.push(Row {
        name: "partial decrypt (with proof)",
        ops: partial,
        naive: None,
    });
    let partials: Vec<_> = shares
        .iter()
        .take(threshold as usize)
        .map(|s| s.partial_decrypt(&c1, &mut rng))
        .collect::<Result<_, _>>()?;
    rows.push(Row {
        name: "verify one partial decryption",
        ops: rate(secs, || drop(tpk.verify(&c1, &partials[0]))),
        naive: None,
    });
    rows.push(Row {
        name: "combine (verifying every partial)",
        ops: rate(secs, || drop(tpk.combine(&c1, &partials))),
        naive: None,
    });
    if tpk.combine(&c1, &partials)? != m || sk.decrypt(&c1)? != m {
        return Err(CliError::usage(
            "benchmark self-check failed: a decryption was wrong",
        ));
    }

    if out.is_json() {
        let rows: Vec<_> = rows
            .iter()
            .map(|r| json!({ "operation": r.name, "ops_per_second": r.ops, "naive_ops_per_second": r.naive,
                             "speedup": r.naive.map(|n| r.ops / n) }))
            .collect();
        out.json(&json!({
            "command": "crypto bench",
            "bits": args.bits,
            "s": args.s,
            "committee": args.committee,
            "threshold": threshold,
            "seed": args.seed,
            "keygen_seconds": keygen,
            "short_exponent_table_seconds": table,
            "rows": rows,
        }))?;
        return Ok(());
    }
    out.line(format_args!(
        "sfumato crypto bench: n = {} bits, s = {}, committee {} (threshold {}), seed {}; one thread unless noted",
        args.bits, args.s, args.committee, threshold, args.seed
    ))?;
    out.line(format_args!(
        "key generation {:.1} s (two {}-bit safe primes, all cores); short-exponent table {:.2} s",
        keygen,
        args.bits / 2,
        table
    ))?;
    out.line("")?;
    out.line(format_args!(
        "  {:<38} {:>12} {:>12} {:>9}",
        "operation", "ops/s", "naive ops/s", "speed-up"
    ))?;
    for r in &rows {
        let (naive, ratio) = match r.naive {
            Some(n) => (grouped(n, 0), format!("{:.1}×", r.ops / n)),
            None => ("—".to_string(), "—".to_string()),
        };
        out.line(format_args!(
            "  {:<38} {:>12} {:>12} {:>9}",
            r.name,
            grouped(r.ops, 0),
            naive,
            ratio
        ))?;
    }
    out.line("")?;
    out.line(
        "naive: plain modular exponentiation, no CRT, no binomial shortcut, no precomputation.",
    )?;
    Ok(())
}
