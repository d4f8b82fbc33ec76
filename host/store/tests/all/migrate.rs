//! Migrations: a database written by an older fnhost opens, migrates and keeps its data.

use fnhost_store::{Durability, InvocationQuery, LogQuery, SCHEMA_VERSION, Store};
use rusqlite::params;

use crate::record;

/// Schema version 1, exactly as fnhost wrote it (one `log_lines` row per log line).
const SCHEMA_V1: &str = r#"
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        function TEXT NOT NULL,
        payload BLOB NOT NULL,
        source TEXT NOT NULL,
        request_id TEXT NOT NULL,
        state INTEGER NOT NULL,              -- 0 ready, 1 running
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        enqueued_at_ms INTEGER NOT NULL,
        expires_at_ms INTEGER NOT NULL,
        not_before_ms INTEGER NOT NULL,
        chain_id TEXT NOT NULL,
        hop INTEGER NOT NULL,
        last_error TEXT
    );
    CREATE INDEX jobs_due ON jobs (state, not_before_ms, id);

    CREATE TABLE dead_letters (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        function TEXT NOT NULL,
        payload BLOB NOT NULL,
        source TEXT NOT NULL,
        request_id TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        max_attempts INTEGER NOT NULL,
        error TEXT NOT NULL,
        reason TEXT NOT NULL,
        chain_id TEXT NOT NULL,
        hop INTEGER NOT NULL,
        enqueued_at_ms INTEGER NOT NULL,
        failed_at_ms INTEGER NOT NULL
    );
    CREATE INDEX dead_letters_function ON dead_letters (function, id);

    CREATE TABLE checkpoints (
        bucket TEXT NOT NULL,
        key TEXT NOT NULL,
        size INTEGER NOT NULL,
        mtime_ns INTEGER NOT NULL,
        etag TEXT NOT NULL,
        sequencer TEXT NOT NULL,
        PRIMARY KEY (bucket, key)
    ) WITHOUT ROWID;

    CREATE TABLE invocations (
        id INTEGER PRIMARY KEY,
        request_id TEXT NOT NULL,
        function TEXT NOT NULL,
        version TEXT NOT NULL,
        trigger_type TEXT NOT NULL,
        started_at_ms INTEGER NOT NULL,
        duration_ms REAL NOT NULL,
        billed_ms INTEGER NOT NULL,
        memory_mb INTEGER NOT NULL,
        max_memory_used_mb INTEGER NOT NULL,
        fuel INTEGER,
        error_type TEXT,
        -- The invocation's lines are log_lines.seq first_seq..=last_seq (contiguous: one
        -- transaction writes them); NULL when it logged nothing.
        log_first_seq INTEGER,
        log_last_seq INTEGER,
        log_trailing_newline INTEGER NOT NULL
    );
    CREATE INDEX invocations_function ON invocations (function, started_at_ms);
    CREATE INDEX invocations_started ON invocations (started_at_ms);
    CREATE INDEX invocations_request ON invocations (request_id);

    -- AUTOINCREMENT: a seq is never reused, even after pruning, so `logs --follow` (after_seq)
    -- cannot miss lines.
    CREATE TABLE log_lines (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        request_id TEXT NOT NULL,
        function TEXT NOT NULL,
        ts_ms INTEGER NOT NULL,
        line TEXT NOT NULL
    );
    CREATE INDEX log_lines_function ON log_lines (function, seq);
    CREATE INDEX log_lines_ts ON log_lines (ts_ms);

    CREATE TABLE functions (
        name TEXT NOT NULL,
        version TEXT NOT NULL,
        code_sha256 TEXT NOT NULL,
        code_size INTEGER NOT NULL,
        handler TEXT,
        runtime TEXT,
        description TEXT NOT NULL,
        memory_mb INTEGER NOT NULL,
        timeout_s INTEGER NOT NULL,
        env TEXT NOT NULL,                   -- JSON object
        fuel INTEGER,
        revision_id TEXT NOT NULL,
        last_modified_ms INTEGER NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;

    -- The last version number published per function: numbers are never reused, even after
    -- the version is deleted (Lambda's rule); deleting the whole function resets it.
    CREATE TABLE function_versions (
        name TEXT PRIMARY KEY,
        last_published INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#;

/// Writes an invocation as version 1 did: its lines into `log_lines`, their seq range and the
/// trailing newline into the record.
fn insert_v1(
    conn: &rusqlite::Connection,
    request_id: &str,
    function: &str,
    started: i64,
    log: &str,
) {
    let body = log.strip_suffix('\n');
    let trailing = body.is_some();
    let body = body.unwrap_or(log);
    let mut seqs: Option<(i64, i64)> = None;
    if !log.is_empty() {
        for line in body.split('\n') {
            conn.execute(
                "INSERT INTO log_lines (request_id, function, ts_ms, line) VALUES (?1, ?2, ?3, ?4)",
                params![request_id, function, started, line],
            )
            .unwrap();
            let seq = conn.last_insert_rowid();
            seqs = Some((seqs.map_or(seq, |(first, _)| first), seq));
        }
    }
    conn.execute(
        "INSERT INTO invocations (request_id, function, version, trigger_type, started_at_ms, \
         duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type, \
         log_first_seq, log_last_seq, log_trailing_newline) \
         VALUES (?1, ?2, '$LATEST', 'http', ?3, 12.5, 13, 128, 20, NULL, NULL, ?4, ?5, ?6)",
        params![
            request_id,
            function,
            started,
            seqs.map(|(first, _)| first),
            seqs.map(|(_, last)| last),
            trailing
        ],
    )
    .unwrap();
}

#[test]
fn a_version_1_database_keeps_its_logs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.db");
    let logs = [
        ("a", "START\nhello\nEND\n"),
        ("b", "no newline"),
        ("a", ""),
        ("b", "\n"),
        ("a", "a\n\nb\r\n"),
        ("a", "START a5\nError: disk full\nEND a5\n"),
    ];
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        conn.execute_batch(SCHEMA_V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        // Pruned lines left their seqs behind: the remaining ones do not start at 1.
        insert_v1(&conn, "gone", "a", 1, "pruned\n");
        conn.execute_batch("DELETE FROM invocations; DELETE FROM log_lines;")
            .unwrap();
        for (i, (function, log)) in logs.iter().enumerate() {
            insert_v1(&conn, &format!("r{i}"), function, 100 + i as i64, log);
        }
        // The rest of the state, which migration 2 leaves alone.
        conn.execute(
            "INSERT INTO jobs (function, payload, source, request_id, state, attempts, \
             max_attempts, enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop) \
             VALUES ('a', x'7b7d', 'aws:s3', 'job-1', 0, 0, 3, 1, 99999999, 0, 'c', 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO checkpoints (bucket, key, size, mtime_ns, etag, sequencer) \
             VALUES ('uploads', 'k', 7, 0, 'e', 's')",
            [],
        )
        .unwrap();
    }

    let store = Store::open_with(&path, Durability::Normal).unwrap();
    assert_eq!(SCHEMA_VERSION, 9);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let gone: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('log_lines', 'invocations_v1')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(gone, 0, "the old tables are dropped");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    // Every log exactly as recorded, with the record around it.
    for (i, (function, log)) in logs.iter().enumerate() {
        let got = store.invocation(&format!("r{i}")).unwrap().unwrap();
        assert_eq!(got.log, *log, "r{i}");
        assert_eq!(got.function, *function);
        assert_eq!(got.started_at_ms, 100 + i as u64);
        assert_eq!((got.billed_ms, got.memory_mb), (13, 128));
    }
    assert_eq!(
        store
            .invocations(&InvocationQuery::default())
            .unwrap()
            .len(),
        logs.len()
    );
    let lines = store.logs(&LogQuery::default()).unwrap();
    assert_eq!(
        lines.iter().map(|l| l.line.as_str()).collect::<Vec<_>>(),
        vec![
            "START",
            "hello",
            "END",
            "no newline",
            "",
            "a",
            "",
            "b\r",
            "START a5",
            "Error: disk full",
            "END a5"
        ]
    );
    assert!(lines.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(lines[1].request_id, "r0");
    let errors = store
        .logs(&LogQuery {
            function: Some("a".to_owned()),
            filter: Some("Error".to_owned()),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].request_id, "r5");

    // New records follow the migrated ones.
    let last = lines.last().unwrap().seq;
    store
        .record(&[record("a", "new", 1_000, "fresh\n")])
        .unwrap();
    let after = store
        .logs(&LogQuery {
            after_seq: Some(last),
            ..LogQuery::default()
        })
        .unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].line, "fresh");

    // Retention counts the migrated records and their lines.
    assert_eq!(store.prune(1_000).unwrap(), 6 + 11);
    assert_eq!(store.invocation("new").unwrap().unwrap().log, "fresh\n");

    // The queue and the checkpoints are untouched; the queued job is counted (migration 9),
    // and the count follows the queue.
    assert_eq!(store.queue_depth().unwrap(), 1);
    let job = store.claim(10, 10).unwrap().remove(0);
    assert_eq!(job.request_id, "job-1");
    store.complete(&[job.id]).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 0);
    assert_eq!(store.checkpoint("uploads", "k").unwrap().unwrap().size, 7);
}

