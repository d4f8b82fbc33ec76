//! The tags of uploaded functions (Lambda's `Tags`, on the function rather than a version).
//! Some of them are grants: see `fnhost_api::calls` and `fnhost_api::grants`.

use std::collections::BTreeMap;

use crate::error::StoreError;
use crate::store::Sqlite;

/// Tags of uploaded functions (`TagResource` … `UntagResource`).
pub trait TagStore {
    /// The tags of function `name` (empty when it has none).
    fn function_tags(&self, name: &str) -> Result<BTreeMap<String, String>, StoreError>;

    /// Add `tags` to function `name`, replacing the values of keys it already has.
    fn tag_function(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), StoreError>;

    /// Remove `keys` from function `name` (missing keys are ignored).
    fn untag_function(&self, name: &str, keys: &[String]) -> Result<(), StoreError>;

    /// Remove every tag of function `name` (it was deleted).
    fn clear_function_tags(&self, name: &str) -> Result<(), StoreError>;
}

impl TagStore for Sqlite {
    fn function_tags(&self, name: &str) -> Result<BTreeMap<String, String>, StoreError> {
        self.read("reading function tags", |conn| {
            let mut statement =
                conn.prepare_cached("SELECT key, value FROM function_tags WHERE name = ?1")?;
            let rows = statement.query_map([name], |row| Ok((row.get(0)?, row.get(1)?)))?;
            rows.collect()
        })
    }

    fn tag_function(&self, name: &str, tags: &BTreeMap<String, String>) -> Result<(), StoreError> {
        self.write("tagging a function", |tx| {
            let mut statement = tx.prepare_cached(
                "INSERT INTO function_tags (name, key, value) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (name, key) DO UPDATE SET value = excluded.value",
            )?;
            for (key, value) in tags {
                statement.execute([name, key, value])?;
            }
            Ok(())
        })
    }

    fn untag_function(&self, name: &str, keys: &[String]) -> Result<(), StoreError> {
        self.write("untagging a function", |tx| {
            let mut statement =
                tx.prepare_cached("DELETE FROM function_tags WHERE name = ?1 AND key = ?2")?;
            for key in keys {
                statement.execute([name, key])?;
            }
            Ok(())
        })
    }

    fn clear_function_tags(&self, name: &str) -> Result<(), StoreError> {
        self.write("clearing function tags", |tx| {
            tx.prepare_cached("DELETE FROM function_tags WHERE name = ?1")?
                .execute([name])?;
            Ok(())
        })
    }
}
