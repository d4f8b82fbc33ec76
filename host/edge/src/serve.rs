//! The accept loop: connections, requests counted in flight, and the drain on shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HeaderValue};
use http::{Request, Response};
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::deadline::{DEFAULT_WRITE_TIMEOUT, WriteDeadline};
use crate::shutdown::Shutdown;
use crate::tls::{Plain, Transport};
use crate::workers::Workers;

/// Requests of one listener in flight now. [`serve`] counts them; a handler holds the counter
/// to report it (e.g. on a health endpoint).
#[derive(Debug, Clone, Default)]
pub struct InFlight(Arc<AtomicUsize>);

impl InFlight {
    /// A counter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Requests in flight now.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }

    /// Count one more request until the guard is dropped (however the request ends, including
    /// a client that goes away mid-request).
    fn enter(&self) -> Entered {
        self.0.fetch_add(1, Ordering::AcqRel);
        Entered(self.clone())
    }
}

struct Entered(InFlight);

impl Drop for Entered {
    fn drop(&mut self) {
        (self.0).0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What the accept loop serves: the HTTP trigger's app, the Lambda API. It only answers;
/// connections, counting and draining are [`serve`]'s.
pub trait Handler: Send + Sync + 'static {
    /// The body of its responses: [`http_body_util::Full`] for answers made whole, or a stream (the console's
    /// server-sent events).
    type Body: hyper::body::Body<Data = Bytes, Error = Infallible> + Send + 'static;
    /// Answer one request; never fails (every error is a response).
    fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> impl std::future::Future<Output = Response<Self::Body>> + Send;
    /// The counter [`serve`] keeps of this handler's requests in flight.
    fn in_flight(&self) -> &InFlight;
    /// How long a client may take to send a request's headers, counted from the moment the
    /// connection opens or its previous response is sent: it is also how long an idle
    /// keep-alive connection stays open.
    fn header_read_timeout(&self) -> Duration;
    /// How long in-flight requests may run after the shutdown signal.
    fn drain_timeout(&self) -> Duration;
    /// Most connections served at once. Past it the loop stops accepting, so new connections
    /// wait in the kernel's accept backlog until one closes.
    fn max_connections(&self) -> usize {
        DEFAULT_MAX_CONNECTIONS
    }
    /// How long a write of a response may make no progress (a client that stopped reading)
    /// before the connection is closed, freeing its slot and the response's bytes.
    fn write_timeout(&self) -> Duration {
        DEFAULT_WRITE_TIMEOUT
    }
    /// Worker threads that serve the connections, each on a single-threaded runtime of its
    /// own ([`Workers`]); 0 serves them on the accept loop's runtime.
    fn workers(&self) -> usize {
        0
    }
}

/// [`Handler::max_connections`] unless the handler says otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Connections [`bind`] lets the kernel hold for the loop (the kernel caps it at
/// `net.core.somaxconn`): a burst past the connection cap waits there instead of having its
/// handshake dropped and retried seconds later.
pub const LISTEN_BACKLOG: u32 = 4096;

/// Listen on `addr` with a backlog of [`LISTEN_BACKLOG`] (tokio's own `bind` asks for 1,024).
pub fn bind(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    // As tokio's `TcpListener::bind` does: a restarted host can take its port back at once.
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(LISTEN_BACKLOG)
}

/// How the drain after a shutdown signal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Requests in flight when the signal came.
    pub in_flight: usize,
    /// Requests still running when the grace period ran out (0 = a clean drain).
    pub abandoned: usize,
}

/// Serve `handler` on `listener` until `shutdown` is closing, then stop accepting, let in-flight
/// requests finish (up to the handler's drain timeout) and close idle keep-alive connections.
/// While `shutdown` is draining, every response carries `Connection: close`.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: Shutdown,
) -> Drained {
    serve_on(listener, Plain, handler, shutdown).await
}

