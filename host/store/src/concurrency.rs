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
