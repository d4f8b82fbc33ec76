//! The console: its files, its sessions, and the routing of its JSON endpoints.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use bytes::Bytes;
use fnhost_api::{Api, Credentials};
use fnhost_buckets::Buckets;
use fnhost_edge::percent_decode;
use fnhost_manifest::Manifest;
use fnhost_store::{Recorder, Store};
use http::header::{
    CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, ORIGIN, SET_COOKIE,
};
use http::request::Parts;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Body;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};

use crate::body::AdminBody;
use crate::error::ConsoleError;
use crate::live::{LiveFeed, MAX_FOLLOWERS};
use crate::{assets, guard, session};

/// What an endpoint answers.
pub(crate) type Reply = Result<Response<Full<Bytes>>, ConsoleError>;

/// Largest JSON body of a console endpoint (test events are capped lower by the store).
const MAX_JSON_BYTES: usize = 1 << 20;
/// Largest sign-in body.
const MAX_LOGIN_BYTES: usize = 4096;
/// How long a failed sign-in holds the door: at most one guess per this long.
const FAILED_LOGIN_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

/// What the console needs from the host besides the API.
#[derive(Debug, Clone)]
pub struct ConsoleConfig {
    /// The admin credentials: when set, the console asks for them and keeps a session.
    pub auth: Option<Credentials>,
    /// Whether the admin listener serves HTTPS (the cookie is then `Secure`).
    pub tls: bool,
    /// The manifest's buckets.
    pub buckets: Arc<Buckets>,
    /// The manifest as loaded (replace it with [`Console::set_manifest`] on reload).
    pub manifest: Arc<Manifest>,
}

/// The web console of one host.
pub struct Console {
    pub(crate) api: Arc<Api>,
    pub(crate) store: Store,
    pub(crate) recorder: Arc<Recorder>,
    pub(crate) live: Arc<LiveFeed>,
    pub(crate) manifest: ArcSwap<Manifest>,
    pub(crate) buckets: Arc<Buckets>,
    reach: fnhost_api::reach::Reach,
    auth: Option<Credentials>,
    secure: bool,
    sessions: session::Sessions,
    closed: watch::Sender<bool>,
    followers: Arc<Semaphore>,
    login: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("auth", &self.auth.is_some())
            .field("secure", &self.secure)
            .finish_non_exhaustive()
    }
}

/// [`fnhost_core::blocking`] for store and file work.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ConsoleError> + Send + 'static,
) -> Result<T, ConsoleError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) => Err(ConsoleError::internal("a background task", err)),
    }
}

/// A 200 JSON response.
pub(crate) fn json_ok(value: &Value) -> Reply {
    let mut response = Response::new(Full::new(Bytes::from(value.to_string())));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(response)
}

/// A 204.
pub(crate) fn no_content() -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NO_CONTENT;
    response
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Login {
    access_key_id: String,
    secret_access_key: String,
}

impl Console {
    /// The console over `api`, reading `store`; `recorder` is flushed before a test run's
    /// record is read; `live` is the sink the dispatcher feeds (see [`LiveFeed`]).
    pub fn new(
        api: Arc<Api>,
        store: Store,
        recorder: Arc<Recorder>,
        live: Arc<LiveFeed>,
        config: ConsoleConfig,
    ) -> Arc<Self> {
        let reach = fnhost_api::reach::Reach::new(api.config().bound, &api.config().hosts);
        Arc::new(Self {
            api,
            store,
            recorder,
            live,
            manifest: ArcSwap::new(config.manifest),
            buckets: config.buckets,
            reach,
            auth: config.auth,
            secure: config.tls,
            sessions: session::Sessions::default(),
            closed: watch::channel(false).0,
            followers: Arc::new(Semaphore::new(MAX_FOLLOWERS)),
            login: tokio::sync::Mutex::new(()),
        })
    }

    /// Show `manifest` from now on (after a hot reload).
    pub fn set_manifest(&self, manifest: Arc<Manifest>) {
        self.manifest.store(manifest);
    }

    /// End the live streams (the host is shutting down: they would hold the drain open).
    pub fn close(&self) {
        self.closed.send_replace(true);
    }

    /// Whether `path` is the console's.
    pub fn owns(path: &str) -> bool {
        path == "/console" || path.starts_with("/console/")
    }

