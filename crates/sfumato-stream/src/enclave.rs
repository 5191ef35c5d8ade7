//! The enclave boundary of StreamMine3G §III.
//!
//! In the paper, operators run inside Intel SGX enclaves: their state and
//! every event they exchange leave the enclave only encrypted, the keys
//! never leave it, and the enclave page cache (EPC, 128 MB on the paper's
//! hardware) bounds what can stay resident — beyond it pages are evicted
//! encrypted to untrusted memory.
//!
//! [`Enclave`] is that boundary as a trait: it seals and opens byte strings
//! (ChaCha20-Poly1305) on numbered channels, holding the keys itself, and
//! states its EPC budget. A real TEE backend implements it with keys that
//! exist only inside the enclave. The one implementation here,
//! [`InsecureSoftwareEnclave`], is a **software stand-in**: it derives its
//! keys from the run's seed and keeps them in ordinary process memory, so
//! it protects nothing against the host; it exists to run and measure the
//! protocol, and every report of a run that used it says so
//! ([`Enclave::is_secure`] is false).

use sfumato_crypto::symmetric::{AEAD_NONCE_LEN, AeadKey};
use sha2::{Digest, Sha256};

use crate::error::{Result, StreamError};

/// The EPC of the paper's SGX hardware: 128 MB.
pub const EPC_BYTES: usize = 128 * 1024 * 1024;

/// What a sealed byte string is for; each has its own key, and within a
/// channel a sender never reuses a counter (the nonce is the channel's
/// sender and the counter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Events entering the system from the data source.
    Ingress,
    /// Events and values between operators (exchange edges).
    Exchange,
    /// Results leaving the system.
    Egress,
    /// Operator state evicted beyond the EPC or sent in a migration.
    State,
}

impl Channel {
    fn label(self) -> &'static [u8] {
        match self {
            Channel::Ingress => b"ingress",
            Channel::Exchange => b"exchange",
            Channel::Egress => b"egress",
            Channel::State => b"state",
        }
    }
}

/// A trusted execution environment's sealing interface.
pub trait Enclave: Send + Sync {
    /// The backend's name, for reports.
    fn name(&self) -> &str;
    /// Whether the keys are protected from the host. False for software
    /// stand-ins.
    fn is_secure(&self) -> bool;
    /// The memory an enclave may keep resident, bytes.
    fn epc_bytes(&self) -> usize;
    /// Seals `plaintext` on `channel` as `sender`'s `counter`-th message,
    /// authenticating `aad`. Never call twice with one (channel, sender,
    /// counter).
    fn seal(
        &self,
        channel: Channel,
        sender: u32,
        counter: u64,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>>;
    /// Opens what [`Enclave::seal`] produced with the same arguments.
    fn open(
        &self,
        channel: Channel,
        sender: u32,
        counter: u64,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>>;
}

/// **Insecure** software stand-in for an enclave: real ChaCha20-Poly1305,
/// so costs are real, but keys derived from a public seed and held in
/// ordinary memory. Never a production backend; reports say
/// `INSECURE SOFTWARE ENCLAVE`.
pub struct InsecureSoftwareEnclave {
    keys: [AeadKey; 4],
    epc_bytes: usize,
}

impl std::fmt::Debug for InsecureSoftwareEnclave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InsecureSoftwareEnclave")
            .field("epc_bytes", &self.epc_bytes)
            .finish_non_exhaustive()
    }
}

/// The name every report of a run with the stand-in carries.
pub const INSECURE_SOFTWARE_ENCLAVE: &str =
    "INSECURE SOFTWARE ENCLAVE (keys in ordinary memory, derived from the seed)";

impl InsecureSoftwareEnclave {
    /// Keys derived from `seed`; `epc_bytes` of resident state allowed.
    pub fn new(seed: u64, epc_bytes: usize) -> Self {
        let key = |channel: Channel| {
            let mut h = Sha256::new();
            h.update(b"sfumato/stream/insecure-software-enclave/v1/");
            h.update(channel.label());
            h.update(seed.to_le_bytes());
            let bytes: [u8; 32] = h.finalize().into();
            AeadKey::from_bytes(&bytes)
        };
        InsecureSoftwareEnclave {
            keys: [
                key(Channel::Ingress),
                key(Channel::Exchange),
                key(Channel::Egress),
                key(Channel::State),
            ],
            epc_bytes,
        }
    }

    fn key(&self, channel: Channel) -> &AeadKey {
        &self.keys[channel as usize]
    }
}

fn nonce(sender: u32, counter: u64) -> [u8; AEAD_NONCE_LEN] {
    let mut n = [0u8; AEAD_NONCE_LEN];
    n[..4].copy_from_slice(&sender.to_le_bytes());
    n[4..].copy_from_slice(&counter.to_le_bytes());
    n
}

impl Enclave for InsecureSoftwareEnclave {
    fn name(&self) -> &str {
        INSECURE_SOFTWARE_ENCLAVE
    }

    fn is_secure(&self) -> bool {
        false
    }

    fn epc_bytes(&self) -> usize {
        self.epc_bytes
    }

    fn seal(
        &self,
        channel: Channel,
        sender: u32,
        counter: u64,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>> {
        self.key(channel)
            .seal(&nonce(sender, counter), aad, plaintext)
            .map_err(|e| StreamError::Sealed(e.to_string()))
    }

    fn open(
        &self,
        channel: Channel,
        sender: u32,
        counter: u64,
        aad: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>> {
        self.key(channel)
            .open(&nonce(sender, counter), aad, sealed)
            .map_err(|e| StreamError::Sealed(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_open_only_with_the_same_channel_sender_counter_and_aad() {
        let e = InsecureSoftwareEnclave::new(7, EPC_BYTES);
        let s = e.seal(Channel::Exchange, 1, 5, b"aad", b"events").unwrap();
        assert_ne!(&s[..6], b"events");
        assert_eq!(
            e.open(Channel::Exchange, 1, 5, b"aad", &s).unwrap(),
            b"events"
        );
        assert!(e.open(Channel::State, 1, 5, b"aad", &s).is_err());
        assert!(e.open(Channel::Exchange, 2, 5, b"aad", &s).is_err());
        assert!(e.open(Channel::Exchange, 1, 6, b"aad", &s).is_err());
        assert!(e.open(Channel::Exchange, 1, 5, b"other", &s).is_err());
        let mut bad = s.clone();
        bad[0] ^= 1;
        assert!(e.open(Channel::Exchange, 1, 5, b"aad", &bad).is_err());
        let other = InsecureSoftwareEnclave::new(8, EPC_BYTES);
        assert!(other.open(Channel::Exchange, 1, 5, b"aad", &s).is_err());
        assert!(!e.is_secure());
        assert!(e.name().starts_with("INSECURE"));
        assert!(!format!("{e:?}").contains("key"));
    }
}
