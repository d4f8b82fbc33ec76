//! Invocation records (one per attempt: what ran, how long, how much) and their log lines, with
//! the queries behind `fnhost logs`, `fnhost usage` and retention.

use rusqlite::types::Value;
use rusqlite::{Connection, Row, Transaction, params, params_from_iter};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
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
    /// Sequence number: increases with every line stored, never reused.
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

const RECORD_COLUMNS: &str = "request_id, function, version, trigger_type, started_at_ms, \
     duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type, \
     log_first_seq, log_last_seq, log_trailing_newline";

/// A record row plus where its log lines are.
struct StoredRecord {
    record: InvocationRecord,
    log_seqs: Option<(i64, i64)>,
    trailing_newline: bool,
}

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<StoredRecord> {
    let first: Option<i64> = row.get(11)?;
    let last: Option<i64> = row.get(12)?;
    Ok(StoredRecord {
        record: InvocationRecord {
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
            log: String::new(),
        },
        log_seqs: first.zip(last),
        trailing_newline: row.get(13)?,
    })
}

impl StoredRecord {
    /// Reassembles the log text from its lines.
    fn load_log(mut self, conn: &Connection) -> rusqlite::Result<InvocationRecord> {
        if let Some((first, last)) = self.log_seqs {
            let mut stmt = conn.prepare_cached(
                "SELECT line FROM log_lines WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq",
            )?;
            let lines = stmt
                .query_map([first, last], |row| row.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            let mut log = lines.join("\n");
            if self.trailing_newline {
                log.push('\n');
            }
            self.record.log = log;
        }
        Ok(self.record)
    }
}

/// Writes one record and its lines inside an open transaction.
fn insert_record(tx: &Transaction<'_>, r: &InvocationRecord) -> rusqlite::Result<()> {
    let body = r.log.strip_suffix('\n');
    let trailing_newline = body.is_some();
    let body = body.unwrap_or(&r.log);
    let mut seqs: Option<(i64, i64)> = None;
    if !r.log.is_empty() {
        let mut line_stmt = tx.prepare_cached(
            "INSERT INTO log_lines (request_id, function, ts_ms, line) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let ts = sql_u64(r.started_at_ms);
        for line in body.split('\n') {
            let seq = line_stmt.insert(params![r.request_id, r.function, ts, line])?;
            // One transaction holds the write lock, so the seqs are contiguous.
            seqs = Some((seqs.map_or(seq, |(first, _)| first), seq));
        }
    }
    tx.prepare_cached(
        "INSERT INTO invocations (request_id, function, version, trigger_type, started_at_ms, \
         duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type, \
         log_first_seq, log_last_seq, log_trailing_newline) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
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
        seqs.map(|(first, _)| first),
        seqs.map(|(_, last)| last),
        trailing_newline,
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
        "SELECT {RECORD_COLUMNS} FROM invocations {} \
         ORDER BY started_at_ms DESC, id DESC LIMIT ?",
        where_clause(&clauses)
    );
    (sql, values)
}

/// The SQL and parameters of a log query: ascending seq, or descending for the tail.
pub(crate) fn logs_sql(query: &LogQuery, descending: bool) -> (String, Vec<Value>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    if let Some(function) = &query.function {
        clauses.push("function = ?");
        values.push(Value::Text(function.clone()));
    }
    if let Some(since) = query.since_ms {
        clauses.push("ts_ms >= ?");
        values.push(Value::Integer(sql_u64(since)));
    }
    if let Some(after) = query.after_seq {
        clauses.push("seq > ?");
        values.push(Value::Integer(after));
    }
    if let Some(filter) = &query.filter {
        // instr: case-sensitive and free of LIKE's wildcards.
        clauses.push("instr(line, ?) > 0");
        values.push(Value::Text(filter.clone()));
    }
    values.push(Value::Integer(sql_usize(query.limit)));
    let sql = format!(
        "SELECT seq, request_id, function, ts_ms, line FROM log_lines {} \
         ORDER BY seq {} LIMIT ?",
        where_clause(&clauses),
        if descending { "DESC" } else { "ASC" }
    );
    (sql, values)
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

fn where_clause(clauses: &[&str]) -> String {
    if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    }
}

fn log_line_from_row(row: &Row<'_>) -> rusqlite::Result<LogLine> {
    Ok(LogLine {
        seq: row.get(0)?,
        request_id: row.get(1)?,
        function: row.get(2)?,
        ts_ms: get_u64(row, 3)?,
        line: row.get(4)?,
    })
}

impl Store {
    /// Stores invocation records in one transaction: each record row plus one row per log line.
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
        self.read_snapshot("listing invocations", |conn| {
            let stored = conn
                .prepare_cached(&sql)?
                .query_map(params_from_iter(values), record_from_row)?
                .collect::<rusqlite::Result<Vec<StoredRecord>>>()?;
            stored
                .into_iter()
                .map(|s| {
                    if query.with_log {
                        s.load_log(conn)
                    } else {
                        Ok(s.record)
                    }
                })
                .collect()
        })
    }

    /// The newest record with this request id (retries share one), with its log.
    pub fn invocation(&self, request_id: &str) -> Result<Option<InvocationRecord>, StoreError> {
        self.read_snapshot("reading an invocation", |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {RECORD_COLUMNS} FROM invocations WHERE request_id = ?1 \
                 ORDER BY started_at_ms DESC, id DESC LIMIT 1"
            ))?;
            let stored = stmt
                .query_map([request_id], record_from_row)?
                .next()
                .transpose()?;
            stored.map(|s| s.load_log(conn)).transpose()
        })
    }

    /// The first `query.limit` matching log lines after `after_seq`, ascending by seq
    /// (paging forward, `--follow`).
    pub fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        let (sql, values) = logs_sql(query, false);
        self.read("reading logs", |conn| {
            conn.prepare_cached(&sql)?
                .query_map(params_from_iter(values), log_line_from_row)?
                .collect()
        })
    }

    /// The last `query.limit` matching log lines, ascending by seq (what `fnhost logs` shows
    /// before it follows).
    pub fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        let (sql, values) = logs_sql(query, true);
        let mut lines = self.read("reading logs", |conn| {
            conn.prepare_cached(&sql)?
                .query_map(params_from_iter(values), log_line_from_row)?
                .collect::<rusqlite::Result<Vec<LogLine>>>()
        })?;
        lines.reverse();
        Ok(lines)
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

    /// Retention: deletes invocation records started, and log lines stamped, before
    /// `older_than_ms`, in one transaction; returns the rows removed (records plus lines).
    pub fn prune(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        let cutoff = sql_u64(older_than_ms);
        self.write("pruning invocations and logs", |tx| {
            let records = tx
                .prepare_cached("DELETE FROM invocations WHERE started_at_ms < ?1")?
                .execute([cutoff])?;
            let lines = tx
                .prepare_cached("DELETE FROM log_lines WHERE ts_ms < ?1")?
                .execute([cutoff])?;
            Ok((records + lines) as u64)
        })
    }
}
