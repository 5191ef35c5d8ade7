//! Suitable overlay sizes: primes `n` for which 2 is a primitive root
//! (Tremel §4.1, §7.2).
//!
//! 2 is a primitive root of a prime `p > 2` iff `2^((p−1)/q) ≢ 1 (mod p)`
//! for every prime `q` dividing `p − 1`. A sieve of smallest prime factors
//! up to the bound gives both the primes and the factorisations of `p − 1`;
//! primes `p ≡ ±1 (mod 8)` are skipped at once (2 is a square modulo them,
//! so it cannot generate the whole group).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{OverlayError, Result};

/// Largest bound [`suitable_sizes`] accepts (the sieve holds 4 bytes per
/// integer: 400 MB at this bound).
pub const MAX_SIEVE: u64 = 100_000_000;

/// `b^e mod m` (any `m ≥ 1` below 2⁶⁴).
pub(crate) fn pow_mod(mut b: u64, mut e: u64, m: u64) -> u64 {
    let mut r = 1u64 % m;
    b %= m;
    while e > 0 {
        if e & 1 == 1 {
            r = (u128::from(r) * u128::from(b) % u128::from(m)) as u64;
        }
        b = (u128::from(b) * u128::from(b) % u128::from(m)) as u64;
        e >>= 1;
    }
    r
}

/// Whether 2 generates `ℤ*_p` given the distinct prime factors of `p − 1`.
fn two_is_primitive_root(p: u64, factors: impl Iterator<Item = u64>) -> bool {
    let m = p - 1;
    for q in factors {
        if pow_mod(2, m / q, p) == 1 {
            return false;
        }
    }
    true
}

/// Whether `n` is a suitable size: a prime with 2 as a primitive root. Any
/// `n` below 2⁴⁰ (trial division).
pub fn is_suitable(n: u64) -> bool {
    if n < 3 || n.is_multiple_of(2) || n >= 1 << 40 {
        return false;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    // Distinct prime factors of n − 1 by trial division.
    let mut m = n - 1;
    let mut factors = Vec::new();
    let mut q = 2;
    while q * q <= m {
        if m.is_multiple_of(q) {
            factors.push(q);
            while m.is_multiple_of(q) {
                m /= q;
            }
        }
        q += if q == 2 { 1 } else { 2 };
    }
    if m > 1 {
        factors.push(m);
    }
    two_is_primitive_root(n, factors.into_iter())
}

/// All suitable sizes `≤ max`, in increasing order (`max ≤ 10⁸`).
pub fn suitable_sizes(max: u64) -> Result<Vec<u64>> {
    if max > MAX_SIEVE {
        return Err(OverlayError::invalid(
            "max",
            format!("at most {MAX_SIEVE} (got {max})"),
        ));
    }
    let len = max as usize + 1;
    // Smallest prime factor of every integer up to max (0: not yet marked).
    let mut spf = vec![0u32; len];
    let mut out = Vec::new();
    for i in 2..len {
        if spf[i] == 0 {
            spf[i] = i as u32;
            let mut j = i.saturating_mul(i);
            while j < len {
                if spf[j] == 0 {
                    spf[j] = i as u32;
                }
                j += i;
            }
            let p = i as u64;
            if p > 2 && (p % 8 == 3 || p % 8 == 5) {
                // Distinct prime factors of p − 1 from the sieve.
                let mut m = (p - 1) as usize;
                let mut factors = [0u64; 16];
                let mut k = 0;
                while m > 1 {
                    let q = spf[m] as usize;
                    factors[k] = q as u64;
                    k += 1;
                    while m.is_multiple_of(q) {
                        m /= q;
                    }
                }
                if two_is_primitive_root(p, factors[..k].iter().copied()) {
                    out.push(p);
                }
            }
        }
    }
    Ok(out)
}

/// The histogram of gaps between consecutive suitable sizes `≤ max`
/// (Tremel Fig. 4): gap → count.
pub fn gap_histogram(max: u64) -> Result<BTreeMap<u64, u64>> {
    let sizes = suitable_sizes(max)?;
    let mut h = BTreeMap::new();
    for w in sizes.windows(2) {
        *h.entry(w[1] - w[0]).or_insert(0) += 1;
    }
    Ok(h)
}

/// How a population of a given size is placed on the overlay (Tremel
/// §7.2): the size is rounded **up** to the next suitable size; the spare
/// identifiers either go to live nodes as second identifiers, or are
/// treated as failed nodes — the latter only while they are fewer than the
/// failure tolerance `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SizePlan {
    /// The population.
    pub population: u64,
    /// The overlay size: the smallest suitable size ≥ the population.
    pub size: u64,
    /// Identifiers without a node of their own.
    pub spare: u64,
}

impl SizePlan {
    /// The plan for `population` nodes (at least 3, below 2⁴⁰).
    pub fn for_population(population: u64) -> Result<SizePlan> {
        if !(3..1 << 40).contains(&population) {
            return Err(OverlayError::invalid(
                "population",
                format!("3 to 2^40 nodes (got {population})"),
            ));
        }
        let mut n = population;
        while !is_suitable(n) {
            n += 1;
        }
        Ok(SizePlan {
            population,
            size: n,
            spare: n - population,
        })
    }

    /// Whether the spare identifiers can be treated as failed nodes under a
    /// failure tolerance of `t` (they must be fewer than `t`); otherwise
    /// they must be doubly assigned.
    pub fn spares_as_failures(&self, t: u64) -> bool {
        self.spare < t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_suitable_sizes() {
        // Primes below 100 with 2 as a primitive root.
        let want = [3, 5, 11, 13, 19, 29, 37, 53, 59, 61, 67, 83];
        assert_eq!(suitable_sizes(100).unwrap(), want);
        for n in 0..2_000 {
            assert_eq!(
                is_suitable(n),
                suitable_sizes(2_000).unwrap().contains(&n),
                "{n}"
            );
        }
    }

    #[test]
    fn the_paper_counts_475_333_up_to_twenty_million() {
        let sizes = suitable_sizes(20_000_000).unwrap();
        assert_eq!(sizes.len(), 475_333);
        assert!(sizes.iter().rev().take(50).all(|&n| is_suitable(n)));
        let h = gap_histogram(1_000_000).unwrap();
        assert_eq!(
            h.values().sum::<u64>() as usize,
            suitable_sizes(1_000_000).unwrap().len() - 1
        );
    }

    #[test]
    fn populations_round_up() {
        let plan = SizePlan::for_population(1_000).unwrap();
        assert!(plan.size >= 1_000 && is_suitable(plan.size));
        assert!((1_000..plan.size).all(|n| !is_suitable(n)));
        assert_eq!(plan.spare, plan.size - 1_000);
        assert!(SizePlan::for_population(2).is_err());
    }
}
