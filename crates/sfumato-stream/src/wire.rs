//! What travels between operators, and how it is sealed (StreamMine3G
//! §III: "all data between operators … encrypted").
//!
//! Every edge carries [`Packet`]s: a batch of events, of global readings,
//! of global medians, of outputs, or of migrated state. With an enclave
//! the batch is encoded and sealed (ChaCha20-Poly1305) under the channel's
//! key with the sender's counter as nonce and `(kind, destination, epoch)`
//! as associated data, so the host moving it can neither read, alter,
//! redirect nor replay it into another epoch; without one it travels as is.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::enclave::{Channel, Enclave};
use crate::error::{Result, StreamError};
use crate::event::{Event, Property};
use crate::processor::{HouseState, Outputs};
use crate::q2::GlobalAt;

/// What a packet holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// Events from the source (ingress).
    Ingress,
    /// Events for a house worker.
    Events,
    /// `(second, milliwatts)` readings for the global medians.
    Readings,
    /// Global medians per second.
    Globals,
    /// Query outputs, from the owner (`Outputs`) …
    Outputs,
    /// … or from a migration's replica.
    ReplicaOutputs,
    /// Migrated house state.
    State,
}

impl Kind {
    fn channel(self) -> Channel {
        match self {
            Kind::Ingress => Channel::Ingress,
            Kind::Outputs | Kind::ReplicaOutputs => Channel::Egress,
            Kind::State => Channel::State,
            _ => Channel::Exchange,
        }
    }
}

/// A packet's contents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Body {
    /// Events.
    Events(Vec<Event>),
    /// Readings.
    Readings(Vec<(u32, u32)>),
    /// Medians.
    Globals(Vec<GlobalAt>),
    /// Outputs.
    Outputs(Outputs),
    /// State.
    State(Vec<HouseState>),
    /// Any of the above, sealed.
    Sealed(Vec<u8>),
}

/// One batch on an edge.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Packet {
    /// Worker it is for.
    pub dest: u32,
    /// Worker that sealed it.
    pub sender: u32,
    /// The sender's counter (the nonce).
    pub counter: u64,
    /// What it holds.
    pub kind: Kind,
    /// The contents.
    pub body: Body,
}

const EVENT_BYTES: usize = 29;

fn encode_events(events: &[Event]) -> Vec<u8> {
    let mut b = Vec::with_capacity(events.len() * EVENT_BYTES);
    for e in events {
        b.extend_from_slice(&e.id.to_le_bytes());
        b.extend_from_slice(&e.timestamp.to_le_bytes());
        b.extend_from_slice(&e.value.to_le_bytes());
        b.push(e.property.code());
        b.extend_from_slice(&e.plug.to_le_bytes());
        b.extend_from_slice(&e.household.to_le_bytes());
        b.extend_from_slice(&e.house.to_le_bytes());
    }
    b
}

fn u32_at(c: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([c[at], c[at + 1], c[at + 2], c[at + 3]])
}

fn decode_events(b: &[u8]) -> Result<Vec<Event>> {
    if !b.len().is_multiple_of(EVENT_BYTES) {
        return Err(StreamError::Sealed(format!(
            "an event batch of {} bytes is not whole events",
            b.len()
        )));
    }
    b.chunks_exact(EVENT_BYTES)
        .map(|c| {
            let mut id = [0u8; 8];
            id.copy_from_slice(&c[..8]);
            Ok(Event {
                id: u64::from_le_bytes(id),
                timestamp: u32_at(c, 8),
                value: f32::from_bits(u32_at(c, 12)),
                property: Property::from_code(c[16])
                    .ok_or_else(|| StreamError::Sealed("bad property code".into()))?,
                plug: u32_at(c, 17),
                household: u32_at(c, 21),
                house: u32_at(c, 25),
            })
        })
        .collect()
}

fn encode(body: &Body) -> Result<Vec<u8>> {
    match body {
        Body::Events(e) => Ok(encode_events(e)),
        Body::Readings(r) => {
            let mut b = Vec::with_capacity(r.len() * 8);
            for (ts, v) in r {
                b.extend_from_slice(&ts.to_le_bytes());
                b.extend_from_slice(&v.to_le_bytes());
            }
            Ok(b)
        }
        other => postcard::to_allocvec(other).map_err(|e| StreamError::Sealed(e.to_string())),
    }
}

fn decode(kind: Kind, bytes: &[u8]) -> Result<Body> {
    match kind {
        Kind::Ingress | Kind::Events => Ok(Body::Events(decode_events(bytes)?)),
        Kind::Readings => {
            if !bytes.len().is_multiple_of(8) {
                return Err(StreamError::Sealed(
                    "a readings batch is not whole pairs".into(),
                ));
            }
            Ok(Body::Readings(
                bytes
                    .chunks_exact(8)
                    .map(|c| (u32_at(c, 0), u32_at(c, 4)))
                    .collect(),
            ))
        }
        _ => postcard::from_bytes(bytes).map_err(|e| StreamError::Sealed(e.to_string())),
    }
}

fn aad(kind: Kind, dest: u32, epoch: u64) -> [u8; 13] {
    let mut a = [0u8; 13];
    a[0] = kind as u8;
    a[1..5].copy_from_slice(&dest.to_le_bytes());
    a[5..].copy_from_slice(&epoch.to_le_bytes());
    a
}

