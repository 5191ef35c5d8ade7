//! Samples per second of every mechanism (criterion).
//!
//! Run: `cargo bench -p sfumato-dp --bench samplers`. Figures and the machine
//! they were measured on are in `docs/PERFORMANCE.md`. The reference rows
//! (`rng/next_u64`, `reference/exp1`) are measured in the same run: one
//! ChaCha20 word, and one standard exponential from `rand_distr`.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};
use rand_distr::{Distribution, Exp1};
use sfumato_dp::{
    AggregateNoise, DiscreteLaplace, ExactScale, GammaShare, Geometric, Laplace, Mechanism,
    NoiseSampler, PolyaShare,
};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(1)
}

fn references(c: &mut Criterion) {
    let mut g = c.benchmark_group("reference");
    g.throughput(Throughput::Elements(1));
    let mut r = rng();
    g.bench_function("rng/next_u64", |b| b.iter(|| black_box(r.next_u64())));
    g.bench_function("exp1", |b| {
        b.iter(|| {
            let x: f64 = Exp1.sample(&mut r);
            black_box(x)
        })
    });
    g.finish();
}

fn central(c: &mut Criterion) {
    let mut g = c.benchmark_group("central");
    g.throughput(Throughput::Elements(1));
    let mut r = rng();
    let laplace = Laplace::new(10.0).unwrap();
    g.bench_function("laplace/10", |b| {
        b.iter(|| black_box(laplace.sample(&mut r)))
    });
    for t in ["10", "1920/0.69"] {
        let s = ExactScale::parse(t).unwrap();
        let geo = Geometric::new(s);
        g.bench_with_input(BenchmarkId::new("geometric", t), &geo, |b, d| {
            b.iter(|| black_box(d.sample(&mut r)))
        });
        let dl = DiscreteLaplace::new(s);
        g.bench_with_input(BenchmarkId::new("discrete-laplace", t), &dl, |b, d| {
            b.iter(|| black_box(d.sample(&mut r)))
        });
    }
    g.finish();
}

fn shares(c: &mut Criterion) {
    let mut g = c.benchmark_group("share");
    g.throughput(Throughput::Elements(1));
    let mut r = rng();
    for n in [100u64, 10_000] {
        let gamma = GammaShare::new(n, 10.0).unwrap();
        g.bench_with_input(BenchmarkId::new("gamma/10", n), &gamma, |b, d| {
            b.iter(|| black_box(d.sample(&mut r)))
        });
        for t in ["10", "1920/0.69"] {
            let polya = PolyaShare::new(n, ExactScale::parse(t).unwrap()).unwrap();
            g.bench_with_input(BenchmarkId::new(format!("polya/{t}"), n), &polya, |b, d| {
                b.iter(|| black_box(d.sample(&mut r)))
            });
        }
    }
    g.finish();
}

fn aggregates(c: &mut Criterion) {
    let mut g = c.benchmark_group("sum-of-1000-shares");
    g.throughput(Throughput::Elements(1000));
    let mut r = rng();
    for m in [Mechanism::GammaShares, Mechanism::PolyaShares] {
        let noise = AggregateNoise::new(m, "10", 1000).unwrap();
        g.bench_function(m.name(), |b| b.iter(|| black_box(noise.draw(&mut r))));
    }
    g.finish();
}

criterion_group!(benches, references, central, shares, aggregates);
criterion_main!(benches);
