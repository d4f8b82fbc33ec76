//! Grants: read for get/head/list, write for put/delete; denials say what to add.

use fnhost_buckets::{Buckets, FunctionObjects, Grants, WriteJournal};
use fnhost_runtime::{ObjectAccess, ObjectFailure};
use std::sync::Arc;

use crate::support::{Fixture, files, later, origin};

fn denied<T: std::fmt::Debug>(r: Result<T, ObjectFailure>) -> String {
    match r {
        Err(ObjectFailure::AccessDenied(m)) => m,
        other => panic!("expected AccessDenied, got {other:?}"),
    }
}

#[test]
fn write_without_a_grant_names_the_grant_to_add() {
    let fx = Fixture::new();
    let thumbnail = fx.access("thumbnail", &["uploads", "thumbnails"], &[]);
    let m = denied(thumbnail.put("thumbnails", "a.png", b"png", &origin()));
    assert_eq!(
        m,
        "function `thumbnail` has no write access to bucket `thumbnails`: add \"thumbnails\" to `objects = { write = [...] }` in [function.thumbnail]"
    );
    denied(thumbnail.delete("thumbnails", "a.png", &origin()));
    assert_eq!(files(&fx.dir.path().join("data")), Vec::<String>::new());
    assert!(fx.journal.is_empty(), "a denied write is not journaled");
    // Reads are granted.
    assert!(
        thumbnail
            .list("thumbnails", "", None, 10, later())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn write_implies_no_read() {
    let fx = Fixture::new();
    let writer = fx.access("writer", &[], &["uploads"]);
    writer.put("uploads", "k", b"v", &origin()).unwrap();
    let m = denied(writer.get("uploads", "k", None));
    assert_eq!(
        m,
        "function `writer` has no read access to bucket `uploads`: add \"uploads\" to `objects = { read = [...] }` in [function.writer]"
    );
    denied(writer.get("uploads", "k", Some((0, 0))));
    denied(writer.head("uploads", "k", later()));
    denied(writer.list("uploads", "", None, 10, later()));
    writer.delete("uploads", "k", &origin()).unwrap();
    assert!(!fx.root().join("k").exists());
}

#[test]
fn unknown_buckets_list_the_declared_ones() {
    let fx = Fixture::new();
    let objects = fx.full();
    let Err(ObjectFailure::NoSuchBucket(m)) = objects.get("photos", "k", None) else {
        panic!("unknown bucket");
    };
    assert_eq!(
        m,
        "bucket `photos` is not declared (declared buckets: `thumbnails`, `uploads`); declare it with `[bucket.photos]` in fnhost.toml"
    );
    assert!(matches!(
        objects.put("photos", "k", b"", &origin()),
        Err(ObjectFailure::NoSuchBucket(_))
    ));

    let none = FunctionObjects::new(
        "f",
        Arc::new(Buckets::new(vec![])),
        Grants::default(),
        Arc::new(WriteJournal::new()),
    );
    let Err(ObjectFailure::NoSuchBucket(m)) = none.list("photos", "", None, 1, later()) else {
        panic!("no buckets at all");
    };
    assert!(m.contains("no buckets are declared"), "{m}");
}
