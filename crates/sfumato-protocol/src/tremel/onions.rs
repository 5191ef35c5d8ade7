//! The cryptography of Tremel's messages behind one trait: real onions
//! (X25519, HKDF-SHA256, ChaCha20-Poly1305; `sfumato_crypto::symmetric::
//! onion`) and, for simulations at population scale, a loudly named
//! plaintext stand-in with the same routing, the same wire sizes and the
//! same accounted work. The Byzantine variant's signatures, blind
//! signatures and pairwise keys are behind the same trait: Ed25519, RSA
//! (RFC 9474) and X25519 for real, or public hashes that anyone could
//! forge in the stand-in.

use core::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_crypto::blind::{BlindedSignature, Blinding, OwnerPublicKey, TupleSignature};
use sfumato_crypto::symmetric::{
    AgreementKeyPair, AgreementPublicKey, HopInstruction, OnionFormat, PairwiseKey, Peeled,
    Signature, SigningKey, VerifyingKey, pairwise_key,
};
use sha2::{Digest, Sha256};

use crate::error::{ProtocolError, Result};
use crate::message::varint_len;
use crate::rng::NodeRng;

/// Work accounted for sealing one onion layer: two X25519 multiplications,
/// a header seal and the stream over the packet.
pub const WORK_SEAL_LAYER: &str = "onion-seal-layer";
/// Work accounted for peeling one layer (or trying to).
pub const WORK_PEEL_LAYER: &str = "onion-peel-layer";

/// A packet on the wire and its length there.
pub trait WirePacket:
    Clone + Debug + Send + Sync + Serialize + for<'de> Deserialize<'de> + 'static
{
    /// Bytes of its encoding in a message (a real packet's; the stand-in
    /// reports what the real one would take).
    fn wire_len(&self) -> usize;
}

/// The onion cryptography a node uses. One value per node: it holds the
/// node's secret, if any.
pub trait OnionSuite: Clone + Send + 'static {
    /// A sealed packet.
    type Packet: WirePacket;

    /// Whether this suite is an insecure stand-in (reported by every output
    /// that used it).
    const INSECURE: bool;

    /// The suite's name in reports.
    fn name(&self) -> &'static str;

    /// Seals `payload` along `route`: for each node after the sender, its
    /// identifier and instruction; the last delivers.
    fn seal_onion(
        &self,
        rng: &mut NodeRng,
        route: &[(u32, HopInstruction)],
        payload: &[u8],
    ) -> Result<Self::Packet>;

    /// Seals `payload` for node `to` alone (an encrypted multicast's copy).
    fn seal_box(&self, rng: &mut NodeRng, to: u32, payload: &[u8]) -> Result<Self::Packet>;

    /// Peels this node's layer of an onion.
    fn peel_onion(&self, packet: &Self::Packet) -> Result<PeeledLayer<Self::Packet>>;

    /// Opens a sealed box for this node.
    fn open_box(&self, packet: &Self::Packet) -> Result<Vec<u8>>;

    /// Byzantine variant (§5.2, §6.3): what a meter keeps between blinding
    /// its tuple and unblinding the owner's signature.
    type Blinding: Debug + Send + Sync + 'static;

    /// Signs `bytes` with this node's identity key (Ed25519).
    fn sign(&self, bytes: &[u8]) -> Result<[u8; 64]>;

    /// Whether `sig` is node `signer`'s signature of `bytes`.
    fn verify(&self, signer: u32, bytes: &[u8], sig: &[u8; 64]) -> bool;

    /// The X25519 pairwise key of this node and `other`, for paired noise
    /// (§6.6): both ends derive it with no message.
    fn pair_key(&self, other: u32) -> Result<PairwiseKey>;

    /// Blinds a tuple's encoding for the owner's signature (RFC 9474).
    fn blind_tuple(&self, rng: &mut NodeRng, bytes: &[u8]) -> Result<(Vec<u8>, Self::Blinding)>;

    /// Unblinds the owner's signature of a blinded tuple: the signature a
    /// proxy checks with [`OnionSuite::verify_tuple`].
    fn finalize_tuple(
        &self,
        blinded: &[u8],
        blinding: &Self::Blinding,
        bytes: &[u8],
    ) -> Result<Vec<u8>>;

    /// Whether `sig` is the owner's signature of the tuple `bytes`.
    fn verify_tuple(&self, bytes: &[u8], sig: &[u8]) -> bool;
}

