//! `--store` and `sfumato results …`: runs recorded in the results store
//! and read back; bad stores and run ids are one clear line.

mod common;
use common::{bad, json_report, ok, s, scratch};

#[test]
fn cluster_dream_and_query_runs_are_recorded_and_read_back() {
    let dir = scratch("results-store");
    let store = dir.join("runs.sqlite");
    let st = s(&store);
    let c = json_report(&[
        "cluster",
        "run",
        "--synthetic",
        "cer",
        "--participants",
        "300",
        "--k",
        "4",
        "--epsilon",
        "50",
        "--iterations",
        "2",
        "--encryption",
        "insecure-plaintext",
        "--quiet",
        "--store",
        st,
    ]);
    assert_eq!(c["stored_run"], 1);
    let d = json_report(&[
        "dream",
        "run",
        "--households",
        "60",
        "--cluster-size",
        "20",
        "--tolerate",
        "2",
        "--epsilon",
        "1",
        "--slots",
        "6",
        "--store",
        st,
    ]);
    assert_eq!(d["stored_run"], 2);
    let q = json_report(&[
        "query",
        "run",
        "--meters",
        "29",
        "--t",
        "2",
        "--insecure-plaintext",
        "--store",
        st,
    ]);
    assert_eq!(q["stored_run"], 3);

    let list = json_report(&["results", "list", "--store", st]);
    let runs = list["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[2]["kind"], "cluster");
    assert_eq!(runs[2]["insecure"], true);

    // The cluster run: its report, iterations with centroids on both
    // sides of the noise, traffic, sampled series (Bob, #213, among them).
    let r = json_report(&["results", "show", "--store", st, "--run", "1"]);
    let run = &r["run"];
    assert_eq!(run["report"]["participants"], 300);
    let its = run["iterations"].as_array().unwrap();
    assert!(!its.is_empty());
    let first = &its[0];
    assert_eq!(first["centroids_before"].as_array().unwrap().len(), 4);
    assert!(!first["centroids_after"].as_array().unwrap().is_empty());
    assert_eq!(
        first["inertia_before"], c["iterations"][0]["intra_before"],
        "the store's inertia is the report's"
    );
    assert_eq!(run["traffic"][0]["key_bits"], 0);
    let series = run["series"].as_array().unwrap();
    assert!(series.iter().any(|x| x["participant"] == 213));
    assert_eq!(series[0]["values"].as_array().unwrap().len(), 24);

    // DREAM: six slots, published beside the truth.
    let r = json_report(&["results", "show", "--store", st, "--run", "2"]);
    assert_eq!(r["run"]["slots"].as_array().unwrap().len(), 6);
    assert_eq!(
        r["run"]["slots"][0]["truth"], d["slots"][0]["true_kwh"],
        "the store's truth is the report's"
    );
    // Tremel: the answer beside the truth.
    let r = json_report(&["results", "show", "--store", st, "--run", "3"]);
    assert_eq!(r["run"]["answers"][0]["answer"]["count"], 29);

    let text = ok(&["results", "list", "--store", st]);
    assert!(text.contains("INSECURE"), "{text}");
}

#[test]
fn bad_stores_and_run_ids_are_one_clear_line() {
    let dir = scratch("results-bad");
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a database\n".repeat(200)).unwrap();
    bad(
        &["results", "list", "--store", s(&text)],
        "not a sfumato results store",
    );
    bad(
        &[
            "dream",
            "run",
            "--households",
            "20",
            "--cluster-size",
            "10",
            "--tolerate",
            "1",
            "--epsilon",
            "1",
            "--slots",
            "2",
            "--store",
            s(&text),
        ],
        "not a sfumato results store",
    );
    // The text file is untouched.
    assert_eq!(
        std::fs::read_to_string(&text).unwrap(),
        "not a database\n".repeat(200)
    );
    let store = dir.join("runs.sqlite");
    bad(&["results", "list", "--store", s(&store)], "no such file");
    ok(&[
        "query",
        "run",
        "--meters",
        "29",
        "--t",
        "1",
        "--insecure-plaintext",
        "--store",
        s(&store),
    ]);
    bad(
        &["results", "show", "--store", s(&store), "--run", "99"],
        "no run 99",
    );
}
