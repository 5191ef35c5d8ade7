//! Epidemic decryption (§4.2.3) and what an iteration publishes.
//!
//! Each participant decrypts its perturbed encrypted means, which after
//! EESum all encrypt (approximately) the same sums. A key holder applies
//! its key share — a partial decryption identified by the share's index —
//! and participants exchange their states:
//! * a state remembers its **root** (the participant whose ciphertexts it
//!   decrypts) and the set of share identifiers applied to them;
//! * two states of the same root merge their partial decryptions (a share
//!   is never applied twice). Only at a key holder may a merge reach τ
//!   shares; elsewhere merges stop at τ − 1, so that only key holders
//!   combine partial decryptions, as in the paper, where the τ-th share is
//!   applied by a key holder. (Without this cap, every pair of (τ−1)-share
//!   states of one root that met would both combine: 18 % of 100,000
//!   participants did, each verifying τ proofs per ciphertext under real
//!   encryption. A key holder must still merge up to τ: one whose own
//!   share is among its τ − 1 could otherwise never complete them);
//! * otherwise the less advanced participant erases its state and adopts
//!   the more advanced one (more shares applied; ties go to the smaller
//!   root), as the paper's latency optimisation;
//! * once τ distinct shares are applied the participant combines them and
//!   publishes the perturbed means; a published result beats any pending
//!   state and spreads epidemically.
//!
//! Key holders refuse to decrypt means whose participation counter says
//! fewer than n_ν noise shares were summed (a guard of ours: the paper's
//! noise would then be too small).

use std::cmp::Reverse;
use std::sync::Arc;

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use crate::chiaroscuro::additive::AdditiveScheme;
use crate::chiaroscuro::eesum::EncryptedMeans;
use crate::chiaroscuro::params::ChiaroscuroParams;
use crate::chiaroscuro::perturbed::publish_means;
use crate::error::{ProtocolError, Result};
use crate::message::{EncodedLen, encoded_size, varint_len};
use crate::node::NodeId;

/// What an iteration discloses: the perturbed sums and counts, and the
/// centroids derived from them (smoothed, aberrant means eliminated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Published {
    /// The iteration (0-based).
    pub iteration: u32,
    /// For each of the k clusters, its perturbed sum series then its
    /// perturbed count (k·(n+1) values).
    pub values: Vec<f64>,
    /// The means that survive: the next iteration's centroids.
    pub centroids: Vec<Vec<f64>>,
    /// Their noisy counts ([`crate::chiaroscuro::PublishedMeans::counts`]).
    pub counts: Vec<f64>,
    /// Means eliminated as aberrant ([`crate::chiaroscuro::perturbed_mean`]).
    pub eliminated: u32,
    /// Whose ciphertexts were decrypted (of two results, the smaller root
    /// wins, so that every participant ends with the same one).
    pub root: NodeId,
    /// The root's estimate of the participants whose noise shares were
    /// summed (the participation counter).
    pub participants: f64,
    /// Surplus noise shares the correction removed: n_ν = participants −
    /// removed.
    pub removed_shares: u64,
}

impl EncodedLen for Published {
    fn encoded_len(&self) -> usize {
        let floats = |n: usize| varint_len(n as u64) + 8 * n;
        varint_len(self.iteration.into())
            + floats(self.values.len())
            + varint_len(self.centroids.len() as u64)
            + self
                .centroids
                .iter()
                .map(|c| floats(c.len()))
                .sum::<usize>()
            + varint_len(self.counts.len() as u64)
            + 8 * self.counts.len()
            + varint_len(self.eliminated.into())
            + varint_len(self.root.0.into())
            + 8
            + varint_len(self.removed_shares)
    }
}

impl Published {
    /// Divides, smooths and eliminates aberrant means ([`publish_means`]).
    pub fn from_sums(
        iteration: u32,
        root: NodeId,
        values: Vec<f64>,
        params: &ChiaroscuroParams,
    ) -> Published {
        Published::with_noise(iteration, root, values, params, 0.0, 0)
    }

    /// As [`Published::from_sums`], recording the noise accounting.
    pub fn with_noise(
        iteration: u32,
        root: NodeId,
        values: Vec<f64>,
        params: &ChiaroscuroParams,
        participants: f64,
        removed_shares: u64,
    ) -> Published {
        let means = publish_means(&values, iteration, params);
        Published {
            iteration,
            values,
            centroids: means.centroids,
            counts: means.counts,
            eliminated: means.eliminated,
            root,
            participants,
            removed_shares,
        }
    }
}

