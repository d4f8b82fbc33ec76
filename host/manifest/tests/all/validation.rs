//! The exact text users read when a value fits the schema but not the rules: names, ranges,
//! paths, build settings, env and function lookup.

use std::path::Path;

use fnhost_manifest::Manifest;

use crate::{HEAD, error, with};

#[test]
fn name_too_long() {
    let name = "a".repeat(65);
    assert_eq!(
        error(&format!(
            "manifest_version = 1\n[function.{name}]\nsource = \"a.wasm\"\n"
        )),
        format!(
            "fnhost.toml:2: invalid function name `{name}`; use 1 to 64 letters, digits, `-` or `_`"
        )
    );
}

#[test]
fn name_with_path_separator() {
    assert_eq!(
        error("manifest_version = 1\n[function.\"../x\"]\nsource = \"x.wasm\"\n"),
        "fnhost.toml:2: invalid function name `../x`; use 1 to 64 letters, digits, `-` or `_`"
    );
}

#[test]
fn name_with_space() {
    assert_eq!(
        error("manifest_version = 1\n[function.\"hello world\"]\nsource = \"x.wasm\"\n"),
        "fnhost.toml:2: invalid function name `hello world`; use 1 to 64 letters, digits, `-` or `_`"
    );
}

#[test]
fn empty_name() {
    assert_eq!(
        error("manifest_version = 1\n[function.\"\"]\nsource = \"x.wasm\"\n"),
        "fnhost.toml:2: invalid function name ``; use 1 to 64 letters, digits, `-` or `_`"
    );
}

const MEMORY_FIX: &str =
    "use 128 to 10240 (MB, Lambda's limits; wasm32 guests can use at most 4096)";

#[test]
fn memory_below_minimum() {
    assert_eq!(
        with("memory_mb = 127\n"),
        format!("fnhost.toml:5: function `hello`: memory_mb = `127` is out of range; {MEMORY_FIX}")
    );
}

#[test]
fn memory_above_maximum() {
    assert_eq!(
        with("memory_mb = 10241\n"),
        format!(
            "fnhost.toml:5: function `hello`: memory_mb = `10241` is out of range; {MEMORY_FIX}"
        )
    );
}

#[test]
fn memory_negative() {
    assert_eq!(
        with("memory_mb = -1\n"),
        format!("fnhost.toml:5: function `hello`: memory_mb = `-1` is out of range; {MEMORY_FIX}")
    );
}

#[test]
fn timeout_zero() {
    assert_eq!(
        with("timeout_s = 0\n"),
        "fnhost.toml:5: function `hello`: timeout_s = `0` is out of range; \
         use 1 to 900 (seconds, Lambda's limits)"
    );
}

#[test]
fn timeout_above_maximum() {
    assert_eq!(
        with("timeout_s = 901\n"),
        "fnhost.toml:5: function `hello`: timeout_s = `901` is out of range; \
         use 1 to 900 (seconds, Lambda's limits)"
    );
}

#[test]
fn fuel_zero() {
    assert_eq!(
        with("fuel = 0\n"),
        "fnhost.toml:5: function `hello`: fuel = `0` is out of range; \
         use a positive number, or remove `fuel` to run unmetered"
    );
}

#[test]
fn source_not_wasm() {
    assert_eq!(
        error("manifest_version = 1\n[function.hello]\nsource = \"src/main.rs\"\n"),
        "fnhost.toml:3: function `hello`: source = `src/main.rs` is not a `.wasm` or `.wat` file; \
         point it at the compiled module or component"
    );
}

#[test]
fn empty_build_command() {
    assert_eq!(
        with("build = \"  \"\n"),
        "fnhost.toml:5: function `hello`: build command is empty; \
         write the command that produces `source`, or remove `build`"
    );
}

#[test]
fn invalid_watch_glob() {
    assert_eq!(
        with("build = { command = \"make\", watch = [\"src/**/*.rs\", \"src/[a.rs\"] }\n"),
        "fnhost.toml:5: function `hello`: watch glob `src/[a.rs` is invalid at character 4 \
         (invalid range pattern); fix the pattern, e.g. `src/**/*.rs`"
    );
}

#[test]
fn env_key_invalid() {
    assert_eq!(
        with("env = { \"1ST\" = \"x\" }\n"),
        "fnhost.toml:5: function `hello`: env key `1ST` is invalid; use at least two \
         characters, start with a letter and use only letters, digits and `_`"
    );
}

/// Lambda's pattern is `[a-zA-Z]([a-zA-Z0-9_])+`: a single letter is refused here as the API
/// refuses it (`config::tests::env_names_follow_lambdas_rule` in fnhost-api checks that side;
/// both call `fnhost_core::check_env_key`).
#[test]
fn env_key_of_one_letter_is_invalid() {
    assert_eq!(
        with("env = { \"A\" = \"x\" }\n"),
        "fnhost.toml:5: function `hello`: env key `A` is invalid; use at least two \
         characters, start with a letter and use only letters, digits and `_`"
    );
}

#[test]
fn env_key_reserved_by_lambda() {
    assert_eq!(
        with("env = { AWS_REGION = \"eu-west-1\" }\n"),
        "fnhost.toml:5: function `hello`: env key `AWS_REGION` is reserved by the Lambda runtime; \
         rename it"
    );
}

#[test]
fn env_key_with_reserved_lambda_prefix() {
    assert_eq!(
        with("\n[function.hello.env]\nAWS_LAMBDA_FUNCTION_NAME = \"x\"\n"),
        "fnhost.toml:7: function `hello`: env key `AWS_LAMBDA_FUNCTION_NAME` is reserved by \
         the Lambda runtime; rename it"
    );
}

#[test]
fn env_key_reserved_by_fnhost() {
    assert_eq!(
        with("env = { FNHOST_LOG = \"debug\" }\n"),
        "fnhost.toml:5: function `hello`: env key `FNHOST_LOG` is reserved by fnhost; rename it"
    );
}

#[test]
fn env_too_large() {
    // `{"KK":"…"}` is 9 bytes of JSON around the value.
    let value = "v".repeat(4088);
    assert_eq!(
        with(&format!("env = {{ KK = \"{value}\" }}\n")),
        "fnhost.toml:5: function `hello`: env of `4097` bytes exceeded the 4KB limit \
         (4096 bytes of JSON); shorten or remove variables"
    );
}

#[test]
fn unknown_function() {
    let text = format!("{HEAD}\n[function.greet-query]\nsource = \"greet.wasm\"\n");
    let manifest = Manifest::parse(&text, Path::new("fnhost.toml")).unwrap();
    assert_eq!(
        manifest.function("nope").unwrap_err().to_string(),
        "no function `nope` in fnhost.toml; known functions: `greet-query`, `hello`"
    );
    assert_eq!(
        manifest.function("helo").unwrap_err().to_string(),
        "no function `helo` in fnhost.toml; known functions: `greet-query`, `hello` \
         (did you mean `hello`?)"
    );
}
