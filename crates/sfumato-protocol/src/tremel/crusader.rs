//! The Byzantine Agreement phase of Tremel's Byzantine-tolerant queries
//! (§5.2): the `2t + 1` proxies of one owner-signed tuple decide whether
//! to use it, and every correct proxy decides alike.
//!
//! # Why not the paper's two phases
//!
//! §5.2 runs two multicasts: endorse the tuple, then bundle `t + 1`
//! endorsements. That rule can split correct proxies
//! (`the_two_phase_rule_can_split_correct_proxies` below): `t` Byzantine
//! proxies and one correct holder make `t + 1` endorsements; the Byzantine
//! ones keep theirs from the correct proxies and, in phase two, send a
//! valid bundle to some correct proxies only. Those use the tuple, the
//! others do not, correct groups sum different sets, and the owner may
//! never see `t + 1` equal results.
//!
//! # Dolev–Strong rounds
//!
//! So sfumato runs the authenticated agreement of Dolev & Strong (1983),
//! which is what §5.2's rule becomes when it is made safe; for `t = 1` it
//! is exactly two phases:
//!
//! * round 0 is the Shuffle: a proxy that received the owner-signed tuple
//!   itself **accepts** it;
//! * in round `r = 1 … t + 1`, a proxy that accepted the tuple in round
//!   `r − 1` endorses it (Ed25519 over `query ‖ digest`) and sends it with
//!   all `r` endorsements it holds to the tuple's other proxies;
//! * a proxy not yet holding the tuple accepts it in round `r` if it
//!   arrives with endorsements of at least `r` distinct proxies of the
//!   tuple;
//! * after round `t + 1` a proxy uses the tuple iff it accepted it.
//!
//! Agreement: if a correct proxy accepts in round `r ≤ t`, it relays in
//! `r + 1 ≤ t + 1` with `r + 1` endorsements, and every correct proxy
//! accepts then. If it accepts only in round `t + 1`, one of the `t + 1`
//! endorsers is correct, and a correct proxy endorses only when it relays
//! to all, so every correct proxy had accepted already. Validity: a
//! correct meter's tuple travels `2t + 1` node-disjoint paths, at most `t`
//! of which hold a faulty node, so correct proxies accept it in round 0
//! and all correct proxies in round 1.
//!
//! Since the owner signed the tuple, no proxy can change it: the decision
//! is only whether it is present.

use std::collections::BTreeMap;

use crate::error::{ProtocolError, Result};

const ENDORSE: &[u8] = b"sfumato/tremel/endorse/v1";

/// Checks node `p`'s signature of some bytes.
pub type Verify<'a> = dyn FnMut(u32, &[u8], &[u8; 64]) -> bool + 'a;

/// A proxy's signature that it accepted the tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endorsement {
    /// The proxy.
    pub proxy: u32,
    /// Its signature of `ENDORSE ‖ query ‖ digest` (Ed25519, or the
    /// simulation stand-in's tag).
    pub signature: [u8; 64],
}

/// The bytes a proxy endorses for the tuple with SHA-256 `digest` in query
/// `query`.
pub fn endorsement_bytes(query: u64, digest: &[u8; 32]) -> Vec<u8> {
    [ENDORSE, &query.to_le_bytes(), digest].concat()
}

/// One tuple's agreement at one proxy.
#[derive(Clone, Debug)]
pub struct Agreement {
    query: u64,
    digest: [u8; 32],
    t: u32,
    proxies: Vec<u32>,
    /// The round it was accepted in, if it was.
    accepted: Option<u32>,
    endorsements: BTreeMap<u32, [u8; 64]>,
}

impl Agreement {
    /// The agreement on the tuple with SHA-256 `digest` in query `query`,
    /// among `proxies` (`2t + 1` of them).
    pub fn new(query: u64, digest: [u8; 32], proxies: Vec<u32>, t: u32) -> Result<Agreement> {
        if proxies.len() != 2 * t as usize + 1 {
            return Err(ProtocolError::invalid(
                "proxies",
                format!(
                    "{} proxies; a tuple has 2t + 1 = {}",
                    proxies.len(),
                    2 * t + 1
                ),
            ));
        }
        Ok(Agreement {
            query,
            digest,
            t,
            proxies,
            accepted: None,
            endorsements: BTreeMap::new(),
        })
    }

    /// The tuple's proxies.
    pub fn proxies(&self) -> &[u32] {
        &self.proxies
    }

    /// Round 0: this proxy received the tuple itself (in the Shuffle).
    pub fn receive(&mut self) {
        self.accepted.get_or_insert(0);
    }

    /// The round this proxy accepted the tuple in.
    pub fn accepted_in(&self) -> Option<u32> {
        self.accepted
    }

    /// Whether this proxy relays in round `r`: it accepted in `r − 1` and
    /// `r ≤ t + 1`.
    pub fn relays_in(&self, r: u32) -> bool {
        r >= 1 && r <= self.t + 1 && self.accepted == Some(r - 1)
    }

