//! Cryptography for sfumato: threshold Damgård–Jurik encryption (Chiaroscuro
//! §3.3.1, Alg. 1–3) and the symmetric building blocks of DREAM (§4.2, §5)
//! and Tremel (§4.2, §6.6), and RSA blind signatures (RFC 9474) for
//! Tremel's Setup phase (§5.2, [`blind`]).
//!
//! The project writes protocols, not primitives: big integers are GMP
//! through `rug`; symmetric primitives come from RustCrypto and dalek;
//! blind RSA from `blind-rsa-signatures`.
//! Every randomized function takes a caller-supplied CSPRNG; secrets zeroize
//! on drop and never print through `Debug`.

pub mod blind;
pub mod dj;
pub mod encoding;
pub mod error;
pub mod symmetric;

pub use error::{CryptoError, Result};
