//! Function URLs on the HTTP listener: Lambda's `https://<url-id>.lambda-url.<region>.on.aws/`,
//! served as `http://<url-id>.lambda-url.<domain>:<port>/` (the domain is `localhost` unless
//! `fnhost up --url-domain` says otherwise; `*.localhost` resolves to loopback in curl and
//! browsers) and, for clients that cannot resolve that name, under the path
//! `/lambda-url/<url-id>/` of any host name.
//!
//! [`FunctionUrls`] is the live table the listener reads: the URLs of uploaded functions (the
//! API adds, changes and removes them, and restores them at start) and those of the manifest
//! (replaced on every reload). A request for a URL becomes the payload 2.0 event Lambda's
//! function URLs send ([`fnhost_events::UrlContext`]), the answer is mapped back as an HTTP
//! API's is ([`crate::response::map_response`]), and the URL's `Cors` adds the
//! `Access-Control-*` headers (replacing the function's) and answers preflight requests
//! without invoking. An `AWS_IAM` URL takes only requests SigV4-signed with fnhost's admin
//! credentials, checked by the [`UrlAuthenticator`] the API installs (the listener itself knows
//! no secret).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};

use std::net::SocketAddr;

use arc_swap::ArcSwap;
use bytes::Bytes;
use fnhost_dispatch::DispatchError;
use fnhost_events::{ACCOUNT, IamCaller, PayloadVersion, REGION, UrlContext};
use fnhost_manifest::{Manifest, UrlAuthType, UrlCors, is_url_id};
use fnhost_runtime::{InvokeRequest, Outcome, Trigger};
use http::header::{HeaderName, HeaderValue, ORIGIN, VARY};
use http::request::Parts;
use http::{HeaderMap, Method, Response};
use http_body_util::Full;
use hyper::body::Body;

use crate::error::HttpError;
use crate::request::{event_json, request_fields};
use crate::response::map_response;
use crate::server::App;

/// The path prefix of the path form: `/lambda-url/<url-id>/…`.
pub const PATH_PREFIX: &str = "/lambda-url/";

/// The label between the URL id and the domain: `<url-id>.lambda-url.<domain>`.
const HOST_LABEL: &str = ".lambda-url.";

/// The default URL domain: `*.localhost` names resolve to loopback.
pub const DEFAULT_URL_DOMAIN: &str = "localhost";

/// One function URL as the listener serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlTarget {
    /// The URL id.
    pub url_id: String,
    /// The function it invokes.
    pub function: String,
    /// The alias it invokes (`None`: the function's `$LATEST`).
    pub qualifier: Option<String>,
    /// Who may call it.
    pub auth: UrlAuthType,
    /// Its CORS settings, when configured.
    pub cors: Option<UrlCors>,
}

impl UrlTarget {
    /// What the dispatcher runs: `function`, or `function:alias`.
    pub fn key(&self) -> String {
        match &self.qualifier {
            Some(alias) => format!("{}:{alias}", self.function),
            None => self.function.clone(),
        }
    }
}

/// Checks the SigV4 signature of a request for an `AWS_IAM` URL. fnhost-api implements it
/// over its verifier (service `lambda`, the admin credentials).
pub trait UrlAuthenticator: Send + Sync {
    /// The checks that need no body (a well-formed `Authorization`, the key, the scope, the
    /// date), before the body is read. The error is logged, never sent.
    fn check_headers(&self, parts: &Parts) -> Result<(), String>;
    /// The signature over the whole request; the caller it identifies.
    fn authenticate(&self, parts: &Parts, body: &[u8]) -> Result<IamCaller, String>;
}

/// Why a URL domain given to [`FunctionUrls::new`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid function URL domain `{0}`: give a DNS name such as `localhost` or `fn.example.com` (letters, digits, `-` and dots; no scheme, port or path)"
)]
pub struct InvalidDomain(pub String);

/// The live table of function URLs the HTTP listener serves, shared with the API (which
/// changes it) and `fnhost up` (which sets the manifest's). Lookups are lock-free.
pub struct FunctionUrls {
    domain: String,
    port: AtomicU16,
    uploaded: ArcSwap<HashMap<String, Arc<UrlTarget>>>,
    manifest: ArcSwap<HashMap<String, Arc<UrlTarget>>>,
    authenticator: OnceLock<Arc<dyn UrlAuthenticator>>,
}

