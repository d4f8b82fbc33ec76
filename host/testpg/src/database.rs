//! A database of a test's own, dropped with its handle.

use std::thread;

use crate::error::{Error, sql_err};
use crate::server::{self, connect};

/// A database created by [`Server::database`](crate::Server::database) for one test; dropping
/// the handle drops the database (best effort, closing its open connections first), so
/// connections and pools using it should be dropped before, or they see it vanish.
#[derive(Debug)]
pub struct Database {
    name: String,
    port: u16,
    url: String,
    /// `DROP DATABASE … WITH (FORCE)` exists from PostgreSQL 13 on.
    force: bool,
}

impl Database {
    pub(crate) fn new(name: String, port: u16, force: bool) -> Database {
        let url = server::url(port, &name);
        Database {
            name,
            port,
            url,
            force,
        }
    }

    /// The database's name (`test_<pid>_<n>`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// `postgres://fnhost@127.0.0.1:PORT/NAME`, for the code under test.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A synchronous client connected to this database as `fnhost`. Like every synchronous
    /// `postgres::Client`, it panics when used on a tokio worker thread; use it from plain test
    /// threads (or `spawn_blocking`).
    pub fn connect(&self) -> Result<postgres::Client, Error> {
        off_runtime(|| connect(self.port, &self.name))
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        let result = off_runtime(|| {
            let mut admin = connect(self.port, "postgres")?;
            let name = &self.name;
            let sql = if self.force {
                format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")
            } else {
                format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = '{name}'; DROP DATABASE IF EXISTS \"{name}\""
                )
            };
            admin
                .batch_execute(&sql)
                .map_err(sql_err(format!("drop database `{name}`")))
        });
        if let Err(err) = result {
            tracing::debug!("{err}");
        }
    }
}

/// Runs `f` on a scoped thread of its own: the synchronous `postgres` client starts a tokio
/// runtime per call and panics when the calling thread is already inside one.
pub(crate) fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|scope| match scope.spawn(f).join() {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}
