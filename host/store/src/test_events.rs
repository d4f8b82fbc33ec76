//! Saved test events: the Lambda console's named events per function, kept for the console's
//! Test tab. The console checks names and that an event is JSON; the store caps how many a
//! function keeps ([`TEST_EVENTS_PER_FUNCTION`]) and how large one is
//! ([`TEST_EVENT_MAX_BYTES`]).

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use crate::error::StoreError;
use crate::functions::columns::Columns;
use crate::store::{Sqlite, get_u64, sql_u64};

/// The most saved test events one function keeps: Lambda's limit for private events.
pub const TEST_EVENTS_PER_FUNCTION: usize = 10;
/// The largest saved test event, bytes (256 KiB, Lambda's limit on an async event).
pub const TEST_EVENT_MAX_BYTES: usize = 256 * 1024;

/// A function's saved test events (`?1`), by name: a range of the primary key.
pub(crate) const TEST_EVENTS_SQL: &str =
    "SELECT name, event, modified_ms FROM test_events WHERE function = ?1 ORDER BY name";

/// A saved test event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TestEvent {
    /// Its name, unique per function.
    pub name: String,
    /// The event, JSON text as the console saved it.
    pub event: String,
    /// When it was last saved, unix ms.
    pub modified_ms: u64,
}

/// A `test_events` row (`name, event, modified_ms`) as a saved event.
pub(crate) fn test_event_from_row<R: Columns>(row: &R) -> Result<TestEvent, R::Error> {
    Ok(TestEvent {
        name: row.text(0)?,
        event: row.text(1)?,
        modified_ms: row.uint(2)?,
    })
}

/// Refuses an event larger than [`TEST_EVENT_MAX_BYTES`].
pub(crate) fn check_size(event: &str) -> Result<(), StoreError> {
    if event.len() > TEST_EVENT_MAX_BYTES {
        return Err(StoreError::TestEventTooLarge {
            size: event.len(),
            limit: TEST_EVENT_MAX_BYTES,
        });
    }
    Ok(())
}

/// Refuses a new event (`exists` false) of a function that has `count` events already when
/// that is [`TEST_EVENTS_PER_FUNCTION`] or more; replacing one is always allowed.
pub(crate) fn check_room(function: &str, exists: bool, count: u64) -> Result<(), StoreError> {
    if !exists && count >= TEST_EVENTS_PER_FUNCTION as u64 {
        return Err(StoreError::TooManyTestEvents {
            function: function.to_owned(),
            limit: TEST_EVENTS_PER_FUNCTION,
        });
    }
    Ok(())
}

/// Saved test events, per function (the console's Test tab).
pub trait TestEventStore {
    /// A function's saved test events, by name.
    fn test_events(&self, function: &str) -> Result<Vec<TestEvent>, StoreError>;

    /// Saves a test event under `name`, replacing one of that name. Fails with
    /// [`StoreError::TestEventTooLarge`] past [`TEST_EVENT_MAX_BYTES`], and with
    /// [`StoreError::TooManyTestEvents`] when the name is new and the function already has
    /// [`TEST_EVENTS_PER_FUNCTION`] events.
    fn put_test_event(
        &self,
        function: &str,
        name: &str,
        event: &str,
        now_ms: u64,
    ) -> Result<TestEvent, StoreError>;

    /// Deletes a saved test event; false if there was none of that name.
    fn delete_test_event(&self, function: &str, name: &str) -> Result<bool, StoreError>;

    /// Deletes every saved test event of a function (when the function is deleted); returns
    /// how many went.
    fn delete_test_events(&self, function: &str) -> Result<u64, StoreError>;
}

impl TestEventStore for Sqlite {
    fn test_events(&self, function: &str) -> Result<Vec<TestEvent>, StoreError> {
        self.read("listing test events", |conn| {
            conn.prepare_cached(TEST_EVENTS_SQL)?
                .query_map([function], |row| test_event_from_row(row))?
                .collect()
        })
    }

    fn put_test_event(
        &self,
        function: &str,
        name: &str,
        event: &str,
        now_ms: u64,
    ) -> Result<TestEvent, StoreError> {
        check_size(event)?;
        self.write("saving a test event", |tx| {
            let exists = tx
                .prepare_cached("SELECT 1 FROM test_events WHERE function = ?1 AND name = ?2")?
                .query_row([function, name], |_| Ok(()))
                .optional()?
                .is_some();
            if !exists {
                let count = tx
                    .prepare_cached("SELECT COUNT(*) FROM test_events WHERE function = ?1")?
                    .query_row([function], |row| get_u64(row, 0))?;
                check_room(function, exists, count)?;
            }
            tx.prepare_cached(
                "INSERT INTO test_events (function, name, event, modified_ms) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO UPDATE SET event = excluded.event, \
                 modified_ms = excluded.modified_ms",
            )?
            .execute(params![function, name, event, sql_u64(now_ms)])?;
            Ok(TestEvent {
                name: name.to_owned(),
                event: event.to_owned(),
                modified_ms: now_ms,
            })
        })
    }

    fn delete_test_event(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        self.write("deleting a test event", |tx| {
            let n = tx
                .prepare_cached("DELETE FROM test_events WHERE function = ?1 AND name = ?2")?
                .execute([function, name])?;
            Ok(n > 0)
        })
    }

    fn delete_test_events(&self, function: &str) -> Result<u64, StoreError> {
        self.write("deleting test events", |tx| {
            let n = tx
                .prepare_cached("DELETE FROM test_events WHERE function = ?1")?
                .execute([function])?;
            Ok(n as u64)
        })
    }
}
