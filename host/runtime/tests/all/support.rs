//! Fixtures: the guests under `functions/`, built once by `fnhost-test-programs`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fnhost_runtime::{
    EngineSettings, Function, FunctionSpec, Invocation, InvokeRequest, Runtime, RuntimeConfig,
};

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A guest by its directory under `functions/`.
pub fn wasm(name: &str) -> &'static Path {
    fnhost_test_programs::guest(name)
}

/// A runtime with a small pool over a fresh state directory.
pub fn runtime(state: &Path) -> Runtime {
    let mut config = RuntimeConfig::new(state);
    config.engine = EngineSettings {
        max_instances: 32,
        pooling: true,
    };
    Runtime::new(config)
}

pub fn spec(name: &str) -> FunctionSpec {
    FunctionSpec::new(name)
}

pub fn load(rt: &Runtime, spec: FunctionSpec, crate_name: &str) -> Function {
    rt.load(spec, wasm(crate_name))
        .unwrap_or_else(|e| panic!("load {crate_name}: {e}"))
}

pub async fn invoke(rt: &Runtime, f: &Function, event: &str) -> Invocation {
    rt.invoke(
        f,
        InvokeRequest::new(event.to_owned(), fnhost_runtime::Trigger::Cli),
    )
    .await
    .expect("event accepted")
}

pub fn json(inv: &Invocation) -> serde_json::Value {
    serde_json::from_slice(&inv.payload()).expect("payload is JSON")
}

/// The host stays usable: a normal invocation right after still succeeds.
pub async fn assert_healthy(rt: &Runtime) {
    let hello = load(rt, spec("hello"), "hello");
    let done = invoke(rt, &hello, r#"{"name":"again"}"#).await;
    assert!(
        done.outcome.is_ok(),
        "hello after a hostile guest: {:?}",
        done.outcome
    );
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}
