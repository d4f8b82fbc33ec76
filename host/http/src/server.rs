//! The HTTP trigger's application: the request path from route to response, and health. The
//! accept loop is [`fnhost_edge::serve`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use fnhost_dispatch::Dispatcher;
use fnhost_edge::{
    BodyReader, BodyShare, DEFAULT_MAX_CONNECTIONS, DEFAULT_WRITE_TIMEOUT, Handler, InFlight,
    Shutdown, UNCOUNTED_BODY_BYTES,
};
use fnhost_runtime::{InvokeRequest, Outcome, Trigger};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Body;

use crate::error::HttpError;
use crate::request::{MAX_BODY_BYTES, event_body_len, event_json, event_request};
use crate::response::map_response;
use crate::router::Router;
use crate::urls::FunctionUrls;

/// The health endpoint; answers without running any function: 200 `"status":"ok"` while
/// serving, 503 `"status":"draining"` from the moment the host starts to leave.
pub const HEALTH_PATH: &str = "/.well-known/fnhost/health";

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
    /// Largest request body accepted.
    pub max_body: usize,
    /// How long a client may take to send a request's headers; also how long an idle
    /// keep-alive connection stays open.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a whole request body (408 past it).
    pub body_read_timeout: Duration,
    /// How long a write of a response may make no progress (a client that stopped reading)
    /// before the connection is closed.
    pub write_timeout: Duration,
    /// Bytes of request bodies held in memory by all requests at once, from reading to the
    /// response. A body over [`fnhost_edge::UNCOUNTED_BODY_BYTES`] waits for room up to the
    /// queue timeout, then gets 429.
    pub body_budget: usize,
    /// Most connections open at once; more wait in the kernel's accept backlog.
    pub max_connections: usize,
    /// Threads that serve the connections, each running a single-threaded runtime: a
    /// connection stays on one for all its requests ([`fnhost_edge::Handler::workers`]).
    /// 0 (the default) serves them on the caller's runtime.
    pub workers: usize,
}

/// [`ServerConfig::body_budget`] unless configured: 128 MiB, room for 21 bodies of 6 MB.
pub const DEFAULT_BODY_BUDGET: usize = 128 << 20;

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            drain_timeout: Duration::from_secs(30),
            max_body: MAX_BODY_BYTES,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(30),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            body_budget: DEFAULT_BODY_BUDGET,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            workers: 0,
        }
    }
}

