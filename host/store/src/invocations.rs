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
//! [`Store::prune`] empties the table; the line index grows within a log. So seqs grow with every
//! line stored and `after_seq` pages forward without missing or repeating a line.
//!
//! The cap on lines per log and on ids is on [`LINES_PER_INVOCATION`].

use std::collections::BTreeMap;

use fnhost_core::Trigger;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, Row, Transaction, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::store::{Sqlite, get_opt_u64, get_u64, sql_u64, sql_usize};

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

/// Reads a record selected with [`RECORD_COLUMNS`], plus `log` as column 11 when `with_log`.
fn record_from_row(row: &Row<'_>, with_log: bool) -> rusqlite::Result<InvocationRecord> {
    Ok(InvocationRecord {
        request_id: row.get(0)?,
        function: row.get(1)?,
        version: row.get(2)?,
        trigger: get_trigger(row, 3)?,
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

/// The filters listings and logs share: one function, started at or after a time.
fn function_and_since(
    function: Option<&str>,
    since_ms: Option<u64>,
) -> (Vec<&'static str>, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(function) = function {
        clauses.push("function = ?");
        values.push(Value::Text(function.to_owned()));
    }
    if let Some(since) = since_ms {
        clauses.push("started_at_ms >= ?");
        values.push(Value::Integer(sql_u64(since)));
    }
    (clauses, values)
}

/// The SQL and parameters of an invocation listing. Only the filters present appear in the
/// `WHERE` clause, so SQLite picks the index that serves them.
pub(crate) fn invocations_sql(query: &InvocationQuery) -> (String, Vec<Value>) {
    let (mut clauses, mut values) = function_and_since(query.function.as_deref(), query.since_ms);
    if let Some(until) = query.until_ms {
        clauses.push("started_at_ms <= ?");
        values.push(Value::Integer(sql_u64(until)));
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

/// The trigger stored in column `i` by its name.
pub(crate) fn get_trigger(row: &Row<'_>, i: usize) -> rusqlite::Result<Trigger> {
    let name: String = row.get(i)?;
    name.parse().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// `WHERE a AND b ...`, or nothing.
pub(crate) fn where_clause(clauses: &[&str]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
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
    fn prune(&self, older_than_ms: u64) -> Result<u64, StoreError>;

    /// [`prune`](InvocationStore::prune) as of `now_ms`, which also ages the console's
    /// rollups out of their windows.
    fn prune_at(&self, older_than_ms: u64, now_ms: u64) -> Result<u64, StoreError>;

    /// The total log cap: deletes the oldest invocation records, logs included, until the logs
    /// kept add up to at most `max_bytes` (of log text), in one transaction; returns how much
    /// went, counted like [`Store::prune`]. Newer records are kept whole: a record whose log
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
                .query_map(params_from_iter(since.iter()), |row| {
                    // Summed exactly as integers (ms x MB), divided once.
                    let ms_mb = get_u64(row, 4)?;
                    Ok(Usage {
                        function: row.get(0)?,
                        requests: get_u64(row, 1)?,
                        errors: get_u64(row, 2)?,
                        billed_ms: get_u64(row, 3)?,
                        gb_seconds: ms_mb as f64 / (1000.0 * 1024.0),
                        fuel: get_u64(row, 5)?,
                        triggers: BTreeMap::new(),
                    })
                })?
                .collect::<rusqlite::Result<Vec<Usage>>>()?;
            let mut by_trigger = conn.prepare_cached(&usage_by_trigger_sql(since_ms.is_some()))?;
            let counts = by_trigger.query_map(params_from_iter(since.iter()), |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    get_trigger(row, 1)?,
                    get_u64(row, 2)?,
                ))
            })?;
            for count in counts {
                let (function, trigger, n) = count?;
                if let Some(u) = usage.iter_mut().find(|u| u.function == function) {
                    u.triggers.insert(trigger, n);
                }
            }
            Ok(usage)
        })
    }

    fn prune(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        self.prune_at(older_than_ms, now_ms)
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
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        self.read("reading logs", |conn| {
            let mut lines = Vec::new();
            for_each_row(conn, query, false, |row, id, log| {
                for item in matching_lines(query, id, log) {
                    let (seq, line) = item?;
                    lines.push(log_line(row, seq, line)?);
                    if lines.len() == query.limit {
                        return Ok(false);
                    }
                }
                Ok(true)
            })?;
            Ok(lines)
        })
    }

    fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        if query.limit == 0 {
            return Ok(Vec::new());
        }
        self.read("reading logs", |conn| {
            // Rows come newest first, each row's lines oldest first: the newest of a row's
            // matching lines are taken from its end.
            let mut newest_first: Vec<LogLine> = Vec::new();
            for_each_row(conn, query, true, |row, id, log| {
                let matching =
                    matching_lines(query, id, log).collect::<rusqlite::Result<Vec<_>>>()?;
                let wanted = query.limit - newest_first.len();
                for (seq, line) in matching.into_iter().rev().take(wanted) {
                    newest_first.push(log_line(row, seq, line)?);
                }
                Ok(newest_first.len() < query.limit)
            })?;
            newest_first.reverse();
            Ok(newest_first)
        })
    }
}

