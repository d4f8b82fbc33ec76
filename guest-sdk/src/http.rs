//! Outbound HTTP from a function: a small blocking client over wasi:http.
//!
//! Every request goes through the host, which sends it only to the origins in the function's
//! `allowed_outbound_hosts` (in `fnhost.toml`, or the `fnhost:allowed-outbound-hosts` tag of an
//! uploaded function) and never to the networks the operator blocks. A function without an
//! allow-list can reach nothing: the call fails with an [`Error`] whose text is the host's,
//! naming the function and the entry to add. `http` and `https` URLs work; HTTPS is verified
//! against the host's root store.
//!
//! Redirects are followed, up to 10 by default ([`Request::redirects`]): a 301, 302 or 303
//! becomes a GET without the body, a 307 or 308 repeats the method and body, and credentials
//! (`Authorization`, `Cookie`) are not sent to another origin. Each hop is a new request that the
//! host checks against the allow-list again, so a redirect to a host not on the list fails.
//! Bodies are read whole into memory; the host caps their size.
//!
//! ```no_run
//! use fnhost_sdk::http::{self, Request};
//! use serde_json::json;
//! use std::time::Duration;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // fnhost.toml: allowed_outbound_hosts = ["https://api.example.com"]
//! let status = http::get("https://api.example.com/status")?;
//! println!("{} {}", status.status, status.text());
//!
//! let created = Request::post("https://api.example.com/orders")
//!     .header("Authorization", "Bearer 123")
//!     .json(&json!({"sku": "A-1", "quantity": 2}))
//!     .timeout(Duration::from_secs(5))
//!     .send()?;
//! let order: serde_json::Value = created.json()?;
//! println!("created {}", order["id"]);
//! # Ok(())
//! # }
//! ```

mod error;
mod transport;
mod url;

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::{Error, ErrorCode};
use url::Url;

/// How many redirects a request follows unless told otherwise ([`Request::redirects`]).
pub const DEFAULT_REDIRECTS: u32 = 10;

/// `GET url`, following redirects.
pub fn get(url: &str) -> Result<Response, Error> {
    Request::get(url).send()
}

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// `GET`
    Get,
    /// `HEAD`
    Head,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
    /// `OPTIONS`
    Options,
    /// `CONNECT`
    Connect,
    /// `TRACE`
    Trace,
    /// Any other token, sent as written.
    Other(String),
}

impl Method {
    /// The method as sent on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Patch => "PATCH",
            Method::Options => "OPTIONS",
            Method::Connect => "CONNECT",
            Method::Trace => "TRACE",
            Method::Other(other) => other,
        }
    }
}

