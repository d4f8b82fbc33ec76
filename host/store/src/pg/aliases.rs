//! Aliases ([`AliasStore`]) on PostgreSQL.
//!
//! Differences from SQLite: creating is one `INSERT … ON CONFLICT DO NOTHING`, so of two nodes
//! creating the same alias exactly one is told it did; names sort byte-wise (`COLLATE "C"`,
//! as SQLite's `BINARY`) whatever the database's locale.

use super::Postgres;
use crate::aliases::{AliasRecord, AliasStore, COLUMNS, alias_from_row, alias_values, using};
use crate::error::{StoreError, TxError};
use crate::functions::columns::pg_params;

impl AliasStore for Postgres {
    fn create_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO aliases ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (function, name) DO NOTHING"
        );
        self.write("creating an alias", |tx| {
            let values = alias_values(alias).map_err(TxError::Corrupt)?;
            Ok(tx.execute(&sql, &pg_params(&values))? == 1)
        })
    }

    fn alias(&self, function: &str, name: &str) -> Result<Option<AliasRecord>, StoreError> {
        self.read("reading an alias", |client| {
            let sql = format!("SELECT {COLUMNS} FROM aliases WHERE function = $1 AND name = $2");
            client
                .query_opt(&sql, &[&function, &name])?
                .map(|row| alias_from_row(&row))
                .transpose()
        })
    }

    fn aliases(
        &self,
        function: &str,
        version: Option<&str>,
    ) -> Result<Vec<AliasRecord>, StoreError> {
        let all = self.read("listing aliases", |client| {
            let sql = format!(
                "SELECT {COLUMNS} FROM aliases WHERE function = $1 ORDER BY name COLLATE \"C\""
            );
            client
                .query(&sql, &[&function])?
                .iter()
                .map(alias_from_row)
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(using(all, version))
    }

    fn all_aliases(&self) -> Result<Vec<AliasRecord>, StoreError> {
        self.read("listing aliases", |client| {
            let sql = format!(
                "SELECT {COLUMNS} FROM aliases \
                 ORDER BY function COLLATE \"C\", name COLLATE \"C\""
            );
            client
                .query(&sql, &[])?
                .iter()
                .map(alias_from_row)
                .collect()
        })
    }

    fn update_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError> {
        self.write("updating an alias", |tx| {
            let values = alias_values(alias).map_err(TxError::Corrupt)?;
            let updated = tx.execute(
                "UPDATE aliases SET function_version = $3, description = $4, routing = $5, \
                 revision_id = $6 WHERE function = $1 AND name = $2",
                &pg_params(&values),
            )?;
            Ok(updated > 0)
        })
    }

    fn delete_alias(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        self.write("deleting an alias", |tx| {
            let deleted = tx.execute(
                "DELETE FROM aliases WHERE function = $1 AND name = $2",
                &[&function, &name],
            )?;
            Ok(deleted > 0)
        })
    }

    fn delete_function_aliases(&self, function: &str) -> Result<usize, StoreError> {
        self.write("deleting a function's aliases", |tx| {
            let deleted = tx.execute("DELETE FROM aliases WHERE function = $1", &[&function])?;
            usize::try_from(deleted).map_err(|_| TxError::Corrupt(format!("{deleted} rows")))
        })
    }
}
