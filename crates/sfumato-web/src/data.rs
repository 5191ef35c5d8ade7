//! What the charts draw, computed from a run (the page's script computes
//! the same figures as the slider and the window move; the browser tests
//! compare them with these).

use serde_json::{Value, json};
use sfumato_results::{IterationRecord, Kind, NewRun};

/// Euclidean distance between `a` and `b` over their common length.
pub fn euclidean(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// `v` z-normalised: mean 0, standard deviation 1 (all zeros if flat).
pub fn z_normalise(v: &[f64]) -> Vec<f64> {
    let n = v.len().max(1) as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt();
    if sd < 1e-12 {
        return vec![0.0; v.len()];
    }
    v.iter().map(|x| (x - mean) / sd).collect()
}

/// The centroid closest to `series`, and its distance.
pub fn closest(series: &[f64], centroids: &[Vec<f64>]) -> Option<(usize, f64)> {
    centroids
        .iter()
        .enumerate()
        .map(|(i, c)| (i, euclidean(series, c)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

/// The centroids a participant is compared with at an iteration: the
/// published ones, or the exact means if none was published.
pub fn centroids_at(it: &IterationRecord) -> &[Vec<f64>] {
    if it.centroids_after.is_empty() {
        &it.centroids_before
    } else {
        &it.centroids_after
    }
}

/// Profiles and their distances, closest first.
pub type Ranked = Vec<(usize, f64)>;

/// "What can Bob do" (paper 003): the profiles closest to Bob's values
/// in `[start, start + len)`, compared over the same slots, by Euclidean
/// and by z-normalised distance, closest first.
pub fn window_matches(
    bob: &[f64],
    start: usize,
    len: usize,
    profiles: &[Vec<f64>],
) -> (Ranked, Ranked) {
    let end = (start + len).min(bob.len());
    let start = start.min(end);
    let w = &bob[start..end];
    let zw = z_normalise(w);
    let mut eu = Vec::new();
    let mut zn = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        if p.len() < end {
            continue;
        }
        let pw = &p[start..end];
        eu.push((i, euclidean(w, pw)));
        zn.push((i, euclidean(&zw, &z_normalise(pw))));
    }
    eu.sort_by(|a, b| a.1.total_cmp(&b.1));
    zn.sort_by(|a, b| a.1.total_cmp(&b.1));
    (eu, zn)
}

/// The profiles Bob is matched against: the last published centroids.
pub fn profiles(run: &NewRun) -> Vec<Vec<f64>> {
    run.iterations
        .iter()
        .rev()
        .find(|i| !i.centroids_after.is_empty())
        .map(|i| i.centroids_after.clone())
        .unwrap_or_default()
}

/// Participant #213, Bob, if his series was sampled.
pub const BOB: u32 = 213;

/// Four of the sampled participants (not Bob), drawn from the run's seed.
pub fn picked(run: &NewRun) -> Vec<u32> {
    let mut ids: Vec<u32> = run
        .series
        .iter()
        .map(|s| s.participant)
        .filter(|p| *p != BOB)
        .collect();
    // A seeded Fisher–Yates shuffle (splitmix64): the same four every time.
    let mut x = run.seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = x;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..ids.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        ids.swap(i, j);
    }
    ids.truncate(4);
    ids.sort_unstable();
    ids
}

/// The charts a run can be downloaded by.
pub fn charts(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Cluster => &["inertia", "centroids", "series", "timings", "traffic"],
        Kind::Dream => &["slots", "ledger"],
        Kind::Query => &["answers"],
    }
}

fn csv_num(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| v.to_string())
}

