//! Layer versions ([`LayerStore`]) on PostgreSQL.
//!
//! Differences from SQLite: a publish takes its number by incrementing the layer's counter row
//! (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) in the transaction that inserts the version,
//! so nodes publishing the same layer at once get distinct numbers (the row lock orders them;
//! `SERIALIZABLE` retries the later). Layer names sort byte-wise (`COLLATE "C"`, as SQLite's
//! `BINARY`) whatever the database's locale.

use postgres::Client;
use postgres::types::ToSql;

use super::{Postgres, to_u64};
use crate::error::{StoreError, TxError};
use crate::functions::columns::pg_params;
use crate::layers::{COLUMNS, LayerStore, LayerVersionRecord, layer_from_row, layer_values};
use crate::store::sql_u64;

fn layers(
    client: &mut Client,
    sql: &str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Vec<LayerVersionRecord>, TxError> {
    client
        .query(sql, params)?
        .iter()
        .map(layer_from_row)
        .collect()
}

impl LayerStore for Postgres {
    fn publish_layer_version(
        &self,
        layer: &LayerVersionRecord,
    ) -> Result<LayerVersionRecord, StoreError> {
        let insert = format!(
            "INSERT INTO layer_versions ({COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        );
        self.write("publishing a layer version", |tx| {
            let row = tx.query_one(
                "INSERT INTO layers (name, last_published) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET last_published = layers.last_published + 1 \
                 RETURNING last_published",
                &[&layer.name],
            )?;
            let number = to_u64(row.try_get(0)?, "last_published")?;
            let values = layer_values(layer, number).map_err(TxError::Corrupt)?;
            tx.execute(&insert, &pg_params(&values))?;
            Ok(LayerVersionRecord {
                version: number,
                ..layer.clone()
            })
        })
    }

    fn layer_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError> {
        self.read("reading a layer version", |client| {
            let sql =
                format!("SELECT {COLUMNS} FROM layer_versions WHERE name = $1 AND version = $2");
            client
                .query_opt(&sql, &[&name, &sql_u64(version)])?
                .map(|row| layer_from_row(&row))
                .transpose()
        })
    }

    fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError> {
        self.read("listing layer versions", |client| {
            let sql = format!(
                "SELECT {COLUMNS} FROM layer_versions WHERE name = $1 ORDER BY version DESC"
            );
            layers(client, &sql, &[&name])
        })
    }

    fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError> {
        self.read("listing layers", |client| {
            let sql = format!(
                "SELECT {COLUMNS} FROM layer_versions ORDER BY name COLLATE \"C\", version DESC"
            );
            layers(client, &sql, &[])
        })
    }

    fn last_layer_version(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.read("reading a layer's last version", |client| {
            client
                .query_opt(
                    "SELECT last_published FROM layers WHERE name = $1",
                    &[&name],
                )?
                .map(|row| to_u64(row.try_get(0)?, "last_published"))
                .transpose()
        })
    }

    fn delete_layer_version(&self, name: &str, version: u64) -> Result<bool, StoreError> {
        self.write("deleting a layer version", |tx| {
            let deleted = tx.execute(
                "DELETE FROM layer_versions WHERE name = $1 AND version = $2",
                &[&name, &sql_u64(version)],
            )?;
            Ok(deleted > 0)
        })
    }
}