/// The standard methods in any case (`"post"` is [`Method::Post`]); anything else is
/// [`Method::Other`] as written.
impl From<&str> for Method {
    fn from(method: &str) -> Self {
        [
            Method::Get,
            Method::Head,
            Method::Post,
            Method::Put,
            Method::Delete,
            Method::Patch,
            Method::Options,
            Method::Connect,
            Method::Trace,
        ]
        .into_iter()
        .find(|m| m.as_str().eq_ignore_ascii_case(method))
        .unwrap_or_else(|| Method::Other(method.to_owned()))
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request being built; [`Request::send`] sends it.
///
/// Nothing is checked until `send`: a bad URL, header or JSON body is the error it returns.
#[derive(Debug)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    json: Option<Result<Vec<u8>, serde_json::Error>>,
    timeout: Option<Duration>,
    redirects: u32,
}

impl Request {
    /// A `method` request to `url` (absolute, `http` or `https`), with no headers or body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Request {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            json: None,
            timeout: None,
            redirects: DEFAULT_REDIRECTS,
        }
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Request::new(Method::Get, url)
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Request::new(Method::Post, url)
    }

    /// A `PUT` request.
    pub fn put(url: impl Into<String>) -> Self {
        Request::new(Method::Put, url)
    }

    /// A `DELETE` request.
    pub fn delete(url: impl Into<String>) -> Self {
        Request::new(Method::Delete, url)
    }

    /// Add a header (a name may appear more than once). The host sets `host`, `connection`
    /// and `transfer-encoding` itself and refuses them here.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Send `body`, with a `content-length`.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self.json = None;
        self
    }

    /// Send `value` as JSON, with `content-type: application/json` unless a content type is set.
    pub fn json<T: Serialize + ?Sized>(mut self, value: &T) -> Self {
        self.json = Some(serde_json::to_vec(value));
        self.body = None;
        self
    }

    /// Give up when connecting, waiting for the first byte of the response or waiting between
    /// two bytes of it takes longer than `timeout` (the host's own limits and the invocation's
    /// remaining time still apply).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Follow at most `max` redirects ([`DEFAULT_REDIRECTS`] unless set); one more is
    /// [`Error::TooManyRedirects`]. With 0 a redirect is returned as the response.
    pub fn redirects(mut self, max: u32) -> Self {
        self.redirects = max;
        self
    }

    /// Send the request, follow redirects, and read the whole response.
    pub fn send(self) -> Result<Response, Error> {
        let (url, incoming) = self.follow(transport::exchange)?;
        Ok(Response {
            status: incoming.status,
            headers: incoming.headers,
            body: transport::read_body(incoming.body)?,
            url: url.to_string(),
        })
    }

    /// The redirect loop, over `exchange` (one request and the head of its response).
    fn follow<B>(
        self,
        mut exchange: impl FnMut(Outgoing<'_>) -> Result<Incoming<B>, Error>,
    ) -> Result<(Url, Incoming<B>), Error> {
        let mut url = Url::parse(&self.url).map_err(|reason| Error::InvalidUrl {
            url: self.url.clone(),
            reason,
        })?;
        let mut method = self.method;
        let mut headers = self.headers;
        let mut body = match self.json {
            Some(json) => {
                if header(&headers, "content-type").is_none() {
                    headers.push(("content-type".into(), "application/json".into()));
                }
                Some(json.map_err(Error::Json)?)
            }
            None => self.body,
        };
        if let Some(body) = &body
            && header(&headers, "content-length").is_none()
        {
            headers.push(("content-length".into(), body.len().to_string()));
        }
        let mut followed = 0;
        loop {
            let response = exchange(Outgoing {
                method: &method,
                url: &url,
                headers: &headers,
                body: body.as_deref(),
                timeout: self.timeout,
            })?;
            let (Some(next_method), Some(location)) = (
                redirect_method(response.status, &method),
                header(&response.headers, "location"),
            ) else {
                return Ok((url, response));
            };
            if self.redirects == 0 {
                return Ok((url, response));
            }
            let next = url.join(location).map_err(|reason| Error::InvalidUrl {
                url: location.to_owned(),
                reason: format!("bad redirect from {url}: {reason}"),
            })?;
            if followed == self.redirects {
                return Err(Error::TooManyRedirects {
                    limit: self.redirects,
                    url: next.to_string(),
                });
            }
            followed += 1;
            let keep_body = next_method == method && matches!(response.status, 307 | 308);
            if !keep_body {
                body = None;
                headers.retain(|(name, _)| !is_body_header(name));
            }
            if !url.same_origin(&next) {
                headers.retain(|(name, _)| !is_credential_header(name));
            }
            method = next_method;
            url = next;
        }
    }
}

/// A response, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers in the order received, names in lower case (values decoded as UTF-8, any
    /// invalid byte replaced).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
    /// The URL that answered, after any redirects.
    pub url: String,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (UTF-8, any invalid byte replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body decoded from JSON.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}

/// One request as the transport sends it.
struct Outgoing<'a> {
    method: &'a Method,
    url: &'a Url,
    headers: &'a [(String, String)],
    body: Option<&'a [u8]>,
    timeout: Option<Duration>,
}

