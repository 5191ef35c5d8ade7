//! Batch operations on all cores. Randomness is drawn from the caller's RNG
//! in order before the work is split, so results do not depend on the
//! number of threads.

use rand_core::CryptoRng;
use rug::Integer;

use super::cipher::Ciphertext;
use super::fast::ShortExponentEncryptor;
use super::keys::PrivateKey;
use super::math::random_bits;
use crate::error::Result;

/// Threads to use: `threads`, or one per core for 0.
pub(crate) fn thread_count(threads: usize) -> usize {
    if threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        threads
    }
}

/// Maps `f` over `items` on `threads` threads, keeping the order.
pub(crate) fn parallel_map<T: Sync, U: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> U + Sync,
) -> Vec<U> {
    let threads = thread_count(threads).max(1);
    if threads == 1 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| scope.spawn(|| part.iter().map(&f).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

impl PrivateKey {
    /// Decrypts `cs` on `threads` threads (0: all cores).
    pub fn decrypt_batch(&self, cs: &[Ciphertext], threads: usize) -> Result<Vec<Integer>> {
        parallel_map(cs, threads, |c| self.decrypt(c))
            .into_iter()
            .collect()
    }
}

impl ShortExponentEncryptor {
    /// Encrypts `ms` on `threads` threads (0: all cores).
    pub fn encrypt_batch<R: CryptoRng + ?Sized>(
        &self,
        ms: &[Integer],
        rng: &mut R,
        threads: usize,
    ) -> Vec<Ciphertext> {
        let bits = self.exponent_bits();
        let jobs: Vec<(&Integer, Integer)> =
            ms.iter().map(|m| (m, random_bits(rng, bits))).collect();
        parallel_map(&jobs, threads, |(m, alpha)| {
            self.encrypt_with_exponent(m, alpha)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn batches_match_single_operations_whatever_the_threads() {
        let mut rng = ChaCha20Rng::seed_from_u64(31);
        let sk = PrivateKey::generate(&mut rng, 256, 1, 1, &|_| {}).unwrap();
        let enc = ShortExponentEncryptor::new(sk.public(), &mut rng);
        let ms: Vec<Integer> = (0..9).map(|i| Integer::from(i * 1000 - 3)).collect();
        let a = enc.encrypt_batch(&ms, &mut ChaCha20Rng::seed_from_u64(1), 1);
        let b = enc.encrypt_batch(&ms, &mut ChaCha20Rng::seed_from_u64(1), 3);
        assert_eq!(a, b);
        let ns = sk.public().plaintext_modulus();
        let want: Vec<Integer> = ms.iter().map(|m| m.clone().modulo(ns)).collect();
        assert_eq!(sk.decrypt_batch(&a, 0).unwrap(), want);
        assert_eq!(sk.decrypt_batch(&a, 1).unwrap(), want);
    }
}
