//! The demo's DREAM step: the real protocol — keys, masks, shares, the
//! supplier's sums — in the simulator on the demo's households, for a few
//! cluster sizes, in the evening slots.

use rand_chacha::ChaCha20Rng;
use serde_json::json;
use sfumato_dp::Epsilon;
use sfumato_protocol::dream::NoiseKind;

use crate::commands::demo::{Scenario, Section};
use crate::error::CliError;
use sfumato_study::dream::data::{Households, generate};
use sfumato_study::dream::{Deployment, deploy};

/// Households taken into the step (pairwise keys cost N − 1 key agreements
/// per meter, so the step stays small).
const HOUSEHOLDS: u64 = 300;
/// Cluster sizes shown.
const SIZES: [u32; 3] = [10, 30, 100];
/// Slots from 18:00 on, at 30 minutes.
const FIRST_SLOT: usize = 36;
const SLOTS: usize = 6;

/// The section.
pub(crate) fn dream(sc: &Scenario, _rng: &mut ChaCha20Rng) -> Result<Section, CliError> {
    let households = HOUSEHOLDS.min(sc.meters);
    let day = generate(households, "30m".parse()?, sc.seed)?;
    let evening = Households {
        resolution: day.resolution,
        totals: day
            .totals
            .iter()
            .map(|t| t[FIRST_SLOT..FIRST_SLOT + SLOTS].to_vec())
            .collect(),
        appliances: Vec::new(),
    };
    let mut lines = vec![
        format!(
            "{households} households, 18:00–21:00 in 30-minute slots; λ(t) = the cluster's largest reading, ε = 1 per slot;"
        ),
        "M = 10% of N tolerated, 5% of the meters fail in each slot (DREAM §6).".to_string(),
        String::new(),
        "     N  clusters  published  mean error (Def. 2)".to_string(),
    ];
    let mut rows = Vec::new();
    for n in SIZES {
        if u64::from(n) > households {
            continue;
        }
        let d = Deployment {
            cluster_size: n,
            tolerate: n / 10,
            epsilon: Epsilon::parse("1")?,
            sensitivity: None,
            unit_wh: 1,
            partners: 10.0,
            noise: NoiseKind::Discrete,
            fail_rate: 0.05,
            seed: sc.seed,
            workers: 1,
            slots: SLOTS,
        };
        let o = deploy(&evening, &d)?;
        let (mean, published, total) = o.cluster_error(&evening);
        lines.push(format!(
            "{n:>6}  {:>8}  {published:>4}/{total:<4}  {mean:.3}",
            o.clusters.len()
        ));
        rows.push(
            json!({ "cluster_size": n, "clusters": o.clusters.len(), "published": published,
                          "cluster_slots": total, "mean_error": mean }),
        );
    }
    lines.push(String::new());
    lines.push("Bigger clusters, smaller error: the noise is set by one household, the total grows with N.".to_string());
    lines.push(
        "Slots with more than M meters missing are not published (never with too little noise)."
            .to_string(),
    );
    Ok(Section {
        lines,
        json: json!({ "households": households, "rows": rows }),
    })
}
