//! The dashboard's routes, in process: pages render from a store, downloads
//! match it, and bad stores, ids and parameters are clear pages.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use sfumato_results::{
    AnswerRecord, IterationRecord, Kind, NewRun, SeriesRecord, SlotRecord, Store, TrafficRecord,
};
use tower::ServiceExt;

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sfumato-web-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("runs.sqlite")
}

fn cluster() -> NewRun {
    let mut r = NewRun::new(Kind::Cluster, "cer <b>600</b>", 3, json!({}), json!({}));
    r.insecure = true;
    let c = |x: f64| vec![x; 24];
    r.iterations = vec![
        IterationRecord {
            iteration: 0,
            epsilon: Some(0.3),
            inertia_before: Some(100.0),
            inertia_after: Some(120.0),
            centroids_before: vec![c(1.0), c(5.0), c(9.0)],
            centroids_after: vec![c(1.5), c(5.5)],
        },
        IterationRecord {
            iteration: 1,
            epsilon: Some(0.39),
            inertia_before: Some(90.0),
            inertia_after: Some(95.0),
            centroids_before: vec![c(1.2), c(5.2)],
            centroids_after: vec![c(0.9), c(6.0)],
        },
    ];
    r.series = [3u32, 17, 40, 99, 150, 213]
        .iter()
        .map(|p| SeriesRecord {
            participant: *p,
            values: (0..24)
                .map(|t| f64::from(*p % 7) + f64::from(t) / 10.0)
                .collect(),
        })
        .collect();
    r.traffic = vec![TrafficRecord {
        key_bits: 0,
        bytes_per_participant: 1000.0,
        messages_per_participant: 10.0,
    }];
    r
}

fn store(name: &str) -> std::path::PathBuf {
    let path = temp(name);
    let mut s = Store::open(&path).unwrap();
    s.record(&cluster()).unwrap();
    let mut d = NewRun::new(
        Kind::Dream,
        "dream",
        1,
        json!({}),
        json!({"privacy_ledger": [{"slots": 3, "mean_worst_epsilon": 0.5, "max_worst_epsilon": 0.9}]}),
    );
    d.slots = vec![SlotRecord {
        slot: 0,
        published: Some(10.5),
        truth: 10.0,
        reporting: Some(3),
    }];
    s.record(&d).unwrap();
    let mut q = NewRun::new(Kind::Query, "query", 1, json!({}), json!({}));
    q.answers = vec![AnswerRecord {
        number: 1,
        window: 0,
        answer: json!({"partial": [{"Sum": 5}], "groups_agreeing": 3, "groups_heard": 3}),
        truth: json!([{"Sum": 5}]),
        latency_ms: 40.0,
    }];
    s.record(&q).unwrap();
    path
}

async fn get(store: &std::path::Path, uri: &str) -> (StatusCode, String) {
    let app = sfumato_web::router(store.to_path_buf());
    let res = app
        .oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

#[tokio::test]
async fn pages_render_from_the_store_and_escape_what_it_holds() {
    let st = store("pages");
    let (s, index) = get(&st, "/").await;
    assert_eq!(s, StatusCode::OK);
    assert!(index.contains("cer &lt;b&gt;600&lt;/b&gt;"), "{index}");
    assert!(index.contains("INSECURE stand-in"));
    let (s, page) = get(&st, "/run/1?iter=1&w=2,5").await;
    assert_eq!(s, StatusCode::OK);
    for id in [
        "participants",
        "inertia",
        "centroids",
        "timings",
        "traffic",
        "bob",
        "iter",
        "bob-euclid",
        "bob-znorm",
    ] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    // The server's own figures at iteration 1: participant 3 (values 3.0
    // to 5.3) is closest to published centroid 1 (6.0 everywhere, against
    // 0.9), as data::closest says.
    let run = cluster();
    let (c, d) =
        sfumato_web::data::closest(&run.series[0].values, &run.iterations[1].centroids_after)
            .unwrap();
    assert_eq!(c, 1);
    assert!(
        page.contains(&format!(
            "id=\"closest-3\">closest centroid 1, distance {d:.3}"
        )),
        "{page}"
    );
    assert!(page.contains("value=\"2\"") && page.contains("value=\"5\""));
    let (s, dream) = get(&st, "/run/2").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        dream.contains("id=\"slots-chart\"") && dream.contains("0.9000"),
        "{dream}"
    );
    let (s, q) = get(&st, "/run/3").await;
    assert_eq!(s, StatusCode::OK);
    assert!(q.contains("40.0 ms") && q.contains("3/3"));
    let (s, js) = get(&st, "/assets/uPlot.iife.min.js").await;
    assert_eq!(s, StatusCode::OK);
    assert!(js.len() > 40_000);
    let (s, _) = get(&st, "/run?id=2").await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn downloads_are_the_store_s_numbers() {
    let st = store("downloads");
    let (s, csv) = get(&st, "/api/run/1/inertia.csv").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        csv,
        "iteration,epsilon,inertia_before_noise,inertia_after_noise\n0,0.3,100,120\n1,0.39,90,95\n"
    );
    let (_, json) = get(&st, "/api/run/2/slots.json").await;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["published"], 10.5);
    let (_, all) = get(&st, "/api/run/1").await;
    let v: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert_eq!(v["run"]["iterations"][1]["centroids_after"][1][0], 6.0);
    let (s, _) = get(&st, "/api/run/3/answers.csv").await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn bad_stores_ids_and_parameters_are_clear_pages() {
    let st = store("bad");
    for (uri, status, needle) in [
        ("/run/99", StatusCode::NOT_FOUND, "There is no run 99"),
        ("/run/abc", StatusCode::BAD_REQUEST, "not a run number"),
        ("/run/1?iter=x", StatusCode::BAD_REQUEST, "iter must be"),
        ("/run/1?w=3", StatusCode::BAD_REQUEST, "START,LENGTH"),
        ("/run/1?w=3,0", StatusCode::BAD_REQUEST, "LENGTH at least 1"),
        ("/api/run/1/slots.csv", StatusCode::NOT_FOUND, "no chart"),
        (
            "/api/run/1/inertia.xml",
            StatusCode::BAD_REQUEST,
            "CHART.csv",
        ),
        ("/nowhere", StatusCode::NOT_FOUND, "no such page"),
        ("/run", StatusCode::BAD_REQUEST, "choose a run"),
    ] {
        let (s, body) = get(&st, uri).await;
        assert_eq!(s, status, "{uri}");
        assert!(body.contains(needle), "{uri}: {body}");
    }
    // A store that is not one, a missing one.
    let text = temp("text");
    std::fs::write(&text, "x".repeat(5000)).unwrap();
    let (s, body) = get(&text, "/").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("not a sfumato results store"), "{body}");
    let (s, body) = get(&temp("missing"), "/run/1").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(body.contains("no such file"), "{body}");
}
