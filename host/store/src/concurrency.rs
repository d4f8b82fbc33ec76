//! Reserved concurrency of uploaded functions (Lambda's PutFunctionConcurrency): one number per
//! function, for all its versions and aliases. Whether the number fits what the host can
//! reserve is the API's to check; the store keeps it until it is deleted or the function is.

use std::collections::BTreeMap;

use rusqlite::params;

use crate::error::StoreError;
use crate::store::Sqlite;

/// Reserved concurrency of uploaded functions (`PutFunctionConcurrency`).
pub trait ConcurrencyStore {
    /// The reserved concurrency of function `name`, when it has one.
    fn function_concurrency(&self, name: &str) -> Result<Option<u32>, StoreError>;

    /// Every function's reserved concurrency, by name (restored at start).
    fn all_function_concurrency(&self) -> Result<BTreeMap<String, u32>, StoreError>;

    /// Reserve `reserved` concurrent executions for function `name`, replacing what it had.
    fn set_function_concurrency(&self, name: &str, reserved: u32) -> Result<(), StoreError>;

    /// Remove the reservation of function `name` (deleted, or the function was). Returns
    /// whether it had one.
    fn delete_function_concurrency(&self, name: &str) -> Result<bool, StoreError>;
}

impl ConcurrencyStore for Sqlite {
    fn function_concurrency(&self, name: &str) -> Result<Option<u32>, StoreError> {
        self.read("reading a function's reserved concurrency", |conn| {
            conn.prepare_cached("SELECT reserved FROM function_concurrency WHERE function = ?1")?
                .query_map([name], |row| row.get::<_, u32>(0))?
                .next()
                .transpose()
        })
    }

    fn all_function_concurrency(&self) -> Result<BTreeMap<String, u32>, StoreError> {
        self.read("listing reserved concurrency", |conn| {
            conn.prepare_cached("SELECT function, reserved FROM function_concurrency")?
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                .collect()
        })
    }

    fn set_function_concurrency(&self, name: &str, reserved: u32) -> Result<(), StoreError> {
        self.write("reserving concurrency", |tx| {
            tx.prepare_cached(
                "INSERT INTO function_concurrency (function, reserved) VALUES (?1, ?2) \
                 ON CONFLICT (function) DO UPDATE SET reserved = excluded.reserved",
            )?
            .execute(params![name, reserved])?;
            Ok(())
        })
    }

    fn delete_function_concurrency(&self, name: &str) -> Result<bool, StoreError> {
        self.write("deleting reserved concurrency", |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM function_concurrency WHERE function = ?1")?
                .execute([name])?;
            Ok(deleted == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    #[test]
    fn reservations_are_set_replaced_listed_and_deleted_per_function() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fnhost.db")).unwrap();
        assert_eq!(store.function_concurrency("a").unwrap(), None);
        store.set_function_concurrency("a", 5).unwrap();
        store.set_function_concurrency("stopped", 0).unwrap();
        store.set_function_concurrency("a", 2).unwrap();
        assert_eq!(store.function_concurrency("a").unwrap(), Some(2));
        // 0 is a reservation (Lambda's "stop"), not the absence of one.
        assert_eq!(store.function_concurrency("stopped").unwrap(), Some(0));
        assert_eq!(
            store.all_function_concurrency().unwrap(),
            BTreeMap::from([("a".to_owned(), 2), ("stopped".to_owned(), 0)])
        );
        assert!(store.delete_function_concurrency("a").unwrap());
        assert!(!store.delete_function_concurrency("a").unwrap());
        assert_eq!(store.function_concurrency("a").unwrap(), None);
        assert_eq!(
            store.all_function_concurrency().unwrap(),
            BTreeMap::from([("stopped".to_owned(), 0)])
        );
    }

    #[test]
    fn reservations_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fnhost.db");
        Store::open(&path)
            .unwrap()
            .set_function_concurrency("f", u32::MAX)
            .unwrap();
        let store = Store::open(&path).unwrap();
        assert_eq!(store.function_concurrency("f").unwrap(), Some(u32::MAX));
    }
}
