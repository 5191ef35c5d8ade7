//! Helpers shared by the encoding tests.

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rug::Integer;
use rug::integer::Order;

/// A random `bits`-bit odd integer from a fixed seed: a stand-in for nˢ.
pub(crate) fn random_odd_modulus(bits: u32, seed: u64) -> Integer {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut bytes = vec![0u8; bits.div_ceil(8) as usize];
    rng.fill_bytes(&mut bytes);
    let mut m = Integer::from_digits(&bytes, Order::Lsf);
    m.keep_bits_mut(bits);
    m.set_bit(bits - 1, true);
    m.set_bit(0, true);
    m
}
