//! Manifests that are accepted, and what they turn into.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fnhost_manifest::{
    AsyncConfig, BuildConfig, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, FunctionConfig, MAX_MEMORY_MB,
    MAX_TIMEOUT_S, MIN_MEMORY_MB, MIN_TIMEOUT_S, Manifest, ObjectGrants, Runtime,
};

use crate::{HEAD, parse};

/// The single function of `HEAD` plus `extra`.
fn hello(extra: &str) -> FunctionConfig {
    let manifest = parse(&format!("{HEAD}{extra}")).unwrap();
    manifest.function("hello").unwrap().clone()
}

#[test]
fn full_manifest() {
    let text = r#"
manifest_version = 1

[function.hello]
description = "says hello"
source = "target/wasm32-wasip2/guest/hello.wasm"
build = "cargo build --profile guest --target wasm32-wasip2 -p hello"
memory_mb = 256
timeout_s = 30
fuel = 5_000_000
reserved_concurrency = 10
env = { GREETING = "hi", lang_2 = "en" }

[function.greet-query]
source = "greet.wat"
build = { command = "make", workdir = "functions/greet", watch = ["functions/greet/src/**/*.rs", "wit/*.wit"] }
"#;
    let manifest = parse(text).unwrap();
    assert_eq!(manifest.path, Path::new("/proj/fnhost.toml"));
    assert_eq!(manifest.dir, Path::new("/proj"));

    let hello = FunctionConfig {
        name: "hello".to_owned(),
        description: Some("says hello".to_owned()),
        source: PathBuf::from("/proj/target/wasm32-wasip2/guest/hello.wasm"),
        build: Some(BuildConfig {
            command: "cargo build --profile guest --target wasm32-wasip2 -p hello".to_owned(),
            workdir: PathBuf::from("/proj"),
            watch: vec![],
        }),
        memory_mb: 256,
        timeout_s: 30,
        fuel: Some(5_000_000),
        reserved_concurrency: Some(10),
        env: BTreeMap::from([
            ("GREETING".to_owned(), "hi".to_owned()),
            ("lang_2".to_owned(), "en".to_owned()),
        ]),
        http: vec![],
        objects: ObjectGrants::default(),
        async_config: AsyncConfig::default(),
        s3: vec![],
        schedules: vec![],
        ephemeral_storage_mb: 512,
        code: None,
        runtime: Runtime::Wasm,
        handler: None,
        layers: vec![],
        invoke: vec![],
        allowed_outbound_hosts: Default::default(),
        url: None,
        auto_publish_alias: None,
    };
    let greet = FunctionConfig {
        name: "greet-query".to_owned(),
        description: None,
        source: PathBuf::from("/proj/greet.wat"),
        build: Some(BuildConfig {
            command: "make".to_owned(),
            workdir: PathBuf::from("/proj/functions/greet"),
            watch: vec![
                "functions/greet/src/**/*.rs".to_owned(),
                "wit/*.wit".to_owned(),
            ],
        }),
        memory_mb: DEFAULT_MEMORY_MB,
        timeout_s: DEFAULT_TIMEOUT_S,
        fuel: None,
        reserved_concurrency: None,
        env: BTreeMap::new(),
        http: vec![],
        objects: ObjectGrants::default(),
        async_config: AsyncConfig::default(),
        s3: vec![],
        schedules: vec![],
        ephemeral_storage_mb: 512,
        code: None,
        runtime: Runtime::Wasm,
        handler: None,
        layers: vec![],
        invoke: vec![],
        allowed_outbound_hosts: Default::default(),
        url: None,
        auto_publish_alias: None,
    };
    let expected = BTreeMap::from([
        ("greet-query".to_owned(), greet),
        ("hello".to_owned(), hello),
    ]);
    assert_eq!(manifest.functions, expected);
}

#[test]
fn defaults() {
    let hello = hello("");
    assert_eq!(hello.description, None);
    assert_eq!(hello.source, Path::new("/proj/hello.wasm"));
    assert_eq!(hello.build, None);
    assert_eq!((hello.memory_mb, hello.timeout_s), (128, 3));
    assert_eq!(hello.fuel, None);
    assert_eq!(hello.reserved_concurrency, None);
    assert!(hello.env.is_empty());
    assert!(hello.http.is_empty());
    assert_eq!(hello.objects, ObjectGrants::default());
    assert_eq!(hello.async_config, AsyncConfig::default());
    assert!(hello.s3.is_empty());
    assert!(hello.schedules.is_empty());
}

#[test]
fn build_table_defaults() {
    let build = hello("build = { command = \"make\" }\n").build.unwrap();
    assert_eq!(build.workdir, Path::new("/proj"));
    assert!(build.watch.is_empty());
}

#[test]
fn inline_function_table() {
    let text = "manifest_version = 1\nfunction.hello = { source = \"h.wasm\", timeout_s = 9 }\n";
    assert_eq!(parse(text).unwrap().function("hello").unwrap().timeout_s, 9);
}

#[test]
fn env_header_table() {
    let env = hello("\n[function.hello.env]\nAB = \"1\"\n").env;
    assert_eq!(env, BTreeMap::from([("AB".to_owned(), "1".to_owned())]));
}

#[test]
fn relative_manifest_path_resolves_against_the_current_directory() {
    let manifest = Manifest::parse(HEAD, Path::new("fnhost.toml")).unwrap();
    let cwd = std::env::current_dir().unwrap();
    assert_eq!(manifest.path, Path::new("fnhost.toml"));
    assert_eq!(manifest.dir, cwd);
    assert_eq!(manifest.functions["hello"].source, cwd.join("hello.wasm"));
}

#[test]
fn load_reads_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.toml");
    std::fs::write(&path, HEAD).unwrap();
    let manifest = Manifest::load(&path).unwrap();
    assert_eq!(manifest.dir, dir.path());
    assert_eq!(
        manifest.functions["hello"].source,
        dir.path().join("hello.wasm")
    );
}

#[test]
fn memory_boundaries() {
    assert_eq!(hello("memory_mb = 128\n").memory_mb, MIN_MEMORY_MB);
    assert_eq!(hello("memory_mb = 10240\n").memory_mb, MAX_MEMORY_MB);
}

#[test]
fn timeout_boundaries() {
    assert_eq!(hello("timeout_s = 1\n").timeout_s, MIN_TIMEOUT_S);
    assert_eq!(hello("timeout_s = 900\n").timeout_s, MAX_TIMEOUT_S);
}

#[test]
fn smallest_fuel() {
    assert_eq!(hello("fuel = 1\n").fuel, Some(1));
}

#[test]
fn longest_name() {
    let name = format!("a-_{}", "b".repeat(61));
    let manifest = parse(&format!(
        "manifest_version = 1\n[function.{name}]\nsource = \"a.wasm\"\n"
    ));
    assert!(manifest.unwrap().function(&name).is_ok());
}

#[test]
fn env_at_the_size_limit() {
    // `{"KK":"…"}`: 9 bytes of JSON plus the value.
    let value = "v".repeat(4087);
    let env = hello(&format!("env = {{ KK = \"{value}\" }}\n")).env;
    assert_eq!(env["KK"].len(), 4087);
}

#[test]
fn each_function_keeps_the_line_of_its_table() {
    let text = format!("{HEAD}\n[function.later]\nsource = \"later.wasm\"\n");
    let manifest = parse(&text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    assert_eq!(
        manifest.function_lines["hello"],
        line_of("[function.hello]")
    );
    assert_eq!(
        manifest.function_lines["later"],
        line_of("[function.later]")
    );
}
