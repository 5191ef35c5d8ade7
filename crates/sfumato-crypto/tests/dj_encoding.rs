//! Encodings under encryption: signed fixed-point values and packed slots
//! survive homomorphic sums and doublings (Chiaroscuro Alg. 2's operations).

use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use rug::Integer;
use sfumato_crypto::dj::PrivateKey;
use sfumato_crypto::encoding::{FixedPoint, Headroom, PackingLayout};

#[test]
fn signed_fixed_point_sums_decrypt_to_the_real_sum() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let sk = PrivateKey::generate(&mut rng, 512, 1, 1, &|_| {}).unwrap();
    let pk = sk.public();
    let space = pk.plaintext_space().unwrap();
    let fx = FixedPoint::new(20).unwrap();
    let values = [-1.25, 3.5, -0.000_1, 1920.0 / 0.69];
    let cts: Vec<_> = values
        .iter()
        .map(|&x| pk.encrypt(&fx.encode(&space, x).unwrap(), &mut rng))
        .collect();
    let sum = pk.sum(&cts);
    let got = fx.decode(&space, &sk.decrypt(&sum).unwrap()).unwrap();
    let want: f64 = values.iter().sum();
    assert!((got - want).abs() < 4.0 * 2f64.powi(-21), "{got} vs {want}");
}

#[test]
fn packed_slots_survive_sums_and_doublings() {
    let mut rng = ChaCha20Rng::seed_from_u64(6);
    let sk = PrivateKey::generate(&mut rng, 512, 2, 1, &|_| {}).unwrap();
    let pk = sk.public();
    let space = pk.plaintext_space().unwrap();
    let layout =
        PackingLayout::new(&space, 8, Integer::from(1_000_000), Headroom::new(9, 3)).unwrap();
    let a: Vec<i64> = vec![5, -7, 999_999, -1_000_000, 0, 1, -1, 42];
    let b: Vec<i64> = vec![-5, 7, 1, 1_000_000, 3, -2, 2, -42];
    let ea = pk.encrypt(&layout.pack(&a).unwrap(), &mut rng);
    let eb = pk.encrypt(&layout.pack(&b).unwrap(), &mut rng);
    // (a + b) doubled twice: 4·(a + b), two terms, two doublings.
    let four = pk.mul_const(&pk.add(&ea, &eb), &Integer::from(4));
    let slots = layout.unpack(&sk.decrypt(&four).unwrap(), 2, 2).unwrap();
    for (i, s) in slots.iter().enumerate() {
        assert_eq!(*s, Integer::from(4 * (a[i] + b[i])), "slot {i}");
    }
}