/// Work labels of the Byzantine variant's public-key operations, charged
/// with their measured costs.
pub mod work {
    /// An Ed25519 signature.
    pub const SIGN: &str = "ed25519-sign";
    /// An Ed25519 verification.
    pub const VERIFY: &str = "ed25519-verify";
    /// Blinding and unblinding a tuple (RFC 9474, the meter's side).
    pub const BLIND: &str = "rsa-blind";
    /// The owner's blind signature.
    pub const OWNER_SIGN: &str = "rsa-blind-sign";
    /// A proxy's check of the owner's signature.
    pub const TUPLE_VERIFY: &str = "rsa-verify";
    /// An X25519 pairwise key.
    pub const PAIR_KEY: &str = "x25519-pair-key";
}

/// The Byzantine variant's keys for real cryptography: the node's Ed25519
/// identity, everyone's verifying keys, and the owner's RSA public key.
#[derive(Clone)]
pub struct ByzantineKeys {
    /// This node's identity key.
    pub identity: Arc<SigningKey>,
    /// Every node's verifying key, by id.
    pub identities: Arc<Vec<VerifyingKey>>,
    /// The owner's blind-signature key.
    pub owner: Arc<OwnerPublicKey>,
}

/// The length the simulation stand-in reports for the owner's signature
/// (RSA-2048 and its 32-byte randomizer).
pub const STAND_IN_OWNER_SIGNATURE_LEN: usize = 256 + 32;

/// The **insecure** stand-in for the owner's blind signature: a public hash
/// of the tuple that anyone could compute (simulation only). Reports of
/// runs that use it say so.
pub fn insecure_owner_tag(bytes: &[u8]) -> Vec<u8> {
    let h: [u8; 32] = Sha256::new()
        .chain_update(b"sfumato/tremel/INSECURE-owner-signature-stand-in")
        .chain_update(bytes)
        .finalize()
        .into();
    let mut out = vec![0u8; STAND_IN_OWNER_SIGNATURE_LEN];
    out[..32].copy_from_slice(&h);
    out
}

/// The **insecure** stand-in's tag for node `signer`'s signature: the id
/// and a public hash of the bytes.
fn insecure_signature(signer: u32, bytes: &[u8]) -> [u8; 64] {
    let h: [u8; 32] = Sha256::new()
        .chain_update(b"sfumato/tremel/INSECURE-signature-stand-in")
        .chain_update(signer.to_le_bytes())
        .chain_update(bytes)
        .finalize()
        .into();
    let mut out = [0u8; 64];
    out[..4].copy_from_slice(&signer.to_le_bytes());
    out[4..36].copy_from_slice(&h);
    out
}

/// A peeled layer, in the suite's packet type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeeledLayer<P> {
    /// Hold `packet` for `wait` rounds, then send it to `next`.
    Forward {
        /// Rounds to hold it.
        wait: u16,
        /// The next node (the partner of the round it leaves in).
        next: u32,
        /// The packet for the next node.
        packet: P,
    },
    /// The payload, for this node.
    Deliver(Vec<u8>),
}

/// The formats of a deployment's packets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Formats {
    /// Tunneled messages.
    pub onion: OnionFormat,
    /// Copies of encrypted multicasts.
    pub sealed_box: OnionFormat,
}

/// A real packet: bytes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OnionBytes(pub Vec<u8>);

impl WirePacket for OnionBytes {
    fn wire_len(&self) -> usize {
        varint_len(self.0.len() as u64) + self.0.len()
    }
}

