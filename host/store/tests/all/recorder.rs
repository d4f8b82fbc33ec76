//! The batching invocation recorder.

use fnhost_store::{InvocationQuery, Location, RECORDER_CAPACITY, Recorder, Store};

use crate::{raw, record};

both_backends!(
    flush_waits_for_everything_submitted,
    a_full_queue_drops_and_counts,
    dropping_the_recorder_writes_what_is_queued,
    records_are_written_without_a_flush,
);

fn stored(store: &fnhost_store::Store) -> usize {
    store
        .invocations(&InvocationQuery {
            limit: usize::MAX,
            ..InvocationQuery::default()
        })
        .unwrap()
        .len()
}

fn flush_waits_for_everything_submitted(store: Store) {
    let recorder = Recorder::start(store.clone());
    for i in 0..2_000 {
        recorder.submit(record("f", &format!("r{i}"), i, "START\nEND\n"));
    }
    recorder.flush();
    assert_eq!(stored(&store), 2_000);
    assert_eq!(recorder.dropped(), 0);
    assert_eq!(
        store.invocation("r1999").unwrap().unwrap().log,
        "START\nEND\n"
    );
    // A flush with nothing pending returns too.
    recorder.flush();
}

fn a_full_queue_drops_and_counts(store: Store) {
    let recorder = Recorder::start(store.clone());
    // Another connection holds a lock that keeps the recorder from writing, so it cannot
    // drain its queue.
    let release = block_writes(&store);
    let submitted = RECORDER_CAPACITY * 2;
    for i in 0..submitted {
        recorder.submit(record("f", &format!("r{i}"), i as u64, "x\n"));
    }
    release();
    recorder.flush();
    let dropped = recorder.dropped() as usize;
    assert!(dropped >= RECORDER_CAPACITY / 2, "dropped {dropped}");
    assert_eq!(
        stored(&store) + dropped,
        submitted,
        "every record stored or counted"
    );
}

fn dropping_the_recorder_writes_what_is_queued(store: Store) {
    let recorder = Recorder::start(store.clone());
    for i in 0..300 {
        recorder.submit(record("f", &format!("r{i}"), i, ""));
    }
    drop(recorder);
    assert_eq!(stored(&store), 300);
}

fn records_are_written_without_a_flush(store: Store) {
    let recorder = Recorder::start(store.clone());
    // One record alone, then more than a batch: the thread's sleep ends at the interval (or
    // at the full batch) without anyone asking.
    recorder.submit(record("f", "alone", 0, ""));
    for i in 0..(fnhost_store::RECORDER_BATCH * 3 + 7) {
        recorder.submit(record("f", &format!("r{i}"), i as u64, ""));
    }
    let want = fnhost_store::RECORDER_BATCH * 3 + 8;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while stored(&store) < want {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {want} records written",
            stored(&store)
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(recorder.dropped(), 0);
    drop(recorder);
    assert_eq!(stored(&store), want);
}

/// Takes a lock on another connection that keeps the store from recording (SQLite's write
/// lock; a `SHARE` lock on PostgreSQL's invocations table), until the returned function runs.
fn block_writes(store: &Store) -> Box<dyn FnOnce()> {
    match store.location() {
        Location::File(_) => {
            let conn = raw(store);
            conn.execute_batch("BEGIN IMMEDIATE").unwrap();
            Box::new(move || conn.execute_batch("COMMIT").unwrap())
        }
        Location::Server(url) => {
            let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
            client
                .batch_execute("BEGIN; LOCK TABLE invocations IN SHARE MODE")
                .unwrap();
            Box::new(move || client.batch_execute("COMMIT").unwrap())
        }
    }
}
