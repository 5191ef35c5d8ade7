//! Onion packets for tunneled messages (Tremel §4.2): one layer per node
//! of a path, each readable only by that node, every packet of one size so
//! that a layer does not tell a relay where on the path it is.
//!
//! # Construction
//!
//! A packet of a [`OnionFormat`] is exactly [`OnionFormat::packet_len`]
//! bytes. Layer `i` of a path of `m` nodes, for the node with X25519 public
//! key `P_i`, is
//!
//! ```text
//! E_i ‖ AEAD(k_h, nonce 0, aad = E_i, header_i) ‖ ChaCha20(k_s, n_s, L_{i+1})
//! ```
//!
//! where `E_i` is a fresh ephemeral public key, `(k_h, k_s, n_s, k_p)` come
//! from `HKDF-SHA256(IKM = X25519(e_i, P_i), info = LABEL ‖ E_i ‖ P_i)`
//! (an HPKE-style base-mode key schedule), `header_i` is the
//! [`HopInstruction`] in [`HEADER_LEN`] bytes, and `L_{m+1}` is the
//! payload. The sender pads `L_1` with random bytes to the packet length.
//!
//! A node peels its layer by deriving the same keys from `E_i` and its
//! static secret, opening the header (which fails for any other node, or
//! if the header was altered) and decrypting the rest with the stream
//! cipher, which preserves length: the next layer is the front of the
//! result, followed by what is now junk. A relay appends
//! [`LAYER_OVERHEAD`] bytes of pseudo-random padding (from its `k_p`) to
//! bring the packet back to full length. Every relay therefore receives
//! and sends packets of one length whose tail it cannot tell from
//! ciphertext, wherever it sits on the path; this is the role Sphinx's
//! padding plays, without Sphinx's per-hop payload MACs.
//!
//! The last layer's header says *deliver* and carries the payload's length
//! and a 128-bit SHA-256 digest of it, so the receiver detects a payload
//! altered on the way. Relays cannot: the body of a layer is only stream-
//! encrypted, so a relay that flips bits is caught at the receiver, not
//! at the next hop. Tremel's crash-tolerant protocol (§4.3) trusts its
//! relays not to do that; the Byzantine protocol (§5.2) signs tuples.
//!
//! A one-layer packet ([`OnionFormat::sealed_box`]) is the encrypted
//! copy of an *encrypted multicast* (§4.2): readable by its receiver, with
//! the forwarding instructions left in the clear by the caller.

use chacha20::ChaCha20;
use chacha20::cipher::{KeyIvInit, StreamCipher};
use hkdf::Hkdf;
use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::aead::AeadKey;
use super::keys::{AgreementKeyPair, AgreementPublicKey, KEY_LEN};
use crate::error::{CryptoError, Result};

/// Bytes of a hop instruction's plaintext.
pub const HEADER_LEN: usize = 32;

/// What one layer adds to a packet: the ephemeral key, the sealed header
/// and its tag.
pub const LAYER_OVERHEAD: usize = KEY_LEN + HEADER_LEN + 16;

/// Domain label of the key schedule; bumping it changes every key.
const LABEL: &[u8] = b"sfumato/tremel-onion/x25519-hkdf-sha256-chacha20poly1305/v1";

/// Bytes of the payload digest in a deliver header.
const DIGEST_LEN: usize = 16;

/// What the node that peels a layer does with the rest (Tremel §4.2: "an
/// instruction for the node that can decrypt that layer indicating how many
/// rounds it should wait before forwarding").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HopInstruction {
    /// Hold the inner packet for `wait` rounds, then send it to `next`
    /// (the node's gossip partner in that round).
    Forward {
        /// Rounds to hold the packet after the round it arrived in.
        wait: u16,
        /// The next node, for the relay to check against the overlay.
        next: u32,
    },
    /// This node is the receiver: the payload follows.
    Deliver,
}

/// The shape of every packet of one kind: how many layers fit and how large
/// a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnionFormat {
    /// Most layers (nodes on a path, the receiver included).
    pub max_layers: u32,
    /// Most payload bytes.
    pub payload_capacity: u32,
}

