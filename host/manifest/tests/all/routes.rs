//! Top-level `[[route]]` tables naming a function, version or alias, and `auto_publish_alias`:
//! what is accepted and the exact text of what is not.

use fnhost_manifest::{FunctionTarget, Methods, PayloadFormat, Qualifier};

use crate::{HEAD, error, parse, with};

#[test]
fn routes_name_uploads_through_an_alias_or_version() {
    let manifest = parse(
        "manifest_version = 1\n\n\
         [[route]]\nfunction = \"plugin:live\"\nroute = \"/plugin/{proxy+}\"\n\n\
         [[route]]\nfunction = \"plugin:3\"\nroute = \"/v3\"\nmethods = [\"GET\"]\npayload = \"1.0\"\n\n\
         [[route]]\nfunction = \"other:$LATEST\"\nroute = \"/other\"\n",
    )
    .unwrap();
    assert!(manifest.functions.is_empty());
    let routes: Vec<(String, String, bool)> = manifest
        .routes
        .iter()
        .map(|r| (r.target.key(), r.http.to_string(), r.uploaded))
        .collect();
    assert_eq!(
        routes,
        [
            ("plugin:live".into(), "ANY /plugin/{proxy+}".into(), true),
            ("plugin:3".into(), "GET /v3".into(), true),
            ("other".into(), "ANY /other".into(), true),
        ]
    );
    assert_eq!(
        manifest.routes[0].target,
        FunctionTarget {
            function: "plugin".into(),
            qualifier: Some(Qualifier::Alias("live".into()))
        }
    );
    assert_eq!(manifest.routes[1].http.payload, PayloadFormat::V1);
    assert_eq!(manifest.routes[1].http.line, 9);
    assert_eq!(manifest.routes[2].target.to_string(), "other:$LATEST");
}

#[test]
fn manifest_functions_are_routed_plainly_or_through_their_auto_published_alias() {
    let manifest = parse(&format!(
        "{HEAD}auto_publish_alias = \"live\"\n\n\
         [[route]]\nfunction = \"hello:live\"\nroute = \"/live\"\n\n\
         [[route]]\nfunction = \"hello\"\nroute = \"/plain\"\nmethods = [\"POST\"]\n\n\
         [[route]]\nfunction = \"hello:$LATEST\"\nroute = \"/latest\"\n"
    ))
    .unwrap();
    assert_eq!(
        manifest.functions["hello"].auto_publish_alias.as_deref(),
        Some("live")
    );
    let keys: Vec<(String, bool)> = manifest
        .routes
        .iter()
        .map(|r| (r.target.key(), r.uploaded))
        .collect();
    assert_eq!(
        keys,
        [
            ("hello:live".into(), false),
            ("hello".into(), false),
            ("hello".into(), false)
        ]
    );
    assert_eq!(manifest.routes[1].http.methods.to_string(), "POST");
    assert_eq!(manifest.routes[0].http.methods, Methods::Any);
    assert_eq!(
        parse(HEAD).unwrap().functions["hello"].auto_publish_alias,
        None
    );
}

/// `HEAD` plus one `[[route]]` (line 6) whose `function` (line 7) is `target`.
fn route_to(target: &str) -> String {
    with(&format!(
        "\n[[route]]\nfunction = \"{target}\"\nroute = \"/r\"\n"
    ))
}

#[test]
fn malformed_qualifiers_name_the_line() {
    assert_eq!(
        route_to("hello:"),
        "fnhost.toml:7: route: function = `hello:` is invalid: the qualifier after `:` is empty; \
         write `hello`, `hello:ALIAS` (e.g. `hello:live`) or `hello:VERSION` (e.g. `hello:1`)"
    );
    assert_eq!(
        route_to("f:li ve"),
        "fnhost.toml:7: route: function = `f:li ve` is invalid: qualifier `li ve` is not \
         `$LATEST`, a version number or an alias name (1 to 128 letters, digits, `-` or `_`, \
         not all digits)"
    );
    assert_eq!(
        route_to("f:0"),
        "fnhost.toml:7: route: function = `f:0` is invalid: `0` is not a version number; \
         versions are numbered from 1, without leading zeros"
    );
    assert_eq!(
        route_to("f:a:b"),
        "fnhost.toml:7: route: function = `f:a:b` is invalid: it has more than one `:`; \
         write `NAME` or `NAME:QUALIFIER`"
    );
    assert_eq!(
        route_to("arn:aws:lambda"),
        "fnhost.toml:7: route: function = `arn:aws:lambda` is invalid: it has more than one \
         `:`; write `NAME` or `NAME:QUALIFIER`"
    );
    assert_eq!(
        route_to("my.fn:live"),
        "fnhost.toml:7: route: function = `my.fn:live` is invalid: `my.fn` is not a function \
         name; use 1 to 64 letters, digits, `-` or `_`"
    );
}