/// A participant's decryption state.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub enum DecryptionState<S: AdditiveScheme> {
    /// Partially decrypted means.
    Pending {
        /// Whose ciphertexts these are.
        root: NodeId,
        /// The perturbed encrypted means.
        means: EncryptedMeans<S>,
        /// Partial decryptions by share index, sorted, distinct.
        partials: Vec<(u32, S::Partial)>,
    },
    /// Decrypted and published.
    Done(Arc<Published>),
}

/// A state in brief, for deciding who needs whose state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The root, if pending.
    pub root: Option<NodeId>,
    /// Share indices applied.
    pub indices: Vec<u32>,
    /// Whether it is decrypted.
    pub done: bool,
    /// Whether its owner holds a key share (and so may merge a state of
    /// the same root up to τ shares, then decrypt).
    pub holder: bool,
}

impl Summary {
    /// Whether a state summarised by `other` would advance one summarised
    /// by `self`, for a decryption threshold `tau`: a state of the same root
    /// advances this one only with a share it lacks, and only while this
    /// one has fewer than its [`merge_limit`].
    pub fn advanced_by(&self, other: &Summary, tau: usize) -> bool {
        match (self.done, other.done) {
            (true, true) => other.root < self.root,
            (true, false) => false,
            (false, true) => true,
            (false, false) if self.root == other.root => {
                self.indices.len() < merge_limit(tau, self.holder)
                    && other.indices.iter().any(|i| !self.indices.contains(i))
            }
            (false, false) => other.rank() > self.rank(),
        }
    }

    fn rank(&self) -> (bool, usize, Reverse<Option<NodeId>>) {
        (self.done, self.indices.len(), Reverse(self.root))
    }
}

/// How many shares merging states of one root may reach: τ at a key holder,
/// which then decrypts; τ − 1 elsewhere, so that only key holders combine.
pub fn merge_limit(tau: usize, holder: bool) -> usize {
    if holder { tau } else { tau.saturating_sub(1) }
}

impl<S: AdditiveScheme> EncodedLen for DecryptionState<S> {
    fn encoded_len(&self) -> usize {
        match self {
            DecryptionState::Pending {
                root,
                means,
                partials,
            } => {
                varint_len(0)
                    + varint_len(root.0.into())
                    + means.encoded_len()
                    + encoded_size(partials)
            }
            DecryptionState::Done(p) => varint_len(1) + p.encoded_len(),
        }
    }
}

impl<S: AdditiveScheme> DecryptionState<S> {
    /// The state in brief, held by a key holder or not.
    pub fn summary(&self, holder: bool) -> Summary {
        match self {
            DecryptionState::Pending { root, partials, .. } => Summary {
                root: Some(*root),
                indices: partials.iter().map(|p| p.0).collect(),
                done: false,
                holder,
            },
            DecryptionState::Done(p) => Summary {
                root: Some(p.root),
                indices: Vec::new(),
                done: true,
                holder,
            },
        }
    }

    /// The published result, once decrypted.
    pub fn published(&self) -> Option<&Arc<Published>> {
        match self {
            DecryptionState::Done(p) => Some(p),
            DecryptionState::Pending { .. } => None,
        }
    }

    /// Whether a state summarised by `other` would advance this one, held
    /// by a key holder or not, for a decryption threshold `tau`
    /// ([`Summary::advanced_by`]).
    pub fn wants(&self, other: &Summary, tau: usize, holder: bool) -> bool {
        self.summary(holder).advanced_by(other, tau)
    }

    /// Merges a received state (checking its shape against `params` and
    /// the threshold `tau`) into this one, held by a key holder or not. A
    /// state of the same root contributes the shares this one lacks,
    /// smallest index first, up to the [`merge_limit`].
    pub fn merge(
        &mut self,
        other: DecryptionState<S>,
        params: &ChiaroscuroParams,
        tau: usize,
        holder: bool,
    ) -> Result<()> {
        other.check(params, tau)?;
        let other_summary = other.summary(false);
        if !self.wants(&other_summary, tau, holder) {
            return Ok(());
        }
        let limit = merge_limit(tau, holder);
        match (&mut *self, other) {
            (
                DecryptionState::Pending { root, partials, .. },
                DecryptionState::Pending {
                    root: other_root,
                    partials: theirs,
                    ..
                },
            ) if *root == other_root => {
                for (i, p) in theirs {
                    if partials.len() >= limit {
                        break;
                    }
                    if let Err(at) = partials.binary_search_by_key(&i, |q| q.0) {
                        partials.insert(at, (i, p));
                    }
                }
            }
            (me, other) => *me = other,
        }
        Ok(())
    }

