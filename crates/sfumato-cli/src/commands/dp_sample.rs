//! `sfumato dp sample`: draws noise, one sample per line.
//!
//! Each sample is what one aggregate receives: a central draw, or the sum of
//! N independently drawn shares ([`AggregateNoise::draw`]). Samples are
//! streamed, so `--count 100000000 --json` does not hold them in memory.

use std::io::Write;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_dp::{AggregateNoise, Noise};

use crate::cli::SampleArgs;
use crate::error::CliError;
use crate::output::Output;

/// Most shares one run may draw in total (`count × parties`): about a
/// minute of work in release mode.
const MAX_SHARE_DRAWS: u64 = 10_000_000_000;

/// Runs `sfumato dp sample`.
pub(crate) fn run(args: &SampleArgs, out: &mut Output) -> Result<(), CliError> {
    let noise = AggregateNoise::new(args.mechanism, &args.scale, args.parties)?;
    let draws = args.count.checked_mul(args.parties);
    if draws.is_none_or(|d| d > MAX_SHARE_DRAWS) {
        return Err(CliError::usage(format!(
            "--count × --parties must be at most {MAX_SHARE_DRAWS} shares (got {} × {})",
            args.count, args.parties
        )));
    }
    let mut rng = ChaCha20Rng::seed_from_u64(args.seed.seed);
    let json = out.is_json();
    let w = out.writer();
    if json {
        write!(w, "{{\"mechanism\":")?;
        serde_json::to_writer(&mut *w, args.mechanism.name())?;
        write!(w, ",\"scale\":")?;
        serde_json::to_writer(&mut *w, &args.scale)?;
        write!(
            w,
            ",\"parties\":{},\"seed\":{},\"count\":{},\"samples\":[",
            args.parties, args.seed.seed, args.count
        )?;
        for i in 0..args.count {
            if i > 0 {
                w.write_all(b",")?;
            }
            match noise.draw(&mut rng) {
                Noise::Integer(k) => serde_json::to_writer(&mut *w, &k)?,
                other => serde_json::to_writer(&mut *w, &other.as_f64())?,
            }
        }
        writeln!(w, "]}}")?;
    } else {
        for _ in 0..args.count {
            writeln!(w, "{}", noise.draw(&mut rng))?;
        }
    }
    Ok(())
}