/// The head of a response and what reads its body.
struct Incoming<B> {
    status: u16,
    headers: Vec<(String, String)>,
    body: B,
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// The method a redirect with `status` repeats `method` as, or `None` if it is not a redirect
/// to follow: 301, 302 and 303 become GET (HEAD stays HEAD), 307 and 308 keep the method.
fn redirect_method(status: u16, method: &Method) -> Option<Method> {
    match status {
        301..=303 if *method == Method::Head => Some(Method::Head),
        301..=303 => Some(Method::Get),
        307 | 308 => Some(method.clone()),
        _ => None,
    }
}

/// Headers that describe the body, dropped with it (Fetch's request-body-header names).
fn is_body_header(name: &str) -> bool {
    [
        "content-type",
        "content-length",
        "content-encoding",
        "content-language",
        "content-location",
    ]
    .iter()
    .any(|h| h.eq_ignore_ascii_case(name))
}

/// Credentials that stay with their origin.
fn is_credential_header(name: &str) -> bool {
    ["authorization", "cookie", "proxy-authorization"]
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the transport was asked to send.
    #[derive(Debug, PartialEq)]
    struct Sent {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        body: Option<String>,
    }

    /// Runs the redirect loop over `answers` (status, location), recording each request.
    fn run(request: Request, answers: &[(u16, &str)]) -> (Vec<Sent>, Result<(String, u16), Error>) {
        let mut sent = Vec::new();
        let mut answers = answers.iter();
        let result = request.follow(|out| {
            sent.push(Sent {
                method: out.method.to_string(),
                url: out.url.to_string(),
                headers: out.headers.to_vec(),
                body: out.body.map(|b| String::from_utf8(b.to_vec()).unwrap()),
            });
            let &(status, location) = answers.next().expect("no more answers");
            let headers = match location {
                "" => Vec::new(),
                location => vec![("location".to_owned(), location.to_owned())],
            };
            Ok(Incoming {
                status,
                headers,
                body: (),
            })
        });
        (sent, result.map(|(url, r)| (url.to_string(), r.status)))
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn methods_parse_in_any_case() {
        assert_eq!(Method::from("post"), Method::Post);
        assert_eq!(Method::from("GET"), Method::Get);
        assert_eq!(Method::from("PURGE"), Method::Other("PURGE".into()));
        assert_eq!(Method::Other("PURGE".into()).to_string(), "PURGE");
    }

    #[test]
    fn bodies_get_a_length_and_json_a_content_type() {
        let (sent, result) = run(
            Request::put("http://h/x").json(&serde_json::json!({"a": 1})),
            &[(200, "")],
        );
        assert_eq!(result.unwrap(), ("http://h/x".into(), 200));
        assert_eq!(
            sent[0].headers,
            pairs(&[
                ("content-type", "application/json"),
                ("content-length", "7")
            ])
        );
        assert_eq!(sent[0].body.as_deref(), Some(r#"{"a":1}"#));

        // The caller's own content type and length win (the tutorial's `Content-Type: ""`).
        let (sent, _) = run(
            Request::put("http://h/x")
                .header("Content-Type", "")
                .header("Content-Length", "2")
                .body("hi"),
            &[(200, "")],
        );
        assert_eq!(
            sent[0].headers,
            pairs(&[("Content-Type", ""), ("Content-Length", "2")])
        );
        let (sent, _) = run(Request::get("http://h/"), &[(204, "")]);
        assert_eq!(sent[0].headers, []);
        assert_eq!(sent[0].body, None);
    }

    #[test]
    fn see_other_becomes_a_get_without_body() {
        let request = Request::post("http://h/form")
            .header("content-type", "text/plain")
            .header("x-trace", "1")
            .body("data");
        let (sent, result) = run(request, &[(303, "/done?ok=1"), (200, "")]);
        assert_eq!(result.unwrap(), ("http://h/done?ok=1".into(), 200));
        assert_eq!(sent[1].method, "GET");
        assert_eq!(sent[1].body, None);
        assert_eq!(sent[1].headers, pairs(&[("x-trace", "1")]));

        let (sent, _) = run(
            Request::new(Method::Head, "http://h/"),
            &[(301, "/a"), (200, "")],
        );
        assert_eq!(sent[1].method, "HEAD");
    }

    #[test]
    fn temporary_and_permanent_redirects_keep_method_and_body() {
        let request = Request::put("http://h/a/b").body("data");
        let (sent, result) = run(request, &[(307, "c"), (308, "../d"), (201, "")]);
        assert_eq!(result.unwrap(), ("http://h/d".into(), 201));
        let hops: Vec<_> = sent
            .iter()
            .map(|s| (s.method.as_str(), s.url.as_str(), s.body.as_deref()))
            .collect();
        assert_eq!(
            hops,
            [
                ("PUT", "http://h/a/b", Some("data")),
                ("PUT", "http://h/a/c", Some("data")),
                ("PUT", "http://h/d", Some("data")),
            ]
        );
        assert_eq!(sent[2].headers, pairs(&[("content-length", "4")]));
    }

    #[test]
    fn credentials_stay_with_their_origin() {
        let request = Request::get("http://h/")
            .header("Authorization", "Bearer t")
            .header("Cookie", "s=1")
            .header("accept", "*/*");
        let (sent, _) = run(
            request,
            &[(302, "/same"), (302, "https://other.example/"), (200, "")],
        );
        assert_eq!(sent[1].headers.len(), 3);
        assert_eq!(sent[2].url, "https://other.example/");
        assert_eq!(sent[2].headers, pairs(&[("accept", "*/*")]));
    }

    #[test]
    fn redirect_limits() {
        let loop_ = [(302, "/again"); 4];
        let (sent, result) = run(Request::get("http://h/").redirects(3), &loop_);
        assert_eq!(sent.len(), 4);
        assert_eq!(
            result.unwrap_err().to_string(),
            "too many redirects: stopped after 3 at a redirect to `http://h/again`"
        );

        // 0: the redirect is the answer.
        let (sent, result) = run(Request::get("http://h/").redirects(0), &[(302, "/x")]);
        assert_eq!((sent.len(), result.unwrap().1), (1, 302));

        // A 3xx without a location, or one that is not a redirect, is the answer.
        assert_eq!(
            run(Request::get("http://h/"), &[(302, "")]).1.unwrap().1,
            302
        );
        assert_eq!(
            run(Request::get("http://h/"), &[(304, "/x")]).1.unwrap().1,
            304
        );

        let (_, result) = run(Request::get("http://h/"), &loop_[..1].repeat(11));
        assert!(matches!(
            result,
            Err(Error::TooManyRedirects { limit: 10, .. })
        ));
    }

    #[test]
    fn bad_urls_and_locations_are_errors() {
        let (sent, result) = run(Request::get("localhost:8080/x"), &[]);
        assert!(sent.is_empty());
        assert_eq!(
            result.unwrap_err().to_string(),
            "invalid URL `localhost:8080/x`: not an absolute URL; write it as http://host/path \
             or https://host/path"
        );
        let (_, result) = run(Request::get("http://h/a"), &[(302, "ftp://h/file")]);
        assert_eq!(
            result.unwrap_err().to_string(),
            "invalid URL `ftp://h/file`: bad redirect from http://h/a: unsupported scheme `ftp`; \
             use http or https"
        );
    }

    #[test]
    fn unencodable_json_is_an_error_at_send() {
        let map = std::collections::HashMap::from([(vec![1u8], 1)]);
        let (sent, result) = run(Request::post("http://h/").json(&map), &[]);
        assert!(sent.is_empty());
        assert!(matches!(result, Err(Error::Json(_))));
    }

    #[test]
    fn responses_read_headers_text_and_json() {
        let response = Response {
            status: 200,
            headers: pairs(&[("content-type", "application/json"), ("x-a", "1")]),
            body: br#"{"n":3}"#.to_vec(),
            url: "http://h/".into(),
        };
        assert_eq!(response.header("Content-Type"), Some("application/json"));
        assert_eq!(response.header("x-b"), None);
        assert!(response.is_success());
        assert_eq!(response.text(), r#"{"n":3}"#);
        assert_eq!(response.json::<serde_json::Value>().unwrap()["n"], 3);
    }
}
