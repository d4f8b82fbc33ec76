//! The accept loop of the admin listener, with graceful drain on shutdown (the same shape as
//! the HTTP trigger's server).

use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::api::{Api, Served};

/// How the drain after a shutdown signal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Requests in flight when the signal came.
    pub in_flight: usize,
    /// Requests still running when the grace period ran out (0 = a clean drain).
    pub abandoned: usize,
}

/// Serve `api` on `listener` until `shutdown` completes, then stop accepting and let in-flight
/// requests finish (up to the drain timeout).
pub async fn serve(
    listener: TcpListener,
    api: Arc<Api>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Drained {
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(api.config().header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    let _ = stream.set_nodelay(true);
                    let api = api.clone();
                    let service = service_fn(move |request| {
                        let api = api.clone();
                        async move { Served::Ok(api.handle(request).await) }
                    });
                    let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
                    tokio::spawn(async move {
                        if let Err(err) = connection.await {
                            tracing::debug!(%remote, %err, "admin connection ended with an error");
                        }
                    });
                }
                Err(err) => {
                    tracing::warn!(%err, "cannot accept an admin connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    drop(listener);
    let in_flight = api.in_flight();
    let abandoned =
        match tokio::time::timeout(api.config().drain_timeout, graceful.shutdown()).await {
            Ok(()) => 0,
            Err(_) => api.in_flight(),
        };
    Drained {
        in_flight,
        abandoned,
    }
}
