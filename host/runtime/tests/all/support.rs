//! Fixtures: the guests under `functions/`, built once per test run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use fnhost_runtime::{
    EngineSettings, Function, FunctionSpec, Invocation, InvokeRequest, Runtime, RuntimeConfig,
};

/// Every guest crate the tests use.
const GUESTS: &[&str] = &[
    "hello",
    "greet-query",
    "s3-logger",
    "context-echo",
    "cpu-burn",
    "fails",
    "custom-echo",
    "hostile-loop",
    "hostile-memory",
    "hostile-recursion",
    "hostile-panic",
    "hostile-log-flood",
    "hostile-huge-response",
    "hostile-sleep",
];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// Build all guests once (the `guest` profile has its own build lock, so this works while
/// cargo runs the tests) and return the output directory.
fn guest_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = workspace();
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&root)
            .args(["build", "--profile", "guest", "--target", "wasm32-wasip2"]);
        for g in GUESTS {
            cmd.args(["-p", g]);
        }
        let status = cmd.status().expect("run cargo to build the guests");
        assert!(
            status.success(),
            "building the guests failed (is the wasm32-wasip2 target installed?)"
        );
        root.join("target/wasm32-wasip2/guest")
    })
}

/// Path of a built guest by crate name.
pub fn wasm(name: &str) -> PathBuf {
    let dir = guest_dir();
    let file = if name == "custom-echo" {
        format!("{name}.wasm")
    } else {
        format!("{}.wasm", name.replace('-', "_"))
    };
    dir.join(file)
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
    rt.load(spec, &wasm(crate_name))
        .unwrap_or_else(|e| panic!("load {crate_name}: {e}"))
}

pub async fn invoke(rt: &Runtime, f: &Function, event: &str) -> Invocation {
    rt.invoke(f, InvokeRequest::new(event.to_owned()))
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
