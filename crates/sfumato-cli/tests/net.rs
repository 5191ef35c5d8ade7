//! End-to-end tests of `sfumato net …`: DREAM as real host processes on
//! loopback, compared with the simulator, with hosts killed (SIGKILL) and
//! restarted mid-run.

mod common;
use common::{bad, json_report, ok, s, scratch};

use std::sync::{Mutex, MutexGuard};

/// The deployments of these tests are real-time: one at a time, so that
/// they do not share the machine's cores with each other.
fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn loopback_on_the_test_seed_publishes_exactly_the_simulators_totals() {
    let _serial = one_at_a_time();
    let dir = scratch("net-equal").join("dep");
    let v = json_report(&[
        "net",
        "up",
        "--dir",
        s(&dir),
        "--households",
        "30",
        "--cluster-size",
        "10",
        "--tolerate",
        "2",
        "--epsilon",
        "1",
        "--slots",
        "3",
        "--processes",
        "2",
        "--slot-ms",
        "400",
        "--setup-ms",
        "800",
        "--start-in-ms",
        "800",
        "--insecure-test-seed",
        "1",
        "--seed",
        "1",
        "--compare",
    ]);
    assert_eq!(v["command"], "net up");
    assert_eq!(v["insecure_test_seed"], true);
    let eq = &v["simulator_equal"];
    assert_eq!(eq["cluster_slots"], 9, "{v}");
    assert_eq!(eq["equal"], 9, "{v}");
    assert_eq!(v["cluster_slots"]["published"], 9);
    assert_eq!(v["counters"]["rejected_peers"], 0);
    // The same report as dream run: per-slot true and published totals.
    let slots = v["slots"].as_array().unwrap();
    assert_eq!(slots.len(), 3);
    assert!(slots.iter().all(|r| r["published_clusters"] == 3));
    // Without the test seed, --compare is refused (OS randomness cannot match).
    bad(
        &[
            "net",
            "up",
            "--households",
            "30",
            "--cluster-size",
            "10",
            "--epsilon",
            "1",
            "--compare",
        ],
        "--insecure-test-seed",
    );
}