/// Version 2 recorded HTTP invocations as `unknown` (the one path that named no trigger);
/// migration 3 names them `http`, and every record reads back with a known trigger.
#[test]
fn a_version_2_database_gets_its_http_records_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fnhost.db");
    Store::open_with(&path, Durability::Normal)
        .unwrap()
        .record(&[record("a", "web-0", 10, "START\n")])
        .unwrap();
    {
        // Back to version 2 as it wrote HTTP records (schemas 2 and 3 have the same tables).
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO invocations (request_id, function, version, trigger_type, \
             started_at_ms, duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, \
             error_type, log_line_count, log) \
             VALUES ('web-1', 'a', '$LATEST', 'unknown', 20, 1.0, 1, 128, 1, NULL, NULL, 1, 'x\n')",
            [],
        )
        .unwrap();
        // Undo migrations 4 (the execution environment), 5 (the deployment model), 6 (the
        // console's rollups, samples and test events), 7 (reserved concurrency), 8 (leases)
        // and 9 (the job count), which version 2 did not have.
        conn.execute_batch(
            "ALTER TABLE functions DROP COLUMN ephemeral_storage_mb; \
             ALTER TABLE functions DROP COLUMN layers; \
             ALTER TABLE functions DROP COLUMN task_sha256; \
             DROP TABLE layer_versions; DROP TABLE layers; DROP TABLE function_tags; \
             ALTER TABLE functions DROP COLUMN state; \
             ALTER TABLE functions DROP COLUMN state_reason; \
             ALTER TABLE functions DROP COLUMN state_reason_code; \
             ALTER TABLE functions DROP COLUMN last_update_status; \
             ALTER TABLE functions DROP COLUMN last_update_reason; \
             ALTER TABLE functions DROP COLUMN last_update_reason_code; \
             ALTER TABLE functions DROP COLUMN source_sha256; \
             DROP TABLE aliases; DROP TABLE function_urls; \
             DROP TABLE invocation_stats; DROP TABLE function_samples; DROP TABLE test_events; \
             DROP INDEX jobs_function; DROP TABLE function_concurrency; \
             DROP TABLE leases; DROP TABLE schedule_ticks; \
             DROP TRIGGER jobs_count_added; DROP TRIGGER jobs_count_removed; \
             DROP TABLE job_count;",
        )
        .unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
    }
    let store = Store::open_with(&path, Durability::Normal).unwrap();
    let web = store.invocation("web-1").unwrap().unwrap();
    assert_eq!(web.trigger, fnhost_core::Trigger::Http);
    let other = store.invocation("web-0").unwrap().unwrap();
    assert_eq!(other.trigger, fnhost_core::Trigger::Http);
    let usage = store.usage(None).unwrap();
    assert_eq!(
        usage[0].triggers,
        std::collections::BTreeMap::from([(fnhost_core::Trigger::Http, 2)])
    );
    // Migration 6 rolled both records up, the one recorded before the downgrade included.
    let range = fnhost_store::MetricsRange {
        start_ms: 0,
        step_ms: fnhost_store::HOUR_MS,
        points: 1,
    };
    assert_eq!(
        store.function_metrics("a", range).unwrap()[0].invocations,
        2
    );
}
