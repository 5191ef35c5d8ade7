//! Mutually authenticated TLS 1.3 channels between the nodes of a
//! directory (rustls on ring).
//!
//! A channel carries one sender node's frames to one receiver node. The
//! sender connects to the receiver's host asking, by SNI, for
//! [`server_name`]`(receiver)`; the host answers with that node's
//! certificate. Each side accepts the other only if its certificate is
//! exactly one listed in the directory — and, for the receiver, the
//! listed certificate of the node asked for — and TLS checks that the
//! peer holds the key. Anything else is refused and counted.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, DistinguishedName, ServerConfig,
    SignatureScheme,
};
use sfumato_protocol::NodeId;

use crate::counters::Counters;
use crate::directory::Membership;
use crate::error::{NetError, Result};
use crate::identity::{NodeIdentity, node_of_server_name, server_name};

/// The crypto provider: ring (TLS 1.3 only, X25519 key exchange, Ed25519
/// node keys). rustls deprecates ring's provider because it has no
/// post-quantum key exchange; aws-lc-rs has one but needs a C toolchain
/// build of several minutes, which this lean build avoids. See
/// docs/net.md ("What the channels protect").
#[allow(deprecated)]
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Accepts exactly the directory's certificates.
#[derive(Debug)]
struct DirectoryVerifier {
    membership: Arc<Membership>,
    provider: Arc<CryptoProvider>,
    counters: Arc<Counters>,
}

impl DirectoryVerifier {
    fn member(&self, der: &[u8]) -> core::result::Result<NodeId, rustls::Error> {
        self.membership.node_of_certificate(der).ok_or_else(|| {
            self.counters.rejected_peers(1);
            rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
        })
    }

    fn tls13(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

fn no_tls12() -> rustls::Error {
    rustls::Error::General("TLS 1.2 is not offered".into())
}

impl ServerCertVerifier for DirectoryVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> core::result::Result<ServerCertVerified, rustls::Error> {
        let id = self.member(end_entity)?;
        let asked = match name {
            ServerName::DnsName(d) => node_of_server_name(d.as_ref()),
            _ => None,
        };
        if asked != Some(id) {
            self.counters.rejected_peers(1);
            return Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName,
            ));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        Err(no_tls12())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

impl ClientCertVerifier for DirectoryVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> core::result::Result<ClientCertVerified, rustls::Error> {
        self.member(end_entity)?;
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        Err(no_tls12())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> core::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.tls13(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes()
    }
}

/// Answers each SNI with the certificate of the local node it names.
#[derive(Debug)]
struct LocalNodes {
    keys: HashMap<String, Arc<CertifiedKey>>,
}

impl ResolvesServerCert for LocalNodes {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        hello.server_name().and_then(|n| self.keys.get(n).cloned())
    }
}

fn certified(provider: &CryptoProvider, identity: &NodeIdentity) -> Result<CertifiedKey> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8().to_vec()));
    let signing = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| NetError::Tls(format!("node {}'s key: {e}", identity.id.0)))?;
    Ok(CertifiedKey::new(
        vec![CertificateDer::from(identity.certificate.clone())],
        signing,
    ))
}

/// The TLS configurations of one host.
pub struct TlsSetup {
    /// Accepts channels to the host's nodes.
    pub server: Arc<ServerConfig>,
    /// Per local node: opens channels from it.
    pub clients: HashMap<NodeId, Arc<ClientConfig>>,
}

impl TlsSetup {
    /// The configurations of a host running the nodes of `identities`.
    pub fn new(
        membership: Arc<Membership>,
        identities: &[NodeIdentity],
        counters: Arc<Counters>,
    ) -> Result<TlsSetup> {
        let provider = provider();
        let verifier = Arc::new(DirectoryVerifier {
            membership,
            provider: provider.clone(),
            counters,
        });
        let tls = |e: rustls::Error| NetError::Tls(e.to_string());
        let mut keys = HashMap::new();
        let mut clients = HashMap::new();
        for identity in identities {
            let ck = certified(&provider, identity)?;
            keys.insert(server_name(identity.id), Arc::new(ck));
            let client = ClientConfig::builder_with_provider(provider.clone())
                .with_protocol_versions(&[&rustls::version::TLS13])
                .map_err(tls)?
                .dangerous()
                .with_custom_certificate_verifier(verifier.clone())
                .with_client_auth_cert(
                    vec![CertificateDer::from(identity.certificate.clone())],
                    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(identity.key_pkcs8().to_vec())),
                )
                .map_err(tls)?;
            clients.insert(identity.id, Arc::new(client));
        }
        let server = ServerConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(tls)?
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(Arc::new(LocalNodes { keys }));
        Ok(TlsSetup {
            server: Arc::new(server),
            clients,
        })
    }
}