#[test]
fn killed_meters_are_recovered_and_a_killed_supplier_publishes_no_slot_twice() {
    let _serial = one_at_a_time();
    let dir = scratch("net-kill").join("dep");
    // Three meter hosts: killing one takes 4 of each cluster's 12 meters,
    // which M = 4 tolerates (DREAM §6).
    let v = json_report(&[
        "net",
        "up",
        "--dir",
        s(&dir),
        "--households",
        "36",
        "--cluster-size",
        "12",
        "--tolerate",
        "4",
        "--epsilon",
        "1",
        "--slots",
        "8",
        "--processes",
        "3",
        "--slot-ms",
        "600",
        "--setup-ms",
        "1000",
        "--start-in-ms",
        "800",
        "--audit",
        "--kill-meters-at-slot",
        "2",
        "--kill-supplier-at-slot",
        "5",
        "--down-slots",
        "1",
    ]);
    assert_eq!(v["kills_ms"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["settled_twice"], 0);
    assert_eq!(v["readings_twice"], 0);
    assert_eq!(v["insecure_test_seed"], false);
    let slots = v["slots"].as_array().unwrap();
    // Before any kill, and the slots the killed meters missed: all
    // published (recovered by the second round).
    for (t, slot) in slots.iter().enumerate().take(5) {
        assert_eq!(slot["published_clusters"], 3, "slot {t}: {v}");
    }
    // After the supplier's restart the last slot is published again.
    assert_eq!(slots[7]["published_clusters"], 3, "{v}");

    // The stores, read as a utility would: the meters' restarts left them
    // keyed and restored, and every published slot had at least N − M
    // noise shares in it (none under-noised).
    let d = sfumato_study::dream::network::load(&dir).unwrap();
    let o = sfumato_study::dream::network::collect(&d, &[]).unwrap();
    let mut published = 0;
    for s in &o.settled {
        if s.outcome.published.is_some() {
            published += 1;
            assert!(s.outcome.reporting >= 12 - 4, "{:?}", s.outcome);
        }
    }
    assert!(published >= 18, "{published}");
    assert_eq!(o.settled_twice, 0);
    // `net report` reads the same back.
    let r = json_report(&["net", "report", "--dir", s(&dir)]);
    assert_eq!(r["command"], "net report");
    assert_eq!(r["slots"], v["slots"]);
}

#[test]
fn bad_deployments_and_arguments_get_one_line() {
    let dir = scratch("net-bad");
    // A file that cannot be read is an I/O failure: exit 1, one line.
    let out = common::sfumato(&["net", "run", "--dir", s(&dir.join("none")), "--host", "0"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.starts_with("error:") && err.lines().count() == 1 && err.contains("study.json"),
        "{err}"
    );
    let dep = dir.join("dep");
    ok(&[
        "net",
        "create",
        "--dir",
        s(&dep),
        "--households",
        "20",
        "--cluster-size",
        "10",
        "--epsilon",
        "1",
        "--processes",
        "1",
    ]);
    bad(
        &[
            "net",
            "create",
            "--dir",
            s(&dep),
            "--households",
            "20",
            "--cluster-size",
            "10",
            "--epsilon",
            "1",
        ],
        "not empty",
    );
    bad(
        &["net", "run", "--dir", s(&dep), "--host", "7"],
        "no host 7",
    );
    std::fs::write(dep.join("directory.json"), "{ \"deployment\": 1 }").unwrap();
    bad(
        &["net", "run", "--dir", s(&dep), "--host", "0"],
        "directory.json",
    );
    bad(
        &[
            "net",
            "up",
            "--households",
            "20",
            "--cluster-size",
            "10",
            "--epsilon",
            "1",
            "--slots",
            "3",
            "--kill-meters-at-slot",
            "9",
        ],
        "slot 9 is not run",
    );
    bad(
        &[
            "net",
            "up",
            "--households",
            "20",
            "--cluster-size",
            "10",
            "--tolerate",
            "10",
            "--epsilon",
            "1",
        ],
        "--tolerate",
    );
}

#[test]
fn chiaroscuro_runs_over_loopback_with_real_damgard_jurik() {
    let _serial = one_at_a_time();
    let dir = scratch("net-cluster").join("dep");
    let v = json_report(&[
        "net",
        "cluster",
        "--dir",
        s(&dir),
        "--synthetic",
        "cer",
        "--participants",
        "20",
        "--k",
        "3",
        "--key-bits",
        "512",
        "--iterations",
        "1",
        "--epsilon",
        "50",
        "--hosts",
        "3",
        "--period-ms",
        "250",
        "--start-in-ms",
        "800",
        "--quiet",
    ]);
    assert_eq!(v["command"], "net cluster");
    assert_eq!(v["encryption"], "damgard-jurik");
    assert_eq!(v["secure"], true);
    assert_eq!(v["participants"], 20);
    assert_eq!(v["insecure_test_seed"], false);
    // Every participant got the iteration's result, decrypted by key
    // holders that combined τ partial decryptions over the network.
    let it = &v["iterations"][0];
    assert_eq!(it["participants_with_result"], 20, "{v}");
    assert_eq!(it["results"], 1, "{v}");
    assert!(it["intra_after"].as_f64().is_some(), "{v}");
    assert!(v["decryptions"].as_u64().unwrap() >= 1, "{v}");
    assert_eq!(v["exchanges"]["errors"], 0, "{v}");
    assert!(
        v["exchanges"]["sum_exchanges"].as_u64().unwrap() > 100,
        "{v}"
    );
    assert_eq!(v["counters"]["rejected_peers"], 0);
    assert!(v["counters"]["frames_in"].as_u64().unwrap() > 0);
    // The key holders' shares are on their hosts only; the public key is
    // the only key in the directory.
    for public in ["public.json", "cluster.json", "directory.json"] {
        let text = std::fs::read_to_string(dir.join(public)).unwrap();
        assert!(!text.contains("\"share\":"), "{public} holds a key share");
    }
    // The plaintext stand-in is the simulator's only.
    bad(
        &[
            "net",
            "cluster",
            "--synthetic",
            "cer",
            "--participants",
            "20",
            "--k",
            "3",
            "--encryption",
            "insecure-plaintext",
        ],
        "simulator's only",
    );
}
