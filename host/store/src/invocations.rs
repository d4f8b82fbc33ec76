//! Invocation records (one per attempt: what ran, how long, how much, and its whole log in the
//! same row), with the queries behind `fnhost usage` and retention. Reading the logs line by
//! line is [`crate::logs`].

use rusqlite::types::Value;
use rusqlite::{Row, Transaction, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::logs::line_count;
use crate::store::{Store, get_opt_u64, get_u64, sql_u64, sql_usize};

/// One invocation attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvocationRecord {
    /// The request id (retries of an async event share it).
    pub request_id: String,
    /// The function.
    pub function: String,
    /// The version that ran: `$LATEST` or a number.
    pub version: String,
    /// What triggered it (`http`, `s3`, `schedule`, `api`, ...).
    pub trigger: String,
    /// Start, unix ms.
    pub started_at_ms: u64,
    /// Wall time in ms.
    pub duration_ms: f64,
    /// Billed duration in ms.
    pub billed_ms: u64,
    /// Configured memory.
    pub memory_mb: u32,
    /// Peak memory used.
    pub max_memory_used_mb: u64,
    /// Fuel consumed, when metered.
    pub fuel: Option<u64>,
    /// The error type; `None` means success.
    pub error_type: Option<String>,
    /// The captured log (START ... REPORT lines included), lines separated by `\n`.
    pub log: String,
}

/// Which invocation records to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvocationQuery {
    /// Only this function.
    pub function: Option<String>,
    /// Only records started at or after this (unix ms).
    pub since_ms: Option<u64>,
    /// At most this many (the newest).
    pub limit: usize,
    /// Fill in [`InvocationRecord::log`].
    pub with_log: bool,
}

impl Default for InvocationQuery {
    fn default() -> InvocationQuery {
        InvocationQuery {
            function: None,
            since_ms: None,
            limit: 100,
            with_log: false,
        }
    }
}

/// What one function used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The function.
    pub function: String,
    /// Invocation attempts.
    pub requests: u64,
    /// Attempts that ended in an error.
    pub errors: u64,
    /// Billed duration, ms.
    pub billed_ms: u64,
    /// Sum of billed seconds times configured GB (`billed_ms / 1000 * memory_mb / 1024`).
    pub gb_seconds: f64,
    /// Fuel consumed (metered invocations only).
    pub fuel: u64,
}

/// The record columns, in [`record_from_row`]'s order; the log comes last (and only when asked)
/// so listings without it never read a long log's overflow pages.
const RECORD_COLUMNS: &str = "request_id, function, version, trigger_type, started_at_ms, \
     duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type";

/// Reads a record selected with [`RECORD_COLUMNS`], plus `log` as column 11 when `with_log`.
fn record_from_row(row: &Row<'_>, with_log: bool) -> rusqlite::Result<InvocationRecord> {
    Ok(InvocationRecord {
        request_id: row.get(0)?,
        function: row.get(1)?,
        version: row.get(2)?,
        trigger: row.get(3)?,
        started_at_ms: get_u64(row, 4)?,
        duration_ms: row.get(5)?,
        billed_ms: get_u64(row, 6)?,
        memory_mb: row.get(7)?,
        max_memory_used_mb: get_u64(row, 8)?,
        fuel: get_opt_u64(row, 9)?,
        error_type: row.get(10)?,
        log: if with_log {
            row.get(11)?
        } else {
            String::new()
        },
    })
}

/// Writes one record, log included, inside an open transaction: one row, no per-line rows.
fn insert_record(tx: &Transaction<'_>, r: &InvocationRecord) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO invocations (request_id, function, version, trigger_type, started_at_ms, \
         duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type, \
         log_line_count, log) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        r.request_id,
        r.function,
        r.version,
        r.trigger,
        sql_u64(r.started_at_ms),
        r.duration_ms,
        sql_u64(r.billed_ms),
        r.memory_mb,
        sql_u64(r.max_memory_used_mb),
        r.fuel.map(sql_u64),
        r.error_type,
        line_count(&r.log),
        r.log,
    ])?;
    Ok(())
}

/// The SQL and parameters of an invocation listing. Only the filters present appear in the
/// `WHERE` clause, so SQLite picks the index that serves them.
pub(crate) fn invocations_sql(query: &InvocationQuery) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(function) = &query.function {
        clauses.push("function = ?");
        values.push(Value::Text(function.clone()));
    }
    if let Some(since) = query.since_ms {
        clauses.push("started_at_ms >= ?");
        values.push(Value::Integer(sql_u64(since)));
    }
    values.push(Value::Integer(sql_usize(query.limit)));
    let sql = format!(
        "SELECT {RECORD_COLUMNS}{} FROM invocations {} \
         ORDER BY started_at_ms DESC, id DESC LIMIT ?",
        if query.with_log { ", log" } else { "" },
        where_clause(&clauses)
    );
    (sql, values)
}

