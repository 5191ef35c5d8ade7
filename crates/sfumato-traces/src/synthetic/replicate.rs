//! Real series replicated into a large population, the way Chiaroscuro
//! App. D grew the 7.5K-point A3 set to 750K points: "duplicating 100 times
//! each of the 7.5K points … and adding to each copy a uniform random value
//! small enough to preserve the clusters". Here each value of each copy is
//! multiplied by 1 + U(−j, j), so a profile keeps its shape, zeros stay
//! zero and nothing turns negative. Copy 0 is the original. Seeded: the
//! same seed gives the same file.

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::atomic::AtomicFile;
use crate::error::{Result, TracesError};
use crate::generator::rng::{Stream, stream, uniform};

/// Writes `copies` jittered copies of every row of `rows` to `out` as a
/// CSV of values only (a header `v1,…,vn`, one row per participant, the
/// layout `cluster run --input` reads), all copies of row 0 first. The
/// file appears only when complete.
pub fn replicate(
    rows: &[Vec<f64>],
    copies: u32,
    jitter: f64,
    seed: u64,
    out: &Path,
) -> Result<u64> {
    if copies == 0 {
        return Err(TracesError::invalid("copies", "at least one copy"));
    }
    if !(jitter.is_finite() && (0.0..1.0).contains(&jitter)) {
        return Err(TracesError::invalid(
            "jitter",
            format!("{jitter} is not a fraction in [0, 1)"),
        ));
    }
    let n = rows.first().map_or(0, Vec::len);
    if n == 0 || rows.iter().any(|r| r.len() != n) {
        return Err(TracesError::invalid("rows", "series of one length ≥ 1"));
    }
    let mut file = AtomicFile::create(out)?;
    let mut w = BufWriter::new(&mut file);
    let io = |e| TracesError::io(out, e);
    let header: Vec<String> = (1..=n).map(|i| format!("v{i}")).collect();
    writeln!(w, "{}", header.join(",")).map_err(io)?;
    let mut written = 0u64;
    for (r, row) in rows.iter().enumerate() {
        for c in 0..copies {
            let mut rng = stream(seed, Stream::Replica, r as u64, u64::from(c));
            let mut line = String::with_capacity(n * 8);
            for (i, v) in row.iter().enumerate() {
                let factor = if c == 0 {
                    1.0
                } else {
                    1.0 + jitter * (2.0 * uniform(&mut rng) - 1.0)
                };
                if i > 0 {
                    line.push(',');
                }
                line.push_str(&format!("{}", round6(v * factor)));
            }
            writeln!(w, "{line}").map_err(io)?;
            written += 1;
        }
    }
    w.flush().map_err(io)?;
    drop(w);
    file.commit()?;
    Ok(written)
}

/// Six decimals are plenty for a jittered reading.
fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::from_csv;

    #[test]
    fn copies_keep_shape_within_the_jitter_and_replay() {
        let dir = std::env::temp_dir().join(format!("sfumato-replicate-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let rows = vec![vec![1.0, 0.0, 4.0], vec![2.0, 3.0, 0.5]];
        let a = dir.join("a.csv");
        assert_eq!(replicate(&rows, 50, 0.05, 7, &a).unwrap(), 100);
        let d = from_csv(&a, (0.0, 100.0)).unwrap();
        assert_eq!(d.rows.len(), 100);
        assert_eq!(d.rows[0], rows[0]);
        assert_eq!(d.rows[50], rows[1]);
        for (i, r) in d.rows.iter().enumerate() {
            let orig = &rows[i / 50];
            for (v, o) in r.iter().zip(orig) {
                assert!((v - o).abs() <= 0.05 * o + 1e-6, "{v} from {o}");
            }
        }
        // Copies differ from each other; the same seed replays.
        assert_ne!(d.rows[1], d.rows[2]);
        let b = dir.join("b.csv");
        replicate(&rows, 50, 0.05, 7, &b).unwrap();
        assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
        assert!(replicate(&rows, 0, 0.05, 7, &b).is_err());
        assert!(replicate(&rows, 2, 1.5, 7, &b).is_err());
        assert!(replicate(&[vec![1.0], vec![]], 2, 0.1, 7, &b).is_err());
    }
}
