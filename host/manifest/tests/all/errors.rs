//! The exact text users read when a manifest cannot be read or does not fit the schema.

use std::path::Path;

use fnhost_manifest::Manifest;

use crate::{error, with};

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.toml");
    let message = Manifest::load(&path).unwrap_err().to_string();
    let expected = format!(
        "cannot read `{}`: No such file or directory (os error 2)",
        path.display()
    );
    assert_eq!(message, expected);
}

#[test]
fn invalid_toml_keeps_line_and_column() {
    assert_eq!(
        error("manifest_version = 1\nb = [1,\n"),
        "fnhost.toml:2:8: invalid TOML: unclosed array, expected `]`"
    );
}

#[test]
fn duplicate_key() {
    assert_eq!(
        with("source = \"again.wasm\"\n"),
        "fnhost.toml:5:1: invalid TOML: duplicate key"
    );
}

#[test]
fn missing_version() {
    assert_eq!(
        error("[function.hello]\nsource = \"hello.wasm\"\n"),
        "fnhost.toml: missing `manifest_version`; add `manifest_version = 1` as the first line"
    );
}

#[test]
fn empty_file() {
    assert_eq!(
        error(""),
        "fnhost.toml: missing `manifest_version`; add `manifest_version = 1` as the first line"
    );
}

#[test]
fn unsupported_version() {
    assert_eq!(
        error("manifest_version = 2\n"),
        "fnhost.toml:1: unsupported manifest_version `2`; this fnhost reads version 1"
    );
}

#[test]
fn version_is_checked_before_the_schema() {
    // A version-2 file may have keys version 1 does not know; the version is the real problem.
    assert_eq!(
        error("manifest_version = 2\n[bucket.uploads]\ndir = \"uploads\"\n"),
        "fnhost.toml:1: unsupported manifest_version `2`; this fnhost reads version 1"
    );
}

#[test]
fn version_that_is_not_a_number() {
    assert_eq!(
        error("manifest_version = \"1\"\n"),
        "fnhost.toml:1: manifest_version = `\"1\"` is not a version number; write `manifest_version = 1`"
    );
}

#[test]
fn unknown_function_field_with_suggestion() {
    assert_eq!(
        with("memroy_mb = 256\n"),
        "fnhost.toml:5: unknown field `memroy_mb` in function `hello`; expected one of \
         `description`, `source`, `build`, `runtime`, `handler`, `memory_mb`, `timeout_s`, `fuel`, \
         `reserved_concurrency`, `env`, `http`, `objects`, `async`, `s3`, `schedule`, `ephemeral_storage_mb`, `code`, \
         `layers`, `invoke`, `allowed_outbound_hosts`, `url`, `auto_publish_alias` (did you mean `memory_mb`?)"
    );
}

#[test]
fn unknown_function_field_without_suggestion() {
    assert_eq!(
        with("architectures = [\"arm64\"]\n"),
        "fnhost.toml:5: unknown field `architectures` in function `hello`; expected one of \
         `description`, `source`, `build`, `runtime`, `handler`, `memory_mb`, `timeout_s`, `fuel`, \
         `reserved_concurrency`, `env`, `http`, `objects`, `async`, `s3`, `schedule`, `ephemeral_storage_mb`, `code`, \
         `layers`, `invoke`, `allowed_outbound_hosts`, `url`, `auto_publish_alias`"
    );
}

#[test]
fn unknown_top_level_section() {
    assert_eq!(
        error("manifest_version = 1\n\n[functions.hello]\nsource = \"hello.wasm\"\n"),
        "fnhost.toml:3: unknown field `functions` at the top level; expected one of \
         `manifest_version`, `function`, `http`, `bucket`, `events`, `cluster`, `store`, `layer`, `network`, \
         `route` (did you mean `function`?)"
    );
}

#[test]
fn unknown_build_field() {
    assert_eq!(
        with("build = { cmd = \"make\" }\n"),
        "fnhost.toml:5: unknown field `cmd` in `build` of function `hello`; expected one of \
         `command`, `workdir`, `watch`"
    );
}

#[test]
fn wrong_type() {
    assert_eq!(
        with("memory_mb = \"big\"\n"),
        "fnhost.toml:5: function `hello`: memory_mb: invalid type: string \"big\", expected an integer"
    );
}

#[test]
fn float_for_an_integer() {
    assert_eq!(
        with("timeout_s = 1.5\n"),
        "fnhost.toml:5: function `hello`: timeout_s: invalid type: float `1.5`, expected an integer"
    );
}

#[test]
fn wrong_build_type() {
    assert_eq!(
        with("build = 5\n"),
        "fnhost.toml:5: function `hello`: build: invalid type: integer `5`, \
         expected a command string or a table with `command`"
    );
}

#[test]
fn env_that_is_not_a_table() {
    assert_eq!(
        with("env = [\"A=1\"]\n"),
        "fnhost.toml:5: function `hello`: env: invalid type: array, expected a table"
    );
}

#[test]
fn watch_that_is_not_an_array() {
    assert_eq!(
        with("build = { command = \"make\", watch = \"src/*.rs\" }\n"),
        "fnhost.toml:5: function `hello`: build.watch: invalid type: string \"src/*.rs\", \
         expected an array"
    );
}

#[test]
fn function_that_is_not_a_table() {
    assert_eq!(
        error("manifest_version = 1\nfunction.hello = \"hello.wasm\"\n"),
        "fnhost.toml:2: function `hello`: invalid type: string \"hello.wasm\", expected a table"
    );
}

#[test]
fn missing_source() {
    assert_eq!(
        error("manifest_version = 1\n\n[function.hello]\nmemory_mb = 256\n"),
        "fnhost.toml:3: function `hello`: missing `source`; add `source = \"path/to/hello.wasm\"`"
    );
}

#[test]
fn missing_build_command() {
    assert_eq!(
        with("build = { workdir = \"functions/hello\" }\n"),
        "fnhost.toml:5: function `hello`: build: missing `command`; \
         add `command = \"cargo build --target wasm32-wasip2 -p hello\"`"
    );
}

/// A host that only runs uploads: a manifest may declare nothing (`fnhost up` then serves
/// the API alone).
#[test]
fn no_functions_is_an_empty_host() {
    for text in [
        "manifest_version = 1\n",
        "manifest_version = 1\nfunction = {}\n",
    ] {
        let manifest = Manifest::parse(text, Path::new("fnhost.toml")).unwrap();
        assert!(manifest.functions.is_empty() && manifest.buckets.is_empty());
    }
    let empty = Manifest::empty(Path::new("/srv/fnhost"));
    assert_eq!(empty.dir, Path::new("/srv/fnhost"));
    assert!(empty.functions.is_empty());
}
