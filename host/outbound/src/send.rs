//! One outbound request: check, resolve, connect, send, and a response body that keeps to the
//! cap and the timeouts.

use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use fnhost_core::outbound::{AllowedHosts, Scheme, Target};
use http::Request;
use http_body_util::BodyExt as _;
use hyper::body::{Body, Frame, Incoming};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::OwnedSemaphorePermit;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::{Outbound, Outcome};

/// One request's context, moved into the future the hook returns.
pub(crate) struct Call {
    pub outbound: Arc<Outbound>,
    pub function: Arc<str>,
    pub allowed: Arc<AllowedHosts>,
    pub deadline: Instant,
    pub request_id: Arc<str>,
}

type Sent = (
    http::Response<WasiBody>,
    Box<dyn Future<Output = Result<(), Error>> + Send>,
);

trait Stream: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Stream for T {}

type Connection = Pin<Box<dyn Future<Output = Result<(), hyper::Error>> + Send>>;

enum Sender {
    H1(hyper::client::conn::http1::SendRequest<WasiBody>),
    H2(hyper::client::conn::http2::SendRequest<WasiBody>),
}

/// Counts the request once, when it ends: a failure before the response, or the response
/// body's end (or drop).
struct Tally {
    outbound: Arc<Outbound>,
    function: Arc<str>,
    host: String,
    request_id: Arc<str>,
    done: bool,
    /// The response's head arrived.
    answered: bool,
}

impl Tally {
    fn finish(&mut self, outcome: Outcome, detail: &str) {
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.outbound
            .stats
            .count(&self.function, &self.host, outcome);
        tracing::debug!(
            request_id = %self.request_id,
            function = %self.function,
            host = %self.host,
            outcome = outcome.as_str(),
            detail,
            "outbound request"
        );
    }
}

impl Drop for Tally {
    /// A response the guest dropped counts as answered; a request dropped before its answer
    /// (the invocation ended: its timeout, a trap) as a timeout.
    fn drop(&mut self) {
        if self.answered {
            self.finish(Outcome::Ok, "response dropped");
        } else {
            self.finish(Outcome::Timeout, "cancelled by the invocation's end");
        }
    }
}

fn message(text: String) -> Error {
    Error::InternalError(Some(text))
}

