//! Finding 4 of issue 12: FIFOs (and other special files) in a bucket are no objects; calls on
//! them fail at once instead of blocking a host thread waiting for a writer.

use std::sync::mpsc;
use std::time::Duration;

use fnhost_runtime::{ObjectAccess, ObjectFailure};
use rustix::fs::{CWD, Mode, mkfifoat};

use crate::support::{Fixture, later, origin};

/// Run `call` on a thread; its result, or a panic if it takes longer than `limit` (the thread
/// of a call that blocks is left behind).
fn within<T: Send + 'static>(limit: Duration, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(call());
    });
    rx.recv_timeout(limit)
        .expect("the object call blocked on a FIFO")
}

#[test]
fn get_head_and_list_on_a_fifo_fail_at_once_and_keep_failing_fast() {
    let fx = Fixture::new();
    mkfifoat(CWD, fx.root().join("pipe"), Mode::from_raw_mode(0o644)).unwrap();
    std::fs::create_dir(fx.root().join("d")).unwrap();
    mkfifoat(CWD, fx.root().join("d/pipe"), Mode::from_raw_mode(0o644)).unwrap();
    let objects = std::sync::Arc::new(fx.full());
    objects
        .put("uploads", "plain.txt", b"ok", &origin())
        .unwrap();

    // 600 repeats of each call, each round within 1 s: S3 has no such object there.
    let (round_done, rounds) = mpsc::channel();
    let calls = objects.clone();
    std::thread::spawn(move || {
        for _ in 0..600 {
            for key in ["pipe", "d/pipe"] {
                assert!(
                    matches!(
                        calls.get("uploads", key, None),
                        Err(ObjectFailure::NoSuchKey(_))
                    ),
                    "get {key}"
                );
                assert!(
                    matches!(
                        calls.get("uploads", key, Some((0, 9))),
                        Err(ObjectFailure::NoSuchKey(_))
                    ),
                    "range get {key}"
                );
                assert!(
                    matches!(
                        calls.head("uploads", key, later()),
                        Err(ObjectFailure::NoSuchKey(_))
                    ),
                    "head {key}"
                );
            }
            round_done.send(()).unwrap();
        }
    });
    for round in 0..600 {
        rounds
            .recv_timeout(Duration::from_secs(1))
            .unwrap_or_else(|e| panic!("round {round}: the object calls blocked on a FIFO ({e})"));
    }
    let walked = fx.uploads().walk().unwrap();
    assert_eq!(walked.len(), 1, "{walked:?}");
    assert_eq!(fx.uploads().stat("pipe").unwrap(), None);
    let calls = objects.clone();
    let keys: Vec<String> = within(Duration::from_secs(1), move || {
        calls.list("uploads", "", None, 1000, later()).unwrap()
    })
    .into_iter()
    .map(|m| m.key)
    .collect();
    assert_eq!(keys, ["plain.txt"]);
    // The etag the file watcher asks for fails the same way.
    let bucket = fx.uploads().clone();
    let etag = within(Duration::from_secs(1), move || bucket.etag("pipe"));
    assert!(matches!(etag, Err(ObjectFailure::NoSuchKey(_))), "{etag:?}");

    // Deleting it is a no-op (no object there), writing replaces the name, never the pipe's
    // reader: the host stays responsive.
    objects.delete("uploads", "pipe", &origin()).unwrap();
    assert!(fx.root().join("pipe").exists());
    assert_eq!(objects.get("uploads", "plain.txt", None).unwrap(), b"ok");
    let calls = objects.clone();
    within(Duration::from_secs(1), move || {
        calls
            .put("uploads", "pipe", b"now a file", &origin())
            .unwrap();
    });
    assert_eq!(objects.get("uploads", "pipe", None).unwrap(), b"now a file");
}
