//! Per-event overhead: fnhost's full invoke path next to a bare wasmtime loop doing the same
//! work (new store, instantiate, call `handle` of `hello`) in the same run, plus fuel's cost on
//! a CPU-heavy function and how late the timeout fires for a CPU loop.
//!
//! The guests are built with the bench (`fnhost-test-programs`).

use std::path::Path;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use fnhost_runtime::{FunctionSpec, InvokeRequest, Runtime, RuntimeConfig};
use fnhost_test_programs::{CPU_BURN, HELLO, HOSTILE_LOOP, TMP_PROBE};

/// The allocator of the fnhost binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod bare {
    wasmtime::component::bindgen!({ world: "handler", path: "../../wit" });

    pub struct State {
        pub wasi: wasmtime_wasi::WasiCtx,
        pub table: wasmtime::component::ResourceTable,
    }
    impl wasmtime_wasi::WasiView for State {
        fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
            wasmtime_wasi::WasiCtxView {
                ctx: &mut self.wasi,
                table: &mut self.table,
            }
        }
    }
    impl fnhost::function::types::Host for State {}
    impl fnhost::function::runtime::Host for State {
        fn remaining_time_ms(&mut self) -> u64 {
            0
        }
    }
    use fnhost::function::objects::{ObjectError, ObjectInfo};
    fn denied<T>() -> Result<T, ObjectError> {
        Err(ObjectError::AccessDenied("bare".into()))
    }
    impl fnhost::function::objects::Host for State {
        fn get_object(
            &mut self,
            _: String,
            _: String,
            _: Option<(u64, u64)>,
        ) -> Result<Vec<u8>, ObjectError> {
            denied()
        }
        fn put_object(
            &mut self,
            _: String,
            _: String,
            _: Vec<u8>,
        ) -> Result<ObjectInfo, ObjectError> {
            denied()
        }
        fn head_object(&mut self, _: String, _: String) -> Result<ObjectInfo, ObjectError> {
            denied()
        }
        fn delete_object(&mut self, _: String, _: String) -> Result<(), ObjectError> {
            denied()
        }
        fn list_objects(
            &mut self,
            _: String,
            _: String,
            _: Option<String>,
            _: u32,
        ) -> Result<Vec<ObjectInfo>, ObjectError> {
            denied()
        }
        fn copy_object(
            &mut self,
            _: String,
            _: String,
            _: String,
            _: String,
        ) -> Result<ObjectInfo, ObjectError> {
            denied()
        }
    }
    use fnhost::function::functions::{InvocationType, InvokeError, InvokeResponse};
    impl fnhost::function::functions::Host for State {
        fn invoke(
            &mut self,
            _: String,
            _: Option<String>,
            _: InvocationType,
            _: Vec<u8>,
            _: bool,
        ) -> Result<InvokeResponse, InvokeError> {
            Err(InvokeError::AccessDenied("bare".into()))
        }
    }
}