impl Call {
    pub(crate) async fn send(
        self,
        mut request: Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<Sent, Error> {
        let uri = request.uri().clone();
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => return Err(Error::HttpProtocolError),
        };
        let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
        let target = Target::new(scheme, authority.host(), authority.port_u16());
        let shown = format!("{}{}", target.entry(), uri.path());
        let mut tally = Tally {
            outbound: self.outbound.clone(),
            function: self.function.clone(),
            host: target.host.clone(),
            request_id: self.request_id.clone(),
            done: false,
            answered: false,
        };
        let settings = self.outbound.settings();

        // 1. The allow-list.
        let matched: Vec<_> = self.allowed.matching(&target).collect();
        if matched.is_empty() {
            tally.finish(Outcome::Denied, "not on the allow-list");
            return Err(message(format!(
                "outbound request to {shown} denied: function \"{}\" may not reach {}; add \"{}\" to its allowed_outbound_hosts",
                self.function,
                target.entry(),
                target.entry()
            )));
        }
        let listed_ip = matched.iter().any(|entry| entry.is_ip());

        // The timeouts: the operator's, shortened by the guest's request options, all cut to
        // the invocation's remaining time.
        let left = self.deadline.saturating_duration_since(Instant::now());
        let pick = |guest: Option<Duration>, ours: u64| {
            let ours = Duration::from_millis(ours);
            guest.map_or(ours, |g| g.min(ours)).min(left)
        };
        let connect_timeout = pick(
            options.and_then(|o| o.connect_timeout),
            settings.connect_timeout_ms,
        );
        let first_byte_timeout = pick(
            options.and_then(|o| o.first_byte_timeout),
            settings.first_byte_timeout_ms,
        );
        let between_bytes = pick(
            options.and_then(|o| o.between_bytes_timeout),
            settings.between_bytes_timeout_ms,
        )
        .max(Duration::from_millis(1));
        let connect_by = tokio::time::Instant::now() + connect_timeout;

        // 2. The function's connection cap.
        let cap = self.outbound.cap(&self.function);
        let permit = match tokio::time::timeout_at(connect_by, cap.acquire_owned()).await {
            Ok(Ok(permit)) => permit,
            _ => {
                tally.finish(Outcome::Limited, "connection cap");
                return Err(message(format!(
                    "outbound request to {shown} refused: function \"{}\" already has {} outbound requests open (max_connections in the host's [network] settings)",
                    self.function, settings.max_connections
                )));
            }
        };

        // 3. Resolve, then keep only the addresses outside the blocked networks.
        let addresses: Vec<SocketAddr> = match target.ip() {
            Some(ip) => vec![SocketAddr::new(ip, target.port)],
            None => {
                let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
                match tokio::time::timeout_at(connect_by, lookup).await {
                    Ok(Ok(found)) => found.collect(),
                    Ok(Err(e)) => {
                        tally.finish(Outcome::Error, "dns");
                        return Err(Error::DnsError {
                            rcode: Some(format!("cannot resolve {}: {e}", target.host)),
                            info_code: None,
                        });
                    }
                    Err(_) => {
                        tally.finish(Outcome::Timeout, "dns");
                        return Err(Error::DnsTimeout);
                    }
                }
            }
        };
        let mut blocked = None;
        let mut usable = Vec::with_capacity(addresses.len());
        for address in addresses {
            let ip = fnhost_core::outbound::canonical(address.ip());
            match settings.block_networks.blocking(ip) {
                Some(b) if b.always || !(settings.allow_listed_ips && listed_ip) => {
                    blocked.get_or_insert((ip, b.entry));
                }
                _ => usable.push(SocketAddr::new(ip, address.port())),
            }
        }
        if usable.is_empty() {
            let Some((ip, entry)) = blocked else {
                tally.finish(Outcome::Error, "no address");
                return Err(Error::DestinationNotFound);
            };
            tally.finish(Outcome::Blocked, "blocked network");
            let how = if target.ip().is_some() {
                format!("{ip} is")
            } else {
                format!("{} resolves to {ip},", target.host)
            };
            return Err(message(format!(
                "outbound request to {shown} refused for function \"{}\": {how} in the blocked network {entry} (block_networks in the host's [network] settings)",
                self.function
            )));
        }

        // 4. Connect to a checked address (never to the name again), then TLS.
        let mut tcp = None;
        let mut last_error = None;
        for address in usable {
            match tokio::time::timeout_at(connect_by, TcpStream::connect(address)).await {
                Ok(Ok(stream)) => {
                    tcp = Some(stream);
                    break;
                }
                Ok(Err(e)) => last_error = Some(e),
                Err(_) => {
                    tally.finish(Outcome::Timeout, "connect");
                    return Err(Error::ConnectionTimeout);
                }
            }
        }
        let Some(tcp) = tcp else {
            let e = last_error.map(|e| e.to_string()).unwrap_or_default();
            tally.finish(Outcome::Error, &e);
            return Err(Error::ConnectionRefused);
        };
        let _ = tcp.set_nodelay(true);
        let (stream, h2): (Box<dyn Stream>, bool) = match scheme {
            Scheme::Http => (Box::new(tcp), false),
            Scheme::Https => {
                let name = match target.ip() {
                    Some(ip) => rustls::pki_types::ServerName::IpAddress(ip.into()),
                    None => match rustls::pki_types::ServerName::try_from(target.host.clone()) {
                        Ok(name) => name,
                        Err(_) => {
                            tally.finish(Outcome::Error, "bad server name");
                            return Err(Error::HttpRequestUriInvalid);
                        }
                    },
                };
                let connector = tokio_rustls::TlsConnector::from(self.outbound.tls.clone());
                let tls =
                    match tokio::time::timeout_at(connect_by, connector.connect(name, tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tally.finish(Outcome::Error, &format!("tls: {e}"));
                            return Err(tls_error(&e));
                        }
                        Err(_) => {
                            tally.finish(Outcome::Timeout, "tls");
                            return Err(Error::ConnectionTimeout);
                        }
                    };
                let h2 = tls.get_ref().1.alpn_protocol() == Some(b"h2");
                (Box::new(tls), h2)
            }
        };

        // 5. HTTP/2 or HTTP/1.1 over it.
        let io = TokioIo::new(stream);
        let handshake = async {
            if h2 {
                let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                    .handshake(io)
                    .await?;
                Ok::<_, hyper::Error>((Sender::H2(sender), Box::pin(conn) as Connection))
            } else {
                let (sender, conn) = hyper::client::conn::http1::Builder::new()
                    .handshake(io)
                    .await?;
                Ok((Sender::H1(sender), Box::pin(conn) as Connection))
            }
        };
        let (mut sender, conn) = match tokio::time::timeout_at(connect_by, handshake).await {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                tally.finish(Outcome::Error, &e.to_string());
                return Err(Error::from(e));
            }
            Err(_) => {
                tally.finish(Outcome::Timeout, "handshake");
                return Err(Error::ConnectionTimeout);
            }
        };
        if h2 {
            // The authority travels as `:authority`.
            request.headers_mut().remove(http::header::HOST);
        } else {
            // HTTP/1.1 wants the origin form (`/path?query`) unless talking to a proxy.
            let path = uri.path_and_query().map_or("/", |p| p.as_str());
            *request.uri_mut() =
                http::Uri::try_from(path).map_err(|_| Error::HttpRequestUriInvalid)?;
        }