/// The HTTP application: routes plus the dispatcher. Kept apart from the accept loop so tests
/// can drive [`App::handle`] in-process.
pub struct App {
    pub(crate) dispatcher: Arc<Dispatcher>,
    router: ArcSwap<Router>,
    config: ServerConfig,
    bodies: BodyReader,
    in_flight: InFlight,
    /// The function URLs it serves besides the routes.
    pub(crate) urls: Arc<FunctionUrls>,
    /// The host's stop: health answers 503 once it is draining.
    shutdown: Shutdown,
    /// The node name health reports, when the host has one.
    node: Option<String>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.router.load().table().len())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app serving `router` through `dispatcher`.
    pub fn new(dispatcher: Arc<Dispatcher>, router: Router, config: ServerConfig) -> Self {
        // Waiting for room for a body is waiting in the 429 queue: as long as for a slot.
        let bodies = BodyReader::new(
            config.max_body,
            config.body_read_timeout,
            config.body_budget,
            dispatcher.admission().config().queue_timeout,
        );
        Self {
            dispatcher,
            router: ArcSwap::from_pointee(router),
            config,
            bodies,
            in_flight: InFlight::new(),
            urls: Arc::new(FunctionUrls::default()),
            shutdown: Shutdown::new(),
            node: None,
        }
    }

    /// Report `shutdown`'s draining on the health endpoint (the host's stop, shared with the
    /// accept loop).
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// Name the node on the health endpoint.
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    /// Serve the function URLs of `urls` (a table shared with the API) besides the routes.
    pub fn with_urls(mut self, urls: Arc<FunctionUrls>) -> Self {
        self.urls = urls;
        self
    }

    /// The function URLs it serves.
    pub fn urls(&self) -> &Arc<FunctionUrls> {
        &self.urls
    }

    /// Replace the routes (a manifest reload); requests already routed are unaffected.
    pub fn set_router(&self, router: Router) {
        self.router.store(Arc::new(router));
    }

    /// The current routes.
    pub fn router(&self) -> Arc<Router> {
        self.router.load_full()
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    /// Requests being handled now (counted by [`fnhost_edge::serve`]).
    pub fn in_flight(&self) -> usize {
        self.in_flight.count()
    }

    /// Answer one request; never fails (every error is a response).
    pub async fn handle<B>(&self, request: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let request_id = fnhost_runtime::new_request_id();
        let mut response = match self.route(request, remote, &request_id).await {
            Ok(response) => response,
            Err(err) => err.into_response(&request_id),
        };
        if let Ok(id) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert("apigw-requestid", id);
        }
        response
    }

    async fn route<B>(
        &self,
        request: Request<B>,
        remote: SocketAddr,
        request_id: &str,
    ) -> Result<Response<Full<Bytes>>, HttpError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        if let Some(located) = self.urls.locate(&parts) {
            return self
                .serve_url(located, parts, body, remote, request_id)
                .await;
        }
        if parts.uri.path() == HEALTH_PATH && parts.method == Method::GET {
            return Ok(self.health());
        }
        let route = self
            .router
            .load()
            .find(parts.method.as_str(), parts.uri.path())
            .ok_or_else(|| HttpError::NotFound {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
            })?;
        // The body's share of the budget is held until the response: the event made of it
        // stays in memory while the function runs.
        let (body, _share) = self.read_body(&parts, body).await?;
        let event = event_request(&parts, body, &route, remote, request_id.to_owned());
        let event = event_json(&event, route.payload)?;
        let invocation = self
            .dispatcher
            .invoke(
                &route.function,
                InvokeRequest::from_json(event, Trigger::Http),
            )
            .await?;
        match &invocation.outcome {
            Outcome::Ok(payload) => map_response(payload, route.payload).map_err(|malformed| {
                HttpError::BadGateway(format!(
                    "function `{}` request {}: {malformed}",
                    route.function, invocation.request_id
                ))
            }),
            Outcome::Timeout { .. } => Err(HttpError::GatewayTimeout),
            outcome => Err(HttpError::BadGateway(format!(
                "function `{}` request {} failed: {}",
                route.function,
                invocation.request_id,
                outcome.error_type().unwrap_or("error")
            ))),
        }
    }

    /// Read a request's body within the limits, with its share of the body budget grown to
    /// hold the event made of it too.
    pub(crate) async fn read_body<B>(
        &self,
        parts: &http::request::Parts,
        body: B,
    ) -> Result<(Bytes, BodyShare), HttpError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (body, mut share) = self.bodies.read(parts, body).await?;
        if body.len() > UNCOUNTED_BODY_BYTES {
            // Escaping can make the event six times the body (a control character is
            // `\u00XX`): refuse what cannot fit before building it, and count the event too.
            let in_event = event_body_len(&body).ok_or(HttpError::PayloadTooLarge {
                limit: fnhost_runtime::MAX_EVENT_BYTES,
            })?;
            self.bodies
                .reserve(&mut share, body.len() + in_event)
                .await?;
        }
        Ok((body, share))
    }

    fn health(&self) -> Response<Full<Bytes>> {
        let registry = self.dispatcher.registry();
        let admission = self.dispatcher.admission();
        // A balancer stops sending on the 503 while the listener still serves what it sends.
        let (status, said) = if self.shutdown.is_draining() {
            (StatusCode::SERVICE_UNAVAILABLE, "draining")
        } else {
            (StatusCode::OK, "ok")
        };
        let mut body = serde_json::json!({
            "status": said,
            // Counts only: the listener is open to anyone, function names are the admin's.
            "functions": registry.snapshot().len(),
            "routes": self.router.load().table().len(),
            "inFlight": self.in_flight().saturating_sub(1),
            "waiting": admission.waiting(),
            "maxConcurrency": admission.config().max_concurrency,
        });
        if let Some(node) = &self.node {
            body["node"] = node.as_str().into();
        }
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        *response.status_mut() = status;
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

impl Handler for App {
    type Body = Full<Bytes>;
    async fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> Response<Full<Bytes>> {
        self.handle(request, remote).await
    }

    fn in_flight(&self) -> &InFlight {
        &self.in_flight
    }

    fn header_read_timeout(&self) -> Duration {
        self.config.header_read_timeout
    }

    fn drain_timeout(&self) -> Duration {
        self.config.drain_timeout
    }

    fn max_connections(&self) -> usize {
        self.config.max_connections
    }

    fn write_timeout(&self) -> Duration {
        self.config.write_timeout
    }

    fn workers(&self) -> usize {
        self.config.workers
    }
}
