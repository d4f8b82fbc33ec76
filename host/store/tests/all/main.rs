//! Integration tests of fnhost-store against real database files and a real PostgreSQL
//! server (started by the tests themselves, see fnhost-testpg).

/// Runs a test once against each backend: `both_backends!(name)` after `fn name(store: Store)`
/// adds the tests `name::sqlite` (a fresh database file) and `name::postgres` (a fresh database
/// on the test process's PostgreSQL server).
macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    let (_dir, store) = crate::temp_store();
                    super::$name(store)
                }

                #[test]
                fn postgres() {
                    let (_db, store) = crate::pg_store();
                    super::$name(store)
                }
            }
        )+
    };
}

mod changes;
mod crash;
mod functions;
mod layers;
mod leases;
mod limits;
mod logs;
mod migrate;
mod open;
mod queue;
mod recorder;
mod registry;
mod state_dir;
mod tls;

use fnhost_store::{Durability, InvocationRecord, NewJob, Store};
use tempfile::TempDir;

/// A fresh store in its own temporary directory (kept alive by the returned guard).
pub fn temp_store() -> (TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open_with(&dir.path().join("state/fnhost.db"), Durability::Normal)
        .expect("open store");
    (dir, store)
}

/// A fresh PostgreSQL store: a new database on the test process's server (dropped with the
/// returned guard).
pub fn pg_store() -> (fnhost_testpg::Database, Store) {
    let db = fnhost_testpg::Server::shared()
        .database()
        .expect("a fresh PostgreSQL database");
    let store = Store::connect(db.url()).expect("connect to PostgreSQL");
    (db, store)
}

/// A job for `function`, due at `not_before_ms`, distinguishable by `n`.
pub fn job(function: &str, n: u32, not_before_ms: u64) -> NewJob {
    NewJob {
        function: function.to_owned(),
        payload: format!("{{\"n\":{n}}}").into_bytes(),
        trigger: fnhost_core::Trigger::S3,
        request_id: format!("req-{function}-{n}"),
        max_attempts: 3,
        enqueued_at_ms: 1_000,
        expires_at_ms: 1_000 + 6 * 3_600_000,
        not_before_ms,
        lineage: fnhost_core::Lineage {
            chain_id: format!("chain-{n}"),
            hop: n % 4,
        },
    }
}

/// An invocation record with the given log.
pub fn record(function: &str, request_id: &str, started_at_ms: u64, log: &str) -> InvocationRecord {
    InvocationRecord {
        request_id: request_id.to_owned(),
        function: function.to_owned(),
        version: "$LATEST".to_owned(),
        trigger: fnhost_core::Trigger::Http,
        started_at_ms,
        duration_ms: 12.5,
        billed_ms: 13,
        memory_mb: 128,
        max_memory_used_mb: 20,
        fuel: None,
        error_type: None,
        log: log.to_owned(),
    }
}

/// A second, plain SQLite connection to the store's file (to hold locks, add triggers, check
/// integrity).
pub fn raw(store: &Store) -> rusqlite::Connection {
    let conn =
        rusqlite::Connection::open(store.path().expect("a file store")).expect("raw connection");
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    conn
}
