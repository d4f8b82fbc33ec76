//! The API application: authentication, routing, body limits, and the state the operations
//! share. The operations live in `invoke.rs` (Invoke) and `functions.rs` (the control plane).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fnhost_dispatch::Dispatcher;
use fnhost_edge::{BodyReader, DEFAULT_WRITE_TIMEOUT, InFlight, percent_decode};
use fnhost_store::{Recorder, Store};
use http::header::{CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, TRANSFER_ENCODING};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Body;
use tokio::sync::Notify;

use crate::code::CodeStore;
use crate::error::ApiError;
use crate::intake::{self, DEFAULT_BODY_BUDGET};
use crate::metrics::{Metrics, StoreGauges};
use crate::reach::Reach;
use crate::sigv4::{self, Credentials, UNSIGNED_PAYLOAD, Verifier};

/// Lambda's code storage quota per region: 75 GB.
pub const DEFAULT_CODE_STORAGE_LIMIT: u64 = 75 * 1024 * 1024 * 1024;
/// Largest CreateFunction / UpdateFunctionCode request body (Lambda's limit).
pub const MAX_CODE_REQUEST_BYTES: usize = 70_167_211;
/// Largest body of the other control-plane requests.
const MAX_CONFIG_REQUEST_BYTES: usize = 1 << 20;

/// How to run the API.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// The state directory: uploaded code goes to `<state_dir>/code/`.
    pub state_dir: PathBuf,
    /// Most bytes of distinct uploaded code kept (`CodeStorageExceededException` past it).
    pub code_storage_limit: u64,
    /// When set, every request must carry a SigV4 signature made with these credentials.
    pub auth: Option<Credentials>,
    /// How long in-flight requests may take to finish after a shutdown signal.
    pub drain_timeout: Duration,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// How long a client may take to send a request's body (408 past it).
    pub body_timeout: Duration,
    /// How long a write of a response may make no progress before the connection is closed
    /// (a client that stopped reading).
    pub write_timeout: Duration,
    /// Most request body bytes all admin requests may hold at once (429 past it, before the
    /// body is read).
    pub body_budget: usize,
    /// Most connections open at once on the admin listener.
    pub max_connections: usize,
    /// The bound address: `Host` may be this IP literal (any IP literal when it is 0.0.0.0
    /// or `::`), besides loopback ones.
    pub bound: Option<SocketAddr>,
    /// Host names the listener also answers to (`--admin-host`), besides `localhost`.
    pub hosts: Vec<String>,
    /// Most events the durable queue may hold when an `Event` invocation arrives
    /// (`TooManyRequestsException` past it).
    pub event_queue_limit: u64,
    /// What uploaded functions' grant tags apply to (buckets, calls).
    pub uploads: crate::grants::Uploads,
    /// The function URLs the HTTP listener serves, which the URL operations change (`None`:
    /// no HTTP listener, the URL operations are refused).
    pub urls: Option<Arc<fnhost_http::FunctionUrls>>,
    /// How many source packages (python3.x, nodejsN.x) are packaged and compiled at once.
    pub packaging_slots: usize,
    /// Where the packaging tools live (`None`: `$FNHOST_TOOLS_DIR`, else the user's cache).
    pub tools_dir: Option<PathBuf>,
}

/// Default of [`ApiConfig::event_queue_limit`]: 100,000 queued events.
pub const DEFAULT_EVENT_QUEUE_LIMIT: u64 = 100_000;

/// Default of [`ApiConfig::max_connections`].
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

impl ApiConfig {
    /// Defaults (75 GB code quota, no auth, 30 s drain) over `state_dir`.
    pub fn new(state_dir: impl Into<PathBuf>) -> Self {
        Self {
            state_dir: state_dir.into(),
            code_storage_limit: DEFAULT_CODE_STORAGE_LIMIT,
            auth: None,
            drain_timeout: Duration::from_secs(30),
            header_read_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(60),
            write_timeout: DEFAULT_WRITE_TIMEOUT,
            body_budget: DEFAULT_BODY_BUDGET,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            bound: None,
            hosts: Vec::new(),
            event_queue_limit: DEFAULT_EVENT_QUEUE_LIMIT,
            uploads: crate::grants::Uploads::default(),
            urls: None,
            packaging_slots: default_packaging_slots(),
            tools_dir: None,
        }
    }
}

