//! A small Lambda REST API client: JSON requests to one fnhost's admin listener, SigV4-signed
//! with [`fnhost_api::sigv4::Signer`] when credentials are set, errors read from AWS's wire
//! format (`x-amzn-ErrorType` and the body's `message`).

use std::fmt;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use fnhost_api::sigv4::Signer;
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// An error the API answered with.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// The HTTP status.
    pub status: u16,
    /// The error code (`ResourceNotFoundException`, ...).
    pub code: String,
    /// The message.
    pub message: String,
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for ApiFailure {}

/// Whether `err` is the API's answer with error code `code`.
pub fn is_code(err: &anyhow::Error, code: &str) -> bool {
    err.downcast_ref::<ApiFailure>()
        .is_some_and(|f| f.code == code)
}

/// A client of one fnhost's Lambda API.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    /// `scheme://host:port`, without a trailing `/`.
    base: String,
    signer: Option<Signer>,
}

/// The longest a single request may take (a 50 MB upload on a slow link included).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

impl Client {
    /// A client of the API at `endpoint` (`http://host:port`), signing with `signer` if any.
    pub fn new(endpoint: &str, signer: Option<Signer>) -> Result<Self> {
        let url = reqwest::Url::parse(endpoint).with_context(|| {
            format!("--endpoint `{endpoint}` is not a URL; write http://HOST:PORT")
        })?;
        match url.scheme() {
            "http" => {}
            "https" => bail!(
                "--endpoint `{endpoint}`: fnhost deploy speaks plain HTTP only; reach a TLS admin listener through a local tunnel or proxy (e.g. ssh -L 9000:127.0.0.1:9000 HOST)"
            ),
            other => bail!(
                "--endpoint `{endpoint}`: unsupported scheme `{other}`; write http://HOST:PORT"
            ),
        }
        if url.host_str().is_none() || url.path() != "/" || url.query().is_some() {
            bail!("--endpoint `{endpoint}` must be only a scheme, host and port: http://HOST:PORT");
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("fnhost/", env!("CARGO_PKG_VERSION"), " deploy"))
            .build()
            .context("cannot set up the HTTP client")?;
        Ok(Self { http, base, signer })
    }

    /// The endpoint, as given.
    pub fn endpoint(&self) -> &str {
        &self.base
    }

    /// Send one request: `path` (already encoded), the query pairs (encoded here) and an
    /// optional JSON body. Answers the JSON body (`Null` when empty), or an [`ApiFailure`].
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let mut url = format!("{}{path}", self.base);
        if !query.is_empty() {
            let pairs: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            url.push('?');
            url.push_str(&pairs.join("&"));
        }
        let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let mut builder = http::Request::builder().method(method.clone()).uri(&url);
        if body.is_some() {
            builder = builder.header(http::header::CONTENT_TYPE, "application/json");
        }
        let (mut parts, ()) = builder
            .body(())
            .with_context(|| format!("cannot make a request to `{url}`"))?
            .into_parts();
        if let Some(signer) = &self.signer {
            let hash = hex::encode(Sha256::digest(&bytes));
            signer
                .sign(&mut parts, &hash, chrono::Utc::now())
                .with_context(|| format!("cannot sign the request to `{url}`"))?;
        }
        let response = self
            .http
            .request(method.clone(), &url)
            .headers(parts.headers)
            .body(bytes)
            .send()
            .await
            .with_context(|| format!("cannot reach fnhost at {} ({method} {path})", self.base))?;
        let status = response.status();
        let code = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(':').next().unwrap_or(v).to_owned());
        let text = response
            .text()
            .await
            .with_context(|| format!("reading the answer to {method} {path}"))?;
        if status.is_success() {
            if text.trim().is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_str(&text)
                .with_context(|| format!("the answer to {method} {path} is not JSON: {text}"));
        }
        let parsed: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = parsed
            .get("message")
            .or_else(|| parsed.get("Message"))
            .and_then(Value::as_str)
            .map_or_else(|| text.trim().to_owned(), str::to_owned);
        Err(ApiFailure {
            status: status.as_u16(),
            code: code.unwrap_or_else(|| format!("HTTP {}", status.as_u16())),
            message,
        }
        .into())
    }
}

/// Percent-encode everything but SigV4's unreserved characters (what botocore sends).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
