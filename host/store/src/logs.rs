//! Log lines, read out of the invocation rows: each row holds its invocation's whole log, and a
//! line's sequence number is derived from the row's id and the line's index, so recording writes
//! one row per invocation instead of one per line.
//!
//! # Sequence numbers
//!
//! A line's `seq` is `(invocation id << 20) | line index`. Invocation ids come from an
//! `AUTOINCREMENT` key, so they grow with every record and are never reused, even after
//! [`Store::prune`] empties the table; the line index grows within a log. So seqs grow with every
//! line stored and `after_seq` pages forward without missing or repeating a line.
//!
//! The cap on lines per log and on ids is on [`LINES_PER_INVOCATION`].

use rusqlite::types::Value;
use rusqlite::{Connection, Row, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::invocations::where_clause;
use crate::store::{Store, get_u64, sql_u64};

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
        "SELECT id, request_id, function, started_at_ms, log FROM invocations {} {} \
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
        ts_ms: get_u64(row, 3)?,
        line: line.to_owned(),
    })
}

impl Store {
    /// The first `query.limit` matching log lines after `after_seq`, ascending by seq
    /// (paging forward, `--follow`).
    pub fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
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

    /// The last `query.limit` matching log lines, ascending by seq (what `fnhost logs` shows
    /// before it follows).
    pub fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
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
