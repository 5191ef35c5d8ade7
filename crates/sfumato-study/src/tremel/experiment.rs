//! Tremel §7.3's experiments: Figure 5 (a day of half-hourly queries on
//! 1,019 meters), Figures 6 and 7 (latency and data per meter against n,
//! with `t = ⌈log₂ n⌉`, with and without `t` failures) and the
//! high-failure protocol's runs on 797 meters.

use serde::{Deserialize, Serialize};
use sfumato_protocol::Time;
use sfumato_protocol::tremel::{Aggregate, Echo, QuerySpec, Variant};
use sfumato_traces::Resolution;

use crate::error::Result;
use crate::tremel::costs::{OnionCosts, measure, measure_byzantine};
use crate::tremel::data::{FIELD_DSM, FIELD_TOTAL, MeterRecords, generate};
use crate::tremel::plan::{Crypto, Deployment};
use crate::tremel::study::{QueryOutcome, QueryStudy, run};

/// Figure 5: 1,019 meters with heating and cooling, a query every half
/// hour for a day asking for the total and the DSM energy since the last.
pub fn figure5(seed: u64, crypto: Crypto, workers: usize) -> Result<(MeterRecords, QueryOutcome)> {
    let records = generate(1019, Resolution::from_minutes(30)?, true, "us", seed)?;
    let mut d = Deployment::new(1019, seed);
    d.crypto = crypto;
    let study = QueryStudy {
        deployment: d,
        spec: QuerySpec::new(vec![
            Aggregate::Sum(FIELD_TOTAL),
            Aggregate::Sum(FIELD_DSM),
            Aggregate::Count,
        ])
        .map_err(|e| crate::StudyError::usage(e.to_string()))?,
        queries: 48,
        every: Time::from_millis(30 * 60_000),
        fail_at_start: 0,
        crashes: Vec::new(),
        costs: None,
        workers,
        byzantine: Vec::new(),
    };
    let o = run(&study, &records)?;
    Ok((records, o))
}

/// One point of Figures 6 and 7.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScalePoint {
    /// Meters.
    pub meters: u64,
    /// Overlay size.
    pub n: u64,
    /// Failures tolerated.
    pub t: u32,
    /// Nodes failed from the start.
    pub failed: u32,
    /// The protocol.
    pub variant: Variant,
    /// The Echo.
    pub echo: Echo,
    /// From the query's broadcast to the owner's decision.
    pub latency: Time,
    /// Bytes sent per meter.
    pub bytes_per_meter: f64,
    /// Items sent per meter (Tremel §7.3 charges 1 kB each).
    pub items_per_meter: f64,
    /// Contributions counted, and meters alive.
    pub count: u64,
    /// Meters that did not fail.
    pub live: u64,
    /// Multicasts without node-disjoint paths.
    pub overlapping_multicasts: u64,
    /// Onion CPU per meter at the measured costs (layers sealed, and
    /// peeled or tried), charged to the simulation or not.
    pub cpu_per_meter: Time,
    /// Public-key operations per meter: onion layers sealed and peeled
    /// (one X25519 each), and in the Byzantine variant Ed25519 signatures
    /// and checks and RSA checks of tuples — Tremel §7.1 counts
    /// `O(log² n)` encryptions per node.
    pub public_key_ops_per_meter: f64,
    /// `⌈log₂ n⌉²`, for comparison.
    pub log2_n_squared: u64,
    /// Wall-clock seconds of the simulation.
    pub wall_seconds: f64,
    /// Peak memory, bytes.
    pub peak_memory_bytes: u64,
}

/// How Figures 6 and 7 are run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScaleSetup {
    /// The protocol.
    pub variant: Variant,
    /// The Echo.
    pub echo: Echo,
    /// `t`, or `None` for `⌈log₂ n⌉`; with `HighFailure`, a share of `n`.
    pub t: Option<u32>,
    /// Share of nodes failed from the start, or `None` for `t` of them.
    pub fail_share: Option<f64>,
    /// One round.
    pub round: Time,
    /// The seed.
    pub seed: u64,
    /// Worker threads.
    pub workers: usize,
    /// Whether the simulation charges the measured CPU costs (they are
    /// reported either way).
    pub charge_costs: bool,
}

