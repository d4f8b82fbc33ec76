//! The bounds on what the database holds: the queue cap, dead-letter retention and the total
//! size of invocation logs.

use fnhost_store::{DeadReason, LogQuery, Store, StoreError};

use crate::{job, record};

both_backends!(the_queue_cap_refuses_past_the_limit_and_queues_nothing);

fn the_queue_cap_refuses_past_the_limit_and_queues_nothing(store: Store) {
    let jobs: Vec<_> = (0..3).map(|n| job("f", n, 0)).collect();
    assert_eq!(store.enqueue_within(&jobs, 4).unwrap().len(), 3);
    // Two more would make five: refused whole.
    let err = store
        .enqueue_within(&[job("f", 3, 0), job("f", 4, 0)], 4)
        .unwrap_err();
    assert!(
        matches!(err, StoreError::QueueFull { depth: 3, limit: 4 }),
        "{err}"
    );
    assert_eq!(store.queue_depth().unwrap(), 3);
    store.enqueue_within(&[job("f", 5, 0)], 4).unwrap();
    assert!(matches!(
        store.enqueue_within(&[job("f", 6, 0)], 4),
        Err(StoreError::QueueFull { depth: 4, .. })
    ));
    // Running jobs count too; once one completes there is room again.
    let claimed = store.claim(10, 1).unwrap();
    assert!(store.enqueue_within(&[job("f", 7, 0)], 4).is_err());
    store.complete(&[claimed[0].id]).unwrap();
    store.enqueue_within(&[job("f", 8, 0)], 4).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 4);
}

both_backends!(the_queue_cap_holds_under_concurrent_enqueues);

/// Enqueuers on several threads (several connections on PostgreSQL) against one cap: every job
/// accepted is queued, and the queue ends at the cap, past it at most by the jobs of enqueues
/// that counted at the same moment (PostgreSQL; SQLite's single writer keeps it exact).
fn the_queue_cap_holds_under_concurrent_enqueues(store: Store) {
    const LIMIT: u64 = 100;
    const THREADS: u32 = 4;
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                let mut accepted = 0u64;
                for n in 0..60 {
                    match store.enqueue_within(&[job("f", t * 1_000 + n, 0)], LIMIT) {
                        Ok(ids) => accepted += ids.len() as u64,
                        Err(StoreError::QueueFull { depth, limit }) => {
                            assert_eq!(limit, LIMIT);
                            assert!(depth >= LIMIT, "{depth}");
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let accepted: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(
        store.queue_depth().unwrap(),
        accepted,
        "no accepted job lost"
    );
    assert!(
        (LIMIT..LIMIT + u64::from(THREADS)).contains(&accepted),
        "{accepted} accepted"
    );
}

both_backends!(dead_letters_older_than_the_retention_are_deleted);

fn dead_letters_older_than_the_retention_are_deleted(store: Store) {
    let ids = store
        .enqueue(&[job("f", 1, 0), job("f", 2, 0), job("f", 3, 0)], &[])
        .unwrap();
    for (id, failed_at) in ids.iter().zip([1_000, 5_000, 9_000]) {
        store
            .dead_letter(*id, "boom", DeadReason::RetriesExhausted, failed_at)
            .unwrap();
    }
    assert_eq!(store.prune_dead_letters(1_000).unwrap(), 0);
    assert_eq!(store.prune_dead_letters(5_001).unwrap(), 2);
    let left = store.dead_letters(None).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].failed_at_ms, 9_000);
}

both_backends!(the_log_size_cap_prunes_the_oldest_records_first);

fn the_log_size_cap_prunes_the_oldest_records_first(store: Store) {
    // Four records of 100 bytes of log (one line each), oldest first.
    let line = |n: u32| format!("{n:03}{}\n", "x".repeat(96));
    let records: Vec<_> = (0..4)
        .map(|n| record("f", &format!("r{n}"), 1_000 + u64::from(n), &line(n)))
        .collect();
    store.record(&records).unwrap();
    assert_eq!(store.prune_log_bytes(400).unwrap(), 0, "exactly at the cap");
    // 250 bytes keep the two newest whole; the two oldest go, with their lines.
    assert_eq!(store.prune_log_bytes(250).unwrap(), 4);
    let kept: Vec<String> = store
        .logs(&LogQuery::default())
        .unwrap()
        .into_iter()
        .map(|l| l.request_id)
        .collect();
    assert_eq!(kept, ["r2", "r3"]);
    // Multi-byte text counts in bytes.
    store
        .record(&[record("f", "wide", 2_000, &"봄".repeat(100))])
        .unwrap();
    store.prune_log_bytes(300).unwrap();
    let kept: Vec<String> = store
        .logs(&LogQuery::default())
        .unwrap()
        .into_iter()
        .map(|l| l.request_id)
        .collect();
    assert_eq!(kept, ["wide"], "300 bytes of Hangul fill the cap alone");
    assert_eq!(store.prune_log_bytes(0).unwrap(), 2);
    assert!(store.logs(&LogQuery::default()).unwrap().is_empty());
}
