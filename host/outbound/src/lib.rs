//! Outbound HTTP from functions: the `send_request` hook of wasmtime-wasi-http, where fnhost
//! checks, resolves and sends every request a guest makes through `wasi:http`.
//!
//! For each request ([`OutboundHooks`]):
//! 1. the URL is checked against the function's allow-list ([`AllowedHosts`]); a miss is refused
//!    with a message naming the function and the entry to add;
//! 2. a slot is taken from the function's connection cap (`max_connections`);
//! 3. fnhost resolves the name itself and drops every address inside the operator's
//!    `block_networks` (an IP or CIDR written in the allow-list may pass where the operator
//!    set `allow_listed_ips`), so a name that resolves to a blocked network is refused — DNS
//!    rebinding cannot move a request after the check, because fnhost connects to the address
//!    it checked;
//! 4. it connects (TLS with rustls, Mozilla's roots plus the operator's `ca_certificates`;
//!    HTTP/2 where the server offers it by ALPN, else HTTP/1.1), with connect, first-byte and
//!    between-bytes timeouts all cut to the invocation's remaining time, and a cap on the
//!    response body.
//!
//! Redirects are not followed here: the guest gets the 3xx, and its client library's next
//! request is checked again like any other. Every request is counted in [`OutboundStats`]
//! (function, host, outcome) and logged at debug with the request id.
//!
//! Refusals reach the guest as `error-code::internal-error(MESSAGE)`, the one code that carries
//! text; the guest SDKs raise their language's network error with MESSAGE.

mod hooks;
mod send;
mod stats;

use std::sync::Arc;

pub use fnhost_core::outbound::{AllowedHosts, NetworkSettings};
pub use hooks::OutboundHooks;
pub use stats::{OutboundStats, Outcome};
use wasmtime_wasi_http::WasiHttpCtx;

/// Why [`Outbound::new`] failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// A `ca_certificates` file could not be read.
    #[error("cannot read the CA certificates in {path}: {source}")]
    ReadCa {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A `ca_certificates` file holds no usable certificate.
    #[error("{path} holds no PEM certificate that rustls accepts{detail}")]
    BadCa {
        /// The file.
        path: std::path::PathBuf,
        /// What rustls said, if anything.
        detail: String,
    },
}

/// The host's outbound side: settings, TLS configuration, per-function connection caps and
/// counters. One per host, shared in an `Arc`.
pub struct Outbound {
    settings: NetworkSettings,
    tls: Arc<rustls::ClientConfig>,
    caps: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Semaphore>>>,
    stats: OutboundStats,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Default for Outbound {
    /// The default settings: metadata and link-local addresses blocked, Mozilla's roots.
    fn default() -> Self {
        Outbound::new(NetworkSettings::default()).expect("the default settings load no file")
    }
}

impl Outbound {
    /// The outbound side for `settings`; reads the extra CA files.
    pub fn new(settings: NetworkSettings) -> Result<Outbound, OutboundError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        for path in &settings.ca_certificates {
            use rustls::pki_types::CertificateDer;
            use rustls::pki_types::pem::PemObject as _;
            let pem = std::fs::read(path).map_err(|source| OutboundError::ReadCa {
                path: path.clone(),
                source,
            })?;
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&pem)
                .collect::<Result<_, _>>()
                .map_err(|e| OutboundError::BadCa {
                    path: path.clone(),
                    detail: format!(": {e}"),
                })?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(OutboundError::BadCa {
                    path: path.clone(),
                    detail: String::new(),
                });
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Outbound {
            settings,
            tls: Arc::new(tls),
            caps: Default::default(),
            stats: OutboundStats::default(),
        })
    }

    /// The settings in force.
    pub fn settings(&self) -> &NetworkSettings {
        &self.settings
    }

    /// The counters, for `/metrics`.
    pub fn stats(&self) -> &OutboundStats {
        &self.stats
    }

    /// The connection cap shared by every invocation of `function`.
    fn cap(&self, function: &str) -> Arc<tokio::sync::Semaphore> {
        let mut caps = match self.caps.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        caps.entry(function.to_owned())
            .or_insert_with(|| Arc::new(tokio::sync::Semaphore::new(self.settings.max_connections)))
            .clone()
    }
}

/// A fresh `wasi:http` context for one invocation's store.
pub fn http_ctx() -> WasiHttpCtx {
    WasiHttpCtx::new()
}
