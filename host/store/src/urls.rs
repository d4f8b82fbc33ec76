//! Function URL configurations of uploaded functions (Lambda's `FunctionUrlConfig`): one per
//! function and one per alias, each with its own URL id. What the fields may hold is the API's
//! to check; the store keeps them as Lambda writes them.

use rusqlite::{Row, params};

use crate::error::StoreError;
use crate::store::{Sqlite, get_u64, sql_u64};

/// One function URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionUrlRecord {
    /// The function's name.
    pub function: String,
    /// The alias the URL invokes; `None` for the unqualified function (`$LATEST`).
    pub qualifier: Option<String>,
    /// The URL id: 32 lower-case letters and digits, unique over all URLs.
    pub url_id: String,
    /// `NONE` or `AWS_IAM`.
    pub auth_type: String,
    /// Lambda's `Cors` object as JSON text, when configured.
    pub cors: Option<String>,
    /// `BUFFERED` (or `RESPONSE_STREAM`).
    pub invoke_mode: String,
    /// Creation time, unix ms.
    pub created_ms: u64,
    /// Last change, unix ms.
    pub modified_ms: u64,
}

const COLUMNS: &str =
    "function, qualifier, url_id, auth_type, cors, invoke_mode, created_ms, modified_ms";

/// The `qualifier` column: `''` stands for the unqualified function.
fn qualifier_column(qualifier: Option<&str>) -> &str {
    qualifier.unwrap_or("")
}

fn url_from_row(row: &Row<'_>) -> rusqlite::Result<FunctionUrlRecord> {
    let qualifier: String = row.get(1)?;
    Ok(FunctionUrlRecord {
        function: row.get(0)?,
        qualifier: (!qualifier.is_empty()).then_some(qualifier),
        url_id: row.get(2)?,
        auth_type: row.get(3)?,
        cors: row.get(4)?,
        invoke_mode: row.get(5)?,
        created_ms: get_u64(row, 6)?,
        modified_ms: get_u64(row, 7)?,
    })
}

/// Function URLs (`CreateFunctionUrlConfig` … `DeleteFunctionUrlConfig`).
pub trait UrlStore {
    /// Store a new URL. Returns `false` (and changes nothing) when the function (or alias)
    /// already has one.
    fn create_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError>;

    /// The URL of `function` (`qualifier` `None`) or of its alias `qualifier`.
    fn function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<FunctionUrlRecord>, StoreError>;

    /// The URL with id `url_id`.
    fn function_url_by_id(&self, url_id: &str) -> Result<Option<FunctionUrlRecord>, StoreError>;

    /// Every URL of `function`: the unqualified one first, then its aliases' by name.
    fn function_urls(&self, function: &str) -> Result<Vec<FunctionUrlRecord>, StoreError>;

    /// Every URL of every function, by function then qualifier (restored at start).
    fn all_function_urls(&self) -> Result<Vec<FunctionUrlRecord>, StoreError>;

    /// Replace the settings of an existing URL (found by function and qualifier; its id and
    /// creation time are kept). Returns `false` when there is no such URL.
    fn update_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError>;

    /// Delete the URL of `function` or of its alias `qualifier`. Returns whether there was one.
    fn delete_function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<bool, StoreError>;

    /// Delete every URL of `function` (it was deleted); returns how many there were.
    fn delete_function_urls(&self, function: &str) -> Result<usize, StoreError>;
}

impl UrlStore for Sqlite {
    fn create_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError> {
        self.write("creating a function url", |tx| {
            let inserted = tx
                .prepare_cached(&format!(
                    "INSERT INTO function_urls ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (function, qualifier) DO NOTHING"
                ))?
                .execute(params![
                    url.function,
                    qualifier_column(url.qualifier.as_deref()),
                    url.url_id,
                    url.auth_type,
                    url.cors,
                    url.invoke_mode,
                    sql_u64(url.created_ms),
                    sql_u64(url.modified_ms),
                ])?;
            Ok(inserted == 1)
        })
    }

