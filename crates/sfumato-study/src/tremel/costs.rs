//! The CPU cost of onion cryptography, measured on this machine, for the
//! simulator's cost model (Tremel §7.3 charged RSA operations measured
//! with OpenSSL; sfumato charges its own X25519 / ChaCha20-Poly1305 layers).

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::symmetric::{AgreementKeyPair, HopInstruction, Peeled};
use sfumato_protocol::Time;
use sfumato_protocol::tremel::{Formats, WORK_PEEL_LAYER, WORK_SEAL_LAYER};
use sfumato_sim::CostModel;

use crate::error::{Result, StudyError};

/// Measured costs of one layer.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnionCosts {
    /// Sealing one layer of an onion of the deployment's format.
    pub seal_layer: Time,
    /// Peeling one layer.
    pub peel_layer: Time,
    /// Layers in the onion that was timed.
    pub layers: u32,
    /// Packet bytes.
    pub packet_bytes: usize,
}

impl OnionCosts {
    /// The simulator's cost model of these costs.
    pub fn cost_model(&self) -> CostModel {
        CostModel::free()
            .with(WORK_SEAL_LAYER, self.seal_layer)
            .with(WORK_PEEL_LAYER, self.peel_layer)
    }
}

/// Times `rounds` onions of `formats.onion` with as many layers as the
/// format holds (at most 16), sealed and peeled end to end.
pub fn measure(formats: &Formats, rounds: u32) -> Result<OnionCosts> {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let layers = formats.onion.max_layers.clamp(1, 16);
    let keys: Vec<AgreementKeyPair> = (0..layers)
        .map(|_| AgreementKeyPair::generate(&mut rng))
        .collect();
    let route: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let hop = if i + 1 == keys.len() {
                HopInstruction::Deliver
            } else {
                HopInstruction::Forward { wait: 1, next: 0 }
            };
            (k.public_key(), hop)
        })
        .collect();
    let payload = vec![7u8; formats.onion.payload_capacity as usize];
    let bad = |e: sfumato_crypto::CryptoError| StudyError::usage(e.to_string());
    let (mut seal, mut peel) = (0f64, 0f64);
    let rounds = rounds.max(1);
    for _ in 0..rounds {
        let t0 = Instant::now();
        let mut packet = formats
            .onion
            .seal(&mut rng, &route, &payload)
            .map_err(bad)?;
        seal += t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        for k in &keys {
            match formats.onion.peel(k, &packet).map_err(bad)? {
                Peeled::Forward { packet: p, .. } => packet = p,
                Peeled::Deliver(_) => {}
            }
        }
        peel += t1.elapsed().as_secs_f64();
    }
    let per = |total: f64| {
        Time::from_micros((total / f64::from(rounds) / f64::from(layers) * 1e6).round() as u64)
    };
    Ok(OnionCosts {
        seal_layer: per(seal),
        peel_layer: per(peel),
        layers,
        packet_bytes: formats.onion.packet_len(),
    })
}