/// Chart `chart` of `run` as CSV (a header line, then rows), if the run
/// has it.
pub fn chart_csv(run: &NewRun, chart: &str) -> Option<String> {
    let mut out = String::new();
    match (run.kind, chart) {
        (Kind::Cluster, "inertia") => {
            out.push_str("iteration,epsilon,inertia_before_noise,inertia_after_noise\n");
            for i in &run.iterations {
                out.push_str(&format!(
                    "{},{},{},{}\n",
                    i.iteration,
                    csv_num(i.epsilon),
                    csv_num(i.inertia_before),
                    csv_num(i.inertia_after)
                ));
            }
        }
        (Kind::Cluster, "centroids") => {
            out.push_str("iteration,stage,centroid,slot,value\n");
            for i in &run.iterations {
                for (stage, cs) in [
                    ("before_noise", &i.centroids_before),
                    ("after_noise", &i.centroids_after),
                ] {
                    for (c, v) in cs.iter().enumerate() {
                        for (t, x) in v.iter().enumerate() {
                            out.push_str(&format!("{},{stage},{c},{t},{x}\n", i.iteration));
                        }
                    }
                }
            }
        }
        (Kind::Cluster, "series") => {
            out.push_str("participant,slot,value\n");
            for s in &run.series {
                for (t, x) in s.values.iter().enumerate() {
                    out.push_str(&format!("{},{t},{x}\n", s.participant));
                }
            }
        }
        (Kind::Cluster, "timings") => {
            out.push_str("operation,key_bits,iteration,micros_per_participant,measured\n");
            for t in &run.timings {
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    t.operation, t.key_bits, t.iteration, t.micros_per_participant, t.measured
                ));
            }
        }
        (Kind::Cluster, "traffic") => {
            out.push_str("key_bits,bytes_per_participant,messages_per_participant\n");
            for t in &run.traffic {
                out.push_str(&format!(
                    "{},{},{}\n",
                    t.key_bits, t.bytes_per_participant, t.messages_per_participant
                ));
            }
        }
        (Kind::Dream, "slots") => {
            out.push_str("slot,published_kwh,true_kwh,clusters_published\n");
            for s in &run.slots {
                out.push_str(&format!(
                    "{},{},{},{}\n",
                    s.slot,
                    csv_num(s.published),
                    s.truth,
                    s.reporting.map_or(String::new(), |r| r.to_string())
                ));
            }
        }
        (Kind::Dream, "ledger") => {
            out.push_str("slots,mean_worst_epsilon,max_worst_epsilon\n");
            for l in run.report.get("privacy_ledger")?.as_array()? {
                out.push_str(&format!(
                    "{},{},{}\n",
                    l.get("slots")?,
                    l.get("mean_worst_epsilon")?,
                    l.get("max_worst_epsilon")?
                ));
            }
        }
        (Kind::Query, "answers") => {
            out.push_str("number,window,latency_ms,answer,truth\n");
            for a in &run.answers {
                let cell = |v: &Value| format!("\"{}\"", v.to_string().replace('"', "\"\""));
                out.push_str(&format!(
                    "{},{},{},{},{}\n",
                    a.number,
                    a.window,
                    a.latency_ms,
                    cell(a.answer.get("partial").unwrap_or(&a.answer)),
                    cell(&a.truth)
                ));
            }
        }
        _ => return None,
    }
    Some(out)
}

/// Chart `chart` of `run` as JSON, if the run has it.
pub fn chart_json(run: &NewRun, chart: &str) -> Option<Value> {
    Some(match (run.kind, chart) {
        (Kind::Cluster, "inertia") => json!(run.iterations.iter().map(|i| json!({
            "iteration": i.iteration, "epsilon": i.epsilon,
            "inertia_before_noise": i.inertia_before, "inertia_after_noise": i.inertia_after,
        })).collect::<Vec<_>>()),
        (Kind::Cluster, "centroids") => json!(
            run.iterations
                .iter()
                .map(|i| json!({
                    "iteration": i.iteration,
                    "before_noise": i.centroids_before, "after_noise": i.centroids_after,
                }))
                .collect::<Vec<_>>()
        ),
        (Kind::Cluster, "series") => serde_json::to_value(&run.series).ok()?,
        (Kind::Cluster, "timings") => serde_json::to_value(&run.timings).ok()?,
        (Kind::Cluster, "traffic") => serde_json::to_value(&run.traffic).ok()?,
        (Kind::Dream, "slots") => serde_json::to_value(&run.slots).ok()?,
        (Kind::Dream, "ledger") => run.report.get("privacy_ledger")?.clone(),
        (Kind::Query, "answers") => serde_json::to_value(&run.answers).ok()?,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_and_matches() {
        assert_eq!(euclidean(&[0.0, 3.0], &[4.0, 0.0]), 5.0);
        let z = z_normalise(&[1.0, 2.0, 3.0]);
        assert!((z.iter().sum::<f64>()).abs() < 1e-12);
        assert_eq!(z_normalise(&[2.0, 2.0]), vec![0.0, 0.0]);
        let profiles = vec![vec![0.0, 0.0, 10.0, 20.0], vec![5.0, 5.0, 1.0, 2.0]];
        assert_eq!(closest(&[4.0, 4.0, 1.0, 1.0], &profiles).unwrap().0, 1);
        let (eu, zn) = window_matches(&[9.0, 9.0, 100.0, 200.0], 2, 2, &profiles);
        // Bob's window (100, 200) is nearest profile 0 (10, 20) by value;
        // by shape, both rise alike.
        assert_eq!(eu[0].0, 0);
        assert!(zn[0].1 < 1e-9 && zn[1].1 < 1e-9);
    }
}
