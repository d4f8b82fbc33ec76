//! Where the time of one HTTP request goes, in-process (no sockets, so no network noise):
//! `Runtime::invoke` of `hello` with an HTTP API event, against `App::handle` for
//! `GET /hello?name=bench` (routing, event building, admission, invoke, response mapping).
//!
//! The hello guest is built with the bench (`fnhost-test-programs`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use fnhost_dispatch::{Admission, AdmissionConfig, Deployed, Dispatcher, NoLogs, Registry};
use fnhost_http::{App, Router, ServerConfig};
use fnhost_manifest::Manifest;
use fnhost_runtime::{FunctionSpec, InvokeRequest, Runtime, RuntimeConfig};
use http_body_util::Full;

/// The allocator of the fnhost binary, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let wasm = Path::new(fnhost_test_programs::HELLO).to_path_buf();
    let state = tempfile::tempdir().unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeConfig::new(state.path())));
    let hello = runtime.load(FunctionSpec::new("hello"), &wasm).unwrap();

    let manifest = Manifest::parse(
        &format!(
            "manifest_version = 1\n[function.hello]\nsource = {:?}\n[[function.hello.http]]\nroute = \"/hello\"\n",
            wasm.to_string_lossy()
        ),
        &root.join("fnhost.toml"),
    )
    .unwrap();
    let admission = Arc::new(Admission::new(AdmissionConfig::default(), 0));
    let registry = Arc::new(Registry::new());
    registry.insert(
        "hello",
        Deployed {
            function: Arc::new(runtime.load(FunctionSpec::new("hello"), &wasm).unwrap()),
            gate: admission.gate(None),
            reserved_concurrency: None,
            origin: fnhost_dispatch::Origin::Manifest,
        },
    );
    let dispatcher = Arc::new(Dispatcher::new(
        runtime.clone(),
        registry,
        admission,
        Arc::new(NoLogs),
    ));
    let app = App::new(
        dispatcher,
        Router::from_manifest(&manifest, |_| true),
        ServerConfig::default(),
    );
    let remote: SocketAddr = "127.0.0.1:40000".parse().unwrap();

    // The event App::handle builds for the same request, so both rows run the same guest work.
    let event = {
        let mut r = fnhost_events::HttpRequest::new("GET", "/hello");
        r.query = "name=bench".into();
        r.route = Some("/hello".into());
        Bytes::from(
            serde_json::to_vec(&fnhost_events::http_event(
                &r,
                fnhost_events::PayloadVersion::V2,
            ))
            .unwrap(),
        )
    };

    let mut group = c.benchmark_group("http-path");
    group.bench_function("runtime-invoke", |b| {
        b.to_async(&rt).iter(|| async {
            let done = runtime
                .invoke(
                    &hello,
                    InvokeRequest::new(event.clone(), fnhost_runtime::Trigger::Cli),
                )
                .await
                .unwrap();
            assert!(done.outcome.is_ok());
        })
    });
    group.bench_function("app-handle", |b| {
        b.to_async(&rt).iter(|| async {
            let request = http::Request::get("/hello?name=bench")
                .header("host", "127.0.0.1:8080")
                .header("user-agent", "bench")
                .body(Full::new(Bytes::new()))
                .unwrap();
            let response = app.handle(request, remote).await;
            assert_eq!(response.status(), 200);
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
