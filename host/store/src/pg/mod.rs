//! The PostgreSQL backend: one database that every node of a cluster shares (issue 18).
//!
//! It holds the same tables as the SQLite backend (`migrations/`, applied at start by refinery
//! under an advisory lock, so nodes starting together migrate once), behind the same traits.
//! Writes run in `SERIALIZABLE` transactions, retried when PostgreSQL reports a serialization
//! failure or a deadlock, so a check-then-write (e.g. "create unless it exists") is as safe
//! across nodes as it is under SQLite's single writer. The queue's claims use
//! `FOR UPDATE SKIP LOCKED` in `READ COMMITTED` instead, so nodes claiming together never wait
//! on each other ([`Postgres::write_committed`]).
//!
//! rust-postgres's synchronous client drives its own small runtime and may not block a tokio
//! worker thread; a call made on one runs on a scoped thread of its own ([`off_runtime`]), so
//! the store can be called from anywhere, like the SQLite backend. The host calls it from
//! blocking work ([`fnhost_core::blocking`]), which runs on the calling thread.

use std::collections::HashMap;
use std::fmt;
use std::mem::ManuallyDrop;
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, IsolationLevel, Row, Statement, Transaction};
use r2d2::{Pool, PooledConnection};
use r2d2_postgres::PostgresConnectionManager;
use tokio_postgres_rustls::MakeRustlsConnect;
use tracing::{debug, warn};

use crate::backend::{Location, StoreInfo};
use crate::error::{StoreError, TxError};
use crate::store::Durability;

pub(crate) use listener::Listener;

// The `migrations` module: every `migrations/V<n>__<name>.sql`, embedded at build time.
refinery::embed_migrations!("src/pg/migrations");

mod aliases;
mod blobs;
mod checkpoints;
mod concurrency;
mod functions;
mod invocations;
mod layers;
mod leases;
mod listener;
mod queue;
mod stats;
mod tags;
mod test_events;
mod tls;
mod urls;

/// Connections kept per node: enough for the recorder, the queue, the API and the console at
/// once; PostgreSQL's default `max_connections` (100) serves several nodes.
const POOL_SIZE: u32 = 16;

/// How long a call waits for a connection before failing with [`StoreError::Unavailable`].
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How many times a write is tried when PostgreSQL aborts it for a conflict with another
/// transaction (serialization failure, deadlock).
const WRITE_ATTEMPTS: u32 = 20;

/// The advisory lock key nodes take while migrating (`"fnhost"` in ASCII).
const MIGRATION_LOCK: i64 = 0x666e_686f_7374;

type Manager = PostgresConnectionManager<MakeRustlsConnect>;

/// A statement parameter with its type.
pub(crate) type Param<'a> = (&'a (dyn ToSql + Sync), Type);

