//! Two routes that would both match some request, in one function or across functions.

use crate::{error, parse};

/// A manifest of functions `a` (lines 3–4) and `b` (lines 6–7), each followed by its routes;
/// `a`'s first `route` is on line 10.
fn manifest(a_routes: &[&str], b_routes: &[&str]) -> String {
    let mut text = "manifest_version = 1\n\n[function.a]\nsource = \"a.wasm\"\n\n\
                    [function.b]\nsource = \"b.wasm\"\n"
        .to_owned();
    for (function, routes) in [("a", a_routes), ("b", b_routes)] {
        for route in routes {
            text.push_str(&format!("\n[[function.{function}.http]]\n{route}\n"));
        }
    }
    text
}

#[test]
fn same_shape_across_functions() {
    let text = manifest(
        &["route = \"/users/{id}\"\nmethods = [\"GET\"]"],
        &["route = \"/users/{name}\"\nmethods = [\"get\"]"],
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:14: route `GET /users/{name}` of function `b` conflicts with \
         `GET /users/{id}` of function `a` (line 10); change the path or the methods of one of them"
    );
}

#[test]
fn same_route_twice_in_one_function() {
    let text = manifest(
        &["route = \"/\"", "route = \"/\"\nmethods = [\"POST\"]"],
        &[],
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:13: route `POST /` of function `a` conflicts with `ANY /` of function `a` \
         (line 10); change the path or the methods of one of them"
    );
}

#[test]
fn any_overlaps_a_single_method() {
    let text = manifest(
        &["route = \"/files/{path+}\"\nmethods = [\"PUT\", \"DELETE\"]"],
        &["route = \"/files/{key+}\""],
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:14: route `ANY /files/{key+}` of function `b` conflicts with \
         `DELETE,PUT /files/{path+}` of function `a` (line 10); \
         change the path or the methods of one of them"
    );
}

#[test]
fn later_route_is_reported_whatever_the_function_order() {
    // `b`'s table comes first in the file, so `a`'s route is the later one.
    let text = "manifest_version = 1\n\n[[function.b.http]]\nroute = \"/x\"\n\n\
                [function.b]\nsource = \"b.wasm\"\n\n[function.a]\nsource = \"a.wasm\"\n\
                http = [{ route = \"/x\" }]\n";
    assert_eq!(
        error(text),
        "fnhost.toml:11: route `ANY /x` of function `a` conflicts with `ANY /x` of function `b` \
         (line 4); change the path or the methods of one of them"
    );
}

#[test]
fn first_conflict_in_file_order_is_reported() {
    let text = manifest(
        &["route = \"/a\"", "route = \"/b\"", "route = \"/b\""],
        &["route = \"/a\""],
    );
    assert_eq!(
        error(&text),
        "fnhost.toml:16: route `ANY /b` of function `a` conflicts with `ANY /b` of function `a` \
         (line 13); change the path or the methods of one of them"
    );
}

#[test]
fn different_methods_do_not_conflict() {
    let text = manifest(
        &["route = \"/users/{id}\"\nmethods = [\"GET\", \"HEAD\"]"],
        &["route = \"/users/{id}\"\nmethods = [\"POST\"]"],
    );
    assert!(parse(&text).is_ok());
}

#[test]
fn exact_and_parameter_do_not_conflict() {
    let text = manifest(
        &["route = \"/users/{id}\"", "route = \"/users/{id}/{rest+}\""],
        &[
            "route = \"/users/me\"",
            "route = \"/users/{id+}\"",
            "route = \"/Users/{id}\"",
        ],
    );
    let manifest = parse(&text).unwrap();
    assert_eq!(manifest.functions["a"].http.len(), 2);
    assert_eq!(manifest.functions["b"].http.len(), 3);
}
