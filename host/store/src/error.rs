//! The crate's error type.

use std::path::PathBuf;

use rusqlite::ErrorCode;

/// Everything that can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The directory that holds the database could not be created.
    #[error("cannot create the state directory `{path}`: {source}")]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Another process (another `fnhost up`) owns the state directory.
    #[error(
        "state directory `{dir}` is in use by {}: stop that host first, or give this one its own --state-dir",
        match pid { Some(pid) => format!("pid {pid}"), None => "another process".to_owned() }
    )]
    InUse {
        /// The state directory.
        dir: PathBuf,
        /// The owner's pid, as it wrote it in the lock file.
        pid: Option<u32>,
    },
    /// The lock file of the state directory could not be opened, locked or written.
    #[error("cannot lock the state directory through `{path}`: {source}")]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The event queue holds as many jobs as it may; the event was not queued.
    #[error("the event queue is full ({depth} queued events, the limit is {limit})")]
    QueueFull {
        /// Jobs in the queue.
        depth: u64,
        /// The most the queue may hold.
        limit: u64,
    },
    /// SQLite could not open the database file or set it up (pragmas, migrations).
    #[error("cannot open the database `{path}`: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// A read-only open found no database file.
    #[error("no database at `{path}`: start the host (`fnhost up`) once to create it")]
    Missing {
        /// The database file that does not exist.
        path: PathBuf,
    },
    /// The database was written by a newer fnhost whose schema this one does not know.
    #[error(
        "database `{path}` has schema version {found}, newer than version {supported} that this \
         fnhost knows: upgrade fnhost or use another state directory"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        found: i64,
        /// The newest schema version this build knows.
        supported: i64,
    },
    /// A read-only open found an older schema; only a read-write open migrates.
    #[error(
        "database `{path}` has schema version {found}, older than version {supported}: open it \
         read-write once (start `fnhost up`) to migrate it"
    )]
    SchemaTooOld {
        /// The database file.
        path: PathBuf,
        /// Its `PRAGMA user_version`.
        found: i64,
        /// The schema version this build needs.
        supported: i64,
    },
    /// The file system refused write-ahead logging, without which crash safety is not given.
    #[error(
        "database `{path}` cannot use write-ahead logging (journal mode stayed `{mode}`): put the \
         state directory on a local file system"
    )]
    NoWal {
        /// The database file.
        path: PathBuf,
        /// The journal mode SQLite reported.
        mode: String,
    },
    /// Another connection held the database lock for longer than the busy timeout (5 s).
    #[error("database is locked by another connection while {op}: {source}")]
    Busy {
        /// What the store was doing.
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A write was attempted through a store opened with [`crate::Store::open_read_only`].
    #[error("database is open read-only while {op}")]
    ReadOnly {
        /// What the store was doing.
        op: &'static str,
    },
    /// Any other SQLite failure, with what the store was doing.
    #[error("database error while {op}: {source}")]
    Sqlite {
        /// What the store was doing.
        op: &'static str,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A store URL that is not a PostgreSQL URL fnhost can use.
    #[error("invalid store URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL, with any password left out.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// PostgreSQL could not be reached, or its schema could not be brought up to date.
    #[error("cannot open the PostgreSQL store `{url}`: {reason}")]
    Connect {
        /// The URL, with any password left out.
        url: String,
        /// Why, with PostgreSQL's own message.
        reason: String,
    },
    /// The PostgreSQL database was migrated by a newer fnhost, whose schema this one does not know.
    #[error(
        "PostgreSQL store `{url}` has schema version {found}, newer than version {supported} that \
         this fnhost knows: upgrade this node"
    )]
    PostgresSchemaTooNew {
        /// The URL, with any password left out.
        url: String,
        /// The newest migration applied to the database.
        found: i64,
        /// The newest migration this build knows.
        supported: i64,
    },
    /// A PostgreSQL failure, with what the store was doing.
    #[error("PostgreSQL error while {op}: {}", pg_message(source))]
    Postgres {
        /// What the store was doing.
        op: &'static str,
        /// The client's error (PostgreSQL's message and SQLSTATE when the server sent one).
        #[source]
        source: postgres::Error,
    },
    /// No PostgreSQL connection could be had from the pool in time (the server is down or
    /// every connection is busy).
    #[error("no PostgreSQL connection while {op}: {source}")]
    Unavailable {
        /// What the store was doing.
        op: &'static str,
        /// The pool's error.
        #[source]
        source: r2d2::Error,
    },
    /// A stored value that does not decode (e.g. a JSON column that is not JSON).
    #[error("unreadable stored value while {op}: {detail}")]
    Corrupt {
        /// What the store was doing.
        op: &'static str,
        /// What did not decode.
        detail: String,
    },
    /// A job id that is not in the queue (already completed, dead-lettered or never enqueued).
    #[error("no queued job with id {id}")]
    UnknownJob {
        /// The job id.
        id: i64,
    },
    /// A dead-letter id that does not exist (or belongs to another function than the one given).
    #[error("no dead letter with id {id}")]
    UnknownDeadLetter {
        /// The dead-letter id.
        id: i64,
    },
    /// A function version that is neither `$LATEST` nor a positive number.
    #[error("invalid function version `{version}`: expected `$LATEST` or a positive number")]
    InvalidVersion {
        /// The version given.
        version: String,
    },
    /// `FNHOST_SYNC` holds something other than `normal` or `full`.
    #[error("invalid durability `{value}`: expected `normal` or `full` (FNHOST_SYNC)")]
    InvalidDurability {
        /// The value given.
        value: String,
    },
    /// A function already has as many saved test events as it may have
    /// ([`crate::TEST_EVENTS_PER_FUNCTION`], Lambda's limit); the event was not saved.
    #[error(
        "function `{function}` already has {limit} saved test events, the most it may have: \
         delete one first"
    )]
    TooManyTestEvents {
        /// The function.
        function: String,
        /// The most saved test events a function may have.
        limit: usize,
    },
    /// A saved test event larger than [`crate::TEST_EVENT_MAX_BYTES`]; it was not saved.
    #[error("test event is {size} bytes, more than the {limit} bytes a saved test event may hold")]
    TestEventTooLarge {
        /// The event's size, bytes.
        size: usize,
        /// The most a saved test event may hold, bytes.
        limit: usize,
    },
    /// A metrics range whose step is not a positive whole number of minutes, or with too many
    /// points.
    #[error(
        "invalid metrics range of {points} points of {step_ms} ms: expected a step of whole \
         minutes and at most {max_points} points"
    )]
    InvalidMetricsRange {
        /// The step asked for, ms.
        step_ms: u64,
        /// The points asked for.
        points: usize,
        /// The most points a range may have ([`crate::MAX_METRICS_POINTS`]).
        max_points: usize,
    },
}

