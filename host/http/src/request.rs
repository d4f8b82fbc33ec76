//! From a hyper request to an API Gateway proxy event.

use std::net::SocketAddr;

use bytes::Bytes;
use fnhost_events::{HttpRequest, PayloadVersion, proxy_event};
use fnhost_runtime::JsonEvent;
use http::request::Parts;

use crate::error::HttpError;
use crate::router::RouteMatch;

/// Largest request body accepted: Lambda's 6 MB synchronous payload limit.
pub const MAX_BODY_BYTES: usize = fnhost_runtime::MAX_EVENT_BYTES;

/// The event fields of a request that matched `route`.
pub fn event_request(
    parts: &Parts,
    body: Bytes,
    route: &RouteMatch,
    remote: SocketAddr,
    request_id: String,
) -> HttpRequest {
    let mut request = request_fields(parts, body, remote, request_id);
    request.route = Some(route.template.clone());
    request.route_method = Some(route.route_method.clone());
    request.path_parameters = route.params.clone();
    request
}

/// The event fields every request has (a function URL's too): method, path, query, headers,
/// body, source address, protocol and request id; no route.
pub fn request_fields(
    parts: &Parts,
    body: Bytes,
    remote: SocketAddr,
    request_id: String,
) -> HttpRequest {
    let mut request = HttpRequest::new(parts.method.as_str(), parts.uri.path());
    request.query = parts.uri.query().unwrap_or_default().to_owned();
    request.headers = parts
        .headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    // HTTP/2 has no Host header; API Gateway still reports the host.
    if parts.headers.get(http::header::HOST).is_none()
        && let Some(authority) = parts.uri.authority()
    {
        request
            .headers
            .push(("host".into(), authority.as_str().to_owned()));
    }
    // The body's only owner hands over its buffer (no copy for a body read in pieces).
    request.body = Vec::from(body);
    request.source_ip = remote.ip().to_string();
    request.protocol = format!("{:?}", parts.version);
    request.request_id = request_id;
    request
}

/// The bytes the body takes in the event (JSON-escaped text, or base64), or `None` past
/// [`fnhost_runtime::MAX_EVENT_BYTES`]: one pass over the bytes, before anything is built.
pub fn event_body_len(body: &[u8]) -> Option<usize> {
    let limit = fnhost_runtime::MAX_EVENT_BYTES;
    if std::str::from_utf8(body).is_err() {
        return Some(body.len().div_ceil(3) * 4).filter(|&n| n <= limit);
    }
    // serde_json's escapes: `\"`, `\\` and the short control escapes take two bytes, the
    // other control characters six (`\u00XX`); everything else (UTF-8 included) is as is.
    let mut escaped = body.len();
    for &byte in body {
        escaped += match byte {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' | 0x08 | 0x0c => 1,
            0..0x20 => 5,
            _ => 0,
        };
    }
    Some(escaped).filter(|&n| n <= limit)
}

/// The event JSON for `request` in `version`, as the function receives it.
pub fn event_json(request: &HttpRequest, version: PayloadVersion) -> Result<JsonEvent, HttpError> {
    JsonEvent::from_serialize(&proxy_event(request, version))
        .map_err(|e| HttpError::Internal(format!("cannot write the event: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What serde_json makes of the body in the event, as `event_body_len` counts it.
    fn in_event(body: &[u8]) -> usize {
        match std::str::from_utf8(body) {
            Ok(text) => serde_json::to_string(text).unwrap().len() - 2,
            Err(_) => body.len().div_ceil(3) * 4,
        }
    }

    #[test]
    fn the_event_length_of_a_body_is_what_serde_json_makes_of_it() {
        let mut every_byte: Vec<u8> = (0..=0x7f).collect();
        every_byte.extend_from_slice("a \"quoted\" \\ 철수 😀".as_bytes());
        for body in [
            &b""[..],
            b"plain",
            &every_byte,
            b"\x01\x02\n\t\r\x08\x0c\x1f\x7f",
            b"\xff\x00\x10 not utf-8",
        ] {
            assert_eq!(event_body_len(body), Some(in_event(body)), "{body:?}");
        }
    }

    #[test]
    fn bodies_that_cannot_fit_an_event_are_found_before_it_is_built() {
        let limit = fnhost_runtime::MAX_EVENT_BYTES;
        // Six bytes each once escaped.
        assert_eq!(event_body_len(&vec![1u8; limit / 6]), Some(limit));
        assert_eq!(event_body_len(&vec![1u8; limit / 6 + 1]), None);
        assert_eq!(event_body_len(&vec![b'"'; limit / 2 + 1]), None);
        // Binary bodies are base64: four bytes for three.
        let mut binary = vec![0xffu8; limit / 4 * 3];
        assert_eq!(event_body_len(&binary), Some(limit));
        binary.push(0xff);
        assert_eq!(event_body_len(&binary), None);
    }
}
