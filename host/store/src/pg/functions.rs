//! The function registry ([`FunctionStore`]) on PostgreSQL.
//!
//! Differences from SQLite: names sort byte-wise (`COLLATE "C"`, as SQLite's `BINARY`)
//! whatever the database's locale. Numbering is race-free across nodes: a publish reads
//! `$LATEST` and the newest version and takes its number by incrementing the function's
//! counter row, all in one `SERIALIZABLE` transaction, so of two nodes publishing at once one
//! is retried and then sees the other's version (distinct numbers, and "unchanged `$LATEST`
//! publishes nothing" holds across nodes).

use std::sync::LazyLock;

use postgres::{GenericClient, Transaction};

use super::{Postgres, to_u64};
use crate::error::{StoreError, TxError};
use crate::functions::columns::pg_params;
use crate::functions::{
    COLUMNS, FunctionRecord, FunctionStore, LATEST, VERSION_ORDER, code_storage, function_from_row,
    function_values, published, unchanged, upsert_function_sql, version_number,
};
use crate::store::sql_u64;

static UPSERT: LazyLock<String> = LazyLock::new(|| upsert_function_sql('$'));

fn upsert(tx: &mut Transaction<'_>, f: &FunctionRecord) -> Result<(), TxError> {
    let values = function_values(f).map_err(TxError::Corrupt)?;
    tx.execute(UPSERT.as_str(), &pg_params(&values))?;
    Ok(())
}

fn get_function(
    client: &mut impl GenericClient,
    name: &str,
    version: &str,
) -> Result<Option<FunctionRecord>, TxError> {
    let sql = format!("SELECT {COLUMNS} FROM functions WHERE name = $1 AND version = $2");
    client
        .query_opt(&sql, &[&name, &version])?
        .map(|row| function_from_row(&row))
        .transpose()
}

fn list(
    client: &mut impl GenericClient,
    sql: &str,
    params: &[&(dyn postgres::types::ToSql + Sync)],
) -> Result<Vec<FunctionRecord>, TxError> {
    client
        .query(sql, params)?
        .iter()
        .map(function_from_row)
        .collect()
}

impl FunctionStore for Postgres {
    fn put_function(&self, f: &FunctionRecord) -> Result<(), StoreError> {
        let number = version_number(&f.version)?.map(sql_u64);
        self.write("storing a function", |tx| {
            upsert(tx, f)?;
            if let Some(n) = number {
                tx.execute(
                    "INSERT INTO function_versions (name, last_published) VALUES ($1, $2) \
                     ON CONFLICT (name) DO UPDATE SET last_published = \
                     GREATEST(function_versions.last_published, excluded.last_published)",
                    &[&f.name, &n],
                )?;
            }
            Ok(())
        })
    }

    fn function(&self, name: &str, version: &str) -> Result<Option<FunctionRecord>, StoreError> {
        self.read("reading a function", |client| {
            get_function(client, name, version)
        })
    }

    fn functions(&self) -> Result<Vec<FunctionRecord>, StoreError> {
        self.read("listing functions", |client| {
            let sql = format!(
                "SELECT {COLUMNS} FROM functions WHERE version = '$LATEST' \
                 ORDER BY name COLLATE \"C\""
            );
            list(client, &sql, &[])
        })
    }

    fn versions(&self, name: &str) -> Result<Vec<FunctionRecord>, StoreError> {
        self.read("listing function versions", |client| {
            let sql =
                format!("SELECT {COLUMNS} FROM functions WHERE name = $1 ORDER BY {VERSION_ORDER}");
            list(client, &sql, &[&name])
        })
    }

    fn publish_version(
        &self,
        name: &str,
        now_ms: u64,
    ) -> Result<Option<FunctionRecord>, StoreError> {
        let newest_sql = format!(
            "SELECT {COLUMNS} FROM functions WHERE name = $1 AND version <> '$LATEST' \
             ORDER BY CAST(version AS BIGINT) DESC LIMIT 1"
        );
        self.write("publishing a function version", |tx| {
            let Some(latest) = get_function(tx, name, LATEST)? else {
                return Ok(None);
            };
            let newest = list(tx, &newest_sql, &[&name])?.pop();
            if let Some(newest) = unchanged(newest, &latest) {
                return Ok(Some(newest));
            }
            let row = tx.query_one(
                "INSERT INTO function_versions (name, last_published) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET \
                 last_published = function_versions.last_published + 1 \
                 RETURNING last_published",
                &[&name],
            )?;
            let number = to_u64(row.try_get(0)?, "last_published")?;
            let published = published(latest, number, now_ms);
            upsert(tx, &published)?;
            Ok(Some(published))
        })
    }

    fn delete_function(&self, name: &str, version: Option<&str>) -> Result<bool, StoreError> {
        self.write("deleting a function", |tx| {
            let deleted = match version {
                Some(version) => tx.execute(
                    "DELETE FROM functions WHERE name = $1 AND version = $2",
                    &[&name, &version],
                )?,
                None => {
                    tx.execute("DELETE FROM function_versions WHERE name = $1", &[&name])?;
                    tx.execute("DELETE FROM functions WHERE name = $1", &[&name])?
                }
            };
            Ok(deleted > 0)
        })
    }

    fn code_bytes_total(&self) -> Result<u64, StoreError> {
        let rows: Vec<(String, String, u64)> = self.read("summing code size", |client| {
            client
                .query("SELECT version, code_sha256, code_size FROM functions", &[])?
                .iter()
                .map(|row| {
                    let size = to_u64(row.try_get(2)?, "code_size")?;
                    Ok((row.try_get(0)?, row.try_get(1)?, size))
                })
                .collect()
        })?;
        Ok(code_storage(rows.iter().map(|(version, sha, size)| {
            (version.as_str(), sha.as_str(), *size)
        })))
    }
}
