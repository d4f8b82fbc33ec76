//! `fnhost up`: API Gateway events (payload 2.0 and 1.0), path parameters, binary bodies and
//! response mapping, checked through the http-echo fixture, which answers with the event.

use serde_json::{Value, json};

use crate::up::{Server, client, function};

const ECHO: &str = r#"
[[function.echo.http]]
route = "/items/{id}"
[[function.echo.http]]
route = "/v1/items/{id}"
payload = "1.0"
[[function.echo.http]]
route = "/files/{path+}"
methods = ["GET", "PUT"]
"#;

fn echo_server() -> Server {
    Server::start(&function("echo", "http-echo", ECHO), &["-q"])
}

async fn send(
    server: &Server,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = client()
        .request(method.parse().unwrap(), server.url(path))
        .header("X-Custom", "one")
        .header("Cookie", "session=abc; theme=dark")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

fn event_of(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(body)))
}

#[tokio::test(flavor = "multi_thread")]
async fn payload_2_event_has_every_field() {
    let server = echo_server();
    let (status, headers, body) = send(
        &server,
        "POST",
        "/items/42?tag=a&tag=b&q=%ED%95%9C+x&status=201&header=x-answer:yes&cookie=c%3D1",
        br#"{"sku":"X1"}"#.to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    assert_eq!(headers["x-answer"], "yes");
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["c=1", "second=2"]);
    let e = event_of(&body);
    assert_eq!(e["version"], "2.0");
    assert_eq!(e["routeKey"], "ANY /items/{id}");
    assert_eq!(e["rawPath"], "/items/42");
    assert_eq!(
        e["rawQueryString"],
        "tag=a&tag=b&q=%ED%95%9C+x&status=201&header=x-answer:yes&cookie=c%3D1"
    );
    assert_eq!(e["queryStringParameters"]["tag"], "a,b");
    assert_eq!(e["queryStringParameters"]["q"], "한 x");
    assert_eq!(e["pathParameters"], json!({"id": "42"}));
    assert_eq!(e["cookies"], json!(["session=abc", "theme=dark"]));
    assert_eq!(e["headers"]["x-custom"], "one");
    assert!(e["headers"].get("cookie").is_none());
    assert_eq!(e["body"], r#"{"sku":"X1"}"#);
    assert_eq!(e["isBase64Encoded"], false);
    let ctx = &e["requestContext"];
    assert_eq!(ctx["http"]["method"], "POST");
    assert_eq!(ctx["http"]["path"], "/items/42");
    assert_eq!(ctx["http"]["sourceIp"], "127.0.0.1");
    assert_eq!(ctx["http"]["protocol"], "HTTP/1.1");
    assert_eq!(ctx["routeKey"], "ANY /items/{id}");
    assert_eq!(
        ctx["requestId"],
        headers["apigw-requestid"].to_str().unwrap()
    );
    assert!(ctx["time"].as_str().unwrap().ends_with(" +0000"));
    assert!(ctx["timeEpoch"].as_i64().unwrap() > 1_700_000_000_000);
}

#[tokio::test(flavor = "multi_thread")]
async fn payload_1_event_has_rest_api_fields() {
    let server = echo_server();
    let (status, headers, body) = send(
        &server,
        "GET",
        "/v1/items/7?a=1&a=2&cookie=k%3Dv",
        Vec::new(),
    )
    .await;
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookies: Vec<_> = headers.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["k=v", "second=2"]);
    let e = event_of(&body);
    assert!(e.get("version").is_none());
    assert_eq!(e["resource"], "/v1/items/{id}");
    assert_eq!(e["path"], "/v1/items/7");
    assert_eq!(e["httpMethod"], "GET");
    assert_eq!(e["pathParameters"], json!({"id": "7"}));
    assert_eq!(e["queryStringParameters"]["a"], "2");
    assert_eq!(e["multiValueQueryStringParameters"]["a"], json!(["1", "2"]));
    assert_eq!(e["headers"]["x-custom"], "one");
    assert_eq!(e["multiValueHeaders"]["x-custom"], json!(["one"]));
    assert_eq!(e["body"], Value::Null);
    assert_eq!(e["requestContext"]["identity"]["sourceIp"], "127.0.0.1");
    assert_eq!(e["requestContext"]["resourcePath"], "/v1/items/{id}");
}

#[tokio::test(flavor = "multi_thread")]
async fn greedy_proxy_paths_and_method_lists() {
    let server = echo_server();
    let (status, _, body) = send(&server, "PUT", "/files/a/b%20c/d.txt", b"x".to_vec()).await;
    assert_eq!(status, 200);
    let e = event_of(&body);
    assert_eq!(e["pathParameters"], json!({"path": "a/b c/d.txt"}));
    assert_eq!(e["routeKey"], "PUT /files/{path+}");
    // DELETE is not in the route's methods.
    let (status, _, _) = send(&server, "DELETE", "/files/a", Vec::new()).await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_bodies_arrive_base64_and_go_back_as_bytes() {
    let server = echo_server();
    let bytes: Vec<u8> = (0..=255u8).rev().chain(0..=255u8).collect();
    let (status, headers, body) =
        send(&server, "POST", "/items/bin?mode=binary", bytes.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(body, bytes);
    // The event itself says base64.
    let (_, _, body) = send(&server, "POST", "/items/bin", vec![0xff, 0xfe, 0x00]).await;
    let e = event_of(&body);
    assert_eq!(e["isBase64Encoded"], true);
    assert_eq!(e["body"], "//4A");
}

#[tokio::test(flavor = "multi_thread")]
async fn plain_json_is_inferred_in_2_0_and_refused_in_1_0() {
    let server = echo_server();
    let (status, headers, body) = send(&server, "GET", "/items/1?mode=plain", Vec::new()).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(event_of(&body)["rawPath"], "/items/1");
    let (status, _, body) = send(&server, "GET", "/v1/items/1?mode=plain", Vec::new()).await;
    assert_eq!(status, 502);
    assert_eq!(body, br#"{"message":"Internal server error"}"#);
}
