//! Benchmarks of the symmetric building blocks (criterion):
//! PRF words/s, a DREAM meter's per-slot mask, mask encryption, pairwise-key
//! derivation, AEAD sealing of 1 KiB, Ed25519 sign and verify, and
//! Tremel's onions: sealing one of 31 layers (the basic protocol's Shuffle
//! at n = 1019, t = 10) and peeling a layer, beside a bare X25519 agreement.
//!
//! `CARGO_TARGET_DIR=… cargo bench -p sfumato-crypto --bench symmetric`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use sfumato_crypto::symmetric::{
    AeadKey, AgreementKeyPair, HopInstruction, MaskKey, OnionFormat, PairwiseKey, PairwiseMasks,
    Peeled, Prf, PrfNonce, SigningKey, aggregate, encrypt, pairwise_key,
};

fn prf(c: &mut Criterion) {
    let prf = Prf::new(&[7; 32]);
    let mut g = c.benchmark_group("prf");
    g.throughput(Throughput::Elements(1));
    let mut slot = 0u64;
    g.bench_function("word (one key, one slot)", |b| {
        b.iter(|| {
            slot = slot.wrapping_add(1);
            black_box(prf.word(PrfNonce::new(1, black_box(slot))))
        })
    });
    g.bench_function("uniform", |b| {
        b.iter(|| {
            slot = slot.wrapping_add(1);
            black_box(prf.uniform(black_box(slot)))
        })
    });
    g.bench_function("below(1000003)", |b| {
        b.iter(|| {
            slot = slot.wrapping_add(1);
            black_box(prf.below(black_box(slot), 1_000_003).unwrap())
        })
    });
    let mut out = vec![0u64; 1024];
    g.throughput(Throughput::Elements(1024));
    g.bench_function("fill_words(1024)", |b| {
        b.iter(|| {
            slot = slot.wrapping_add(1);
            prf.fill_words(black_box(slot), &mut out).unwrap();
            black_box(&out);
        })
    });
    g.finish();
}

fn mask(c: &mut Criterion) {
    let mut g = c.benchmark_group("mask");
    let key = MaskKey::new(0x0123_4567_89ab_cdef);
    g.throughput(Throughput::Elements(1));
    g.bench_function("encrypt", |b| {
        let mut p = 0u64;
        b.iter(|| {
            p = p.wrapping_add(1);
            black_box(encrypt(black_box(p), &key))
        })
    });
    let cts: Vec<u64> = (0..1000u64)
        .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    g.throughput(Throughput::Elements(1000));
    g.bench_function("aggregate 1000 ciphertexts", |b| {
        b.iter(|| black_box(aggregate(black_box(&cts).iter().copied())))
    });
    // One meter's per-slot work in a cluster of 101: PRFs for selection and
    // dummy keys towards 100 peers (DREAM §5.2 Phase 2).
    let peers: Vec<(u64, PairwiseKey)> = (1..=100u64)
        .map(|j| (j, PairwiseKey::from_bytes(&[j as u8; 32])))
        .collect();
    for p in [1.0, 0.1] {
        let masks = PairwiseMasks::new(0, peers.clone(), p).unwrap();
        g.throughput(Throughput::Elements(100));
        let mut slot = 0u64;
        g.bench_function(format!("slot_key, 100 peers, p = {p}"), |b| {
            b.iter(|| {
                slot = slot.wrapping_add(1);
                black_box(masks.slot_key(black_box(slot)))
            })
        });
    }
    g.finish();
}

fn agreement(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let a = AgreementKeyPair::generate(&mut rng);
    let b = AgreementKeyPair::generate(&mut rng);
    let their = b.public_key();
    let mut g = c.benchmark_group("keys");
    g.throughput(Throughput::Elements(1));
    g.bench_function("pairwise_key (X25519 + HKDF-SHA256)", |bch| {
        bch.iter(|| black_box(pairwise_key(&a, black_box(&their), b"bench").unwrap()))
    });
    g.bench_function("generate key pair", |bch| {
        bch.iter(|| black_box(AgreementKeyPair::generate(&mut rng)))
    });
    g.finish();
}

fn aead(c: &mut Criterion) {
    let key = AeadKey::from_bytes(&[3; 32]);
    let msg = vec![0x42u8; 1024];
    let nonce = [9u8; 12];
    let sealed = key.seal(&nonce, b"ad", &msg).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let mut g = c.benchmark_group("aead");
    g.throughput(Throughput::Bytes(1024));
    g.bench_function("seal 1 KiB", |b| {
        b.iter(|| black_box(key.seal(&nonce, b"ad", black_box(&msg)).unwrap()))
    });
    g.bench_function("seal_prefixed 1 KiB (random nonce)", |b| {
        b.iter(|| black_box(key.seal_prefixed(&mut rng, b"ad", black_box(&msg)).unwrap()))
    });
    g.bench_function("open 1 KiB", |b| {
        b.iter(|| black_box(key.open(&nonce, b"ad", black_box(&sealed)).unwrap()))
    });
    g.finish();
}

fn ed25519(c: &mut Criterion) {
    let sk = SigningKey::from_bytes(&[5; 32]);
    let vk = sk.verifying_key();
    let msg = [0x17u8; 64];
    let sig = sk.sign(&msg);
    let mut g = c.benchmark_group("ed25519");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sign 64 B", |b| {
        b.iter(|| black_box(sk.sign(black_box(&msg))))
    });
    g.bench_function("verify 64 B (strict)", |b| {
        b.iter(|| vk.verify(black_box(&msg), black_box(&sig)).unwrap())
    });
    g.finish();
}

fn onion(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let layers = 31;
    let format = OnionFormat::new(layers, 120).unwrap();
    let keys: Vec<AgreementKeyPair> = (0..layers)
        .map(|_| AgreementKeyPair::generate(&mut rng))
        .collect();
    let route: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let hop = if i + 1 == keys.len() {
                HopInstruction::Deliver
            } else {
                HopInstruction::Forward { wait: 1, next: 9 }
            };
            (k.public_key(), hop)
        })
        .collect();
    let payload = [3u8; 100];
    let mut g = c.benchmark_group("onion (31 layers, 2,600-byte packets)");
    g.throughput(Throughput::Elements(u64::from(layers)));
    g.bench_function("seal (per layer)", |b| {
        b.iter(|| black_box(format.seal(&mut rng, black_box(&route), &payload).unwrap()))
    });
    let packet = format.seal(&mut rng, &route, &payload).unwrap();
    g.throughput(Throughput::Elements(1));
    g.bench_function("peel one layer", |b| {
        b.iter(
            || match format.peel(&keys[0], black_box(&packet)).unwrap() {
                Peeled::Forward { packet, .. } => black_box(packet.len()),
                Peeled::Deliver(p) => p.len(),
            },
        )
    });
    let other = AgreementKeyPair::generate(&mut rng);
    g.bench_function("x25519 agreement (reference)", |b| {
        b.iter(|| {
            black_box(
                keys[0]
                    .diffie_hellman(black_box(&other.public_key()))
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn config() -> Criterion {
    // Short runs: the machine is small and shared.
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! {
    name = benches;
    config = config();
    targets = prf, mask, agreement, aead, ed25519, onion
}
criterion_main!(benches);