impl std::fmt::Debug for FunctionUrls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FunctionUrls")
            .field("domain", &self.domain)
            .field("port", &self.port())
            .field("uploaded", &self.uploaded.load().len())
            .field("manifest", &self.manifest.load().len())
            .field("authenticator", &self.authenticator.get().is_some())
            .finish()
    }
}

impl Default for FunctionUrls {
    fn default() -> Self {
        Self::with_domain(DEFAULT_URL_DOMAIN.to_owned())
    }
}

impl FunctionUrls {
    /// An empty table for URLs under `domain` (lower-cased), e.g. `localhost`.
    pub fn new(domain: &str) -> Result<Self, InvalidDomain> {
        let domain = domain.trim_end_matches('.').to_ascii_lowercase();
        let valid_label = |label: &str| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        };
        if domain.is_empty() || domain.len() > 200 || !domain.split('.').all(valid_label) {
            return Err(InvalidDomain(domain));
        }
        Ok(Self::with_domain(domain))
    }

    fn with_domain(domain: String) -> Self {
        Self {
            domain,
            port: AtomicU16::new(0),
            uploaded: ArcSwap::default(),
            manifest: ArcSwap::default(),
            authenticator: OnceLock::new(),
        }
    }

    /// The domain URLs are under.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// Record the port the HTTP listener got (it is part of every URL).
    pub fn set_port(&self, port: u16) {
        self.port.store(port, Ordering::Relaxed);
    }

    /// The HTTP listener's port; 0 before it is bound.
    pub fn port(&self) -> u16 {
        self.port.load(Ordering::Relaxed)
    }

    /// The address of URL `url_id`: `http://<url-id>.lambda-url.<domain>:<port>/`.
    pub fn url_of(&self, url_id: &str) -> String {
        format!(
            "http://{url_id}{HOST_LABEL}{}:{}/",
            self.domain,
            self.port()
        )
    }

    /// Install the checker of `AWS_IAM` signatures (once; later calls are ignored). Without
    /// one, every request for an `AWS_IAM` URL is refused.
    pub fn set_authenticator(&self, authenticator: Arc<dyn UrlAuthenticator>) {
        let _ = self.authenticator.set(authenticator);
    }

    /// The URL with id `url_id`.
    pub fn get(&self, url_id: &str) -> Option<Arc<UrlTarget>> {
        if let Some(target) = self.uploaded.load().get(url_id) {
            return Some(target.clone());
        }
        self.manifest.load().get(url_id).cloned()
    }

    /// Add or replace the URL of an uploaded function (keyed by its id).
    pub fn insert(&self, target: UrlTarget) {
        let target = Arc::new(target);
        self.uploaded.rcu(|urls| {
            let mut urls = HashMap::clone(urls);
            urls.insert(target.url_id.clone(), target.clone());
            urls
        });
    }

    /// Remove the URL with id `url_id` (of an uploaded function).
    pub fn remove(&self, url_id: &str) {
        self.uploaded.rcu(|urls| {
            let mut urls = HashMap::clone(urls);
            urls.remove(url_id);
            urls
        });
    }

    /// Remove every URL of uploaded function `function` (it was deleted).
    pub fn remove_function(&self, function: &str) {
        self.uploaded.rcu(|urls| {
            let mut urls = HashMap::clone(urls);
            urls.retain(|_, target| target.function != function);
            urls
        });
    }

    /// Replace the manifest's URLs (at start and on every reload).
    pub fn set_manifest(&self, targets: impl IntoIterator<Item = UrlTarget>) {
        let table = targets
            .into_iter()
            .map(|t| (t.url_id.clone(), Arc::new(t)))
            .collect();
        self.manifest.store(Arc::new(table));
    }

    /// Replace the manifest's URLs with those `manifest` declares for functions for which
    /// `deployed` is true.
    pub fn set_from_manifest(&self, manifest: &Manifest, deployed: impl Fn(&str) -> bool) {
        self.set_manifest(
            manifest
                .functions
                .values()
                .filter(|f| deployed(&f.name))
                .filter_map(|f| {
                    f.url.as_ref().map(|url| UrlTarget {
                        url_id: url.url_id.clone(),
                        function: f.name.clone(),
                        qualifier: None,
                        auth: url.auth,
                        cors: url.cors.clone(),
                    })
                }),
        );
    }

    /// The manifest's URL of `function`, if it declares one.
    pub fn manifest_url(&self, function: &str) -> Option<Arc<UrlTarget>> {
        self.manifest
            .load()
            .values()
            .find(|t| t.function == function)
            .cloned()
    }

    /// The manifest's URLs, by function name.
    pub fn manifest_urls(&self) -> Vec<Arc<UrlTarget>> {
        let mut urls: Vec<_> = self.manifest.load().values().cloned().collect();
        urls.sort_by(|a, b| a.function.cmp(&b.function));
        urls
    }

    /// The URL part of a request, if it is for a function URL: by its `Host`
    /// (`<url-id>.lambda-url.<domain>[:port]`), or by its path (`/lambda-url/<url-id>/…`,
    /// only with a well-formed id so that other paths stay the routes').
    pub(crate) fn locate(&self, parts: &Parts) -> Option<Located> {
        let path = parts.uri.path();
        if let Some(host) = host_of(parts)
            && let Some(url_id) = self.url_id_of_host(host)
        {
            return Some(Located {
                url_id,
                path: path.to_owned(),
            });
        }
        let rest = path.strip_prefix(PATH_PREFIX)?;
        let (url_id, tail) = match rest.split_once('/') {
            Some((id, tail)) => (id, format!("/{tail}")),
            None => (rest, "/".to_owned()),
        };
        is_url_id(url_id).then(|| Located {
            url_id: url_id.to_owned(),
            path: tail,
        })
    }

    /// The id in a `Host` of the form `<url-id>.lambda-url.<domain>[:port]`.
    fn url_id_of_host(&self, host: &str) -> Option<String> {
        let name = match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            _ => host,
        };
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        let prefix = name.strip_suffix(&self.domain)?;
        let id = prefix.strip_suffix(HOST_LABEL)?;
        Some(id.to_owned())
    }

    /// The authenticator, if one is installed.
    pub(crate) fn authenticator(&self) -> Option<&Arc<dyn UrlAuthenticator>> {
        self.authenticator.get()
    }

    /// `requestContext` fields of a request for `target`.
    pub(crate) fn context(&self, target: &UrlTarget, iam: Option<IamCaller>) -> UrlContext {
        UrlContext {
            url_id: target.url_id.clone(),
            domain_name: format!("{}{HOST_LABEL}{}", target.url_id, self.domain),
            iam,
        }
    }
}

