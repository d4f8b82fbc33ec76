//! The schema, as migrations numbered by `PRAGMA user_version`.
//!
//! Migration `n` (1-based) takes the database from `user_version` `n - 1` to `n`. Each runs in
//! its own transaction together with the `user_version` bump, so a crash leaves the database at
//! one version or the next, never between. Append new migrations; never edit a released one.

use rusqlite::{Connection, TransactionBehavior};
use tracing::info;

/// The schema, one entry per version.
const MIGRATIONS: &[&str] = &[
    // 1: queue, dead letters, checkpoints, invocation records and logs, function registry.
    r#"
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
    "#,
    // 2: each invocation's whole log in its own row, instead of one log_lines row (with two
    // indexes and an AUTOINCREMENT bump) per line: recording writes one row per invocation. A
    // line's seq becomes (id << 20) | line index (see `logs.rs`), so the id is AUTOINCREMENT now:
    // never reused, even after pruning empties the table. Existing logs are folded in, each
    // exactly as recorded (lines joined by \n, the trailing newline restored); their lines get
    // new seqs, so a `logs --follow` begun before the upgrade must be restarted.
    r#"
    ALTER TABLE invocations RENAME TO invocations_v1;
    DROP INDEX invocations_function;
    DROP INDEX invocations_started;
    DROP INDEX invocations_request;

    CREATE TABLE invocations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
        log_line_count INTEGER NOT NULL,     -- lines `logs` makes of `log` (for retention's count)
        log TEXT NOT NULL                    -- last: rows read without it skip its overflow pages
    );

    INSERT INTO invocations (id, request_id, function, version, trigger_type, started_at_ms,
        duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type,
        log_line_count, log)
    SELECT v.id, v.request_id, v.function, v.version, v.trigger_type, v.started_at_ms,
        v.duration_ms, v.billed_ms, v.memory_mb, v.max_memory_used_mb, v.fuel, v.error_type,
        min(
            (SELECT COUNT(*) FROM log_lines l WHERE l.seq BETWEEN v.log_first_seq AND v.log_last_seq),
            1048576                          -- LINES_PER_INVOCATION
        ),
        COALESCE(
            (SELECT group_concat(l.line, char(10) ORDER BY l.seq) FROM log_lines l
             WHERE l.seq BETWEEN v.log_first_seq AND v.log_last_seq),
            ''
        ) || CASE WHEN v.log_trailing_newline THEN char(10) ELSE '' END
    FROM invocations_v1 v ORDER BY v.id;

    DROP TABLE invocations_v1;
    DROP TABLE log_lines;

    -- Only indexes that grow at their end, so a batch of records touches a few pages of each.
    -- An index on the request id (a random UUID v4) took a random page per record, most of the
    -- cost of recording; `Store::invocation` walks invocations_started instead, newest first.
    -- Listings by function, newest start first:
    CREATE INDEX invocations_function ON invocations (function, started_at_ms);
    -- Retention, usage windows, listings of every function, the request-id lookup (the id is
    -- in the index, so no row is read until one matches):
    CREATE INDEX invocations_started ON invocations (started_at_ms, id, request_id);
    -- `fnhost logs` of one function, in id (so seq) order:
    CREATE INDEX invocations_logs ON invocations (function, id);
    "#,
    // 3: the trigger of every record is one of fnhost_core::Trigger's names. Until then HTTP
    // invocations were recorded without one, as 'unknown' (every other path named its trigger),
    // so those rows are HTTP invocations.
    r#"
    UPDATE invocations SET trigger_type = 'http' WHERE trigger_type = 'unknown';
    "#,
    // 4: the execution environment (issue 13): each function version's /tmp size, its package
    // files and the layer versions it uses (JSON `[{"arn", "code_size", "unzipped_size"}]`,
    // in /opt order), and published layer versions with their own never-reused numbering (as
    // function_versions).
    r#"
    ALTER TABLE functions ADD COLUMN ephemeral_storage_mb INTEGER NOT NULL DEFAULT 512;
    ALTER TABLE functions ADD COLUMN layers TEXT NOT NULL DEFAULT '[]';
    -- The zip its /var/task was unpacked from (<state>/tasks/<sha256>/); NULL for a bare .wasm.
    ALTER TABLE functions ADD COLUMN task_sha256 TEXT;

    CREATE TABLE layer_versions (
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        description TEXT NOT NULL,
        license_info TEXT,
        compatible_runtimes TEXT NOT NULL,       -- JSON array
        compatible_architectures TEXT NOT NULL,  -- JSON array
        code_sha256 TEXT NOT NULL,
        code_size INTEGER NOT NULL,
        unzipped_size INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        PRIMARY KEY (name, version)
    ) WITHOUT ROWID;

    CREATE TABLE layers (
        name TEXT PRIMARY KEY,
        last_published INTEGER NOT NULL
    ) WITHOUT ROWID;

    -- The tags of each uploaded function (all its versions): Lambda's Tags, and the grants of
    -- uploads (`fnhost:invoke`, `fnhost:objects-read`, `fnhost:objects-write`).
    CREATE TABLE function_tags (
        name TEXT NOT NULL,
        key TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (name, key)
    ) WITHOUT ROWID;
    "#,
    // 5: Lambda's deployment model (issue 15): each version's state (Pending / Active / Failed
    // with Lambda's reason code and text) and the status of its last update, the source zip a
    // runtime function was packaged from; aliases (one version, or two with a weight) and
    // function URLs (one per function and per alias).
    r#"
    ALTER TABLE functions ADD COLUMN state TEXT NOT NULL DEFAULT 'Active';
    ALTER TABLE functions ADD COLUMN state_reason TEXT;
    ALTER TABLE functions ADD COLUMN state_reason_code TEXT;
    ALTER TABLE functions ADD COLUMN last_update_status TEXT NOT NULL DEFAULT 'Successful';
    ALTER TABLE functions ADD COLUMN last_update_reason TEXT;
    ALTER TABLE functions ADD COLUMN last_update_reason_code TEXT;
    -- SHA-256 of the source zip a python3.x / nodejsN.x function was packaged from
    -- (<state>/sources/<sha256>.zip); NULL for prebuilt wasm.
    ALTER TABLE functions ADD COLUMN source_sha256 TEXT;

    CREATE TABLE aliases (
        function TEXT NOT NULL,
        name TEXT NOT NULL,
        function_version TEXT NOT NULL,
        description TEXT NOT NULL,
        -- JSON object {"<version>": weight}: AdditionalVersionWeights, at most one entry.
        routing TEXT NOT NULL DEFAULT '{}',
        revision_id TEXT NOT NULL,
        PRIMARY KEY (function, name)
    ) WITHOUT ROWID;

    CREATE TABLE function_urls (
        function TEXT NOT NULL,
        -- '' for the unqualified function, else an alias name.
        qualifier TEXT NOT NULL,
        url_id TEXT NOT NULL UNIQUE,
        auth_type TEXT NOT NULL,
        cors TEXT,                            -- JSON object, Lambda's Cors shape
        invoke_mode TEXT NOT NULL,
        created_ms INTEGER NOT NULL,
        modified_ms INTEGER NOT NULL,
        PRIMARY KEY (function, qualifier)
    ) WITHOUT ROWID;
    "#,
    // 6: the web console (issue 16): rollups of the invocation records per function and minute
    // and per function and hour (see `stats.rs`), filled from the records already stored by
    // `stats::backfill` (`ROLLUPS_VERSION`); the console sampler's throttles, concurrency and
    // queue per function and minute and hour; saved test events; the queue per function.
    r#"
    CREATE TABLE invocation_stats (
        granularity_ms INTEGER NOT NULL,     -- 60000 or 3600000
        function TEXT NOT NULL,              -- the bare name: versions count under it
        bucket_ms INTEGER NOT NULL,          -- the bucket's start, unix ms
        invocations INTEGER NOT NULL,
        error_count INTEGER NOT NULL,
        errors TEXT,                         -- JSON {"<error type>": n}; NULL for none
        duration_hist BLOB NOT NULL,         -- stats::Histogram's sparse varint pairs
        billed_ms INTEGER NOT NULL,
        -- Time before function: a batch of records updates rows of the last buckets only, a
        -- few pages at the end of the table, not a random page per function (which made
        -- recording twice as dear); the functions list reads one range; one function's
        -- metrics are a lookup per bucket.
        PRIMARY KEY (granularity_ms, bucket_ms, function)
    ) WITHOUT ROWID;

    CREATE TABLE function_samples (
        granularity_ms INTEGER NOT NULL,
        function TEXT NOT NULL,
        bucket_ms INTEGER NOT NULL,
        throttles INTEGER NOT NULL,
        peak_concurrency INTEGER NOT NULL,
        queue_depth INTEGER NOT NULL,
        queue_age_ms INTEGER NOT NULL,
        PRIMARY KEY (granularity_ms, bucket_ms, function)
    ) WITHOUT ROWID;

    CREATE TABLE test_events (
        function TEXT NOT NULL,
        name TEXT NOT NULL,
        event TEXT NOT NULL,
        modified_ms INTEGER NOT NULL,
        PRIMARY KEY (function, name)
    ) WITHOUT ROWID;

    -- The queue per function (depth, oldest event) from the index alone.
    CREATE INDEX jobs_function ON jobs (function, enqueued_at_ms);
    "#,
    // 7: reserved concurrency of uploaded functions (PutFunctionConcurrency; see
    // `concurrency.rs`): one number per function, 0 meaning every invocation is throttled.
    r#"
    CREATE TABLE function_concurrency (
        function TEXT PRIMARY KEY,
        reserved INTEGER NOT NULL CHECK (reserved >= 0)
    ) WITHOUT ROWID;
    "#,
    // 8: leases of cluster singletons (see `leases.rs`): the bucket watcher and the scheduler
    // run on the node that holds theirs. One machine holds them all.
    r#"
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        until_ms INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE schedule_ticks (
        schedule TEXT PRIMARY KEY,
        tick_ms INTEGER NOT NULL
    ) WITHOUT ROWID;
    "#,
    // 9: the number of queued jobs, kept by triggers, so that the queue cap (`enqueue_within`)
    // and `queue_depth` read one row instead of counting a backlog of up to the cap at every
    // `Event` invocation (as PostgreSQL's migration V21 does).
    r#"
    CREATE TABLE job_count (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        n INTEGER NOT NULL
    );
    INSERT INTO job_count (id, n) SELECT 0, COUNT(*) FROM jobs;

    CREATE TRIGGER jobs_count_added AFTER INSERT ON jobs
    BEGIN
        UPDATE job_count SET n = n + 1 WHERE id = 0;
    END;
    CREATE TRIGGER jobs_count_removed AFTER DELETE ON jobs
    BEGIN
        UPDATE job_count SET n = n - 1 WHERE id = 0;
    END;
    "#,
];

