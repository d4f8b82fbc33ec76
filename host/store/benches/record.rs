//! The invocation recorder's write: `Store::record` of a batch of 512 records (the recorder's
//! batch size), each with a realistic 4-line, ~400-byte START / guest line / END / REPORT log,
//! into a temporary database that grows as the bench runs (every request id is fresh).
//! Throughput is per record; at 30,000 invocations/s the recorder has 33 µs per record in all.
//! Then `Store::invocation` lookups of a record 1, 10,000 and 100,000 records back.
//!
//! `cargo bench -p fnhost-store --bench record`

use std::cell::Cell;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use fnhost_store::{Durability, InvocationRecord, RECORDER_BATCH, Store};

/// Functions the records spread over, as on a host serving a few routes.
const FUNCTIONS: [&str; 4] = ["thumbnail", "hello", "greet-query", "word-filter"];

/// A UUID-shaped request id, distinct for every `n` and spread over the key space like a v4
/// UUID (so the request-id index sees random inserts, not appends).
fn request_id(n: u64) -> String {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (n >> 7);
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        n & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// The record of invocation `n`, logged as the runtime logs it.
fn record(n: u64) -> InvocationRecord {
    let id = request_id(n);
    let function = FUNCTIONS[(n % FUNCTIONS.len() as u64) as usize];
    let log = format!(
        "START RequestId: {id} Version: $LATEST\n\
         2024-01-01T00:00:00.000Z\t{id}\tINFO\tresized incoming/file-{n:08}.png to 128x128\n\
         END RequestId: {id}\n\
         REPORT RequestId: {id}\tDuration: 12.34 ms\tBilled Duration: 13 ms\t\
         Memory Size: 128 MB\tMax Memory Used: 20 MB\tFuel Consumed: 1234567\t\n"
    );
    InvocationRecord {
        request_id: id,
        function: function.to_owned(),
        version: "$LATEST".to_owned(),
        trigger: fnhost_core::Trigger::Http,
        started_at_ms: 1_700_000_000_000 + n / 30,
        duration_ms: 12.34,
        billed_ms: 13,
        memory_mb: 128,
        max_memory_used_mb: 20,
        fuel: Some(1_234_567),
        error_type: None,
        log,
    }
}

fn record_batches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_with(&dir.path().join("record.db"), Durability::Normal)
        .expect("open the bench database");
    let next = Cell::new(0_u64);
    let batch = || {
        let first = next.get();
        next.set(first + RECORDER_BATCH as u64);
        (first..first + RECORDER_BATCH as u64)
            .map(record)
            .collect::<Vec<_>>()
    };
    let sample = record(0);
    assert!(
        (350..=450).contains(&sample.log.len()) && sample.log.lines().count() == 4,
        "the bench log should be ~400 bytes in 4 lines: {} bytes",
        sample.log.len()
    );

    let mut group = c.benchmark_group("record");
    group.throughput(Throughput::Elements(RECORDER_BATCH as u64));
    group.bench_function("batch_512_4_line_logs", |b| {
        b.iter_batched(
            batch,
            |records| store.record(&records).expect("record"),
            BatchSize::PerIteration,
        );
    });
    group.finish();
    let written = next.get();
    eprintln!("record bench: {written} records written");

    // `Store::invocation` walks the start-time index from the newest record: the cost grows
    // with how many were recorded since the one looked up.
    let mut group = c.benchmark_group("invocation");
    for back in [1, 10_000, 100_000] {
        let Some(n) = written.checked_sub(back) else {
            continue;
        };
        let id = request_id(n);
        group.bench_function(format!("lookup_{back}_back_of_{written}"), |b| {
            b.iter(|| {
                let found = store.invocation(&id).expect("lookup");
                assert!(found.is_some_and(|r| r.request_id == id));
            });
        });
    }
    group.finish();
}

criterion_group!(benches, record_batches);
criterion_main!(benches);
