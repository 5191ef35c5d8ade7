//! Tremel, Birman, Kleinberg & Jelasity (2018): anonymous, crash- and
//! Byzantine-tolerant aggregation queries on the deterministic overlay, as
//! sans-IO nodes.
//!
//! * [`params`] — `n`, `t`, the variant, aggregation groups and trees, and
//!   the clock of rounds and timeouts (§4.3, §5.1, §7.1);
//! * [`query`] — associative, commutative aggregates over meters' records:
//!   sums, counts, minima, maxima, histograms (§2.1);
//! * [`onions`] — the onion cryptography behind a trait: real X25519 /
//!   ChaCha20-Poly1305 onions, or the loudly named plaintext stand-in for
//!   simulations at scale;
//! * [`route`] — a path on the layered gossip graph as per-node
//!   instructions (§4.2);
//! * [`messages`] — requests, meta-messages and their items, partials;
//! * [`client`] — a meter: Shuffle, Echo, Aggregate (§4.3) or Scatter,
//!   Gather, Aggregate (§5.1);
//! * [`owner`] — the system owner: numbered queries, the choice of result;
//! * [`setup`] — the Byzantine variant's blind-signed tuples: one
//!   signature per meter and query, unsigned or reused tuples refused;
//! * [`crusader`] — the Byzantine variant's agreement of a tuple's
//!   proxies (§5.2), in `t + 1` Dolev–Strong rounds;
//! * [`noise`] — the Byzantine variant's paired noise, aggregate noise
//!   shares and noise plans (§6.6, docs/tremel-bft.md);
//! * [`node`] — one node type for runtimes.

pub mod client;
pub mod crusader;
pub mod messages;
pub mod node;
pub mod noise;
pub mod onions;
pub mod owner;
pub mod params;
pub mod query;
pub mod route;
pub mod setup;

pub use client::{Client, ClientStats};
pub use messages::{FloodItem, GroupPartial, Item, QueryRequest, TremelMessage, Tuple};
pub use node::{TremelEvent, TremelNode, TremelTimer};
pub use onions::{
    Formats, InsecurePlaintextOnions, OnionBytes, OnionSuite, PlaintextPacket, RealOnions,
    WORK_PEEL_LAYER, WORK_SEAL_LAYER,
};
pub use owner::{Owner, PlannedQuery, QueryAnswer};
pub use params::{Echo, TreePlace, TremelParams, Variant};
pub use query::{Aggregate, MeterFilter, Partial, PartialValue, QuerySpec, RangeClause};

use sfumato_crypto::symmetric::OnionFormat;

use crate::error::{ProtocolError, Result};

impl Formats {
    /// The packet formats of a deployment whose records have `fields`
    /// fields: onions as long as the first phase's paths can be (Basic) or
    /// two layers (High-failure: relay, proxy), and payloads that hold any
    /// tuple.
    pub fn for_deployment(params: &TremelParams, fields: usize) -> Result<Formats> {
        let overlay = params.overlay()?;
        // Postcard varints: u64 ≤ 10 bytes, u32 ≤ 5, lengths ≤ 5.
        let mut capacity = 10 + 10 + 5 + 10 * fields + 5 + 5 * params.groups() as usize;
        if params.variant == Variant::Byzantine {
            // The owner's RSA signature (up to 4096 bits) and randomizer,
            // and the lengths of the signed tuple's two parts.
            capacity += 512 + 32 + 10;
        }
        let capacity = u32::try_from(capacity)
            .map_err(|_| ProtocolError::invalid("fields", "tuples would be too large"))?;
        let layers = match params.variant {
            Variant::Basic | Variant::Byzantine => params.first_phase_rounds(&overlay),
            Variant::HighFailure => 2,
        };
        let bad = |e: sfumato_crypto::CryptoError| ProtocolError::invalid("onion", e.to_string());
        Ok(Formats {
            onion: OnionFormat::new(layers, capacity).map_err(bad)?,
            sealed_box: OnionFormat::sealed_box(capacity).map_err(bad)?,
        })
    }
}
