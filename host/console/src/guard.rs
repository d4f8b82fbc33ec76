//! Who may reach the console: the admin listener's own `Host` names, its own origin, and for
//! changes a session's CSRF token and a body type no cross-site form can send.
//!
//! A web page the operator visits can make the browser send requests to the admin listener
//! (cross-site requests, or DNS rebinding under the page's own name). The checks, in order:
//! - `Host` must be a name the listener answers to ([`fnhost_api::reach::Reach`], the same
//!   rule as the Lambda API): a rebinding page's `Host` is its own name.
//! - `Origin`, when sent, must be the listener's own (`http(s)://` + `Host`); `Sec-Fetch-Site`,
//!   when sent, must be `same-origin` or `none` (typed in the address bar) for the JSON
//!   endpoints.
//! - Mutating requests (anything but GET and HEAD) carry the session's CSRF token in
//!   `X-Fnhost-Csrf`, which a page of another origin cannot read, and a JSON or octet-stream
//!   body (never the `text/plain`, form or multipart types of a cross-site form).
//! - The session cookie is `SameSite=Strict`, so a cross-site request carries none.

use http::Method;
use http::header::{CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;

use crate::error::ConsoleError;

/// The header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-fnhost-csrf";

/// The `Host` of a request the listener answers to, or why it is refused.
pub(crate) fn host(
    reach: &fnhost_api::reach::Reach,
    parts: &Parts,
) -> Result<String, ConsoleError> {
    parts
        .headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .filter(|h| reach.answers_to(h))
        .ok_or_else(|| {
            ConsoleError::Forbidden(
                "the console does not answer to this Host; add the name with --admin-host (FNHOST_ADMIN_HOSTS) if it is yours".into(),
            )
        })
}

/// Refuse requests made by pages of other origins.
pub(crate) fn same_origin(parts: &Parts, host: &str) -> Result<(), ConsoleError> {
    if let Some(origin) = parts.headers.get(ORIGIN) {
        let own = origin.to_str().ok().is_some_and(|o| {
            o.strip_prefix("http://")
                .or_else(|| o.strip_prefix("https://"))
                .is_some_and(|a| a.eq_ignore_ascii_case(host))
        });
        if !own {
            return Err(ConsoleError::Forbidden(
                "the console takes no requests from web pages of other origins".into(),
            ));
        }
    }
    if let Some(site) = parts.headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return Err(ConsoleError::Forbidden(
            "the console takes no requests from web pages of other sites".into(),
        ));
    }
    Ok(())
}

/// Whether the method changes something.
pub(crate) fn mutating(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD)
}

/// The CSRF token of a mutating request must be the session's.
pub(crate) fn csrf(parts: &Parts, expected: &str) -> Result<(), ConsoleError> {
    let sent = parts
        .headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if crate::session::same_token(sent, expected) {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden(
            "the CSRF token is missing or wrong; reload the console".into(),
        ))
    }
}

/// The body's media type must be one of `taken` (a request without a body passes).
pub(crate) fn content_type(parts: &Parts, taken: &[&str]) -> Result<(), ConsoleError> {
    let has_body = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .is_some_and(|v| v.as_bytes() != b"0")
        || parts.headers.contains_key(http::header::TRANSFER_ENCODING);
    let media = parts.headers.get(CONTENT_TYPE).map(|v| {
        String::from_utf8_lossy(v.as_bytes())
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    });
    match media {
        None if !has_body => Ok(()),
        Some(m) if taken.contains(&m.as_str()) => Ok(()),
        other => Err(ConsoleError::UnsupportedMediaType(format!(
            "the content type `{}` is not taken here; send {}",
            other.as_deref().unwrap_or("(none)"),
            taken.join(" or ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use http::StatusCode;

    use super::*;

    /// The status a refusal by these checks answers with.
    fn status(result: Result<(), ConsoleError>) -> Option<StatusCode> {
        result.err().map(|e| e.status())
    }

    fn parts(method: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder()
            .method(method)
            .uri("/console/api/x");
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(()).unwrap().into_parts().0
    }

    #[test]
    fn only_the_listeners_own_names_and_origin_are_taken() {
        let reach = fnhost_api::reach::Reach::new(None, &["console.example".to_owned()]);
        assert!(host(&reach, &parts("GET", &[("host", "127.0.0.1:9000")])).is_ok());
        assert!(host(&reach, &parts("GET", &[("host", "console.example")])).is_ok());
        assert!(host(&reach, &parts("GET", &[("host", "evil.example:9000")])).is_err());
        let own = "127.0.0.1:9000";
        assert_eq!(status(same_origin(&parts("POST", &[]), own)), None);
        assert_eq!(
            status(same_origin(
                &parts("POST", &[("origin", "http://127.0.0.1:9000")]),
                own
            )),
            None
        );
        for (k, v) in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("origin", "http://127.0.0.1:9001"),
            ("sec-fetch-site", "cross-site"),
            ("sec-fetch-site", "same-site"),
        ] {
            assert_eq!(
                status(same_origin(&parts("POST", &[(k, v)]), own)),
                Some(StatusCode::FORBIDDEN),
                "{k}: {v}"
            );
        }
        assert_eq!(
            status(same_origin(
                &parts("GET", &[("sec-fetch-site", "same-origin")]),
                own
            )),
            None
        );
    }

    #[test]
    fn changes_need_the_token_and_a_type_no_form_sends() {
        assert!(csrf(&parts("POST", &[(CSRF_HEADER, "t0k")]), "t0k").is_ok());
        assert!(csrf(&parts("POST", &[(CSRF_HEADER, "other")]), "t0k").is_err());
        assert!(csrf(&parts("POST", &[]), "t0k").is_err());
        let json = ["application/json"];
        assert!(
            content_type(
                &parts(
                    "POST",
                    &[
                        ("content-type", "application/json; charset=utf-8"),
                        ("content-length", "2")
                    ]
                ),
                &json
            )
            .is_ok()
        );
        assert!(content_type(&parts("DELETE", &[]), &json).is_ok());
        for form in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert_eq!(
                status(content_type(
                    &parts("POST", &[("content-type", form), ("content-length", "5")]),
                    &json
                )),
                Some(StatusCode::UNSUPPORTED_MEDIA_TYPE),
                "{form}"
            );
        }
        assert!(content_type(&parts("POST", &[("content-length", "5")]), &json).is_err());
        assert!(mutating(&Method::POST) && mutating(&Method::DELETE) && !mutating(&Method::GET));
    }
}