/// A request for a function URL: its id and the path the function sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Located {
    pub url_id: String,
    pub path: String,
}

/// The request's host: `Host`, or the URI's authority (HTTP/2).
fn host_of(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
}

/// Whether the request is a CORS preflight: `OPTIONS` with `Origin` and
/// `Access-Control-Request-Method`.
pub(crate) fn is_preflight(parts: &Parts) -> bool {
    parts.method == Method::OPTIONS
        && parts.headers.contains_key(ORIGIN)
        && parts.headers.contains_key("access-control-request-method")
}

fn origin_of(parts: &Parts) -> Option<&str> {
    parts.headers.get(ORIGIN).and_then(|v| v.to_str().ok())
}

/// The `Access-Control-Allow-Origin` value for `origin`: `*` when any origin is allowed and
/// credentials are not, else the origin itself when it is allowed.
fn allowed_origin(cors: &UrlCors, origin: &str) -> Option<String> {
    if !cors.allows_origin(origin) {
        return None;
    }
    let any = cors.allow_origins.iter().flatten().any(|o| o == "*");
    if any && cors.allow_credentials != Some(true) {
        Some("*".to_owned())
    } else {
        Some(origin.to_owned())
    }
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

fn joined(list: &Option<Vec<String>>) -> Option<String> {
    list.as_ref().filter(|l| !l.is_empty()).map(|l| l.join(","))
}

/// The answer to a preflight request, from the URL's `Cors` alone (the function does not
/// run): 200 with the allowed methods, headers and max age, and the origin when it is allowed.
pub(crate) fn preflight(cors: &UrlCors, parts: &Parts) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    let headers = response.headers_mut();
    if let Some(origin) = origin_of(parts).and_then(|o| allowed_origin(cors, o)) {
        set(headers, "access-control-allow-origin", &origin);
        if origin != "*" {
            headers.insert(VARY, HeaderValue::from_static("Origin"));
        }
        if let Some(methods) = joined(&cors.allow_methods) {
            set(headers, "access-control-allow-methods", &methods);
        }
        if let Some(allowed) = joined(&cors.allow_headers) {
            set(headers, "access-control-allow-headers", &allowed);
        }
        if let Some(age) = cors.max_age {
            set(headers, "access-control-max-age", &age.to_string());
        }
        if cors.allow_credentials == Some(true) {
            set(headers, "access-control-allow-credentials", "true");
        }
    }
    response
}