/// Bits of a [`LogLine::seq`] that hold the line's index within its invocation's log.
const LINE_BITS: u32 = 20;

/// The most lines one invocation's log is split into: 2^20, the line index's share of a
/// [`LogLine::seq`].
///
/// The runtime caps a log at 1 MiB plus a truncation note, so only a log of a million nearly
/// empty lines reaches it; the last line (index 2^20 - 1) then carries the rest of the log,
/// newlines included. [`Store::invocation`] always returns the exact log. Invocation ids, the
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

/// The seq of line `index` of invocation `id`; an id past 2^43 is an error (column 0, the id).
fn seq_of(id: i64, index: usize) -> rusqlite::Result<i64> {
    id.checked_mul(1 << LINE_BITS)
        // index < 2^20: fits, and below the shifted id's low bits.
        .map(|base| base | index as i64)
        .ok_or(rusqlite::Error::IntegralValueOutOfRange(0, id))
}

/// The SQL and parameters selecting the invocations that may hold matching lines, ascending by
/// id or descending for the tail. Lines after `after_seq` are in invocations from
/// `after_seq >> 20` on; an invocation with no line holding `filter` is skipped in SQL. The
/// index is pinned, so rows arrive in id order without a sort and the caller can stop reading
/// once it has `limit` lines: by function and id, or the table itself in id order.
pub(crate) fn logs_sql(query: &LogQuery, descending: bool) -> (String, Vec<Value>) {
    let (mut clauses, mut values) = function_and_since(query.function.as_deref(), query.since_ms);
    if let Some(after) = query.after_seq {
        clauses.push("id >= ?");
        values.push(Value::Integer(after >> LINE_BITS));
    }
    if let Some(filter) = &query.filter {
        // instr: case-sensitive and free of LIKE's wildcards. Narrows to invocations whose log
        // holds the text somewhere; the lines are checked one by one after.
        clauses.push("instr(log, ?) > 0");
        values.push(Value::Text(filter.clone()));
    } else {
        clauses.push("log_line_count > 0");
    }
    let sql = format!(
        "SELECT id, request_id, function, started_at_ms, log, trigger_type FROM invocations {} {} \
         ORDER BY id {}",
        if query.function.is_some() {
            "INDEXED BY invocations_logs"
        } else {
            "NOT INDEXED"
        },
        where_clause(&clauses),
        if descending { "DESC" } else { "ASC" }
    );
    (sql, values)
}

/// Runs the query of [`logs_sql`] and hands `each` every row with its id and log, in id order,
/// until `each` returns false.
fn for_each_row(
    conn: &Connection,
    query: &LogQuery,
    descending: bool,
    mut each: impl FnMut(&Row<'_>, i64, &str) -> rusqlite::Result<bool>,
) -> rusqlite::Result<()> {
    let (sql, values) = logs_sql(query, descending);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params_from_iter(values))?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let log = row.get_ref(4)?.as_str()?;
        if !each(row, id, log)? {
            break;
        }
    }
    Ok(())
}

/// The lines of invocation `id`'s `log` that `query` asks for (after `after_seq`, holding
/// `filter`), with their seqs, ascending.
fn matching_lines<'a>(
    query: &'a LogQuery,
    id: i64,
    log: &'a str,
) -> impl Iterator<Item = rusqlite::Result<(i64, &'a str)>> + 'a {
    split_lines(log)
        .enumerate()
        .filter(|(_, line)| query.filter.as_deref().is_none_or(|f| line.contains(f)))
        .map(move |(index, line)| Ok((seq_of(id, index)?, line)))
        .filter(|item| match (item, query.after_seq) {
            (Ok((seq, _)), Some(after)) => *seq > after,
            _ => true,
        })
}

/// A [`LogLine`] of a row read by [`for_each_row`].
fn log_line(row: &Row<'_>, seq: i64, line: &str) -> rusqlite::Result<LogLine> {
    Ok(LogLine {
        seq,
        request_id: row.get(1)?,
        function: row.get(2)?,
        trigger: get_trigger(row, 5)?,
        ts_ms: get_u64(row, 3)?,
        line: line.to_owned(),
    })
}
