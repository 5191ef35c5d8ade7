//! The cryptography of Tremel's messages behind one trait: real onions
//! (X25519, HKDF-SHA256, ChaCha20-Poly1305; `sfumato_crypto::symmetric::
//! onion`) and, for simulations at population scale, a loudly named
//! plaintext stand-in with the same routing, the same wire sizes and the
//! same accounted work.

use core::fmt::Debug;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use sfumato_crypto::symmetric::{
    AgreementKeyPair, AgreementPublicKey, HopInstruction, OnionFormat, Peeled,
};

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
        }
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
}