    /// The relay of round `r` at proxy `me`: its endorsement added to
    /// those it holds. `None` unless [`Agreement::relays_in`] `r`.
    pub fn relay(
        &mut self,
        r: u32,
        me: u32,
        sign: &mut dyn FnMut(&[u8]) -> [u8; 64],
    ) -> Option<Vec<Endorsement>> {
        if !self.relays_in(r) {
            return None;
        }
        let signature = sign(&endorsement_bytes(self.query, &self.digest));
        self.endorsements.insert(me, signature);
        Some(
            self.endorsements
                .iter()
                .map(|(p, s)| Endorsement {
                    proxy: *p,
                    signature: *s,
                })
                .collect(),
        )
    }

    /// A relay arrived in round `r` (`1 ≤ r ≤ t + 1`). It is checked only
    /// if the tuple is not accepted yet; it is accepted with endorsements
    /// of at least `r` distinct proxies of the tuple, each valid under
    /// `verify`. Returns whether it was accepted now.
    pub fn on_relay(
        &mut self,
        r: u32,
        endorsements: &[Endorsement],
        verify: &mut Verify<'_>,
    ) -> Result<bool> {
        if self.accepted.is_some() {
            return Ok(false);
        }
        if r == 0 || r > self.t + 1 {
            return Err(ProtocolError::Malformed(format!(
                "an agreement relay in round {r}; rounds run 1 to {}",
                self.t + 1
            )));
        }
        let bytes = endorsement_bytes(self.query, &self.digest);
        let mut valid = BTreeMap::new();
        for e in endorsements {
            if !self.proxies.contains(&e.proxy) {
                return Err(ProtocolError::Malformed(format!(
                    "node {} is not a proxy of this tuple",
                    e.proxy
                )));
            }
            if valid.contains_key(&e.proxy) {
                continue;
            }
            if !verify(e.proxy, &bytes, &e.signature) {
                return Err(ProtocolError::Malformed(format!(
                    "a forged endorsement of node {}",
                    e.proxy
                )));
            }
            valid.insert(e.proxy, e.signature);
        }
        if (valid.len() as u32) < r {
            return Err(ProtocolError::Malformed(format!(
                "a round-{r} relay with {} endorsements; {r} needed",
                valid.len()
            )));
        }
        self.endorsements = valid;
        self.accepted = Some(r);
        Ok(true)
    }

