//! Exactly uniform integers from a stream of random words.

use rand_core::CryptoRng;

/// Uniform integer in `[0, n)`; `n` must be at least 1 (`n = 0` returns 0).
///
/// Lemire's nearly divisionless method (ACM TOMACS 2019): exact, one 64-bit
/// word per draw except with probability below `n / 2⁶⁴`.
pub fn uniform_below<R: CryptoRng + ?Sized>(rng: &mut R, n: u64) -> u64 {
    if n <= 1 {
        return 0;
    }
    let mut m = u128::from(rng.next_u64()) * u128::from(n);
    if (m as u64) < n {
        let threshold = n.wrapping_neg() % n;
        while (m as u64) < threshold {
            m = u128::from(rng.next_u64()) * u128::from(n);
        }
    }
    (m >> 64) as u64
}

/// Uniform integer in `[0, n)` for 128-bit `n` (`n = 0` returns 0), by masked
/// rejection: fewer than two 128-bit draws on average.
pub fn uniform_below_u128<R: CryptoRng + ?Sized>(rng: &mut R, n: u128) -> u128 {
    if n <= 1 {
        return 0;
    }
    if let Ok(small) = u64::try_from(n) {
        return u128::from(uniform_below(rng, small));
    }
    let mask = u128::MAX >> (n - 1).leading_zeros();
    loop {
        let x = ((u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64())) & mask;
        if x < n {
            return x;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn stays_in_range_and_hits_every_value() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let x = uniform_below(&mut rng, 7);
            seen[x as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800 && c < 1200), "{seen:?}");
        assert_eq!(uniform_below(&mut rng, 1), 0);
        assert_eq!(uniform_below(&mut rng, 0), 0);
        let big = (1u128 << 100) + 3;
        for _ in 0..1000 {
            assert!(uniform_below_u128(&mut rng, big) < big);
        }
    }
}
