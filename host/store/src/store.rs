//! The [`Store`] handle: opening the database (pragmas, migrations) and the lock and
//! transaction helpers the other modules build on.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, Row, Transaction, TransactionBehavior};
use tracing::debug;

use crate::backend::{Location, StoreInfo};
use crate::error::{Context, StoreError, TxError};
use crate::handle::Store;
use crate::schema::{self, Migrated, SCHEMA_VERSION};

/// How long a statement waits for another connection's lock before failing with
/// [`StoreError::Busy`].
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements kept per connection; the store has about 50 distinct statements.
const STATEMENT_CACHE: usize = 96;

/// The WAL file is truncated back to this size after a checkpoint, so a burst does not leave a
/// large file behind.
const JOURNAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// How hard a commit tries to reach the disk.
///
/// Both levels use the write-ahead log, so a crash never leaves a half-written transaction
/// visible and never corrupts the file; they differ only in what a power loss may take back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// `synchronous=NORMAL`: a commit is durable once it returns as far as the process is
    /// concerned (survives a crash or `kill -9` of fnhost); a power loss or kernel crash may lose
    /// the last transactions before the next checkpoint. The default.
    #[default]
    Normal,
    /// `synchronous=FULL`: every commit syncs the write-ahead log, so committed transactions
    /// survive power loss too, at the cost of one fsync per commit. `FNHOST_SYNC=full`.
    Full,
}

impl Durability {
    /// The environment variable [`Durability::from_env`] reads.
    pub const ENV: &'static str = "FNHOST_SYNC";

    /// Reads `FNHOST_SYNC` (`normal` or `full`, any case); unset or empty means
    /// [`Durability::Normal`].
    pub fn from_env() -> Result<Durability, StoreError> {
        match std::env::var(Self::ENV) {
            Ok(value) => value.parse(),
            Err(std::env::VarError::NotPresent) => Ok(Durability::Normal),
            Err(std::env::VarError::NotUnicode(value)) => Err(StoreError::InvalidDurability {
                value: value.to_string_lossy().into_owned(),
            }),
        }
    }

    /// The value of SQLite's `synchronous` pragma.
    fn pragma(self) -> &'static str {
        match self {
            Durability::Normal => "NORMAL",
            Durability::Full => "FULL",
        }
    }
}

impl FromStr for Durability {
    type Err = StoreError;

    fn from_str(s: &str) -> Result<Durability, StoreError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "normal" => Ok(Durability::Normal),
            "full" => Ok(Durability::Full),
            _ => Err(StoreError::InvalidDurability {
                value: s.to_owned(),
            }),
        }
    }
}

/// The SQLite backend: one connection behind a mutex, so calls from many threads are
/// serialized (SQLite allows one writer at a time anyway). `Store::open` wraps one.
pub struct Sqlite {
    conn: Mutex<Connection>,
    path: PathBuf,
    read_only: bool,
    durability: Durability,
}

impl fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sqlite")
            .field("path", &self.path)
            .field("read_only", &self.read_only)
            .field("durability", &self.durability)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating the parent directory and the file if needed) and migrates an SQLite
    /// database, with the durability `FNHOST_SYNC` asks for (default [`Durability::Normal`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, Durability::from_env()?)
    }

    /// Like `Store::open` with an explicit durability.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Store, StoreError> {
        Sqlite::open_with(path, durability).map(Store::new)
    }

    /// Opens an existing SQLite database for reading only, e.g. for `fnhost logs` while a host
    /// runs; see [`Sqlite::open_read_only`].
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        Sqlite::open_read_only(path).map(Store::new)
    }
}