/// Replace the function's `Access-Control-*` headers with the URL's, for a request from
/// `Origin` (none are added for a request without one, or from an origin not allowed).
pub(crate) fn apply_cors(cors: &UrlCors, parts: &Parts, headers: &mut HeaderMap) {
    let theirs: Vec<HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .cloned()
        .collect();
    for name in theirs {
        headers.remove(name);
    }
    let Some(origin) = origin_of(parts).and_then(|o| allowed_origin(cors, o)) else {
        return;
    };
    set(headers, "access-control-allow-origin", &origin);
    if origin != "*" {
        headers.append(VARY, HeaderValue::from_static("Origin"));
    }
    if let Some(exposed) = joined(&cors.expose_headers) {
        set(headers, "access-control-expose-headers", &exposed);
    }
    if cors.allow_credentials == Some(true) {
        set(headers, "access-control-allow-credentials", "true");
    }
}

/// The headers Lambda adds to a function URL request: `x-forwarded-for|port|proto` (replacing
/// any the client sent) and `x-amzn-trace-id`.
pub(crate) fn forwarded_headers(
    headers: &mut Vec<(String, String)>,
    remote: std::net::IpAddr,
    port: u16,
    request_id: &str,
    now_s: i64,
) {
    headers.retain(|(name, _)| {
        !name.eq_ignore_ascii_case("x-forwarded-for")
            && !name.eq_ignore_ascii_case("x-forwarded-port")
            && !name.eq_ignore_ascii_case("x-forwarded-proto")
            && !name.eq_ignore_ascii_case("x-amzn-trace-id")
    });
    let hex: String = request_id.chars().filter(char::is_ascii_hexdigit).collect();
    let unique = hex.get(..24).unwrap_or(&hex);
    headers.push((
        "x-amzn-trace-id".into(),
        format!("Root=1-{now_s:08x}-{unique}"),
    ));
    headers.push(("x-forwarded-for".into(), remote.to_string()));
    headers.push(("x-forwarded-port".into(), port.to_string()));
    headers.push(("x-forwarded-proto".into(), "http".into()));
}

