//! The servers' TLS configuration: the certificate and key from PEM files, or a self-signed
//! certificate for `localhost` and `127.0.0.1` made at start.

use std::io;
use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A certificate chain and its private key.
pub(crate) struct Identity {
    pub(crate) chain: Vec<CertificateDer<'static>>,
    pub(crate) key: PrivateKeyDer<'static>,
}

/// A fresh self-signed certificate (ECDSA P-256) for `localhost` and `127.0.0.1`.
pub(crate) fn self_signed() -> io::Result<Identity> {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let key = PrivateKeyDer::try_from(certified.signing_key.serialize_der())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    Ok(Identity {
        chain: vec![certified.cert.der().clone()],
        key,
    })
}

/// The certificate chain and key in the PEM files `cert` and `key`.
pub(crate) fn from_pem_files(cert: &Path, key: &Path) -> io::Result<Identity> {
    let bad = |path: &Path, e: rustls::pki_types::pem::Error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: {e}", path.display()),
        )
    };
    let chain = CertificateDer::pem_file_iter(cert)
        .map_err(|e| bad(cert, e))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(cert, e))?;
    if chain.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: no certificate in the file", cert.display()),
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| bad(key, e))?;
    Ok(Identity { chain, key })
}

/// rustls's server configuration for `identity`, on the `ring` provider, offering HTTP/1.1
/// and HTTP/1.0 by ALPN.
pub(crate) fn server_config(identity: Identity) -> io::Result<Arc<ServerConfig>> {
    let provider = Arc::new(provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    // A client that offers ALPN must find a protocol it asked for, or rustls refuses the
    // handshake (`curl --http1.0` offers only `http/1.0`); hyper's HTTP/1 serves both.
    config.alpn_protocols = vec![b"http/1.1".to_vec(), b"http/1.0".to_vec()];
    Ok(Arc::new(config))
}

/// rustls on *ring*, for the corio server, its tokio peer and the test and benchmark clients.
///
/// rustls 0.23.48 deprecates its *ring* provider because it offers no post-quantum key
/// exchange; its default, aws-lc-rs, compiles a C library with cmake, which would add minutes
/// to every build of the workspace. Every side here uses the same provider (X25519, ECDSA
/// P-256), so the comparison between the runtimes is even.
#[allow(deprecated)]
pub(crate) fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}