/// Default of [`ApiConfig::packaging_slots`]: half the cores (packaging and compiling use
/// several threads each), at least one.
pub fn default_packaging_slots() -> usize {
    std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
}

/// The Lambda API over one dispatcher and store. Kept apart from the accept loop
/// ([`crate::serve`]) so tests can drive [`Api::handle`] in-process.
pub struct Api {
    pub(crate) dispatcher: Arc<Dispatcher>,
    pub(crate) store: Store,
    pub(crate) wake: Arc<Notify>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) recorder: Option<Arc<Recorder>>,
    pub(crate) verifier: Option<Verifier>,
    reach: Reach,
    /// Every operation's body under its own limit, within one budget of bytes.
    bodies: BodyReader,
    pub(crate) code: CodeStore,
    pub(crate) config: ApiConfig,
    /// Serialises the writes of the control plane (the compile before them runs unlocked).
    pub(crate) writes: tokio::sync::Mutex<()>,
    pub(crate) started_ms: u64,
    in_flight: InFlight,
    /// This API, for the background jobs it starts.
    pub(crate) this: std::sync::Weak<Api>,
    /// Packages source runtimes.
    pub(crate) packager: Arc<fnhost_packager::Packager>,
    /// The packaging slots ([`ApiConfig::packaging_slots`]).
    pub(crate) packaging: Arc<tokio::sync::Semaphore>,
    /// Builds functions' own components behind the fast tier, at a lower priority.
    pub(crate) background_packager: Arc<fnhost_packager::Packager>,
    /// When (ms since the epoch) the host last started or deployed a function: background
    /// packaging waits for a quiet moment after it.
    pub(crate) last_deploy_ms: std::sync::atomic::AtomicU64,
    /// Uploaded functions' reserved concurrency and the gates their versions share.
    pub(crate) reservations: crate::concurrency::Reservations,
    /// What of the store this node runs now, for following the other nodes of a cluster.
    pub(crate) applied: crate::follow::Applied,
    /// Where `Event` invocations are queued.
    pub(crate) events: crate::invoke::EventQueue,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("config", &self.config)
            .field("in_flight", &self.in_flight)
            .finish_non_exhaustive()
    }
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Op {
    ListFunctions,
    CreateFunction,
    GetFunction(String),
    DeleteFunction(String),
    GetConfiguration(String),
    UpdateConfiguration(String),
    UpdateCode(String),
    Invoke(String),
    PublishVersion(String),
    ListVersions(String),
    AccountSettings,
    Metrics,
    /// The Layers API (`/2018-10-31/layers`).
    Layers(crate::layers::LayerOp),
    /// TagResource, UntagResource, ListTags (`/2017-03-31/tags/{ARN}`).
    Tags(crate::tags::TagOp),
    /// The function URL operations (`/2021-10-31/functions/{F}/url[s]`).
    Urls(crate::urls::UrlOp),
    /// CreateAlias, GetAlias, ListAliases, UpdateAlias, DeleteAlias.
    Aliases(crate::aliases::AliasOp),
    /// Put/Get/DeleteFunctionConcurrency (`/{date}/functions/{F}/concurrency`).
    Concurrency(crate::concurrency::ConcurrencyOp),
}

impl Op {
    /// Largest body, and Lambda's operation name for the 413 message.
    fn body_limit(&self) -> (usize, &'static str) {
        match self {
            Op::CreateFunction => (MAX_CODE_REQUEST_BYTES, "CreateFunction"),
            Op::UpdateCode(_) => (MAX_CODE_REQUEST_BYTES, "UpdateFunctionCode"),
            Op::Layers(crate::layers::LayerOp::Publish(_)) => {
                (MAX_CODE_REQUEST_BYTES, "PublishLayerVersion")
            }
            Op::Invoke(_) => (fnhost_runtime::MAX_EVENT_BYTES, "InvokeFunction"),
            Op::Concurrency(crate::concurrency::ConcurrencyOp::Put(_)) => {
                (MAX_CONFIG_REQUEST_BYTES, "PutFunctionConcurrency")
            }
            _ => (MAX_CONFIG_REQUEST_BYTES, "this"),
        }
    }
}

