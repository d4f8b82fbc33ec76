//! [`StatsStore`] on PostgreSQL, and the rollup step of recording: the per-minute and per-hour
//! rows the console reads.
//!
//! The rules are `stats.rs`'s, shared with SQLite: the batch summed per row ([`summarize`]),
//! the histogram merge ([`Rollup::added_to`]), the checked metrics range and its points
//! ([`MetricsPlan`]), the summaries ([`Summaries`]). What differs:
//!
//! - Several nodes record at once. Recording is serialized by a lock (see `pg/invocations.rs`),
//!   and the rollup rows a batch adds to are read `FOR UPDATE`, so a prune on another node
//!   cannot delete a row between its read and its write; the merged rows are written back in
//!   one upsert.
//! - Samples are upserts (`ON CONFLICT DO UPDATE`), atomic per row in `READ COMMITTED`; a
//!   sample's minute keeps the latest of what the nodes sampled, as it keeps the latest sample
//!   of one node on SQLite.
//! - A function's metrics are two queries, its rollup and sample rows in the range's buckets
//!   (`bucket_ms = ANY(…)`), rather than one primary-key lookup per bucket.

use std::collections::BTreeMap;

use postgres::Transaction;
use postgres::types::{ToSql, Type};

use super::Postgres;
use super::invocations::numbered;
use crate::error::{StoreError, TxError};
use crate::invocations::Columns;
use crate::stats::{
    FunctionSummary, MetricsPlan, MetricsPoint, MetricsRange, Observation, Rollup,
    SAMPLES_WINDOW_SQL, STATS_WINDOW_SQL, Sample, StatsStore, StoredRollup, Summaries, bare_name,
    sample_buckets, summarize,
};
use crate::store::sql_u64;

/// The stored rollup rows of a batch, locked until the transaction ends: [`StoredRollup`]'s
/// columns, then the key.
const LOCK_ROLLUPS_SQL: &str = "SELECT invocations, error_count, errors, duration_hist, \
     billed_ms, granularity_ms, bucket_ms, function FROM invocation_stats \
     WHERE (granularity_ms, bucket_ms, function) IN \
     (SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[])) \
     ORDER BY granularity_ms, bucket_ms, function COLLATE \"C\" FOR UPDATE";

/// Writes the merged rollup rows, one array per column.
const UPSERT_ROLLUPS_SQL: &str = "INSERT INTO invocation_stats (granularity_ms, bucket_ms, \
     function, invocations, error_count, errors, duration_hist, billed_ms) \
     SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[], \
     $6::TEXT[], $7::BYTEA[], $8::BIGINT[]) \
     ON CONFLICT (granularity_ms, bucket_ms, function) DO UPDATE SET \
     invocations = excluded.invocations, error_count = excluded.error_count, \
     errors = excluded.errors, duration_hist = excluded.duration_hist, \
     billed_ms = excluded.billed_ms";

/// Adds a sample to its row of a granularity: throttles add up, the peak is the maximum, and
/// the queue fields are set by `queue` (`excluded` is the sample's row, `s` the stored one).
fn sample_sql(queue: &str) -> String {
    format!(
        "INSERT INTO function_samples AS s (granularity_ms, function, bucket_ms, throttles, \
         peak_concurrency, queue_depth, queue_age_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (granularity_ms, bucket_ms, function) DO UPDATE SET \
         throttles = s.throttles + excluded.throttles, \
         peak_concurrency = GREATEST(s.peak_concurrency, excluded.peak_concurrency), {queue}"
    )
}

/// A minute keeps the latest sample's queue fields.
const MINUTE_QUEUE: &str = "queue_depth = excluded.queue_depth, \
     queue_age_ms = excluded.queue_age_ms";
/// An hour keeps the largest.
const HOUR_QUEUE: &str = "queue_depth = GREATEST(s.queue_depth, excluded.queue_depth), \
     queue_age_ms = GREATEST(s.queue_age_ms, excluded.queue_age_ms)";

