//! The event queue, dead letters and checkpoints.

use fnhost_store::{Checkpoint, CheckpointChange, DeadReason, StoreError};

use crate::{job, raw, temp_store};

fn put(bucket: &str, key: &str, size: u64) -> CheckpointChange {
    CheckpointChange::Put(Checkpoint {
        bucket: bucket.to_owned(),
        key: key.to_owned(),
        size,
        mtime_ns: 1_700_000_000_000_000_000,
        etag: format!("etag-{key}-{size}"),
        sequencer: format!("{size:016X}"),
    })
}

#[test]
fn lifecycle_claim_retry_dead_letter_complete() {
    let (_dir, store) = temp_store();
    let ids = store
        .enqueue(&[job("a", 1, 100), job("b", 2, 100), job("a", 3, 500)], &[])
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] < ids[1] && ids[1] < ids[2]);
    assert_eq!(store.queue_depth().unwrap(), 3);
    assert_eq!(
        store.queue_depth_by_function().unwrap(),
        vec![("a".to_owned(), 2), ("b".to_owned(), 1)]
    );
    assert_eq!(store.next_due_ms().unwrap(), Some(100));

    // Nothing is due before 100.
    assert!(store.claim(99, 10).unwrap().is_empty());
    let claimed = store.claim(200, 10).unwrap();
    assert_eq!(
        claimed.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![ids[0], ids[1]]
    );
    let first = &claimed[0];
    assert_eq!(first.attempts, 1);
    assert_eq!(first.function, "a");
    assert_eq!(first.payload, b"{\"n\":1}");
    assert_eq!(first.request_id, "req-a-1");
    assert_eq!(first.lineage.chain_id, "chain-1");
    assert_eq!(first.lineage.hop, 1);
    assert_eq!(first.last_error, None);
    // Claimed jobs are running: not claimable again, not counted as due.
    assert!(store.claim(200, 10).unwrap().is_empty());
    assert_eq!(store.next_due_ms().unwrap(), Some(500));
    assert_eq!(store.queue_depth().unwrap(), 3);

    store.retry(ids[0], "boom", 1_000).unwrap();
    assert_eq!(store.next_due_ms().unwrap(), Some(500));
    let again = store.claim(999, 10).unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), vec![ids[2]]);
    let retried = store.claim(1_000, 10).unwrap();
    assert_eq!(retried.len(), 1);
    assert_eq!(retried[0].id, ids[0]);
    assert_eq!(retried[0].attempts, 2);
    assert_eq!(retried[0].last_error.as_deref(), Some("boom"));
    assert_eq!(store.next_due_ms().unwrap(), None);

    let dead = store
        .dead_letter(ids[0], "boom again", DeadReason::RetriesExhausted, 2_000)
        .unwrap();
    assert_eq!(store.dead_letter_count().unwrap(), 1);
    let letters = store.dead_letters(Some("a")).unwrap();
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.id, dead);
    assert_eq!(letter.error, "boom again");
    assert_eq!(letter.reason, DeadReason::RetriesExhausted);
    assert_eq!(letter.attempts, 2);
    assert_eq!(letter.max_attempts, 3);
    assert_eq!(letter.request_id, "req-a-1");
    assert_eq!(letter.failed_at_ms, 2_000);
    assert_eq!(letter.enqueued_at_ms, 1_000);
    assert!(store.dead_letters(Some("b")).unwrap().is_empty());

    store.complete(&[ids[1], ids[2]]).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 0);
    assert!(store.queue_depth_by_function().unwrap().is_empty());
    // Completing twice is harmless.
    store.complete(&[ids[1]]).unwrap();
}

