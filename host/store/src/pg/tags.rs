//! Function tags ([`TagStore`]) on PostgreSQL: each change is one statement over arrays of
//! keys and values (`UNNEST`, `= ANY`), where SQLite runs one statement per tag.

use std::collections::BTreeMap;

use super::Postgres;
use crate::error::{StoreError, TxError};
use crate::functions::columns::Columns;
use crate::tags::TagStore;

impl TagStore for Postgres {
    fn function_tags(&self, name: &str) -> Result<BTreeMap<String, String>, StoreError> {
        self.read("reading function tags", |client| {
            client
                .query(
                    "SELECT key, value FROM function_tags WHERE name = $1",
                    &[&name],
                )?
                .iter()
                .map(|row| Ok::<_, TxError>((row.text(0)?, row.text(1)?)))
                .collect()
        })
    }

    fn tag_function(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let keys: Vec<&str> = tags.keys().map(String::as_str).collect();
        let values: Vec<&str> = tags.values().map(String::as_str).collect();
        self.write("tagging a function", |tx| {
            tx.execute(
                "INSERT INTO function_tags (name, key, value) \
                 SELECT $1, key, value FROM UNNEST($2::TEXT[], $3::TEXT[]) AS t (key, value) \
                 ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
                &[&name, &keys, &values],
            )?;
            Ok(())
        })
    }

    fn untag_function(&self, name: &str, keys: &[String]) -> Result<(), StoreError> {
        self.write("untagging a function", |tx| {
            tx.execute(
                "DELETE FROM function_tags WHERE name = $1 AND key = ANY($2)",
                &[&name, &keys],
            )?;
            Ok(())
        })
    }

    fn clear_function_tags(&self, name: &str) -> Result<(), StoreError> {
        self.write("clearing function tags", |tx| {
            tx.execute("DELETE FROM function_tags WHERE name = $1", &[&name])?;
            Ok(())
        })
    }
}