impl StoreError {
    /// Wraps a SQLite error with what the store was doing, sorting out lock and read-only errors.
    pub(crate) fn sqlite(op: &'static str, source: rusqlite::Error) -> StoreError {
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy { op, source }
            }
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly { op },
            _ => StoreError::Sqlite { op, source },
        }
    }

    /// True when the message names the database file, the state directory or the PostgreSQL
    /// URL, so a caller need not say which store it was opening.
    pub fn names_the_store(&self) -> bool {
        matches!(
            self,
            StoreError::CreateDir { .. }
                | StoreError::InUse { .. }
                | StoreError::Lock { .. }
                | StoreError::Open { .. }
                | StoreError::Missing { .. }
                | StoreError::SchemaTooNew { .. }
                | StoreError::SchemaTooOld { .. }
                | StoreError::NoWal { .. }
                | StoreError::InvalidUrl { .. }
                | StoreError::Connect { .. }
                | StoreError::PostgresSchemaTooNew { .. }
        )
    }

    /// True when the database was locked by another connection for longer than the busy timeout,
    /// or no PostgreSQL connection could be had;
    /// the operation can be retried.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            StoreError::Busy { .. } | StoreError::Unavailable { .. }
        )
    }
}

/// A PostgreSQL error's own text: the server's message (and detail) when the server sent one,
/// which rust-postgres's `Display` leaves to the error's source.
/// PostgreSQL's message and SQLSTATE when the server sent one, else the client's error with
/// its causes (`error performing TLS handshake: invalid peer certificate: UnknownIssuer`).
pub(crate) fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => match db.detail() {
            Some(detail) => format!("{} ({}): {detail}", db.message(), db.code().code()),
            None => format!("{} ({})", db.message(), db.code().code()),
        },
        None => {
            let mut message = e.to_string();
            let mut cause = std::error::Error::source(e);
            while let Some(source) = cause {
                message.push_str(": ");
                message.push_str(&source.to_string());
                cause = source.source();
            }
            message
        }
    }
}

/// Adds what the store was doing to a SQLite result.
pub(crate) trait Context<T> {
    /// Wraps the error with `op` (lowercase, e.g. "claiming jobs").
    fn op(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn op(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::sqlite(op, e))
    }
}

/// An error inside a transaction: SQLite's or PostgreSQL's (wrapped with the operation on the
/// way out), a stored value that does not decode, or one of the store's own.
#[derive(Debug)]
pub(crate) enum TxError {
    /// From SQLite.
    Sql(rusqlite::Error),
    /// From PostgreSQL.
    Pg(postgres::Error),
    /// A stored value that does not decode.
    Corrupt(String),
    /// From the store's own checks.
    Store(StoreError),
}

impl From<postgres::Error> for TxError {
    fn from(e: postgres::Error) -> TxError {
        TxError::Pg(e)
    }
}

impl From<rusqlite::Error> for TxError {
    fn from(e: rusqlite::Error) -> TxError {
        TxError::Sql(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> TxError {
        TxError::Store(e)
    }
}

impl TxError {
    /// Turns it into the public error, naming the operation.
    pub(crate) fn into_store(self, op: &'static str) -> StoreError {
        match self {
            TxError::Sql(e) => StoreError::sqlite(op, e),
            TxError::Pg(source) => StoreError::Postgres { op, source },
            TxError::Corrupt(detail) => StoreError::Corrupt { op, detail },
            TxError::Store(e) => e,
        }
    }
}
