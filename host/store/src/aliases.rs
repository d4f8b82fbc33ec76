//! Aliases of uploaded functions (Lambda's `CreateAlias` … `DeleteAlias`): a name pointing at
//! one version of a function, optionally with a second version and the share of invocations it
//! gets (`RoutingConfig.AdditionalVersionWeights`, at most one entry).

use std::collections::BTreeMap;

use rusqlite::{Connection, Row, params};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
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

const COLUMNS: &str = "function, name, function_version, description, routing, revision_id";

fn alias_from_row(row: &Row<'_>) -> rusqlite::Result<AliasRecord> {
    let routing: String = row.get(4)?;
    let weights: BTreeMap<String, f64> = serde_json::from_str(&routing).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(AliasRecord {
        function: row.get(0)?,
        name: row.get(1)?,
        function_version: row.get(2)?,
        description: row.get(3)?,
        routing: weights.into_iter().next(),
        revision_id: row.get(5)?,
    })
}

/// The `routing` column: a JSON object `{"<version>": weight}`, `{}` when none.
fn routing_json(alias: &AliasRecord) -> rusqlite::Result<String> {
    let weights: BTreeMap<&str, f64> = alias
        .routing
        .iter()
        .map(|(version, weight)| (version.as_str(), *weight))
        .collect();
    serde_json::to_string(&weights)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn get_alias(
    conn: &Connection,
    function: &str,
    name: &str,
) -> rusqlite::Result<Option<AliasRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM aliases WHERE function = ?1 AND name = ?2"
    ))?
    .query_map([function, name], alias_from_row)?
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
    fn aliases_of_version(&self, function: &str, version: &str) -> Result<Vec<String>, StoreError>;
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
            .execute(params![
                alias.function,
                alias.name,
                alias.function_version,
                alias.description,
                routing_json(alias)?,
                alias.revision_id,
            ])?;
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
            .query_map([function], alias_from_row)?
            .collect()
        })?;
        Ok(match version {
            Some(version) => all.into_iter().filter(|a| a.uses(version)).collect(),
            None => all,
        })
    }

    fn all_aliases(&self) -> Result<Vec<AliasRecord>, StoreError> {
        self.read("listing aliases", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM aliases ORDER BY function, name"
            ))?
            .query_map([], alias_from_row)?
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
                .execute(params![
                    alias.function,
                    alias.name,
                    alias.function_version,
                    alias.description,
                    routing_json(alias)?,
                    alias.revision_id,
                ])?;
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

    fn aliases_of_version(&self, function: &str, version: &str) -> Result<Vec<String>, StoreError> {
        Ok(self
            .aliases(function, Some(version))?
            .into_iter()
            .map(|a| a.name)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn alias(function: &str, name: &str, version: &str) -> AliasRecord {
        AliasRecord {
            function: function.into(),
            name: name.into(),
            function_version: version.into(),
            description: String::new(),
            routing: None,
            revision_id: format!("rev-{name}"),
        }
    }

    #[test]
    fn aliases_are_created_once_listed_by_name_updated_and_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fnhost.db")).unwrap();
        let live = AliasRecord {
            routing: Some(("2".into(), 0.1)),
            description: "canary".into(),
            ..alias("f", "live", "1")
        };
        assert!(store.create_alias(&live).unwrap());
        assert!(!store.create_alias(&alias("f", "live", "3")).unwrap());
        assert!(store.create_alias(&alias("f", "beta", "$LATEST")).unwrap());
        assert!(store.create_alias(&alias("g", "live", "2")).unwrap());

        assert_eq!(store.alias("f", "live").unwrap(), Some(live.clone()));
        assert_eq!(store.alias("f", "nope").unwrap(), None);
        let names = |list: Vec<AliasRecord>| list.into_iter().map(|a| a.name).collect::<Vec<_>>();
        assert_eq!(names(store.aliases("f", None).unwrap()), ["beta", "live"]);
        assert_eq!(names(store.aliases("f", Some("2")).unwrap()), ["live"]);
        assert_eq!(
            names(store.aliases("f", Some("$LATEST")).unwrap()),
            ["beta"]
        );
        assert!(store.aliases("f", Some("7")).unwrap().is_empty());
        assert_eq!(store.aliases_of_version("f", "1").unwrap(), ["live"]);

        let moved = AliasRecord {
            function_version: "2".into(),
            routing: None,
            revision_id: "rev-2".into(),
            ..live.clone()
        };
        assert!(store.update_alias(&moved).unwrap());
        assert_eq!(store.alias("f", "live").unwrap(), Some(moved));
        assert!(store.aliases_of_version("f", "1").unwrap().is_empty());
        assert!(!store.update_alias(&alias("f", "nope", "1")).unwrap());

        assert!(store.delete_alias("f", "beta").unwrap());
        assert!(!store.delete_alias("f", "beta").unwrap());
        assert_eq!(
            store
                .all_aliases()
                .unwrap()
                .iter()
                .map(|a| format!("{}:{}", a.function, a.name))
                .collect::<Vec<_>>(),
            ["f:live", "g:live"]
        );
        assert_eq!(store.delete_function_aliases("f").unwrap(), 1);
        assert!(store.aliases("f", None).unwrap().is_empty());
        assert_eq!(names(store.aliases("g", None).unwrap()), ["live"]);
    }

    #[test]
    fn aliases_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fnhost.db");
        let live = AliasRecord {
            routing: Some(("3".into(), 0.25)),
            ..alias("f", "live", "2")
        };
        Store::open(&path).unwrap().create_alias(&live).unwrap();
        let reopened = Store::open(&path).unwrap();
        assert_eq!(reopened.all_aliases().unwrap(), [live]);
    }
}
