//! Layer versions behind the Lambda Layers API: immutable, numbered versions of each layer,
//! numbers never reused (publishing after deleting 1 and 2 gives 3), and the layers a function
//! version uses ([`FunctionLayer`]).

use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::store::{Sqlite, get_opt_u64, get_u64, sql_u64};

/// One published version of a layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerVersionRecord {
    /// The layer name.
    pub name: String,
    /// The version number, from 1.
    pub version: u64,
    /// The description (`""` when none was given).
    pub description: String,
    /// `LicenseInfo`, when given.
    pub license_info: Option<String>,
    /// `CompatibleRuntimes`, as given (they only filter listings).
    pub compatible_runtimes: Vec<String>,
    /// `CompatibleArchitectures`, as given.
    pub compatible_architectures: Vec<String>,
    /// SHA-256 of the zip, hex.
    pub code_sha256: String,
    /// Size of the zip in bytes (`CodeSize`).
    pub code_size: u64,
    /// Bytes of the files once unzipped (for the 250 MB function-plus-layers limit).
    pub unzipped_size: u64,
    /// Publication time, unix ms.
    pub created_ms: u64,
}

/// A layer version a function version uses: its ARN and the sizes Lambda reports and checks.
/// Kept with the function, so a layer version deleted later still shows and still works for
/// the functions that use it (Lambda's rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionLayer {
    /// The layer version ARN, `arn:aws:lambda:REGION:ACCOUNT:layer:NAME:N`.
    pub arn: String,
    /// Size of the layer's zip (`CodeSize` in the function's `Layers`).
    pub code_size: u64,
    /// Bytes of its files unzipped.
    #[serde(default)]
    pub unzipped_size: u64,
}

const COLUMNS: &str = "name, version, description, license_info, compatible_runtimes, \
     compatible_architectures, code_sha256, code_size, unzipped_size, created_ms";

fn json_list(row: &Row<'_>, idx: usize) -> rusqlite::Result<Vec<String>> {
    let text: String = row.get(idx)?;
    serde_json::from_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn to_json(list: &[String]) -> rusqlite::Result<String> {
    serde_json::to_string(list).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn layer_from_row(row: &Row<'_>) -> rusqlite::Result<LayerVersionRecord> {
    Ok(LayerVersionRecord {
        name: row.get(0)?,
        version: get_u64(row, 1)?,
        description: row.get(2)?,
        license_info: row.get(3)?,
        compatible_runtimes: json_list(row, 4)?,
        compatible_architectures: json_list(row, 5)?,
        code_sha256: row.get(6)?,
        code_size: get_u64(row, 7)?,
        unzipped_size: get_u64(row, 8)?,
        created_ms: get_u64(row, 9)?,
    })
}

fn get_layer(
    conn: &Connection,
    name: &str,
    version: u64,
) -> rusqlite::Result<Option<LayerVersionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM layer_versions WHERE name = ?1 AND version = ?2"
    ))?
    .query_map(params![name, sql_u64(version)], layer_from_row)?
    .next()
    .transpose()
}

/// Layer versions (`PublishLayerVersion` … `DeleteLayerVersion`).
pub trait LayerStore {
    /// Publishes `layer` as the layer's next version number (its `version` is ignored) and
    /// returns it as stored. Numbers are never reused, even after versions are deleted.
    fn publish_layer_version(
        &self,
        layer: &LayerVersionRecord,
    ) -> Result<LayerVersionRecord, StoreError>;

    /// One version of a layer, unless it was never published or was deleted.
    fn layer_version(
        &self,
        name: &str,
        version: u64,
    ) -> Result<Option<LayerVersionRecord>, StoreError>;

    /// Every version of one layer, newest first (ListLayerVersions' order).
    fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError>;

    /// Every version of every layer, by name, newest version first within a name.
    fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError>;

    /// The last version number published for a layer, deleted or not; `None` if never.
    fn last_layer_version(&self, name: &str) -> Result<Option<u64>, StoreError>;

    /// Deletes one version; returns whether it existed. The number stays used.
    fn delete_layer_version(&self, name: &str, version: u64) -> Result<bool, StoreError>;
}

impl LayerStore for Sqlite {
    fn publish_layer_version(
        &self,
        layer: &LayerVersionRecord,
    ) -> Result<LayerVersionRecord, StoreError> {
        self.write("publishing a layer version", |tx| {
            let last: Option<u64> = tx
                .prepare_cached("SELECT last_published FROM layers WHERE name = ?1")?
                .query_map([&layer.name], |row| get_u64(row, 0))?
                .next()
                .transpose()?;
            // `last` came from an i64, so adding one cannot overflow a u64.
            let number = last.unwrap_or(0) + 1;
            tx.prepare_cached(
                "INSERT INTO layers (name, last_published) VALUES (?1, ?2) \
                 ON CONFLICT (name) DO UPDATE SET last_published = excluded.last_published",
            )?
            .execute(params![layer.name, sql_u64(number)])?;
            tx.prepare_cached(&format!(
                "INSERT INTO layer_versions ({COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
            ))?
            .execute(params![
                layer.name,
                sql_u64(number),
                layer.description,
                layer.license_info,
                to_json(&layer.compatible_runtimes)?,
                to_json(&layer.compatible_architectures)?,
                layer.code_sha256,
                sql_u64(layer.code_size),
                sql_u64(layer.unzipped_size),
                sql_u64(layer.created_ms),
            ])?;
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
        self.read("reading a layer version", |conn| {
            get_layer(conn, name, version)
        })
    }

    fn layer_versions(&self, name: &str) -> Result<Vec<LayerVersionRecord>, StoreError> {
        self.read("listing layer versions", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM layer_versions WHERE name = ?1 ORDER BY version DESC"
            ))?
            .query_map([name], layer_from_row)?
            .collect()
        })
    }

    fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError> {
        self.read("listing layers", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM layer_versions ORDER BY name, version DESC"
            ))?
            .query_map([], layer_from_row)?
            .collect()
        })
    }

    fn last_layer_version(&self, name: &str) -> Result<Option<u64>, StoreError> {
        self.read("reading a layer's last version", |conn| {
            conn.prepare_cached("SELECT last_published FROM layers WHERE name = ?1")?
                .query_map([name], |row| get_opt_u64(row, 0))?
                .next()
                .transpose()
                .map(Option::flatten)
        })
    }

    fn delete_layer_version(&self, name: &str, version: u64) -> Result<bool, StoreError> {
        self.write("deleting a layer version", |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM layer_versions WHERE name = ?1 AND version = ?2")?
                .execute(params![name, sql_u64(version)])?;
            Ok(deleted > 0)
        })
    }
}
