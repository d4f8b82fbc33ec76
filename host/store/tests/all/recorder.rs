//! The batching invocation recorder.

use fnhost_store::{InvocationQuery, RECORDER_CAPACITY, Recorder};

use crate::{raw, record, temp_store};

fn stored(store: &fnhost_store::Store) -> usize {
    store
        .invocations(&InvocationQuery {
            limit: usize::MAX,
            ..InvocationQuery::default()
        })
        .unwrap()
        .len()
}

#[test]
fn flush_waits_for_everything_submitted() {
    let (_dir, store) = temp_store();
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

#[test]
fn a_full_queue_drops_and_counts() {
    let (_dir, store) = temp_store();
    let recorder = Recorder::start(store.clone());
    // Another connection holds the write lock, so the recorder cannot drain its queue.
    let conn = raw(&store);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let submitted = RECORDER_CAPACITY * 2;
    for i in 0..submitted {
        recorder.submit(record("f", &format!("r{i}"), i as u64, "x\n"));
    }
    conn.execute_batch("COMMIT").unwrap();
    recorder.flush();
    let dropped = recorder.dropped() as usize;
    assert!(dropped >= RECORDER_CAPACITY / 2, "dropped {dropped}");
    assert_eq!(
        stored(&store) + dropped,
        submitted,
        "every record stored or counted"
    );
}

#[test]
fn dropping_the_recorder_writes_what_is_queued() {
    let (_dir, store) = temp_store();
    let recorder = Recorder::start(store.clone());
    for i in 0..300 {
        recorder.submit(record("f", &format!("r{i}"), i, ""));
    }
    drop(recorder);
    assert_eq!(stored(&store), 300);
}

#[test]
fn records_are_written_without_a_flush() {
    let (_dir, store) = temp_store();
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
