//! [`InvocationStore`] on PostgreSQL: invocation records with their logs, usage and retention.
//!
//! The rules are `invocations.rs`'s, shared with SQLite: the row mapping ([`record_from_row`],
//! [`usage_from_row`]), the filters, the line splitting and the seq of a log line
//! ([`LogCollector`]). What differs:
//!
//! - **Recording is serialized across nodes.** A batch takes a transaction-scoped advisory lock
//!   before it inserts, so invocation ids (and with them log seqs) are handed out in commit
//!   order, as SQLite's single writer does: a `--follow` reader that has seen seq `n` never
//!   misses a line committed later with a smaller seq. A batch of 512 is one transaction of a
//!   few statements (the records as arrays through `UNNEST`, then the rollups), so the lock is
//!   held for milliseconds.
//! - Logs and error types are `BYTEA` (migration V30): PostgreSQL's `TEXT` cannot hold the NUL
//!   a function may print. The log filter matches bytes, which for UTF-8 text is the same
//!   case-sensitive substring test as SQLite's `instr`.
//! - Listings that order by function name order by its bytes (`COLLATE "C"`), as SQLite does,
//!   whatever the database's collation.
//! - Log rows are read in growing chunks (keyset pages by id), so a query stops reading once it
//!   has its lines, as SQLite's stepping does.

use postgres::types::{ToSql, Type};
use postgres::{IsolationLevel, Row};

use super::Postgres;
use crate::error::{StoreError, TxError};
use crate::invocations::{
    Columns, InvocationQuery, InvocationRecord, InvocationStore, LOG_COLUMNS, LogCollector,
    LogLine, LogQuery, Param, Usage, add_trigger_count, line_count, listing_filters, log_filters,
    record_from_row, usage_from_row,
};
use crate::stats::{Observation, PRUNED_TABLES, prune_cutoffs, prune_sql};
use crate::store::{sql_u64, sql_usize};

/// The advisory lock a recording transaction holds (`"fnhost"` in ASCII, then 1): recording
/// one batch at a time across the cluster hands out invocation ids in commit order.
const RECORD_LOCK: i64 = 0x666e_686f_7374_0001;

/// The record columns, in [`record_from_row`]'s order (the log, column 11, only when asked).
const RECORD_COLUMNS: &str = "request_id, function, version, trigger_type, started_at_ms, \
     duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, error_type";

/// Log rows read by the first chunk of a log query; each further chunk reads twice as many,
/// up to [`LOG_CHUNK_MAX`].
const LOG_CHUNK_MIN: i64 = 16;
/// The most log rows one chunk of a log query reads.
const LOG_CHUNK_MAX: i64 = 1024;

/// Inserts a batch of records, one array per column.
const INSERT_SQL: &str = "INSERT INTO invocations (request_id, function, version, \
     trigger_type, started_at_ms, duration_ms, billed_ms, memory_mb, max_memory_used_mb, fuel, \
     error_type, log_line_count, log) \
     SELECT * FROM UNNEST($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::BIGINT[], \
     $6::DOUBLE PRECISION[], $7::BIGINT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], \
     $11::BYTEA[], $12::BIGINT[], $13::BYTEA[])";

impl Columns for Row {
    type Error = TxError;

