//! Outbound HTTP's cost: a GET to a local server from a guest (`functions/http-fetch`, a whole
//! invocation through fnhost's invoke path: fresh instance, allow-list check, connect,
//! request, response) next to a native reqwest GET of the same URL, in the same run —
//! latency by criterion, then throughput with 32 requests in flight, printed as a ratio.
//!
//! The guest opens a new connection per invocation (a fresh instance keeps nothing), so the
//! fair native baseline is reqwest without its connection pool; the pooled figure is shown
//! too. Run with `cargo bench -p fnhost-runtime --bench outbound`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use fnhost_runtime::{AllowedHosts, FunctionSpec, InvokeRequest, Runtime, RuntimeConfig, Trigger};
use fnhost_test_programs::{HTTP_FETCH, built};

/// A keep-alive HTTP/1.1 server answering every request with 13 bytes, on its own runtime.
fn server() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                            bytes::Bytes::from_static(b"hello, world!"),
                        )))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
    });
    addr
}

struct Setup {
    runtime: Arc<Runtime>,
    function: Arc<fnhost_runtime::Function>,
    url: String,
    event: String,
    _state: tempfile::TempDir,
}

fn setup() -> Setup {
    let addr = server();
    let url = format!("http://{addr}/");
    let state = tempfile::tempdir().unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeConfig::new(state.path())));
    let mut spec = FunctionSpec::new("fetch");
    spec.timeout = Duration::from_secs(30);
    spec.allowed_outbound_hosts =
        Arc::new(AllowedHosts::parse(&[format!("http://{addr}")]).unwrap());
    let function = Arc::new(runtime.load(spec, built(HTTP_FETCH)).unwrap());
    let event = serde_json::json!({ "url": url }).to_string();
    Setup {
        runtime,
        function,
        url,
        event,
        _state: state,
    }
}

async fn guest_get(s: &Setup) {
    let done = s
        .runtime
        .invoke(
            &s.function,
            InvokeRequest::new(s.event.clone(), Trigger::Cli),
        )
        .await
        .unwrap();
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
}

async fn native_get(client: &reqwest::Client, url: &str) {
    let body = client.get(url).send().await.unwrap().bytes().await.unwrap();
    assert_eq!(&body[..], b"hello, world!");
}

fn clients() -> [(&'static str, reqwest::Client); 2] {
    [
        (
            "reqwest-new-connection",
            reqwest::Client::builder()
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
        ),
        ("reqwest-pooled", reqwest::Client::new()),
    ]
}

fn latency(c: &mut Criterion) {
    let s = setup();
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("outbound-get");
    tokio.block_on(guest_get(&s));
    group.bench_function("guest-http-fetch", |b| {
        b.iter(|| tokio.block_on(guest_get(&s)))
    });
    for (label, client) in clients() {
        group.bench_function(label, |b| {
            b.iter(|| tokio.block_on(native_get(&client, &s.url)))
        });
    }
    group.finish();
}

criterion_group!(benches, latency);

/// Requests per second with `IN_FLIGHT` requests at a time.
fn throughput() {
    const IN_FLIGHT: usize = 32;
    const REQUESTS: usize = 3_000;
    let s = Arc::new(setup());
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let measure = |label: &str, one: Arc<dyn Fn() -> futures_like::Boxed + Send + Sync>| {
        let started = Instant::now();
        tokio.block_on(async {
            let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let workers: Vec<_> = (0..IN_FLIGHT)
                .map(|_| {
                    let (next, one) = (next.clone(), one.clone());
                    tokio::spawn(async move {
                        while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < REQUESTS {
                            one().await;
                        }
                    })
                })
                .collect();
            for w in workers {
                w.await.unwrap();
            }
        });
        let rate = REQUESTS as f64 / started.elapsed().as_secs_f64();
        println!("outbound-get throughput {label}: {rate:.0} requests/s ({IN_FLIGHT} in flight)");
        rate
    };
    let guest = {
        let s = s.clone();
        measure(
            "guest-http-fetch",
            Arc::new(move || {
                let s = s.clone();
                Box::pin(async move { guest_get(&s).await })
            }),
        )
    };
    for (label, client) in clients() {
        let url = s.url.clone();
        let native = measure(
            label,
            Arc::new(move || {
                let (client, url) = (client.clone(), url.clone());
                Box::pin(async move { native_get(&client, &url).await })
            }),
        );
        println!(
            "outbound-get throughput ratio guest/{label}: {:.2}",
            guest / native
        );
    }
}

mod futures_like {
    /// A boxed request future.
    pub type Boxed = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    throughput();
}
