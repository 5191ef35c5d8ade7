//! The partner function `g(i, j)` and paths on the layered gossip graph
//! (Tremel §4.1, Defs. 4.1–4.3).

use crate::error::{OverlayError, Result};
use crate::suitable::{is_suitable, pow_mod};

/// The deterministic overlay of a suitable size `n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeterministicOverlay {
    n: u64,
    /// `⌈log₂ n⌉`.
    k: u32,
}

/// One hop of a path: the node holding the data, and the round.
pub type Vertex = (u64, u64);

/// `2^e mod n`.
fn pow2_mod(e: u64, n: u64) -> u64 {
    pow_mod(2, e, n)
}

impl DeterministicOverlay {
    /// The overlay of `n` nodes; `n` must be suitable (see
    /// [`crate::SizePlan`] for other population sizes).
    pub fn new(n: u64) -> Result<DeterministicOverlay> {
        if !is_suitable(n) {
            return Err(OverlayError::invalid(
                "n",
                format!(
                    "{n} is not a prime with 2 as a primitive root (round it up with SizePlan)"
                ),
            ));
        }
        Ok(DeterministicOverlay {
            n,
            k: 64 - (n - 1).leading_zeros(),
        })
    }

    /// The number of nodes.
    pub fn size(&self) -> u64 {
        self.n
    }

    /// `⌈log₂ n⌉`: rounds for data to reach every node (Def. 4.2).
    pub fn rounds_to_spread(&self) -> u32 {
        self.k
    }

    /// `g(i, j) = ((i + 2^j) mod n, (j + 1) mod (n − 1))`: node `i` in
    /// round `j` sends to node `a`, which receives in round `b`.
    pub fn partner(&self, i: u64, j: u64) -> (u64, u64) {
        let j = j % (self.n - 1);
        (
            (i % self.n + pow2_mod(j, self.n)) % self.n,
            (j + 1) % (self.n - 1),
        )
    }

    /// The round `j` in which node `a` sends to node `b` (`a ≠ b`): the
    /// unique `j` with `2^j ≡ b − a (mod n)` (uniformity, Def. 4.3). Linear
    /// in `n`; for checks and small overlays.
    pub fn meeting_round(&self, a: u64, b: u64) -> Option<u64> {
        let d = (b + self.n - a % self.n) % self.n;
        let mut x = 1u64;
        for j in 0..self.n - 1 {
            if x == d {
                return Some(j);
            }
            x = x * 2 % self.n;
        }
        None
    }

    /// A path of `⌈log₂ n⌉` hops from `(i, j)` to node `x` in round
    /// `j + ⌈log₂ n⌉`, using only edges of the graph (keep, or send to
    /// `g`), as in the proof of efficiency: with `z = (x − i)/2^j mod n`,
    /// level `t` sends iff bit `t` of `z` is set.
    pub fn path(&self, i: u64, j: u64, x: u64) -> Vec<Vertex> {
        let n = self.n;
        let inv2j = pow2_mod((n - 1 - j % (n - 1)) % (n - 1), n);
        let d = (x % n + n - i % n) % n;
        let z = (u128::from(d) * u128::from(inv2j) % u128::from(n)) as u64;
        let mut node = i % n;
        let mut round = j % (n - 1);
        let mut path = vec![(node, round)];
        for t in 0..self.k {
            if (z >> t) & 1 == 1 {
                let (a, b) = self.partner(node, round);
                node = a;
                round = b;
            } else {
                round = (round + 1) % (n - 1);
            }
            path.push((node, round));
        }
        path
    }

    /// Checks uniformity (Def. 4.3): the powers `2^j mod n`, `j < n − 1`,
    /// are the `n − 1` non-zero residues, each once. Linear in `n`.
    pub fn check_uniformity(&self) -> bool {
        let n = self.n as usize;
        let mut seen = vec![false; n];
        let mut x = 1usize;
        for _ in 0..n - 1 {
            if x == 0 || seen[x] {
                return false;
            }
            seen[x] = true;
            x = x * 2 % n;
        }
        true
    }

    /// Checks efficiency (Def. 4.2) from `(i, j)` by spreading through the
    /// graph for `⌈log₂ n⌉` rounds. Linear in `n` per round.
    pub fn check_efficiency_from(&self, i: u64, j: u64) -> bool {
        let n = self.n as usize;
        let mut reached = vec![false; n];
        reached[(i % self.n) as usize] = true;
        let mut round = j % (self.n - 1);
        for _ in 0..self.k {
            let step = pow2_mod(round, self.n) as usize;
            let before = reached.clone();
            for (v, r) in before.iter().enumerate() {
                if *r {
                    reached[(v + step) % n] = true;
                }
            }
            round = (round + 1) % (self.n - 1);
        }
        reached.iter().all(|r| *r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_papers_example_n_11() {
        let o = DeterministicOverlay::new(11).unwrap();
        // 2^1..2^10 mod 11 = 2, 4, 8, 5, 10, 9, 7, 3, 6, 1 (Tremel footnote 2).
        let powers: Vec<u64> = (1..=10).map(|j| o.partner(0, j).0).collect();
        assert_eq!(powers, [2, 4, 8, 5, 10, 9, 7, 3, 6, 1]);
        assert_eq!(o.rounds_to_spread(), 4);
        assert!(DeterministicOverlay::new(7).is_err());
    }
}