    fn text(&self, i: usize) -> Result<String, TxError> {
        if self.columns().get(i).map(|c| c.type_()) == Some(&Type::BYTEA) {
            let bytes: Vec<u8> = self.try_get(i)?;
            return String::from_utf8(bytes).map_err(|_| self.invalid(i, "not UTF-8".to_owned()));
        }
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, TxError> {
        if self.columns().get(i).map(|c| c.type_()) == Some(&Type::BYTEA) {
            let bytes: Option<Vec<u8>> = self.try_get(i)?;
            return bytes
                .map(|b| String::from_utf8(b).map_err(|_| self.invalid(i, "not UTF-8".to_owned())))
                .transpose();
        }
        Ok(self.try_get(i)?)
    }

    fn int(&self, i: usize) -> Result<i64, TxError> {
        Ok(self.try_get(i)?)
    }

    fn opt_int(&self, i: usize) -> Result<Option<i64>, TxError> {
        Ok(self.try_get(i)?)
    }

    fn float(&self, i: usize) -> Result<f64, TxError> {
        Ok(self.try_get(i)?)
    }

    fn bytes(&self, i: usize) -> Result<Vec<u8>, TxError> {
        Ok(self.try_get(i)?)
    }

    fn invalid(&self, i: usize, what: String) -> TxError {
        let column = self.columns().get(i).map_or("?", |c| c.name());
        TxError::Corrupt(format!("column `{column}`: {what}"))
    }
}

/// `sql` with SQLite's placeholders (`?` in order, or `?N`) as PostgreSQL's (`$N`), so that
/// statements written once serve both backends.
pub(super) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '?' {
            out.push(c);
            continue;
        }
        out.push('$');
        if chars.peek().is_some_and(char::is_ascii_digit) {
            while let Some(digit) = chars.next_if(char::is_ascii_digit) {
                out.push(digit);
            }
        } else {
            next += 1;
            out.push_str(&next.to_string());
        }
    }
    out
}

/// Shared parameters as PostgreSQL's (a [`Param::Needle`] as the bytes the logs are).
fn pg_params(params: &[Param]) -> Vec<Box<dyn ToSql + Sync + '_>> {
    params
        .iter()
        .map(|p| -> Box<dyn ToSql + Sync> {
            match p {
                Param::Int(i) => Box::new(*i),
                Param::Text(t) => Box::new(t.as_str()),
                Param::Needle(t) => Box::new(t.as_bytes()),
            }
        })
        .collect()
}

