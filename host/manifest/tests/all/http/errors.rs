//! The exact text users read when an HTTP route or `reserved_concurrency` is rejected: by the
//! schema (unknown keys, wrong types) or by validation (route syntax, methods, payload).

use crate::with;

/// The error for a `[[function.hello.http]]` table (on line 5) holding `extra` (from line 6).
fn route_error(extra: &str) -> String {
    with(&format!("[[function.hello.http]]\n{extra}"))
}

const CONCURRENCY_FIX: &str = "use 1 to 1000 (instances of this function running at once), \
                               or remove it to share the server's limit";

#[test]
fn reserved_concurrency_out_of_range() {
    for value in ["0", "1001", "-1"] {
        assert_eq!(
            with(&format!("reserved_concurrency = {value}\n")),
            format!(
                "fnhost.toml:5: function `hello`: reserved_concurrency = `{value}` is out of range; \
                 {CONCURRENCY_FIX}"
            )
        );
    }
}

#[test]
fn missing_route() {
    assert_eq!(
        route_error("methods = [\"GET\"]\n"),
        "fnhost.toml:5: function `hello`: http: missing `route`; add `route = \"/hello\"`"
    );
}

#[test]
fn invalid_routes() {
    let prefix = "fnhost.toml:6: function `hello`: invalid route";
    for (route, reason) in [
        (
            "",
            "route is empty; write `/` for the root or a path such as `/hello`",
        ),
        ("hello", "a route starts with `/`; write `/hello`"),
        ("/a//b", "empty segment (`//`); remove the extra `/`"),
        (
            "/a/",
            "trailing `/`; remove it (only the root route `/` ends with `/`)",
        ),
        (
            "/a/../b",
            "segment `..` never reaches the server (clients resolve it away); remove it",
        ),
        (
            "/a?x=1",
            "segment `a?x=1` contains `?`; a route matches the path only, so remove the query string",
        ),
        (
            "/a#top",
            "segment `a#top` contains `#`; a route matches the path only, so remove the fragment",
        ),
        (
            "/files/*",
            "segment `*` contains `*`; to match the rest of the path, end the route with `{name+}`",
        ),
        (
            "/user-{id}",
            "segment `user-{id}` contains `{`; a parameter is a whole segment, e.g. `/users/{id}`",
        ),
        ("/a b", "segment `a b` contains whitespace; remove it"),
        (
            "/{user-id}",
            "parameter `{user-id}` needs a name of letters, digits and `_`, e.g. `{id}`",
        ),
        (
            "/{}",
            "parameter `{}` needs a name of letters, digits and `_`, e.g. `{id}`",
        ),
        (
            "/{path+}/x",
            "`{path+}` matches the rest of the path, so it must be the last segment",
        ),
        (
            "/{id}/x/{id}",
            "parameter `id` appears twice; give each parameter its own name",
        ),
    ] {
        assert_eq!(
            route_error(&format!("route = \"{route}\"\n")),
            format!("{prefix} `{route}`: {reason}")
        );
    }
}

#[test]
fn reserved_route() {
    assert_eq!(
        route_error("route = \"/.well-known/fnhost/health\"\n"),
        "fnhost.toml:6: function `hello`: route `/.well-known/fnhost/health` is under \
         `/.well-known/fnhost/`, which fnhost keeps for its own endpoints (health checks); \
         choose another path"
    );
}

#[test]
fn unsupported_method() {
    assert_eq!(
        route_error("route = \"/\"\nmethods = [\"GET\", \"gte\"]\n"),
        "fnhost.toml:7: function `hello`: http method `gte` is not supported; use `GET`, `POST`, \
         `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY` (did you mean `GET`?)"
    );
    assert_eq!(
        route_error("route = \"/\"\nmethods = [\"CONNECT\"]\n"),
        "fnhost.toml:7: function `hello`: http method `CONNECT` is not supported; use `GET`, \
         `POST`, `PUT`, `PATCH`, `DELETE`, `HEAD`, `OPTIONS` or `ANY`"
    );
}

#[test]
fn empty_methods() {
    assert_eq!(
        route_error("route = \"/\"\nmethods = []\n"),
        "fnhost.toml:7: function `hello`: `methods` is empty; list at least one, \
         e.g. `methods = [\"GET\"]`, or remove `methods` to accept any"
    );
}

#[test]
fn duplicate_method_in_any_case() {
    assert_eq!(
        route_error("route = \"/\"\nmethods = [\n  \"GET\",\n  \"get\",\n]\n"),
        "fnhost.toml:9: function `hello`: http method `GET` is listed twice; remove one"
    );
}

#[test]
fn any_next_to_other_methods() {
    assert_eq!(
        route_error("route = \"/\"\nmethods = [\"ANY\", \"post\"]\n"),
        "fnhost.toml:7: function `hello`: `methods` lists `ANY` and `POST`, but `ANY` already \
         accepts every method; keep only `ANY` or only the others"
    );
}

#[test]
fn unknown_payload() {
    assert_eq!(
        route_error("route = \"/\"\npayload = \"3.0\"\n"),
        "fnhost.toml:7: function `hello`: payload = `3.0` is not a payload format; \
         use `\"2.0\"` (HTTP API, the default) or `\"1.0\"` (REST API)"
    );
}

#[test]
fn unknown_route_field_with_suggestion() {
    assert_eq!(
        route_error("route = \"/\"\nmetods = [\"GET\"]\n"),
        "fnhost.toml:7: unknown field `metods` in `http` of function `hello`; expected one of \
         `route`, `methods`, `payload` (did you mean `methods`?)"
    );
}

#[test]
fn unknown_field_in_a_later_inline_route() {
    assert_eq!(
        with("http = [{ route = \"/a\" }, { path = \"/b\" }]\n"),
        "fnhost.toml:5: unknown field `path` in `http` of function `hello`; expected one of \
         `route`, `methods`, `payload`"
    );
}

#[test]
fn single_brackets_for_routes() {
    assert_eq!(
        with("[function.hello.http]\nroute = \"/\"\n"),
        "fnhost.toml:5: function `hello`: http: invalid type: table, \
         expected an array of tables, written `[[function.NAME.http]]`"
    );
}

#[test]
fn methods_that_is_not_an_array() {
    assert_eq!(
        route_error("route = \"/\"\nmethods = \"GET\"\n"),
        "fnhost.toml:7: function `hello`: http.methods: invalid type: string \"GET\", \
         expected an array"
    );
}

#[test]
fn route_that_is_not_a_string() {
    assert_eq!(
        route_error("route = 5\n"),
        "fnhost.toml:6: function `hello`: http.route: invalid type: integer `5`, expected a string"
    );
}

#[test]
fn payload_as_a_number() {
    assert_eq!(
        route_error("route = \"/\"\npayload = 2.0\n"),
        "fnhost.toml:7: function `hello`: http.payload: invalid type: float `2.0`, \
         expected a string"
    );
}
