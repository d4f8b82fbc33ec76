//! The write journal: what functions changed, matched by the watcher, expired and bounded.

use std::time::Duration;

use fnhost_buckets::{JournalChange, WriteJournal};
use fnhost_runtime::{ObjectAccess, WriteOrigin};

use crate::support::{Fixture, origin};

fn put(etag: &str) -> JournalChange {
    JournalChange::Put { etag: etag.into() }
}

fn named(request_id: &str) -> WriteOrigin {
    WriteOrigin {
        request_id: request_id.into(),
        ..origin()
    }
}

#[test]
fn take_matches_bucket_key_and_etag_once() {
    let journal = WriteJournal::new();
    journal.record("b", "k", put("e1"), &origin());
    assert_eq!(
        journal.take("b", "k", &put("other")),
        None,
        "another etag: an outside write"
    );
    assert_eq!(journal.take("other", "k", &put("e1")), None);
    assert_eq!(journal.take("b", "k2", &put("e1")), None);
    assert_eq!(journal.take("b", "k", &JournalChange::Delete), None);
    assert_eq!(journal.take("b", "k", &put("e1")), Some(origin()));
    assert_eq!(journal.take("b", "k", &put("e1")), None, "consumed");
    assert!(journal.is_empty());
}

#[test]
fn entries_for_one_key_are_taken_oldest_first() {
    let journal = WriteJournal::new();
    journal.record("b", "k", put("e"), &named("first"));
    journal.record("b", "k", JournalChange::Delete, &named("deleter"));
    journal.record("b", "k", put("e"), &named("second"));
    assert_eq!(
        journal.take("b", "k", &put("e")).unwrap().request_id,
        "first"
    );
    assert_eq!(
        journal.take("b", "k", &put("e")).unwrap().request_id,
        "second"
    );
    assert_eq!(
        journal
            .take("b", "k", &JournalChange::Delete)
            .unwrap()
            .request_id,
        "deleter"
    );
}

#[test]
fn old_entries_expire() {
    let journal = WriteJournal::with_limits(Duration::from_millis(1), 10);
    journal.record("b", "k", put("e"), &origin());
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(journal.take("b", "k", &put("e")), None);
    assert!(journal.is_empty());
}

#[test]
fn the_oldest_entries_are_evicted_past_the_bound() {
    let journal = WriteJournal::with_limits(Duration::from_secs(3600), 3);
    for i in 0..4 {
        journal.record("b", &format!("k{i}"), JournalChange::Delete, &origin());
    }
    assert_eq!(journal.len(), 3);
    assert_eq!(
        journal.take("b", "k0", &JournalChange::Delete),
        None,
        "evicted"
    );
    for i in 1..4 {
        assert!(
            journal
                .take("b", &format!("k{i}"), &JournalChange::Delete)
                .is_some()
        );
    }
}

#[test]
fn puts_and_deletes_are_journaled_with_their_origin() {
    let fx = Fixture::new();
    let objects = fx.full();
    let meta = objects
        .put("uploads", "a/k.txt", b"data", &origin())
        .unwrap();
    assert_eq!(fx.journal.len(), 1);
    assert_eq!(
        fx.journal.take("uploads", "a/k.txt", &put(&meta.etag)),
        Some(origin())
    );
    objects.delete("uploads", "a/k.txt", &origin()).unwrap();
    assert_eq!(
        fx.journal
            .take("uploads", "a/k.txt", &JournalChange::Delete),
        Some(origin())
    );
    // Deleting what is not there changes nothing, so nothing is journaled.
    objects.delete("uploads", "a/k.txt", &origin()).unwrap();
    assert!(fx.journal.is_empty());
}