/// `hello` linked the plain way: WASI p2 (sync) and the world's imports.
fn bare_pre(engine: &wasmtime::Engine) -> bare::HandlerPre<bare::State> {
    let component = wasmtime::component::Component::from_file(engine, HELLO).unwrap();
    let mut linker = wasmtime::component::Linker::<bare::State>::new(engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    bare::Handler::add_to_linker::<bare::State, wasmtime::component::HasSelf<bare::State>>(
        &mut linker,
        |s| s,
    )
    .unwrap();
    bare::HandlerPre::new(linker.instantiate_pre(&component).unwrap()).unwrap()
}

const EVENT: &str = r#"{"name":"bench"}"#;

fn per_event(c: &mut Criterion) {
    let mut group = c.benchmark_group("per-event");

    // Bare: wasmtime's defaults, sync, linked once, nothing but WASI and the call.
    let engine = wasmtime::Engine::default();
    let pre = bare_pre(&engine);
    let ctx = bare::fnhost::function::types::Context {
        request_id: "r".into(),
        function_name: "hello".into(),
        function_version: "$LATEST".into(),
        invoked_function_arn: "arn".into(),
        memory_limit_mb: 128,
        deadline_ms: 0,
        log_group_name: "g".into(),
        log_stream_name: "s".into(),
    };
    group.bench_function("bare-wasmtime", |b| {
        b.iter(|| {
            let state = bare::State {
                wasi: wasmtime_wasi::WasiCtx::builder().build(),
                table: wasmtime::component::ResourceTable::new(),
            };
            let mut store = wasmtime::Store::new(&engine, state);
            let h = pre.instantiate(&mut store).unwrap();
            h.call_handle(&mut store, EVENT, &ctx).unwrap().unwrap()
        })
    });

    // fnhost: the whole invoke path (limits, epoch deadline, log capture, report).
    let state = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    let hello = runtime
        .load(FunctionSpec::new("hello"), Path::new(HELLO))
        .unwrap();

    // Bare again, but on fnhost's engine (pooling, keep-resident, epochs): what is left is
    // fnhost's per-event work on top of wasmtime.
    let engine = hello.engine().clone();
    let pre = bare_pre(&engine);
    group.bench_function("bare-wasmtime-fnhost-engine", |b| {
        b.iter(|| {
            let state = bare::State {
                wasi: wasmtime_wasi::WasiCtx::builder().build(),
                table: wasmtime::component::ResourceTable::new(),
            };
            let mut store = wasmtime::Store::new(&engine, state);
            store.set_epoch_deadline(u64::MAX / 2);
            let h = pre.instantiate(&mut store).unwrap();
            h.call_handle(&mut store, EVENT, &ctx).unwrap().unwrap()
        })
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    group.bench_function("fnhost-invoke", |b| {
        b.iter(|| {
            let done = rt
                .block_on(runtime.invoke(
                    &hello,
                    InvokeRequest::new(EVENT, fnhost_runtime::Trigger::Cli),
                ))
                .unwrap();
            assert!(done.outcome.is_ok());
            done
        })
    });
    // /tmp: a guest that only looks at it (no directory is created) and one that writes a
    // small file (its directory is created, then removed before the answer).
    let probe = runtime
        .load(FunctionSpec::new("tmp-probe"), Path::new(TMP_PROBE))
        .unwrap();
    for (name, event) in [
        ("tmp-probe-list", r#"{"list":"/tmp"}"#),
        (
            "tmp-probe-write-small",
            r#"{"text":{"path":"/tmp/x","data":"hello"}}"#,
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let done = rt
                    .block_on(runtime.invoke(
                        &probe,
                        InvokeRequest::new(event, fnhost_runtime::Trigger::Cli),
                    ))
                    .unwrap();
                assert!(done.outcome.is_ok());
                done
            })
        });
    }
    group.finish();

    // Fuel's cost on a CPU-heavy function: same code, metered and not.
    let mut group = c.benchmark_group("fuel-cost");
    group.sample_size(20);
    let burn = r#"{"n":300000}"#;
    let plain = runtime
        .load(FunctionSpec::new("cpu-burn"), Path::new(CPU_BURN))
        .unwrap();
    let mut spec = FunctionSpec::new("cpu-burn");
    spec.fuel = Some(u64::MAX / 2);
    let metered = runtime.load(spec, Path::new(CPU_BURN)).unwrap();
    for (name, f) in [("unmetered", &plain), ("metered", &metered)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                rt.block_on(
                    runtime.invoke(f, InvokeRequest::new(burn, fnhost_runtime::Trigger::Cli)),
                )
                .unwrap()
            })
        });
    }
    group.finish();
}

/// How long after its deadline a CPU loop is stopped (not a criterion bench: one number each).
fn timeout_lateness() {
    let state = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    let mut spec = FunctionSpec::new("hostile-loop");
    spec.timeout = Duration::from_secs(1);
    let f = runtime.load(spec, Path::new(HOSTILE_LOOP)).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut late = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let done = rt
            .block_on(runtime.invoke(&f, InvokeRequest::new("{}", fnhost_runtime::Trigger::Cli)))
            .unwrap();
        assert_eq!(done.outcome.error_type(), Some("Sandbox.Timedout"));
        late.push(started.elapsed().saturating_sub(Duration::from_secs(1)));
    }
    late.sort();
    println!(
        "timeout lateness (CPU loop, 1 s timeout, 5 runs): min {:?} median {:?} max {:?}",
        late[0], late[2], late[4]
    );
}

criterion_group!(benches, per_event);

fn main() {
    timeout_lateness();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
