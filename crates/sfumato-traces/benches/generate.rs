//! Generation speed (criterion).
//!
//! Run: `cargo bench -p sfumato-traces --bench generate`. Figures are in
//! `docs/PERFORMANCE.md`. The reference row `reference/calibrate` is the
//! generator's start-up (model calibration), measured in the same run.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sfumato_traces::generator::{Generator, GeneratorOptions, PopulationPlan, generate_population};
use sfumato_traces::model::Model;
use sfumato_traces::{Date, Resolution};

fn generator(resolution: &str, per_appliance: bool) -> Generator {
    let options = GeneratorOptions {
        resolution: resolution.parse::<Resolution>().unwrap(),
        per_appliance,
        ..Default::default()
    };
    Generator::new(Model::builtin().unwrap(), options, 1).unwrap()
}

fn household_days(c: &mut Criterion) {
    let date: Date = "2023-01-11".parse().unwrap();
    let mut g = c.benchmark_group("household-day");
    g.throughput(Throughput::Elements(1));
    for (res, parts) in [("1m", false), ("10m", false), ("1h", false), ("10m", true)] {
        let model_gen = generator(res, parts);
        let weather = model_gen.weather(date);
        let name = format!("{res}{}", if parts { "+appliances" } else { "" });
        let mut k = 0u64;
        g.bench_function(name, |b| {
            b.iter(|| {
                k += 1;
                let h = model_gen.household(k);
                black_box(model_gen.day(&h, date, &weather))
            })
        });
    }
    g.finish();
}

fn populations(c: &mut Criterion) {
    let mut g = c.benchmark_group("population");
    g.sample_size(10);
    let start: Date = "2023-01-11".parse().unwrap();
    for (res, households) in [("1m", 3_000u64), ("1h", 20_000)] {
        let model_gen = generator(res, false);
        g.throughput(Throughput::Elements(households));
        let plan = PopulationPlan {
            first_household: 0,
            households,
            start,
            days: 1,
        };
        g.bench_function(format!("{households}x1day-{res}-all-cores"), |b| {
            b.iter(|| {
                let mut values = 0usize;
                generate_population(
                    &model_gen,
                    &plan,
                    0,
                    |rows| {
                        values += rows.iter().map(|r| r.values.len()).sum::<usize>();
                        Ok(())
                    },
                    |_| {},
                )
                .unwrap();
                black_box(values)
            })
        });
    }
    g.finish();
}

fn reference(c: &mut Criterion) {
    let mut g = c.benchmark_group("reference");
    g.sample_size(10);
    g.bench_function("calibrate", |b| {
        b.iter(|| black_box(generator("1h", false)))
    });
    g.finish();
}

criterion_group!(benches, household_days, populations, reference);
criterion_main!(benches);