/// Boxed parameters as the list a statement takes.
fn refs<'a>(params: &'a [Box<dyn ToSql + Sync + '_>]) -> Vec<&'a (dyn ToSql + Sync)> {
    params.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect()
}

/// A count and a line sum (`COUNT(*), SUM(log_line_count)`) as what a prune returns.
fn removed(row: &Row) -> Result<u64, TxError> {
    Ok(row.uint(0)?.saturating_add(row.uint(1)?))
}

impl InvocationStore for Postgres {
    fn record(&self, records: &[InvocationRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let columns = RecordArrays::new(records);
        // READ COMMITTED: the lock orders the batches, and the rollup rows are locked as they
        // are read (`super::stats`), so nothing is left for a serialization check to catch.
        self.write_committed("recording invocations", |tx| {
            tx.query_typed(
                "SELECT pg_advisory_xact_lock($1)",
                &[(&RECORD_LOCK, Type::INT8)],
            )?;
            tx.query_typed(INSERT_SQL, &columns.params())?;
            super::stats::roll_up(tx, records.iter().map(Observation::from))
        })
    }

    fn invocations(&self, query: &InvocationQuery) -> Result<Vec<InvocationRecord>, StoreError> {
        let filters = listing_filters(query);
        let sql = numbered(&format!(
            "SELECT {RECORD_COLUMNS}{} FROM invocations {} \
             ORDER BY started_at_ms DESC, id DESC LIMIT ?",
            if query.with_log { ", log" } else { "" },
            filters.where_clause()
        ));
        let limit = sql_usize(query.limit);
        self.read("listing invocations", |client| {
            let boxed = pg_params(&filters.params);
            let mut params = refs(&boxed);
            params.push(&limit);
            client
                .query(&sql, &params)?
                .iter()
                .map(|row| record_from_row(row, query.with_log))
                .collect()
        })
    }

    fn invocation(&self, request_id: &str) -> Result<Option<InvocationRecord>, StoreError> {
        let sql = format!(
            "SELECT {RECORD_COLUMNS}, log FROM invocations WHERE request_id = $1 \
             ORDER BY started_at_ms DESC, id DESC LIMIT 1"
        );
        self.read("reading an invocation", |client| {
            client
                .query_opt(&sql, &[&request_id])?
                .map(|row| record_from_row(&row, true))
                .transpose()
        })
    }

    fn usage(&self, since_ms: Option<u64>) -> Result<Vec<Usage>, StoreError> {
        let since = since_ms.map(sql_u64);
        let window = if since.is_some() {
            "WHERE started_at_ms >= $1"
        } else {
            ""
        };
        let totals = format!(
            "SELECT function, COUNT(*), COUNT(error_type), SUM(billed_ms)::BIGINT, \
             SUM(billed_ms * memory_mb)::BIGINT, COALESCE(SUM(fuel), 0)::BIGINT \
             FROM invocations {window} GROUP BY function ORDER BY function COLLATE \"C\""
        );
        let by_trigger = format!(
            "SELECT function, trigger_type, COUNT(*) FROM invocations {window} \
             GROUP BY function, trigger_type"
        );
        self.read("summing usage", |client| {
            let params: Vec<&(dyn ToSql + Sync)> = since.iter().map(|s| s as _).collect();
            let mut usage = client
                .query(&totals, &params)?
                .iter()
                .map(usage_from_row)
                .collect::<Result<Vec<Usage>, TxError>>()?;
            for row in client.query(&by_trigger, &params)? {
                add_trigger_count(&mut usage, &row)?;
            }
            Ok(usage)
        })
    }

    fn prune_at(&self, older_than_ms: u64, now_ms: u64) -> Result<u64, StoreError> {
        let cutoff = sql_u64(older_than_ms);
        let deletes: Vec<String> = PRUNED_TABLES.map(|t| numbered(&prune_sql(t))).into();
        self.write_committed("pruning invocations and logs", |tx| {
            for delete in &deletes {
                for (granularity, before) in prune_cutoffs(older_than_ms, now_ms) {
                    tx.execute(delete, &[&granularity, &before])?;
                }
            }
            // One statement: it counts exactly the rows it deletes, whatever commits meanwhile.
            let row = tx.query_one(
                "WITH gone AS (DELETE FROM invocations WHERE started_at_ms < $1 \
                 RETURNING log_line_count) \
                 SELECT COUNT(*), COALESCE(SUM(log_line_count), 0)::BIGINT FROM gone",
                &[&cutoff],
            )?;
            removed(&row)
        })
    }

    fn prune_log_bytes(&self, max_bytes: u64) -> Result<u64, StoreError> {
        let cap = sql_u64(max_bytes);
        self.write_committed("pruning invocation logs to their size cap", |tx| {
            let row = tx.query_one(
                "WITH cut AS (SELECT id FROM (SELECT id, SUM(octet_length(log)) OVER \
                 (ORDER BY id DESC ROWS UNBOUNDED PRECEDING) AS kept FROM invocations) AS k \
                 WHERE kept > $1 ORDER BY id DESC LIMIT 1), \
                 gone AS (DELETE FROM invocations WHERE id <= (SELECT id FROM cut) \
                 RETURNING log_line_count) \
                 SELECT COUNT(*), COALESCE(SUM(log_line_count), 0)::BIGINT FROM gone",
                &[&cap],
            )?;
            removed(&row)
        })
    }

    fn logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        self.read_logs(query, false)
    }

    fn tail_logs(&self, query: &LogQuery) -> Result<Vec<LogLine>, StoreError> {
        self.read_logs(query, true)
    }
}

impl Postgres {
    /// [`InvocationStore::logs`], or [`InvocationStore::tail_logs`] when `tail`: the rows that
    /// may hold matching lines in id order (descending for the tail), read in chunks until the
    /// collector has its lines.
    ///
    /// Each chunk is `LIMIT`ed and starts after the last id of the one before (a keyset
    /// page), so the planner walks an id index and stops, whatever the table's size; the
    /// chunks share one snapshot (`REPEATABLE READ`).
    fn read_logs(&self, query: &LogQuery, tail: bool) -> Result<Vec<LogLine>, StoreError> {
        let mut lines = LogCollector::new(query, tail);
        if lines.is_full() {
            return Ok(Vec::new());
        }
        // The log is UTF-8 bytes: so is the filter.
        let mut filters = log_filters(query, "position(? IN log) > 0");
        filters.clauses.push(if tail { "id < ?" } else { "id > ?" });
        let sql = numbered(&format!(
            "SELECT {LOG_COLUMNS} FROM invocations {} ORDER BY id {} LIMIT ?",
            filters.where_clause(),
            if tail { "DESC" } else { "ASC" }
        ));
        self.read("reading logs", |client| {
            let mut tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let stmt = tx.prepare(&sql)?;
            let boxed = pg_params(&filters.params);
            let mut last = if tail { i64::MAX } else { i64::MIN };
            let mut chunk = LOG_CHUNK_MIN;
            loop {
                let mut params = refs(&boxed);
                params.extend([&last as &(dyn ToSql + Sync), &chunk]);
                let rows = tx.query(&stmt, &params)?;
                for row in &rows {
                    last = row.int(0)?;
                    let log: &[u8] = row.try_get(4)?;
                    let log = std::str::from_utf8(log)
                        .map_err(|_| row.invalid(4, "not UTF-8".to_owned()))?;
                    if !lines.take(row, log)? {
                        return Ok(());
                    }
                }
                if (rows.len() as i64) < chunk {
                    return Ok(());
                }
                chunk = (chunk * 2).min(LOG_CHUNK_MAX);
            }
        })?;
        Ok(lines.into_lines())
    }
}

/// A batch of records as one array per column of [`INSERT_SQL`].
struct RecordArrays<'a> {
    request_id: Vec<&'a str>,
    function: Vec<&'a str>,
    version: Vec<&'a str>,
    trigger: Vec<&'a str>,
    started_at_ms: Vec<i64>,
    duration_ms: Vec<f64>,
    billed_ms: Vec<i64>,
    memory_mb: Vec<i64>,
    max_memory_used_mb: Vec<i64>,
    fuel: Vec<Option<i64>>,
    error_type: Vec<Option<&'a [u8]>>,
    log_line_count: Vec<i64>,
    log: Vec<&'a [u8]>,
}