/// Real onions: X25519 + HKDF-SHA256 + ChaCha20-Poly1305, fixed-size
/// packets.
#[derive(Clone)]
pub struct RealOnions {
    me: Arc<AgreementKeyPair>,
    directory: Arc<Vec<AgreementPublicKey>>,
    formats: Formats,
    byzantine: Option<ByzantineKeys>,
}

impl Debug for RealOnions {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RealOnions")
            .field("me", &self.me.public_key())
            .field("formats", &self.formats)
            .finish()
    }
}

impl RealOnions {
    /// A node's suite: its key pair and everybody's public key, by id.
    pub fn new(
        me: Arc<AgreementKeyPair>,
        directory: Arc<Vec<AgreementPublicKey>>,
        formats: Formats,
    ) -> RealOnions {
        RealOnions {
            me,
            directory,
            formats,
            byzantine: None,
        }
    }

    /// With the Byzantine variant's keys.
    pub fn with_byzantine(mut self, keys: ByzantineKeys) -> RealOnions {
        self.byzantine = Some(keys);
        self
    }

    fn byzantine(&self) -> Result<&ByzantineKeys> {
        self.byzantine.as_ref().ok_or_else(|| {
            ProtocolError::invalid("keys", "this node has no Byzantine-variant keys")
        })
    }

    fn key_of(&self, node: u32) -> Result<&AgreementPublicKey> {
        self.directory.get(node as usize).ok_or_else(|| {
            ProtocolError::invalid("route", format!("node {node} has no public key"))
        })
    }
}

fn crypto(e: sfumato_crypto::CryptoError) -> ProtocolError {
    ProtocolError::Malformed(e.to_string())
}

impl OnionSuite for RealOnions {
    type Packet = OnionBytes;
    const INSECURE: bool = false;

    fn name(&self) -> &'static str {
        "x25519-chacha20poly1305 onions"
    }

    fn seal_onion(
        &self,
        rng: &mut NodeRng,
        route: &[(u32, HopInstruction)],
        payload: &[u8],
    ) -> Result<OnionBytes> {
        let keyed = route
            .iter()
            .map(|(node, hop)| Ok((*self.key_of(*node)?, *hop)))
            .collect::<Result<Vec<_>>>()?;
        self.formats
            .onion
            .seal(rng, &keyed, payload)
            .map(OnionBytes)
            .map_err(crypto)
    }

    fn seal_box(&self, rng: &mut NodeRng, to: u32, payload: &[u8]) -> Result<OnionBytes> {
        let key = *self.key_of(to)?;
        self.formats
            .sealed_box
            .seal(rng, &[(key, HopInstruction::Deliver)], payload)
            .map(OnionBytes)
            .map_err(crypto)
    }

    fn peel_onion(&self, packet: &OnionBytes) -> Result<PeeledLayer<OnionBytes>> {
        Ok(
            match self
                .formats
                .onion
                .peel(&self.me, &packet.0)
                .map_err(crypto)?
            {
                Peeled::Forward { wait, next, packet } => PeeledLayer::Forward {
                    wait,
                    next,
                    packet: OnionBytes(packet),
                },
                Peeled::Deliver(p) => PeeledLayer::Deliver(p),
            },
        )
    }

    fn open_box(&self, packet: &OnionBytes) -> Result<Vec<u8>> {
        match self
            .formats
            .sealed_box
            .peel(&self.me, &packet.0)
            .map_err(crypto)?
        {
            Peeled::Deliver(p) => Ok(p),
            Peeled::Forward { .. } => Err(ProtocolError::Malformed(
                "a sealed box that forwards".to_string(),
            )),
        }
    }
    type Blinding = Blinding;

    fn sign(&self, bytes: &[u8]) -> Result<[u8; 64]> {
        Ok(self.byzantine()?.identity.sign(bytes).to_bytes())
    }

    fn verify(&self, signer: u32, bytes: &[u8], sig: &[u8; 64]) -> bool {
        let Ok(keys) = self.byzantine() else {
            return false;
        };
        let Some(key) = keys.identities.get(signer as usize) else {
            return false;
        };
        Signature::from_bytes(sig).is_ok_and(|s| key.verify(bytes, &s).is_ok())
    }

    fn pair_key(&self, other: u32) -> Result<PairwiseKey> {
        pairwise_key(
            &self.me,
            self.key_of(other)?,
            b"sfumato/tremel/pair-noise/v1",
        )
        .map_err(crypto)
    }

    fn blind_tuple(&self, rng: &mut NodeRng, bytes: &[u8]) -> Result<(Vec<u8>, Blinding)> {
        let (request, blinding) = self.byzantine()?.owner.blind(rng, bytes).map_err(crypto)?;
        Ok((request.0, blinding))
    }

    fn finalize_tuple(&self, blinded: &[u8], blinding: &Blinding, bytes: &[u8]) -> Result<Vec<u8>> {
        let sig = self
            .byzantine()?
            .owner
            .finalize(&BlindedSignature(blinded.to_vec()), blinding, bytes)
            .map_err(crypto)?;
        let mut out = sig.signature;
        out.extend_from_slice(&sig.randomizer);
        Ok(out)
    }

    fn verify_tuple(&self, bytes: &[u8], sig: &[u8]) -> bool {
        let Ok(keys) = self.byzantine() else {
            return false;
        };
        let Some(split) = sig.len().checked_sub(32) else {
            return false;
        };
        let Ok(randomizer) = <[u8; 32]>::try_from(&sig[split..]) else {
            return false;
        };
        let sig = TupleSignature {
            signature: sig[..split].to_vec(),
            randomizer,
        };
        keys.owner.verify(&sig, bytes).is_ok()
    }
}

