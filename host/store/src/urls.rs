//! Function URL configurations of uploaded functions (Lambda's `FunctionUrlConfig`): one per
//! function and one per alias, each with its own URL id. What the fields may hold is the API's
//! to check; the store keeps them as Lambda writes them.

use rusqlite::{params, params_from_iter};

use crate::error::StoreError;
use crate::functions::columns::{Columns, Value};
use crate::store::Sqlite;

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

/// The columns of the `function_urls` table, in the order of [`url_from_row`] and
/// [`url_values`].
pub(crate) const COLUMNS: &str =
    "function, qualifier, url_id, auth_type, cors, invoke_mode, created_ms, modified_ms";

/// The `qualifier` column: `''` stands for the unqualified function.
pub(crate) fn qualifier_column(qualifier: Option<&str>) -> &str {
    qualifier.unwrap_or("")
}

/// A `function_urls` row as a record.
pub(crate) fn url_from_row<R: Columns>(row: &R) -> Result<FunctionUrlRecord, R::Error> {
    let qualifier = row.text(1)?;
    Ok(FunctionUrlRecord {
        function: row.text(0)?,
        qualifier: (!qualifier.is_empty()).then_some(qualifier),
        url_id: row.text(2)?,
        auth_type: row.text(3)?,
        cors: row.opt_text(4)?,
        invoke_mode: row.text(5)?,
        created_ms: row.uint(6)?,
        modified_ms: row.uint(7)?,
    })
}

/// A record as the values of a `function_urls` row, in [`COLUMNS`]' order.
pub(crate) fn url_values(url: &FunctionUrlRecord) -> [Value<'_>; 8] {
    [
        Value::text(&url.function),
        Value::text(qualifier_column(url.qualifier.as_deref())),
        Value::text(&url.url_id),
        Value::text(&url.auth_type),
        Value::opt_text(url.cors.as_deref()),
        Value::text(&url.invoke_mode),
        Value::u64(url.created_ms),
        Value::u64(url.modified_ms),
    ]
}

/// What an update changes, after the key: `function, qualifier, auth_type, cors, invoke_mode,
/// modified_ms` (the id and creation time stay).
pub(crate) fn url_settings(url: &FunctionUrlRecord) -> [Value<'_>; 6] {
    let [
        function,
        qualifier,
        _id,
        auth_type,
        cors,
        invoke_mode,
        _created,
        modified,
    ] = url_values(url);
    [function, qualifier, auth_type, cors, invoke_mode, modified]
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
                .execute(params_from_iter(url_values(url)))?;
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
            .query_map(params![function, qualifier_column(qualifier)], |row| {
                url_from_row(row)
            })?
            .next()
            .transpose()
        })
    }

    fn function_url_by_id(&self, url_id: &str) -> Result<Option<FunctionUrlRecord>, StoreError> {
        self.read("reading a function url", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls WHERE url_id = ?1"
            ))?
            .query_map([url_id], |row| url_from_row(row))?
            .next()
            .transpose()
        })
    }

    fn function_urls(&self, function: &str) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls WHERE function = ?1 ORDER BY qualifier"
            ))?
            .query_map([function], |row| url_from_row(row))?
            .collect()
        })
    }

    fn all_function_urls(&self) -> Result<Vec<FunctionUrlRecord>, StoreError> {
        self.read("listing function urls", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM function_urls ORDER BY function, qualifier"
            ))?
            .query_map([], |row| url_from_row(row))?
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
                .execute(params_from_iter(url_settings(url)))?;
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
