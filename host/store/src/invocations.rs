//! Invocation records, one row each: what ran, how long, how much, by which trigger, and its
//! whole log in the same row; the queries behind `fnhost usage`, retention, and reading the
//! logs line by line out of those rows.
//!
//! # Log lines and their sequence numbers
//!
//! Each row holds its invocation's whole log, and a line's sequence number is derived from the
//! row's id and the line's index, so recording writes one row per invocation instead of one per
//! line. A line's `seq` is `(invocation id << 20) | line index`. Invocation ids come from an
//! `AUTOINCREMENT` key, so they grow with every record and are never reused, even after
//! `Store::prune` empties the table; the line index grows within a log. So seqs grow with every
//! line stored and `after_seq` pages forward without missing or repeating a line.
//!
//! That takes ids handed out in commit order, which SQLite's single writer gives. PostgreSQL's
//! identity column alone would not (two nodes' transactions may commit in the other order than
//! they took their ids), so there recording takes a lock first: one batch at a time across the
//! cluster (see `pg/invocations.rs`).
//!
//! The cap on lines per log and on ids is on [`LINES_PER_INVOCATION`].

use std::collections::BTreeMap;

use fnhost_core::Trigger;
use rusqlite::types::Value;
use rusqlite::{OptionalExtension as _, Row, Transaction, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::store::{Sqlite, get_u64, sql_u64, sql_usize};

/// One invocation attempt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvocationRecord {
    /// The request id (retries of an async event share it).
    pub request_id: String,
    /// The function.
    pub function: String,
    /// The version that ran: `$LATEST` or a number.
    pub version: String,
    /// What delivered the event.
    pub trigger: Trigger,
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
    /// Only records started at or before this (unix ms): the console pages back with it.
    pub until_ms: Option<u64>,
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
            until_ms: None,
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
    /// Invocation attempts by what delivered the event.
    pub triggers: BTreeMap<Trigger, u64>,
}

/// The record columns, in [`record_from_row`]'s order; the log comes last (and only when asked)
/// so listings without it never read a long log's overflow pages.
const RECORD_COLUMNS: &str = "request_id, function, version, trigger_type, started_at_ms, \
     duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type";

/// A row a backend read, by column index: what the shared mapping of rows to records, log
/// lines and usage reads, so that the rules (which column holds what, the checks on stored
/// values) are written once for both backends.
pub(crate) trait Columns {
    /// The backend's error.
    type Error;

    /// A text column.
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    /// A floating-point column.
    fn float(&self, i: usize) -> Result<f64, Self::Error>;
    /// A blob (`BLOB`, `BYTEA`) column.
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Self::Error>;
    /// The error for column `i` holding a value the store never writes.
    fn invalid(&self, i: usize, what: String) -> Self::Error;

    /// A non-negative integer column.
    fn uint(&self, i: usize) -> Result<u64, Self::Error> {
        let value = self.int(i)?;
        u64::try_from(value).map_err(|_| self.invalid(i, format!("negative value {value}")))
    }

    /// A nullable non-negative integer column.
    fn opt_uint(&self, i: usize) -> Result<Option<u64>, Self::Error> {
        self.opt_int(i)?
            .map(|value| {
                u64::try_from(value).map_err(|_| self.invalid(i, format!("negative value {value}")))
            })
            .transpose()
    }

    /// A trigger stored by its name.
    fn trigger(&self, i: usize) -> Result<Trigger, Self::Error> {
        let name = self.text(i)?;
        name.parse()
            .map_err(|e: fnhost_core::UnknownTrigger| self.invalid(i, e.to_string()))
    }
}

impl Columns for Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }

    fn opt_int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }

    fn float(&self, i: usize) -> rusqlite::Result<f64> {
        self.get(i)
    }

    fn bytes(&self, i: usize) -> rusqlite::Result<Vec<u8>> {
        self.get(i)
    }

    fn invalid(&self, i: usize, what: String) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Integer, what.into())
    }
}

