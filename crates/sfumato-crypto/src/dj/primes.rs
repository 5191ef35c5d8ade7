//! Safe primes `p = 2p′ + 1` (Damgård–Jurik §4 needs them for the
//! threshold variant), sieved and searched in parallel.
//!
//! The search is deterministic for the caller's RNG whatever the number of
//! threads: the RNG draws one 32-byte seed; window `w` of candidates starts
//! at a random odd number drawn from stream `w` of ChaCha20 under that seed;
//! threads test windows in parallel and the safe prime of the
//! lowest-numbered window that has one wins (the first in it). In each
//! window, candidates `x + 2j` are sieved by the small primes for both
//! `p′` and `2p′ + 1`, then `p′` gets one Miller–Rabin round, `p` a base-2
//! Fermat test, and survivors 25 Miller–Rabin rounds each (GMP).

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, SeedableRng};
use rug::integer::IsPrime;
use rug::{Complete, Integer};

use super::math::random_bits;
use crate::error::{CryptoError, Result};

/// Candidates `x + 2j` per window.
const WINDOW: usize = 1 << 14;
/// Small primes used by the sieve.
const SIEVE_LIMIT: u32 = 1 << 16;

fn small_primes() -> Vec<u32> {
    let limit = SIEVE_LIMIT as usize;
    let mut composite = vec![false; limit];
    let mut primes = Vec::new();
    for i in 3..limit {
        if !composite[i] {
            if i % 2 == 1 {
                primes.push(i as u32);
            }
            let mut j = i * i;
            while j < limit {
                composite[j] = true;
                j += i;
            }
        }
    }
    primes
}

/// Searches window `w`: the first safe prime `p = 2p′ + 1` of `bits` bits
/// among `p′ = x + 2j`.
fn search_window(seed: &[u8; 32], w: u64, bits: u32, primes: &[u32]) -> Option<Integer> {
    let mut rng = ChaCha20Rng::from_seed(*seed);
    rng.set_stream(w);
    // p′ has bits − 1 bits, top two bits set so p = 2p′ + 1 has exactly
    // `bits` bits and p·q of two such has exactly 2·bits; p′ odd.
    let mut x = random_bits(&mut rng, bits - 1);
    x.set_bit(bits - 2, true);
    x.set_bit(bits - 3, true);
    x.set_bit(0, true);
    let mut dead = vec![false; WINDOW];
    for &r in primes {
        let rem = x.mod_u(r);
        // p′ = x + 2j ≡ 0 (mod r)  ⇔  2j ≡ −x;  p = 2p′ + 1 ≡ 0  ⇔  p′ ≡ (r − 1)/2.
        let inv2 = r.div_ceil(2); // (r + 1)/2 = 2⁻¹ mod r, r odd
        for target in [0, (r - 1) / 2] {
            let diff = (u64::from(target) + u64::from(r) - u64::from(rem)) % u64::from(r);
            let mut j = (diff * u64::from(inv2) % u64::from(r)) as usize;
            while j < WINDOW {
                dead[j] = true;
                j += r as usize;
            }
        }
    }
    let two = Integer::from(2);
    for (j, _) in dead.iter().enumerate().filter(|(_, d)| !**d) {
        let q = Integer::from(&x + (2 * j) as u64);
        if q.significant_bits() != bits - 1 {
            break;
        }
        if q.is_probably_prime(1) == IsPrime::No {
            continue;
        }
        let p = Integer::from(&q << 1u32) + 1u32;
        let p_minus_1 = (&p - 1u32).complete();
        if two.clone().pow_mod(&p_minus_1, &p).map_or(true, |v| v != 1) {
            continue;
        }
        if q.is_probably_prime(25) != IsPrime::No && p.is_probably_prime(25) != IsPrime::No {
            return Some(p);
        }
    }
    None
}

/// A random safe prime of exactly `bits` bits (`bits ≥ 32`), searched on
/// `threads` threads (0: one per core); `progress` is told how many windows
/// of candidates have been searched.
pub fn safe_prime<R: CryptoRng + ?Sized>(
    rng: &mut R,
    bits: u32,
    threads: usize,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Integer> {
    if !(32..=8192).contains(&bits) {
        return Err(CryptoError::invalid(
            "bits",
            format!("safe primes of 32 to 8192 bits (got {bits})"),
        ));
    }
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let threads = super::batch::thread_count(threads);
    let primes = small_primes();
    let next = AtomicU64::new(0);
    let best = AtomicU64::new(u64::MAX);
    let done = AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::<(u64, Integer)>::new());
    thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let w = next.fetch_add(1, Ordering::Relaxed);
                    // Windows above a found one cannot win.
                    if w > best.load(Ordering::Acquire) {
                        break;
                    }
                    let found = search_window(&seed, w, bits, &primes);
                    progress(done.fetch_add(1, Ordering::Relaxed) as u64 + 1);
                    if let Some(p) = found {
                        best.fetch_min(w, Ordering::AcqRel);
                        if let Ok(mut r) = results.lock() {
                            r.push((w, p));
                        }
                    }
                }
            });
        }
    });
    seed.fill(0);
    let mut results = results.into_inner().unwrap_or_default();
    results.sort_by_key(|(w, _)| *w);
    results
        .into_iter()
        .next()
        .map(|(_, p)| p)
        .ok_or_else(|| CryptoError::invalid("bits", "no safe prime found"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_primes_are_safe_and_replay_whatever_the_threads() {
        for bits in [64, 256] {
            let p1 = safe_prime(&mut ChaCha20Rng::seed_from_u64(7), bits, 1, &|_| {}).unwrap();
            let p3 = safe_prime(&mut ChaCha20Rng::seed_from_u64(7), bits, 3, &|_| {}).unwrap();
            assert_eq!(p1, p3);
            assert_eq!(p1.significant_bits(), bits);
            let q = Integer::from(&p1 - 1u32) / 2u32;
            assert_ne!(p1.is_probably_prime(40), IsPrime::No);
            assert_ne!(q.is_probably_prime(40), IsPrime::No);
        }
        let other = safe_prime(&mut ChaCha20Rng::seed_from_u64(8), 64, 2, &|_| {}).unwrap();
        assert_ne!(
            other,
            safe_prime(&mut ChaCha20Rng::seed_from_u64(7), 64, 2, &|_| {}).unwrap()
        );
    }
}