/// A packet of the stand-in: the route and payload in the clear, shared
/// between the hops (peeling moves an index; nothing is copied).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaintextPacket {
    /// Every layer, outermost first: node and instruction.
    pub layers: Arc<[(u32, HopInstruction)]>,
    /// The next layer to peel.
    pub next: u16,
    /// The payload.
    pub payload: Arc<[u8]>,
    /// The length the real packet would have.
    pub real_len: u32,
}

impl WirePacket for PlaintextPacket {
    fn wire_len(&self) -> usize {
        varint_len(u64::from(self.real_len)) + self.real_len as usize
    }
}

/// **Insecure** stand-in for [`RealOnions`], for simulations of hundreds
/// of thousands of nodes: packets carry their route and payload in the
/// clear. It routes exactly as real onions do (a node can only peel a layer
/// addressed to it), reports the real packets' sizes, and nodes account
/// the same sealing and peeling work, so a cost model charges real
/// cryptography's time. Never a default outside the simulator; every
/// output that used it says so.
#[derive(Clone, Debug)]
pub struct InsecurePlaintextOnions {
    me: u32,
    formats: Formats,
}

impl InsecurePlaintextOnions {
    /// Node `me`'s stand-in suite.
    pub fn new(me: u32, formats: Formats) -> Self {
        InsecurePlaintextOnions { me, formats }
    }

    fn check(&self, format: &OnionFormat, layers: usize, payload: usize) -> Result<()> {
        if layers == 0 || layers > format.max_layers as usize || layers > usize::from(u16::MAX) {
            return Err(ProtocolError::invalid(
                "route",
                format!("{layers} layers; packets hold 1 to {}", format.max_layers),
            ));
        }
        if payload > format.payload_capacity as usize {
            return Err(ProtocolError::invalid(
                "payload",
                format!("{payload} bytes do not fit in {}", format.payload_capacity),
            ));
        }
        Ok(())
    }
}

impl OnionSuite for InsecurePlaintextOnions {
    type Packet = PlaintextPacket;
    const INSECURE: bool = true;

