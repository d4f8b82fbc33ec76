//! Integration tests for `fnhost-manifest`: one binary, one module per area.

mod async_config;
mod buckets;
mod errors;
mod events;
mod example;
mod find;
mod http;
mod layers;
mod network;
mod objects;
mod parse;
mod routes;
mod runtimes;
mod s3;
mod schedules;
mod validation;

use std::path::Path;

use fnhost_manifest::{Manifest, ManifestError};

/// A valid manifest's first four lines; tests append to it, so their additions start on line 5.
const HEAD: &str = "manifest_version = 1\n\n[function.hello]\nsource = \"hello.wasm\"\n";

/// Parse `text` as `/proj/fnhost.toml`.
fn parse(text: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(text, Path::new("/proj/fnhost.toml"))
}

/// The error text for `text` parsed as `fnhost.toml`, checked to be one line.
fn error(text: &str) -> String {
    let message = Manifest::parse(text, Path::new("fnhost.toml"))
        .expect_err("manifest should be rejected")
        .to_string();
    assert!(!message.contains('\n'), "not one line: {message}");
    message
}

/// The error text for `HEAD` plus `extra` (which starts on line 5).
fn with(extra: &str) -> String {
    error(&format!("{HEAD}{extra}"))
}