/// The SQL of the newest record with a request id (`?1`), log included.
///
/// No index is keyed by the request id: a UUID v4 lands on a random page of such an index, one
/// page write per record, which made up most of the cost of recording. The lookup walks the
/// start-time index, which holds the request id, from the newest record back and reads a row
/// only once its id matches: a recent invocation is found at once, an older one costs a pass
/// over the (small) index entries of everything recorded since.
pub(crate) fn invocation_sql() -> String {
    format!(
        "SELECT {RECORD_COLUMNS}, log FROM invocations INDEXED BY invocations_started \
         WHERE request_id = ?1 ORDER BY started_at_ms DESC, id DESC LIMIT 1"
    )
}

/// The SQL of a usage summary, with or without a start time.
pub(crate) fn usage_sql(since: bool) -> String {
    format!(
        "SELECT function, COUNT(*), COUNT(error_type), SUM(billed_ms), \
         SUM(billed_ms * memory_mb), COALESCE(SUM(fuel), 0) FROM invocations {} \
         GROUP BY function ORDER BY function",
        // Without statistics SQLite would rather walk the function index (no GROUP BY sort)
        // through every row; a time window is better read as a range.
        if since {
            "INDEXED BY invocations_started WHERE started_at_ms >= ?"
        } else {
            ""
        }
    )
}

/// `WHERE a AND b ...`, or nothing.
pub(crate) fn where_clause(clauses: &[&str]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

impl Store {
    /// Stores invocation records in one transaction: one row per record, its log included.
    pub fn record(&self, records: &[InvocationRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        self.write("recording invocations", |tx| {
            for record in records {
                insert_record(tx, record)?;
            }
            Ok(())
        })
    }

    /// Invocation records, newest first; [`InvocationRecord::log`] is empty unless
    /// `query.with_log`.
    pub fn invocations(
        &self,
        query: &InvocationQuery,
    ) -> Result<Vec<InvocationRecord>, StoreError> {
        let (sql, values) = invocations_sql(query);
        self.read("listing invocations", |conn| {
            conn.prepare_cached(&sql)?
                .query_map(params_from_iter(values), |row| {
                    record_from_row(row, query.with_log)
                })?
                .collect()
        })
    }

    /// The newest record with this request id (retries share one), with its log.
    ///
    /// Request ids have no index of their own (it made recording several times dearer): the
    /// lookup walks the start-time index from the newest record, so a recent invocation is found
    /// at once and an older one costs about 35 ns per record recorded since (`benches/record.rs`).
    pub fn invocation(&self, request_id: &str) -> Result<Option<InvocationRecord>, StoreError> {
        self.read("reading an invocation", |conn| {
            conn.prepare_cached(&invocation_sql())?
                .query_map([request_id], |row| record_from_row(row, true))?
                .next()
                .transpose()
        })
    }

    /// Usage per function (by name) over records started at or after `since_ms`, or all.
    pub fn usage(&self, since_ms: Option<u64>) -> Result<Vec<Usage>, StoreError> {
        self.read("summing usage", |conn| {
            let since: Vec<i64> = since_ms.map(sql_u64).into_iter().collect();
            conn.prepare_cached(&usage_sql(since_ms.is_some()))?
                .query_map(params_from_iter(since), |row| {
                    // Summed exactly as integers (ms x MB), divided once.
                    let ms_mb = get_u64(row, 4)?;
                    Ok(Usage {
                        function: row.get(0)?,
                        requests: get_u64(row, 1)?,
                        errors: get_u64(row, 2)?,
                        billed_ms: get_u64(row, 3)?,
                        gb_seconds: ms_mb as f64 / (1000.0 * 1024.0),
                        fuel: get_u64(row, 5)?,
                    })
                })?
                .collect()
        })
    }

    /// Retention: deletes the invocation records, logs included, started before
    /// `older_than_ms`, in one transaction; returns how much went: records plus their log lines.
    ///
    /// Log sequence numbers are never reused afterwards, even when this empties the table, so a
    /// `--follow` reader neither misses nor repeats a line across a prune.
    pub fn prune(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        let cutoff = sql_u64(older_than_ms);
        self.write("pruning invocations and logs", |tx| {
            let (records, lines) = tx
                .prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(log_line_count), 0) FROM invocations \
                     WHERE started_at_ms < ?1",
                )?
                .query_row([cutoff], |row| Ok((get_u64(row, 0)?, get_u64(row, 1)?)))?;
            if records > 0 {
                tx.prepare_cached("DELETE FROM invocations WHERE started_at_ms < ?1")?
                    .execute([cutoff])?;
            }
            Ok(records + lines)
        })
    }
}
