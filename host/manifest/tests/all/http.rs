//! HTTP triggers: `[[function.NAME.http]]` routes and `reserved_concurrency` that are accepted;
//! rejected ones, conflicts between routes and the `[http]` server table have their own modules.

mod conflicts;
mod errors;
mod server;

use std::collections::BTreeSet;

use fnhost_manifest::{FunctionConfig, HttpRoute, Methods, PayloadFormat, Segment};

use crate::{HEAD, parse};

/// The single function of `HEAD` with one `[[function.hello.http]]` table (on line 5) holding
/// `extra` (from line 6).
fn hello_route(extra: &str) -> HttpRoute {
    let manifest = parse(&format!("{HEAD}[[function.hello.http]]\n{extra}")).unwrap();
    let mut routes = manifest.functions["hello"].http.clone();
    assert_eq!(routes.len(), 1);
    routes.remove(0)
}

/// The single function of `HEAD` plus `extra` (from line 5).
fn hello(extra: &str) -> FunctionConfig {
    parse(&format!("{HEAD}{extra}")).unwrap().functions["hello"].clone()
}

fn only(methods: &[&str]) -> Methods {
    Methods::Only(
        methods
            .iter()
            .map(|m| m.to_string())
            .collect::<BTreeSet<_>>(),
    )
}

#[test]
fn route_defaults() {
    let route = hello_route("route = \"/hello\"\n");
    assert_eq!(route.pattern.raw, "/hello");
    assert_eq!(
        route.pattern.segments,
        [Segment::Literal("hello".to_owned())]
    );
    assert_eq!(route.methods, Methods::Any);
    assert_eq!(route.payload, PayloadFormat::V2);
    assert_eq!(route.line, 6);
    assert_eq!(route.to_string(), "ANY /hello");
}

#[test]
fn route_with_every_field() {
    let route = hello_route(
        "payload = \"1.0\"\nmethods = [\"post\", \"Get\", \"DELETE\"]\nroute = \"/users/{id}\"\n",
    );
    assert_eq!(route.methods, only(&["DELETE", "GET", "POST"]));
    assert_eq!(route.payload, PayloadFormat::V1);
    assert_eq!(route.line, 8);
    assert_eq!(route.to_string(), "DELETE,GET,POST /users/{id}");
    assert!(route.methods.allows("GET"));
    assert!(!route.methods.allows("get"));
    assert!(!route.methods.allows("PUT"));
}

#[test]
fn explicit_defaults() {
    let route = hello_route("route = \"/\"\nmethods = [\"any\"]\npayload = \"2.0\"\n");
    assert_eq!(route.methods, Methods::Any);
    assert_eq!(route.payload, PayloadFormat::V2);
}

#[test]
fn root_route() {
    let route = hello_route("route = \"/\"\n");
    assert!(route.pattern.segments.is_empty());
    assert_eq!(route.pattern.shape(), "/");
}

#[test]
fn proxy_route() {
    let route = hello_route("route = \"/static/{path+}\"\n");
    let expected = [
        Segment::Literal("static".to_owned()),
        Segment::Proxy("path".to_owned()),
    ];
    assert_eq!(route.pattern.segments, expected);
}

#[test]
fn routes_keep_manifest_order_and_lines() {
    let text =
        "[[function.hello.http]]\nroute = \"/b\"\n\n[[function.hello.http]]\nroute = \"/a\"\n";
    let routes = hello(text).http;
    let summary: Vec<(String, usize)> = routes
        .iter()
        .map(|r| (r.pattern.raw.clone(), r.line))
        .collect();
    assert_eq!(summary, [("/b".to_owned(), 6), ("/a".to_owned(), 9)]);
}

#[test]
fn inline_array_of_routes() {
    let routes =
        hello("http = [{ route = \"/a\" }, { route = \"/b\", methods = [\"GET\"] }]\n").http;
    assert_eq!(routes.len(), 2);
    assert_eq!((routes[0].line, routes[1].line), (5, 5));
    assert_eq!(routes[1].methods, only(&["GET"]));
}

#[test]
fn reserved_concurrency_boundaries() {
    assert_eq!(
        hello("reserved_concurrency = 1\n").reserved_concurrency,
        Some(1)
    );
    assert_eq!(
        hello("reserved_concurrency = 1000\n").reserved_concurrency,
        Some(1000)
    );
}

#[test]
fn example_from_the_docs() {
    let text = r#"
manifest_version = 1

[http]
listen = "127.0.0.1:8080"
max_concurrency = 64

[function.hello]
source = "hello.wasm"
reserved_concurrency = 10

[[function.hello.http]]
route = "/hello"
methods = ["GET", "POST"]

[[function.hello.http]]
route = "/hello/{name}"
payload = "1.0"

[function.files]
source = "files.wasm"
http = [{ route = "/files/{path+}", methods = ["get", "head"] }]
"#;
    let manifest = parse(text).unwrap();
    assert_eq!(manifest.http.max_concurrency, Some(64));
    assert_eq!(manifest.http.queue_depth, None);
    let hello = &manifest.functions["hello"];
    assert_eq!(hello.reserved_concurrency, Some(10));
    let routes: Vec<String> = hello.http.iter().map(|r| r.to_string()).collect();
    assert_eq!(routes, ["GET,POST /hello", "ANY /hello/{name}"]);
    assert_eq!(hello.http[1].payload, PayloadFormat::V1);
    let files = &manifest.functions["files"].http[0];
    assert_eq!(files.to_string(), "GET,HEAD /files/{path+}");
    assert_eq!(files.line, 22);
}
