//! Saved test events ([`TestEventStore`]) on PostgreSQL.
//!
//! Differences from SQLite: names sort byte-wise (`COLLATE "C"`, as SQLite's `BINARY`)
//! whatever the database's locale. The per-function cap holds across nodes: the count and the
//! insert are one `SERIALIZABLE` transaction, so of nodes saving new events at once past the
//! cap all but the allowed ones are retried and then refused.

use super::Postgres;
use crate::error::StoreError;
use crate::functions::columns::Columns;
use crate::store::sql_u64;
use crate::test_events::{TestEvent, TestEventStore, check_room, check_size, test_event_from_row};

impl TestEventStore for Postgres {
    fn test_events(&self, function: &str) -> Result<Vec<TestEvent>, StoreError> {
        self.read("listing test events", |client| {
            client
                .query(
                    "SELECT name, event, modified_ms FROM test_events WHERE function = $1 \
                     ORDER BY name COLLATE \"C\"",
                    &[&function],
                )?
                .iter()
                .map(test_event_from_row)
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
            let row = tx.query_one(
                "SELECT COUNT(*) FILTER (WHERE name = $2) > 0, COUNT(*) FROM test_events \
                 WHERE function = $1",
                &[&function, &name],
            )?;
            check_room(function, row.try_get(0)?, row.uint(1)?)?;
            tx.execute(
                "INSERT INTO test_events (function, name, event, modified_ms) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (function, name) DO UPDATE SET \
                 event = excluded.event, modified_ms = excluded.modified_ms",
                &[&function, &name, &event, &sql_u64(now_ms)],
            )?;
            Ok(TestEvent {
                name: name.to_owned(),
                event: event.to_owned(),
                modified_ms: now_ms,
            })
        })
    }

    fn delete_test_event(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        self.write("deleting a test event", |tx| {
            let deleted = tx.execute(
                "DELETE FROM test_events WHERE function = $1 AND name = $2",
                &[&function, &name],
            )?;
            Ok(deleted > 0)
        })
    }

    fn delete_test_events(&self, function: &str) -> Result<u64, StoreError> {
        self.write("deleting test events", |tx| {
            Ok(tx.execute("DELETE FROM test_events WHERE function = $1", &[&function])?)
        })
    }
}
