//! Who may reach the admin listener from a browser: nobody. A web page the operator visits can
//! send requests to `127.0.0.1:9000` (cross-site requests) or, after pointing its own name at
//! 127.0.0.1, as its own origin (DNS rebinding). Three checks on the headers alone, before
//! authentication and before the body is read, close both ways:
//!
//! - `Host` must be a name the listener answers to: an IP literal (a browser puts one there
//!   only when it connected to that very address; for a specific bind, only loopback and the
//!   bound address), `localhost`, or a name configured with `--admin-host`. A rebinding page's
//!   `Host` is its own name, so it is refused.
//! - An `Origin` header, which browsers send on every cross-origin and on every non-GET
//!   request, must be the admin's own origin (`http(s)://` + the request's `Host`). AWS SDKs
//!   outside a browser send none.
//! - Calls that carry a body take the content types AWS clients send (JSON, or for Invoke also
//!   none or octet-stream), never the `text/plain`, form or multipart types of a "simple"
//!   cross-site request.

use std::net::{IpAddr, SocketAddr};

use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;
use http::uri::Authority;

use crate::api::Op;
use crate::error::ApiError;

/// The names and addresses the admin listener answers to.
#[derive(Debug, Clone, Default)]
pub struct Reach {
    /// Names from `--admin-host`, lowercase.
    names: Vec<String>,
    /// The bound address (`None`: only loopback addresses are taken as IP literals).
    bound: Option<SocketAddr>,
}

impl Reach {
    /// The listener bound to `bound` also answers to `names` (host names, without port).
    pub fn new(bound: Option<SocketAddr>, names: &[String]) -> Self {
        Self {
            names: names
                .iter()
                .map(|n| n.trim().trim_end_matches('.').to_ascii_lowercase())
                .filter(|n| !n.is_empty())
                .collect(),
            bound,
        }
    }

    /// Whether `host` (a `Host` header value: `name[:port]` or `[v6][:port]`) is one of ours.
    pub fn answers_to(&self, host: &str) -> bool {
        let Ok(authority) = host.parse::<Authority>() else {
            return false;
        };
        let name = authority.host().to_ascii_lowercase();
        let literal = name.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = literal.parse::<IpAddr>() {
            return ip.is_loopback()
                || self
                    .bound
                    .is_some_and(|b| b.ip().is_unspecified() || b.ip() == ip);
        }
        name == "localhost" || self.names.contains(&name)
    }

    /// Refuse a request from a browser: a foreign `Host`, a foreign `Origin`, or a body type
    /// no AWS client sends for `op`.
    pub(crate) fn check(&self, parts: &Parts, op: Option<&Op>) -> Result<(), ApiError> {
        let host = parts
            .headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| parts.uri.authority().map(|a| a.to_string()));
        let Some(host) = host.filter(|h| self.answers_to(h)) else {
            return Err(ApiError::AccessDenied(
                "the admin API does not answer to this Host; add the name with --admin-host (FNHOST_ADMIN_HOSTS) if it is yours".into(),
            ));
        };
        if let Some(origin) = parts.headers.get(ORIGIN) {
            let own = origin.to_str().ok().is_some_and(|o| {
                let authority = o
                    .strip_prefix("http://")
                    .or_else(|| o.strip_prefix("https://"));
                authority.is_some_and(|a| a.eq_ignore_ascii_case(&host))
            });
            if !own {
                return Err(ApiError::AccessDenied(
                    "the admin API takes no requests from web pages of other origins".into(),
                ));
            }
        }
        if let Some(op) = op {
            check_content_type(parts, op)?;
        }
        Ok(())
    }
}