        let send = async {
            let response = match &mut sender {
                Sender::H1(s) => s.send_request(request).await,
                Sender::H2(s) => s.send_request(request).await,
            };
            response.map_err(Error::from)
        };
        let send = tokio::time::timeout(first_byte_timeout, send);
        let mut send = std::pin::pin!(send);
        let mut conn = Some(conn);
        // Wait for the head while driving the connection.
        let head = poll_fn(|cx| {
            if let Poll::Ready(done) = send.as_mut().poll(cx) {
                return Poll::Ready(done);
            }
            if let Some(driver) = conn.as_mut()
                && let Poll::Ready(ended) = driver.as_mut().poll(cx)
            {
                conn = None;
                if let Err(e) = ended {
                    return Poll::Ready(Ok(Err(Error::from(e))));
                }
                return send.as_mut().poll(cx);
            }
            Poll::Pending
        })
        .await;
        let response = match head {
            Ok(Ok(response)) => {
                tally.answered = true;
                response
            }
            Ok(Err(e)) => {
                tally.finish(Outcome::Error, &format!("{e:?}"));
                return Err(e);
            }
            Err(_) => {
                tally.finish(Outcome::Timeout, "first byte");
                return Err(Error::ConnectionReadTimeout);
            }
        };

        let cap = settings.max_response_bytes;
        if let Some(length) = response
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            && length > cap
        {
            tally.finish(Outcome::TooLarge, "content-length");
            return Err(too_large(&shown, Some(length), cap));
        }
        let status = response.status().as_u16();
        tracing::trace!(request_id = %self.request_id, status, "outbound response head");
        let deadline = tokio::time::Instant::from_std(self.deadline);
        let (parts, incoming) = response.into_parts();
        let body = ResponseBody {
            incoming: Some(incoming),
            shown,
            received: 0,
            cap,
            between: between_bytes,
            deadline,
            sleep: Box::pin(tokio::time::sleep_until(
                (tokio::time::Instant::now() + between_bytes).min(deadline),
            )),
            tally,
            _permit: permit,
        };
        let io: Box<dyn Future<Output = Result<(), Error>> + Send> = Box::new(async move {
            let Some(conn) = conn else {
                return Ok(());
            };
            conn.await.map_err(Error::from)
        });
        Ok((http::Response::from_parts(parts, body.boxed_unsync()), io))
    }
}

fn too_large(shown: &str, length: Option<u64>, cap: u64) -> Error {
    let size = match length {
        Some(n) => format!("of {n} bytes"),
        None => "body".to_owned(),
    };
    message(format!(
        "outbound response {size} from {shown} is larger than the {cap}-byte cap (max_response_bytes in the host's [network] settings)"
    ))
}

fn tls_error(e: &std::io::Error) -> Error {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::InvalidCertificate(_)) => Error::TlsCertificateError,
        Some(rustls::Error::AlertReceived(alert)) => Error::TlsAlertReceived {
            alert_id: Some(u8::from(*alert)),
            alert_message: Some(format!("{alert:?}")),
        },
        _ => Error::TlsProtocolError,
    }
}

/// The response body as the guest reads it: at most `cap` bytes, no pause longer than
/// `between`, nothing past the invocation's deadline; holds the connection slot.
struct ResponseBody {
    incoming: Option<Incoming>,
    shown: String,
    received: u64,
    cap: u64,
    between: Duration,
    deadline: tokio::time::Instant,
    sleep: Pin<Box<tokio::time::Sleep>>,
    tally: Tally,
    _permit: OwnedSemaphorePermit,
}

impl Body for ResponseBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = &mut *self;
        let Some(incoming) = this.incoming.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                this.incoming = None;
                this.tally.finish(Outcome::Ok, "complete");
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(e))) => {
                this.incoming = None;
                this.tally.finish(Outcome::Error, &e.to_string());
                Poll::Ready(Some(Err(Error::from(e))))
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    if this.received > this.cap {
                        this.incoming = None;
                        this.tally.finish(Outcome::TooLarge, "streamed");
                        return Poll::Ready(Some(Err(too_large(&this.shown, None, this.cap))));
                    }
                }
                let next = (tokio::time::Instant::now() + this.between).min(this.deadline);
                this.sleep.as_mut().reset(next);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.sleep.as_mut().poll(cx));
                this.incoming = None;
                this.tally.finish(Outcome::Timeout, "between bytes");
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.as_ref().is_none_or(|i| i.is_end_stream())
    }
}