impl Sqlite {
    /// Opens (creating the parent directory and the file if needed) and migrates the database.
    pub fn open_with(path: &Path, durability: Durability) -> Result<Sqlite, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::state_dir::create_private_dir(dir)?;
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        private_files(path).map_err(|e| open_err(io_error(e)))?;
        let mut conn = Connection::open(path).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
            .map_err(open_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::NoWal {
                path: path.to_path_buf(),
                mode,
            });
        }
        conn.pragma_update(None, "synchronous", durability.pragma())
            .map_err(open_err)?;
        conn.pragma_update(None, "journal_size_limit", JOURNAL_SIZE_LIMIT)
            .map_err(open_err)?;
        match schema::migrate(&mut conn).map_err(open_err)? {
            Migrated::TooNew { found } => {
                return Err(StoreError::SchemaTooNew {
                    path: path.to_path_buf(),
                    found,
                    supported: SCHEMA_VERSION,
                });
            }
            Migrated::Current { from } => {
                debug!(path = %path.display(), from, to = SCHEMA_VERSION, ?durability, "opened the database");
            }
        }
        Ok(Sqlite::from_connection(conn, path, false, durability))
    }

    /// Opens an existing database for reading only, e.g. for `fnhost logs` while a host runs:
    /// write-ahead logging lets it read committed data while the host writes. Every write call
    /// on it fails with [`StoreError::ReadOnly`].
    pub fn open_read_only(path: &Path) -> Result<Sqlite, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(open_err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(open_err)?;
        let found = schema::user_version(&conn).map_err(open_err)?;
        if !(0..=SCHEMA_VERSION).contains(&found) {
            return Err(StoreError::SchemaTooNew {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        if found < SCHEMA_VERSION {
            return Err(StoreError::SchemaTooOld {
                path: path.to_path_buf(),
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(Sqlite::from_connection(
            conn,
            path,
            true,
            Durability::default(),
        ))
    }

    fn from_connection(
        conn: Connection,
        path: &Path,
        read_only: bool,
        durability: Durability,
    ) -> Sqlite {
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Sqlite {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            read_only,
            durability,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock dropped any open transaction, which rolled it back; the
        // connection itself is still sound.
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the connection (one statement, or several that need no common snapshot).
    pub(crate) fn read<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let conn = self.lock();
        f(&conn).op(op)
    }

    /// Runs `f` in one write transaction, committed only if `f` succeeds.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction never fails half-way
    /// because another connection wrote first; waiting for the lock honours the busy timeout.
    pub(crate) fn write<T>(
        &self,
        op: &'static str,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, TxError>,
    ) -> Result<T, StoreError> {
        if self.read_only {
            return Err(StoreError::ReadOnly { op });
        }
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op(op)?;
        let value = f(&tx).map_err(|e| e.into_store(op))?;
        tx.commit().op(op)?;
        Ok(value)
    }
}

/// Creates the database file owner-only (0600) before SQLite does, and narrows the mode of an
/// existing one and of its `-wal` and `-shm` files (SQLite gives those the database's mode
/// when it creates them), so that the invocation logs and uploaded configuration in it are
/// not readable by other users.
///
/// Existing files are changed by path (`chmod`), never opened: closing a descriptor of the
/// database would drop the POSIX locks another connection of this process holds on it.
fn private_files(path: &Path) -> std::io::Result<()> {
    if !path.exists() {
        match crate::state_dir::create_private(path) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        crate::state_dir::narrow_mode(Path::new(&file))?;
    }
    Ok(())
}

impl StoreInfo for Sqlite {
    fn location(&self) -> Location<'_> {
        Location::File(&self.path)
    }

    fn is_read_only(&self) -> bool {
        self.read_only
    }

    fn durability(&self) -> Durability {
        self.durability
    }
}

/// An I/O error as the SQLite error `Store::open` reports.
fn io_error(err: std::io::Error) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(
        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CANTOPEN),
        Some(err.to_string()),
    )
}

/// A `u64` as SQLite's signed integer; values past `i64::MAX` (292 million years of
/// milliseconds) are stored as `i64::MAX`.
pub(crate) fn sql_u64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A count or limit as SQLite's signed integer, saturating like [`sql_u64`].
pub(crate) fn sql_usize(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Reads a non-negative integer column as `u64`.
pub(crate) fn get_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(idx)?;
    u64::try_from(value).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, value))
}

/// Reads a nullable non-negative integer column as `Option<u64>`.
pub(crate) fn get_opt_u64(row: &Row<'_>, idx: usize) -> rusqlite::Result<Option<u64>> {
    let value: Option<i64> = row.get(idx)?;
    value
        .map(|v| u64::try_from(v).map_err(|_| rusqlite::Error::IntegralValueOutOfRange(idx, v)))
        .transpose()
}