/// [`serve`] over `transport` (e.g. [`crate::Tls`]): each connection's handshake runs on its
/// own task within the handler's header timeout, then HTTP is served on what it made.
pub async fn serve_on<H: Handler, T: Transport>(
    listener: TcpListener,
    transport: T,
    handler: Arc<H>,
    shutdown: Shutdown,
) -> Drained {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(handler.header_read_timeout())
        .keep_alive(true);
    let connections = Arc::new(Semaphore::new(handler.max_connections().max(1)));
    let workers = match handler.workers() {
        0 => None,
        n => match Workers::start("fnhost-http", n) {
            Ok(workers) => Some(workers),
            Err(err) => {
                tracing::error!(%err, "cannot start the worker threads; serving on the accept loop's runtime");
                None
            }
        },
    };
    let closing = shutdown.closing();
    tokio::pin!(closing);
    loop {
        // A free connection slot first: at the cap, new connections wait in the backlog.
        let slot = tokio::select! {
            slot = connections.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed
            },
            () = &mut closing => break,
        };
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let handshake_timeout = handler.header_read_timeout();
                    let write_timeout = handler.write_timeout();
                    let handler = handler.clone();
                    let leaving = shutdown.clone();
                    let service = service_fn(move |request| {
                        let handler = handler.clone();
                        let leaving = leaving.clone();
                        async move {
                            let _entered = handler.in_flight().enter();
                            let mut response = handler.respond(request, remote).await;
                            // A draining host sends keep-alive clients elsewhere: hyper closes
                            // the connection after a response that says so.
                            if leaving.is_draining() {
                                response
                                    .headers_mut()
                                    .insert(CONNECTION, HeaderValue::from_static("close"));
                            }
                            Ok::<_, Infallible>(response)
                        }
                    });
                    let watcher = graceful.watcher();
                    let (http, transport) = (http.clone(), transport.clone());
                    let connection = async move |stream: TcpStream| {
                        let handshake = transport.handshake(stream);
                        let io = match tokio::time::timeout(handshake_timeout, handshake).await {
                            Ok(Ok(io)) => io,
                            Ok(Err(err)) => {
                                tracing::debug!(%remote, %err, "connection handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%remote, "connection handshake timed out");
                                return;
                            }
                        };
                        let io = TokioIo::new(WriteDeadline::new(io, write_timeout));
                        let connection = watcher.watch(http.serve_connection(io, service));
                        if let Err(err) = connection.await {
                            tracing::debug!(%remote, %err, "connection ended with an error");
                        }
                        drop(slot);
                    };
                    match &workers {
                        None => {
                            tokio::spawn(connection(stream));
                        }
                        // Moved to a worker's runtime: taken off this one's I/O driver here,
                        // registered with the worker's there.
                        Some(workers) => match stream.into_std() {
                            Ok(stream) => workers.spawn(async move {
                                match TcpStream::from_std(stream) {
                                    Ok(stream) => connection(stream).await,
                                    Err(err) => tracing::warn!(%remote, %err, "cannot serve a connection"),
                                }
                            }),
                            Err(err) => tracing::warn!(%remote, %err, "cannot serve a connection"),
                        },
                    }
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut closing => break,
        }
    }
    drop(listener);
    let in_flight = handler.in_flight().count();
    let abandoned = match tokio::time::timeout(handler.drain_timeout(), graceful.shutdown()).await {
        Ok(()) => 0,
        Err(_) => handler.in_flight().count(),
    };
    Drained {
        in_flight,
        abandoned,
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::Full;

    use super::*;

    /// Answers with how many requests were in flight while it answered, after a pause when the
    /// path is `/slow`; with the name of the thread that answered when the path is `/thread`.
    struct Counting {
        in_flight: InFlight,
        workers: usize,
    }

    impl Counting {
        fn new(workers: usize) -> Arc<Self> {
            Arc::new(Self {
                in_flight: InFlight::new(),
                workers,
            })
        }
    }

    impl Handler for Counting {
        type Body = Full<Bytes>;
        async fn respond(
            self: Arc<Self>,
            request: Request<hyper::body::Incoming>,
            _remote: SocketAddr,
        ) -> Response<Full<Bytes>> {
            match request.uri().path() {
                "/slow" => tokio::time::sleep(Duration::from_millis(300)).await,
                "/thread" => {
                    let thread = std::thread::current();
                    return Response::new(Full::new(Bytes::from(
                        thread.name().unwrap_or("").to_owned(),
                    )));
                }
                _ => {}
            }
            Response::new(Full::new(Bytes::from(self.in_flight.count().to_string())))
        }

        fn in_flight(&self) -> &InFlight {
            &self.in_flight
        }

        fn header_read_timeout(&self) -> Duration {
            Duration::from_secs(5)
        }

        fn drain_timeout(&self) -> Duration {
            Duration::from_secs(5)
        }

        fn workers(&self) -> usize {
            self.workers
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_loop_counts_requests_and_drains_them_on_shutdown() {
        counts_requests_and_drains_them_on_shutdown(0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_workers_the_loop_counts_requests_and_drains_them_on_shutdown() {
        counts_requests_and_drains_them_on_shutdown(2).await;
    }

    async fn counts_requests_and_drains_them_on_shutdown(workers: usize) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Counting::new(workers);
        let shutdown = Shutdown::new();
        let server = tokio::spawn(serve(listener, handler.clone(), shutdown.clone()));
        let client = reqwest::Client::new();
        let own = client
            .get(format!("http://{addr}/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            own, "1",
            "the request itself is in flight while it is answered"
        );
        assert_eq!(handler.in_flight.count(), 0);

        let slow = tokio::spawn(client.get(format!("http://{addr}/slow")).send());
        while handler.in_flight.count() == 0 {
            tokio::task::yield_now().await;
        }
        shutdown.close();
        let drained = server.await.unwrap();
        assert_eq!(
            drained,
            Drained {
                in_flight: 1,
                abandoned: 0
            }
        );
        let answer = slow.await.unwrap().unwrap();
        assert_eq!(answer.status(), 200, "the request in flight finished");
        assert_eq!(handler.in_flight.count(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_draining_loop_still_serves_but_closes_each_connection() {
        draining_still_serves_but_closes_each_connection(0).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_workers_a_draining_loop_still_serves_but_closes_each_connection() {
        draining_still_serves_but_closes_each_connection(2).await;
    }

    async fn draining_still_serves_but_closes_each_connection(workers: usize) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Counting::new(workers);
        let shutdown = Shutdown::new();
        let server = tokio::spawn(serve(listener, handler, shutdown.clone()));
        let client = reqwest::Client::new();
        let before = client.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(
            before.headers().get(CONNECTION),
            None,
            "kept alive while serving"
        );

        shutdown.drain();
        let during = client.get(format!("http://{addr}/")).send().await.unwrap();
        assert_eq!(during.status(), 200, "a draining loop still answers");
        assert_eq!(during.headers()[CONNECTION], "close");
        // A new connection is still accepted while draining.
        let fresh = answer(send(addr, "/").await).await;
        assert!(fresh.starts_with("HTTP/1.1 200"), "{fresh}");

        shutdown.close();
        let drained = server.await.unwrap();
        assert_eq!(drained.abandoned, 0);
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "the listener is still open after closing"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_workers_each_connection_stays_on_one_worker_and_they_take_turns() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let shutdown = Shutdown::new();
        let server = tokio::spawn(serve(listener, Counting::new(3), shutdown.clone()));
        let mut threads = Vec::new();
        for _ in 0..6 {
            // One client per connection: each keeps its one connection alive.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut seen = Vec::new();
            for _ in 0..3 {
                let name = client
                    .get(format!("http://{addr}/thread"))
                    .send()
                    .await
                    .unwrap();
                seen.push(name.text().await.unwrap());
            }
            assert!(
                seen.iter().all(|name| name == &seen[0]),
                "one connection's requests ran on {seen:?}"
            );
            threads.push(seen.swap_remove(0));
        }
        assert_eq!(
            threads,
            [
                "fnhost-http-0",
                "fnhost-http-1",
                "fnhost-http-2",
                "fnhost-http-0",
                "fnhost-http-1",
                "fnhost-http-2"
            ],
            "connections are handed to the workers in turn"
        );
        shutdown.close();
        assert_eq!(server.await.unwrap().abandoned, 0);
    }

    /// Records the path of each request it starts; `/hold*` requests wait for a release.
    struct Gated {
        in_flight: InFlight,
        started: std::sync::Mutex<Vec<String>>,
        release: Semaphore,
    }

    impl Handler for Gated {
        type Body = Full<Bytes>;
        async fn respond(
            self: Arc<Self>,
            request: Request<hyper::body::Incoming>,
            _remote: SocketAddr,
        ) -> Response<Full<Bytes>> {
            let path = request.uri().path().to_owned();
            self.started.lock().unwrap().push(path.clone());
            if path.starts_with("/hold")
                && let Ok(permit) = self.release.acquire().await
            {
                permit.forget();
            }
            Response::new(Full::new(Bytes::from(path)))
        }

        fn in_flight(&self) -> &InFlight {
            &self.in_flight
        }

        fn header_read_timeout(&self) -> Duration {
            Duration::from_secs(5)
        }

        fn drain_timeout(&self) -> Duration {
            Duration::from_secs(5)
        }

        fn max_connections(&self) -> usize {
            2
        }
    }

    /// Send a one-shot GET of `path` on a new connection; the connection.
    async fn send(addr: SocketAddr, path: &str) -> tokio::net::TcpStream {
        use tokio::io::AsyncWriteExt as _;
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let head = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await.unwrap();
        stream
    }

    /// Everything the server sends until it closes.
    async fn answer(mut stream: tokio::net::TcpStream) -> String {
        use tokio::io::AsyncReadExt as _;
        let mut text = String::new();
        let _ = stream.read_to_string(&mut text).await;
        text
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn past_the_connection_cap_new_connections_wait_their_turn() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Arc::new(Gated {
            in_flight: InFlight::new(),
            started: std::sync::Mutex::new(Vec::new()),
            release: Semaphore::new(0),
        });
        tokio::spawn(serve(listener, handler.clone(), Shutdown::new()));
        let a = send(addr, "/hold-a").await;
        let b = send(addr, "/hold-b").await;
        while handler.in_flight.count() < 2 {
            tokio::task::yield_now().await;
        }
        let third = tokio::spawn(answer(send(addr, "/third").await));
        // Time enough for a loop without a cap to start it.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(
            handler.started.lock().unwrap().len(),
            2,
            "a third connection was served past the cap of 2"
        );
        handler.release.add_permits(1);
        let third = third.await.unwrap();
        assert!(third.ends_with("/third"), "{third}");
        handler.release.add_permits(1);
        let (a, b) = (answer(a).await, answer(b).await);
        assert!(a.ends_with("/hold-a") && b.ends_with("/hold-b"), "{a}\n{b}");
    }

    /// Answers `/big` with 32 MiB, anything else with `ok`; one connection at a time, and a
    /// short write timeout.
    struct Big {
        in_flight: InFlight,
    }

    const BIG: usize = 32 << 20;

    impl Handler for Big {
        type Body = Full<Bytes>;
        async fn respond(
            self: Arc<Self>,
            request: Request<hyper::body::Incoming>,
            _remote: SocketAddr,
        ) -> Response<Full<Bytes>> {
            let body = match request.uri().path() {
                "/big" => Bytes::from(vec![b'x'; BIG]),
                _ => Bytes::from_static(b"ok"),
            };
            Response::new(Full::new(body))
        }

        fn in_flight(&self) -> &InFlight {
            &self.in_flight
        }

        fn header_read_timeout(&self) -> Duration {
            Duration::from_secs(30)
        }

        fn drain_timeout(&self) -> Duration {
            Duration::from_secs(5)
        }

        fn max_connections(&self) -> usize {
            1
        }

        fn write_timeout(&self) -> Duration {
            Duration::from_millis(300)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_client_that_stops_reading_is_closed_and_frees_its_slot() {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Arc::new(Big {
            in_flight: InFlight::new(),
        });
        tokio::spawn(serve(listener, handler.clone(), Shutdown::new()));

        // A client that reads (however the response is paced) is unaffected.
        let big = reqwest::get(format!("http://{addr}/big")).await.unwrap();
        assert_eq!(big.bytes().await.unwrap().len(), BIG);

        // One that asks for the same and never reads: with small socket buffers, the host's
        // writes stop making progress at once.
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let mut stalled = socket.connect(addr).await.unwrap();
        stalled
            .write_all(b"GET /big HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        // The only connection slot is the stalled client's until the deadline closes it;
        // without one, this waits forever (the header timeout does not apply mid-response).
        let bound = Duration::from_secs(20);
        let next = tokio::time::timeout(bound, answer(send(addr, "/small").await))
            .await
            .expect("the stalled connection kept the only slot");
        assert!(next.ends_with("ok"), "{next}");
        assert_eq!(handler.in_flight.count(), 0);
        // And the stalled one was closed: reading it now reaches the end (or a reset).
        let mut buf = vec![0u8; 1 << 20];
        let mut read = 0usize;
        let closed = tokio::time::timeout(bound, async {
            while let Ok(n) = stalled.read(&mut buf).await
                && n > 0
            {
                read += n;
            }
        })
        .await;
        assert!(closed.is_ok(), "the stalled connection is still open");
        assert!(read < BIG, "the whole response was sent: {read} bytes");
    }
}
