//! What a connection speaks below HTTP: plain TCP, or TLS for the admin listener
//! (`--admin-tls-cert/--admin-tls-key`), so that a signed request crossing a network is neither
//! read nor replayed by whoever sees the traffic.
//!
//! TLS is rustls on its ring provider (no C toolchain beyond a C compiler; the `safe` defaults:
//! TLS 1.2 and 1.3, no client certificates), keys and certificates read from PEM files by
//! rustls-pki-types. [`crate::serve_on`] runs the handshake on the connection's own task,
//! within the header timeout, so a slow handshake holds neither the accept loop nor the drain.

use std::future::Future;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// How an accepted TCP connection becomes the byte stream HTTP is served on.
pub trait Transport: Clone + Send + Sync + 'static {
    /// The stream HTTP runs on.
    type Io: AsyncRead + AsyncWrite + Unpin + Send + 'static;
    /// Set the connection up (a TLS handshake, or nothing).
    fn handshake(&self, stream: TcpStream) -> impl Future<Output = io::Result<Self::Io>> + Send;
}

/// HTTP straight on TCP.
#[derive(Debug, Clone, Copy, Default)]
pub struct Plain;

impl Transport for Plain {
    type Io = TcpStream;

    async fn handshake(&self, stream: TcpStream) -> io::Result<TcpStream> {
        Ok(stream)
    }
}

/// HTTPS: TLS with one certificate chain and its key.
#[derive(Clone)]
pub struct Tls(tokio_rustls::TlsAcceptor);

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls").finish_non_exhaustive()
    }
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate file is missing, unreadable or holds no PEM certificate.
    #[error("cannot read the TLS certificate chain `{}`: {reason}", path.display())]
    Certificate {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The key file is missing, unreadable or holds no PEM private key.
    #[error("cannot read the TLS private key `{}`: {reason}", path.display())]
    Key {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the pair (e.g. the key does not belong to the certificate).
    #[error("cannot use the TLS certificate and key: {0}")]
    Config(String),
}

impl Tls {
    /// TLS with the PEM certificate chain at `cert` (leaf first) and the PEM private key
    /// (PKCS#8, PKCS#1 or SEC1) at `key`.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let certificate = |reason: String| TlsError::Certificate {
            path: cert.to_owned(),
            reason,
        };
        let chain = CertificateDer::pem_file_iter(cert)
            .map_err(|e| certificate(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| certificate(e.to_string()))?;
        if chain.is_empty() {
            return Err(certificate(
                "no `BEGIN CERTIFICATE` block in the file".into(),
            ));
        }
        let private_key = PrivateKeyDer::from_pem_file(key).map_err(|e| TlsError::Key {
            path: key.to_owned(),
            reason: e.to_string(),
        })?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::Config(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private_key)
            .map_err(|e| TlsError::Config(e.to_string()))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self(tokio_rustls::TlsAcceptor::from(Arc::new(config))))
    }
}

impl Transport for Tls {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;

    fn handshake(&self, stream: TcpStream) -> impl Future<Output = io::Result<Self::Io>> + Send {
        self.0.accept(stream)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_empty_files_are_named_in_the_error() {
        let dir = std::env::temp_dir().join(format!("fnhost-tls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not pem\n").unwrap();
        let err = Tls::from_pem_files(&dir.join("nope.pem"), &empty).unwrap_err();
        assert!(
            matches!(err, TlsError::Certificate { .. }) && err.to_string().contains("nope.pem"),
            "{err}"
        );
        let err = Tls::from_pem_files(&empty, &empty).unwrap_err();
        assert!(err.to_string().contains("no `BEGIN CERTIFICATE`"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
