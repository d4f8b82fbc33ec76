//! Function URLs ([`UrlStore`]) on PostgreSQL.
//!
//! Differences from SQLite: listings sort byte-wise (`COLLATE "C"`, as SQLite's `BINARY`)
//! whatever the database's locale, so the unqualified URL (qualifier `''`) still comes first.
//! Creating is one `INSERT … ON CONFLICT DO NOTHING`: of two nodes creating a function's URL
//! at once, exactly one is told it did.

use postgres::types::ToSql;
use postgres::{Client, GenericClient};

use super::Postgres;
use crate::error::{StoreError, TxError};
use crate::functions::columns::pg_params;
use crate::urls::{
    COLUMNS, FunctionUrlRecord, UrlStore, qualifier_column, url_from_row, url_settings, url_values,
};

fn urls(
    client: &mut Client,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<FunctionUrlRecord>, TxError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM function_urls {filter} \
         ORDER BY function COLLATE \"C\", qualifier COLLATE \"C\""
    );
    client
        .query(&sql, params)?
        .iter()
        .map(url_from_row)
        .collect()
}

fn one(
    client: &mut impl GenericClient,
    filter: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<FunctionUrlRecord>, TxError> {
    let sql = format!("SELECT {COLUMNS} FROM function_urls {filter}");
    client
        .query_opt(&sql, params)?
        .map(|row| url_from_row(&row))
        .transpose()
}

impl UrlStore for Postgres {
    fn create_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO function_urls ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (function, qualifier) DO NOTHING"
        );
        self.write("creating a function url", |tx| {
            let inserted = tx.execute(&sql, &pg_params(&url_values(url)))?;
            Ok(inserted == 1)
        })
    }

    fn function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<FunctionUrlRecord>, StoreError> {
        let qualifier = qualifier_column(qualifier);
        self.read("reading a function url", |client| {
            one(
                client,
                "WHERE function = $1 AND qualifier = $2",
                &[&function, &qualifier],
            )
        })
    }

    fn function_url_by_id(&self, url_id: &str) -> Result<Option<FunctionUrlRecord>, StoreError> {
        self.read("reading a function url", |client| {
            one(client, "WHERE url_id = $1", &[&url_id])
        })
    }

    fn function_urls(&self, function: &str) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |client| {
            urls(client, "WHERE function = $1", &[&function])
        })
    }

    fn all_function_urls(&self) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |client| urls(client, "", &[]))
    }

    fn update_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError> {
        self.write("updating a function url", |tx| {
            let changed = tx.execute(
                "UPDATE function_urls SET auth_type = $3, cors = $4, invoke_mode = $5, \
                 modified_ms = $6 WHERE function = $1 AND qualifier = $2",
                &pg_params(&url_settings(url)),
            )?;
            Ok(changed == 1)
        })
    }

    fn delete_function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<bool, StoreError> {
        let qualifier = qualifier_column(qualifier);
        self.write("deleting a function url", |tx| {
            let deleted = tx.execute(
                "DELETE FROM function_urls WHERE function = $1 AND qualifier = $2",
                &[&function, &qualifier],
            )?;
            Ok(deleted == 1)
        })
    }

    fn delete_function_urls(&self, function: &str) -> Result<usize, StoreError> {
        self.write("deleting function urls", |tx| {
            let deleted = tx.execute(
                "DELETE FROM function_urls WHERE function = $1",
                &[&function],
            )?;
            Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
        })
    }
}
