//! Exact Bernoulli trials: rational probabilities and `exp(-γ)` for rational γ
//! (Canonne, Kamath, Steinke, *The Discrete Gaussian for Differential Privacy*,
//! NeurIPS 2020, Alg. 1).

use rand_core::CryptoRng;

use super::uniform::uniform_below_u128;

/// `true` with probability exactly `num / den` (`num ≥ den` always gives
/// `true`; `den = 0` gives `false`).
pub fn bernoulli_ratio<R: CryptoRng + ?Sized>(rng: &mut R, num: u128, den: u128) -> bool {
    if den == 0 {
        return false;
    }
    if num >= den {
        return true;
    }
    uniform_below_u128(rng, den) < num
}

/// `true` with probability exactly `exp(-num/den)`, `den ≥ 1`
/// (CKS 2020 Alg. 1, with the integer part handled as a product of
/// `exp(-1)` trials).
pub fn bernoulli_exp_neg<R: CryptoRng + ?Sized>(rng: &mut R, num: u64, den: u64) -> bool {
    if den == 0 {
        return false;
    }
    let whole = num / den;
    let frac = num % den;
    for _ in 0..whole {
        if !bernoulli_exp_neg_at_most_one(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_neg_at_most_one(rng, frac, den)
}

/// `exp(-γ)` for `γ = num/den ∈ [0, 1]`: draw `A_k ~ Bernoulli(γ/k)` for
/// k = 1, 2, … until one fails; the first failing index is odd with
/// probability `exp(-γ)`.
fn bernoulli_exp_neg_at_most_one<R: CryptoRng + ?Sized>(rng: &mut R, num: u64, den: u64) -> bool {
    let mut k: u128 = 1;
    while bernoulli_ratio(rng, u128::from(num), u128::from(den) * k) {
        k += 1;
    }
    k % 2 == 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn frequency(mut f: impl FnMut() -> bool, n: u32) -> f64 {
        (0..n).filter(|_| f()).count() as f64 / f64::from(n)
    }

    #[test]
    fn rational_edges() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        assert!(bernoulli_ratio(&mut rng, 5, 5));
        assert!(!bernoulli_ratio(&mut rng, 0, 5));
        assert!(!bernoulli_ratio(&mut rng, 1, 0));
    }

    #[test]
    fn exp_neg_matches_within_six_sigma() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let n = 200_000;
        for (num, den) in [(0u64, 1u64), (1, 3), (1, 1), (5, 2), (7, 3)] {
            let p = (-(num as f64) / den as f64).exp();
            let got = frequency(|| bernoulli_exp_neg(&mut rng, num, den), n);
            let sd = (p * (1.0 - p) / f64::from(n)).sqrt().max(1e-9);
            assert!(
                (got - p).abs() < 6.0 * sd,
                "exp(-{num}/{den}): {got} vs {p}"
            );
        }
    }
}
