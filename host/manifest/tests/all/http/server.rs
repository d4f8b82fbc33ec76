//! The top-level `[http]` table: the server's address and limits.

use std::net::SocketAddr;

use fnhost_manifest::HttpServerConfig;

use crate::{HEAD, error, parse};

/// `HEAD` followed by an `[http]` table (on line 5) holding `extra` (from line 6).
fn server(extra: &str) -> String {
    format!("{HEAD}[http]\n{extra}")
}

#[test]
fn absent_table_leaves_everything_to_the_caller() {
    assert_eq!(parse(HEAD).unwrap().http, HttpServerConfig::default());
    assert_eq!(
        parse(&server("")).unwrap().http,
        HttpServerConfig::default()
    );
}

#[test]
fn every_field() {
    let text = server(
        "listen = \"0.0.0.0:9000\"\nmax_concurrency = 8\nqueue_depth = 0\n\
         queue_timeout_ms = 250\ndrain_timeout_s = 5\ndrain_delay_s = 10\n",
    );
    let expected = HttpServerConfig {
        listen: Some(SocketAddr::from(([0, 0, 0, 0], 9000))),
        max_concurrency: Some(8),
        queue_depth: Some(0),
        queue_timeout_ms: Some(250),
        drain_timeout_s: Some(5),
        drain_delay_s: Some(10),
    };
    assert_eq!(parse(&text).unwrap().http, expected);
}

#[test]
fn ipv6_listen_and_port_zero() {
    let http = parse(&server("listen = \"[::1]:0\"\n")).unwrap().http;
    assert_eq!(http.listen, Some("[::1]:0".parse().unwrap()));
}

#[test]
fn upper_boundaries() {
    let text = server(
        "max_concurrency = 10000\nqueue_depth = 100000\nqueue_timeout_ms = 60000\n\
         drain_timeout_s = 900\ndrain_delay_s = 300\n",
    );
    let http = parse(&text).unwrap().http;
    let values = (
        http.max_concurrency,
        http.queue_depth,
        http.queue_timeout_ms,
        http.drain_timeout_s,
        http.drain_delay_s,
    );
    assert_eq!(
        values,
        (Some(10000), Some(100000), Some(60000), Some(900), Some(300))
    );
}

#[test]
fn defaults_fit_their_ranges() {
    type C = HttpServerConfig;
    assert!(C::MAX_CONCURRENCY_RANGE.contains(&C::DEFAULT_MAX_CONCURRENCY));
    assert!(C::QUEUE_DEPTH_RANGE.contains(&C::DEFAULT_QUEUE_DEPTH));
    assert!(C::QUEUE_TIMEOUT_MS_RANGE.contains(&C::DEFAULT_QUEUE_TIMEOUT_MS));
    assert!(C::DRAIN_TIMEOUT_S_RANGE.contains(&C::DEFAULT_DRAIN_TIMEOUT_S));
    assert!(C::DRAIN_DELAY_S_RANGE.contains(&C::DEFAULT_DRAIN_DELAY_S));
    assert_eq!(C::DEFAULT_LISTEN.to_string(), "127.0.0.1:8080");
}

#[test]
fn out_of_range() {
    for (line, fix) in [
        (
            "max_concurrency = 0",
            "use 1 to 10000 (instances of all functions running at once)",
        ),
        (
            "max_concurrency = 10001",
            "use 1 to 10000 (instances of all functions running at once)",
        ),
        (
            "queue_depth = -1",
            "use 0 to 100000 (requests waiting for a free instance; 0 turns the queue off)",
        ),
        (
            "queue_depth = 100001",
            "use 0 to 100000 (requests waiting for a free instance; 0 turns the queue off)",
        ),
        (
            "queue_timeout_ms = 60001",
            "use 0 to 60000 (milliseconds a request may wait before a 429)",
        ),
        (
            "drain_timeout_s = 901",
            "use 0 to 900 (seconds running requests get to finish on shutdown)",
        ),
        (
            "drain_delay_s = 301",
            "use 0 to 300 (seconds the host keeps serving, health 503, before it stops \
             accepting on shutdown)",
        ),
    ] {
        let (field, value) = line.split_once(" = ").unwrap();
        assert_eq!(
            error(&server(&format!("{line}\n"))),
            format!("fnhost.toml:6: http.{field} = `{value}` is out of range; {fix}")
        );
    }
}

#[test]
fn listen_that_is_not_a_socket_address() {
    for value in ["localhost:8080", "127.0.0.1", ":8080", "127.0.0.1:99999"] {
        assert_eq!(
            error(&server(&format!("listen = \"{value}\"\n"))),
            format!(
                "fnhost.toml:6: http.listen = `{value}` is not a socket address; write an IP \
                 address and a port, e.g. `127.0.0.1:8080` or `[::1]:8080`"
            )
        );
    }
}

#[test]
fn unknown_field() {
    assert_eq!(
        error(&server("max_concurency = 8\n")),
        "fnhost.toml:6: unknown field `max_concurency` in `[http]`; expected one of `listen`, \
         `max_concurrency`, `queue_depth`, `queue_timeout_ms`, `drain_timeout_s`, \
         `drain_delay_s` (did you mean `max_concurrency`?)"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        error(&server("listen = 8080\n")),
        "fnhost.toml:6: http.listen: invalid type: integer `8080`, expected a string"
    );
}

#[test]
fn not_a_table() {
    assert_eq!(
        error("manifest_version = 1\nhttp = \"127.0.0.1:8080\"\n"),
        "fnhost.toml:2: http: invalid type: string \"127.0.0.1:8080\", expected a table"
    );
}
