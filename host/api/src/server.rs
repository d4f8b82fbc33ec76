//! The admin listener is served by the edge's accept loop ([`fnhost_edge::serve`], or
//! [`fnhost_edge::serve_on`] with TLS), with its connection cap and graceful drain on shutdown;
//! the API only answers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fnhost_edge::{Handler, InFlight};
use http::{Request, Response};
use http_body_util::Full;

use crate::api::Api;

impl Handler for Api {
    type Body = Full<Bytes>;
    async fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        _remote: SocketAddr,
    ) -> Response<Full<Bytes>> {
        self.handle(request).await
    }

    fn in_flight(&self) -> &InFlight {
        self.in_flight_counter()
    }

    fn header_read_timeout(&self) -> Duration {
        self.config().header_read_timeout
    }

    fn drain_timeout(&self) -> Duration {
        self.config().drain_timeout
    }

    fn max_connections(&self) -> usize {
        self.config().max_connections
    }

    fn write_timeout(&self) -> Duration {
        self.config().write_timeout
    }
}