#[test]
fn release_does_not_count_the_attempt() {
    let (_dir, store) = temp_store();
    let ids = store.enqueue(&[job("a", 1, 0)], &[]).unwrap();
    assert_eq!(store.claim(0, 1).unwrap()[0].attempts, 1);
    store.retry(ids[0], "first failure", 0).unwrap();
    assert_eq!(store.claim(0, 1).unwrap()[0].attempts, 2);
    // Throttled: back in the queue, due later, the attempt not counted, the error kept.
    store.release(ids[0], 300).unwrap();
    assert!(store.claim(299, 1).unwrap().is_empty());
    assert_eq!(store.next_due_ms().unwrap(), Some(300));
    let job = store.claim(300, 1).unwrap().remove(0);
    assert_eq!(job.attempts, 2);
    assert_eq!(job.last_error.as_deref(), Some("first failure"));
    store.complete(&ids).unwrap();
    assert!(matches!(
        store.release(ids[0], 0),
        Err(StoreError::UnknownJob { .. })
    ));
}

#[test]
fn unknown_jobs_are_errors() {
    let (_dir, store) = temp_store();
    let ids = store.enqueue(&[job("a", 1, 0)], &[]).unwrap();
    store.complete(&ids).unwrap();
    assert!(matches!(
        store.retry(ids[0], "x", 0),
        Err(StoreError::UnknownJob { id }) if id == ids[0]
    ));
    assert!(matches!(
        store.dead_letter(ids[0], "x", DeadReason::EventTooOld, 0),
        Err(StoreError::UnknownJob { .. })
    ));
    assert_eq!(store.dead_letter_count().unwrap(), 0);
}

#[test]
fn recover_puts_running_jobs_back() {
    let (dir, store) = temp_store();
    let ids = store
        .enqueue(&[job("a", 1, 0), job("a", 2, 0), job("a", 3, 0)], &[])
        .unwrap();
    assert_eq!(store.claim(10, 2).unwrap().len(), 2);
    drop(store);

    // A restart: a new handle on the same file.
    let store = fnhost_store::Store::open(&dir.path().join("state/fnhost.db")).unwrap();
    assert_eq!(store.recover().unwrap(), 2);
    assert_eq!(store.recover().unwrap(), 0);
    let jobs = store.claim(10, 10).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
    // The interrupted attempt counts.
    assert_eq!(
        jobs.iter().map(|j| j.attempts).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
}

#[test]
fn redrive_moves_dead_letters_back() {
    let (_dir, store) = temp_store();
    let ids = store
        .enqueue(&[job("a", 1, 0), job("a", 2, 0), job("b", 3, 0)], &[])
        .unwrap();
    store.claim(0, 10).unwrap();
    let mut dead = Vec::new();
    for id in &ids {
        dead.push(
            store
                .dead_letter(*id, "failed", DeadReason::LoopDetected, 50)
                .unwrap(),
        );
    }
    assert_eq!(store.queue_depth().unwrap(), 0);

    // An unknown id (or one of another function) moves nothing.
    assert!(matches!(
        store.redrive(&[dead[0], 9_999], None, 100, 200),
        Err(StoreError::UnknownDeadLetter { id: 9_999 })
    ));
    assert!(matches!(
        store.redrive(&[dead[2]], Some("a"), 100, 200),
        Err(StoreError::UnknownDeadLetter { .. })
    ));
    assert_eq!(store.dead_letter_count().unwrap(), 3);
    assert_eq!(store.queue_depth().unwrap(), 0);

    // All of function b.
    let b = store.redrive(&[], Some("b"), 100, 5_000).unwrap();
    assert_eq!(b.len(), 1);
    assert_eq!(store.dead_letter_count().unwrap(), 2);
    // Then one by id, listed twice.
    let a = store
        .redrive(&[dead[1], dead[1]], None, 100, 5_000)
        .unwrap();
    assert_eq!(a.len(), 1);
    let rest = store.redrive(&[], None, 100, 5_000).unwrap();
    assert_eq!(rest.len(), 1);
    assert_eq!(store.dead_letter_count().unwrap(), 0);
    assert!(b[0] > ids[2], "new ids, never reused");

    let jobs = store.claim(100, 10).unwrap();
    assert_eq!(jobs.len(), 3);
    let moved = jobs.iter().find(|j| j.id == a[0]).unwrap();
    assert_eq!(
        moved.attempts, 1,
        "starts again at attempt 0, plus this claim"
    );
    assert_eq!(moved.request_id, "req-a-2");
    assert_eq!(moved.payload, b"{\"n\":2}");
    assert_eq!(moved.lineage.chain_id, "chain-2");
    assert_eq!(moved.lineage.hop, 2);
    assert_eq!(moved.max_attempts, 3);
    assert_eq!(moved.enqueued_at_ms, 100);
    assert_eq!(moved.not_before_ms, 100);
    assert_eq!(moved.expires_at_ms, 5_000);
    assert_eq!(moved.last_error.as_deref(), Some("failed"));
}

#[test]
fn enqueue_is_atomic_with_checkpoints() {
    let (_dir, store) = temp_store();
    // Make the second checkpoint of the batch fail inside the transaction, after the jobs and
    // the first checkpoint were written.
    raw(&store)
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON checkpoints WHEN NEW.key = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned key'); END;",
        )
        .unwrap();
    let err = store
        .enqueue(
            &[job("a", 1, 0), job("a", 2, 0)],
            &[put("up", "fine.txt", 1), put("up", "poison", 2)],
        )
        .unwrap_err();
    assert!(err.to_string().contains("poisoned key"), "{err}");
    assert!(err.to_string().contains("enqueuing jobs"), "{err}");
    assert_eq!(store.queue_depth().unwrap(), 0);
    assert!(store.checkpoints("up").unwrap().is_empty());
    assert_eq!(store.next_due_ms().unwrap(), None);

    let ids = store
        .enqueue(&[job("a", 3, 0)], &[put("up", "fine.txt", 1)])
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(store.checkpoints("up").unwrap().len(), 1);
}

