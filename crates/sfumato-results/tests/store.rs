//! The results store: a run written and read back whole, all or nothing;
//! foreign, corrupt and newer files refused with a clear error.

use std::path::PathBuf;

use serde_json::json;
use sfumato_results::{
    AnswerRecord, IterationRecord, Kind, NewRun, ResultsError, SeriesRecord, SlotRecord, Store,
    TimingRecord, TrafficRecord,
};

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sfumato-results-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("results.sqlite")
}

fn cluster_run() -> NewRun {
    let mut r = NewRun::new(
        Kind::Cluster,
        "numed, ε = 0.69, greedy",
        7,
        json!({"participants": 600, "epsilon": "0.69"}),
        json!({"command": "cluster run", "k": 3}),
    );
    r.created_unix = 1_765_000_000;
    r.insecure = true;
    r.iterations = vec![
        IterationRecord {
            iteration: 0,
            epsilon: Some(0.3),
            inertia_before: Some(10.5),
            inertia_after: Some(12.25),
            centroids_before: vec![vec![1.0, 2.0], vec![3.0, 4.0]],
            centroids_after: vec![vec![1.5, 2.5], vec![3.5, 4.5]],
        },
        IterationRecord {
            iteration: 1,
            epsilon: Some(0.39),
            inertia_before: Some(9.0),
            inertia_after: None,
            centroids_before: vec![vec![1.0, 2.0]],
            centroids_after: vec![],
        },
    ];
    r.timings = vec![TimingRecord {
        operation: "encrypt".into(),
        key_bits: 1024,
        iteration: 1,
        micros_per_participant: 812.5,
        measured: true,
    }];
    r.traffic = vec![TrafficRecord {
        key_bits: 1024,
        bytes_per_participant: 1.5e6,
        messages_per_participant: 140.0,
    }];
    r.series = vec![SeriesRecord {
        participant: 213,
        values: vec![0.5, 0.25, 3.0],
    }];
    r
}

#[test]
fn a_run_is_read_back_whole_and_runs_are_listed_newest_first() {
    let path = temp("roundtrip");
    let mut s = Store::open(&path).unwrap();
    let a = s.record(&cluster_run()).unwrap();
    let mut d = NewRun::new(
        Kind::Dream,
        "dream",
        1,
        json!({}),
        json!({"command": "dream run"}),
    );
    d.slots = vec![SlotRecord {
        slot: 3,
        published: Some(101.5),
        truth: 100.0,
        reporting: Some(99),
    }];
    let b = s.record(&d).unwrap();
    let mut q = NewRun::new(Kind::Query, "query", 2, json!({}), json!({}));
    q.answers = vec![AnswerRecord {
        number: 1,
        window: 0,
        answer: json!({"count": 3}),
        truth: json!([{"Sum": 5}]),
        latency_ms: 12.5,
    }];
    let c = s.record(&q).unwrap();
    drop(s);
    let s = Store::open_read_only(&path).unwrap();
    let list = s.runs().unwrap();
    assert_eq!(list.iter().map(|r| r.id).collect::<Vec<_>>(), vec![c, b, a]);
    assert_eq!(list[2].kind, Kind::Cluster);
    assert!(list[2].insecure);
    assert_eq!(s.run(a).unwrap().run, cluster_run());
    assert_eq!(s.run(b).unwrap().run, d);
    assert_eq!(s.run(c).unwrap().run, q);
    assert!(matches!(s.run(999), Err(ResultsError::UnknownRun(999))));
}

#[test]
fn a_run_that_cannot_be_written_leaves_nothing() {
    let path = temp("atomic");
    let mut s = Store::open(&path).unwrap();
    let mut bad = cluster_run();
    bad.series.push(SeriesRecord {
        participant: 5,
        values: vec![f64::NAN],
    });
    let e = s.record(&bad).unwrap_err();
    assert!(e.to_string().contains("not a finite number"), "{e}");
    // Two series of one participant: the key is violated at the end.
    let mut dup = cluster_run();
    dup.series.push(dup.series[0].clone());
    assert!(s.record(&dup).is_err());
    assert!(s.runs().unwrap().is_empty());
    s.record(&cluster_run()).unwrap();
    assert_eq!(s.runs().unwrap().len(), 1);
}

#[test]
fn foreign_corrupt_missing_and_newer_files_are_refused_clearly() {
    // Not SQLite at all.
    let text = temp("text");
    std::fs::write(&text, "household,slot,kwh\n1,2,3\n".repeat(100)).unwrap();
    let e = Store::open(&text).unwrap_err();
    assert!(e.to_string().contains("not a sfumato results store"), "{e}");
    assert!(Store::open_read_only(&text).is_err());
    // Another application's database.
    let other = temp("other");
    {
        let c = rusqlite_open(&other);
        c.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);")
            .unwrap();
    }
    let e = Store::open(&other).unwrap_err();
    assert!(e.to_string().contains("another application"), "{e}");
    // A store whose pages were overwritten.
    let broken = temp("broken");
    {
        let mut s = Store::open(&broken).unwrap();
        s.record(&cluster_run()).unwrap();
    }
    let mut bytes = std::fs::read(&broken).unwrap();
    let n = bytes.len();
    for b in &mut bytes[100..n] {
        *b = 0xA5;
    }
    std::fs::write(&broken, &bytes).unwrap();
    let r = Store::open_read_only(&broken).and_then(|s| s.runs());
    assert!(r.is_err(), "a corrupt store was read");
    // A missing file, read-only.
    let missing = temp("missing");
    let e = Store::open_read_only(&missing).unwrap_err();
    assert!(e.to_string().contains("no such file"), "{e}");
    // A newer version.
    let newer = temp("newer");
    drop(Store::open(&newer).unwrap());
    rusqlite_open(&newer)
        .execute_batch("PRAGMA user_version = 99;")
        .unwrap();
    let e = Store::open(&newer).unwrap_err();
    assert!(matches!(e, ResultsError::Version { found: 99, .. }), "{e}");
}

fn rusqlite_open(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}
