//! A function's execution environment: `[layer.NAME]` tables, `layers`, `code`,
//! `ephemeral_storage_mb` and `invoke`, and the exact text of each error.

use std::path::PathBuf;

use fnhost_manifest::{DEFAULT_EPHEMERAL_MB, LayerConfig};

use crate::{HEAD, error, parse, with};

/// Two layers after `HEAD`'s function: `libs` (line 6) and `tools` (line 9).
const LAYERS: &str = "\n[layer.libs]\npath = \"layers/libs\"\ndescription = \"shared code\"\n\
                      [layer.tools]\npath = \"layers/tools.zip\"\ncompatible_runtimes = [\"python3.12\"]\n";

#[test]
fn defaults_when_absent() {
    let manifest = parse(HEAD).unwrap();
    let hello = &manifest.functions["hello"];
    assert_eq!(hello.ephemeral_storage_mb, DEFAULT_EPHEMERAL_MB);
    assert_eq!(hello.code, None);
    assert!(hello.layers.is_empty() && hello.invoke.is_empty());
    assert!(manifest.layers.is_empty());
}

#[test]
fn every_key_parsed() {
    let text = format!(
        "{HEAD}ephemeral_storage_mb = 10240\ncode = \"build/hello\"\n\
         layers = [\"tools\", \"libs\"]\ninvoke = [\"resize\", \"other-fn\", \"resize\"]\n{LAYERS}"
    );
    let manifest = parse(&text).unwrap();
    let hello = &manifest.functions["hello"];
    assert_eq!(hello.ephemeral_storage_mb, 10240);
    assert_eq!(hello.code, Some(PathBuf::from("/proj/build/hello")));
    // Order is kept: later layers override earlier files.
    let names: Vec<&str> = hello.layers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["tools", "libs"]);
    assert_eq!(hello.layers[1], manifest.layers["libs"]);
    // Functions not in the manifest (uploaded ones) may be named; repeats collapse.
    assert_eq!(hello.invoke, ["resize", "other-fn"]);
    assert_eq!(
        manifest.layers["libs"],
        LayerConfig {
            name: "libs".into(),
            path: PathBuf::from("/proj/layers/libs"),
            description: Some("shared code".into()),
            compatible_runtimes: vec![],
            line: 10,
        }
    );
    let tools = &manifest.layers["tools"];
    assert_eq!(tools.path, PathBuf::from("/proj/layers/tools.zip"));
    assert!(tools.is_zip() && !manifest.layers["libs"].is_zip());
    assert_eq!(tools.compatible_runtimes, ["python3.12"]);
}

#[test]
fn ephemeral_storage_boundaries() {
    for (value, ok) in [
        (512, true),
        (10240, true),
        (511, false),
        (10241, false),
        (-1, false),
    ] {
        let result = parse(&format!("{HEAD}ephemeral_storage_mb = {value}\n"));
        assert_eq!(result.is_ok(), ok, "{value}");
    }
    assert_eq!(
        with("ephemeral_storage_mb = 511\n"),
        "fnhost.toml:5: function `hello`: ephemeral_storage_mb = `511` is out of range; \
         use 512 to 10240 (MB of /tmp per invocation, Lambda's limits)"
    );
}

#[test]
fn unknown_layer_names_the_line_and_the_closest() {
    assert_eq!(
        with(&format!("layers = [\"lib\"]\n{LAYERS}")),
        "fnhost.toml:5: function `hello`: layers names unknown layer `lib` (did you mean `libs`?); \
         declared layers: `libs`, `tools`; declare it with `[layer.lib]` and `path = \"layers/lib\"`"
    );
    assert_eq!(
        with("layers = [\"x\"]\n"),
        "fnhost.toml:5: function `hello`: layers names unknown layer `x`; declared layers: none; \
         declare it with `[layer.x]` and `path = \"layers/x\"`"
    );
}

#[test]
fn more_than_five_layers() {
    let mut tables = String::new();
    for i in 0..6 {
        tables.push_str(&format!("[layer.l{i}]\npath = \"l{i}\"\n"));
    }
    let list = "layers = [\"l0\", \"l1\", \"l2\", \"l3\", \"l4\", \"l5\"]\n";
    assert_eq!(
        with(&format!("{list}{tables}")),
        "fnhost.toml:5: function `hello`: layers lists 6 layers, but a function can use at most 5; \
         merge some layers into one"
    );
    let five = "layers = [\"l0\", \"l1\", \"l2\", \"l3\", \"l4\"]\n";
    assert_eq!(
        parse(&format!("{HEAD}{five}{tables}")).unwrap().functions["hello"]
            .layers
            .len(),
        5
    );
}

#[test]
fn layer_listed_twice() {
    assert_eq!(
        with(&format!("layers = [\"libs\",\n  \"libs\"]\n{LAYERS}")),
        "fnhost.toml:6: function `hello`: layer `libs` is listed twice in `layers`; remove one"
    );
}

#[test]
fn layer_table_errors() {
    assert_eq!(
        with("[layer.\"a/b\"]\npath = \"x\"\n"),
        "fnhost.toml:5: invalid layer name `a/b`; use 1 to 140 letters, digits, `-` or `_`"
    );
    assert_eq!(
        with("[layer.libs]\ndescription = \"x\"\n"),
        "fnhost.toml:5: layer `libs`: missing `path`; add `path = \"layers/libs\"`"
    );
    assert_eq!(
        with("[layer.libs]\npath = \" \"\n"),
        "fnhost.toml:6: layer `libs`: path is empty; write the directory or `.zip` that holds \
         its files, e.g. `path = \"layers/libs\"`"
    );
    let unknown = with("[layer.libs]\npath = \"x\"\nversion = 2\n");
    assert!(
        unknown.starts_with("fnhost.toml:7: unknown field `version` in `[layer.libs]`"),
        "{unknown}"
    );
}

#[test]
fn empty_code() {
    assert_eq!(
        with("code = \"\"\n"),
        "fnhost.toml:5: function `hello`: code is empty; write the directory or `.zip` of the \
         function's files (seen at /var/task), or remove `code`"
    );
}

#[test]
fn invoke_entry_must_be_a_function_name() {
    assert_eq!(
        with("invoke = [\"ok\", \"arn:aws:lambda:x\"]\n"),
        "fnhost.toml:5: function `hello`: invoke names `arn:aws:lambda:x`, which is not a \
         function name; use 1 to 64 letters, digits, `-` or `_` (the name of a function in \
         fnhost.toml or an uploaded one)"
    );
    let long = "a".repeat(65);
    assert!(with(&format!("invoke = [\"{long}\"]\n")).contains("is not a function name"));
    assert!(
        error("manifest_version = 1\n[function.hello]\nsource = \"h.wasm\"\ninvoke = \"x\"\n")
            .starts_with("fnhost.toml:4")
    );
}
