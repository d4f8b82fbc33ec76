//! A real, throwaway PostgreSQL server for fnhost's tests.
//!
//! [`Server::shared`] starts one server per test process (Debian's `postgresql` binaries,
//! `initdb` into a temporary directory, `postgres` on a free 127.0.0.1 port; as `nobody` when
//! the tests run as root, since PostgreSQL refuses root), and [`Server::database`] gives each
//! test a fresh database of its own, dropped with its handle:
//!
//! ```no_run
//! let db = fnhost_testpg::Server::shared().database()?;
//! let mut client = db.connect()?;
//! client.batch_execute("CREATE TABLE t (id int)")?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Tests that stop and restart PostgreSQL take a [`Server::start_private`] of their own.
//! Missing binaries are an error naming `.ci/postgres.sh`, which installs them.
//!
//! The API blocks and is meant for plain `#[test]` threads; see [`Server`] for async callers.

mod database;
mod error;
mod install;
mod server;
mod spawn;

pub use database::Database;
pub use error::Error;
pub use server::{CERT_USERS, Server, Shutdown, Tls};