/// Find the operation for a method and path (the function name segment percent-decoded).
pub(crate) fn route(method: &Method, path: &str) -> Option<Op> {
    if path == "/metrics" && method == Method::GET {
        return Some(Op::Metrics);
    }
    if path == "/2016-08-19/account-settings" || path == "/2016-08-19/account-settings/" {
        return (method == Method::GET).then_some(Op::AccountSettings);
    }
    if let Some(rest) = path.strip_prefix("/2017-03-31/tags/") {
        return crate::tags::route(method, rest).map(Op::Tags);
    }
    if let Some(rest) = path.strip_prefix("/2021-10-31/functions/") {
        return crate::urls::route(method, rest).map(Op::Urls);
    }
    if let Some(rest) = path.strip_prefix("/2017-10-31/functions/") {
        return crate::concurrency::route(method, "2017-10-31", rest).map(Op::Concurrency);
    }
    if let Some(rest) = path.strip_prefix("/2019-09-30/functions/") {
        return crate::concurrency::route(method, "2019-09-30", rest).map(Op::Concurrency);
    }
    if let Some(rest) = path.strip_prefix("/2018-10-31/layers") {
        return crate::layers::route(method, rest).map(Op::Layers);
    }
    let rest = path.strip_prefix("/2015-03-31/functions")?;
    let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    let name = |s: &str| percent_decode(s);
    Some(match (method.as_str(), segments.as_slice()) {
        ("GET", [""]) => Op::ListFunctions,
        ("POST", [""]) => Op::CreateFunction,
        ("GET", [n]) | ("GET", [n, ""]) => Op::GetFunction(name(n)),
        ("DELETE", [n]) | ("DELETE", [n, ""]) => Op::DeleteFunction(name(n)),
        ("GET", [n, "configuration"]) => Op::GetConfiguration(name(n)),
        ("PUT", [n, "configuration"]) => Op::UpdateConfiguration(name(n)),
        ("PUT", [n, "code"]) => Op::UpdateCode(name(n)),
        ("POST", [n, "invocations"]) => Op::Invoke(name(n)),
        ("POST", [n, "versions"]) => Op::PublishVersion(name(n)),
        ("GET", [n, "versions"]) => Op::ListVersions(name(n)),
        (_, [n, "aliases"]) => crate::aliases::route(method, name(n), None).map(Op::Aliases)?,
        (_, [n, "aliases", a]) => {
            crate::aliases::route(method, name(n), Some(name(a))).map(Op::Aliases)?
        }
        _ => return None,
    })
}

/// The query string as a map (decoded; the first value of a repeated key wins).
pub(crate) fn query(parts: &Parts) -> BTreeMap<String, String> {
    fnhost_edge::query_map(parts.uri.query())
}

pub(crate) use fnhost_core::unix_ms as now_ms;

/// [`fnhost_core::blocking`] for store and file work that fails with an [`ApiError`].
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    fnhost_core::blocking(work).await
}

/// What the body's SHA-256 must be once read.
enum Expected {
    /// Nothing: no auth, or an unsigned payload whose signature is already checked.
    Nothing,
    /// The hash the client declared (the signature over it is already checked).
    Declared(String),
    /// Whatever makes this signature match.
    Signed(sigv4::Pending),
}

/// What authenticates a request besides its reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    /// A SigV4 signature whenever credentials are configured.
    Required,
    /// A console session, checked by the console before the request got here.
    Session,
}

