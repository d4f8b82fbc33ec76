//! Aliases of uploaded functions (Lambda's `CreateAlias` … `DeleteAlias`): a name pointing at
//! one version of a function, optionally with a second version and the share of invocations it
//! gets (`RoutingConfig.AdditionalVersionWeights`, at most one entry).

use std::collections::BTreeMap;

use rusqlite::{Connection, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::functions::columns::{Columns, ColumnsExt, Value, json_text};
use crate::store::Sqlite;

/// One alias.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliasRecord {
    /// The function's name.
    pub function: String,
    /// The alias name.
    pub name: String,
    /// The version it points to: `$LATEST` or a number.
    pub function_version: String,
    /// The description (`""` when none was given).
    pub description: String,
    /// The additional version and its weight (0.0–1.0), when the alias routes to two versions.
    pub routing: Option<(String, f64)>,
    /// Changes on every update (optimistic concurrency).
    pub revision_id: String,
}

impl AliasRecord {
    /// Whether it sends invocations to `version` (as its version or its additional one).
    pub fn uses(&self, version: &str) -> bool {
        self.function_version == version || self.routing.as_ref().is_some_and(|(v, _)| v == version)
    }
}

/// The columns of the `aliases` table, in the order of [`alias_from_row`] and
/// [`alias_values`].
pub(crate) const COLUMNS: &str =
    "function, name, function_version, description, routing, revision_id";

/// An `aliases` row as a record. The `routing` column is a JSON object
/// `{"<version>": weight}`, `{}` when the alias routes to one version.
pub(crate) fn alias_from_row<R: Columns>(row: &R) -> Result<AliasRecord, R::Error> {
    let weights: BTreeMap<String, f64> = row.json(4)?;
    Ok(AliasRecord {
        function: row.text(0)?,
        name: row.text(1)?,
        function_version: row.text(2)?,
        description: row.text(3)?,
        routing: weights.into_iter().next(),
        revision_id: row.text(5)?,
    })
}

/// A record as the values of an `aliases` row, in [`COLUMNS`]' order.
pub(crate) fn alias_values(alias: &AliasRecord) -> Result<[Value<'_>; 6], String> {
    let weights: BTreeMap<&str, f64> = alias
        .routing
        .iter()
        .map(|(version, weight)| (version.as_str(), *weight))
        .collect();
    Ok([
        Value::text(&alias.function),
        Value::text(&alias.name),
        Value::text(&alias.function_version),
        Value::text(&alias.description),
        Value::owned(json_text(&weights)?),
        Value::text(&alias.revision_id),
    ])
}

/// `aliases` (of one function, by name), only those sending invocations to `version` when it
/// is given.
pub(crate) fn using(aliases: Vec<AliasRecord>, version: Option<&str>) -> Vec<AliasRecord> {
    match version {
        Some(version) => aliases.into_iter().filter(|a| a.uses(version)).collect(),
        None => aliases,
    }
}

fn sqlite_values(alias: &AliasRecord) -> rusqlite::Result<[Value<'_>; 6]> {
    alias_values(alias).map_err(|e| rusqlite::Error::ToSqlConversionFailure(e.into()))
}

fn get_alias(
    conn: &Connection,
    function: &str,
    name: &str,
) -> rusqlite::Result<Option<AliasRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM aliases WHERE function = ?1 AND name = ?2"
    ))?
    .query_map([function, name], |row| alias_from_row(row))?
    .next()
    .transpose()
}

/// Aliases of uploaded functions (Lambda's `CreateAlias` … `DeleteAlias`).
pub trait AliasStore {
    /// Stores a new alias; `false` (and nothing written) when the function already has an
    /// alias of that name.
    fn create_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError>;

    /// One alias of a function.
    fn alias(&self, function: &str, name: &str) -> Result<Option<AliasRecord>, StoreError>;

    /// The aliases of `function` sorted by name; only those sending invocations to `version`
    /// (as their version or their additional one) when it is given.
    fn aliases(
        &self,
        function: &str,
        version: Option<&str>,
    ) -> Result<Vec<AliasRecord>, StoreError>;

    /// Every alias of every function, by function then name (to restore them at startup).
    fn all_aliases(&self) -> Result<Vec<AliasRecord>, StoreError>;

    /// Replaces an existing alias (matched by function and name); `false` when there is none.
    fn update_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError>;

    /// Deletes one alias; returns whether it existed.
    fn delete_alias(&self, function: &str, name: &str) -> Result<bool, StoreError>;

    /// Deletes every alias of `function` (it was deleted); returns how many there were.
    fn delete_function_aliases(&self, function: &str) -> Result<usize, StoreError>;

    /// The names of `function`'s aliases that send invocations to `version`, sorted.
    fn aliases_of_version(&self, function: &str, version: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .aliases(function, Some(version))?
            .into_iter()
            .map(|a| a.name)
            .collect())
    }
}

impl AliasStore for Sqlite {
    fn create_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError> {
        self.write("creating an alias", |tx| {
            if get_alias(tx, &alias.function, &alias.name)?.is_some() {
                return Ok(false);
            }
            tx.prepare_cached(&format!(
                "INSERT INTO aliases ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
            ))?
            .execute(params_from_iter(sqlite_values(alias)?))?;
            Ok(true)
        })
    }

    fn alias(&self, function: &str, name: &str) -> Result<Option<AliasRecord>, StoreError> {
        self.read("reading an alias", |conn| get_alias(conn, function, name))
    }

    fn aliases(
        &self,
        function: &str,
        version: Option<&str>,
    ) -> Result<Vec<AliasRecord>, StoreError> {
        let all: Vec<AliasRecord> = self.read("listing aliases", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM aliases WHERE function = ?1 ORDER BY name"
            ))?
            .query_map([function], |row| alias_from_row(row))?
            .collect()
        })?;
        Ok(using(all, version))
    }

    fn all_aliases(&self) -> Result<Vec<AliasRecord>, StoreError> {
        self.read("listing aliases", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM aliases ORDER BY function, name"
            ))?
            .query_map([], |row| alias_from_row(row))?
            .collect()
        })
    }

    fn update_alias(&self, alias: &AliasRecord) -> Result<bool, StoreError> {
        self.write("updating an alias", |tx| {
            let updated = tx
                .prepare_cached(
                    "UPDATE aliases SET function_version = ?3, description = ?4, routing = ?5, \
                     revision_id = ?6 WHERE function = ?1 AND name = ?2",
                )?
                .execute(params_from_iter(sqlite_values(alias)?))?;
            Ok(updated > 0)
        })
    }

    fn delete_alias(&self, function: &str, name: &str) -> Result<bool, StoreError> {
        self.write("deleting an alias", |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM aliases WHERE function = ?1 AND name = ?2")?
                .execute([function, name])?;
            Ok(deleted > 0)
        })
    }

    fn delete_function_aliases(&self, function: &str) -> Result<usize, StoreError> {
        self.write("deleting a function's aliases", |tx| {
            Ok(tx
                .prepare_cached("DELETE FROM aliases WHERE function = ?1")?
                .execute([function])?)
        })
    }
}
