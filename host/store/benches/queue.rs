//! The file-watch path through the queue: enqueue -> claim -> complete, 64 jobs per round, on a
//! temporary database file. Throughput is per job (event); the goal is >= 2,000 events/s on a
//! 2-core machine.
//!
//! `cargo bench -p fnhost-store --bench queue`

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use fnhost_store::{Checkpoint, CheckpointChange, Durability, NewJob, Store};

const BATCH: usize = 64;

/// A job with an S3-event-sized payload.
fn job(n: usize) -> NewJob {
    let payload = format!(
        r#"{{"Records":[{{"eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1","eventTime":"2024-01-01T00:00:00.000Z","eventName":"ObjectCreated:Put","s3":{{"s3SchemaVersion":"1.0","bucket":{{"name":"uploads","arn":"arn:aws:s3:::uploads"}},"object":{{"key":"incoming/file-{n:08}.png","size":123456,"eTag":"0123456789abcdef0123456789abcdef","sequencer":"{n:016X}"}}}}}}]}}"#
    );
    NewJob {
        function: "thumbnail".to_owned(),
        payload: payload.into_bytes(),
        trigger: fnhost_core::Trigger::S3,
        request_id: format!("6f1d0a52-3c4e-4b7a-9a1f-{n:012}"),
        max_attempts: 3,
        enqueued_at_ms: 1_000,
        expires_at_ms: 1_000 + 6 * 3_600_000,
        not_before_ms: 1_000,
        lineage: fnhost_core::Lineage::root(&format!("chain-{n}")),
    }
}

fn checkpoint(n: usize) -> CheckpointChange {
    CheckpointChange::Put(Checkpoint {
        bucket: "uploads".to_owned(),
        key: format!("incoming/file-{n:08}.png"),
        size: 123_456,
        mtime_ns: 1_700_000_000_000_000_000,
        etag: "0123456789abcdef0123456789abcdef".to_owned(),
        sequencer: format!("{n:016X}"),
    })
}

fn open(dir: &Path, name: &str, durability: Durability) -> Store {
    Store::open_with(&dir.join(name), durability).expect("open the bench database")
}

/// One round: enqueue the batch (with its checkpoints) in one transaction, claim 64, complete.
fn round(store: &Store, jobs: &[NewJob], checkpoints: &[CheckpointChange]) {
    store.enqueue(jobs, checkpoints).expect("enqueue");
    let claimed = store.claim(2_000, BATCH).expect("claim");
    assert_eq!(claimed.len(), BATCH);
    let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
    store.complete(&ids).expect("complete");
}

fn queue(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let jobs: Vec<NewJob> = (0..BATCH).map(job).collect();
    let checkpoints: Vec<CheckpointChange> = (0..BATCH).map(checkpoint).collect();

    let mut group = c.benchmark_group("queue");
    group.throughput(Throughput::Elements(BATCH as u64));

    let store = open(dir.path(), "batched.db", Durability::Normal);
    group.bench_function("enqueue_claim_complete_64", |b| {
        b.iter(|| round(&store, &jobs, &[]));
    });

    // The file-watch trigger's real shape: each job enqueued with its object's checkpoint.
    let store = open(dir.path(), "checkpoints.db", Durability::Normal);
    group.bench_function("enqueue_claim_complete_64_with_checkpoints", |b| {
        b.iter(|| round(&store, &jobs, &checkpoints));
    });

    // The worst case for the writer: one transaction per event on enqueue.
    let store = open(dir.path(), "single.db", Durability::Normal);
    group.bench_function("enqueue_one_by_one_claim_complete_64", |b| {
        b.iter(|| {
            for (job, cp) in jobs.iter().zip(&checkpoints) {
                store
                    .enqueue(std::slice::from_ref(job), std::slice::from_ref(cp))
                    .expect("enqueue");
            }
            let claimed = store.claim(2_000, BATCH).expect("claim");
            assert_eq!(claimed.len(), BATCH);
            let ids: Vec<i64> = claimed.iter().map(|j| j.id).collect();
            store.complete(&ids).expect("complete");
        });
    });

    // A standing backlog of 20,000 due jobs: claim cost must not grow with it.
    let store = open(dir.path(), "backlog.db", Durability::Normal);
    let backlog: Vec<NewJob> = (0..20_000).map(job).collect();
    store.enqueue(&backlog, &[]).expect("backlog");
    group.bench_function("enqueue_claim_complete_64_backlog_20k", |b| {
        b.iter(|| round(&store, &jobs, &checkpoints));
    });

    // FNHOST_SYNC=full: one fsync per commit.
    let store = open(dir.path(), "full.db", Durability::Full);
    group.bench_function(
        "enqueue_claim_complete_64_with_checkpoints_sync_full",
        |b| {
            b.iter(|| round(&store, &jobs, &checkpoints));
        },
    );
    group.finish();
}

criterion_group!(benches, queue);
criterion_main!(benches);
