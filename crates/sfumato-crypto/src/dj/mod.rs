//! Damgård–Jurik encryption (generalised Paillier) and its threshold
//! variant: Chiaroscuro §3.3.1 and Alg. 1–3 sum participants' data under it.
//!
//! * [`keys`] — keys `(n, s)` with `g = n + 1`, generated from safe primes;
//! * [`cipher`] — encryption, homomorphic addition, negation,
//!   multiplication by a constant, re-randomisation, CRT decryption;
//! * [`fast`] — short-exponent fixed-base encryption (DJN 2010);
//! * [`threshold`] — the dealer's sharing of the secret among a committee,
//!   partial decryptions with proofs of correctness, combination.

pub mod batch;
pub mod cipher;
pub mod fast;
pub mod keys;
pub(crate) mod math;
pub mod primes;
pub mod reference;
pub mod threshold;

pub use cipher::{Ciphertext, Randomizer};
pub use fast::ShortExponentEncryptor;
pub use keys::{PrivateKey, PublicKey};
pub use math::decimal;
