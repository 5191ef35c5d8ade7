//! The dataflow's outputs equal the single-threaded reference's — with
//! several workers, with sealing and eviction, and with a live migration
//! mid-stream (exactly once: nothing lost, nothing duplicated).

use std::sync::{Arc, Mutex};

use sfumato_stream::dataflow::{DataflowConfig, OutputSink, SourceFactory, run_dataflow};
use sfumato_stream::generate::{PlugStream, StreamConfig};
use sfumato_stream::migration::MigrationPlan;
use sfumato_stream::processor::Outputs;
use sfumato_stream::reference::run_reference;
use sfumato_stream::source::EventSource;

fn world(seconds: u64) -> StreamConfig {
    StreamConfig {
        seed: 11,
        houses: 6,
        plugs: 120,
        seconds,
        ..Default::default()
    }
}

fn reference(config: &StreamConfig) -> (Outputs, sfumato_stream::reference::ReferenceReport) {
    let mut all = Outputs::default();
    let mut source = PlugStream::new(config).unwrap();
    let report = run_reference(
        &mut source,
        &mut |o| {
            all.append(o);
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    all.sort();
    (all, report)
}

/// Each worker generates a contiguous share of the houses.
fn sources(config: &StreamConfig) -> Arc<SourceFactory> {
    let config = config.clone();
    Arc::new(move |index, workers| {
        let h = config.houses as usize;
        let range = (index * h / workers) as u32..((index + 1) * h / workers) as u32;
        Ok(Box::new(PlugStream::houses(&config, range)?) as Box<dyn EventSource>)
    })
}

fn dataflow(
    config: &StreamConfig,
    run: &DataflowConfig,
) -> (Outputs, sfumato_stream::dataflow::DataflowReport) {
    let collected = Arc::new(Mutex::new(Outputs::default()));
    let c = collected.clone();
    let sink: OutputSink = Arc::new(Mutex::new(move |o: &mut Outputs| {
        c.lock().unwrap().append(o);
        Ok(())
    }));
    let report = run_dataflow(run, sources(config), Some(sink), None)
        .unwrap()
        .unwrap();
    let mut all = std::mem::take(&mut *collected.lock().unwrap());
    all.sort();
    (all, report)
}

#[test]
fn dataflow_equals_reference_with_workers_sealing_and_migration() {
    let config = world(3 * 3600);
    let (expected, r) = reference(&config);
    assert!(
        expected.forecasts.len() > 10_000 && expected.outliers.len() > 20,
        "{r:?}"
    );

    for (workers, encrypt) in [(1, false), (2, false), (3, true)] {
        let run = DataflowConfig {
            workers,
            encrypt,
            epoch_seconds: 300,
            ..Default::default()
        };
        let (got, report) = dataflow(&config, &run);
        assert_eq!(got, expected, "{workers} workers, encrypt {encrypt}");
        assert_eq!(report.digest, r.digest);
        assert_eq!(report.accuracy, r.accuracy);
        assert_eq!(report.counts.loads, r.counts.loads);
        assert_eq!(report.counts.seconds, r.counts.seconds);
        if encrypt {
            assert!(report.sealed_bytes > 29 * r.counts.events);
            assert!(report.enclave.as_deref().unwrap().starts_with("INSECURE"));
        }
    }

    // A migration of houses 0..4 to worker 1 in the second hour; sealed,
    // with an EPC so small that window pages are evicted and restored.
    let start = u64::from(config.start) / 300;
    let plan = MigrationPlan {
        houses: 0..4,
        to: 1,
        duplicate: start + 14,
        snapshot: start + 15,
        switch: start + 18,
    };
    let run = DataflowConfig {
        workers: 2,
        encrypt: true,
        epoch_seconds: 300,
        epc_bytes: 4 << 20,
        migration: Some(plan),
        ..Default::default()
    };
    let (got, report) = dataflow(&config, &run);
    assert_eq!(got, expected);
    assert_eq!(report.digest, r.digest);
    assert_eq!(report.accuracy, r.accuracy);
    let m = report.migration.unwrap();
    assert!(
        m.agreed && m.houses_moved == 2 && m.duplicates_dropped > 0,
        "{m:?}"
    );
    assert!(m.replica_outputs_compared > 1000, "{m:?}");
    // Within three hours no evicted page is due back yet.
    assert!(report.paging.evicted > 100, "{:?}", report.paging);

    // Scaling out: every house starts on worker 0, worker 1 is a spare;
    // half the houses move to it mid-stream.
    let plan = MigrationPlan {
        houses: 3..6,
        to: 1,
        duplicate: start + 20,
        snapshot: start + 21,
        switch: start + 23,
    };
    let run = DataflowConfig {
        workers: 2,
        initial_workers: Some(1),
        epoch_seconds: 300,
        migration: Some(plan),
        ..Default::default()
    };
    let (got, report) = dataflow(&config, &run);
    assert_eq!(got, expected);
    assert_eq!(report.migration.unwrap().houses_moved, 3);
}

/// A day and more: pages evicted sealed come back when the 24-hour window
/// reaches them, and the outputs are still the reference's.
#[test]
fn evicted_window_pages_come_back_after_a_day() {
    let config = StreamConfig {
        seed: 5,
        houses: 2,
        plugs: 16,
        seconds: 26 * 3600,
        ..Default::default()
    };
    let (expected, r) = reference(&config);
    let run = DataflowConfig {
        workers: 2,
        encrypt: true,
        epoch_seconds: 600,
        epc_bytes: 1 << 20,
        ..Default::default()
    };
    let (got, report) = dataflow(&config, &run);
    assert_eq!(got, expected);
    assert_eq!(report.accuracy, r.accuracy);
    assert!(
        report.paging.evicted > 100 && report.paging.restored > 50,
        "{:?}",
        report.paging
    );
    // A day of history: Query 1 was scored against what came.
    assert!(r.accuracy.house[3].n > 0, "{:?}", r.accuracy);
}

/// A late event (older than one before it in the input) is dropped and
/// counted alike by the reference and the dataflow.
#[test]
fn late_events_are_dropped_and_counted_alike() {
    let config = StreamConfig {
        seed: 2,
        houses: 3,
        plugs: 40,
        seconds: 1200,
        ..Default::default()
    };
    let mut events = Vec::new();
    PlugStream::new(&config)
        .unwrap()
        .fill(&mut events, usize::MAX);
    // Move an early event to the middle: it arrives late.
    let early = events.remove(5);
    events.insert(events.len() / 2, early);
    let mut expected = Outputs::default();
    let r = run_reference(
        &mut events.clone().into_iter(),
        &mut |o| {
            expected.append(o);
            Ok(())
        },
        &mut |_| {},
    )
    .unwrap();
    expected.sort();
    assert_eq!(r.counts.late, 1);
    let shared = events.clone();
    let factory: Arc<SourceFactory> = Arc::new(move |index, _| {
        let mine = if index == 0 {
            shared.clone()
        } else {
            Vec::new()
        };
        Ok(Box::new(mine.into_iter()) as Box<dyn EventSource>)
    });
    let collected = Arc::new(Mutex::new(Outputs::default()));
    let c = collected.clone();
    let sink: OutputSink = Arc::new(Mutex::new(move |o: &mut Outputs| {
        c.lock().unwrap().append(o);
        Ok(())
    }));
    let run = DataflowConfig {
        workers: 2,
        epoch_seconds: 60,
        ..Default::default()
    };
    let report = run_dataflow(&run, factory, Some(sink), None)
        .unwrap()
        .unwrap();
    let mut got = std::mem::take(&mut *collected.lock().unwrap());
    got.sort();
    assert_eq!(report.counts.late, 1);
    assert_eq!(got, expected);
}