impl<'a> RecordArrays<'a> {
    fn new(records: &'a [InvocationRecord]) -> RecordArrays<'a> {
        let column = |f: &dyn Fn(&'a InvocationRecord) -> i64| records.iter().map(f).collect();
        RecordArrays {
            request_id: records.iter().map(|r| r.request_id.as_str()).collect(),
            function: records.iter().map(|r| r.function.as_str()).collect(),
            version: records.iter().map(|r| r.version.as_str()).collect(),
            trigger: records.iter().map(|r| r.trigger.as_str()).collect(),
            started_at_ms: column(&|r| sql_u64(r.started_at_ms)),
            duration_ms: records.iter().map(|r| r.duration_ms).collect(),
            billed_ms: column(&|r| sql_u64(r.billed_ms)),
            memory_mb: column(&|r| i64::from(r.memory_mb)),
            max_memory_used_mb: column(&|r| sql_u64(r.max_memory_used_mb)),
            fuel: records.iter().map(|r| r.fuel.map(sql_u64)).collect(),
            error_type: records
                .iter()
                .map(|r| r.error_type.as_deref().map(str::as_bytes))
                .collect(),
            log_line_count: column(&|r| line_count(&r.log)),
            log: records.iter().map(|r| r.log.as_bytes()).collect(),
        }
    }

    /// The parameters of [`INSERT_SQL`], typed.
    fn params(&self) -> [(&(dyn ToSql + Sync), Type); 13] {
        [
            (&self.request_id, Type::TEXT_ARRAY),
            (&self.function, Type::TEXT_ARRAY),
            (&self.version, Type::TEXT_ARRAY),
            (&self.trigger, Type::TEXT_ARRAY),
            (&self.started_at_ms, Type::INT8_ARRAY),
            (&self.duration_ms, Type::FLOAT8_ARRAY),
            (&self.billed_ms, Type::INT8_ARRAY),
            (&self.memory_mb, Type::INT8_ARRAY),
            (&self.max_memory_used_mb, Type::INT8_ARRAY),
            (&self.fuel, Type::INT8_ARRAY),
            (&self.error_type, Type::BYTEA_ARRAY),
            (&self.log_line_count, Type::INT8_ARRAY),
            (&self.log, Type::BYTEA_ARRAY),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::numbered;

    #[test]
    fn placeholders_are_numbered() {
        assert_eq!(
            numbered("a = ? AND b >= ? LIMIT ?"),
            "a = $1 AND b >= $2 LIMIT $3"
        );
        assert_eq!(numbered("g = ?1 AND b < ?12"), "g = $1 AND b < $12");
        assert_eq!(numbered("no parameters"), "no parameters");
    }
}
