//! Opening: migrations, read-only handles, locking, durability.

use std::thread;
use std::time::Duration;

use fnhost_store::{Durability, LogQuery, SCHEMA_VERSION, Store, StoreError};

use crate::{job, raw, record, temp_store};

#[test]
fn reopening_keeps_data_and_uses_wal() {
    let (dir, store) = temp_store();
    let path = dir.path().join("state/fnhost.db");
    assert_eq!(store.path(), Some(path.as_path()));
    store.enqueue(&[job("a", 1, 0)], &[]).unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 1);
    let conn = raw(&store);
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
}

#[test]
fn a_newer_schema_is_refused() {
    let (dir, store) = temp_store();
    let path = dir.path().join("state/fnhost.db");
    raw(&store)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(store);
    let err = Store::open(&path).unwrap_err();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported, .. }
            if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade fnhost"), "{err}");
    assert!(matches!(
        Store::open_read_only(&path),
        Err(StoreError::SchemaTooNew { .. })
    ));
}

#[test]
fn read_only_needs_a_current_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.db");
    let err = Store::open_read_only(&path).unwrap_err();
    assert!(matches!(err, StoreError::Missing { .. }), "{err}");
    assert!(err.to_string().contains("fnhost up"));
    // An empty SQLite file (schema 0) is not migrated by a reader.
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE t (x)")
        .unwrap();
    assert!(matches!(
        Store::open_read_only(&path),
        Err(StoreError::SchemaTooOld { found: 0, .. })
    ));
}

#[test]
fn read_only_refuses_writes() {
    let (dir, store) = temp_store();
    store.record(&[record("f", "r1", 1, "hello\n")]).unwrap();
    // The writer is closed: no -wal or -shm file is left for the reader.
    drop(store);
    let reader = Store::open_read_only(&dir.path().join("state/fnhost.db")).unwrap();
    assert!(reader.is_read_only());
    assert_eq!(reader.invocation("r1").unwrap().unwrap().log, "hello\n");
    let err = reader.enqueue(&[job("a", 1, 0)], &[]).unwrap_err();
    assert!(matches!(err, StoreError::ReadOnly { .. }), "{err}");
    assert!(matches!(reader.recover(), Err(StoreError::ReadOnly { .. })));
}

#[test]
fn a_reader_follows_while_a_writer_writes() {
    let (dir, store) = temp_store();
    let reader = Store::open_read_only(&dir.path().join("state/fnhost.db")).unwrap();
    const RECORDS: usize = 300;
    let writer = thread::spawn(move || {
        for i in 0..RECORDS {
            store
                .record(&[record(
                    "f",
                    &format!("r{i}"),
                    i as u64,
                    &format!("line {i}\nmore {i}\n"),
                )])
                .unwrap();
            store.enqueue(&[job("f", i as u32, 0)], &[]).unwrap();
        }
    });
    let mut seen = Vec::new();
    let mut after = None;
    let mut depth = 0;
    loop {
        // Checked before the query: once the writer is done, an empty page means the end.
        let finished = writer.is_finished();
        let page = reader
            .logs(&LogQuery {
                after_seq: after,
                limit: 50,
                ..LogQuery::default()
            })
            .unwrap();
        let now_depth = reader.queue_depth().unwrap();
        assert!(now_depth >= depth, "the reader never sees the queue shrink");
        depth = now_depth;
        if page.is_empty() {
            if finished {
                break;
            }
            thread::sleep(Duration::from_millis(1));
            continue;
        }
        after = page.last().map(|l| l.seq);
        seen.extend(page);
    }
    writer.join().unwrap();
    // Every line exactly once, in order, each invocation's two lines together.
    assert_eq!(seen.len(), RECORDS * 2);
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq));
    for (i, pair) in seen.chunks(2).enumerate() {
        assert_eq!(pair[0].line, format!("line {i}"));
        assert_eq!(pair[1].line, format!("more {i}"));
    }
    assert_eq!(reader.queue_depth().unwrap(), RECORDS as u64);
}

#[test]
fn a_held_lock_is_reported_as_busy() {
    let (_dir, store) = temp_store();
    let conn = raw(&store);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    // Waits out the 5 s busy timeout.
    let err = store.enqueue(&[job("a", 1, 0)], &[]).unwrap_err();
    assert!(err.is_busy(), "{err}");
    assert!(err.to_string().contains("locked"), "{err}");
    conn.execute_batch("ROLLBACK").unwrap();
    store.enqueue(&[job("a", 1, 0)], &[]).unwrap();
}

#[test]
fn durability_parses_and_opens() {
    assert_eq!("full".parse::<Durability>().unwrap(), Durability::Full);
    assert_eq!(
        " NORMAL ".parse::<Durability>().unwrap(),
        Durability::Normal
    );
    assert_eq!("".parse::<Durability>().unwrap(), Durability::Normal);
    let err = "fsync".parse::<Durability>().unwrap_err();
    assert!(err.to_string().contains("`fsync`"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_with(&dir.path().join("db"), Durability::Full).unwrap();
    assert_eq!(store.durability(), Durability::Full);
    store.enqueue(&[job("a", 1, 0)], &[]).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 1);
}
