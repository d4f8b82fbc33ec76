//! API Gateway proxy events: HTTP API payload 2.0 and REST API payload 1.0.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};

/// Which proxy payload format a route uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayloadVersion {
    /// REST API / HTTP API 1.0 (`httpMethod`, `multiValueHeaders`, ...).
    V1,
    /// HTTP API 2.0 (`rawPath`, `cookies`, `requestContext.http`), the default.
    #[default]
    V2,
}

/// The parts of an HTTP request an event is made of.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as received, without the query string.
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Header name/value pairs in arrival order (names as received).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The matched route template, e.g. `/items/{id}`; `None` = `$default`.
    pub route: Option<String>,
    /// The matched route's method as declared (`ANY` for a route that takes every method);
    /// `None` = the request's method.
    pub route_method: Option<String>,
    /// Values of `{param}` segments.
    pub path_parameters: BTreeMap<String, String>,
    /// The client address.
    pub source_ip: String,
    /// `HTTP/1.1`, ...
    pub protocol: String,
    /// Request id (API Gateway's, not the invocation's).
    pub request_id: String,
    /// Arrival time.
    pub time: DateTime<Utc>,
    /// Set when the request came through a function URL: the `requestContext` fields Lambda's
    /// function URLs fill in instead of API Gateway's.
    pub function_url: Option<UrlContext>,
}

/// What a function URL puts in the payload 2.0 event (`reference/lambda-env.md` §E).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlContext {
    /// The URL id: `requestContext.apiId` and `domainPrefix`.
    pub url_id: String,
    /// `requestContext.domainName`, `<url-id>.lambda-url.<domain>`.
    pub domain_name: String,
    /// The signer of an `AWS_IAM` URL's request (`requestContext.authorizer.iam`); `None` for
    /// `NONE`, whose `authorizer` is null.
    pub iam: Option<IamCaller>,
}

/// The caller of an `AWS_IAM` function URL, as `requestContext.authorizer.iam` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamCaller {
    /// The access key id the request was signed with.
    pub access_key: String,
    /// The caller's account.
    pub account_id: String,
    /// The caller's id.
    pub caller_id: String,
    /// The caller's ARN.
    pub user_arn: String,
    /// The caller's user id.
    pub user_id: String,
}

impl HttpRequest {
    /// A request with defaults for everything but method and path.
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        Self {
            method: method.into(),
            path: path.into(),
            query: String::new(),
            headers: Vec::new(),
            body: Vec::new(),
            route: None,
            route_method: None,
            path_parameters: BTreeMap::new(),
            source_ip: "127.0.0.1".into(),
            protocol: "HTTP/1.1".into(),
            request_id: uuid::Builder::from_random_bytes(fastrand::u128(..).to_le_bytes())
                .into_uuid()
                .to_string(),
            time: Utc::now(),
            function_url: None,
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .rev()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as the event carries it: UTF-8 text, or base64 for anything else.
    fn body(&self) -> (Value, bool) {
        if self.body.is_empty() {
            return (Value::Null, false);
        }
        match std::str::from_utf8(&self.body) {
            Ok(text) => (Value::String(text.to_owned()), false),
            Err(_) => (Value::String(base64(&self.body)), true),
        }
    }

    fn query_pairs(&self) -> Vec<(String, String)> {
        form_pairs(&self.query)
    }
}

/// The proxy event for `request` in the given payload format.
pub fn http_event(request: &HttpRequest, version: PayloadVersion) -> Value {
    match version {
        // Serialising these types into a `Value` cannot fail (every map key is a string).
        PayloadVersion::V2 => serde_json::to_value(V2::of(request)).unwrap_or_default(),
        PayloadVersion::V1 => v1(request),
    }
}

/// The proxy event for `request`, to serialise straight to JSON: the same text as
/// [`http_event`]'s, without building a [`Value`] for payload 2.0 first (the HTTP trigger's
/// default, on every request).
pub fn proxy_event(request: &HttpRequest, version: PayloadVersion) -> ProxyEvent<'_> {
    match version {
        PayloadVersion::V2 => ProxyEvent(Payload::V2(Box::new(V2::of(request)))),
        PayloadVersion::V1 => ProxyEvent(Payload::V1(v1(request))),
    }
}