/// The measured CPU costs of this deployment's onions.
pub fn onion_costs(meters: u64, setup: &ScaleSetup) -> Result<OnionCosts> {
    let mut d = Deployment::new(meters, setup.seed);
    d.variant = setup.variant;
    d.t = setup.t;
    let mut c = measure(&d.formats(2)?, 20)?;
    if setup.variant == Variant::Byzantine {
        c.byzantine = Some(measure_byzantine(20)?);
    }
    Ok(c)
}

/// One query on `meters` generated meters, with the stand-in and the
/// measured costs, without failures or with `t` (or `fail_share · n`)
/// nodes failed from the start.
pub fn scale_point(
    meters: u64,
    failures: bool,
    setup: &ScaleSetup,
    costs: &OnionCosts,
) -> Result<ScalePoint> {
    let records = generate(
        meters,
        Resolution::from_minutes(30)?,
        false,
        "us",
        setup.seed,
    )?;
    let mut d = Deployment::new(meters, setup.seed);
    d.variant = setup.variant;
    d.echo = setup.echo;
    d.t = setup.t;
    d.round_length = setup.round;
    d.crypto = Crypto::InsecurePlaintext;
    let (_, params) = d.params()?;
    let fail = match (failures, setup.fail_share) {
        (false, _) => 0,
        (true, Some(share)) => (share * params.n as f64).round() as u32,
        (true, None) => params.t,
    };
    let study = QueryStudy {
        deployment: d,
        spec: QuerySpec::new(vec![Aggregate::Sum(FIELD_TOTAL), Aggregate::Count])
            .map_err(|e| crate::StudyError::usage(e.to_string()))?,
        queries: 1,
        every: Time::from_millis(60_000),
        fail_at_start: fail,
        crashes: Vec::new(),
        costs: setup.charge_costs.then_some(*costs),
        workers: setup.workers,
        byzantine: Vec::new(),
    };
    let o = run(&study, &records)?;
    let row = o.rows.first();
    let st = o.traffic.stats;
    let clients = o.traffic.clients.max(1);
    Ok(ScalePoint {
        meters,
        n: o.size.size,
        t: o.t,
        failed: fail,
        variant: setup.variant,
        echo: setup.echo,
        latency: row.map_or(Time::ZERO, |r| r.latency()),
        bytes_per_meter: o.traffic.mean_bytes(),
        items_per_meter: o.traffic.stats.items_sent as f64 / o.traffic.clients.max(1) as f64,
        count: row.map_or(0, |r| r.answer.count),
        live: row.map_or(0, |r| r.live_meters),
        overlapping_multicasts: o.traffic.stats.overlapping_multicasts,
        cpu_per_meter: Time(
            (st.sealed_layers as f64 * costs.seal_layer.0 as f64
                + st.peeled_layers as f64 * costs.peel_layer.0 as f64
                + costs.byzantine.map_or(0.0, |b| {
                    st.signatures as f64 * b.sign.0 as f64
                        + st.verifications as f64 * b.verify.0 as f64
                        + st.tuple_checks as f64 * b.tuple_verify.0 as f64
                        + st.contributed as f64 * (b.blind.0 + 2 * b.pair_key.0) as f64
                })) as u64
                / clients,
        ),
        public_key_ops_per_meter: (st.sealed_layers
            + st.peeled_layers
            + st.signatures
            + st.verifications
            + st.tuple_checks) as f64
            / clients as f64,
        log2_n_squared: {
            let k = u64::from(64 - (o.size.size.max(2) - 1).leading_zeros());
            k * k
        },
        wall_seconds: o.run.wall_seconds,
        peak_memory_bytes: o.run.peak_memory_bytes,
    })
}