/// Reads a record selected with [`RECORD_COLUMNS`], plus `log` as column 11 when `with_log`.
pub(crate) fn record_from_row<C: Columns>(
    row: &C,
    with_log: bool,
) -> Result<InvocationRecord, C::Error> {
    let memory_mb = row.int(7)?;
    Ok(InvocationRecord {
        request_id: row.text(0)?,
        function: row.text(1)?,
        version: row.text(2)?,
        trigger: row.trigger(3)?,
        started_at_ms: row.uint(4)?,
        duration_ms: row.float(5)?,
        billed_ms: row.uint(6)?,
        memory_mb: u32::try_from(memory_mb)
            .map_err(|_| row.invalid(7, format!("memory size {memory_mb} MB")))?,
        max_memory_used_mb: row.uint(8)?,
        fuel: row.opt_uint(9)?,
        error_type: row.opt_text(10)?,
        log: if with_log {
            row.text(11)?
        } else {
            String::new()
        },
    })
}

/// The usage of one function from a row of `function, requests, errors, billed ms, billed ms
/// times memory MB, fuel`, without its triggers.
pub(crate) fn usage_from_row<C: Columns>(row: &C) -> Result<Usage, C::Error> {
    // Summed exactly as integers (ms x MB), divided once.
    let ms_mb = row.uint(4)?;
    Ok(Usage {
        function: row.text(0)?,
        requests: row.uint(1)?,
        errors: row.uint(2)?,
        billed_ms: row.uint(3)?,
        gb_seconds: ms_mb as f64 / (1000.0 * 1024.0),
        fuel: row.uint(5)?,
        triggers: BTreeMap::new(),
    })
}

/// Adds a row of `function, trigger, count` to the function's entry of `usage`.
pub(crate) fn add_trigger_count<C: Columns>(usage: &mut [Usage], row: &C) -> Result<(), C::Error> {
    let function = row.text(0)?;
    let trigger = row.trigger(1)?;
    let n = row.uint(2)?;
    if let Some(u) = usage.iter_mut().find(|u| u.function == function) {
        u.triggers.insert(trigger, n);
    }
    Ok(())
}

/// A query parameter, before a backend binds it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    /// An integer.
    Int(i64),
    /// A text.
    Text(String),
    /// A text looked for in a log: bound as the backend stores logs (text in SQLite, UTF-8
    /// bytes in PostgreSQL).
    Needle(String),
}

/// The conditions of a query's `WHERE` clause, each with one `?` for its parameter, and those
/// parameters in order. Only the filters present appear, so the database picks the index that
/// serves them.
#[derive(Debug, Default)]
pub(crate) struct Filters {
    /// The conditions.
    pub(crate) clauses: Vec<&'static str>,
    /// Their parameters.
    pub(crate) params: Vec<Param>,
}

impl Filters {
    fn push(&mut self, clause: &'static str, param: Param) {
        self.clauses.push(clause);
        self.params.push(param);
    }

    /// `WHERE a AND b ...`, or nothing.
    pub(crate) fn where_clause(&self) -> String {
        where_clause(&self.clauses)
    }
}

/// The filters listings and logs share: one function, started at or after a time.
fn function_and_since(function: Option<&str>, since_ms: Option<u64>) -> Filters {
    let mut filters = Filters::default();
    if let Some(function) = function {
        filters.push("function = ?", Param::Text(function.to_owned()));
    }
    if let Some(since) = since_ms {
        filters.push("started_at_ms >= ?", Param::Int(sql_u64(since)));
    }
    filters
}

/// The filters of an invocation listing (its `LIMIT` is the caller's).
pub(crate) fn listing_filters(query: &InvocationQuery) -> Filters {
    let mut filters = function_and_since(query.function.as_deref(), query.since_ms);
    if let Some(until) = query.until_ms {
        filters.push("started_at_ms <= ?", Param::Int(sql_u64(until)));
    }
    filters
}