/// A proxy event ready to serialise ([`proxy_event`]).
#[derive(Debug, Serialize)]
pub struct ProxyEvent<'a>(Payload<'a>);

#[derive(Debug, Serialize)]
#[serde(untagged)]
enum Payload<'a> {
    V2(Box<V2<'a>>),
    V1(Value),
}

// Payload 2.0. Fields are declared in byte order of their JSON names, as a `Value`'s map
// (a BTreeMap) writes them: both ways give the same text.

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct V2<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Cow<'a, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    cookies: Vec<&'a str>,
    headers: BTreeMap<String, String>,
    is_base64_encoded: bool,
    /// Absent without parameters; null for a function URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    path_parameters: Option<Option<&'a BTreeMap<String, String>>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    query_string_parameters: BTreeMap<String, String>,
    raw_path: &'a str,
    raw_query_string: &'a str,
    request_context: V2Context<'a>,
    route_key: Cow<'a, str>,
    /// Null for a function URL, absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    stage_variables: Option<()>,
    version: &'static str,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Context<'a> {
    account_id: &'static str,
    api_id: &'a str,
    /// Function URLs only, and null.
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication: Option<()>,
    /// Function URLs only: the IAM caller, or null.
    #[serde(skip_serializing_if = "Option::is_none")]
    authorizer: Option<Option<Authorizer<'a>>>,
    domain_name: &'a str,
    domain_prefix: &'a str,
    http: V2Http<'a>,
    request_id: &'a str,
    route_key: Cow<'a, str>,
    stage: &'static str,
    time: String,
    time_epoch: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct V2Http<'a> {
    method: &'a str,
    path: &'a str,
    protocol: &'a str,
    source_ip: &'a str,
    user_agent: &'a str,
}

#[derive(Debug, Serialize)]
struct Authorizer<'a> {
    iam: IamAuthorizer<'a>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct IamAuthorizer<'a> {
    access_key: &'a str,
    account_id: &'a str,
    caller_id: &'a str,
    cognito_identity: (),
    principal_org_id: (),
    user_arn: &'a str,
    user_id: &'a str,
}

