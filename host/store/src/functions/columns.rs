//! The registry's rows (functions, layers, aliases, URLs, test events, reservations) as column
//! values, whichever backend reads or writes them: [`Columns`] (the crate's row reader, with
//! [`ColumnsExt`]) reads a result row of SQLite or PostgreSQL, [`Value`] is a parameter either
//! binds. Each table's row mapping (JSON columns, ranges, `NULL` rules) is then written once,
//! in its module, over these.

use std::borrow::Cow;

use serde::de::DeserializeOwned;

pub(crate) use crate::invocations::Columns;

/// A parameter of a statement: a `BIGINT` or a `TEXT` value, either of which may be `NULL`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    /// An integer (`BIGINT`).
    Int(Option<i64>),
    /// Text (`TEXT`).
    Text(Option<Cow<'a, str>>),
}

impl<'a> Value<'a> {
    /// A `TEXT` value borrowed from `text`.
    pub(crate) fn text(text: &'a str) -> Value<'a> {
        Value::Text(Some(Cow::Borrowed(text)))
    }

    /// A `TEXT` value, `NULL` for `None`.
    pub(crate) fn opt_text(text: Option<&'a str>) -> Value<'a> {
        Value::Text(text.map(Cow::Borrowed))
    }

    /// A `TEXT` value the row mapping made (e.g. a JSON document).
    pub(crate) fn owned(text: String) -> Value<'a> {
        Value::Text(Some(Cow::Owned(text)))
    }

    /// A `BIGINT` value; `u64`s past `i64::MAX` are stored as `i64::MAX`.
    pub(crate) fn u64(value: u64) -> Value<'a> {
        Value::Int(Some(crate::store::sql_u64(value)))
    }

    /// A `BIGINT` value, `NULL` for `None`.
    pub(crate) fn opt_u64(value: Option<u64>) -> Value<'a> {
        Value::Int(value.map(crate::store::sql_u64))
    }

    /// As a PostgreSQL parameter.
    pub(crate) fn pg(&self) -> &(dyn postgres::types::ToSql + Sync) {
        match self {
            Value::Int(value) => value,
            Value::Text(value) => value,
        }
    }
}

impl rusqlite::ToSql for Value<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Int(Some(value)) => ToSqlOutput::Borrowed(ValueRef::Integer(*value)),
            Value::Text(Some(text)) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
            Value::Int(None) | Value::Text(None) => ToSqlOutput::Borrowed(ValueRef::Null),
        })
    }
}

/// `values` as the parameter list of a PostgreSQL statement.
pub(crate) fn pg_params<'v>(
    values: &'v [Value<'_>],
) -> Vec<&'v (dyn postgres::types::ToSql + Sync)> {
    values.iter().map(Value::pg).collect()
}

/// A JSON column's text, for a [`Value`].
pub(crate) fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, String> {
    serde_json::to_string(value).map_err(|e| format!("cannot encode a JSON column: {e}"))
}

/// What the registry's rows read beyond [`Columns`]: `u32` fields and JSON documents.
pub(crate) trait ColumnsExt: Columns {
    /// An integer column of a `u32` field.
    fn u32(&self, i: usize) -> Result<u32, Self::Error> {
        let value = self.int(i)?;
        u32::try_from(value).map_err(|_| self.invalid(i, format!("{value} out of range")))
    }

    /// A text column holding a JSON document.
    fn json<T: DeserializeOwned>(&self, i: usize) -> Result<T, Self::Error> {
        let text = self.text(i)?;
        serde_json::from_str(&text).map_err(|e| self.invalid(i, format!("bad JSON: {e}")))
    }
}

impl<C: Columns + ?Sized> ColumnsExt for C {}

/// Placeholders for `n` parameters from `first`: `?1, ?2` (SQLite) or `$1, $2` (PostgreSQL).
pub(crate) fn placeholders(sigil: char, first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("{sigil}{i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An insert of one row of `columns` (comma-separated) into `table` that replaces the other
/// columns of an existing row with the same `key`; placeholders use `sigil` (`?` or `$`).
pub(crate) fn upsert_sql(table: &str, columns: &str, key: &[&str], sigil: char) -> String {
    let names: Vec<&str> = columns.split(',').map(str::trim).collect();
    let set = names
        .iter()
        .filter(|c| !key.contains(c))
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "INSERT INTO {table} ({columns}) VALUES ({}) ON CONFLICT ({}) DO UPDATE SET {set}",
        placeholders(sigil, 1, names.len()),
        key.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upsert_replaces_every_column_but_the_key() {
        assert_eq!(
            upsert_sql("t", "a, b,\n c", &["a"], '$'),
            "INSERT INTO t (a, b,\n c) VALUES ($1, $2, $3) ON CONFLICT (a) DO UPDATE SET \
             b = excluded.b, c = excluded.c"
        );
        assert_eq!(placeholders('?', 3, 2), "?3, ?4");
    }
}
