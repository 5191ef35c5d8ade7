//! The deployment directory: the membership service of Tremel §2 — every
//! node's id, the address of the host that runs it, and its certificate
//! (public key). A node accepts channels only from nodes listed here, and
//! a node's certificate proves which node it is.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sfumato_protocol::NodeId;

use crate::error::{NetError, Result};

/// One node of the deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    /// The node.
    pub id: NodeId,
    /// The host (process) that runs it.
    pub host: u32,
    /// Its self-signed certificate, DER in hexadecimal.
    pub certificate: String,
}

/// One host (process) of the deployment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostEntry {
    /// The host's index.
    pub host: u32,
    /// Where it listens.
    pub addr: SocketAddr,
}

/// The deployment directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    /// The deployment's name.
    pub deployment: String,
    /// The hosts.
    pub hosts: Vec<HostEntry>,
    /// The nodes.
    pub nodes: Vec<DirectoryEntry>,
}

/// A checked directory with its lookups.
#[derive(Clone, Debug)]
pub struct Membership {
    directory: Directory,
    by_id: HashMap<NodeId, (u32, Vec<u8>)>,
    by_certificate: HashMap<Vec<u8>, NodeId>,
    addrs: HashMap<u32, SocketAddr>,
}

impl Membership {
    /// Checks `directory`: hosts and nodes unique, every node on a listed
    /// host, every certificate valid hexadecimal and used once.
    pub fn new(directory: Directory) -> Result<Membership> {
        let bad = |why: String| Err(NetError::Directory(why));
        let mut addrs = HashMap::new();
        for h in &directory.hosts {
            if addrs.insert(h.host, h.addr).is_some() {
                return bad(format!("host {} is listed twice", h.host));
            }
        }
        let mut by_id = HashMap::new();
        let mut by_certificate = HashMap::new();
        for n in &directory.nodes {
            if !addrs.contains_key(&n.host) {
                return bad(format!(
                    "node {} runs on host {}, which is not listed",
                    n.id.0, n.host
                ));
            }
            let Some(cert) = from_hex(&n.certificate) else {
                return bad(format!("node {}'s certificate is not hexadecimal", n.id.0));
            };
            if cert.is_empty() {
                return bad(format!("node {} has no certificate", n.id.0));
            }
            if by_certificate.insert(cert.clone(), n.id).is_some() {
                return bad(format!("node {}'s certificate is another node's", n.id.0));
            }
            if by_id.insert(n.id, (n.host, cert)).is_some() {
                return bad(format!("node {} is listed twice", n.id.0));
            }
        }
        Ok(Membership {
            directory,
            by_id,
            by_certificate,
            addrs,
        })
    }

    /// Reads and checks the directory in `path` (JSON).
    pub fn load(path: &Path) -> Result<Membership> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| NetError::io(format!("reading {}", path.display()), e))?;
        let directory: Directory = serde_json::from_str(&text)
            .map_err(|e| NetError::Directory(format!("{}: {e}", path.display())))?;
        Membership::new(directory)
    }

    /// The directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The node whose certificate is `der`, if it is a member.
    pub fn node_of_certificate(&self, der: &[u8]) -> Option<NodeId> {
        self.by_certificate.get(der).copied()
    }

    /// Node `id`'s certificate.
    pub fn certificate(&self, id: NodeId) -> Option<&[u8]> {
        self.by_id.get(&id).map(|(_, c)| c.as_slice())
    }

    /// The host that runs node `id`.
    pub fn host_of(&self, id: NodeId) -> Option<u32> {
        self.by_id.get(&id).map(|(h, _)| *h)
    }

    /// Where node `id` is reached.
    pub fn addr_of(&self, id: NodeId) -> Option<SocketAddr> {
        self.host_of(id).and_then(|h| self.addrs.get(&h).copied())
    }

    /// Where host `host` listens.
    pub fn host_addr(&self, host: u32) -> Option<SocketAddr> {
        self.addrs.get(&host).copied()
    }

    /// The nodes of host `host`, ascending.
    pub fn nodes_of(&self, host: u32) -> Vec<NodeId> {
        let mut v: Vec<NodeId> = self
            .by_id
            .iter()
            .filter(|(_, (h, _))| *h == host)
            .map(|(id, _)| *id)
            .collect();
        v.sort_unstable();
        v
    }
}

/// Lower-case hexadecimal.
pub fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// The bytes of hexadecimal `s`, `None` if it is not.
pub fn from_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        Directory {
            deployment: "t".into(),
            hosts: vec![HostEntry {
                host: 0,
                addr: "127.0.0.1:9".parse().unwrap(),
            }],
            nodes: vec![
                DirectoryEntry {
                    id: NodeId(0),
                    host: 0,
                    certificate: "0a0b".into(),
                },
                DirectoryEntry {
                    id: NodeId(1),
                    host: 0,
                    certificate: "0c".into(),
                },
            ],
        }
    }

    #[test]
    fn lookups_and_refusals() {
        let m = Membership::new(dir()).unwrap();
        assert_eq!(m.node_of_certificate(&[0x0a, 0x0b]), Some(NodeId(0)));
        assert_eq!(m.node_of_certificate(&[0x0a]), None);
        assert_eq!(m.nodes_of(0), vec![NodeId(0), NodeId(1)]);
        assert_eq!(m.addr_of(NodeId(1)), Some("127.0.0.1:9".parse().unwrap()));
        let mut d = dir();
        d.nodes[1].certificate = "0a0b".into();
        assert!(
            Membership::new(d)
                .unwrap_err()
                .to_string()
                .contains("another node's")
        );
        let mut d = dir();
        d.nodes[1].id = NodeId(0);
        assert!(
            Membership::new(d)
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
        let mut d = dir();
        d.nodes[1].host = 3;
        assert!(Membership::new(d).is_err());
        let mut d = dir();
        d.nodes[1].certificate = "zz".into();
        assert!(Membership::new(d).is_err());
        assert_eq!(from_hex(&to_hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(from_hex("abc"), None);
    }
}
