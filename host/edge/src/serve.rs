//! The accept loop: connections, requests counted in flight, and the drain on shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

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
    /// Answer one request; never fails (every error is a response).
    fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> impl std::future::Future<Output = Response<Full<Bytes>>> + Send;
    /// The counter [`serve`] keeps of this handler's requests in flight.
    fn in_flight(&self) -> &InFlight;
    /// How long a client may take to send its headers.
    fn header_read_timeout(&self) -> Duration;
    /// How long in-flight requests may run after the shutdown signal.
    fn drain_timeout(&self) -> Duration;
}

/// How the drain after a shutdown signal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Requests in flight when the signal came.
    pub in_flight: usize,
    /// Requests still running when the grace period ran out (0 = a clean drain).
    pub abandoned: usize,
}

/// Serve `handler` on `listener` until `shutdown` completes, then stop accepting, let in-flight
/// requests finish (up to the handler's drain timeout) and close idle keep-alive connections.
pub async fn serve<H: Handler>(
    listener: TcpListener,
    handler: Arc<H>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Drained {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(handler.header_read_timeout())
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let handler = handler.clone();
                    let service = service_fn(move |request| {
                        let handler = handler.clone();
                        async move {
                            let _entered = handler.in_flight().enter();
                            Ok::<_, Infallible>(handler.respond(request, remote).await)
                        }
                    });
                    let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(err) = connection.await {
                            tracing::debug!(%remote, %err, "connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(%err, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
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
    use super::*;

    /// Answers with how many requests were in flight while it answered, after a pause when the
    /// path is `/slow`.
    struct Counting {
        in_flight: InFlight,
    }

    impl Handler for Counting {
        async fn respond(
            self: Arc<Self>,
            request: Request<hyper::body::Incoming>,
            _remote: SocketAddr,
        ) -> Response<Full<Bytes>> {
            if request.uri().path() == "/slow" {
                tokio::time::sleep(Duration::from_millis(300)).await;
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
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_loop_counts_requests_and_drains_them_on_shutdown() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let handler = Arc::new(Counting {
            in_flight: InFlight::new(),
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve(listener, handler.clone(), async {
            let _ = stopped.await;
        }));
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
        stop.send(()).unwrap();
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
}
