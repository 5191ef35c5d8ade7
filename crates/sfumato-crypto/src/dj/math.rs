//! Integer helpers: random integers from the caller's CSPRNG, the
//! Damgård–Jurik discrete-logarithm extraction, and decimal-string serde.

use rand_core::CryptoRng;
use rug::integer::Order;
use rug::{Complete, Integer};

/// A uniformly random integer of at most `bits` bits.
pub(crate) fn random_bits<R: CryptoRng + ?Sized>(rng: &mut R, bits: u32) -> Integer {
    let bytes = bits.div_ceil(8) as usize;
    let mut buf = vec![0u8; bytes];
    rng.fill_bytes(&mut buf);
    let excess = (bytes as u32) * 8 - bits;
    if let Some(top) = buf.last_mut() {
        *top &= 0xffu8 >> excess;
    }
    let x = Integer::from_digits(&buf, Order::Lsf);
    buf.fill(0);
    x
}

/// A uniformly random integer in `[0, bound)` (rejection sampling);
/// `bound` must be positive.
pub(crate) fn random_below<R: CryptoRng + ?Sized>(rng: &mut R, bound: &Integer) -> Integer {
    let bits = bound.significant_bits();
    loop {
        let x = random_bits(rng, bits);
        if &x < bound {
            return x;
        }
    }
}

/// A uniformly random unit of ℤ_m (`gcd(x, m) = 1`, `x ≠ 0`).
pub(crate) fn random_unit<R: CryptoRng + ?Sized>(rng: &mut R, m: &Integer) -> Integer {
    loop {
        let x = random_below(rng, m);
        if x != 0 && x.gcd_ref(m).complete() == 1 {
            return x;
        }
    }
}

/// Damgård–Jurik's extraction (DJ 2001, Theorem 1): given
/// `a = (1 + N)^i mod N^(s+1)`, returns `i mod N^s`. `powers[k] = N^k`
/// for `k = 0..=s+1`.
pub(crate) fn dj_extract(a: &Integer, powers: &[Integer], s: u32) -> Integer {
    let n = &powers[1];
    let mut i = Integer::new();
    for j in 1..=s as usize {
        let nj = &powers[j];
        // t1 = L(a mod N^(j+1)) = (a mod N^(j+1) − 1) / N
        let mut t1 = a.modulo_ref(&powers[j + 1]).complete();
        t1 -= 1;
        t1 /= n;
        let mut t2 = i.clone();
        let mut k_fact = Integer::from(1);
        for k in 2..=j {
            i -= 1;
            t2 *= &i;
            t2 = t2.modulo(nj);
            k_fact *= k as u32;
            // t1 −= t2 · N^(k−1) / k!  (mod N^j)
            let inv = k_fact.clone().invert(nj).unwrap_or_default();
            let mut term = t2.clone() * &powers[k - 1];
            term *= inv;
            t1 -= term;
            t1 = t1.modulo(nj);
        }
        i = t1;
    }
    i
}

/// `(1 + N)^m mod N^(s+1)` by the binomial expansion
/// `Σ_{k=0..s} C(m, k) N^k` (cheap: `s` terms instead of an
/// exponentiation). `powers[k] = N^k`.
pub(crate) fn one_plus_n_pow(m: &Integer, powers: &[Integer], s: u32) -> Integer {
    let modulus = &powers[s as usize + 1];
    let mut acc = Integer::from(1);
    let mut binom = Integer::from(1);
    for (k, n_k) in powers.iter().enumerate().take(s as usize + 1).skip(1) {
        // C(m, k) = C(m, k−1) · (m − k + 1) / k, exact over ℤ.
        binom *= Integer::from(m - (k as u32 - 1));
        binom /= k as u32;
        acc += (&binom * n_k).complete();
    }
    acc.modulo(modulus)
}

/// Serde for big integers as decimal strings (the interchange format).
pub mod decimal {
    use rug::Integer;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes `x` in decimal.
    pub fn serialize<S: Serializer>(x: &Integer, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(x)
    }

    /// Reads a decimal string (digits only, an optional leading `-`).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Integer, D::Error> {
        let text = String::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }

    /// Parses a decimal integer, refusing anything else (no radix prefixes,
    /// no whitespace, at most 100,000 digits).
    pub fn parse(text: &str) -> Result<Integer, String> {
        let digits = text.strip_prefix('-').unwrap_or(text);
        if digits.is_empty()
            || digits.len() > 100_000
            || !digits.bytes().all(|b| b.is_ascii_digit())
        {
            let shown: String = text.chars().take(40).collect();
            return Err(format!("`{shown}` is not a decimal integer"));
        }
        Integer::from_str_radix(text, 10).map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;
    use rug::ops::Pow;

    fn powers(n: &Integer, s: u32) -> Vec<Integer> {
        (0..=s + 1).map(|k| n.clone().pow(k)).collect()
    }

    #[test]
    fn extraction_inverts_the_binomial_power() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for s in 1..=4 {
            let n = Integer::from(1_000_003u64) * Integer::from(999_983u64);
            let p = powers(&n, s);
            for _ in 0..50 {
                let m = random_below(&mut rng, &p[s as usize]);
                let a = one_plus_n_pow(&m, &p, s);
                let direct = Integer::from(&n + 1u32)
                    .pow_mod(&m, &p[s as usize + 1])
                    .unwrap();
                assert_eq!(a, direct, "s = {s}");
                assert_eq!(dj_extract(&a, &p, s), m, "s = {s}");
            }
        }
    }

    #[test]
    fn decimal_parsing_is_strict() {
        assert_eq!(decimal::parse("-123").unwrap(), -123);
        for bad in ["", "-", "0x10", " 1", "1e5", "１"] {
            assert!(decimal::parse(bad).is_err(), "{bad}");
        }
    }
}
