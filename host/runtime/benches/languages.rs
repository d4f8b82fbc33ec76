//! Per-event cost of the hello function in each guest language, through fnhost's whole invoke
//! path (new store, instantiate, call, drop), and how fast a restarted host answers its first
//! Python event when the compiled artifact is already cached.
//!
//! Needs the Python, JavaScript and C guests built by `bash .ci/guests.sh` (the Rust one is
//! built with the bench). Run with `cargo bench -p fnhost-runtime --bench languages`.
//!
//! Goals (issue #6): Python hello <= 1.5 ms per event, QuickJS <= 0.3 ms, restart to first
//! Python response < 50 ms.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use fnhost_runtime::{CacheStatus, FunctionSpec, InvokeRequest, Runtime, RuntimeConfig};
use fnhost_test_programs::{C_HELLO, HELLO, JS_HELLO, PYTHON_HELLO, built};

/// The allocator of the fnhost binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (label, wasm) of each hello; a missing one fails with how to build it. Baselines for a
/// same-run comparison come from `FNHOST_BENCH_BASELINES="python-before=/tmp/old.wasm,..."`
/// (the same function packaged at an older revision).
fn hellos() -> Vec<(String, PathBuf)> {
    let mut hellos: Vec<(String, PathBuf)> = [
        ("rust", HELLO),
        ("c", C_HELLO),
        ("js-quickjs", JS_HELLO),
        ("python", PYTHON_HELLO),
    ]
    .into_iter()
    .map(|(label, wasm)| (label.to_owned(), built(wasm).to_path_buf()))
    .collect();
    let baselines = std::env::var("FNHOST_BENCH_BASELINES").unwrap_or_default();
    for pair in baselines.split(',').filter(|p| !p.is_empty()) {
        let (label, path) = pair
            .split_once('=')
            .expect("FNHOST_BENCH_BASELINES: label=path,label=path");
        hellos.push((label.to_owned(), PathBuf::from(path)));
    }
    hellos
}

const EVENT: &str = r#"{"name":"bench"}"#;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Sizes, cold compile times and first calls: one number each, printed.
fn one_shots(state: &Path) {
    let tokio = rt();
    println!("guest sizes and compile (cold cache, Cranelift, this machine):");
    for (label, wasm) in hellos() {
        let runtime = Runtime::new(RuntimeConfig::new(state));
        let size = std::fs::metadata(&wasm).unwrap().len();
        let started = Instant::now();
        let f = runtime
            .load(FunctionSpec::new(label.as_str()), &wasm)
            .unwrap();
        let load = started.elapsed();
        let artifact = std::fs::read_dir(state.join("artifacts"))
            .unwrap()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).unwrap().flatten())
            .find(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&f.info().sha256)
            })
            .map_or(0, |e| e.metadata().unwrap().len());
        let started = Instant::now();
        let done = tokio
            .block_on(runtime.invoke(&f, InvokeRequest::new(EVENT, fnhost_runtime::Trigger::Cli)))
            .unwrap();
        assert!(done.outcome.is_ok(), "{label}: {:?}", done.outcome);
        println!(
            "  {label:<11} wasm {:>6.2} MB  artifact {:>6.2} MB  compile+link {:>10}  first call {:>9}",
            size as f64 / 1e6,
            artifact as f64 / 1e6,
            ms(load),
            ms(started.elapsed()),
        );
    }
}

/// A host restarted with a warm artifact cache: new runtime (engines), load from the cache,
/// first event. In-process, so it excludes exec and the CLI's own start-up.
fn restart_to_first_response(state: &Path) {
    let wasm = built(PYTHON_HELLO);
    let tokio = rt();
    let mut runs = Vec::new();
    for _ in 0..15 {
        let started = Instant::now();
        let runtime = Runtime::new(RuntimeConfig::new(state));
        let f = runtime
            .load(FunctionSpec::new("python-hello"), wasm)
            .unwrap();
        assert_eq!(f.info().cache, CacheStatus::Hit);
        let loaded = started.elapsed();
        let done = tokio
            .block_on(runtime.invoke(&f, InvokeRequest::new(EVENT, fnhost_runtime::Trigger::Cli)))
            .unwrap();
        assert!(done.outcome.is_ok());
        runs.push((started.elapsed(), loaded, done.report.duration));
        drop(f);
        drop(runtime);
    }
    runs.sort();
    let (total, load, first) = runs[runs.len() / 2];
    println!(
        "restart to first Python response (warm cache, 15 runs): median {} (engine+load {} + first event {}), min {}, max {}",
        ms(total),
        ms(load),
        ms(first),
        ms(runs[0].0),
        ms(runs[runs.len() - 1].0),
    );
}

fn per_event(c: &mut Criterion) {
    let state = tempfile::tempdir().unwrap();
    one_shots(state.path());
    restart_to_first_response(state.path());

    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    let tokio = rt();
    let mut group = c.benchmark_group("hello-per-event");
    for (label, wasm) in hellos() {
        let f = runtime
            .load(FunctionSpec::new(label.as_str()), &wasm)
            .unwrap();
        // The first call per function pays page faults of its memory image; steady state after.
        tokio
            .block_on(runtime.invoke(&f, InvokeRequest::new(EVENT, fnhost_runtime::Trigger::Cli)))
            .unwrap();
        group.bench_function(label.as_str(), |b| {
            b.iter(|| {
                let done = tokio
                    .block_on(
                        runtime.invoke(&f, InvokeRequest::new(EVENT, fnhost_runtime::Trigger::Cli)),
                    )
                    .unwrap();
                assert!(done.outcome.is_ok());
                done
            })
        });
    }
    group.finish();
}

criterion_group!(benches, per_event);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