/// A peeled layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Peeled {
    /// Forward `packet` (full length again) after `wait` rounds to `next`.
    Forward {
        /// Rounds to hold it.
        wait: u16,
        /// The next node.
        next: u32,
        /// The packet for the next node.
        packet: Vec<u8>,
    },
    /// The payload, for this node.
    Deliver(Vec<u8>),
}

/// The keys of one layer.
struct LayerKeys {
    header: AeadKey,
    stream: Zeroizing<[u8; 32]>,
    stream_nonce: [u8; 12],
    padding: Zeroizing<[u8; 32]>,
}

impl LayerKeys {
    fn derive(
        shared: &[u8; KEY_LEN],
        ephemeral: &AgreementPublicKey,
        node: &AgreementPublicKey,
    ) -> Result<LayerKeys> {
        let hkdf = Hkdf::<Sha256>::new(None, shared);
        let mut okm = Zeroizing::new([0u8; 32 + 32 + 12 + 32]);
        hkdf.expand_multi_info(
            &[LABEL, ephemeral.as_bytes(), node.as_bytes()],
            okm.as_mut(),
        )
        .map_err(|_| CryptoError::invalid("onion", "HKDF refused the output length"))?;
        let mut header = [0u8; 32];
        header.copy_from_slice(&okm[..32]);
        let mut stream = Zeroizing::new([0u8; 32]);
        stream.copy_from_slice(&okm[32..64]);
        let mut stream_nonce = [0u8; 12];
        stream_nonce.copy_from_slice(&okm[64..76]);
        let mut padding = Zeroizing::new([0u8; 32]);
        padding.copy_from_slice(&okm[76..108]);
        let keys = LayerKeys {
            header: AeadKey::from_bytes(&header),
            stream,
            stream_nonce,
            padding,
        };
        zeroize::Zeroize::zeroize(&mut header);
        Ok(keys)
    }

    fn apply_stream(&self, buf: &mut [u8]) {
        ChaCha20::new(&(*self.stream).into(), &self.stream_nonce.into()).apply_keystream(buf);
    }

    fn padding(&self, len: usize) -> Vec<u8> {
        let mut pad = vec![0u8; len];
        ChaCha20::new(&(*self.padding).into(), &[0u8; 12].into()).apply_keystream(&mut pad);
        pad
    }
}

fn encode_header(hop: &HopInstruction, payload: &[u8]) -> Zeroizing<[u8; HEADER_LEN]> {
    let mut h = Zeroizing::new([0u8; HEADER_LEN]);
    match *hop {
        HopInstruction::Forward { wait, next } => {
            h[0] = 1;
            h[1..3].copy_from_slice(&wait.to_le_bytes());
            h[3..7].copy_from_slice(&next.to_le_bytes());
        }
        HopInstruction::Deliver => {
            h[0] = 2;
            h[7..11].copy_from_slice(&(payload.len() as u32).to_le_bytes());
            h[11..11 + DIGEST_LEN].copy_from_slice(&Sha256::digest(payload)[..DIGEST_LEN]);
        }
    }
    h
}

impl OnionFormat {
    /// A format of `max_layers` layers and `payload_capacity` bytes.
    pub fn new(max_layers: u32, payload_capacity: u32) -> Result<OnionFormat> {
        if max_layers == 0 {
            return Err(CryptoError::invalid("max_layers", "an onion has a layer"));
        }
        let f = OnionFormat {
            max_layers,
            payload_capacity,
        };
        // Packets are held in memory and their length in a u32.
        if (max_layers as u64) * (LAYER_OVERHEAD as u64) + u64::from(payload_capacity)
            > u64::from(u32::MAX / 2)
        {
            return Err(CryptoError::invalid("onion", "packets would exceed 2 GiB"));
        }
        Ok(f)
    }

    /// A one-layer format: the encrypted copy of an encrypted multicast.
    pub fn sealed_box(payload_capacity: u32) -> Result<OnionFormat> {
        OnionFormat::new(1, payload_capacity)
    }