/// The filters selecting the invocations that may hold lines `query` asks for: lines after
/// `after_seq` are in invocations from `after_seq >> 20` on; an invocation with no line holding
/// `query.filter` is skipped in SQL by `contains`, the backend's condition "the log holds the
/// text `?`" (the lines are checked one by one after); without a filter, only logs with lines.
pub(crate) fn log_filters(query: &LogQuery, contains: &'static str) -> Filters {
    let mut filters = function_and_since(query.function.as_deref(), query.since_ms);
    if let Some(after) = query.after_seq {
        filters.push("id >= ?", Param::Int(after >> LINE_BITS));
    }
    match &query.filter {
        Some(filter) => filters.push(contains, Param::Needle(filter.clone())),
        None => filters.clauses.push("log_line_count > 0"),
    }
    filters
}

/// The parameters as SQLite values.
fn sqlite_values(params: Vec<Param>) -> Vec<Value> {
    params
        .into_iter()
        .map(|p| match p {
            Param::Int(i) => Value::Integer(i),
            Param::Text(t) | Param::Needle(t) => Value::Text(t),
        })
        .collect()
}

/// Writes one record, log included, inside an open transaction: one row, no per-line rows.
pub(crate) fn insert_record(tx: &Transaction<'_>, r: &InvocationRecord) -> rusqlite::Result<()> {
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
        r.trigger.as_str(),
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

/// The SQL and parameters of an invocation listing.
pub(crate) fn invocations_sql(query: &InvocationQuery) -> (String, Vec<Value>) {
    let filters = listing_filters(query);
    let sql = format!(
        "SELECT {RECORD_COLUMNS}{} FROM invocations {} \
         ORDER BY started_at_ms DESC, id DESC LIMIT ?",
        if query.with_log { ", log" } else { "" },
        filters.where_clause()
    );
    let mut values = sqlite_values(filters.params);
    values.push(Value::Integer(sql_usize(query.limit)));
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

/// The SQL of the usage per function and trigger (a time window when `since`).
pub(crate) fn usage_by_trigger_sql(since: bool) -> String {
    format!(
        "SELECT function, trigger_type, COUNT(*) FROM invocations {} \
         GROUP BY function, trigger_type ORDER BY function",
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

/// The wall clock, unix ms.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Invocation records with their logs, usage sums and retention.
pub trait InvocationStore {
    /// Stores invocation records in one transaction: one row per record, its log included, and
    /// the records added to the per-minute and per-hour rollups (see `stats.rs`).
    fn record(&self, records: &[InvocationRecord]) -> Result<(), StoreError>;

    /// Invocation records, newest first; [`InvocationRecord::log`] is empty unless
    /// `query.with_log`.
    fn invocations(&self, query: &InvocationQuery) -> Result<Vec<InvocationRecord>, StoreError>;

    /// The newest record with this request id (retries share one), with its log.
    ///
    /// Request ids have no index of their own (it made recording several times dearer): the
    /// lookup walks the start-time index from the newest record, so a recent invocation is found
    /// at once and an older one costs a pass over the small index entries of every record
    /// recorded since (`benches/record.rs` measures it; see `docs/performance.md`).
    fn invocation(&self, request_id: &str) -> Result<Option<InvocationRecord>, StoreError>;

    /// Usage per function (by name) over records started at or after `since_ms`, or all.
    fn usage(&self, since_ms: Option<u64>) -> Result<Vec<Usage>, StoreError>;

    /// Retention: deletes the invocation records, logs included, started before
    /// `older_than_ms`, in one transaction; returns how much went: records plus their log lines.
    ///
    /// Log sequence numbers are never reused afterwards, even when this empties the table, so a
    /// `--follow` reader neither misses nor repeats a line across a prune.
    ///
    /// The rollup and sample rows whose bucket ends by `older_than_ms` go too, and minute rows
    /// older than [`crate::MINUTE_ROWS_KEPT_MS`] (not counted in the result).
    fn prune(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        self.prune_at(older_than_ms, now_ms())
    }

    /// [`prune`](InvocationStore::prune) as of `now_ms`, which also ages the console's
    /// rollups out of their windows.
    fn prune_at(&self, older_than_ms: u64, now_ms: u64) -> Result<u64, StoreError>;

    /// The total log cap: deletes the oldest invocation records, logs included, until the logs
    /// kept add up to at most `max_bytes` (of log text), in one transaction; returns how much
    /// went, counted like `Store::prune`. Newer records are kept whole: a record whose log
    /// would cross the cap goes with everything older.
    fn prune_log_bytes(&self, max_bytes: u64) -> Result<u64, StoreError>;

    /// The first `query.limit` matching log lines after `after_seq`, ascending by seq
    /// (paging forward, `--follow`).
    fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError>;

    /// The last `query.limit` matching log lines, ascending by seq (what `fnhost logs` shows
    /// before it follows).
    fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError>;
}

impl InvocationStore for Sqlite {
    fn record(&self, records: &[InvocationRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        self.write("recording invocations", |tx| {
            for record in records {
                insert_record(tx, record)?;
            }
            crate::stats::roll_up_records(tx, records)
        })
    }

    fn invocations(&self, query: &InvocationQuery) -> Result<Vec<InvocationRecord>, StoreError> {
        let (sql, values) = invocations_sql(query);
        self.read("listing invocations", |conn| {
            conn.prepare_cached(&sql)?
                .query_map(params_from_iter(values), |row| {
                    record_from_row(row, query.with_log)
                })?
                .collect()
        })
    }

    fn invocation(&self, request_id: &str) -> Result<Option<InvocationRecord>, StoreError> {
        self.read("reading an invocation", |conn| {
            conn.prepare_cached(&invocation_sql())?
                .query_map([request_id], |row| record_from_row(row, true))?
                .next()
                .transpose()
        })
    }

    fn usage(&self, since_ms: Option<u64>) -> Result<Vec<Usage>, StoreError> {
        self.read("summing usage", |conn| {
            let since: Vec<i64> = since_ms.map(sql_u64).into_iter().collect();
            let mut usage = conn
                .prepare_cached(&usage_sql(since_ms.is_some()))?
                .query_map(params_from_iter(since.iter()), |row| usage_from_row(row))?
                .collect::<rusqlite::Result<Vec<Usage>>>()?;
            let mut by_trigger = conn.prepare_cached(&usage_by_trigger_sql(since_ms.is_some()))?;
            let mut rows = by_trigger.query(params_from_iter(since.iter()))?;
            while let Some(row) = rows.next()? {
                add_trigger_count(&mut usage, row)?;
            }
            Ok(usage)
        })
    }

    fn prune_at(&self, older_than_ms: u64, now_ms: u64) -> Result<u64, StoreError> {
        let cutoff = sql_u64(older_than_ms);
        self.write("pruning invocations and logs", |tx| {
            crate::stats::prune(tx, older_than_ms, now_ms)?;
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

    fn prune_log_bytes(&self, max_bytes: u64) -> Result<u64, StoreError> {
        let cap = sql_u64(max_bytes);
        self.write("pruning invocation logs to their size cap", |tx| {
            let cut: Option<i64> = tx
                .prepare_cached(
                    "SELECT id FROM (SELECT id, SUM(octet_length(log)) OVER \
                     (ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS kept FROM invocations) \
                     WHERE kept > ?1 ORDER BY id DESC LIMIT 1",
                )?
                .query_row([cap], |row| row.get(0))
                .optional()?;
            let Some(cut) = cut else {
                return Ok(0);
            };
            let (records, lines) = tx
                .prepare_cached(
                    "SELECT COUNT(*), COALESCE(SUM(log_line_count), 0) FROM invocations \
                     WHERE id <= ?1",
                )?
                .query_row([cut], |row| Ok((get_u64(row, 0)?, get_u64(row, 1)?)))?;
            tx.prepare_cached("DELETE FROM invocations WHERE id <= ?1")?
                .execute([cut])?;
            Ok(records + lines)
        })
    }

    fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        self.read_logs(query, false)
    }

    fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        self.read_logs(query, true)
    }
}

impl Sqlite {
    /// [`InvocationStore::logs`], or [`InvocationStore::tail_logs`] when `tail`.
    fn read_logs(&self, query: &LogQuery, tail: bool) -> Result<Vec<LogLine>, StoreError> {
        let mut lines = LogCollector::new(query, tail);
        if lines.is_full() {
            return Ok(Vec::new());
        }
        self.read("reading logs", |conn| {
            let (sql, values) = logs_sql(query, tail);
            let mut stmt = conn.prepare_cached(&sql)?;
            let mut rows = stmt.query(params_from_iter(values))?;
            while let Some(row) = rows.next()? {
                let log = row.get_ref(4)?.as_str()?;
                if !lines.take(row, log)? {
                    break;
                }
            }
            Ok(())
        })?;
        Ok(lines.into_lines())
    }
}

/// Bits of a [`LogLine::seq`] that hold the line's index within its invocation's log.
const LINE_BITS: u32 = 20;

/// The most lines one invocation's log is split into: 2^20, the line index's share of a
/// [`LogLine::seq`].
///
/// The runtime caps a log at 1 MiB plus a truncation note, so only a log of a million nearly
/// empty lines reaches it; the last line (index 2^20 - 1) then carries the rest of the log,
/// newlines included. `Store::invocation` always returns the exact log. Invocation ids, the
/// seq's other share, stay below 2^43 (nine years at 30,000 invocations per second); a larger
/// one is reported as an error, never wrapped.
pub const LINES_PER_INVOCATION: usize = 1 << LINE_BITS;

/// Which log lines to list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogQuery {
    /// Only this function.
    pub function: Option<String>,
    /// Only lines of invocations started at or after this (unix ms).
    pub since_ms: Option<u64>,
    /// Only lines containing this text (plain substring, case-sensitive, like a CloudWatch
    /// term).
    pub filter: Option<String>,
    /// Only lines after this sequence number (`--follow` passes the last seq it printed).
    pub after_seq: Option<i64>,
    /// At most this many lines.
    pub limit: usize,
}

impl Default for LogQuery {
    fn default() -> LogQuery {
        LogQuery {
            function: None,
            since_ms: None,
            filter: None,
            after_seq: None,
            limit: 1000,
        }
    }
}

/// One log line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// Sequence number: increases with every line stored, never reused, even after pruning.
    /// It is `(invocation id << 20) | line index` (see [`LINES_PER_INVOCATION`] for the cap).
    pub seq: i64,
    /// The invocation's request id.
    pub request_id: String,
    /// The function.
    pub function: String,
    /// What delivered the invocation's event.
    pub trigger: Trigger,
    /// The invocation's start (unix ms); lines carry no time of their own.
    pub ts_ms: u64,
    /// The text, without the newline.
    pub line: String,
}

/// The lines of `log`: split at `\n`, a final `\n` ending the last line rather than starting an
/// empty one; no lines for an empty log. At most [`LINES_PER_INVOCATION`], the last one taking
/// whatever is left.
fn split_lines(log: &str) -> impl Iterator<Item = &str> {
    let body = log.strip_suffix('\n').unwrap_or(log);
    let lines = (!log.is_empty()).then(|| body.splitn(LINES_PER_INVOCATION, '\n'));
    lines.into_iter().flatten()
}

/// How many lines [`split_lines`] makes of `log` (stored with the record, so retention can
/// report the lines it removed without reading the logs).
pub(crate) fn line_count(log: &str) -> i64 {
    if log.is_empty() {
        return 0;
    }
    let body = log.strip_suffix('\n').unwrap_or(log);
    let newlines = body.bytes().filter(|&b| b == b'\n').count();
    // At most 2^20: fits.
    newlines.saturating_add(1).min(LINES_PER_INVOCATION) as i64
}

/// The seq of line `index` of invocation `id`; `None` for an id past 2^43.
fn seq_of(id: i64, index: usize) -> Option<i64> {
    id.checked_mul(1 << LINE_BITS)
        // index < 2^20: fits, and below the shifted id's low bits.
        .map(|base| base | index as i64)
}

/// The columns of a log row, in the order [`LogCollector::take`] reads them.
pub(crate) const LOG_COLUMNS: &str = "id, request_id, function, started_at_ms, log, trigger_type";

/// The SQL and parameters selecting the invocations that may hold matching lines (see
/// [`log_filters`]), ascending by id or descending for the tail. The index is pinned, so rows
/// arrive in id order without a sort and the caller can stop reading once it has `limit`
/// lines: by function and id, or the table itself in id order.
pub(crate) fn logs_sql(query: &LogQuery, descending: bool) -> (String, Vec<Value>) {
    // instr: case-sensitive and free of LIKE's wildcards.
    let filters = log_filters(query, "instr(log, ?) > 0");
    let sql = format!(
        "SELECT {LOG_COLUMNS} FROM invocations {} {} ORDER BY id {}",
        if query.function.is_some() {
            "INDEXED BY invocations_logs"
        } else {
            "NOT INDEXED"
        },
        filters.where_clause(),
        if descending { "DESC" } else { "ASC" }
    );
    (sql, sqlite_values(filters.params))
}

/// Gathers the lines a [`LogQuery`] asks for from the rows of [`LOG_COLUMNS`] a backend reads
/// (in ascending id order for [`InvocationStore::logs`], descending for
/// [`InvocationStore::tail_logs`]): splits each log, keeps the lines after `after_seq` that
/// hold `filter`, numbers them, and says when it has `limit` of them.
pub(crate) struct LogCollector<'q> {
    query: &'q LogQuery,
    tail: bool,
    /// Ascending by seq; newest first for the tail.
    lines: Vec<LogLine>,
}

impl<'q> LogCollector<'q> {
    /// Collects for `query`, the tail of the matching lines when `tail`.
    pub(crate) fn new(query: &'q LogQuery, tail: bool) -> LogCollector<'q> {
        LogCollector {
            query,
            tail,
            lines: Vec::new(),
        }
    }

    /// True once it holds `query.limit` lines: no more rows need be read.
    pub(crate) fn is_full(&self) -> bool {
        self.lines.len() >= self.query.limit
    }

    /// Takes the matching lines of the next row, whose `log` (column 4) the caller has read;
    /// returns false once it is full.
    pub(crate) fn take<C: Columns>(&mut self, row: &C, log: &str) -> Result<bool, C::Error> {
        let id = row.int(0)?;
        let query = self.query;
        let wanted = query.limit.saturating_sub(self.lines.len());
        let matching = split_lines(log)
            .enumerate()
            .filter(|(_, line)| query.filter.as_deref().is_none_or(|f| line.contains(f)))
            .map(|(index, line)| {
                seq_of(id, index)
                    .map(|seq| (seq, line))
                    .ok_or_else(|| row.invalid(0, format!("invocation id {id} is past 2^43")))
            })
            .filter(|item| match (item, query.after_seq) {
                (Ok((seq, _)), Some(after)) => *seq > after,
                _ => true,
            });
        let taken: Vec<(i64, &str)> = if self.tail {
            // The row's lines come oldest first: the newest of them are taken from its end.
            let mut all = matching.collect::<Result<Vec<_>, C::Error>>()?;
            all.reverse();
            all.truncate(wanted);
            all
        } else {
            matching.take(wanted).collect::<Result<_, C::Error>>()?
        };
        let mut header = None;
        for (seq, line) in taken {
            let (request_id, function, trigger, ts_ms) = match &header {
                Some(header) => header,
                None => header.insert((row.text(1)?, row.text(2)?, row.trigger(5)?, row.uint(3)?)),
            };
            self.lines.push(LogLine {
                seq,
                request_id: request_id.clone(),
                function: function.clone(),
                trigger: *trigger,
                ts_ms: *ts_ms,
                line: line.to_owned(),
            });
        }
        Ok(!self.is_full())
    }

    /// The lines, ascending by seq.
    pub(crate) fn into_lines(mut self) -> Vec<LogLine> {
        if self.tail {
            self.lines.reverse();
        }
        self.lines
    }
}
