//! From a function's answer to an HTTP response, as API Gateway maps proxy responses.
//!
//! Payload 2.0 (HTTP API): a JSON object with `statusCode` is a proxy response; any other
//! valid JSON is the body of a 200 `application/json` response (a JSON string becomes the body
//! as-is). Payload 1.0 (REST): only a proxy response object is accepted. Anything else is
//! malformed, which the caller turns into 502.

use base64::Engine as _;
use bytes::Bytes;
use fnhost_events::PayloadVersion;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, SET_COOKIE};
use http::{HeaderMap, Response, StatusCode};
use http_body_util::Full;
use serde_json::{Map, Value};

/// Why a function's answer is not a valid proxy response (logged, never sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed Lambda proxy response: {0}")]
pub struct Malformed(pub String);

fn malformed(why: impl Into<String>) -> Malformed {
    Malformed(why.into())
}

/// Keys a proxy response may have (SAM's list; `cookies` is 2.0 only).
const V1_KEYS: &[&str] = &[
    "statusCode",
    "headers",
    "multiValueHeaders",
    "body",
    "isBase64Encoded",
    "base64Encoded",
    "cookies",
];

/// Map `payload` (the function's JSON answer) to a response.
pub fn map_response(
    payload: &[u8],
    version: PayloadVersion,
) -> Result<Response<Full<Bytes>>, Malformed> {
    let value: Value = serde_json::from_slice(payload)
        .map_err(|e| malformed(format!("the function did not return JSON: {e}")))?;
    match (version, value) {
        (_, Value::Object(obj)) if obj.contains_key("statusCode") => proxy(obj, version),
        (PayloadVersion::V1, _) => Err(malformed(
            "payload 1.0 needs an object with `statusCode` (and optional headers, body...)",
        )),
        (PayloadVersion::V2, Value::String(text)) => Ok(inferred(Bytes::from(text))),
        (PayloadVersion::V2, _) => Ok(inferred(Bytes::copy_from_slice(payload))),
    }
}

fn inferred(body: Bytes) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(body));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn proxy(
    obj: Map<String, Value>,
    version: PayloadVersion,
) -> Result<Response<Full<Bytes>>, Malformed> {
    if version == PayloadVersion::V1
        && let Some(key) = obj.keys().find(|k| !V1_KEYS.contains(&k.as_str()))
    {
        return Err(malformed(format!("unknown key `{key}`")));
    }
    let status = obj
        .get("statusCode")
        .and_then(Value::as_u64)
        .and_then(|code| u16::try_from(code).ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        // 1xx are interim answers the server's framing owns (101 switches protocols).
        .filter(|s| (200..=599).contains(&s.as_u16()))
        .ok_or_else(|| malformed("`statusCode` must be an integer from 200 to 599"))?;
    let base64 = match obj
        .get("isBase64Encoded")
        .or_else(|| obj.get("base64Encoded"))
    {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(malformed("`isBase64Encoded` must be a boolean")),
    };
    let body = match obj.get("body") {
        None | Some(Value::Null) => Bytes::new(),
        Some(Value::String(text)) if base64 => Bytes::from(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|e| malformed(format!("`body` is not valid base64: {e}")))?,
        ),
        Some(Value::String(text)) => Bytes::from(text.clone()),
        Some(_) => return Err(malformed("`body` must be a string")),
    };

    let mut headers = HeaderMap::new();
    if let Some(single) = obj.get("headers").filter(|v| !v.is_null()) {
        let single = single
            .as_object()
            .ok_or_else(|| malformed("`headers` must be an object"))?;
        for (name, value) in single {
            headers.insert(header_name(name)?, header_value(name, value)?);
        }
    }
    if let Some(multi) = obj.get("multiValueHeaders").filter(|v| !v.is_null()) {
        let multi = multi
            .as_object()
            .ok_or_else(|| malformed("`multiValueHeaders` must be an object"))?;
        for (name, values) in multi {
            let values = values
                .as_array()
                .ok_or_else(|| malformed(format!("`multiValueHeaders.{name}` must be a list")))?;
            // Multi-value entries win over `headers` for the same name.
            let key = header_name(name)?;
            headers.remove(&key);
            for value in values {
                headers.append(key.clone(), header_value(name, value)?);
            }
        }
    }
    if let Some(cookies) = obj.get("cookies").filter(|v| !v.is_null()) {
        let cookies = cookies
            .as_array()
            .ok_or_else(|| malformed("`cookies` must be a list of strings"))?;
        for cookie in cookies {
            let cookie = cookie
                .as_str()
                .ok_or_else(|| malformed("`cookies` must be a list of strings"))?;
            let value = HeaderValue::from_str(cookie)
                .map_err(|_| malformed(format!("cookie `{cookie}` is not a valid header value")))?;
            headers.append(SET_COOKIE, value);
        }
    }
    if !headers.contains_key(CONTENT_TYPE) {
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    }

    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    Ok(response)
}

fn header_name(name: &str) -> Result<HeaderName, Malformed> {
    let parsed = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| malformed(format!("`{name}` is not a valid header name")))?;
    // The server sets these itself: the framing and the hop-by-hop headers (RFC 9110 7.6.1)
    // are the connection's, and a function's value would corrupt or hijack it.
    match parsed.as_str() {
        "content-length" | "transfer-encoding" | "connection" | "keep-alive"
        | "proxy-connection" | "upgrade" | "te" | "trailer" => {
            Err(malformed(format!("header `{name}` is set by the server")))
        }
        _ => Ok(parsed),
    }
}

