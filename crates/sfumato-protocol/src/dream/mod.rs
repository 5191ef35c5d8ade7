//! DREAM (Ács & Castelluccia 2011): differentially private smart-meter
//! aggregation without a trusted aggregator, as sans-IO nodes.
//!
//! * [`params`] — cluster size N, failures tolerated M, partners w, noise,
//!   slot schedule and the per-slot noise scale λ(t) (public);
//! * [`noise`] — the noise share of one meter: exact Pólya shares of a
//!   discrete Laplace for N − M parties (default), or the paper's gamma
//!   shares (Lemma 1, §4.1), rounded to whole units;
//! * [`meter`] — set-up (§5.1), phases 1 and 2 (§4.1, §4.2, §5.2) and the
//!   second round of the robust variant (§6), with an honest meter's
//!   refusal to reveal its keys when more than M meters are declared
//!   missing;
//! * [`supplier`] — sum, keystream removal, publication (§5.3), the
//!   second round (§6), and slots reported as undecryptable rather than
//!   published with too little noise;
//! * [`ledger`] — a household's privacy ledger ε(t) = X_t / λ(t), summed
//!   over windows of s slots (§7.3);
//! * [`node`] — one node type for the simulator: meter or supplier;
//! * [`durable`] — what a meter and the supplier keep across a restart
//!   (the network runtime's durable state).

pub mod durable;
pub mod ledger;
pub mod messages;
pub mod meter;
pub mod node;
pub mod noise;
pub mod params;
pub mod supplier;

pub use ledger::PrivacyLedger;
pub use messages::DreamMessage;
pub use meter::Meter;
pub use node::{DreamEvent, DreamNode, DreamTimer, SlotOutcome, SlotStatus};
pub use noise::NoiseKind;
pub use params::{ClusterPlan, DreamParams, Lambda};
pub use supplier::Supplier;
