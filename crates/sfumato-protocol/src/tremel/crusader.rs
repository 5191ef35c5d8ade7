//! The Byzantine Agreement phase of Tremel's Byzantine-tolerant queries
//! (§5.2), after Dolev's crusader agreement: the `2t + 1` proxies of one
//! owner-signed tuple decide whether to use it.
//!
//! * Round 1: a proxy that received the tuple **endorses** it (signs
//!   `query ‖ digest` with its Ed25519 key) and sends the endorsement to the
//!   tuple's other proxies.
//! * Round 2: a proxy with at least `t + 1` distinct valid endorsements
//!   (its own included) signs a **bundle** of them and sends it to the
//!   others. A bundle is accepted if its sender's signature is valid and it
//!   carries at least `t` valid endorsements besides the sender's; its
//!   endorsements are added to the receiver's.
//! * A proxy uses the tuple if and only if it holds `t + 1` distinct valid
//!   endorsements.
//!
//! Since the owner signed the tuple, a Byzantine proxy cannot change it:
//! the decision is only whether it is present.
//!
//! What this guarantees (tested below): a tuple from an honest meter that
//! reached at least `t + 1` honest proxies is used by every honest proxy;
//! a tuple no honest proxy received is used by none. What it does not: a
//! Byzantine proxy may send a valid bundle in round 2 to some honest
//! proxies only (`selective_bundles_can_split_honest_proxies`), which
//! docs/tremel-bft.md discusses.

use std::collections::BTreeMap;

use sfumato_crypto::symmetric::{Signature, SigningKey, VerifyingKey};

use crate::error::{ProtocolError, Result};

const ENDORSE: &[u8] = b"sfumato/tremel/endorse/v1";
const BUNDLE: &[u8] = b"sfumato/tremel/bundle/v1";

/// A proxy's signature that it holds the tuple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endorsement {
    /// The proxy.
    pub proxy: u32,
    /// Its signature of `ENDORSE ‖ query ‖ digest`.
    pub signature: Signature,
}

/// A proxy's round-2 message: `t + 1` endorsements or more, signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The sending proxy.
    pub sender: u32,
    /// The endorsements.
    pub endorsements: Vec<Endorsement>,
    /// The sender's signature of the bundle.
    pub signature: Signature,
}

