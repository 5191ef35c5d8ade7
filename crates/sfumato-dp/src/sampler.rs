//! The common shape of every sampler in this crate.

use rand_core::CryptoRng;

/// A distribution that can be sampled with a caller-supplied cryptographic RNG.
///
/// Samplers never read a clock or OS randomness: the same RNG state gives the
/// same sample, bit for bit, on every platform.
pub trait NoiseSampler {
    /// The type of one sample.
    type Output;

    /// Draws one sample.
    fn sample<R: CryptoRng + ?Sized>(&self, rng: &mut R) -> Self::Output;

    /// Draws `count` samples.
    fn sample_n<R: CryptoRng + ?Sized>(&self, rng: &mut R, count: usize) -> Vec<Self::Output> {
        (0..count).map(|_| self.sample(rng)).collect()
    }
}