    fn name(&self) -> &'static str {
        "InsecurePlaintextOnions (simulation stand-in: nothing is encrypted)"
    }

    fn seal_onion(
        &self,
        _rng: &mut NodeRng,
        route: &[(u32, HopInstruction)],
        payload: &[u8],
    ) -> Result<PlaintextPacket> {
        self.check(&self.formats.onion, route.len(), payload.len())?;
        if route
            .iter()
            .enumerate()
            .any(|(i, (_, h))| (i + 1 == route.len()) != matches!(h, HopInstruction::Deliver))
        {
            return Err(ProtocolError::invalid(
                "route",
                "the last layer, and only it, delivers",
            ));
        }
        Ok(PlaintextPacket {
            layers: route.into(),
            next: 0,
            payload: payload.into(),
            real_len: self.formats.onion.packet_len() as u32,
        })
    }

    fn seal_box(&self, _rng: &mut NodeRng, to: u32, payload: &[u8]) -> Result<PlaintextPacket> {
        self.check(&self.formats.sealed_box, 1, payload.len())?;
        Ok(PlaintextPacket {
            layers: Arc::from([(to, HopInstruction::Deliver)].as_slice()),
            next: 0,
            payload: payload.into(),
            real_len: self.formats.sealed_box.packet_len() as u32,
        })
    }

    fn peel_onion(&self, packet: &PlaintextPacket) -> Result<PeeledLayer<PlaintextPacket>> {
        let Some(&(node, hop)) = packet.layers.get(usize::from(packet.next)) else {
            return Err(ProtocolError::Malformed("an onion without layers".into()));
        };
        if node != self.me {
            return Err(ProtocolError::Malformed(
                "its layer is not for this node".into(),
            ));
        }
        match hop {
            HopInstruction::Deliver => Ok(PeeledLayer::Deliver(packet.payload.to_vec())),
            HopInstruction::Forward { wait, next } => {
                if usize::from(packet.next) + 1 >= packet.layers.len() {
                    return Err(ProtocolError::Malformed(
                        "an onion without a receiver".into(),
                    ));
                }
                let mut inner = packet.clone();
                inner.next += 1;
                Ok(PeeledLayer::Forward {
                    wait,
                    next,
                    packet: inner,
                })
            }
        }
    }

    fn open_box(&self, packet: &PlaintextPacket) -> Result<Vec<u8>> {
        match &packet.layers[usize::from(packet.next).min(packet.layers.len())..] {
            [(node, HopInstruction::Deliver)] if *node == self.me => Ok(packet.payload.to_vec()),
            _ => Err(ProtocolError::Malformed(
                "a sealed box not for this node".into(),
            )),
        }
    }
    type Blinding = ();

    fn sign(&self, bytes: &[u8]) -> Result<[u8; 64]> {
        Ok(insecure_signature(self.me, bytes))
    }

    fn verify(&self, signer: u32, bytes: &[u8], sig: &[u8; 64]) -> bool {
        *sig == insecure_signature(signer, bytes)
    }

    fn pair_key(&self, other: u32) -> Result<PairwiseKey> {
        let (a, b) = (self.me.min(other), self.me.max(other));
        let h: [u8; 32] = Sha256::new()
            .chain_update(b"sfumato/tremel/INSECURE-pair-key-stand-in")
            .chain_update(a.to_le_bytes())
            .chain_update(b.to_le_bytes())
            .finalize()
            .into();
        Ok(PairwiseKey::from_bytes(&h))
    }

    fn blind_tuple(&self, _rng: &mut NodeRng, bytes: &[u8]) -> Result<(Vec<u8>, ())> {
        Ok((bytes.to_vec(), ()))
    }

    fn finalize_tuple(&self, blinded: &[u8], _: &(), bytes: &[u8]) -> Result<Vec<u8>> {
        if blinded != insecure_owner_tag(bytes).as_slice() {
            return Err(ProtocolError::Malformed(
                "the owner's signature does not match the tuple".into(),
            ));
        }
        Ok(blinded.to_vec())
    }

    fn verify_tuple(&self, bytes: &[u8], sig: &[u8]) -> bool {
        sig == insecure_owner_tag(bytes).as_slice()
    }
}
