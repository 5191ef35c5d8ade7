//! Peer selection for gossip: a uniform peer oracle, or a Newscast-style
//! local view (Jelasity et al., "Newscast computing", 2003; Chiaroscuro
//! §4.2.1 and Table 2, view size c = 30).

use serde::{Deserialize, Serialize};

use crate::error::{ProtocolError, Result};
use crate::node::{NodeId, Time};
use rand_core::CryptoRng;
use sfumato_dp::exact::uniform_below;

/// Which peer selection to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerSampling {
    /// Every other node with equal probability (the analyses of Kempe et
    /// al. and of Chiaroscuro App. B assume it).
    Uniform,
    /// A local view of `view_size` (id, timestamp) entries, exchanged with
    /// every gossip message and merged by freshness.
    Newscast {
        /// The view size `c`.
        view_size: u16,
    },
}

impl PeerSampling {
    /// Chiaroscuro Table 2's Newscast view size.
    pub const CHIAROSCURO_VIEW: u16 = 30;
}

/// One entry of a Newscast view: a peer and when it was last heard of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewEntry {
    /// The peer.
    pub id: NodeId,
    /// When the entry was created by that peer.
    pub stamp: Time,
}

/// A node's peer selection state.
#[derive(Clone, Debug, PartialEq)]
pub enum PeerSampler {
    /// The uniform oracle over a population of `population` nodes.
    Uniform {
        /// The population size.
        population: u32,
    },
    /// A Newscast view.
    Newscast {
        /// The view size `c`.
        capacity: u16,
        /// The entries, freshest first.
        view: Vec<ViewEntry>,
    },
}

impl PeerSampler {
    /// A sampler for node `me` in a population of `population`; a Newscast
    /// view is bootstrapped with `c` distinct uniform peers, stamped at time
    /// zero (as PeerSim's random k-out initialisation).
    pub fn new<R: CryptoRng + ?Sized>(
        sampling: PeerSampling,
        me: NodeId,
        population: u32,
        rng: &mut R,
    ) -> Result<PeerSampler> {
        if population < 2 {
            return Err(ProtocolError::invalid(
                "population",
                "gossip needs at least 2 nodes",
            ));
        }
        Ok(match sampling {
            PeerSampling::Uniform => PeerSampler::Uniform { population },
            PeerSampling::Newscast { view_size } => {
                if view_size == 0 {
                    return Err(ProtocolError::invalid("view size", "must be at least 1"));
                }
                let c = usize::from(view_size).min(population as usize - 1);
                let mut view: Vec<ViewEntry> = Vec::with_capacity(c);
                while view.len() < c {
                    let id = NodeId(other_than(me, population, rng));
                    if !view.iter().any(|e| e.id == id) {
                        view.push(ViewEntry {
                            id,
                            stamp: Time::ZERO,
                        });
                    }
                }
                PeerSampler::Newscast {
                    capacity: view_size,
                    view,
                }
            }
        })
    }

    /// A peer to gossip with (never `me`); `None` only for an empty view.
    pub fn select<R: CryptoRng + ?Sized>(&self, me: NodeId, rng: &mut R) -> Option<NodeId> {
        match self {
            PeerSampler::Uniform { population } => Some(NodeId(other_than(me, *population, rng))),
            PeerSampler::Newscast { view, .. } => {
                if view.is_empty() {
                    None
                } else {
                    let k = uniform_below(rng, view.len() as u64) as usize;
                    Some(view[k].id)
                }
            }
        }
    }

    /// What to piggyback on an outgoing gossip message: for Newscast, the
    /// view plus a fresh entry for `me`; nothing for the oracle.
    pub fn outgoing(&self, me: NodeId, now: Time) -> Option<Vec<ViewEntry>> {
        match self {
            PeerSampler::Uniform { .. } => None,
            PeerSampler::Newscast { view, .. } => {
                let mut out = Vec::with_capacity(view.len() + 1);
                out.push(ViewEntry { id: me, stamp: now });
                out.extend_from_slice(view);
                Some(out)
            }
        }
    }

    /// Merges a received view: keeps the freshest entry per peer, never
    /// `me`, and the `c` freshest overall (ties by id, so the result does
    /// not depend on arrival order).
    pub fn merge(&mut self, me: NodeId, received: &[ViewEntry]) {
        if let PeerSampler::Newscast { capacity, view } = self {
            view.extend(received.iter().filter(|e| e.id != me));
            view.sort_unstable_by(|a, b| b.stamp.cmp(&a.stamp).then(a.id.cmp(&b.id)));
            let mut kept: Vec<ViewEntry> = Vec::with_capacity(usize::from(*capacity));
            for e in view.iter() {
                if kept.len() == usize::from(*capacity) {
                    break;
                }
                if !kept.iter().any(|k| k.id == e.id) {
                    kept.push(*e);
                }
            }
            *view = kept;
        }
    }
}

/// A uniform id in `0..population` other than `me`.
fn other_than<R: CryptoRng + ?Sized>(me: NodeId, population: u32, rng: &mut R) -> u32 {
    let k = uniform_below(rng, u64::from(population) - 1) as u32;
    if k >= me.0 { k + 1 } else { k }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{NodeRng, RngKey};

    fn rng() -> NodeRng {
        NodeRng::at(&RngKey::from_seed(3), 0, 0)
    }

    #[test]
    fn the_oracle_never_picks_itself_and_covers_everyone() {
        let mut r = rng();
        let s = PeerSampler::new(PeerSampling::Uniform, NodeId(2), 5, &mut r).unwrap();
        let mut seen = [0u32; 5];
        for _ in 0..4000 {
            seen[s.select(NodeId(2), &mut r).unwrap().index()] += 1;
        }
        assert_eq!(seen[2], 0);
        assert!(seen.iter().enumerate().all(|(i, c)| i == 2 || *c > 800));
        assert!(PeerSampler::new(PeerSampling::Uniform, NodeId(0), 1, &mut r).is_err());
    }

    #[test]
    fn newscast_keeps_the_freshest_distinct_entries() {
        let mut r = rng();
        let sampling = PeerSampling::Newscast { view_size: 3 };
        let mut s = PeerSampler::new(sampling, NodeId(0), 100, &mut r).unwrap();
        let out = s.outgoing(NodeId(0), Time(5)).unwrap();
        assert_eq!(out.len(), 4);
        assert_eq!(
            out[0],
            ViewEntry {
                id: NodeId(0),
                stamp: Time(5)
            }
        );
        let fresh = [
            ViewEntry {
                id: NodeId(0),
                stamp: Time(9),
            },
            ViewEntry {
                id: NodeId(7),
                stamp: Time(8),
            },
            ViewEntry {
                id: NodeId(7),
                stamp: Time(3),
            },
            ViewEntry {
                id: NodeId(8),
                stamp: Time(6),
            },
        ];
        s.merge(NodeId(0), &fresh);
        let PeerSampler::Newscast { view, .. } = &s else {
            panic!("expected a Newscast view")
        };
        assert_eq!(view.len(), 3);
        assert_eq!(
            view[0],
            ViewEntry {
                id: NodeId(7),
                stamp: Time(8)
            }
        );
        assert_eq!(
            view[1],
            ViewEntry {
                id: NodeId(8),
                stamp: Time(6)
            }
        );
        assert!(view.iter().all(|e| e.id != NodeId(0)));
        // A small population caps the view.
        let small = PeerSampler::new(sampling, NodeId(1), 3, &mut r).unwrap();
        let PeerSampler::Newscast { view, .. } = &small else {
            panic!("expected a Newscast view")
        };
        assert_eq!(view.len(), 2);
    }
}