    /// Whether this proxy uses the tuple (after round `t + 1`).
    pub fn decided(&self) -> bool {
        self.accepted.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::{Rng, SeedableRng};
    use sfumato_crypto::symmetric::{Signature, SigningKey};

    struct Net {
        keys: Vec<SigningKey>,
        t: u32,
    }

    impl Net {
        fn new(t: u32) -> Net {
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(t));
            let keys = (0..2 * t + 1)
                .map(|_| SigningKey::generate(&mut rng))
                .collect();
            Net { keys, t }
        }
        fn agreements(&self) -> Vec<Agreement> {
            (0..2 * self.t + 1)
                .map(|_| Agreement::new(4, [7; 32], (0..2 * self.t + 1).collect(), self.t).unwrap())
                .collect()
        }
        fn verify(&self) -> impl FnMut(u32, &[u8], &[u8; 64]) -> bool + '_ {
            |p, bytes, s| {
                self.keys.get(p as usize).is_some_and(|k| {
                    Signature::from_bytes(s)
                        .is_ok_and(|s| k.verifying_key().verify(bytes, &s).is_ok())
                })
            }
        }
        fn signer(&self, p: u32) -> impl FnMut(&[u8]) -> [u8; 64] + '_ {
            move |b| self.keys[p as usize].sign(b).to_bytes()
        }
    }

    /// Runs the rounds. `holders` received the tuple in the Shuffle;
    /// proxies `< byz` are Byzantine: in each round they relay, to the
    /// correct proxies a random subset chooses, a message with every
    /// Byzantine endorsement and all they have seen — the strongest
    /// selective sender. Returns the correct proxies' decisions.
    fn run(net: &Net, holders: &[u32], byz: u32, rng: &mut ChaCha8Rng) -> Vec<bool> {
        let n = 2 * net.t + 1;
        let mut a = net.agreements();
        for h in holders {
            a[*h as usize].receive();
        }
        // What the Byzantine proxies pooled: their own endorsements (of a
        // tuple they hold) and every correct one they were sent.
        let byz_holds = holders.iter().any(|h| *h < byz);
        let mut pooled: BTreeMap<u32, [u8; 64]> = BTreeMap::new();
        if byz_holds {
            for b in 0..byz {
                pooled.insert(
                    b,
                    net.keys[b as usize]
                        .sign(&endorsement_bytes(4, &[7; 32]))
                        .to_bytes(),
                );
            }
        }
        for r in 1..=net.t + 1 {
            let mut sends: Vec<(u32, Vec<Endorsement>)> = Vec::new();
            for p in byz..n {
                if let Some(es) = a[p as usize].relay(r, p, &mut net.signer(p)) {
                    for e in &es {
                        pooled.insert(e.proxy, e.signature);
                    }
                    for to in 0..n {
                        if to != p {
                            sends.push((to, es.clone()));
                        }
                    }
                }
            }
            let bundle: Vec<Endorsement> = pooled
                .iter()
                .map(|(p, s)| Endorsement {
                    proxy: *p,
                    signature: *s,
                })
                .collect();
            for to in byz..n {
                if !bundle.is_empty() && rng.next_u32().is_multiple_of(2) {
                    sends.push((to, bundle.clone()));
                }
            }
            for (to, es) in sends {
                if to >= byz {
                    let _ = a[to as usize].on_relay(r, &es, &mut net.verify());
                }
            }
        }
        (byz..n).map(|p| a[p as usize].decided()).collect()
    }

    #[test]
    fn correct_proxies_always_agree_and_keep_every_tuple_a_correct_proxy_received() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for t in 1..=3u32 {
            let net = Net::new(t);
            let n = 2 * t + 1;
            for _ in 0..300 {
                let holders: Vec<u32> = (0..n).filter(|_| rng.next_u32() % 3 == 0).collect();
                let decisions = run(&net, &holders, t, &mut rng);
                assert!(
                    decisions.iter().all(|d| *d == decisions[0]),
                    "t = {t}, holders {holders:?}: {decisions:?}"
                );
                if holders.iter().any(|h| *h >= t) {
                    assert!(decisions[0], "a correct holder's tuple was lost");
                }
            }
        }
    }

    #[test]
    fn thin_forged_and_foreign_relays_are_refused() {
        let net = Net::new(2);
        let mut a = net.agreements();
        a[0].receive();
        let es = a[0].relay(1, 0, &mut net.signer(0)).unwrap();
        assert!(a[0].relay(2, 0, &mut net.signer(0)).is_none());
        // Round 2 needs two endorsers.
        assert!(a[3].on_relay(2, &es, &mut net.verify()).is_err());
        assert!(!a[3].decided());
        // Signed by proxy 1 in proxy 0's name.
        let forged = vec![Endorsement {
            proxy: 0,
            signature: net.keys[1].sign(&endorsement_bytes(4, &[7; 32])).to_bytes(),
        }];
        assert!(a[3].on_relay(1, &forged, &mut net.verify()).is_err());
        // An endorsement of another tuple.
        let other = vec![Endorsement {
            proxy: 0,
            signature: net.keys[0].sign(&endorsement_bytes(4, &[8; 32])).to_bytes(),
        }];
        assert!(a[3].on_relay(1, &other, &mut net.verify()).is_err());
        // A non-proxy's endorsement; a round past t + 1.
        let mut outsider = es.clone();
        outsider[0].proxy = 9;
        assert!(a[3].on_relay(1, &outsider, &mut net.verify()).is_err());
        assert!(a[3].on_relay(4, &es, &mut net.verify()).is_err());
        assert!(a[3].on_relay(1, &es, &mut net.verify()).unwrap());
        assert_eq!(a[3].accepted_in(), Some(1));
        assert!(a[3].relays_in(2));
        assert!(Agreement::new(1, [0; 32], vec![0, 1], 2).is_err());
    }

    /// §5.2's rule, in its own terms: use a tuple with `t + 1` distinct
    /// endorsements after an endorse phase and a bundle phase. `t = 2`;
    /// proxies 3 and 4 are Byzantine, 0 is the only correct holder. The
    /// Byzantine ones withhold their endorsements in phase one and send a
    /// bundle of three to proxy 1 only: 1 would use the tuple, 2 would
    /// not. Dolev–Strong rounds do not split on the same moves.
    #[test]
    fn the_two_phase_rule_can_split_correct_proxies() {
        let net = Net::new(2);
        let sign = |p: usize| Endorsement {
            proxy: p as u32,
            signature: net.keys[p].sign(&endorsement_bytes(4, &[7; 32])).to_bytes(),
        };
        // Two-phase counts at proxies 1 and 2 (0's endorsement reached both).
        let at_1 = [sign(0), sign(3), sign(4)].len();
        let at_2 = [sign(0)].len();
        assert!(at_1 > 2 && at_2 <= 2, "the paper's rule splits");
        // The same moves in Dolev–Strong rounds.
        let mut a = net.agreements();
        a[0].receive();
        let r1 = a[0].relay(1, 0, &mut net.signer(0)).unwrap();
        for ag in &mut a[1..3] {
            assert!(ag.on_relay(1, &r1, &mut net.verify()).unwrap());
        }
        // Both correct proxies accepted in round 1 and relay in round 2:
        // the Byzantine bundle changes nothing.
        assert!(a[1].decided() && a[2].decided());
    }
}
