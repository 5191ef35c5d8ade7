//! Counter-based randomness of the runtime's own models (latency, loss,
//! churn, crashes): a pure function of the seed and of what is being
//! decided, so that a decision does not depend on which worker makes it or
//! when. Not used for anything secret: protocol randomness comes from the
//! nodes' ChaCha8 streams (`sfumato_protocol::rng`).

/// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective mixer
/// with full avalanche.
pub(crate) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A 64-bit hash of `(seed, tag, a, b)`.
pub(crate) fn hash(seed: u64, tag: u64, a: u64, b: u64) -> u64 {
    let mut h = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
    h = mix(h ^ tag.wrapping_mul(0xd6e8_feb8_6659_fd93));
    h = mix(h ^ a);
    mix(h ^ b.rotate_left(17))
}

/// A uniform float in `[0, 1)` from a hash.
pub(crate) fn unit(h: u64) -> f64 {
    (h >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A standard normal draw from two hashes (Box–Muller), with `libm` so
/// the result is the same on every platform.
pub(crate) fn normal(h1: u64, h2: u64) -> f64 {
    let u1 = 1.0 - unit(h1); // (0, 1]
    let u2 = unit(h2);
    libm::sqrt(-2.0 * libm::log(u1)) * libm::cos(2.0 * core::f64::consts::PI * u2)
}

/// Tags of the decisions, so that they are independent of each other.
pub(crate) mod tag {
    pub(crate) const LATENCY_A: u64 = 1;
    pub(crate) const LATENCY_B: u64 = 2;
    pub(crate) const LOSS: u64 = 3;
    pub(crate) const CHURN: u64 = 4;
    pub(crate) const CRASH: u64 = 5;
    pub(crate) const FAIL_AT_START: u64 = 6;
    pub(crate) const OFFLINE: u64 = 7;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unit_and_normal_have_the_right_moments() {
        let n = 200_000u64;
        let (mut s, mut s2, mut u) = (0.0, 0.0, 0.0);
        for i in 0..n {
            let z = normal(hash(1, tag::LATENCY_A, i, 0), hash(1, tag::LATENCY_B, i, 0));
            s += z;
            s2 += z * z;
            u += unit(hash(1, tag::LOSS, i, 0));
        }
        let nf = n as f64;
        // Standard errors: 1/√n ≈ 0.0022 for the mean, ≈ 0.0032 for the
        // variance, 0.00065 for the uniform mean; 6 of them is α ≈ 1e-9.
        assert!((s / nf).abs() < 0.014);
        assert!((s2 / nf - 1.0).abs() < 0.02);
        assert!((u / nf - 0.5).abs() < 0.004);
    }

    #[test]
    fn decisions_differ_by_tag_and_inputs() {
        assert_ne!(hash(1, 1, 2, 3), hash(1, 2, 2, 3));
        assert_ne!(hash(1, 1, 2, 3), hash(1, 1, 3, 2));
        assert_ne!(hash(1, 1, 2, 3), hash(2, 1, 2, 3));
    }
}