/// Adds `observations` to the rollup rows inside the caller's transaction: summed per row in
/// memory, the stored rows read and locked in one statement, the merged rows written in
/// another.
pub(super) fn roll_up<'a>(
    tx: &mut Transaction<'_>,
    observations: impl IntoIterator<Item = Observation<'a>>,
) -> Result<(), TxError> {
    let rows = summarize(observations);
    let granularity: Vec<i64> = rows.keys().map(|k| sql_u64(k.0)).collect();
    let bucket: Vec<i64> = rows.keys().map(|k| sql_u64(k.1)).collect();
    let function: Vec<&str> = rows.keys().map(|k| k.2).collect();
    let mut stored: BTreeMap<(i64, i64, String), StoredRollup> = BTreeMap::new();
    let keys = || -> [(&(dyn ToSql + Sync), Type); 3] {
        [
            (&granularity, Type::INT8_ARRAY),
            (&bucket, Type::INT8_ARRAY),
            (&function, Type::TEXT_ARRAY),
        ]
    };
    for row in tx.query_typed(LOCK_ROLLUPS_SQL, &keys())? {
        let key = (row.int(5)?, row.int(6)?, row.text(7)?);
        stored.insert(key, StoredRollup::from_row(&row)?);
    }
    let merged: Vec<_> = rows
        .into_iter()
        .map(|((g, b, f), rollup): (_, Rollup<'_>)| {
            rollup.added_to(stored.remove(&(sql_u64(g), sql_u64(b), f.to_owned())))
        })
        .collect();
    let invocations: Vec<i64> = merged.iter().map(|v| v.invocations).collect();
    let error_count: Vec<i64> = merged.iter().map(|v| v.error_count).collect();
    let errors: Vec<Option<&str>> = merged.iter().map(|v| v.errors.as_deref()).collect();
    let histogram: Vec<&[u8]> = merged.iter().map(|v| v.duration_hist.as_slice()).collect();
    let billed_ms: Vec<i64> = merged.iter().map(|v| v.billed_ms).collect();
    let [g, b, f] = keys();
    tx.query_typed(
        UPSERT_ROLLUPS_SQL,
        &[
            g,
            b,
            f,
            (&invocations, Type::INT8_ARRAY),
            (&error_count, Type::INT8_ARRAY),
            (&errors, Type::TEXT_ARRAY),
            (&histogram, Type::BYTEA_ARRAY),
            (&billed_ms, Type::INT8_ARRAY),
        ],
    )?;
    Ok(())
}

impl StatsStore for Postgres {
    fn record_samples(&self, samples: &[Sample]) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        self.write_committed("recording samples", |tx| {
            let minute = tx.prepare(&sample_sql(MINUTE_QUEUE))?;
            let hour = tx.prepare(&sample_sql(HOUR_QUEUE))?;
            for s in samples {
                let function = bare_name(&s.function);
                let (throttles, peak) = (sql_u64(s.throttles), i64::from(s.peak_concurrency));
                let (depth, age) = (sql_u64(s.queue_depth), sql_u64(s.queue_age_ms));
                for (stmt, (granularity, bucket)) in
                    [&minute, &hour].into_iter().zip(sample_buckets(s))
                {
                    tx.execute(
                        stmt,
                        &[
                            &granularity,
                            &function,
                            &bucket,
                            &throttles,
                            &peak,
                            &depth,
                            &age,
                        ],
                    )?;
                }
            }
            Ok(())
        })
    }

    fn function_metrics(
        &self,
        function: &str,
        range: MetricsRange,
    ) -> Result<Vec<MetricsPoint>, StoreError> {
        let mut plan = MetricsPlan::new(function, range)?;
        let (granularity, function) = plan.key();
        let buckets: Vec<i64> = plan.buckets().map(|(_, bucket)| bucket).collect();
        self.read("reading function metrics", |client| {
            let params: [&(dyn ToSql + Sync); 3] = [&granularity, &function, &buckets];
            for row in client.query(
                "SELECT invocations, errors, duration_hist, bucket_ms FROM invocation_stats \
                 WHERE granularity_ms = $1 AND function = $2 AND bucket_ms = ANY($3)",
                &params,
            )? {
                if let Some(i) = plan.point_of(row.int(3)?) {
                    plan.add_stats(i, &row)?;
                }
            }
            for row in client.query(
                "SELECT throttles, peak_concurrency, queue_depth, queue_age_ms, bucket_ms \
                 FROM function_samples \
                 WHERE granularity_ms = $1 AND function = $2 AND bucket_ms = ANY($3)",
                &params,
            )? {
                if let Some(i) = plan.point_of(row.int(4)?) {
                    plan.add_samples(i, &row)?;
                }
            }
            Ok(())
        })?;
        Ok(plan.finish())
    }

    fn function_summaries(&self, now_ms: u64) -> Result<Vec<FunctionSummary>, StoreError> {
        let mut summaries = Summaries::new(now_ms);
        let [granularity, start, end] = summaries.window();
        let (stats, samples) = (numbered(STATS_WINDOW_SQL), numbered(SAMPLES_WINDOW_SQL));
        self.read("summarizing functions", |client| {
            let window: [&(dyn ToSql + Sync); 3] = [&granularity, &start, &end];
            for row in client.query(&stats, &window)? {
                summaries.add_stats(&row)?;
            }
            for row in client.query(&samples, &window)? {
                summaries.add_samples(&row)?;
            }
            Ok(())
        })?;
        Ok(summaries.finish())
    }
}