    fn function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Option<FunctionUrlRecord>, StoreError> {
        self.read("reading a function url", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls WHERE function = ?1 AND qualifier = ?2"
            ))?
            .query_map(params![function, qualifier_column(qualifier)], url_from_row)?
            .next()
            .transpose()
        })
    }

    fn function_url_by_id(&self, url_id: &str) -> Result<Option<FunctionUrlRecord>, StoreError> {
        self.read("reading a function url", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls WHERE url_id = ?1"
            ))?
            .query_map([url_id], url_from_row)?
            .next()
            .transpose()
        })
    }

    fn function_urls(&self, function: &str) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls WHERE function = ?1 ORDER BY qualifier"
            ))?
            .query_map([function], url_from_row)?
            .collect()
        })
    }

    fn all_function_urls(&self) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls ORDER BY function, qualifier"
            ))?
            .query_map([], url_from_row)?
            .collect()
        })
    }

    fn update_function_url(&self, url: &FunctionUrlRecord) -> Result<bool, StoreError> {
        self.write("updating a function url", |tx| {
            let changed = tx
                .prepare_cached(
                    "UPDATE function_urls SET auth_type = ?3, cors = ?4, invoke_mode = ?5, \
                     modified_ms = ?6 WHERE function = ?1 AND qualifier = ?2",
                )?
                .execute(params![
                    url.function,
                    qualifier_column(url.qualifier.as_deref()),
                    url.auth_type,
                    url.cors,
                    url.invoke_mode,
                    sql_u64(url.modified_ms),
                ])?;
            Ok(changed == 1)
        })
    }

    fn delete_function_url(
        &self,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.write("deleting a function url", |tx| {
            let deleted = tx
                .prepare_cached("DELETE FROM function_urls WHERE function = ?1 AND qualifier = ?2")?
                .execute(params![function, qualifier_column(qualifier)])?;
            Ok(deleted == 1)
        })
    }

    fn delete_function_urls(&self, function: &str) -> Result<usize, StoreError> {
        self.write("deleting function urls", |tx| {
            Ok(tx
                .prepare_cached("DELETE FROM function_urls WHERE function = ?1")?
                .execute([function])?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Store;

    fn url(function: &str, qualifier: Option<&str>, id: &str) -> FunctionUrlRecord {
        FunctionUrlRecord {
            function: function.to_owned(),
            qualifier: qualifier.map(str::to_owned),
            url_id: id.to_owned(),
            auth_type: "NONE".to_owned(),
            cors: None,
            invoke_mode: "BUFFERED".to_owned(),
            created_ms: 10,
            modified_ms: 10,
        }
    }

    #[test]
    fn urls_are_kept_per_function_and_alias() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fnhost.db")).unwrap();
        let plain = url("f", None, "a".repeat(32).as_str());
        let live = url("f", Some("live"), "b".repeat(32).as_str());
        let other = url("g", None, "c".repeat(32).as_str());
        assert!(store.create_function_url(&plain).unwrap());
        assert!(store.create_function_url(&live).unwrap());
        assert!(store.create_function_url(&other).unwrap());
        // A second URL for the same function is refused, whatever its id.
        let again = url("f", None, "d".repeat(32).as_str());
        assert!(!store.create_function_url(&again).unwrap());
        assert_eq!(store.function_url("f", None).unwrap(), Some(plain.clone()));
        assert_eq!(
            store.function_url("f", Some("live")).unwrap(),
            Some(live.clone())
        );
        assert_eq!(store.function_url("f", Some("dev")).unwrap(), None);
        assert_eq!(
            store.function_url_by_id(&"b".repeat(32)).unwrap(),
            Some(live.clone())
        );
        assert_eq!(store.function_url_by_id(&"d".repeat(32)).unwrap(), None);
        assert_eq!(
            store.function_urls("f").unwrap(),
            [plain.clone(), live.clone()]
        );
        assert_eq!(store.all_function_urls().unwrap().len(), 3);

        let mut changed = plain.clone();
        changed.url_id = "e".repeat(32);
        changed.auth_type = "AWS_IAM".to_owned();
        changed.cors = Some(r#"{"AllowOrigins":["*"]}"#.to_owned());
        changed.modified_ms = 20;
        assert!(store.update_function_url(&changed).unwrap());
        let stored = store.function_url("f", None).unwrap().unwrap();
        assert_eq!(stored.auth_type, "AWS_IAM");
        assert_eq!(stored.cors.as_deref(), Some(r#"{"AllowOrigins":["*"]}"#));
        assert_eq!((stored.created_ms, stored.modified_ms), (10, 20));
        // The id stays: an update changes the settings, not the address.
        assert_eq!(stored.url_id, plain.url_id);
        assert!(!store.update_function_url(&url("h", None, "x")).unwrap());

        assert!(store.delete_function_url("f", Some("live")).unwrap());
        assert!(!store.delete_function_url("f", Some("live")).unwrap());
        assert_eq!(store.delete_function_urls("f").unwrap(), 1);
        assert!(store.function_urls("f").unwrap().is_empty());
        assert_eq!(store.all_function_urls().unwrap(), [other]);
    }
}
