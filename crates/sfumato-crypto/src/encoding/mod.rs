//! Encoding of signed values into the plaintext space ℤ_M (M = nˢ) of
//! an additively homomorphic scheme such as Damgård–Jurik.
//!
//! Homomorphic schemes add residues modulo `M`; protocols add signed
//! integers, reals and vectors. This module bridges the two, without
//! depending on any key type — a [`PlaintextSpace`] is just the modulus:
//!
//! * [`PlaintextSpace::encode`] / [`PlaintextSpace::decode`]: signed
//!   integers in `(−M/2, M/2]` ↔ ℤ_M, *centered* (negatives map to the
//!   top half of ℤ_M), for `i64`, `i128` and [`rug::Integer`].
//! * [`FixedPoint`]: reals ↔ integers `round(x · 2^f)` (ties to even)
//!   ↔ ℤ_M, and exact decoding to a [`FixedValue`].
//! * [`PackingLayout`]: `k` values in `[−B, B]` in one plaintext, with a
//!   declared [`Headroom`] of additions and doublings (Chiaroscuro's
//!   encrypted epidemic sum scales by powers of two, Alg. 2), and
//!   [`capacity`] to size it.
//!
//! Nothing here is secret-dependent in its *timing* guarantees: GMP is
//! not constant-time. Encode values before encryption, on the device that
//! owns them; error messages never contain the values themselves.
//!
//! ```
//! use rug::Integer;
//! use sfumato_crypto::encoding::{FixedPoint, Headroom, PackingLayout, PlaintextSpace};
//!
//! // Any modulus ≥ 2^64 (a real one is nˢ of a Damgård–Jurik key).
//! let space = PlaintextSpace::new((Integer::from(1) << 1024u32) + 1u32)?;
//! let fp = FixedPoint::new(20)?;
//!
//! // Two participants' 3-dimensional values plus a count of 1 each.
//! let alice: Vec<Integer> = [1.5, -2.25, 0.0, 1.0].iter().map(|&x| fp.scale(x)).collect::<Result<_, _>>()?;
//! let bob: Vec<Integer> = [-0.5, 4.0, 3.125, 1.0].iter().map(|&x| fp.scale(x)).collect::<Result<_, _>>()?;
//!
//! // Values below 2^10 in magnitude, up to 1000 participants, 5 doublings.
//! let layout = PackingLayout::new(&space, 4, fp.scale(1024.0)?, Headroom::new(999, 5))?;
//! let sum = Integer::from(layout.pack(&alice)? + layout.pack(&bob)?) % space.modulus();
//! let doubled = Integer::from(&sum << 1u32) % space.modulus();
//!
//! let slots = layout.unpack(&doubled, 2, 1)?;
//! let reals: Vec<f64> = slots.iter().map(|n| fp.unscale(n)).collect::<Result<_, _>>()?;
//! assert_eq!(reals, [2.0, 3.5, 6.25, 4.0]);
//! # Ok::<(), sfumato_crypto::CryptoError>(())
//! ```

mod fixed;
mod integer;
mod packing;
mod space;

pub use fixed::{FixedPoint, FixedValue};
pub use packing::{Headroom, PackingLayout, capacity};
pub use space::PlaintextSpace;
