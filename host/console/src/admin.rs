//! The admin listener's handler: the console under `/console`, the Lambda API everywhere else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use fnhost_api::Api;
use fnhost_edge::{Handler, InFlight};
use http::{Request, Response};

use crate::body::AdminBody;
use crate::console::Console;

/// What `fnhost up` serves on its admin listener.
#[derive(Debug)]
pub struct Admin {
    api: Arc<Api>,
    console: Arc<Console>,
}

impl Admin {
    /// `console` under `/console`, `api` for the rest.
    pub fn new(api: Arc<Api>, console: Arc<Console>) -> Arc<Self> {
        Arc::new(Self { api, console })
    }
}

impl Handler for Admin {
    type Body = AdminBody;

    async fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        _remote: SocketAddr,
    ) -> Response<AdminBody> {
        if Console::owns(request.uri().path()) {
            self.console.handle(request).await
        } else {
            self.api.handle(request).await.map(AdminBody::from)
        }
    }

    fn in_flight(&self) -> &InFlight {
        Handler::in_flight(self.api.as_ref())
    }

    fn header_read_timeout(&self) -> Duration {
        self.api.config().header_read_timeout
    }

    fn drain_timeout(&self) -> Duration {
        self.api.config().drain_timeout
    }

    fn max_connections(&self) -> usize {
        self.api.config().max_connections
    }

    fn write_timeout(&self) -> Duration {
        self.api.config().write_timeout
    }
}