/// The migration that adds the rollups; after its SQL, [`crate::stats::backfill`] fills them
/// from the invocation records, in the same transaction.
const ROLLUPS_VERSION: i64 = 6;

/// The schema version this build writes and reads.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// What [`migrate`] found.
pub(crate) enum Migrated {
    /// The database is at [`SCHEMA_VERSION`] (`from` is where it started).
    Current { from: i64 },
    /// The database is newer than this build.
    TooNew { found: i64 },
}

/// Reads the schema version.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Brings the database to [`SCHEMA_VERSION`], one transaction per migration.
pub(crate) fn migrate(conn: &mut Connection) -> rusqlite::Result<Migrated> {
    let start = user_version(conn)?;
    if !(0..=SCHEMA_VERSION).contains(&start) {
        return Ok(Migrated::TooNew { found: start });
    }
    loop {
        // IMMEDIATE: two processes opening a fresh database at once take turns, and the second
        // sees the first one's version once it holds the lock.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version = user_version(&tx)?;
        if !(0..=SCHEMA_VERSION).contains(&version) {
            return Ok(Migrated::TooNew { found: version });
        }
        let Some(sql) = usize::try_from(version)
            .ok()
            .and_then(|v| MIGRATIONS.get(v))
        else {
            return Ok(Migrated::Current { from: start });
        };
        tx.execute_batch(sql)?;
        if version + 1 == ROLLUPS_VERSION {
            crate::stats::backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", version + 1)?;
        tx.commit()?;
        info!(
            from = version,
            to = version + 1,
            "migrated the database schema"
        );
    }
}

/// Takes a new database to `version` and no further (tests of a later migration).
#[cfg(test)]
pub(crate) fn migrate_to(conn: &Connection, version: usize) -> rusqlite::Result<()> {
    for sql in &MIGRATIONS[..version] {
        conn.execute_batch(sql)?;
    }
    conn.pragma_update(None, "user_version", version as i64)
}

#[cfg(test)]
mod tests {
    use rusqlite::params_from_iter;
    use rusqlite::types::Value;

    use crate::invocations::{invocation_sql, invocations_sql, logs_sql, usage_sql};
    use crate::queue::{CLAIM_SQL, QUEUE_BY_FUNCTION_SQL};
    use crate::stats::{
        ROLLUP_ROW_SQL, SAMPLES_ROW_SQL, SAMPLES_WINDOW_SQL, STATS_ROW_SQL, STATS_WINDOW_SQL,
        prune_sql,
    };
    use crate::test_events::TEST_EVENTS_SQL;
    use crate::{Durability, InvocationQuery, LogQuery, Sqlite};

    /// The store's own hot and user-facing statements are served by an index, without sorting.
    #[test]
    fn queries_use_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Sqlite::open_with(&dir.path().join("db"), Durability::Normal).unwrap();
        let plan = |sql: &str, values: Vec<Value>| {
            store
                .read("explaining", |conn| {
                    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let rows = stmt.query_map(params_from_iter(values), |row| row.get(3))?;
                    rows.collect::<rusqlite::Result<Vec<String>>>()
                })
                .unwrap()
                .join("; ")
        };
        let int = Value::Integer;
        let function = Some("f".to_owned());
        let cases = [
            (CLAIM_SQL.clone(), vec![int(5), int(64)], "jobs_due"),
            (
                "SELECT MIN(not_before_ms) FROM jobs WHERE state = 0".to_owned(),
                vec![],
                "jobs_due",
            ),
            (
                "DELETE FROM invocations WHERE started_at_ms < ?1".to_owned(),
                vec![int(5)],
                "invocations_started",
            ),
            (
                "SELECT COUNT(*), COALESCE(SUM(log_line_count), 0) FROM invocations \
                 WHERE started_at_ms < ?1"
                    .to_owned(),
                vec![int(5)],
                "invocations_started",
            ),
        ]
        .into_iter()
        .chain([
            {
                let (sql, values) = logs_sql(
                    &LogQuery {
                        function: function.clone(),
                        after_seq: Some(10 << 20),
                        ..LogQuery::default()
                    },
                    false,
                );
                (sql, values, "invocations_logs")
            },
            {
                let (sql, values) = logs_sql(
                    &LogQuery {
                        function: function.clone(),
                        since_ms: Some(5),
                        filter: Some("x".to_owned()),
                        ..LogQuery::default()
                    },
                    true,
                );
                (sql, values, "invocations_logs")
            },
            {
                // Every invocation from the one `after_seq` names: a range of the table itself.
                let (sql, values) = logs_sql(
                    &LogQuery {
                        after_seq: Some(10 << 20),
                        since_ms: Some(5),
                        ..LogQuery::default()
                    },
                    false,
                );
                (sql, values, "USING INTEGER PRIMARY KEY (rowid>?)")
            },
            {
                let (sql, values) = invocations_sql(&InvocationQuery {
                    function: function.clone(),
                    since_ms: Some(5),
                    ..InvocationQuery::default()
                });
                (sql, values, "invocations_function")
            },
            {
                let (sql, values) = invocations_sql(&InvocationQuery::default());
                (sql, values, "invocations_started")
            },
            {
                // The console's page of a function's past invocations.
                let (sql, values) = invocations_sql(&InvocationQuery {
                    function: function.clone(),
                    until_ms: Some(5),
                    ..InvocationQuery::default()
                });
                (sql, values, "invocations_function")
            },
        ]);
        // The console's reads (issue 16): ranges and seeks of primary keys, the queue per
        // function from its index alone, retention by bucket.
        let text = |s: &str| Value::Text(s.to_owned());
        let hour = int(3_600_000);
        let row = "PRIMARY KEY (granularity_ms=? AND bucket_ms=? AND function=?)";
        let console = [
            (
                STATS_ROW_SQL.to_owned(),
                vec![hour.clone(), text("f"), int(5)],
                format!("SEARCH invocation_stats USING {row}"),
            ),
            (
                SAMPLES_ROW_SQL.to_owned(),
                vec![hour.clone(), text("f"), int(5)],
                format!("SEARCH function_samples USING {row}"),
            ),
            (
                ROLLUP_ROW_SQL.to_owned(),
                vec![hour.clone(), text("f"), int(5)],
                format!("SEARCH invocation_stats USING {row}"),
            ),
            (
                STATS_WINDOW_SQL.to_owned(),
                vec![hour.clone(), int(5), int(10)],
                "SEARCH invocation_stats USING PRIMARY KEY \
                 (granularity_ms=? AND bucket_ms>? AND bucket_ms<?)"
                    .to_owned(),
            ),
            (
                SAMPLES_WINDOW_SQL.to_owned(),
                vec![hour.clone(), int(5), int(10)],
                "SEARCH function_samples USING PRIMARY KEY \
                 (granularity_ms=? AND bucket_ms>? AND bucket_ms<?)"
                    .to_owned(),
            ),
            (
                prune_sql("invocation_stats"),
                vec![hour.clone(), int(5)],
                "SEARCH invocation_stats USING PRIMARY KEY (granularity_ms=? AND bucket_ms<?)"
                    .to_owned(),
            ),
            (
                prune_sql("function_samples"),
                vec![hour.clone(), int(5)],
                "SEARCH function_samples USING PRIMARY KEY (granularity_ms=? AND bucket_ms<?)"
                    .to_owned(),
            ),
            (
                QUEUE_BY_FUNCTION_SQL.to_owned(),
                vec![],
                "SCAN jobs USING COVERING INDEX jobs_function".to_owned(),
            ),
            (
                TEST_EVENTS_SQL.to_owned(),
                vec![text("f")],
                "SEARCH test_events USING PRIMARY KEY (function=?)".to_owned(),
            ),
        ];
        let cases = cases.map(|(sql, values, index)| (sql, values, index.to_owned()));
        for (sql, values, index) in cases.chain(console) {
            let plan = plan(&sql, values);
            assert!(plan.contains(&*index), "{sql}: {plan}");
            assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
        }
        // A request id: newest first through the start-time index, which holds the id, without
        // a sort (LIMIT 1 stops at the newest match).
        let lookup = plan(&invocation_sql(), vec![Value::Text("r".to_owned())]);
        assert!(
            lookup.contains("SCAN invocations USING INDEX invocations_started"),
            "{lookup}"
        );
        assert!(!lookup.contains("TEMP B-TREE"), "{lookup}");
        // Usage over a window: a range on the start time (grouping then sorts).
        let plan = plan(&usage_sql(true), vec![int(5)]);
        assert!(
            plan.contains("SEARCH invocations USING INDEX invocations_started"),
            "{plan}"
        );
    }
}