/// The content types AWS clients send for `op`'s body: boto3 and the aws CLI send
/// `application/json` for the JSON operations and none for Invoke (other SDKs send
/// `application/octet-stream` or `application/x-amz-json-*` there).
fn check_content_type(parts: &Parts, op: &Op) -> Result<(), ApiError> {
    let declared = parts.headers.get(CONTENT_TYPE).map(|v| {
        let text = String::from_utf8_lossy(v.as_bytes());
        let media = text.split(';').next().unwrap_or("").trim();
        media.to_ascii_lowercase()
    });
    let json = |m: &str| m == "application/json" || m.starts_with("application/x-amz-json-");
    let taken = match op {
        Op::Invoke(_) => declared.as_deref().is_none_or(|m| {
            json(m) || m == "application/octet-stream" || m == "binary/octet-stream"
        }),
        Op::CreateFunction
        | Op::UpdateCode(_)
        | Op::UpdateConfiguration(_)
        | Op::PublishVersion(_)
        | Op::Layers(crate::layers::LayerOp::Publish(_))
        | Op::Urls(crate::urls::UrlOp::Create(_) | crate::urls::UrlOp::Update(_))
        | Op::Aliases(crate::aliases::AliasOp::Create(_) | crate::aliases::AliasOp::Update(..))
        | Op::Concurrency(crate::concurrency::ConcurrencyOp::Put(_)) => {
            declared.as_deref().is_some_and(json)
        }
        _ => true,
    };
    if taken {
        return Ok(());
    }
    Err(ApiError::UnsupportedMediaType(format!(
        "the content type `{}` is not taken here; send application/json{}",
        declared.as_deref().unwrap_or("(none)"),
        if matches!(op, Op::Invoke(_)) {
            " or application/octet-stream"
        } else {
            ""
        }
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri("/");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn loopback_names_the_bound_address_and_configured_names_are_ours() {
        let bound = Some(SocketAddr::from(([127, 0, 0, 1], 9000)));
        let reach = Reach::new(bound, &["Fnhost.Internal".into()]);
        for host in [
            "127.0.0.1:9000",
            "127.0.0.1",
            "localhost:9000",
            "LOCALHOST",
            "[::1]:9000",
            "127.1.2.3:9000",
            "fnhost.internal:9000",
            "fnhost.internal",
        ] {
            assert!(reach.answers_to(host), "{host}");
        }
        for host in [
            "evil.example:9000",
            "localhost.evil.example",
            "10.0.0.5:9000",
            "",
            "a b",
            "fnhost.internal.evil.example",
        ] {
            assert!(!reach.answers_to(host), "{host}");
        }
        let any = Reach::new(Some(SocketAddr::from(([0, 0, 0, 0], 9000))), &[]);
        assert!(any.answers_to("10.0.0.5:9000"));
        assert!(!any.answers_to("evil.example:9000"));
    }

    #[test]
    fn browsers_are_refused_by_host_origin_or_content_type() {
        let reach = Reach::new(Some(SocketAddr::from(([127, 0, 0, 1], 9000))), &[]);
        let invoke = Op::Invoke("f".into());
        let probe = parts(
            "POST",
            &[
                ("host", "evil.example:9000"),
                ("origin", "http://evil.example"),
                ("content-type", "text/plain"),
            ],
        );
        let err = reach.check(&probe, Some(&invoke)).unwrap_err();
        assert_eq!(err.code(), "AccessDeniedException");
        assert_eq!(err.status(), 403);

        let cross_site = parts(
            "POST",
            &[
                ("host", "127.0.0.1:9000"),
                ("origin", "http://evil.example"),
            ],
        );
        let err = reach.check(&cross_site, Some(&invoke)).unwrap_err();
        assert_eq!(err.code(), "AccessDeniedException");
        let null_origin = parts("POST", &[("host", "127.0.0.1:9000"), ("origin", "null")]);
        assert!(reach.check(&null_origin, Some(&invoke)).is_err());
        let own = parts(
            "POST",
            &[
                ("host", "127.0.0.1:9000"),
                ("origin", "http://127.0.0.1:9000"),
            ],
        );
        reach.check(&own, Some(&invoke)).unwrap();

        let text = parts(
            "POST",
            &[("host", "127.0.0.1:9000"), ("content-type", "text/plain")],
        );
        let err = reach.check(&text, Some(&invoke)).unwrap_err();
        assert_eq!(err.code(), "UnsupportedMediaTypeException");
        assert_eq!(err.status(), 415);
        let form = parts(
            "POST",
            &[
                ("host", "127.0.0.1:9000"),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
        );
        assert!(reach.check(&form, Some(&Op::CreateFunction)).is_err());
        let none = parts("POST", &[("host", "127.0.0.1:9000")]);
        reach.check(&none, Some(&invoke)).unwrap();
        assert!(reach.check(&none, Some(&Op::CreateFunction)).is_err());
        let json = parts(
            "POST",
            &[
                ("host", "127.0.0.1:9000"),
                ("content-type", "application/json; charset=utf-8"),
            ],
        );
        reach.check(&json, Some(&Op::CreateFunction)).unwrap();
        reach.check(&json, Some(&invoke)).unwrap();
        reach.check(&none, Some(&Op::ListFunctions)).unwrap();
    }
}
