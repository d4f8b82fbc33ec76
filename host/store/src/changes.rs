//! Following changes other nodes make to the function registry.
//!
//! On PostgreSQL every committed change to a function, its aliases, URLs, reserved concurrency
//! or tags is announced (`NOTIFY fnhost_changes` from a trigger, payload = the function's
//! name); [`ChangeStore::follow_changes`] opens a [`ChangeFeed`] that `LISTEN`s on a connection
//! of its own. A node reloads each function named, and re-reads everything after
//! [`Change::Missed`] (the connection dropped, so announcements may have been lost) and on a
//! slow interval anyway, as the fallback the issue asks for. An SQLite store has one host, so
//! there is nothing to follow.

use std::time::Duration;

use crate::error::StoreError;
use crate::pg::Listener;
use crate::store::Sqlite;

/// Something another node changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// The function of this name: its record, a version, an alias, a URL, its concurrency or
    /// tags (created, changed or deleted).
    Function(String),
    /// The feed was cut off (its connection dropped) and is back: changes made meanwhile were
    /// not announced to it, so the whole registry must be re-read.
    Missed,
}

/// A live subscription to [`Change`]s. Blocking: run it on a thread of its own.
pub struct ChangeFeed {
    listener: Listener,
}

impl ChangeFeed {
    pub(crate) fn new(listener: Listener) -> ChangeFeed {
        ChangeFeed { listener }
    }

    /// Waits up to `timeout` for changes and returns those that came, each function once, in
    /// name order ([`Change::Missed`] last); empty when none came. While the database cannot
    /// be reached it retries quietly and returns empty after `timeout`; the first wait after
    /// it reconnects returns [`Change::Missed`].
    pub fn wait(&mut self, timeout: Duration) -> Vec<Change> {
        self.listener.wait(timeout)
    }
}

impl std::fmt::Debug for ChangeFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangeFeed").finish_non_exhaustive()
    }
}

/// Announcements of registry changes between the nodes sharing a store.
pub trait ChangeStore {
    /// Starts following changes; `None` for a store only one host uses (SQLite).
    fn follow_changes(&self) -> Result<Option<ChangeFeed>, StoreError>;
}

impl ChangeStore for Sqlite {
    fn follow_changes(&self) -> Result<Option<ChangeFeed>, StoreError> {
        Ok(None)
    }
}