    /// Answer a request under `/console`; never fails (every error is a response).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<AdminBody>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let mut response = match self.route(parts, body).await {
            Ok(response) => response,
            Err(err) => err.into_response().map(AdminBody::from),
        };
        assets::harden(response.headers_mut());
        response
    }

    async fn route<B>(&self, parts: Parts, body: B) -> Result<Response<AdminBody>, ConsoleError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let host = guard::host(&self.reach, &parts)?;
        let path = parts.uri.path().to_owned();
        if let Some(rest) = path.strip_prefix("/console/api/") {
            guard::same_origin(&parts, &host)?;
            let mut response = self.endpoint(parts, body, rest, &host).await?;
            response
                .headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            return Ok(response);
        }
        if !matches!(parts.method, Method::GET | Method::HEAD) {
            return Err(ConsoleError::NotFound(format!(
                "{} {path} is not a console operation",
                parts.method
            )));
        }
        if path == "/console" {
            let mut response = Response::new(AdminBody::from(Full::new(Bytes::new())));
            *response.status_mut() = StatusCode::PERMANENT_REDIRECT;
            response
                .headers_mut()
                .insert(LOCATION, HeaderValue::from_static("/console/"));
            return Ok(response);
        }
        let name = match path.strip_prefix("/console/").unwrap_or("") {
            "" | "index.html" => "index.html",
            other => other.strip_prefix("assets/").unwrap_or(""),
        };
        assets::serve(name, &parts.headers)
            .map(|r| r.map(AdminBody::from))
            .ok_or_else(|| ConsoleError::NotFound(format!("the console has no page `{path}`")))
    }

    /// The JSON endpoints (`rest` is the path after `/console/api/`).
    async fn endpoint<B>(
        &self,
        parts: Parts,
        body: B,
        rest: &str,
        host: &str,
    ) -> Result<Response<AdminBody>, ConsoleError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let method = parts.method.clone();
        let session =
            session::cookie(&parts).and_then(|id| self.sessions.touch(&id).map(|csrf| (id, csrf)));
        match (&method, rest) {
            (&Method::GET, "session") => return Ok(self.session(session).map(AdminBody::from)),
            (&Method::POST, "login") => {
                guard::content_type(&parts, &["application/json"])?;
                let body = self.read(&parts, body, MAX_LOGIN_BYTES).await?;
                return self.login(&body).await.map(|r| r.map(AdminBody::from));
            }
            _ => {}
        }
        let Some((id, csrf)) = session else {
            return Err(ConsoleError::SignIn);
        };
        if guard::mutating(&method) {
            guard::csrf(&parts, &csrf)?;
        }
        if let Some(lambda) = rest.strip_prefix("lambda/") {
            return Ok(self.lambda(parts, body, lambda).await.map(AdminBody::from));
        }
        let query = fnhost_edge::query_map(parts.uri.query());
        let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        if let (&Method::GET, ["logs", "stream"]) = (&method, segments.as_slice()) {
            return self.follow(query.get("function").cloned());
        }
        let json_body = ["application/json"];
        let reply = match (&method, segments.as_slice()) {
            (&Method::POST, ["logout"]) => {
                self.sessions.end(&id);
                let mut response = no_content();
                response
                    .headers_mut()
                    .insert(SET_COOKIE, session::clear_cookie(self.secure));
                Ok(response)
            }
            (&Method::GET, ["overview"]) => self.overview().await,
            (&Method::GET, ["functions", name]) => self.function(name).await,
            (&Method::GET, ["functions", name, "source"]) => {
                let path = query.get("path").map_or("", String::as_str);
                self.source(name, path).await
            }
            (&Method::GET, ["functions", name, "metrics"]) => {
                self.metrics(name, query.get("range").map_or("1h", String::as_str))
                    .await
            }
            (&Method::GET, ["functions", name, "invocations"]) => {
                self.invocations(name, &query).await
            }
            (&Method::GET, ["functions", name, "test-events"]) => self.test_events(name).await,
            (&Method::PUT, ["functions", name, "test-events", event]) => {
                guard::content_type(&parts, &json_body)?;
                let body = self.read(&parts, body, MAX_JSON_BYTES).await?;
                self.save_test_event(name, event, &body).await
            }
            (&Method::DELETE, ["functions", name, "test-events", event]) => {
                self.delete_test_event(name, event).await
            }
            (&Method::POST, ["functions", name, "test"]) => {
                guard::content_type(&parts, &json_body)?;
                let body = self
                    .read(&parts, body, fnhost_runtime::MAX_EVENT_BYTES)
                    .await?;
                self.run_test(name, host, body).await
            }
            (&Method::GET, ["invocations", request_id]) => self.invocation(request_id).await,
            (&Method::GET, ["event-templates"]) => json_ok(&crate::testing::templates()),
            (&Method::GET, ["buckets"]) => self.bucket_list(),
            (&Method::GET, ["buckets", bucket, "objects"]) => self.objects(bucket, &query).await,
            (&Method::GET, ["buckets", bucket, "objects", key]) => {
                self.get_object(bucket, key).await
            }
            (&Method::PUT, ["buckets", bucket, "objects", key]) => {
                guard::content_type(&parts, &["application/octet-stream"])?;
                let body = self
                    .read(&parts, body, fnhost_buckets::MAX_PUT_BYTES)
                    .await?;
                self.put_object(bucket, key, body).await
            }
            (&Method::DELETE, ["buckets", bucket, "objects", key]) => {
                self.delete_object(bucket, key).await
            }
            (&Method::GET, ["dead-letters"]) => self.dead_letters(&query).await,
            (&Method::GET, ["dead-letters", id]) => self.dead_letter(id).await,
            (&Method::POST, ["dead-letters", "redrive"]) => {
                guard::content_type(&parts, &json_body)?;
                let body = self.read(&parts, body, MAX_JSON_BYTES).await?;
                self.redrive(&body).await
            }
            (&Method::GET, ["usage"]) => self.usage(&query).await,
            _ => Err(ConsoleError::NotFound(format!(
                "{method} /console/api/{rest} is not a console operation"
            ))),
        };
        reply.map(|r| r.map(AdminBody::from))
    }

    /// Read a body of at most `limit` bytes under the admin listener's budget and deadline.
    async fn read<B>(&self, parts: &Parts, body: B, limit: usize) -> Result<Bytes, ConsoleError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (bytes, _share) = self.api.bodies().read_up_to(parts, body, limit).await?;
        Ok(bytes)
    }

    /// `GET session`: who is signed in. Without credentials configured the console is open to
    /// whoever reaches it on loopback: a session is made at once (for its CSRF token).
    fn session(&self, session: Option<(String, String)>) -> Response<Full<Bytes>> {
        let (created, csrf) = match (session, &self.auth) {
            (Some((_, csrf)), _) => (None, Some(csrf)),
            (None, None) => {
                let (id, csrf) = self.sessions.begin();
                (Some(id), Some(csrf))
            }
            (None, Some(_)) => (None, None),
        };
        let body = json!({
            "authRequired": self.auth.is_some(),
            "signedIn": csrf.is_some(),
            "csrf": csrf,
            "accessKeyId": self.auth.as_ref().filter(|_| csrf.is_some()).map(Credentials::access_key_id),
            "version": env!("CARGO_PKG_VERSION"),
        });
        let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(id) = created {
            headers.insert(SET_COOKIE, session::set_cookie(&id, self.secure));
        }
        response
    }

    /// `POST login`: the admin credentials make a session. A wrong guess costs the guesser a
    /// second, one guess at a time.
    async fn login(&self, body: &[u8]) -> Reply {
        let Some(auth) = &self.auth else {
            return Err(ConsoleError::BadRequest(
                "this host has no credentials configured: the console needs no sign-in".into(),
            ));
        };
        let input: Login = serde_json::from_slice(body).map_err(|e| {
            ConsoleError::BadRequest(format!(
                "the body is not {{\"accessKeyId\": \"...\", \"secretAccessKey\": \"...\"}}: {e}"
            ))
        })?;
        let _one_at_a_time = self.login.lock().await;
        if !auth.matches(&input.access_key_id, &input.secret_access_key) {
            tokio::time::sleep(FAILED_LOGIN_DELAY).await;
            tracing::warn!("console sign-in refused: wrong access key id or secret");
            return Err(ConsoleError::InvalidCredentials);
        }
        let (id, csrf) = self.sessions.begin();
        tracing::info!(access_key_id = %auth.access_key_id(), "console sign-in");
        let mut response = json_ok(&json!({ "csrf": csrf }))?;
        response
            .headers_mut()
            .insert(SET_COOKIE, session::set_cookie(&id, self.secure));
        Ok(response)
    }

    /// `lambda/<path>`: the Lambda API, the session standing in for a signature.
    async fn lambda<B>(&self, parts: Parts, body: B, path: &str) -> Response<Full<Bytes>>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let mut parts = parts;
        let target = match parts.uri.query() {
            Some(q) => format!("/{path}?{q}"),
            None => format!("/{path}"),
        };
        match target.parse() {
            Ok(uri) => parts.uri = uri,
            Err(_) => {
                return ConsoleError::BadRequest(format!("`{target}` is not a path"))
                    .into_response();
            }
        }
        // What made the browser's request the console's is checked; the API sees none of it.
        for header in [COOKIE, ORIGIN] {
            parts.headers.remove(header);
        }
        parts.headers.remove(guard::CSRF_HEADER);
        self.api
            .handle_for_session(Request::from_parts(parts, body))
            .await
    }

    /// `GET logs/stream`: server-sent events of ended invocations.
    fn follow(&self, function: Option<String>) -> Result<Response<AdminBody>, ConsoleError> {
        let Ok(slot) = self.followers.clone().try_acquire_owned() else {
            return Err(ConsoleError::Busy(format!(
                "{MAX_FOLLOWERS} console tabs are following the logs already; close one"
            )));
        };
        // The slot is held for as long as the stream lives.
        let rx = self.live.follow(function, self.closed.subscribe(), slot);
        let mut response = Response::new(AdminBody::Stream(rx));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
        Ok(response)
    }

    /// `GET usage?since=24h|7d|30d|all`.
    async fn usage(&self, query: &BTreeMap<String, String>) -> Reply {
        let since = match query.get("since").map(String::as_str) {
            None | Some("30d") => Some(30 * 24 * 3_600_000),
            Some("24h") => Some(24 * 3_600_000),
            Some("7d") => Some(7 * 24 * 3_600_000),
            Some("all") => None,
            Some(other) => {
                return Err(ConsoleError::BadRequest(format!(
                    "since `{other}` is not one of 24h, 7d, 30d, all"
                )));
            }
        };
        let cutoff = since.map(|ms: u64| fnhost_core::unix_ms().saturating_sub(ms));
        let store = self.store.clone();
        let usage = blocking(move || Ok(store.usage(cutoff)?)).await?;
        json_ok(&fnhost_api::usage::report(&usage))
    }
}