/// One tuple's agreement at one proxy.
#[derive(Clone, Debug)]
pub struct Agreement {
    query: u64,
    digest: [u8; 32],
    t: u32,
    proxies: Vec<u32>,
    endorsements: BTreeMap<u32, Signature>,
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
            endorsements: BTreeMap::new(),
        })
    }

    fn endorse_bytes(&self) -> Vec<u8> {
        [ENDORSE, &self.query.to_le_bytes(), &self.digest].concat()
    }

    fn bundle_bytes(&self, sender: u32, endorsers: &[u32]) -> Vec<u8> {
        let mut b = [
            BUNDLE,
            &self.query.to_le_bytes(),
            &self.digest,
            &sender.to_le_bytes(),
        ]
        .concat();
        for e in endorsers {
            b.extend_from_slice(&e.to_le_bytes());
        }
        b
    }

    /// Round 1 at proxy `me`, which holds the tuple: its endorsement (also
    /// counted here).
    pub fn endorse(&mut self, me: u32, key: &SigningKey) -> Endorsement {
        let signature = key.sign(&self.endorse_bytes());
        self.endorsements.insert(me, signature);
        Endorsement {
            proxy: me,
            signature,
        }
    }

    /// Checks and keeps another proxy's endorsement; `key_of` gives a
    /// node's verifying key.
    pub fn on_endorsement(
        &mut self,
        e: &Endorsement,
        key_of: &dyn Fn(u32) -> Option<VerifyingKey>,
    ) -> Result<()> {
        self.check(e, key_of)?;
        self.endorsements.insert(e.proxy, e.signature);
        Ok(())
    }

    fn check(&self, e: &Endorsement, key_of: &dyn Fn(u32) -> Option<VerifyingKey>) -> Result<()> {
        if !self.proxies.contains(&e.proxy) {
            return Err(ProtocolError::Malformed(format!(
                "node {} is not a proxy of this tuple",
                e.proxy
            )));
        }
        let key = key_of(e.proxy)
            .ok_or_else(|| ProtocolError::Malformed(format!("node {} has no key", e.proxy)))?;
        key.verify(&self.endorse_bytes(), &e.signature)
            .map_err(|_| ProtocolError::Malformed(format!("a forged endorsement of {}", e.proxy)))
    }

    /// Round 2 at proxy `me`: its bundle, if it holds `t + 1` endorsements.
    pub fn bundle(&self, me: u32, key: &SigningKey) -> Option<Bundle> {
        if !self.decided() {
            return None;
        }
        let endorsers: Vec<u32> = self.endorsements.keys().copied().collect();
        Some(Bundle {
            sender: me,
            endorsements: self
                .endorsements
                .iter()
                .map(|(p, s)| Endorsement {
                    proxy: *p,
                    signature: *s,
                })
                .collect(),
            signature: key.sign(&self.bundle_bytes(me, &endorsers)),
        })
    }

    /// Checks a bundle: its sender's signature and at least `t` valid
    /// endorsements besides the sender's. Keeps its endorsements.
    pub fn on_bundle(
        &mut self,
        b: &Bundle,
        key_of: &dyn Fn(u32) -> Option<VerifyingKey>,
    ) -> Result<()> {
        if !self.proxies.contains(&b.sender) {
            return Err(ProtocolError::Malformed(format!(
                "node {} is not a proxy of this tuple",
                b.sender
            )));
        }
        let endorsers: Vec<u32> = b.endorsements.iter().map(|e| e.proxy).collect();
        if endorsers.windows(2).any(|w| w[0] >= w[1]) {
            return Err(ProtocolError::Malformed(
                "a bundle's endorsers must increase".into(),
            ));
        }
        let key = key_of(b.sender)
            .ok_or_else(|| ProtocolError::Malformed(format!("node {} has no key", b.sender)))?;
        key.verify(&self.bundle_bytes(b.sender, &endorsers), &b.signature)
            .map_err(|_| ProtocolError::Malformed("a forged bundle".into()))?;
        let mut others = 0;
        for e in &b.endorsements {
            self.check(e, key_of)?;
            if e.proxy != b.sender {
                others += 1;
            }
        }
        if others < self.t {
            return Err(ProtocolError::Malformed(format!(
                "a bundle with {others} endorsements besides its sender's; {} needed",
                self.t
            )));
        }
        for e in &b.endorsements {
            self.endorsements.insert(e.proxy, e.signature);
        }
        Ok(())
    }

    /// Whether this proxy uses the tuple: `t + 1` distinct endorsements.
    pub fn decided(&self) -> bool {
        self.endorsements.len() > self.t as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    struct Net {
        keys: Vec<SigningKey>,
        t: u32,
        proxies: Vec<u32>,
    }

    impl Net {
        fn new(t: u32) -> Net {
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(t));
            let keys = (0..2 * t + 1)
                .map(|_| SigningKey::generate(&mut rng))
                .collect();
            Net {
                keys,
                t,
                proxies: (0..2 * t + 1).collect(),
            }
        }
        fn agreements(&self) -> Vec<Agreement> {
            self.proxies
                .iter()
                .map(|_| Agreement::new(4, [7; 32], self.proxies.clone(), self.t).unwrap())
                .collect()
        }
        fn key_of(&self) -> impl Fn(u32) -> Option<VerifyingKey> + '_ {
            |p| self.keys.get(p as usize).map(SigningKey::verifying_key)
        }
    }

    /// Round 1 by the proxies in `holders` (to everyone), round 2 by every
    /// proxy that can bundle (to everyone).
    fn honest_run(net: &Net, holders: &[u32]) -> Vec<bool> {
        let mut a = net.agreements();
        let ends: Vec<Endorsement> = holders
            .iter()
            .map(|h| a[*h as usize].endorse(*h, &net.keys[*h as usize]))
            .collect();
        for (i, ag) in a.iter_mut().enumerate() {
            for e in &ends {
                if e.proxy != i as u32 {
                    ag.on_endorsement(e, &net.key_of()).unwrap();
                }
            }
        }
        let bundles: Vec<Bundle> = (0..a.len())
            .filter_map(|i| a[i].bundle(i as u32, &net.keys[i]))
            .collect();
        for ag in a.iter_mut() {
            for b in &bundles {
                ag.on_bundle(b, &net.key_of()).unwrap();
            }
        }
        a.iter().map(Agreement::decided).collect()
    }

    #[test]
    fn a_tuple_that_reached_t_plus_one_proxies_is_used_by_all_and_fewer_by_none() {
        let net = Net::new(3);
        assert!(honest_run(&net, &[0, 2, 5, 6]).iter().all(|d| *d));
        assert!(honest_run(&net, &[0, 1, 2]).iter().all(|d| !*d));
        assert!(honest_run(&net, &[]).iter().all(|d| !*d));
    }

    #[test]
    fn forged_endorsements_and_thin_bundles_are_refused() {
        let net = Net::new(2);
        let mut a = net.agreements();
        // Proxy 1 signs as proxy 0.
        let forged = Endorsement {
            proxy: 0,
            signature: net.keys[1].sign(b"anything"),
        };
        assert!(a[3].on_endorsement(&forged, &net.key_of()).is_err());
        // An endorsement of another tuple does not count.
        let mut other = Agreement::new(4, [8; 32], net.proxies.clone(), 2).unwrap();
        let e = other.endorse(1, &net.keys[1]);
        assert!(a[3].on_endorsement(&e, &net.key_of()).is_err());
        // A bundle of only its sender's endorsement and one more (t = 2
        // needs two besides the sender's).
        let e0 = a[0].endorse(0, &net.keys[0]);
        a[1].endorse(1, &net.keys[1]);
        a[1].on_endorsement(&e0, &net.key_of()).unwrap();
        let endorsers = [0u32, 1];
        let thin = Bundle {
            sender: 1,
            endorsements: vec![
                e0.clone(),
                Endorsement {
                    proxy: 1,
                    signature: net.keys[1].sign(&a[1].endorse_bytes()),
                },
            ],
            signature: net.keys[1].sign(&a[1].bundle_bytes(1, &endorsers)),
        };
        assert!(a[4].on_bundle(&thin, &net.key_of()).is_err());
        assert!(!a[4].decided());
        assert!(Agreement::new(1, [0; 32], vec![0, 1], 2).is_err());
    }

    /// The gap in the two-phase rule: t Byzantine proxies (3, 4) and one
    /// honest holder (0) make t + 1 endorsements; the Byzantine ones send
    /// theirs to nobody and a bundle in round 2 to proxy 1 only. Proxy 1
    /// uses the tuple, proxy 2 does not.
    #[test]
    fn selective_bundles_can_split_honest_proxies() {
        let net = Net::new(2);
        let mut a = net.agreements();
        let e0 = a[0].endorse(0, &net.keys[0]);
        for ag in &mut a[1..5] {
            ag.on_endorsement(&e0, &net.key_of()).unwrap();
        }
        let e3 = a[3].endorse(3, &net.keys[3]);
        let e4 = a[4].endorse(4, &net.keys[4]);
        a[3].on_endorsement(&e4, &net.key_of()).unwrap();
        let b = a[3].bundle(3, &net.keys[3]).unwrap();
        let _ = e3;
        a[1].on_bundle(&b, &net.key_of()).unwrap();
        assert!(a[1].decided());
        assert!(!a[2].decided());
        assert!(!a[0].decided());
    }
}