    /// The length of every packet of this format.
    pub fn packet_len(&self) -> usize {
        self.max_layers as usize * LAYER_OVERHEAD + self.payload_capacity as usize
    }

    /// Seals `payload` for a path whose nodes (relays, then the receiver)
    /// have public keys `route[i].0` and instructions `route[i].1`. The
    /// last instruction must be [`HopInstruction::Deliver`] and no other.
    ///
    /// Costs two X25519 multiplications per layer (the ephemeral key and
    /// the agreement).
    pub fn seal<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        route: &[(AgreementPublicKey, HopInstruction)],
        payload: &[u8],
    ) -> Result<Vec<u8>> {
        let layers = route.len();
        if layers == 0 || layers > self.max_layers as usize {
            return Err(CryptoError::invalid(
                "route",
                format!(
                    "{layers} layers; this format holds 1 to {}",
                    self.max_layers
                ),
            ));
        }
        if payload.len() > self.payload_capacity as usize {
            return Err(CryptoError::Overflow(format!(
                "a payload of {} bytes does not fit in {}",
                payload.len(),
                self.payload_capacity
            )));
        }
        for (i, (_, hop)) in route.iter().enumerate() {
            let last = i + 1 == layers;
            if last != matches!(hop, HopInstruction::Deliver) {
                return Err(CryptoError::invalid(
                    "route",
                    "the last layer, and only it, delivers",
                ));
            }
        }
        let mut inner = payload.to_vec();
        for (node, hop) in route.iter().rev() {
            let ephemeral = AgreementKeyPair::generate(rng);
            let e = ephemeral.public_key();
            let shared = ephemeral.diffie_hellman(node)?;
            let keys = LayerKeys::derive(shared.as_bytes(), &e, node)?;
            let header = encode_header(hop, payload);
            let sealed = keys
                .header
                .seal(&[0u8; 12], e.as_bytes(), header.as_ref())?;
            keys.apply_stream(&mut inner);
            let mut layer = Vec::with_capacity(LAYER_OVERHEAD + inner.len());
            layer.extend_from_slice(e.as_bytes());
            layer.extend_from_slice(&sealed);
            layer.extend_from_slice(&inner);
            inner = layer;
        }
        let start = inner.len();
        inner.resize(self.packet_len(), 0);
        rng.fill_bytes(&mut inner[start..]);
        Ok(inner)
    }

    /// Peels the outer layer of `packet` with this node's key pair.
    ///
    /// Errors: a packet of the wrong length, a layer not sealed for this
    /// node (or altered: the header does not authenticate), a payload that
    /// does not match its digest, or a malformed header.
    pub fn peel(&self, node: &AgreementKeyPair, packet: &[u8]) -> Result<Peeled> {
        if packet.len() != self.packet_len() {
            return Err(CryptoError::input(
                "onion packet",
                format!(
                    "{} bytes; packets of this format have {}",
                    packet.len(),
                    self.packet_len()
                ),
            ));
        }
        let mut e = [0u8; KEY_LEN];
        e.copy_from_slice(&packet[..KEY_LEN]);
        let e = AgreementPublicKey::from(e);
        let shared = node.diffie_hellman(&e)?;
        let keys = LayerKeys::derive(shared.as_bytes(), &e, &node.public_key())?;
        let header = Zeroizing::new(
            keys.header
                .open(&[0u8; 12], e.as_bytes(), &packet[KEY_LEN..LAYER_OVERHEAD])
                .map_err(|_| {
                    CryptoError::input(
                        "onion packet",
                        "its layer is not for this node, or was altered",
                    )
                })?,
        );
        let mut rest = packet[LAYER_OVERHEAD..].to_vec();
        keys.apply_stream(&mut rest);
        match header[0] {
            1 => {
                let wait = u16::from_le_bytes([header[1], header[2]]);
                let next = u32::from_le_bytes([header[3], header[4], header[5], header[6]]);
                rest.extend_from_slice(&keys.padding(LAYER_OVERHEAD));
                Ok(Peeled::Forward {
                    wait,
                    next,
                    packet: rest,
                })
            }
            2 => {
                let len =
                    u32::from_le_bytes([header[7], header[8], header[9], header[10]]) as usize;
                if len > rest.len() {
                    return Err(CryptoError::input(
                        "onion packet",
                        "its payload length exceeds the packet",
                    ));
                }
                rest.truncate(len);
                if Sha256::digest(&rest)[..DIGEST_LEN] != header[11..11 + DIGEST_LEN] {
                    return Err(CryptoError::input(
                        "onion packet",
                        "its payload was altered on the way",
                    ));
                }
                Ok(Peeled::Deliver(rest))
            }
            k => Err(CryptoError::input(
                "onion packet",
                format!("unknown instruction {k}"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn keys(n: usize) -> Vec<AgreementKeyPair> {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        (0..n)
            .map(|_| AgreementKeyPair::generate(&mut rng))
            .collect()
    }

    fn route(nodes: &[AgreementKeyPair]) -> Vec<(AgreementPublicKey, HopInstruction)> {
        nodes
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let hop = if i + 1 == nodes.len() {
                    HopInstruction::Deliver
                } else {
                    HopInstruction::Forward {
                        wait: i as u16,
                        next: 100 + i as u32,
                    }
                };
                (k.public_key(), hop)
            })
            .collect()
    }

    #[test]
    fn every_relay_sees_one_length_and_the_receiver_gets_the_payload() {
        let nodes = keys(5);
        let f = OnionFormat::new(8, 64).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut packet = f.seal(&mut rng, &route(&nodes), b"tuple").unwrap();
        for (i, k) in nodes.iter().enumerate() {
            assert_eq!(packet.len(), f.packet_len());
            // No other node can open this layer.
            let other = &nodes[(i + 1) % nodes.len()];
            assert!(f.peel(other, &packet).is_err());
            match f.peel(k, &packet).unwrap() {
                Peeled::Forward {
                    wait,
                    next,
                    packet: p,
                } => {
                    assert_eq!((wait, next), (i as u16, 100 + i as u32));
                    packet = p;
                }
                Peeled::Deliver(payload) => {
                    assert_eq!(i, 4);
                    assert_eq!(payload, b"tuple");
                }
            }
        }
    }

    #[test]
    fn tampering_and_misuse_are_refused() {
        let nodes = keys(2);
        let f = OnionFormat::new(2, 16).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let r = route(&nodes);
        assert!(f.seal(&mut rng, &r, &[0u8; 17]).is_err());
        assert!(f.seal(&mut rng, &[], b"x").is_err());
        let mut bad = r.clone();
        bad.reverse();
        assert!(f.seal(&mut rng, &bad, b"x").is_err());
        assert!(
            OnionFormat::new(1, 16)
                .unwrap()
                .seal(&mut rng, &r, b"x")
                .is_err()
        );

        let packet = f.seal(&mut rng, &r, b"payload").unwrap();
        assert!(f.peel(&nodes[0], &packet[1..]).is_err());
        let mut header_flip = packet.clone();
        header_flip[KEY_LEN + 3] ^= 1;
        assert!(f.peel(&nodes[0], &header_flip).is_err());
        // A bit flipped in the body passes the relay but not the receiver.
        let mut body_flip = packet.clone();
        body_flip[2 * LAYER_OVERHEAD + 2] ^= 1;
        let Peeled::Forward { packet: inner, .. } = f.peel(&nodes[0], &body_flip).unwrap() else {
            panic!("the first layer forwards");
        };
        assert!(f.peel(&nodes[1], &inner).is_err());
    }

    #[test]
    fn a_sealed_box_is_one_layer() {
        let nodes = keys(1);
        let f = OnionFormat::sealed_box(40).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let p = f
            .seal(
                &mut rng,
                &[(nodes[0].public_key(), HopInstruction::Deliver)],
                b"echo",
            )
            .unwrap();
        assert_eq!(p.len(), LAYER_OVERHEAD + 40);
        assert_eq!(
            f.peel(&nodes[0], &p).unwrap(),
            Peeled::Deliver(b"echo".to_vec())
        );
    }
}