fn header_value(name: &str, value: &Value) -> Result<HeaderValue, Malformed> {
    let text = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => return Err(malformed(format!("header `{name}` must be a string"))),
    };
    HeaderValue::from_str(&text)
        .map_err(|_| malformed(format!("header `{name}` has an invalid value")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use PayloadVersion::{V1, V2};
    use http_body_util::BodyExt as _;

    async fn parts(r: Response<Full<Bytes>>) -> (u16, HeaderMap, Vec<u8>) {
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        let body = r.into_body().collect().await.unwrap().to_bytes().to_vec();
        (status, headers, body)
    }

    #[tokio::test]
    async fn a_full_proxy_response_maps_every_field() {
        let payload = br#"{"statusCode":201,"headers":{"Location":"/o/9","X-N":3},
            "multiValueHeaders":{"X-Multi":["a","b"],"x-n":["4"]},"cookies":["a=1","b=2"],
            "body":"{\"id\":9}","isBase64Encoded":false}"#;
        let (status, headers, body) = parts(map_response(payload, V2).unwrap()).await;
        assert_eq!(status, 201);
        assert_eq!(headers["location"], "/o/9");
        assert_eq!(
            headers.get_all("x-multi").iter().collect::<Vec<_>>(),
            ["a", "b"]
        );
        assert_eq!(headers.get_all("x-n").iter().collect::<Vec<_>>(), ["4"]);
        assert_eq!(
            headers.get_all("set-cookie").iter().collect::<Vec<_>>(),
            ["a=1", "b=2"]
        );
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body, br#"{"id":9}"#);
    }

    #[tokio::test]
    async fn base64_bodies_are_decoded() {
        let payload = br#"{"statusCode":200,"headers":{"content-type":"image/png"},"body":"AAEC/w==","isBase64Encoded":true}"#;
        let (status, headers, body) = parts(map_response(payload, V1).unwrap()).await;
        assert_eq!((status, body), (200, vec![0, 1, 2, 255]));
        assert_eq!(headers["content-type"], "image/png");
    }

    #[tokio::test]
    async fn payload_2_infers_a_response_from_plain_json() {
        let (status, headers, body) =
            parts(map_response(br#"{"message":"hi"}"#, V2).unwrap()).await;
        assert_eq!(
            (status, body.as_slice()),
            (200, br#"{"message":"hi"}"#.as_slice())
        );
        assert_eq!(headers["content-type"], "application/json");
        let (_, _, body) = parts(map_response(br#""plain text""#, V2).unwrap()).await;
        assert_eq!(body, b"plain text");
        let (_, _, body) = parts(map_response(b"[1,2]", V2).unwrap()).await;
        assert_eq!(body, b"[1,2]");
    }

    #[test]
    fn malformed_responses_are_refused() {
        let bad: &[(&[u8], PayloadVersion)] = &[
            (b"not json", V2),
            (b"not json", V1),
            (br#"{"message":"no status"}"#, V1),
            (br#""text""#, V1),
            (br#"{"statusCode":"200"}"#, V2),
            (br#"{"statusCode":99}"#, V2),
            (br#"{"statusCode":600}"#, V2),
            (br#"{"statusCode":100}"#, V2),
            (br#"{"statusCode":101}"#, V1),
            (br#"{"statusCode":199}"#, V2),
            (br#"{"statusCode":200,"body":{"a":1}}"#, V2),
            (br#"{"statusCode":200,"extra":1}"#, V1),
            (br#"{"statusCode":200,"headers":["x"]}"#, V2),
            (br#"{"statusCode":200,"headers":{"bad name":"x"}}"#, V2),
            (br#"{"statusCode":200,"headers":{"x":"a\nb"}}"#, V2),
            (
                br#"{"statusCode":200,"headers":{"content-length":"1"}}"#,
                V2,
            ),
            (
                br#"{"statusCode":200,"headers":{"Keep-Alive":"timeout=5"}}"#,
                V2,
            ),
            (
                br#"{"statusCode":200,"headers":{"Upgrade":"websocket"}}"#,
                V1,
            ),
            (br#"{"statusCode":200,"headers":{"TE":"trailers"}}"#, V2),
            (br#"{"statusCode":200,"headers":{"Trailer":"x"}}"#, V2),
            (
                br#"{"statusCode":200,"headers":{"Proxy-Connection":"close"}}"#,
                V2,
            ),
            (
                br#"{"statusCode":200,"multiValueHeaders":{"Connection":["close"]}}"#,
                V1,
            ),
            (
                br#"{"statusCode":200,"multiValueHeaders":{"Transfer-Encoding":["chunked"]}}"#,
                V1,
            ),
            (
                br#"{"statusCode":200,"body":"***","isBase64Encoded":true}"#,
                V2,
            ),
            (br#"{"statusCode":200,"isBase64Encoded":"yes"}"#, V2),
            (br#"{"statusCode":200,"cookies":[1]}"#, V2),
        ];
        for (payload, version) in bad {
            assert!(
                map_response(payload, *version).is_err(),
                "accepted {}",
                String::from_utf8_lossy(payload)
            );
        }
    }

    #[tokio::test]
    async fn an_empty_body_is_allowed() {
        let (status, _, body) = parts(map_response(br#"{"statusCode":204}"#, V1).unwrap()).await;
        assert_eq!((status, body.len()), (204, 0));
    }
}