impl<'a> V2<'a> {
    fn of(r: &'a HttpRequest) -> Self {
        let route_key: Cow<'a, str> = match &r.route {
            Some(route) => {
                format!("{} {route}", r.route_method.as_deref().unwrap_or(&r.method)).into()
            }
            None => "$default".into(),
        };
        let mut headers: BTreeMap<String, String> = BTreeMap::new();
        let mut cookies = Vec::new();
        for (name, value) in &r.headers {
            let name = name.to_ascii_lowercase();
            if name == "cookie" {
                cookies.extend(value.split(';').map(str::trim));
                continue;
            }
            match headers.get_mut(&name) {
                Some(existing) => {
                    existing.push(',');
                    existing.push_str(value);
                }
                None => {
                    headers.insert(name, value.clone());
                }
            }
        }
        let mut query: BTreeMap<String, String> = BTreeMap::new();
        for (k, v) in r.query_pairs() {
            match query.get_mut(&k) {
                Some(existing) => {
                    existing.push(',');
                    existing.push_str(&v);
                }
                None => {
                    query.insert(k, v);
                }
            }
        }
        let host = r.header("host").unwrap_or("localhost");
        let body = match std::str::from_utf8(&r.body) {
            _ if r.body.is_empty() => None,
            Ok(text) => Some(Cow::Borrowed(text)),
            Err(_) => Some(Cow::Owned(base64(&r.body))),
        };
        let is_base64_encoded = body.as_ref().is_some_and(|b| matches!(b, Cow::Owned(_)));
        let url = r.function_url.as_ref();
        let path_parameters = match url {
            Some(_) => Some(None),
            None => Some(&r.path_parameters).filter(|p| !p.is_empty()).map(Some),
        };
        let request_context = V2Context {
            account_id: crate::ACCOUNT,
            api_id: url.map_or("fnhost", |u| u.url_id.as_str()),
            authentication: url.map(|_| ()),
            authorizer: url.map(|u| {
                u.iam.as_ref().map(|iam| Authorizer {
                    iam: IamAuthorizer {
                        access_key: &iam.access_key,
                        account_id: &iam.account_id,
                        caller_id: &iam.caller_id,
                        cognito_identity: (),
                        principal_org_id: (),
                        user_arn: &iam.user_arn,
                        user_id: &iam.user_id,
                    },
                })
            }),
            domain_name: url.map_or(host, |u| u.domain_name.as_str()),
            domain_prefix: url.map_or_else(
                || host.split('.').next().unwrap_or_default(),
                |u| u.url_id.as_str(),
            ),
            http: V2Http {
                method: &r.method,
                path: &r.path,
                protocol: &r.protocol,
                source_ip: &r.source_ip,
                user_agent: r.header("user-agent").unwrap_or_default(),
            },
            request_id: &r.request_id,
            route_key: route_key.clone(),
            stage: "$default",
            time: crate::clf_time(r.time),
            time_epoch: r.time.timestamp_millis(),
        };
        V2 {
            body,
            cookies,
            headers,
            is_base64_encoded,
            path_parameters,
            query_string_parameters: query,
            raw_path: &r.path,
            raw_query_string: &r.query,
            request_context,
            route_key,
            stage_variables: url.map(|_| ()),
            version: "2.0",
        }
    }
}

