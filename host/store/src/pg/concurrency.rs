//! Reserved concurrency ([`ConcurrencyStore`]) on PostgreSQL: one row per function, set with
//! an upsert, so nodes setting it at once leave one of their values (the last to commit).

use std::collections::BTreeMap;

use super::Postgres;
use crate::concurrency::ConcurrencyStore;
use crate::error::{StoreError, TxError};
use crate::functions::columns::{Columns, ColumnsExt};

impl ConcurrencyStore for Postgres {
    fn function_concurrency(&self, name: &str) -> Result<Option<u32>, StoreError> {
        self.read("reading a function's reserved concurrency", |client| {
            client
                .query_opt(
                    "SELECT reserved FROM function_concurrency WHERE function = $1",
                    &[&name],
                )?
                .map(|row| row.u32(0))
                .transpose()
        })
    }

    fn all_function_concurrency(&self) -> Result<BTreeMap<String, u32>, StoreError> {
        self.read("listing reserved concurrency", |client| {
            client
                .query("SELECT function, reserved FROM function_concurrency", &[])?
                .iter()
                .map(|row| Ok::<_, TxError>((row.text(0)?, row.u32(1)?)))
                .collect()
        })
    }

    fn set_function_concurrency(&self, name: &str, reserved: u32) -> Result<(), StoreError> {
        self.write("reserving concurrency", |tx| {
            tx.execute(
                "INSERT INTO function_concurrency (function, reserved) VALUES ($1, $2) \
                 ON CONFLICT (function) DO UPDATE SET reserved = excluded.reserved",
                &[&name, &i64::from(reserved)],
            )?;
            Ok(())
        })
    }

    fn delete_function_concurrency(&self, name: &str) -> Result<bool, StoreError> {
        self.write("deleting reserved concurrency", |tx| {
            let deleted = tx.execute(
                "DELETE FROM function_concurrency WHERE function = $1",
                &[&name],
            )?;
            Ok(deleted == 1)
        })
    }
}