impl App {
    /// Answer a request for function URL `located`: 403 for an unknown id (or a function or
    /// alias that is gone), the preflight from `Cors`, the signature check of an `AWS_IAM`
    /// URL, then the function with Lambda's function URL event, its answer mapped as an HTTP
    /// API's with the URL's CORS headers.
    pub(crate) async fn serve_url<B>(
        &self,
        located: Located,
        parts: Parts,
        body: B,
        remote: SocketAddr,
        request_id: &str,
    ) -> Result<Response<Full<Bytes>>, HttpError>
    where
        B: Body<Data = Bytes>,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let unknown = || HttpError::UnknownUrl {
            url_id: located.url_id.clone(),
        };
        let target = self.urls.get(&located.url_id).ok_or_else(unknown)?;
        let key = target.key();
        if self.dispatcher.registry().resolve(&key).is_none() {
            return Err(unknown());
        }
        if let Some(cors) = &target.cors
            && is_preflight(&parts)
        {
            return Ok(preflight(cors, &parts));
        }
        let forbidden = |reason: String| HttpError::UrlForbidden {
            url_id: located.url_id.clone(),
            reason,
        };
        let authenticator = match target.auth {
            UrlAuthType::None => None,
            UrlAuthType::AwsIam => {
                let authenticator = self.urls.authenticator().ok_or_else(|| {
                    forbidden("fnhost runs without admin credentials (set FNHOST_ACCESS_KEY_ID and FNHOST_SECRET_ACCESS_KEY)".into())
                })?;
                authenticator.check_headers(&parts).map_err(forbidden)?;
                Some(authenticator)
            }
        };
        let (body, _share) = self.read_body(&parts, body).await?;
        let iam = match authenticator {
            Some(authenticator) => Some(
                authenticator
                    .authenticate(&parts, &body)
                    .map_err(forbidden)?,
            ),
            None => None,
        };
        let mut request = request_fields(&parts, body, remote, request_id.to_owned());
        request.path = located.path;
        forwarded_headers(
            &mut request.headers,
            remote.ip(),
            self.urls.port(),
            request_id,
            request.time.timestamp(),
        );
        request.function_url = Some(self.urls.context(&target, iam));
        let event = event_json(&request, PayloadVersion::V2)?;
        let mut invoke = InvokeRequest::from_json(event, Trigger::Http);
        if let Some(alias) = &target.qualifier {
            invoke.invoked_function_arn = Some(format!(
                "arn:aws:lambda:{REGION}:{ACCOUNT}:function:{}:{alias}",
                target.function
            ));
        }
        let invocation = self
            .dispatcher
            .invoke(&key, invoke)
            .await
            .map_err(|err| match err {
                DispatchError::UnknownFunction { .. } => unknown(),
                other => HttpError::from(other),
            })?;
        let mut response = match &invocation.outcome {
            Outcome::Ok(payload) => {
                map_response(payload, PayloadVersion::V2).map_err(|malformed| {
                    HttpError::UrlFunctionFailed(format!(
                        "function `{key}` request {}: {malformed}",
                        invocation.request_id
                    ))
                })?
            }
            Outcome::Timeout { .. } => return Err(HttpError::GatewayTimeout),
            outcome => {
                return Err(HttpError::UrlFunctionFailed(format!(
                    "function `{key}` request {} failed: {}",
                    invocation.request_id,
                    outcome.error_type().unwrap_or("error")
                )));
            }
        };
        if let Some(cors) = &target.cors {
            apply_cors(cors, &parts, response.headers_mut());
        }
        Ok(response)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    const ID: &str = "abcdefghijklmnopqrstuvwxyz012345";

    #[test]
    fn requests_are_located_by_host_or_path() {
        let urls = FunctionUrls::new("LocalHost").unwrap();
        let host = format!("{ID}.lambda-url.localhost:8080");
        let got = urls.locate(&parts("GET", "/a/b?x=1", &[("host", &host)]));
        assert_eq!(
            got,
            Some(Located {
                url_id: ID.into(),
                path: "/a/b".into()
            })
        );
        // Any id in the host form is the URL's to answer (an unknown one gets 403).
        let got = urls.locate(&parts("GET", "/", &[("host", "nope.lambda-url.localhost")]));
        assert_eq!(got.unwrap().url_id, "nope");
        let path = format!("/lambda-url/{ID}/x/y");
        let got = urls.locate(&parts("GET", &path, &[("host", "127.0.0.1:8080")]));
        assert_eq!(got.unwrap().path, "/x/y");
        let root = format!("/lambda-url/{ID}");
        let got = urls.locate(&parts("GET", &root, &[("host", "127.0.0.1:8080")]));
        assert_eq!(got.unwrap().path, "/");
        // Other hosts and paths stay the routes'.
        for (uri, host) in [
            ("/lambda-url/short/x", "127.0.0.1"),
            ("/users/1", "127.0.0.1"),
            ("/", "x.lambda-url.example.com"),
            ("/", "lambda-url.localhost"),
        ] {
            assert_eq!(
                urls.locate(&parts("GET", uri, &[("host", host)])),
                None,
                "{host}{uri}"
            );
        }
    }

