//! The event queue, dead letters and checkpoints.

use fnhost_store::{Checkpoint, CheckpointChange, DeadReason, Store, StoreError};

use crate::{job, pg_store, raw, temp_store};

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

both_backends!(lifecycle_claim_retry_dead_letter_complete);

fn lifecycle_claim_retry_dead_letter_complete(store: Store) {
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

both_backends!(release_does_not_count_the_attempt);

fn release_does_not_count_the_attempt(store: Store) {
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

both_backends!(unknown_jobs_are_errors);

fn unknown_jobs_are_errors(store: Store) {
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
fn recover_puts_running_jobs_back_sqlite() {
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

both_backends!(redrive_moves_dead_letters_back);

fn redrive_moves_dead_letters_back(store: Store) {
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
fn enqueue_is_atomic_with_checkpoints_sqlite() {
    let (_dir, store) = temp_store();
    // Make the second checkpoint of the batch fail inside the transaction, after the jobs and
    // the first checkpoint were written.
    raw(&store)
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON checkpoints WHEN NEW.key = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poisoned key'); END;",
        )
        .unwrap();
    enqueue_is_atomic_with_checkpoints(&store);
}

#[test]
fn enqueue_is_atomic_with_checkpoints_postgres() {
    let (db, store) = pg_store();
    db.connect()
        .unwrap()
        .batch_execute(
            "CREATE FUNCTION poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
                 IF NEW.key = 'poison' THEN RAISE EXCEPTION 'poisoned key'; END IF; \
                 RETURN NEW; END $$; \
             CREATE TRIGGER poison BEFORE INSERT ON checkpoints \
                 FOR EACH ROW EXECUTE FUNCTION poison();",
        )
        .unwrap();
    enqueue_is_atomic_with_checkpoints(&store);
}

/// With a trigger refusing the checkpoint of key `poison` in place: a batch holding it writes
/// neither its jobs nor its other checkpoints.
fn enqueue_is_atomic_with_checkpoints(store: &Store) {
    let err = store
        .enqueue(
            &[job("a", 1, 0), job("a", 2, 0)],
            &[put("up", "fine.txt", 1), put("up", "poison", 2)],
        )
        .unwrap_err();
    // The message, with the database's own (PostgreSQL's comes as the error's source).
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    assert!(message.contains("poisoned key"), "{message}");
    assert!(message.contains("enqueuing jobs"), "{message}");
    assert_eq!(store.queue_depth().unwrap(), 0);
    assert!(store.checkpoints("up").unwrap().is_empty());
    assert_eq!(store.next_due_ms().unwrap(), None);

    let ids = store
        .enqueue(&[job("a", 3, 0)], &[put("up", "fine.txt", 1)])
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert_eq!(store.checkpoints("up").unwrap().len(), 1);
}

both_backends!(checkpoints_put_replace_delete);

fn checkpoints_put_replace_delete(store: Store) {
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

    // Changes to one object in one batch apply in order: the last one stands.
    let delete = |key: &str| CheckpointChange::Delete {
        bucket: "b3".to_owned(),
        key: key.to_owned(),
    };
    store
        .apply_checkpoints(&[
            put("b3", "gone", 1),
            put("b3", "kept", 1),
            put("b3", "twice", 1),
        ])
        .unwrap();
    store
        .apply_checkpoints(&[
            put("b3", "new", 1),
            delete("new"),
            delete("kept"),
            put("b3", "kept", 2),
            put("b3", "gone", 3),
            delete("gone"),
            put("b3", "twice", 4),
            put("b3", "twice", 5),
        ])
        .unwrap();
    let b3: Vec<_> = store
        .checkpoints("b3")
        .unwrap()
        .into_iter()
        .map(|c| (c.key, c.size))
        .collect();
    assert_eq!(b3, [("kept".to_owned(), 2), ("twice".to_owned(), 5)]);
    // Keys sort bytewise, whatever the database's locale.
    store
        .apply_checkpoints(&[
            put("b4", "b", 1),
            put("b4", "B", 1),
            put("b4", "_", 1),
            put("b4", "a", 1),
        ])
        .unwrap();
    let keys: Vec<_> = store
        .checkpoints("b4")
        .unwrap()
        .into_iter()
        .map(|c| c.key)
        .collect();
    assert_eq!(keys, ["B", "_", "a", "b"]);
}

both_backends!(claim_drains_a_backlog_in_order_exactly_once);

fn claim_drains_a_backlog_in_order_exactly_once(store: Store) {
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
    // Each id is the job enqueued at its place in the batch.
    let ids = store
        .enqueue(&(0..300).map(|n| job("g", n, 7)).collect::<Vec<_>>(), &[])
        .unwrap();
    for job in store.claim(7, 300).unwrap() {
        let n = ids.iter().position(|id| *id == job.id).unwrap();
        assert_eq!(job.payload, format!("{{\"n\":{n}}}").into_bytes());
    }
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

/// Two nodes sharing one PostgreSQL queue, claiming at once: every job is claimed by exactly
/// one of them, and none again while its lease holds.
#[test]
fn nodes_sharing_a_queue_never_claim_a_leased_job() {
    let (db, a) = pg_store();
    let b = Store::connect(db.url()).unwrap();
    let ids = a
        .enqueue(&(0..600).map(|n| job("f", n, 0)).collect::<Vec<_>>(), &[])
        .unwrap();
    let now = fnhost_core::unix_ms();
    let drain = |node: Store| {
        std::thread::spawn(move || {
            let mut claimed = Vec::new();
            loop {
                let batch = node.claim(now, 7).unwrap();
                if batch.is_empty() {
                    return claimed;
                }
                claimed.extend(batch.into_iter().map(|j| j.id));
            }
        })
    };
    let (from_a, from_b) = (drain(a.clone()), drain(b.clone()));
    let (from_a, from_b) = (from_a.join().unwrap(), from_b.join().unwrap());
    assert!(
        !from_a.is_empty() && !from_b.is_empty(),
        "both nodes claimed"
    );
    let mut all: Vec<i64> = from_a.iter().chain(&from_b).copied().collect();
    all.sort_unstable();
    assert_eq!(all, ids, "each job claimed once");
    // Running and leased: neither node takes any of them again within the lease.
    let within = now + fnhost_store::Postgres::QUEUE_LEASE_MS - 1;
    assert!(a.claim(within, 1_000).unwrap().is_empty());
    assert!(b.claim(within, 1_000).unwrap().is_empty());
    assert_eq!(a.queue_depth().unwrap(), 600);
    // A node completes the jobs the other claimed.
    b.complete(&from_a).unwrap();
    a.complete(&from_b).unwrap();
    assert_eq!(a.queue_depth().unwrap(), 0);
}

/// A node dies with jobs claimed: another node's start leaves them alone while their lease may
/// still be renewed, and claims them once it ran out, counting the interrupted attempt.
#[test]
fn a_dead_nodes_jobs_run_again_after_its_lease() {
    let lease = fnhost_store::Postgres::QUEUE_LEASE_MS;
    let (db, a) = pg_store();
    let ids = a
        .enqueue(&[job("f", 1, 0), job("f", 2, 0), job("f", 3, 0)], &[])
        .unwrap();
    let now = fnhost_core::unix_ms();
    assert_eq!(a.claim(now, 2).unwrap().len(), 2);

    // Node B starts while A lives: A's jobs are A's.
    let b = Store::connect(db.url()).unwrap();
    assert_eq!(b.recover().unwrap(), 0);
    let third = b.claim(now, 10).unwrap();
    assert_eq!(third.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[2]]);
    b.complete(&[ids[2]]).unwrap();

    drop(a); // kill -9: its leases are no longer renewed.
    assert!(b.claim(now + lease - 1, 10).unwrap().is_empty());
    let again = b.claim(fnhost_core::unix_ms() + lease, 10).unwrap();
    assert_eq!(again.iter().map(|j| j.id).collect::<Vec<_>>(), ids[..2]);
    assert_eq!(again.iter().map(|j| j.attempts).collect::<Vec<_>>(), [2, 2]);
    assert_eq!(again[0].payload, b"{\"n\":1}");
}

/// A node restarting after its jobs' leases ran out puts them back at once.
#[test]
fn recover_puts_jobs_with_lapsed_leases_back() {
    let lease = fnhost_store::Postgres::QUEUE_LEASE_MS;
    let (db, a) = pg_store();
    let ids = a
        .enqueue(&[job("a", 1, 0), job("a", 2, 0), job("a", 3, 0)], &[])
        .unwrap();
    // Claimed two leases ago: the leases ran out before the node died.
    let then = fnhost_core::unix_ms() - 2 * lease;
    assert_eq!(a.claim(then, 2).unwrap().len(), 2);
    drop(a);

    let a = Store::connect(db.url()).unwrap();
    assert_eq!(a.recover().unwrap(), 2);
    assert_eq!(a.recover().unwrap(), 0);
    let jobs = a.claim(fnhost_core::unix_ms(), 10).unwrap();
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        jobs.iter().map(|j| j.attempts).collect::<Vec<_>>(),
        vec![2, 2, 1]
    );
}

/// Names sort bytewise, as SQLite sorts them, also in a PostgreSQL database whose locale sorts
/// text otherwise (here ICU's `en-US`, where `a` < `B` < `b`).
#[test]
fn names_sort_bytewise_whatever_the_locale() {
    let server = fnhost_testpg::Server::shared();
    let name = format!("icu_{}", std::process::id());
    let mut admin = postgres::Client::connect(&server.url(), postgres::NoTls).unwrap();
    admin
        .batch_execute(&format!(
            "CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' \
             LOCALE 'C'"
        ))
        .unwrap();
    let (base, _) = server
        .url()
        .rsplit_once('/')
        .map(|(b, d)| (b.to_owned(), d.to_owned()))
        .unwrap();
    let url = format!("{base}/{name}");
    {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let row = client.query_one("SELECT 'a' < 'B'", &[]).unwrap();
        assert!(row.get::<_, bool>(0), "the locale sorts a before B");

        let store = Store::connect(&url).unwrap();
        let keys = ["b", "B", "_", "a"];
        let changes: Vec<_> = keys.iter().map(|k| put("up", k, 1)).collect();
        store.apply_checkpoints(&changes).unwrap();
        let sorted: Vec<_> = store
            .checkpoints("up")
            .unwrap()
            .into_iter()
            .map(|c| c.key)
            .collect();
        assert_eq!(sorted, ["B", "_", "a", "b"]);

        let jobs: Vec<_> = keys.iter().map(|f| job(f, 1, 0)).collect();
        store.enqueue(&jobs, &[]).unwrap();
        let functions: Vec<_> = store
            .queue_depth_by_function()
            .unwrap()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(functions, ["B", "_", "a", "b"]);
        let functions = store.queue_by_function(5_000).unwrap();
        assert_eq!(functions[0], ("B".to_owned(), 1, 4_000));
        assert_eq!(functions[3].0, "b");
    }
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .unwrap();
}