/// One worker's sealing end: the enclave (if any) and its counter.
pub struct Sealer {
    enclave: Option<Arc<dyn Enclave>>,
    sender: u32,
    counter: u64,
    /// Bytes sealed.
    pub sealed_bytes: u64,
    /// Bytes opened.
    pub opened_bytes: u64,
}

impl Sealer {
    /// Worker `sender`'s sealer; `None` sends everything in the clear.
    pub fn new(enclave: Option<Arc<dyn Enclave>>, sender: u32) -> Self {
        Sealer {
            enclave,
            sender,
            counter: 0,
            sealed_bytes: 0,
            opened_bytes: 0,
        }
    }

    /// Whether packets are sealed.
    pub fn seals(&self) -> bool {
        self.enclave.is_some()
    }

    /// A packet for `dest` at `epoch` holding `body`.
    pub fn pack(&mut self, kind: Kind, dest: u32, epoch: u64, body: Body) -> Result<Packet> {
        self.counter += 1;
        let body = match &self.enclave {
            None => body,
            Some(enclave) => {
                let plain = encode(&body)?;
                self.sealed_bytes += plain.len() as u64;
                Body::Sealed(enclave.seal(
                    kind.channel(),
                    self.sender,
                    self.counter,
                    &aad(kind, dest, epoch),
                    &plain,
                )?)
            }
        };
        Ok(Packet {
            dest,
            sender: self.sender,
            counter: self.counter,
            kind,
            body,
        })
    }

    /// The contents of `packet`, received at `epoch` by worker `me`.
    pub fn unpack(&mut self, packet: Packet, me: u32, epoch: u64) -> Result<Body> {
        if packet.dest != me {
            return Err(StreamError::Sealed(format!(
                "a packet for worker {} reached worker {me}",
                packet.dest
            )));
        }
        match (packet.body, &self.enclave) {
            (Body::Sealed(bytes), Some(enclave)) => {
                let plain = enclave.open(
                    packet.kind.channel(),
                    packet.sender,
                    packet.counter,
                    &aad(packet.kind, me, epoch),
                    &bytes,
                )?;
                self.opened_bytes += plain.len() as u64;
                decode(packet.kind, &plain)
            }
            (Body::Sealed(_), None) => Err(StreamError::Sealed(
                "a sealed packet and no enclave to open it".into(),
            )),
            (_, Some(_)) => Err(StreamError::Sealed(
                "a packet in the clear where every packet must be sealed".into(),
            )),
            (body, None) => Ok(body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enclave::{EPC_BYTES, InsecureSoftwareEnclave};

    fn events() -> Vec<Event> {
        (0..5)
            .map(|i| Event {
                id: i,
                timestamp: 1_377_993_600 + i as u32,
                value: 1.5 * i as f32,
                property: if i % 2 == 0 {
                    Property::Load
                } else {
                    Property::Work
                },
                plug: i as u32,
                household: 2,
                house: 3,
            })
            .collect()
    }

    #[test]
    fn sealed_packets_round_trip_and_refuse_tampering_redirection_and_replay() {
        let enclave: Arc<dyn Enclave> = Arc::new(InsecureSoftwareEnclave::new(3, EPC_BYTES));
        let mut a = Sealer::new(Some(enclave.clone()), 0);
        let mut b = Sealer::new(Some(enclave), 1);
        let p = a.pack(Kind::Events, 1, 7, Body::Events(events())).unwrap();
        assert!(matches!(p.body, Body::Sealed(_)));
        let Body::Events(got) = b.unpack(p.clone(), 1, 7).unwrap() else {
            panic!("events")
        };
        assert_eq!(got, events());
        // Another epoch, another worker, altered bytes: refused.
        assert!(b.unpack(p.clone(), 1, 8).is_err());
        assert!(b.unpack(p.clone(), 0, 7).is_err());
        let mut q = p.clone();
        q.dest = 0;
        assert!(a.unpack(q, 0, 7).is_err());
        let mut q = p;
        if let Body::Sealed(bytes) = &mut q.body {
            bytes[0] ^= 1;
        }
        assert!(b.unpack(q, 1, 7).is_err());
        // A packet in the clear is refused where sealing is on.
        let clear = Packet {
            dest: 1,
            sender: 0,
            counter: 9,
            kind: Kind::Events,
            body: Body::Events(events()),
        };
        assert!(b.unpack(clear, 1, 7).is_err());
    }

    #[test]
    fn other_bodies_round_trip() {
        let enclave: Arc<dyn Enclave> = Arc::new(InsecureSoftwareEnclave::new(3, EPC_BYTES));
        let mut s = Sealer::new(Some(enclave), 0);
        let g = vec![GlobalAt {
            ts: 5,
            medians: [Some(1.5), None],
        }];
        let p = s
            .pack(Kind::Globals, 0, 1, Body::Globals(g.clone()))
            .unwrap();
        let Body::Globals(back) = s.unpack(p, 0, 1).unwrap() else {
            panic!("globals")
        };
        assert_eq!(back, g);
        let p = s
            .pack(Kind::Readings, 0, 1, Body::Readings(vec![(1, 2), (3, 4)]))
            .unwrap();
        let Body::Readings(r) = s.unpack(p, 0, 1).unwrap() else {
            panic!("readings")
        };
        assert_eq!(r, vec![(1, 2), (3, 4)]);
    }
}
