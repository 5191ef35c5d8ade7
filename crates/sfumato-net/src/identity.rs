//! A node's long-term identity: an Ed25519 key and the self-signed
//! certificate that carries its public half into TLS (Tremel §2: every
//! node has a key pair, and the membership service knows its public key).

use rcgen::{CertificateParams, KeyPair, PKCS_ED25519};
use sfumato_protocol::NodeId;
use zeroize::Zeroizing;

use crate::error::{NetError, Result};

/// The TLS server name under which node `id` answers (its certificate's
/// subject alternative name, and the SNI a sender asks for).
pub fn server_name(id: NodeId) -> String {
    format!("n{}.sfumato", id.0)
}

/// Node `id` from a server name made by [`server_name`].
pub fn node_of_server_name(name: &str) -> Option<NodeId> {
    let digits = name.strip_prefix('n')?.strip_suffix(".sfumato")?;
    if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
        return None;
    }
    digits.parse().ok().map(NodeId)
}

/// A node's key pair (secret: zeroized on drop, never printed) and its
/// certificate.
pub struct NodeIdentity {
    /// The node.
    pub id: NodeId,
    /// The Ed25519 key, PKCS#8 DER.
    key_pkcs8: Zeroizing<Vec<u8>>,
    /// The self-signed certificate, DER.
    pub certificate: Vec<u8>,
}

impl core::fmt::Debug for NodeIdentity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("NodeIdentity")
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl NodeIdentity {
    /// A fresh identity for node `id`, its key drawn from OS randomness.
    pub fn generate(id: NodeId) -> Result<NodeIdentity> {
        let key = KeyPair::generate_for(&PKCS_ED25519)
            .map_err(|e| NetError::Tls(format!("generating node {}'s key: {e}", id.0)))?;
        let cert = CertificateParams::new(vec![server_name(id)])
            .and_then(|p| p.self_signed(&key))
            .map_err(|e| NetError::Tls(format!("certifying node {}'s key: {e}", id.0)))?;
        Ok(NodeIdentity {
            id,
            key_pkcs8: Zeroizing::new(key.serialize_der()),
            certificate: cert.der().to_vec(),
        })
    }

    /// An identity stored earlier: the key (PKCS#8) and certificate (DER).
    /// Errors: a key that does not parse, or that the certificate does not
    /// certify.
    pub fn from_parts(id: NodeId, key_pkcs8: &[u8], certificate: &[u8]) -> Result<NodeIdentity> {
        let key = KeyPair::try_from(key_pkcs8)
            .map_err(|e| NetError::Directory(format!("node {}'s key: {e}", id.0)))?;
        let public = key.public_key_raw().to_vec();
        if public.is_empty() || !contains(certificate, &public) {
            return Err(NetError::Directory(format!(
                "node {}'s certificate does not carry its key",
                id.0
            )));
        }
        Ok(NodeIdentity {
            id,
            key_pkcs8: Zeroizing::new(key_pkcs8.to_vec()),
            certificate: certificate.to_vec(),
        })
    }

    /// The key, PKCS#8 DER (for the node's own store and its TLS
    /// configuration only).
    pub fn key_pkcs8(&self) -> &[u8] {
        &self.key_pkcs8
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_round_trip_and_reject_lookalikes() {
        for id in [0, 7, 4_000_000_000] {
            assert_eq!(
                node_of_server_name(&server_name(NodeId(id))),
                Some(NodeId(id))
            );
        }
        for bad in [
            "n.sfumato",
            "n07.sfumato",
            "x7.sfumato",
            "n7.sfumato.evil",
            "n-1.sfumato",
            "n99999999999.sfumato",
        ] {
            assert_eq!(node_of_server_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_identity_survives_storage_and_a_wrong_key_is_refused() {
        let a = NodeIdentity::generate(NodeId(1)).unwrap();
        let b = NodeIdentity::generate(NodeId(2)).unwrap();
        let again = NodeIdentity::from_parts(NodeId(1), a.key_pkcs8(), &a.certificate).unwrap();
        assert_eq!(again.certificate, a.certificate);
        assert!(NodeIdentity::from_parts(NodeId(1), b.key_pkcs8(), &a.certificate).is_err());
        assert!(NodeIdentity::from_parts(NodeId(1), b"junk", &a.certificate).is_err());
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.key_pkcs8())));
    }
}