fn v1(r: &HttpRequest) -> Value {
    let mut headers = Map::new();
    let mut multi_headers: Map<String, Value> = Map::new();
    for (name, value) in &r.headers {
        headers.insert(name.clone(), Value::String(value.clone()));
        push_multi(&mut multi_headers, name, value);
    }
    let mut query = Map::new();
    let mut multi_query: Map<String, Value> = Map::new();
    for (k, v) in r.query_pairs() {
        push_multi(&mut multi_query, &k, &v);
        query.insert(k, Value::String(v));
    }
    let resource = r.route.clone().unwrap_or_else(|| "/{proxy+}".to_string());
    let host = r.header("host").unwrap_or("localhost").to_owned();
    let or_null = |m: Map<String, Value>| {
        if m.is_empty() {
            Value::Null
        } else {
            Value::Object(m)
        }
    };
    let (body, is_base64) = r.body();
    json!({
        "resource": resource,
        "path": r.path,
        "httpMethod": r.method,
        "headers": or_null(headers),
        "multiValueHeaders": or_null(multi_headers),
        "queryStringParameters": or_null(query),
        "multiValueQueryStringParameters": or_null(multi_query),
        "pathParameters": if r.path_parameters.is_empty() { Value::Null } else { json!(r.path_parameters) },
        "stageVariables": null,
        "requestContext": {
            "accountId": crate::ACCOUNT,
            "apiId": "fnhost",
            "resourceId": "fnhost",
            "resourcePath": resource,
            "httpMethod": r.method,
            "path": r.path,
            "stage": "$default",
            "protocol": r.protocol,
            "requestId": r.request_id,
            "extendedRequestId": r.request_id,
            "requestTime": crate::clf_time(r.time),
            "requestTimeEpoch": r.time.timestamp_millis(),
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or_default(),
            "identity": {
                "sourceIp": r.source_ip,
                "userAgent": r.header("user-agent"),
                "accessKey": null, "accountId": null, "caller": null, "user": null, "userArn": null,
                "cognitoIdentityId": null, "cognitoIdentityPoolId": null,
                "cognitoAuthenticationType": null, "cognitoAuthenticationProvider": null,
                "principalOrgId": null,
            },
            "authorizer": null,
        },
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

fn push_multi(map: &mut Map<String, Value>, key: &str, value: &str) {
    match map.get_mut(key) {
        Some(Value::Array(values)) => values.push(Value::String(value.to_owned())),
        _ => {
            map.insert(key.to_owned(), json!([value]));
        }
    }
}

/// `a=1&b=x+y&c=%ED%95%9C` → pairs, form-decoded (`+` is a space).
fn form_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect()
}

fn form_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push(hi << 4 | lo);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> HttpRequest {
        let mut r = HttpRequest::new("GET", "/greet");
        r.query = "name=%EC%B2%A0%EC%88%98&age=30&tag=a&tag=b".into();
        r.headers = vec![
            ("Host".into(), "localhost:8080".into()),
            ("Cookie".into(), "a=1; b=2".into()),
            ("X-Multi".into(), "1".into()),
            ("X-Multi".into(), "2".into()),
        ];
        r
    }

    #[test]
    fn v2_decodes_query_and_joins_duplicates() {
        let e = http_event(&request(), PayloadVersion::V2);
        assert_eq!(e["version"], "2.0");
        assert_eq!(e["rawPath"], "/greet");
        assert_eq!(e["queryStringParameters"]["name"], "철수");
        assert_eq!(e["queryStringParameters"]["tag"], "a,b");
        assert_eq!(e["headers"]["x-multi"], "1,2");
        assert_eq!(e["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(e["requestContext"]["http"]["method"], "GET");
        assert_eq!(e["routeKey"], "$default");
        assert!(e.get("body").is_none());
        assert_eq!(e["isBase64Encoded"], false);
    }

    #[test]
    fn v1_keeps_last_and_all_values() {
        let e = http_event(&request(), PayloadVersion::V1);
        assert_eq!(e["httpMethod"], "GET");
        assert_eq!(e["queryStringParameters"]["tag"], "b");
        assert_eq!(
            e["multiValueQueryStringParameters"]["tag"],
            json!(["a", "b"])
        );
        assert_eq!(e["multiValueHeaders"]["X-Multi"], json!(["1", "2"]));
        assert_eq!(e["pathParameters"], Value::Null);
        assert_eq!(e["body"], Value::Null);
    }

    #[test]
    fn function_url_events_carry_the_url_and_the_caller() {
        let mut r = request();
        r.function_url = Some(UrlContext {
            url_id: "a".repeat(32),
            domain_name: format!("{}.lambda-url.localhost", "a".repeat(32)),
            iam: None,
        });
        let e = http_event(&r, PayloadVersion::V2);
        assert_eq!(e["routeKey"], "$default");
        assert_eq!(e["requestContext"]["routeKey"], "$default");
        assert_eq!(e["requestContext"]["stage"], "$default");
        assert_eq!(e["requestContext"]["apiId"], "a".repeat(32));
        assert_eq!(e["requestContext"]["domainPrefix"], "a".repeat(32));
        assert_eq!(
            e["requestContext"]["domainName"],
            format!("{}.lambda-url.localhost", "a".repeat(32))
        );
        assert_eq!(e["requestContext"]["authorizer"], Value::Null);
        assert!(e["requestContext"].get("authentication").unwrap().is_null());
        assert!(e.get("pathParameters").unwrap().is_null());
        assert!(e.get("stageVariables").unwrap().is_null());
        r.function_url.as_mut().unwrap().iam = Some(IamCaller {
            access_key: "AKIDEXAMPLE".into(),
            account_id: "000000000000".into(),
            caller_id: "000000000000".into(),
            user_arn: "arn:aws:iam::000000000000:root".into(),
            user_id: "000000000000".into(),
        });
        let e = http_event(&r, PayloadVersion::V2);
        let iam = &e["requestContext"]["authorizer"]["iam"];
        assert_eq!(iam["accessKey"], "AKIDEXAMPLE");
        assert_eq!(iam["userArn"], "arn:aws:iam::000000000000:root");
        assert!(iam.get("cognitoIdentity").unwrap().is_null());
        // API Gateway events keep their own context.
        let plain = http_event(&request(), PayloadVersion::V2);
        assert_eq!(plain["requestContext"]["apiId"], "fnhost");
        assert!(plain["requestContext"].get("authorizer").is_none());
    }

    #[test]
    fn binary_bodies_are_base64() {
        let mut r = HttpRequest::new("POST", "/upload");
        r.body = vec![0xff, 0x00, 0x10];
        let e = http_event(&r, PayloadVersion::V2);
        assert_eq!(e["body"], "/wAQ");
        assert_eq!(e["isBase64Encoded"], true);
        assert_eq!(base64(b"hello"), "aGVsbG8=");
        assert_eq!(form_decode("%ED%95%9C+%zz%"), "한 %zz%");
    }
}

#[cfg(test)]
mod typed {
    use super::*;
    #[test]
    /// The typed payload 2.0 writes the same text as its `Value` (whose maps sort their keys),
    /// and payload 1.0 the same either way, for requests with every optional part.
    fn the_typed_event_writes_what_its_value_does() {
        let mut cases = Vec::new();
        let base = || {
            let mut r = HttpRequest::new("GET", "/hello");
            r.query = "name=bench".into();
            r.route = Some("/hello".into());
            r.headers = vec![
                ("Host".into(), "api.example.com:8080".into()),
                ("User-Agent".into(), "wrk".into()),
            ];
            r
        };
        cases.push(base());
        cases.push(HttpRequest::new("POST", "/"));
        let mut r = base();
        r.headers.push(("Cookie".into(), "a=1; b=2;".into()));
        r.headers.push(("X-Multi".into(), "1".into()));
        r.headers.push(("x-multi".into(), "2".into()));
        r.headers.push(("cookie".into(), "c=3".into()));
        cases.push(r);
        let mut r = base();
        r.query = "tag=a&tag=b&x=%ED%95%9C&&y&z=1+2".into();
        cases.push(r);
        let mut r = base();
        r.body = b"{\"a\": \"\x01\n\"}".to_vec();
        r.route_method = Some("ANY".into());
        cases.push(r);
        let mut r = base();
        r.body = vec![0xff, 0, 1, 2, 3];
        cases.push(r);
        let mut r = base();
        r.route = None;
        r.path_parameters.insert("id".into(), "7".into());
        cases.push(r);
        let mut r = base();
        r.path_parameters.insert("id".into(), "7".into());
        r.path_parameters.insert("a".into(), "\"q\"".into());
        cases.push(r);
        let url = UrlContext {
            url_id: "a".repeat(32),
            domain_name: format!("{}.lambda-url.localhost", "a".repeat(32)),
            iam: None,
        };
        let mut r = base();
        r.route = None;
        r.function_url = Some(url.clone());
        r.path_parameters.insert("id".into(), "7".into());
        cases.push(r);
        let mut r = base();
        r.route = None;
        r.body = b"hi".to_vec();
        r.function_url = Some(UrlContext {
            iam: Some(IamCaller {
                access_key: "AK".into(),
                account_id: "1".into(),
                caller_id: "2".into(),
                user_arn: "arn".into(),
                user_id: "3".into(),
            }),
            ..url
        });
        cases.push(r);
        let mut r = base();
        r.headers.clear();
        cases.push(r);
        for r in &cases {
            let typed = serde_json::to_vec(&proxy_event(r, PayloadVersion::V2)).unwrap();
            let value = serde_json::to_vec(&http_event(r, PayloadVersion::V2)).unwrap();
            assert_eq!(
                String::from_utf8(typed).unwrap(),
                String::from_utf8(value).unwrap()
            );
            let typed = serde_json::to_vec(&proxy_event(r, PayloadVersion::V1)).unwrap();
            let value = serde_json::to_vec(&http_event(r, PayloadVersion::V1)).unwrap();
            assert_eq!(typed, value);
        }
    }
}