/// The statements prepared on one pooled connection, by their SQL (kept in the connection's
/// r2d2 extensions, so they go with it when the pool replaces it).
#[derive(Default)]
struct Prepared(HashMap<&'static str, Statement>);

/// The PostgreSQL backend. `Store::connect`(crate::Store::connect) wraps one.
pub struct Postgres {
    /// Dropped off any tokio runtime ([`Drop`] below): closing a connection blocks.
    pool: ManuallyDrop<Pool<Manager>>,
    /// How to connect, for the change feed's own connection.
    target: tls::Target,
    /// The URL with any password left out, for messages.
    url: String,
    /// This handle's leases on the queue's jobs (`queue.rs`).
    leases: queue::Leases,
}

/// rust-postgres closes a connection by blocking on its own runtime, which panics on a thread
/// that drives a tokio runtime; the last handle on a store is often dropped on one (the end of
/// an async `main`, an error path in `fnhost up`). So the pool's connections are closed off
/// the runtime.
impl Drop for Postgres {
    fn drop(&mut self) {
        // SAFETY: `pool` is not used again: this is the store's drop, and no other field's drop
        // reads it.
        let pool = unsafe { ManuallyDrop::take(&mut self.pool) };
        off_runtime(move || drop(pool));
    }
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// True for a `postgres://` or `postgresql://` URL: what `--store` takes for this backend.
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// `url` with the password (if any) replaced by `***`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

impl Postgres {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`), and creates
    /// or migrates its tables.
    pub fn connect(url: &str) -> Result<Postgres, StoreError> {
        let shown = redact_url(url);
        if !is_postgres_url(url) {
            return Err(StoreError::InvalidUrl {
                url: shown,
                reason: "expected postgres://user:password@host:port/database".to_owned(),
            });
        }
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let mut target =
            tls::Target::parse(url, home.as_deref()).map_err(|reason| StoreError::InvalidUrl {
                url: shown.clone(),
                reason,
            })?;
        let config = &mut target.config;
        if config.get_application_name().is_none() {
            config.application_name("fnhost");
        }
        config.connect_timeout(CONNECT_TIMEOUT);
        debug!(url = %shown, sslmode = %target.mode, "connecting to PostgreSQL");
        let connect_err = |reason: String| StoreError::Connect {
            url: shown.clone(),
            reason,
        };
        // One connection first, for PostgreSQL's own reason when it cannot be made (the
        // pool would retry until its timeout, then report only "db error").
        off_runtime(|| target.connect().map(drop))
            .map_err(|e| connect_err(crate::error::pg_message(&e)))?;
        let pool = off_runtime(|| {
            Pool::builder()
                .max_size(POOL_SIZE)
                .min_idle(Some(1))
                .connection_timeout(CONNECT_TIMEOUT)
                // A closed connection is noticed by `has_broken`; a test query per checkout
                // would double the round trips of every call.
                .test_on_check_out(false)
                .build(Manager::new(target.config.clone(), target.tls.clone()))
        })
        .map_err(|e| connect_err(e.to_string()))?;
        let store = Postgres {
            pool: ManuallyDrop::new(pool),
            target,
            url: shown,
            leases: queue::Leases::new(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// Applies the migrations this build has and the database lacks, one node at a time.
    fn migrate(&self) -> Result<(), StoreError> {
        let connect_err = |reason: String| StoreError::Connect {
            url: self.url.clone(),
            reason,
        };
        off_runtime(|| {
            let mut conn = self.pool.get().map_err(|e| connect_err(e.to_string()))?;
            conn.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
                .map_err(|e| connect_err(e.to_string()))?;
            let runner = migrations::runner();
            let supported = runner
                .get_migrations()
                .iter()
                .map(|m| i64::from(m.version()))
                .max()
                .unwrap_or(0);
            let outcome = match newest_applied(&mut conn) {
                Ok(Some(found)) if found > supported => Err(StoreError::PostgresSchemaTooNew {
                    url: self.url.clone(),
                    found,
                    supported,
                }),
                Ok(_) => runner
                    .run(&mut *conn)
                    .map(|report| {
                        for m in report.applied_migrations() {
                            debug!(url = %self.url, migration = %m, "applied a migration");
                        }
                    })
                    .map_err(|e| connect_err(format!("migrating: {e}"))),
                Err(e) => Err(connect_err(format!("reading the schema version: {e}"))),
            };
            let unlocked = conn.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
            if let Err(e) = unlocked {
                warn!(url = %self.url, error = %e, "could not release the migration lock");
            }
            outcome
        })
    }

    fn connection(&self, op: &'static str) -> Result<PooledConnection<Manager>, StoreError> {
        self.pool
            .get()
            .map_err(|source| StoreError::Unavailable { op, source })
    }

    /// Runs `f` on a connection, outside any transaction (one statement, or several that need
    /// no common snapshot).
    pub(crate) fn read<T: Send>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut Client) -> Result<T, TxError> + Send,
    ) -> Result<T, StoreError> {
        off_runtime(|| {
            let mut conn = self.connection(op)?;
            f(&mut conn).map_err(|e| e.into_store(op))
        })
    }

    /// Runs `sql`, one statement of the queue's hot path, with `params` in autocommit, as a
    /// statement prepared once per connection, and returns its rows. PostgreSQL then parses it
    /// once and may keep its plan, where a statement sent with its parameters (`query_typed`) is
    /// parsed and planned at every call: on a busy queue, most of the database's CPU per event.
    pub(crate) fn query_prepared(
        &self,
        op: &'static str,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<Vec<Row>, StoreError> {
        self.with_prepared(op, sql, params, |conn, statement, values| {
            conn.query(statement, values)
        })
    }

    /// [`Postgres::query_prepared`] for a statement that returns no rows; returns how many
    /// rows it changed.
    pub(crate) fn execute_prepared(
        &self,
        op: &'static str,
        sql: &'static str,
        params: &[Param<'_>],
    ) -> Result<u64, StoreError> {
        self.with_prepared(op, sql, params, |conn, statement, values| {
            conn.execute(statement, values)
        })
    }

    fn with_prepared<T: Send>(
        &self,
        op: &'static str,
        sql: &'static str,
        params: &[Param<'_>],
        run: impl FnOnce(&mut Client, &Statement, &[&(dyn ToSql + Sync)]) -> Result<T, postgres::Error>
        + Send,
    ) -> Result<T, StoreError> {
        let failed = |e: postgres::Error| TxError::Pg(e).into_store(op);
        off_runtime(|| {
            let mut conn = self.connection(op)?;
            let statement = prepared(&mut conn, sql, params).map_err(failed)?;
            let values: Vec<&(dyn ToSql + Sync)> = params.iter().map(|(value, _)| *value).collect();
            run(&mut conn, &statement, &values).map_err(failed)
        })
    }

    /// Runs `f` in one `SERIALIZABLE` transaction, committed only if `f` succeeds; tried again
    /// (from the start, so `f` may run more than once) when PostgreSQL aborts it for a conflict
    /// with a concurrent transaction.
    pub(crate) fn write<T: Send>(
        &self,
        op: &'static str,
        f: impl FnMut(&mut Transaction<'_>) -> Result<T, TxError> + Send,
    ) -> Result<T, StoreError> {
        self.transact(op, IsolationLevel::Serializable, f)
    }

    /// Like [`Postgres::write`] in `READ COMMITTED`: for statements that lock the rows they
    /// change themselves (`FOR UPDATE SKIP LOCKED`, `UPDATE … RETURNING`) and must not wait
    /// for, or fail on, other nodes' claims.
    pub(crate) fn write_committed<T: Send>(
        &self,
        op: &'static str,
        f: impl FnMut(&mut Transaction<'_>) -> Result<T, TxError> + Send,
    ) -> Result<T, StoreError> {
        self.transact(op, IsolationLevel::ReadCommitted, f)
    }

    fn transact<T: Send>(
        &self,
        op: &'static str,
        isolation: IsolationLevel,
        mut f: impl FnMut(&mut Transaction<'_>) -> Result<T, TxError> + Send,
    ) -> Result<T, StoreError> {
        off_runtime(|| {
            let mut conn = self.connection(op)?;
            let mut attempt = 1;
            loop {
                let result = (|| {
                    let mut tx = conn
                        .build_transaction()
                        .isolation_level(isolation)
                        .start()?;
                    let value = f(&mut tx)?;
                    tx.commit()?;
                    Ok(value)
                })();
                match result {
                    Err(TxError::Pg(e)) if retryable(&e) && attempt < WRITE_ATTEMPTS => {
                        debug!(op, attempt, error = %e, "retrying a conflicting transaction");
                        std::thread::sleep(backoff(attempt));
                        attempt += 1;
                    }
                    result => return result.map_err(|e: TxError| e.into_store(op)),
                }
            }
        })
    }
}

impl StoreInfo for Postgres {
    fn location(&self) -> Location<'_> {
        Location::Server(&self.url)
    }

    fn is_read_only(&self) -> bool {
        false
    }

    fn durability(&self) -> Durability {
        // PostgreSQL's default `synchronous_commit = on`: a commit is on disk when it returns.
        Durability::Full
    }

    fn shared_blobs(&self) -> Option<&dyn crate::blobs::BlobStore> {
        Some(self)
    }
}

/// `sql` prepared on `conn` with the types of `params`: the one prepared before on this
/// connection, or a new one kept for next time.
fn prepared(
    conn: &mut PooledConnection<Manager>,
    sql: &'static str,
    params: &[Param<'_>],
) -> Result<Statement, postgres::Error> {
    if let Some(statement) = PooledConnection::extensions(conn)
        .get::<Prepared>()
        .and_then(|prepared| prepared.0.get(sql))
    {
        return Ok(statement.clone());
    }
    let types: Vec<Type> = params.iter().map(|(_, ty)| ty.clone()).collect();
    let statement = conn.prepare_typed(sql, &types)?;
    let extensions = PooledConnection::extensions_mut(conn);
    match extensions.get_mut::<Prepared>() {
        Some(prepared) => {
            prepared.0.insert(sql, statement.clone());
        }
        None => {
            let mut prepared = Prepared::default();
            prepared.0.insert(sql, statement.clone());
            extensions.insert(prepared);
        }
    }
    Ok(statement)
}

/// The newest migration applied to the database (refinery's history table), `None` for an
/// empty database.
fn newest_applied(conn: &mut Client) -> Result<Option<i64>, postgres::Error> {
    let row = conn.query_one(
        "SELECT to_regclass('refinery_schema_history') IS NOT NULL",
        &[],
    )?;
    if !row.get::<_, bool>(0) {
        return Ok(None);
    }
    let row = conn.query_one(
        "SELECT MAX(version)::BIGINT FROM refinery_schema_history",
        &[],
    )?;
    Ok(row.get(0))
}

/// Whether PostgreSQL aborted a transaction only because of a concurrent one.
fn retryable(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE | &SqlState::T_R_DEADLOCK_DETECTED)
    )
}

/// The pause before attempt `attempt + 1`: 1, 2, 4 … ms, at most 50 ms, spread by the clock so
/// that nodes that collided do not collide again in step.
fn backoff(attempt: u32) -> Duration {
    let base = 1u64 << attempt.min(5);
    let spread = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_nanos()) % (base + 1));
    Duration::from_millis((base + spread).min(50))
}

/// Runs `f` where rust-postgres may block: here when this thread may block
/// ([`fnhost_core::may_block`]: no runtime, or work given to [`fnhost_core::blocking`], which is
/// how the host calls the store), else (a runtime's worker: its synchronous client would panic
/// there) on a scoped thread of its own.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    if fnhost_core::may_block() {
        return f();
    }
    std::thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

/// A `u64` as PostgreSQL's `BIGINT`, saturating like the SQLite backend's.
pub(crate) fn pg_u64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A non-negative `BIGINT` column as `u64`.
pub(crate) fn to_u64(value: i64, column: &str) -> Result<u64, TxError> {
    u64::try_from(value).map_err(|_| TxError::Corrupt(format!("negative `{column}`: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_left_out_of_urls() {
        assert_eq!(
            redact_url("postgres://fnhost:s3cret@db:5432/fnhost?sslmode=disable"),
            "postgres://fnhost:***@db:5432/fnhost?sslmode=disable"
        );
        assert_eq!(
            redact_url("postgres://fnhost@db/fnhost"),
            "postgres://fnhost@db/fnhost"
        );
        assert_eq!(redact_url("postgresql://db/x"), "postgresql://db/x");
        assert!(is_postgres_url("postgresql://db/x"));
        assert!(!is_postgres_url("/var/lib/fnhost/fnhost.db"));
    }

    #[test]
    fn a_bad_url_is_refused_before_connecting() {
        let err = Postgres::connect("postgres://fnhost:pw@db:notaport/x").unwrap_err();
        assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err}");
        assert!(!err.to_string().contains("pw"), "{err}");
        let err = Postgres::connect("mysql://db/x").unwrap_err();
        assert!(matches!(err, StoreError::InvalidUrl { .. }), "{err}");
    }
}