#[test]
fn checkpoints_put_replace_delete() {
    let (_dir, store) = temp_store();
    store
        .apply_checkpoints(&[put("b1", "z", 1), put("b1", "a/b", 2), put("b2", "a/b", 3)])
        .unwrap();
    store
        .enqueue(
            &[],
            &[
                put("b1", "z", 10),
                CheckpointChange::Delete {
                    bucket: "b1".to_owned(),
                    key: "a/b".to_owned(),
                },
                CheckpointChange::Delete {
                    bucket: "b1".to_owned(),
                    key: "never-there".to_owned(),
                },
                put("b1", "m", 4),
            ],
        )
        .unwrap();
    let b1 = store.checkpoints("b1").unwrap();
    assert_eq!(
        b1.iter()
            .map(|c| (c.key.as_str(), c.size))
            .collect::<Vec<_>>(),
        vec![("m", 4), ("z", 10)]
    );
    assert_eq!(b1[1].etag, "etag-z-10");
    assert_eq!(b1[1].mtime_ns, 1_700_000_000_000_000_000);
    let other = store.checkpoint("b2", "a/b").unwrap().unwrap();
    assert_eq!(other.size, 3);
    assert_eq!(store.checkpoint("b1", "a/b").unwrap(), None);
}

#[test]
fn claim_drains_a_backlog_in_order_exactly_once() {
    let (_dir, store) = temp_store();
    let jobs: Vec<_> = (0..1_000).map(|n| job("f", n, 7)).collect();
    let ids = store.enqueue(&jobs, &[]).unwrap();
    let mut seen = Vec::new();
    loop {
        let batch = store.claim(7, 64).unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 64);
        store
            .complete(&batch.iter().map(|j| j.id).collect::<Vec<_>>())
            .unwrap();
        seen.extend(batch.into_iter().map(|j| j.id));
    }
    assert_eq!(seen, ids);
    assert_eq!(store.queue_depth().unwrap(), 0);
}

#[test]
fn dead_reason_names_round_trip() {
    for reason in DeadReason::ALL {
        assert_eq!(reason.as_str().parse::<DeadReason>().unwrap(), reason);
        assert_eq!(reason.to_string(), reason.as_str());
    }
    assert_eq!(DeadReason::EventTooOld.as_str(), "EventTooOld");
    let err = "Nope".parse::<DeadReason>().unwrap_err();
    assert!(err.to_string().contains("`Nope`"));
}