    #[test]
    fn the_table_serves_uploads_and_the_manifest_and_changes_live() {
        let urls = FunctionUrls::new("fn.example.com").unwrap();
        urls.set_port(8080);
        assert_eq!(
            urls.url_of(ID),
            format!("http://{ID}.lambda-url.fn.example.com:8080/")
        );
        let target = |id: &str, function: &str| UrlTarget {
            url_id: id.into(),
            function: function.into(),
            qualifier: None,
            auth: UrlAuthType::None,
            cors: None,
        };
        urls.insert(target("a", "up"));
        urls.insert(target("b", "up"));
        urls.set_manifest([target("m", "declared")]);
        assert_eq!(urls.get("a").unwrap().function, "up");
        assert_eq!(urls.get("m").unwrap().function, "declared");
        assert_eq!(urls.manifest_url("declared").unwrap().url_id, "m");
        urls.remove("a");
        assert!(urls.get("a").is_none());
        urls.remove_function("up");
        assert!(urls.get("b").is_none());
        urls.set_manifest([]);
        assert!(urls.get("m").is_none());
        for bad in ["", "http://x", "a b", "x:80", "-a.com"] {
            assert!(FunctionUrls::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn cors_answers_preflights_and_replaces_the_functions_headers() {
        let cors = UrlCors {
            allow_origins: Some(vec!["https://app.example".into()]),
            allow_methods: Some(vec!["GET".into(), "POST".into()]),
            allow_headers: Some(vec!["x-custom".into()]),
            expose_headers: Some(vec!["x-total".into()]),
            max_age: Some(600),
            allow_credentials: Some(true),
        };
        let request = parts(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://app.example"),
                ("access-control-request-method", "POST"),
            ],
        );
        assert!(is_preflight(&request));
        let answer = preflight(&cors, &request);
        let h = answer.headers();
        assert_eq!(h["access-control-allow-origin"], "https://app.example");
        assert_eq!(h["access-control-allow-methods"], "GET,POST");
        assert_eq!(h["access-control-allow-headers"], "x-custom");
        assert_eq!(h["access-control-max-age"], "600");
        assert_eq!(h["access-control-allow-credentials"], "true");
        let foreign = parts(
            "OPTIONS",
            "/",
            &[
                ("origin", "https://evil.example"),
                ("access-control-request-method", "POST"),
            ],
        );
        assert!(preflight(&cors, &foreign).headers().is_empty());
        assert!(!is_preflight(&parts("OPTIONS", "/", &[])));

        let mut headers = HeaderMap::new();
        headers.insert("access-control-allow-origin", HeaderValue::from_static("*"));
        headers.insert(
            "access-control-allow-methods",
            HeaderValue::from_static("DELETE"),
        );
        let get = parts("GET", "/", &[("origin", "https://app.example")]);
        apply_cors(&cors, &get, &mut headers);
        assert_eq!(
            headers["access-control-allow-origin"],
            "https://app.example"
        );
        assert_eq!(headers["access-control-expose-headers"], "x-total");
        assert!(headers.get("access-control-allow-methods").is_none());
        let any = UrlCors {
            allow_origins: Some(vec!["*".into()]),
            ..UrlCors::default()
        };
        let mut headers = HeaderMap::new();
        apply_cors(&any, &get, &mut headers);
        assert_eq!(headers["access-control-allow-origin"], "*");
    }

    #[test]
    fn forwarded_headers_replace_the_clients() {
        let mut headers = vec![
            ("X-Forwarded-For".to_owned(), "6.6.6.6".to_owned()),
            ("accept".to_owned(), "*/*".to_owned()),
        ];
        forwarded_headers(
            &mut headers,
            "127.0.0.1".parse().unwrap(),
            8080,
            "3f1c5d2e-8b0a-4c1e-9a55-0b2f6c7d8e90",
            0x6000_0000,
        );
        let get = |n: &str| {
            headers
                .iter()
                .filter(|(k, _)| k.eq_ignore_ascii_case(n))
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("x-forwarded-for"), ["127.0.0.1"]);
        assert_eq!(get("x-forwarded-port"), ["8080"]);
        assert_eq!(get("x-forwarded-proto"), ["http"]);
        assert_eq!(
            get("x-amzn-trace-id"),
            ["Root=1-60000000-3f1c5d2e8b0a4c1e9a550b2f"]
        );
        assert_eq!(get("accept"), ["*/*"]);
    }
}
