//! Saved test events: the Lambda console's named events per function, kept for the console's
//! Test tab. The console checks names and that an event is JSON; the store caps how many a
//! function keeps ([`TEST_EVENTS_PER_FUNCTION`]) and how large one is
//! ([`TEST_EVENT_MAX_BYTES`]).

use rusqlite::{OptionalExtension as _, params};
use serde::Serialize;

use crate::error::StoreError;
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
                .query_map([function], |row| {
                    Ok(TestEvent {
                        name: row.get(0)?,
                        event: row.get(1)?,
                        modified_ms: get_u64(row, 2)?,
                    })
                })?
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
        if event.len() > TEST_EVENT_MAX_BYTES {
            return Err(StoreError::TestEventTooLarge {
                size: event.len(),
                limit: TEST_EVENT_MAX_BYTES,
            });
        }
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
                if count >= TEST_EVENTS_PER_FUNCTION as u64 {
                    return Err(StoreError::TooManyTestEvents {
                        function: function.to_owned(),
                        limit: TEST_EVENTS_PER_FUNCTION,
                    }
                    .into());
                }
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

#[cfg(test)]
mod tests {
    use crate::{
        Durability, Store, StoreError, TEST_EVENT_MAX_BYTES, TEST_EVENTS_PER_FUNCTION, TestEvent,
    };

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("db"), Durability::Normal).unwrap();
        (dir, store)
    }

    /// Saving, replacing, listing by name and deleting, each function on its own.
    #[test]
    fn test_events_are_saved_replaced_listed_and_deleted() {
        let (_dir, store) = store();
        assert!(store.test_events("f").unwrap().is_empty());
        let saved = store.put_test_event("f", "b", r#"{"n":1}"#, 10).unwrap();
        assert_eq!(
            saved,
            TestEvent {
                name: "b".into(),
                event: r#"{"n":1}"#.into(),
                modified_ms: 10
            }
        );
        store.put_test_event("f", "a", "{}", 11).unwrap();
        store.put_test_event("g", "a", "[]", 12).unwrap();
        store.put_test_event("f", "b", r#"{"n":2}"#, 13).unwrap();
        let events = store.test_events("f").unwrap();
        let listed: Vec<(&str, &str, u64)> = events
            .iter()
            .map(|e| (e.name.as_str(), e.event.as_str(), e.modified_ms))
            .collect();
        assert_eq!(listed, [("a", "{}", 11), ("b", r#"{"n":2}"#, 13)]);
        assert!(store.delete_test_event("f", "a").unwrap());
        assert!(!store.delete_test_event("f", "a").unwrap());
        assert_eq!(store.test_events("f").unwrap().len(), 1);
        assert_eq!(store.test_events("g").unwrap()[0].event, "[]");
        assert_eq!(store.delete_test_events("f").unwrap(), 1);
        assert!(store.test_events("f").unwrap().is_empty());
        assert_eq!(store.test_events("g").unwrap().len(), 1);
    }

    /// Ten events per function; an eleventh name is refused, replacing one is not, and another
    /// function has its own ten. Events past 256 KiB are refused.
    #[test]
    fn test_events_are_capped_per_function_and_in_size() {
        let (_dir, store) = store();
        for i in 0..TEST_EVENTS_PER_FUNCTION {
            store
                .put_test_event("f", &format!("e{i}"), "{}", 1)
                .unwrap();
        }
        let err = store.put_test_event("f", "one-more", "{}", 2).unwrap_err();
        assert!(
            matches!(&err, StoreError::TooManyTestEvents { function, limit: 10 } if function == "f"),
            "{err:?}"
        );
        assert_eq!(
            store.test_events("f").unwrap().len(),
            TEST_EVENTS_PER_FUNCTION
        );
        store.put_test_event("f", "e3", "[1]", 3).unwrap();
        store.put_test_event("g", "one-more", "{}", 2).unwrap();
        store.delete_test_event("f", "e0").unwrap();
        store.put_test_event("f", "one-more", "{}", 4).unwrap();

        let largest = format!("\"{}\"", "x".repeat(TEST_EVENT_MAX_BYTES - 2));
        store.put_test_event("g", "large", &largest, 5).unwrap();
        let too_large = format!("\"{}\"", "x".repeat(TEST_EVENT_MAX_BYTES - 1));
        let err = store
            .put_test_event("g", "large", &too_large, 6)
            .unwrap_err();
        assert!(
            matches!(err, StoreError::TestEventTooLarge { size, limit } if size == TEST_EVENT_MAX_BYTES + 1 && limit == TEST_EVENT_MAX_BYTES),
            "{err:?}"
        );
        assert_eq!(
            store
                .test_events("g")
                .unwrap()
                .iter()
                .find(|e| e.name == "large")
                .unwrap()
                .event,
            largest
        );
    }
}