/// Whether the request comes with a body.
fn has_body(parts: &Parts) -> bool {
    parts.headers.contains_key(TRANSFER_ENCODING)
        || parts
            .headers
            .get(CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0")
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: &serde_json::Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An empty response.
pub(crate) fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

impl Api {
    /// An API over `dispatcher` (its registry, runtime and limits) and `store`; `wake` is
    /// notified after an `Event` invocation is queued; `metrics` is rendered at `/metrics`
    /// (feed it to the dispatcher as a sink); `recorder`, when given, reports dropped records.
    pub fn new(
        dispatcher: Arc<Dispatcher>,
        store: Store,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
        recorder: Option<Arc<Recorder>>,
        config: ApiConfig,
    ) -> Arc<Self> {
        let events =
            crate::invoke::EventQueue::new(store.clone(), wake.clone(), config.event_queue_limit);
        Arc::new_cyclic(|this| Self {
            this: this.clone(),
            events,
            packager: Arc::new(fnhost_packager::Packager::new(config.tools_dir.clone())),
            background_packager: Arc::new(
                fnhost_packager::Packager::new(config.tools_dir.clone()).niced(10),
            ),
            packaging: Arc::new(tokio::sync::Semaphore::new(config.packaging_slots.max(1))),
            verifier: config.auth.clone().map(Verifier::new),
            reach: Reach::new(config.bound, &config.hosts),
            bodies: BodyReader::up_front(
                MAX_CODE_REQUEST_BYTES,
                config.body_timeout,
                config.body_budget,
            ),
            code: CodeStore::new(&config.state_dir),
            dispatcher,
            store,
            wake,
            metrics,
            recorder,
            config,
            writes: tokio::sync::Mutex::new(()),
            started_ms: now_ms(),
            last_deploy_ms: std::sync::atomic::AtomicU64::new(now_ms()),
            reservations: Default::default(),
            applied: Default::default(),
            in_flight: InFlight::new(),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ApiConfig {
        &self.config
    }

    /// Tell the queue's workers that jobs were added outside the API (re-driven dead letters).
    pub fn queue_changed(&self) {
        self.wake.notify_one();
    }

    /// The reader of admin request bodies: the console's bodies share its budget.
    pub fn bodies(&self) -> &BodyReader {
        &self.bodies
    }

    /// When this API started (ms since the epoch): manifest functions' `LastModified`.
    pub fn started_ms(&self) -> u64 {
        self.started_ms
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &Arc<Dispatcher> {
        &self.dispatcher
    }

    /// Requests being handled now (counted by [`fnhost_edge::serve`]).
    pub fn in_flight(&self) -> usize {
        self.in_flight.count()
    }

    /// The counter the accept loop keeps.
    pub(crate) fn in_flight_counter(&self) -> &InFlight {
        &self.in_flight
    }

    /// Answer one request; never fails (every error is a response).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.answer(request, Signature::Required).await
    }

    /// Answer a request of a signed-in console session: every check of [`Api::handle`] but
    /// the SigV4 signature, which the console's session (and its CSRF token) stands in for.
    /// Only the console calls this, after its own checks.
    pub async fn handle_for_session<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        self.answer(request, Signature::Session).await
    }

    async fn answer<B>(&self, request: Request<B>, signature: Signature) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let request_id = fnhost_runtime::new_request_id();
        let mut unread = false;
        let mut response = match self
            .serve_one(request, &request_id, &mut unread, signature)
            .await
        {
            Ok(response) => response,
            Err(err) => err.into_response(&request_id),
        };
        let headers = response.headers_mut();
        if unread {
            headers.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        if !headers.contains_key("x-amzn-RequestId")
            && let Ok(id) = HeaderValue::from_str(&request_id)
        {
            headers.insert("x-amzn-RequestId", id);
        }
        response
    }

    /// Answer `request`; sets `unread` when it was refused with its body left unread.
    async fn serve_one<B>(
        &self,
        request: Request<B>,
        request_id: &str,
        unread: &mut bool,
        signature: Signature,
    ) -> Result<Response<Full<Bytes>>, ApiError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let op = route(&parts.method, parts.uri.path());
        // Everything that can be refused from the headers is, before a byte of the body is
        // read: a browser's reach, a missing or malformed signature, unsigned meaningful
        // headers, a wrong scope, and a signature over a declared payload hash. A body refused
        // unread is not read away: the connection closes after the answer.
        *unread = has_body(&parts);
        let (hash, expected) = self.admit(&parts, op.as_ref(), signature)?;
        let limit = op
            .as_ref()
            .map_or((MAX_CONFIG_REQUEST_BYTES, "this"), Op::body_limit);
        let intake = intake::read(&parts, body, limit, hash, &self.bodies).await?;
        *unread = false;
        match (expected, intake.sha256.as_deref()) {
            (Expected::Declared(declared), Some(got)) if !declared.eq_ignore_ascii_case(got) => {
                return Err(sigv4::AuthError::Mismatch.into());
            }
            (Expected::Signed(pending), Some(got)) => {
                if let Some(verifier) = &self.verifier {
                    verifier.verify_hash(&pending, &parts, got)?;
                }
            }
            _ => {}
        }
        let body = intake.body.clone();
        let Some(op) = op else {
            return Err(ApiError::UnknownOperation {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
            });
        };
        let query = query(&parts);
        let qualifier = query.get("Qualifier").map(String::as_str);
        match op {
            Op::Invoke(name) => {
                self.invoke(&name, qualifier, &parts, body, request_id)
                    .await
            }
            Op::ListFunctions => self.list_functions(&query).await,
            Op::CreateFunction => self.create_function(&body).await,
            Op::GetFunction(name) => self.get_function_qualified(&name, qualifier, false).await,
            Op::GetConfiguration(name) => self.get_function_qualified(&name, qualifier, true).await,
            Op::DeleteFunction(name) => self.delete_function(&name, qualifier).await,
            Op::UpdateConfiguration(name) => self.update_configuration(&name, &body).await,
            Op::UpdateCode(name) => self.update_code(&name, &body).await,
            Op::PublishVersion(name) => self.publish_version(&name, &body).await,
            Op::ListVersions(name) => self.list_versions(&name).await,
            Op::AccountSettings => self.account_settings().await,
            Op::Metrics => self.metrics_text().await,
            Op::Layers(op) => self.layers(op, &query, &body).await,
            Op::Tags(op) => self.tag_op(op, &parts, &body).await,
            Op::Urls(op) => self.url_op(op, &query, &body).await,
            Op::Aliases(op) => self.alias_op(op, &query, &body).await,
            Op::Concurrency(op) => self.concurrency_op(op, &body).await,
        }
    }

    /// The checks on the headers alone. Returns whether the body must be hashed as it is read,
    /// and what the hash must then be.
    fn admit(
        &self,
        parts: &Parts,
        op: Option<&Op>,
        signature: Signature,
    ) -> Result<(bool, Expected), ApiError> {
        self.reach.check(parts, op)?;
        let (Some(verifier), Signature::Required) = (&self.verifier, signature) else {
            return Ok((false, Expected::Nothing));
        };
        let pending = verifier.check_headers(parts, chrono::Utc::now())?;
        match sigv4::declared_payload_hash(parts) {
            Some(UNSIGNED_PAYLOAD) => {
                verifier.verify_hash(&pending, parts, UNSIGNED_PAYLOAD)?;
                Ok((false, Expected::Nothing))
            }
            Some(declared) => {
                verifier.verify_hash(&pending, parts, declared)?;
                Ok((true, Expected::Declared(declared.to_owned())))
            }
            None => Ok((true, Expected::Signed(pending))),
        }
    }

    async fn metrics_text(&self) -> Result<Response<Full<Bytes>>, ApiError> {
        let store = self.store.clone();
        let records_dropped = self.recorder.as_ref().map_or(0, |r| r.dropped());
        let outbound = self
            .dispatcher
            .runtime()
            .config()
            .outbound
            .stats()
            .snapshot();
        let gauges = blocking(move || {
            let err = |e| ApiError::internal("reading the event queue", e);
            Ok(StoreGauges {
                queue_depth: store.queue_depth_by_function().map_err(err)?,
                dead_letters: store.dead_letter_count().map_err(err)?,
                records_dropped,
                outbound,
            })
        })
        .await?;
        let mut response = Response::new(Full::new(Bytes::from(self.metrics.render(&gauges))));
        response.headers_mut().insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_operations() {
        let get = Method::GET;
        assert_eq!(
            route(&get, "/2015-03-31/functions/"),
            Some(Op::ListFunctions)
        );
        assert_eq!(
            route(&Method::POST, "/2015-03-31/functions"),
            Some(Op::CreateFunction)
        );
        assert_eq!(
            route(
                &Method::POST,
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Ahi/invocations"
            ),
            Some(Op::Invoke(
                "arn:aws:lambda:us-east-1:000000000000:function:hi".into()
            ))
        );
        assert_eq!(
            route(&Method::POST, "/2015-03-31/functions/..%2Fevil/invocations"),
            Some(Op::Invoke("../evil".into()))
        );
        assert_eq!(
            route(&Method::PUT, "/2015-03-31/functions/f/code"),
            Some(Op::UpdateCode("f".into()))
        );
        assert_eq!(route(&get, "/metrics"), Some(Op::Metrics));
        assert_eq!(route(&get, "/2015-03-31/functions/f/nope"), None);
        assert_eq!(route(&get, "/"), None);
    }
}
