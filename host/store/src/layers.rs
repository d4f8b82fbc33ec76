//! Layer versions behind the Lambda Layers API: immutable, numbered versions of each layer,
//! numbers never reused (publishing after deleting 1 and 2 gives 3), and the layers a function
//! version uses ([`FunctionLayer`]).

use rusqlite::{Connection, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::functions::columns::{Columns, ColumnsExt, Value, json_text};
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

/// The columns of the `layer_versions` table, in the order of [`layer_from_row`] and
/// [`layer_values`].
pub(crate) const COLUMNS: &str = "name, version, description, license_info, compatible_runtimes, \
     compatible_architectures, code_sha256, code_size, unzipped_size, created_ms";

/// A `layer_versions` row as a record (the lists are JSON arrays).
pub(crate) fn layer_from_row<R: Columns>(row: &R) -> Result<LayerVersionRecord, R::Error> {
    Ok(LayerVersionRecord {
        name: row.text(0)?,
        version: row.uint(1)?,
        description: row.text(2)?,
        license_info: row.opt_text(3)?,
        compatible_runtimes: row.json(4)?,
        compatible_architectures: row.json(5)?,
        code_sha256: row.text(6)?,
        code_size: row.uint(7)?,
        unzipped_size: row.uint(8)?,
        created_ms: row.uint(9)?,
    })
}

/// `layer` as the values of its `layer_versions` row, published as version `number`.
pub(crate) fn layer_values(
    layer: &LayerVersionRecord,
    number: u64,
) -> Result<[Value<'_>; 10], String> {
    Ok([
        Value::text(&layer.name),
        Value::u64(number),
        Value::text(&layer.description),
        Value::opt_text(layer.license_info.as_deref()),
        Value::owned(json_text(&layer.compatible_runtimes)?),
        Value::owned(json_text(&layer.compatible_architectures)?),
        Value::text(&layer.code_sha256),
        Value::u64(layer.code_size),
        Value::u64(layer.unzipped_size),
        Value::u64(layer.created_ms),
    ])
}

fn get_layer(
    conn: &Connection,
    name: &str,
    version: u64,
) -> rusqlite::Result<Option<LayerVersionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM layer_versions WHERE name = ?1 AND version = ?2"
    ))?
    .query_map(params![name, sql_u64(version)], |row| layer_from_row(row))?
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
            .execute(params_from_iter(layer_values(layer, number).map_err(
                |e| rusqlite::Error::ToSqlConversionFailure(e.into()),
            )?))?;
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
            .query_map([name], |row| layer_from_row(row))?
            .collect()
        })
    }

    fn all_layer_versions(&self) -> Result<Vec<LayerVersionRecord>, StoreError> {
        self.read("listing layers", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM layer_versions ORDER BY name, version DESC"
            ))?
            .query_map([], |row| layer_from_row(row))?
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