    /// Validates a state received from the network.
    fn check(&self, params: &ChiaroscuroParams, tau: usize) -> Result<()> {
        match self {
            DecryptionState::Pending { partials, .. } => {
                let ok = partials.windows(2).all(|w| w[0].0 < w[1].0)
                    && partials
                        .iter()
                        .all(|p| (1..=params.committee).contains(&p.0));
                if !ok {
                    return Err(ProtocolError::Malformed(
                        "partial decryptions not distinct committee shares".into(),
                    ));
                }
                // A state with τ shares is decrypted by whoever applied the
                // last one, never sent pending.
                if partials.len() >= tau {
                    return Err(ProtocolError::Malformed(format!(
                        "a pending state with {} partial decryptions (τ = {tau})",
                        partials.len()
                    )));
                }
            }
            DecryptionState::Done(p) => {
                let n = params.length + 1;
                if !p.values.len().is_multiple_of(n) || p.values.len() > params.vector_len() {
                    return Err(ProtocolError::Malformed(format!(
                        "{} published values for series of {}",
                        p.values.len(),
                        params.length
                    )));
                }
            }
        }
        Ok(())
    }

    /// A key holder's step: applies `share` if it is missing and fewer than
    /// τ shares are applied; combines once τ are. Returns whether this
    /// participant decrypted.
    #[allow(clippy::too_many_arguments)]
    pub fn contribute<R: CryptoRng + ?Sized>(
        &mut self,
        scheme: &S,
        share: Option<&S::KeyShare>,
        iteration: u32,
        len: usize,
        params: &ChiaroscuroParams,
        rng: &mut R,
    ) -> Result<bool> {
        let tau = scheme.threshold() as usize;
        let DecryptionState::Pending {
            root,
            means,
            partials,
        } = self
        else {
            return Ok(false);
        };
        if let Some(share) = share {
            let index = scheme.share_index(share);
            if partials.len() < tau
                && let Err(at) = partials.binary_search_by_key(&index, |q| q.0)
            {
                let p = scheme.partial(share, &means.values, rng)?;
                partials.insert(at, (index, p));
            }
        }
        if partials.len() < tau {
            return Ok(false);
        }
        let chosen: Vec<(u32, &S::Partial)> =
            partials.iter().take(tau).map(|(i, p)| (*i, p)).collect();
        let plain = scheme.decrypt(&means.values, len, &means.counter, &chosen)?;
        if means.weight <= 0 {
            return Err(ProtocolError::invalid(
                "decryption",
                "the means have no weight",
            ));
        }
        let unit = params.unit();
        let w = means.weight.to_f64();
        let values = plain.iter().map(|x| x / w / unit).collect();
        let root = *root;
        let participants = means.participants().unwrap_or(0.0);
        let removed = means.removed_shares;
        *self = DecryptionState::Done(Arc::new(Published::with_noise(
            iteration,
            root,
            values,
            params,
            participants,
            removed,
        )));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chiaroscuro::additive::{
        InsecureKeyShare, InsecurePlaintext, InsecurePlaintextVector,
    };
    use crate::chiaroscuro::params::tests::small;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    type D = DecryptionState<InsecurePlaintext>;
    const S: InsecurePlaintext = InsecurePlaintext { threshold: 3 };
    const TAU: usize = 3;

    fn pending(root: u32, indices: &[u32]) -> D {
        let p = small();
        let unit = 65536.0;
        // Cluster 0: sums 4·(2, 2, 2, 2) with count 4; cluster 1: count 0.5.
        let mut v = vec![8.0 * unit; 4];
        v.push(4.0 * unit);
        v.extend([1.0 * unit; 4]);
        v.push(0.5 * unit);
        assert_eq!(v.len(), p.vector_len());
        D::Pending {
            root: NodeId(root),
            means: EncryptedMeans::initial(InsecurePlaintextVector::new(v), true),
            partials: indices.iter().map(|i| (*i, ())).collect(),
        }
    }

    #[test]
    fn same_root_states_merge_their_shares_up_to_tau_minus_one() {
        let p = small();
        let mut a = pending(7, &[3]);
        // τ = 3: of {2, 4}, only the smallest missing share fits.
        a.merge(pending(7, &[2, 4]), &p, TAU, false).unwrap();
        assert_eq!(a.summary(false).indices, vec![2, 3]);
        // With τ − 1 shares, a state of the same root is not wanted: only a
        // key holder's own share completes it.
        assert!(!a.wants(&pending(7, &[1]).summary(false), TAU, false));
        a.merge(pending(7, &[1]), &p, TAU, false).unwrap();
        assert_eq!(a.summary(false).indices, vec![2, 3]);
        // A larger threshold takes them all.
        let mut b = pending(7, &[3]);
        b.merge(pending(7, &[2, 4]), &p, 5, false).unwrap();
        assert_eq!(b.summary(false).indices, vec![2, 3, 4]);
        // A key holder merges up to τ, then decrypts: one whose own share 3
        // is among its τ − 1 could otherwise never complete them.
        let mut h = pending(7, &[2, 3]);
        assert!(h.wants(&pending(7, &[1]).summary(false), TAU, true));
        h.merge(pending(7, &[1, 4]), &p, TAU, true).unwrap();
        assert_eq!(h.summary(true).indices, vec![1, 2, 3]);
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let len = p.vector_len();
        assert!(
            h.contribute(&S, Some(&InsecureKeyShare(3)), 0, len, &p, &mut rng)
                .unwrap()
        );
        // The summary tells the other side which limit applies.
        let offer = pending(7, &[2, 3]).summary(true);
        assert!(offer.advanced_by(&pending(7, &[1]).summary(false), TAU));
        assert!(
            !pending(7, &[2, 3])
                .summary(false)
                .advanced_by(&pending(7, &[1]).summary(false), TAU)
        );
    }

    #[test]
    fn the_more_advanced_state_wins_and_ties_go_to_the_smaller_root() {
        let p = small();
        let mut a = pending(7, &[1]);
        a.merge(pending(9, &[2, 3]), &p, TAU, false).unwrap();
        assert_eq!(a.summary(false).root, Some(NodeId(9)));
        let mut b = pending(7, &[1]);
        b.merge(pending(3, &[2]), &p, TAU, false).unwrap();
        assert_eq!(b.summary(false).root, Some(NodeId(3)));
        let mut c = pending(3, &[1]);
        c.merge(pending(7, &[2]), &p, TAU, false).unwrap();
        assert_eq!(c.summary(false), pending(3, &[1]).summary(false));
    }

    #[test]
    fn exactly_tau_shares_decrypt_and_the_result_is_published() {
        let p = small();
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let mut a = pending(7, &[1, 2]);
        // A share already applied changes nothing.
        assert!(
            !a.contribute(
                &S,
                Some(&InsecureKeyShare(2)),
                0,
                p.vector_len(),
                &p,
                &mut rng
            )
            .unwrap()
        );
        assert!(
            a.contribute(
                &S,
                Some(&InsecureKeyShare(5)),
                0,
                p.vector_len(),
                &p,
                &mut rng
            )
            .unwrap()
        );
        let out = a.published().unwrap();
        // Cluster 0: mean 2 survives; cluster 1 (count 0.5) is aberrant.
        assert_eq!(out.centroids, vec![vec![2.0; 4]]);
        assert_eq!(out.eliminated, 1);
        // A published result beats any pending state.
        let mut b = pending(1, &[1, 2]);
        b.merge(a.clone(), &p, TAU, false).unwrap();
        assert!(b.published().is_some());
        assert!(!a.wants(&pending(1, &[1, 2]).summary(false), TAU, false));
        // Of two results, the smaller root's wins.
        let mut c = pending(0, &[1, 2]);
        c.contribute(
            &S,
            Some(&InsecureKeyShare(3)),
            0,
            p.vector_len(),
            &p,
            &mut rng,
        )
        .unwrap();
        a.merge(c.clone(), &p, TAU, false).unwrap();
        assert_eq!(a.published().unwrap().root, NodeId(0));
        c.merge(pending(7, &[1, 2]), &p, TAU, false).unwrap();
        assert_eq!(c.published().unwrap().root, NodeId(0));
    }

    #[test]
    fn malformed_states_are_refused() {
        let p = small();
        let mut a = pending(7, &[1]);
        assert!(a.merge(pending(9, &[3, 2]), &p, TAU, false).is_err());
        assert!(a.merge(pending(9, &[1, 6]), &p, TAU, false).is_err());
        // τ shares pending: whoever applied the last one had to decrypt.
        assert!(a.merge(pending(9, &[1, 2, 3]), &p, TAU, false).is_err());
        assert_eq!(a.summary(false).root, Some(NodeId(7)));
    }
}
