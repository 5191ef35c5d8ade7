//! Damgård–Jurik operations (criterion), at n = 1024 and 2048 bits, s = 1.
//!
//! Run: `cargo bench -p sfumato-crypto --bench crypto`. The `naive/*` rows
//! are the textbook reference (plain modular exponentiation, no CRT, no
//! precomputation) measured in the same run. Figures: `docs/PERFORMANCE.md`.

#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rug::Integer;
use sfumato_crypto::dj::{PrivateKey, ShortExponentEncryptor, reference};

fn dj(c: &mut Criterion) {
    for bits in [1024u32, 2048] {
        let mut rng = ChaCha20Rng::seed_from_u64(u64::from(bits));
        let sk = PrivateKey::generate(&mut rng, bits, 1, 0, &|_| {}).unwrap();
        let pk = sk.public().clone();
        let m = Integer::from(pk.n() >> 3u32);
        let r = Integer::from(pk.n() >> 2u32) + 1u32;
        let c1 = pk.encrypt(&m, &mut rng);
        let c2 = pk.encrypt(&Integer::from(5), &mut rng);
        let fast = ShortExponentEncryptor::new(&pk, &mut rng);
        let mut g = c.benchmark_group(format!("dj-{bits}"));
        g.sample_size(20);
        g.bench_function("encrypt-full", |b| {
            b.iter(|| black_box(pk.encrypt(&m, &mut rng)))
        });
        g.bench_function("encrypt-short-exponent", |b| {
            b.iter(|| black_box(fast.encrypt(&m, &mut rng)))
        });
        g.bench_function("naive/encrypt", |b| {
            b.iter(|| black_box(reference::encrypt(&pk, &m, &r)))
        });
        g.bench_function("add", |b| b.iter(|| black_box(pk.add(&c1, &c2))));
        g.bench_function("decrypt-crt", |b| {
            b.iter(|| black_box(sk.decrypt(&c1).unwrap()))
        });
        g.bench_function("naive/decrypt", |b| {
            b.iter(|| black_box(reference::decrypt(&sk, &c1)))
        });
        g.finish();
    }
}

fn threshold(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let sk = PrivateKey::generate(&mut rng, 1024, 1, 0, &|_| {}).unwrap();
    let m = Integer::from(42);
    let ct = sk.public().encrypt(&m, &mut rng);
    let mut g = c.benchmark_group("threshold-1024");
    g.sample_size(10);
    for l in [10u32, 100, 1000] {
        let (tpk, shares) = sk.deal(l, l / 2 + 1, &mut rng).unwrap();
        g.bench_function(format!("partial-decrypt/committee-{l}"), |b| {
            b.iter(|| black_box(shares[0].partial_decrypt(&ct, &mut rng).unwrap()))
        });
        let p = shares[0].partial_decrypt(&ct, &mut rng).unwrap();
        g.bench_function(format!("verify/committee-{l}"), |b| {
            b.iter(|| black_box(tpk.verify(&ct, &p).is_ok()))
        });
    }
    g.finish();
}

criterion_group!(benches, dj, threshold);
criterion_main!(benches);
