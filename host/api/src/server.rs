//! The admin listener's accept loop: fnhost-http's, with graceful drain on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::Full;
use tokio::net::TcpListener;

pub use fnhost_http::Drained;

use crate::api::Api;

impl fnhost_http::Handler for Api {
    async fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        _remote: SocketAddr,
    ) -> Response<Full<Bytes>> {
        self.handle(request).await
    }

    fn requests_in_flight(&self) -> usize {
        self.in_flight()
    }

    fn header_read_timeout(&self) -> Duration {
        self.config().header_read_timeout
    }

    fn drain_timeout(&self) -> Duration {
        self.config().drain_timeout
    }
}

/// Serve `api` on `listener` until `shutdown` completes, then stop accepting and let in-flight
/// requests finish (up to the drain timeout).
pub async fn serve(
    listener: TcpListener,
    api: Arc<Api>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Drained {
    fnhost_http::serve_with(listener, api, shutdown).await
}
