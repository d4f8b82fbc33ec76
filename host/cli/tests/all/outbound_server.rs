//! The servers functions call in the outbound HTTP tests: real HTTP/1.1 and HTTP/2 (h2c, or h2
//! over TLS by ALPN) servers on 127.0.0.1, HTTPS with a CA the test makes, each on its own
//! thread and runtime so that they outlive any test runtime.
//!
//! Routes: `/echo` (200, the request as JSON: method, path, headers, body, version),
//! `/status/N`, `/redirect?to=URL` (302), `/hang` (never answers), `/bytes?n=N[&chunked=1]` (N
//! bytes of `x`, with or without a length), anything else 404. Every request is recorded; open connections are counted.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject as _;

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query.
    pub path: String,
    /// Lower-case names; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Recorded>>,
    open: AtomicUsize,
}

/// A running server; it stops with the process.
pub struct TestServer {
    pub addr: SocketAddr,
    scheme: &'static str,
    shared: Arc<Shared>,
    /// The test CA's certificate (HTTPS servers only), and the directory that holds it.
    ca: Option<(PathBuf, tempfile::TempDir)>,
}

impl TestServer {
    /// A plain HTTP server (HTTP/1.1, or HTTP/2 with prior knowledge).
    pub fn http() -> TestServer {
        Self::start(None)
    }

    /// An HTTPS server with a certificate for 127.0.0.1 and localhost from a fresh test CA
    /// (HTTP/2 or HTTP/1.1 by ALPN).
    pub fn https() -> TestServer {
        let (ca, chain, key) = crate::admin_security::certificates();
        let dir = tempfile::tempdir().unwrap();
        let ca_path = dir.path().join("ca.pem");
        std::fs::write(&ca_path, ca).unwrap();
        let certs = rustls_pki_types_certs(&chain);
        let key = rustls::pki_types::PrivateKeyDer::from_pem_slice(key.as_bytes()).unwrap();
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        let mut server = Self::start(Some(tokio_rustls::TlsAcceptor::from(Arc::new(config))));
        server.ca = Some((ca_path, dir));
        server
    }

    fn start(tls: Option<tokio_rustls::TlsAcceptor>) -> TestServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let state = shared.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(serve(listener, tls, state));
        });
        TestServer {
            addr,
            scheme,
            shared,
            ca: None,
        }
    }

    /// `scheme://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    /// The allow-list entry for this server: `scheme://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    /// The test CA's PEM file (HTTPS servers).
    pub fn ca_pem_path(&self) -> PathBuf {
        self.ca.as_ref().expect("an HTTPS server").0.clone()
    }

    /// The requests so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }
}

fn rustls_pki_types_certs(pem: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<_, _>>()
        .unwrap()
}

async fn serve(
    listener: std::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shared: Arc<Shared>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let shared = shared.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            shared.open.fetch_add(1, Ordering::SeqCst);
            let service = {
                let shared = shared.clone();
                hyper::service::service_fn(move |req| respond(req, shared.clone()))
            };
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            match tls {
                Some(tls) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
                None => {
                    let _ = builder
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                }
            }
            shared.open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

type Body = BoxBody<Bytes, Infallible>;

fn full(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed())
        .unwrap()
}

fn query<'a>(path: &'a str, key: &str) -> Option<&'a str> {
    let (_, q) = path.split_once('?')?;
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

async fn respond(
    req: Request<Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Body>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".to_owned());
    let mut headers = BTreeMap::<String, String>::new();
    for (name, value) in &parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: path.clone(),
        headers,
        body: body.to_vec(),
        version: format!("{:?}", parts.version),
    };
    shared.requests.lock().unwrap().push(recorded.clone());
    let route = path.split('?').next().unwrap_or("/");
    let response = match route {
        "/echo" => {
            let json = serde_json::json!({
                "method": recorded.method,
                "path": recorded.path,
                "headers": recorded.headers,
                "body": String::from_utf8_lossy(&recorded.body),
                "version": recorded.version,
            });
            full(200, "application/json", json.to_string())
        }
        "/redirect" => {
            let to = query(&path, "to").unwrap_or("/echo");
            let to = percent_decode(to);
            Response::builder()
                .status(302)
                .header("location", to)
                .body(Full::new(Bytes::new()).boxed())
                .unwrap()
        }
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            full(200, "text/plain", "late")
        }
        "/bytes" => {
            let n: u64 = query(&path, "n").and_then(|n| n.parse().ok()).unwrap_or(0);
            let chunks = Chunks {
                left: n,
                chunk: Bytes::from(vec![b'x'; 64 * 1024]),
            };
            let mut response = Response::builder()
                .status(200)
                .header("content-type", "application/octet-stream");
            // `&chunked=1`: no length up front (HTTP/1.1 chunked encoding).
            if query(&path, "chunked").is_none() {
                response = response.header("content-length", n.to_string());
            }
            response.body(chunks.boxed()).unwrap()
        }
        _ => match route.strip_prefix("/status/").and_then(|s| s.parse().ok()) {
            Some(status) => full(status, "text/plain", format!("status {status}")),
            None => full(404, "text/plain", "no such route"),
        },
    };
    Ok(response)
}

/// `n` bytes of `x`, 64 KiB a frame, made as the client reads them.
struct Chunks {
    left: u64,
    chunk: Bytes,
}

impl hyper::body::Body for Chunks {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        if self.left == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.left.min(self.chunk.len() as u64);
        self.left -= n;
        let data = self.chunk.slice(..n as usize);
        std::task::Poll::Ready(Some(Ok(Frame::data(data))))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `text` is the host's allow-list refusal for `function`, naming the entry `origin` to add.
pub fn assert_denial(text: &str, function: &str, origin: &str) {
    assert!(text.contains(&format!("function \"{function}\"")), "{text}");
    assert!(
        text.contains(&format!("add \"{origin}\" to its allowed_outbound_hosts")),
        "{text}"
    );
}