#[test]
fn an_unqualified_unknown_name_is_a_typo_not_an_upload() {
    assert_eq!(
        route_to("helo"),
        "fnhost.toml:7: route: function = `helo`: no function `helo` in the manifest (did you \
         mean `hello`?); declare [function.helo], or, to route to a function uploaded through \
         the Lambda API, name its alias or version, e.g. `helo:live` or `helo:$LATEST`"
    );
}

#[test]
fn manifest_functions_have_no_versions_and_only_their_declared_alias() {
    assert_eq!(
        route_to("hello:2"),
        "fnhost.toml:7: route: function = `hello:2`: function `hello` of the manifest has no \
         published versions (only functions uploaded through the Lambda API have them); route \
         to `hello`, or add `auto_publish_alias = \"live\"` to [function.hello] and route to \
         `hello:live`"
    );
    assert_eq!(
        route_to("hello:live"),
        "fnhost.toml:7: route: function = `hello:live`: function `hello` of the manifest has no \
         alias `live`; add `auto_publish_alias = \"live\"` to [function.hello]"
    );
    assert_eq!(
        error(&format!(
            "{HEAD}auto_publish_alias = \"prod\"\n[[route]]\nfunction = \"hello:live\"\nroute = \"/r\"\n"
        )),
        "fnhost.toml:7: route: function = `hello:live`: function `hello` of the manifest has no \
         alias `live` (its auto_publish_alias is `prod`); route to `hello:prod`, or set \
         `auto_publish_alias = \"live\"`"
    );
}

#[test]
fn route_tables_need_a_function_and_a_route_and_know_their_keys() {
    assert_eq!(
        with("\n[[route]]\nroute = \"/r\"\n"),
        "fnhost.toml:6: route: missing `function`; add `function = \"NAME\" (or \"NAME:ALIAS\", \
         e.g. \"hello:live\")`"
    );
    assert_eq!(
        with("\n[[route]]\nfunction = \"x:live\"\n"),
        "fnhost.toml:6: route to `x:live`: missing `route`; add `route = \"/x\"`"
    );
    assert_eq!(
        with("\n[[route]]\nfunction = \"x:live\"\npath = \"/r\"\n"),
        "fnhost.toml:8: unknown field `path` in `[route]`; expected one of `function`, `route`, \
         `methods`, `payload`"
    );
    assert_eq!(
        with("\n[route]\nfunction = \"x:live\"\n"),
        "fnhost.toml:6: route: invalid type: table, expected an array of tables, written \
         `[[route]]`"
    );
    assert_eq!(
        with("\n[[route]]\nfunction = \"x:live\"\nroute = \"/r\"\npayload = \"3.0\"\n"),
        "fnhost.toml:9: function `x:live`: payload = `3.0` is not a payload format; use \
         `\"2.0\"` (HTTP API, the default) or `\"1.0\"` (REST API)"
    );
}

#[test]
fn route_tables_conflict_with_function_routes() {
    assert_eq!(
        with(
            "[[function.hello.http]]\nroute = \"/users/{id}\"\n\n\
             [[route]]\nfunction = \"up:live\"\nroute = \"/users/{name}\"\nmethods = [\"GET\"]\n"
        ),
        "fnhost.toml:10: route `GET /users/{name}` of function `up:live` conflicts with \
         `ANY /users/{id}` of function `hello` (line 6); change the path or the methods of one \
         of them"
    );
}

#[test]
fn auto_publish_alias_follows_lambdas_alias_rule() {
    assert_eq!(
        with("auto_publish_alias = \"123\"\n"),
        "fnhost.toml:5: function `hello`: auto_publish_alias = `123` is not an alias name; use \
         1 to 128 letters, digits, `-` or `_`, not all digits, e.g. `live`"
    );
    assert_eq!(
        with("auto_publish_alias = \"$LATEST\"\n"),
        "fnhost.toml:5: function `hello`: auto_publish_alias = `$LATEST` is not an alias name; \
         use 1 to 128 letters, digits, `-` or `_`, not all digits, e.g. `live`"
    );
}
