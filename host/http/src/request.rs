//! From a hyper request to an API Gateway proxy event.

use std::net::SocketAddr;

use bytes::Bytes;
use fnhost_events::{HttpRequest, http_event};
use http::request::Parts;

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
    request.body = body.to_vec();
    request.route = Some(route.template.clone());
    request.route_method = Some(route.route_method.clone());
    request.path_parameters = route.params.clone();
    request.source_ip = remote.ip().to_string();
    request.protocol = format!("{:?}", parts.version);
    request.request_id = request_id;
    request
}

/// The event JSON for `request`, as the function receives it.
pub fn event_json(request: &HttpRequest, route: &RouteMatch) -> Bytes {
    let event = http_event(request, route.payload);
    // Serialising a `Value` cannot fail.
    Bytes::from(serde_json::to_vec(&event).unwrap_or_default())
}
