//! Known-answer vectors from the papers (`tests/vectors/<paper>/`), and a
//! replay vector that pins every sampler's output for a fixed seed: a change
//! that alters any sample — and so breaks bit-for-bit replay of recorded runs
//! — fails here and must be made on purpose (`SFUMATO_BLESS=1` rewrites it).

use std::path::PathBuf;

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use serde_json::{Value, json};
use sfumato_dp::calibrate::vector_sum_sensitivity;
use sfumato_dp::error_metric::theorem2_bounds;
use sfumato_dp::gossip::{GossipParameters, atoms, exchanges_for_delta, iota};
use sfumato_dp::{AggregateNoise, Mechanism};

fn vector(path: &str) -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors")
        .join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn u(v: &Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn chiaroscuro_sensitivities() {
    for case in vector("chiaroscuro/appendix_b.json")["sensitivity"]
        .as_array()
        .unwrap()
    {
        let s = vector_sum_sensitivity(u(&case["length"]), f(&case["d_min"]), f(&case["d_max"]));
        assert_eq!(s.unwrap(), f(&case["sensitivity"]), "{}", case["what"]);
    }
}

#[test]
fn chiaroscuro_exchange_counts() {
    let v = vector("chiaroscuro/appendix_b.json");
    for case in v["exchanges"].as_array().unwrap() {
        let params = GossipParameters {
            population: u(&case["population"]),
            variance: f(&case["variance"]),
            e_max: f(&case["e_max"]),
        };
        let (it, n) = (u(&case["max_iterations"]), u(&case["length"]));
        assert_eq!(atoms(it, n).unwrap(), u(&case["atoms"]));
        let i = iota(f(&case["delta"]), it, n).unwrap();
        assert!((i / f(&case["iota_approx"]) - 1.0).abs() < 0.05, "ι = {i}");
        let ne = exchanges_for_delta(&params, f(&case["delta"]), it, n).unwrap();
        assert_eq!(ne, u(&case["exchanges"]));
    }
    for case in v["iota_after"].as_array().unwrap() {
        let params = GossipParameters {
            population: u(&case["population"]),
            variance: f(&case["variance"]),
            e_max: f(&case["e_max"]),
        };
        let i = params.iota_after(u(&case["exchanges"])).unwrap();
        let ratio = i / f(&case["iota_order"]);
        assert!((0.5..2.0).contains(&ratio), "ι = {i}");
    }
}

#[test]
fn dream_theorem2() {
    for case in vector("dream/theorem2.json")["cases"].as_array().unwrap() {
        let (mu, sigma) = theorem2_bounds(f(&case["alpha"]), 1.0, 0.0).unwrap();
        assert!((mu - f(&case["mu"])).abs() < 1e-12, "{case}");
        assert!((sigma - f(&case["sigma"])).abs() < 1e-12, "{case}");
    }
}

fn replay_document() -> Value {
    let mut mechanisms = serde_json::Map::new();
    for m in Mechanism::ALL {
        let parties = if m.is_distributed() { 7 } else { 1 };
        let noise = AggregateNoise::new(m, "2.5", parties).unwrap();
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let samples: Vec<String> = (0..8).map(|_| noise.draw(&mut rng).to_string()).collect();
        mechanisms.insert(
            m.name().to_string(),
            json!({ "parties": parties, "samples": samples }),
        );
    }
    json!({
        "what": "first 8 draws of each mechanism, scale 2.5, ChaCha20Rng::seed_from_u64(42)",
        "mechanisms": mechanisms,
    })
}

#[test]
fn samplers_replay_bit_for_bit() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/dp/replay_seed42.json");
    let now = replay_document();
    if std::env::var_os("SFUMATO_BLESS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let recorded: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(now, recorded, "sampler output changed for a fixed seed");
}
