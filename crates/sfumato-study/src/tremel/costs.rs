//! The CPU cost of onion cryptography, measured on this machine, for the
//! simulator's cost model (Tremel §7.3 charged RSA operations measured
//! with OpenSSL; sfumato charges its own X25519 / ChaCha20-Poly1305 layers).

use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde::{Deserialize, Serialize};
use sfumato_crypto::symmetric::{AgreementKeyPair, HopInstruction, Peeled};
use sfumato_protocol::Time;
use sfumato_protocol::tremel::onions::work;
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
    /// The Byzantine variant's public-key operations, if measured.
    #[serde(default)]
    pub byzantine: Option<ByzantineCosts>,
}

/// Measured costs of the Byzantine variant's public-key operations
/// (Tremel §7.3 charged RSA operations measured with OpenSSL).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ByzantineCosts {
    /// An Ed25519 signature.
    pub sign: Time,
    /// An Ed25519 verification.
    pub verify: Time,
    /// A meter's blinding and unblinding of its tuple (RSA-2048, RFC 9474).
    pub blind: Time,
    /// The owner's blind signature.
    pub owner_sign: Time,
    /// A proxy's check of the owner's signature.
    pub tuple_verify: Time,
    /// An X25519 pairwise key.
    pub pair_key: Time,
}

impl OnionCosts {
    /// The simulator's cost model of these costs.
    pub fn cost_model(&self) -> CostModel {
        let m = CostModel::free()
            .with(WORK_SEAL_LAYER, self.seal_layer)
            .with(WORK_PEEL_LAYER, self.peel_layer);
        match &self.byzantine {
            Some(b) => m
                .with(work::SIGN, b.sign)
                .with(work::VERIFY, b.verify)
                .with(work::BLIND, b.blind)
                .with(work::OWNER_SIGN, b.owner_sign)
                .with(work::TUPLE_VERIFY, b.tuple_verify)
                .with(work::PAIR_KEY, b.pair_key),
            None => m,
        }
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
        byzantine: None,
    })
}

fn mean(rounds: u32, mut f: impl FnMut() -> Result<()>) -> Result<Time> {
    let t0 = Instant::now();
    for _ in 0..rounds {
        f()?;
    }
    Ok(Time::from_micros(
        (t0.elapsed().as_secs_f64() / f64::from(rounds.max(1)) * 1e6).round() as u64,
    ))
}

/// Times the Byzantine variant's operations, `rounds` times each, on a
/// 200-byte tuple.
pub fn measure_byzantine(rounds: u32) -> Result<ByzantineCosts> {
    use sfumato_crypto::blind::{BlindRequest, OwnerSigningKey};
    use sfumato_crypto::symmetric::{SigningKey, pairwise_key};
    let bad = |e: sfumato_crypto::CryptoError| StudyError::usage(e.to_string());
    let rounds = rounds.max(1);
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let tuple = vec![9u8; 200];
    let id = SigningKey::generate(&mut rng);
    let vk = id.verifying_key();
    let sig = id.sign(&tuple);
    let owner = OwnerSigningKey::generate(&mut rng, 2048).map_err(bad)?;
    let public = owner.public_key();
    let (request, blinding) = public.blind(&mut rng, &tuple).map_err(bad)?;
    let blinded = owner.sign(&mut rng, &request).map_err(bad)?;
    let signed = public.finalize(&blinded, &blinding, &tuple).map_err(bad)?;
    let a = AgreementKeyPair::generate(&mut rng);
    let b = AgreementKeyPair::generate(&mut rng).public_key();
    Ok(ByzantineCosts {
        sign: mean(rounds, || {
            id.sign(&tuple);
            Ok(())
        })?,
        verify: mean(rounds, || vk.verify(&tuple, &sig).map_err(bad))?,
        blind: mean(rounds, || {
            let (r, bl) = public.blind(&mut rng, &tuple).map_err(bad)?;
            let _: &BlindRequest = &r;
            public.finalize(&blinded, &bl, &tuple).ok();
            Ok(())
        })?,
        owner_sign: mean(rounds, || {
            owner.sign(&mut rng, &request).map(|_| ()).map_err(bad)
        })?,
        tuple_verify: mean(rounds, || public.verify(&signed, &tuple).map_err(bad))?,
        pair_key: mean(rounds, || {
            pairwise_key(&a, &b, b"bench").map(|_| ()).map_err(bad)
        })?,
    })
}
