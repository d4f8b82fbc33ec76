//! The server: accept loop, the request path, health, and drain on shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use arc_swap::ArcSwap;
use bytes::Bytes;
use fnhost_dispatch::{DispatchError, Dispatcher};
use fnhost_runtime::{InvokeRequest, Outcome, RuntimeError};
use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Method, Request, Response};
use http_body_util::Full;
use hyper::body::Body;
use hyper::service::service_fn;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

use crate::error::HttpError;
use crate::request::{MAX_BODY_BYTES, event_json, event_request, read_body};
use crate::response::map_response;
use crate::router::Router;

/// The health endpoint; answers without running any function.
pub const HEALTH_PATH: &str = "/.well-known/fnhost/health";

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
    /// Largest request body accepted.
    pub max_body: usize,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            drain_timeout: Duration::from_secs(30),
            max_body: MAX_BODY_BYTES,
            header_read_timeout: Duration::from_secs(30),
        }
    }
}

/// The HTTP application: routes plus the dispatcher. Kept apart from the accept loop so tests
/// can drive [`App::handle`] in-process.
pub struct App {
    dispatcher: Arc<Dispatcher>,
    router: ArcSwap<Router>,
    config: ServerConfig,
    in_flight: AtomicUsize,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.router.load().table().len())
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

/// Counts a request as in flight until dropped (both listeners' `in_flight` counters).
#[derive(Debug)]
pub struct InFlight<'a>(&'a AtomicUsize);

impl<'a> InFlight<'a> {
    /// Count one more request in `counter` until the guard is dropped.
    pub fn enter(counter: &'a AtomicUsize) -> Self {
        counter.fetch_add(1, Ordering::AcqRel);
        Self(counter)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl App {
    /// An app serving `router` through `dispatcher`.
    pub fn new(dispatcher: Arc<Dispatcher>, router: Router, config: ServerConfig) -> Self {
        Self {
            dispatcher,
            router: ArcSwap::from_pointee(router),
            config,
            in_flight: AtomicUsize::new(0),
        }
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

    /// Requests being handled now.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Answer one request; never fails (every error is a response).
    pub async fn handle<B>(&self, request: Request<B>, remote: SocketAddr) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let _in_flight = InFlight::enter(&self.in_flight);
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
        let body = read_body(&parts, body, self.config.max_body).await?;
        let event = event_request(&parts, body, &route, remote, request_id.to_owned());
        let event = event_json(&event, &route);
        let invocation = self
            .dispatcher
            .invoke(&route.function, InvokeRequest::new(event))
            .await
            .map_err(|err| match err {
                DispatchError::Throttled {
                    reason,
                    retry_after,
                    ..
                } => HttpError::Throttled {
                    reason: reason.as_str().to_owned(),
                    retry_after,
                },
                DispatchError::Runtime(RuntimeError::EventTooLarge { .. }) => {
                    HttpError::PayloadTooLarge {
                        limit: fnhost_runtime::MAX_EVENT_BYTES,
                    }
                }
                other => HttpError::Internal(other.to_string()),
            })?;
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

    fn health(&self) -> Response<Full<Bytes>> {
        let registry = self.dispatcher.registry();
        let admission = self.dispatcher.admission();
        let body = serde_json::json!({
            "status": "ok",
            "functions": registry.names(),
            "routes": self.router.load().table().len(),
            "inFlight": self.in_flight().saturating_sub(1),
            "waiting": admission.waiting(),
            "maxConcurrency": admission.config().max_concurrency,
        });
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    }
}

/// How the drain after a shutdown signal ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Requests in flight when the signal came.
    pub in_flight: usize,
    /// Requests still running when the grace period ran out (0 = a clean drain).
    pub abandoned: usize,
}

/// What an accept loop serves: the HTTP trigger's [`App`], the Lambda API.
pub trait Handler: Send + Sync + 'static {
    /// Answer one request; never fails (every error is a response).
    fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> impl std::future::Future<Output = Response<Full<Bytes>>> + Send;
    /// Requests being handled now.
    fn requests_in_flight(&self) -> usize;
    /// How long a client may take to send its headers.
    fn header_read_timeout(&self) -> Duration;
    /// How long in-flight requests may run after the shutdown signal.
    fn drain_timeout(&self) -> Duration;
}

impl Handler for App {
    async fn respond(
        self: Arc<Self>,
        request: Request<hyper::body::Incoming>,
        remote: SocketAddr,
    ) -> Response<Full<Bytes>> {
        self.handle(request, remote).await
    }

    fn requests_in_flight(&self) -> usize {
        self.in_flight()
    }

    fn header_read_timeout(&self) -> Duration {
        self.config.header_read_timeout
    }

    fn drain_timeout(&self) -> Duration {
        self.config.drain_timeout
    }
}

/// Serve `app` on `listener` until `shutdown` completes, then stop accepting, let in-flight
/// requests finish (up to the drain timeout) and close idle keep-alive connections.
pub async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Drained {
    serve_with(listener, app, shutdown).await
}

/// [`serve`] for any [`Handler`].
pub async fn serve_with<H: Handler>(
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
                        async move { Ok::<_, Infallible>(handler.respond(request, remote).await) }
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
    let in_flight = handler.requests_in_flight();
    let abandoned = match tokio::time::timeout(handler.drain_timeout(), graceful.shutdown()).await {
        Ok(()) => 0,
        Err(_) => handler.requests_in_flight(),
    };
    Drained {
        in_flight,
        abandoned,
    }
}
