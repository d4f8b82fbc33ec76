//! Rollups of invocation records and per-minute samples of throttling, concurrency and the
//! queue: what the console's Monitor tab and functions list read, so that neither ever reads the
//! invocation records themselves.
//!
//! # Rollups
//!
//! `Store::record` adds every batch of records to `invocation_stats` in the same transaction:
//! one row per function, granularity ([`MINUTE_MS`] and [`HOUR_MS`]) and bucket (the bucket's
//! start, unix ms, by the record's start time), holding the number of invocations, the errors by
//! type, the billed time and a histogram of the durations. A row is keyed by the function's
//! bare name: a published version recorded as `name:3` counts under `name`. The batch is summed
//! in memory first, so it costs one read and one write per (function, bucket) it touches,
//! however many records it holds. Opening a database of an older schema fills the rollups from
//! the records it holds (`backfill`).
//!
//! # Durations and the percentile error bound
//!
//! A histogram counts durations in buckets of a fixed logarithmic scale, eight per doubling:
//! bucket `k` holds the durations in `(2^((k-1)/8), 2^(k/8)]` ms, for `k` from -54 (everything
//! up to 0.0093 ms) to 176 (everything above 63.6 min, up to 69.9 min and more). A percentile is
//! the nearest-rank one (the `ceil(q * n)`-th smallest duration), placed within its bucket by
//! interpolating geometrically over the records before it. The exact duration and the estimate
//! lie in the same bucket, so for a duration from 0.01 ms to 69.9 min the estimate is within
//! [`PERCENTILE_ERROR`] (`2^(1/8) - 1`, 9.05 %) of the exact nearest-rank percentile; shorter
//! durations count as at most 0.0093 ms. A histogram is stored sparsely: `(bucket delta, count)`
//! pairs as LEB128 varints, a few bytes per distinct bucket.
//!
//! # Samples
//!
//! `Store::record_samples` stores what the console's sampler sees each minute of a function:
//! throttles (summed), the peak concurrency (the maximum), the queue's depth and the age of its
//! oldest event (the last sample of a minute; an hour keeps the maximum).
//!
//! # Retention
//!
//! `Store::prune` deletes rollup and sample rows whose bucket ends by the cutoff, and minute
//! rows once they are older than [`MINUTE_ROWS_KEPT_MS`] (hour rows serve longer ranges).
//!
//! # Reads
//!
//! Rows are keyed by granularity, bucket and then function, so that a batch of records, which
//! falls in the last bucket or two, updates a few pages at the end of the table rather than a
//! page per function. `Store::function_summaries` reads one range of that key: the last 24
//! hourly rows of every function, never the records. `Store::function_metrics` looks one
//! function's row up in each bucket of the range: 60 lookups for an hour of minutes, 168 for a
//! week of hours.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension as _, params};
use serde::Serialize;

use crate::error::{StoreError, TxError};
use crate::invocations::{Columns, InvocationRecord};
use crate::store::{Sqlite, get_u64, sql_u64};

/// A minute: the finer rollup and sample granularity, ms.
pub const MINUTE_MS: u64 = 60_000;
/// An hour: the coarser rollup and sample granularity, ms.
pub const HOUR_MS: u64 = 3_600_000;
/// How long minute rows are kept (48 h), even with a longer retention; hour rows serve older
/// ranges.
pub const MINUTE_ROWS_KEPT_MS: u64 = 48 * HOUR_MS;
/// The most points one `Store::function_metrics` call returns (a week of minutes).
pub const MAX_METRICS_POINTS: usize = 7 * 24 * 60;
/// The most a percentile of `Store::function_metrics` or `Store::function_summaries` is off
/// from the exact nearest-rank percentile, relative to it: `2^(1/8) - 1`, for durations from
/// 0.01 ms to 69.9 min (see the module documentation).
pub const PERCENTILE_ERROR: f64 = 0.090_507_732_665_257_66;

/// The rollup granularities, finest first.
const GRANULARITIES: [u64; 2] = [MINUTE_MS, HOUR_MS];
/// Hours a [`FunctionSummary`] covers.
const SUMMARY_HOURS: u64 = 24;
/// Histogram buckets per doubling of the duration.
const STEPS_PER_DOUBLING: f64 = 8.0;
/// The lowest bucket: durations up to 2^(-54/8) ms = 0.0093 ms.
const MIN_STEP: i32 = -54;
/// The highest bucket: durations above 2^(175/8) ms = 63.6 min.
const MAX_STEP: i32 = 176;
/// Records read per chunk while filling the rollups from existing records.
const BACKFILL_CHUNK: i64 = 50_000;

/// A function's name without a version qualifier (`name:3` -> `name`).
pub(crate) fn bare_name(function: &str) -> &str {
    function.split_once(':').map_or(function, |(name, _)| name)
}

/// Counts of durations on the logarithmic scale of the module documentation: sorted
/// `(bucket index, count)` pairs with non-zero counts; the index is the step minus
/// [`MIN_STEP`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Histogram {
    buckets: Vec<(u16, u64)>,
}

impl Histogram {
    /// The bucket of a duration; zero, negative and NaN durations go to the lowest.
    fn index_of(duration_ms: f64) -> u16 {
        if duration_ms.is_nan() || duration_ms <= 0.0 {
            return 0;
        }
        let step = (duration_ms.log2() * STEPS_PER_DOUBLING).ceil();
        // Clamped into MIN_STEP..=MAX_STEP (infinity included), so the casts are exact.
        let step = step.clamp(f64::from(MIN_STEP), f64::from(MAX_STEP)) as i32;
        (step - MIN_STEP) as u16
    }

    /// The upper end of bucket `index`, ms.
    fn upper(index: u16) -> f64 {
        2f64.powf(f64::from(i32::from(index) + MIN_STEP) / STEPS_PER_DOUBLING)
    }

    /// The lower end of bucket `index`, ms.
    fn lower(index: u16) -> f64 {
        2f64.powf(f64::from(i32::from(index) + MIN_STEP - 1) / STEPS_PER_DOUBLING)
    }

    /// Counts one duration.
    #[cfg(test)]
    pub(crate) fn add(&mut self, duration_ms: f64) {
        self.add_count(Self::index_of(duration_ms), 1);
    }

    fn add_count(&mut self, index: u16, count: u64) {
        if count == 0 {
            return;
        }
        match self.buckets.binary_search_by_key(&index, |&(i, _)| i) {
            Ok(at) => self.buckets[at].1 = self.buckets[at].1.saturating_add(count),
            Err(at) => self.buckets.insert(at, (index, count)),
        }
    }

    /// Adds `other`'s counts.
    pub(crate) fn merge(&mut self, other: &Histogram) {
        for &(index, count) in &other.buckets {
            self.add_count(index, count);
        }
    }

    /// Durations counted.
    pub(crate) fn count(&self) -> u64 {
        self.buckets
            .iter()
            .fold(0u64, |sum, &(_, n)| sum.saturating_add(n))
    }

    /// The estimated nearest-rank `q` percentile (`q` in 0..=1), ms; `None` when empty.
    pub(crate) fn percentile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as u64).clamp(1, total);
        let mut before = 0u64;
        for &(index, count) in &self.buckets {
            if before.saturating_add(count) >= rank {
                let within = (rank - before) as f64 / count as f64;
                let (lower, upper) = (Self::lower(index), Self::upper(index));
                return Some(lower * (upper / lower).powf(within));
            }
            before = before.saturating_add(count);
        }
        None
    }

    /// The stored form: `(index - previous index, count)` varint pairs.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.buckets.len() * 3);
        let mut previous = 0u16;
        for &(index, count) in &self.buckets {
            put_varint(&mut bytes, u64::from(index - previous));
            put_varint(&mut bytes, count);
            previous = index;
        }
        bytes
    }

    /// Reads [`Histogram::encode`]'s form; `None` if the bytes are not one.
    pub(crate) fn decode(bytes: &[u8]) -> Option<Histogram> {
        let max_index = (MAX_STEP - MIN_STEP) as u64;
        let mut buckets = Vec::new();
        let mut rest = bytes;
        let mut index = 0u64;
        while !rest.is_empty() {
            let delta = take_varint(&mut rest)?;
            let count = take_varint(&mut rest)?;
            if !buckets.is_empty() && delta == 0 {
                return None;
            }
            index = index.checked_add(delta).filter(|&i| i <= max_index)?;
            if count > 0 {
                buckets.push((index as u16, count));
            }
        }
        Some(Histogram { buckets })
    }
}

fn put_varint(bytes: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        bytes.push((value as u8) | 0x80);
        value >>= 7;
    }
    bytes.push(value as u8);
}

fn take_varint(bytes: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        value |= u64::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The histogram stored in column `i`.
fn get_histogram<C: Columns>(row: &C, i: usize) -> Result<Histogram, C::Error> {
    Histogram::decode(&row.bytes(i)?)
        .ok_or_else(|| row.invalid(i, "a malformed duration histogram".to_owned()))
}

/// The errors by type stored in column `i` (JSON, NULL for none).
fn get_errors<C: Columns>(row: &C, i: usize) -> Result<BTreeMap<String, u64>, C::Error> {
    match row.opt_text(i)? {
        None => Ok(BTreeMap::new()),
        Some(json) => serde_json::from_str(&json)
            .map_err(|_| row.invalid(i, "malformed error counts".to_owned())),
    }
}

/// What a rollup takes of one invocation record.
pub(crate) struct Observation<'a> {
    function: &'a str,
    started_at_ms: u64,
    duration_ms: f64,
    billed_ms: u64,
    error_type: Option<&'a str>,
}

impl<'a> From<&'a InvocationRecord> for Observation<'a> {
    fn from(r: &'a InvocationRecord) -> Observation<'a> {
        Observation {
            function: &r.function,
            started_at_ms: r.started_at_ms,
            duration_ms: r.duration_ms,
            billed_ms: r.billed_ms,
            error_type: r.error_type.as_deref(),
        }
    }
}

/// One rollup row's worth of a batch.
#[derive(Default)]
pub(crate) struct Rollup<'a> {
    invocations: u64,
    error_count: u64,
    errors: BTreeMap<&'a str, u64>,
    durations: Histogram,
    billed_ms: u64,
}

/// A rollup row's key, in the primary key's order: (granularity, bucket, function).
pub(crate) type RollupKey<'a> = (u64, u64, &'a str);

/// Sums `observations` per rollup row, in key order.
pub(crate) fn summarize<'a>(
    observations: impl IntoIterator<Item = Observation<'a>>,
) -> BTreeMap<RollupKey<'a>, Rollup<'a>> {
    let mut rows: BTreeMap<RollupKey<'a>, Rollup<'a>> = BTreeMap::new();
    for o in observations {
        let function = bare_name(o.function);
        let index = Histogram::index_of(o.duration_ms);
        for granularity in GRANULARITIES {
            let bucket = o.started_at_ms - o.started_at_ms % granularity;
            let row = rows.entry((granularity, bucket, function)).or_default();
            row.invocations = row.invocations.saturating_add(1);
            row.billed_ms = row.billed_ms.saturating_add(o.billed_ms);
            row.durations.add_count(index, 1);
            if let Some(error) = o.error_type {
                row.error_count = row.error_count.saturating_add(1);
                *row.errors.entry(error).or_default() += 1;
            }
        }
    }
    rows
}

/// A stored rollup row, as read by [`ROLLUP_ROW_SQL`]'s columns.
#[derive(Default)]
pub(crate) struct StoredRollup {
    invocations: u64,
    error_count: u64,
    errors: BTreeMap<String, u64>,
    durations: Histogram,
    billed_ms: u64,
}

impl StoredRollup {
    /// Reads columns 0 to 4: `invocations, error_count, errors, duration_hist, billed_ms`.
    pub(crate) fn from_row<C: Columns>(row: &C) -> Result<StoredRollup, C::Error> {
        Ok(StoredRollup {
            invocations: row.uint(0)?,
            error_count: row.uint(1)?,
            errors: get_errors(row, 2)?,
            durations: get_histogram(row, 3)?,
            billed_ms: row.uint(4)?,
        })
    }
}

/// What a rollup row holds once a batch is added: the values to store.
pub(crate) struct RollupValues {
    pub(crate) invocations: i64,
    pub(crate) error_count: i64,
    /// JSON; `None` for no errors.
    pub(crate) errors: Option<String>,
    pub(crate) duration_hist: Vec<u8>,
    pub(crate) billed_ms: i64,
}

impl Rollup<'_> {
    /// The row `stored` (or a new one) with this batch's share added.
    pub(crate) fn added_to(self, stored: Option<StoredRollup>) -> RollupValues {
        let stored = stored.unwrap_or_default();
        let mut errors = stored.errors;
        for (error, n) in self.errors {
            let count = errors.entry(error.to_owned()).or_default();
            *count = count.saturating_add(n);
        }
        let mut durations = stored.durations;
        durations.merge(&self.durations);
        RollupValues {
            invocations: sql_u64(stored.invocations.saturating_add(self.invocations)),
            error_count: sql_u64(stored.error_count.saturating_add(self.error_count)),
            // A map of strings to numbers always serializes.
            errors: (!errors.is_empty())
                .then(|| serde_json::to_string(&errors).unwrap_or_default()),
            duration_hist: durations.encode(),
            billed_ms: sql_u64(stored.billed_ms.saturating_add(self.billed_ms)),
        }
    }
}

/// One rollup row: `?1` granularity, `?2` function, `?3` bucket.
pub(crate) const ROLLUP_ROW_SQL: &str = "SELECT invocations, error_count, errors, duration_hist, \
     billed_ms FROM invocation_stats \
     WHERE granularity_ms = ?1 AND bucket_ms = ?3 AND function = ?2";

/// Adds `observations` to the rollup rows, inside the caller's transaction: summed per row in
/// memory, then one read and one write per row touched, in key order.
pub(crate) fn roll_up<'a>(
    conn: &Connection,
    observations: impl IntoIterator<Item = Observation<'a>>,
) -> rusqlite::Result<()> {
    let rows = summarize(observations);
    let mut select = conn.prepare_cached(ROLLUP_ROW_SQL)?;
    let mut update = conn.prepare_cached(
        "UPDATE invocation_stats SET invocations = ?4, error_count = ?5, errors = ?6, \
         duration_hist = ?7, billed_ms = ?8 \
         WHERE granularity_ms = ?1 AND function = ?2 AND bucket_ms = ?3",
    )?;
    let mut insert = conn.prepare_cached(
        "INSERT INTO invocation_stats (granularity_ms, function, bucket_ms, invocations, \
         error_count, errors, duration_hist, billed_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for ((granularity, bucket, function), row) in rows {
        let key = (sql_u64(granularity), function, sql_u64(bucket));
        let stored = select
            .query_row(params![key.0, key.1, key.2], |r| StoredRollup::from_row(r))
            .optional()?;
        let exists = stored.is_some();
        let v = row.added_to(stored);
        let values = params![
            key.0,
            key.1,
            key.2,
            v.invocations,
            v.error_count,
            v.errors,
            v.duration_hist,
            v.billed_ms,
        ];
        if exists {
            update.execute(values)?;
        } else {
            insert.execute(values)?;
        }
    }
    Ok(())
}

/// Fills the rollups from every invocation record in the database (the migration that adds
/// them), in chunks of [`BACKFILL_CHUNK`] records in id order.
pub(crate) fn backfill(conn: &Connection) -> rusqlite::Result<()> {
    struct Owned {
        function: String,
        started_at_ms: u64,
        duration_ms: f64,
        billed_ms: u64,
        error_type: Option<String>,
    }
    let mut select = conn.prepare(
        "SELECT id, function, started_at_ms, duration_ms, billed_ms, error_type FROM invocations \
         WHERE id > ?1 ORDER BY id LIMIT ?2",
    )?;
    let mut after = i64::MIN;
    loop {
        let mut last = None;
        let chunk = select
            .query_map(params![after, BACKFILL_CHUNK], |row| {
                last = Some(row.get::<_, i64>(0)?);
                Ok(Owned {
                    function: row.get(1)?,
                    started_at_ms: get_u64(row, 2)?,
                    duration_ms: row.get(3)?,
                    billed_ms: get_u64(row, 4)?,
                    error_type: row.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<Owned>>>()?;
        let Some(last) = last else {
            return Ok(());
        };
        roll_up(
            conn,
            chunk.iter().map(|r| Observation {
                function: &r.function,
                started_at_ms: r.started_at_ms,
                duration_ms: r.duration_ms,
                billed_ms: r.billed_ms,
                error_type: r.error_type.as_deref(),
            }),
        )?;
        after = last;
    }
}

/// Deletes the rows of `table` (`invocation_stats` or `function_samples`) of granularity `?1`
/// whose bucket starts before `?2`: a range of the primary key.
pub(crate) fn prune_sql(table: &str) -> String {
    format!("DELETE FROM {table} WHERE granularity_ms = ?1 AND bucket_ms < ?2")
}

/// The tables retention prunes besides the invocations.
pub(crate) const PRUNED_TABLES: [&str; 2] = ["invocation_stats", "function_samples"];

/// What retention deletes of the rollup and sample rows: per granularity, the rows whose
/// bucket starts before the second value: those whose bucket ends by `older_than_ms`, and
/// minute rows ending by `now_ms - MINUTE_ROWS_KEPT_MS`.
pub(crate) fn prune_cutoffs(older_than_ms: u64, now_ms: u64) -> [(i64, i64); 2] {
    GRANULARITIES.map(|granularity| {
        let cutoff = if granularity == MINUTE_MS {
            older_than_ms.max(now_ms.saturating_sub(MINUTE_ROWS_KEPT_MS))
        } else {
            older_than_ms
        };
        // A bucket ends by the cutoff when bucket + granularity <= cutoff.
        let before = cutoff.saturating_add(1).saturating_sub(granularity);
        (sql_u64(granularity), sql_u64(before))
    })
}

/// Deletes the rollup and sample rows [`prune_cutoffs`] names, inside the caller's transaction.
pub(crate) fn prune(conn: &Connection, older_than_ms: u64, now_ms: u64) -> rusqlite::Result<()> {
    for table in PRUNED_TABLES {
        let mut delete = conn.prepare_cached(&prune_sql(table))?;
        for (granularity, before) in prune_cutoffs(older_than_ms, now_ms) {
            delete.execute(params![granularity, before])?;
        }
    }
    Ok(())
}

/// One minute of what the console's sampler saw of a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The function (a `name:version` qualifier is dropped).
    pub function: String,
    /// The minute (unix ms; rounded down to a whole minute).
    pub minute_ms: u64,
    /// Invocations refused for concurrency during the minute (added to what is stored).
    pub throttles: u64,
    /// The most concurrent invocations seen during the minute (the maximum is kept).
    pub peak_concurrency: u32,
    /// Events queued for the function (the latest sample of a minute is kept).
    pub queue_depth: u64,
    /// The age of its oldest queued event, ms (the latest sample of a minute is kept).
    pub queue_age_ms: u64,
}

/// Which points `Store::function_metrics` returns: `points` of `step_ms` each, the first at
/// `start_ms` (rounded down to a multiple of `step_ms`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsRange {
    /// The first point's start, unix ms.
    pub start_ms: u64,
    /// Each point's span, ms: a whole number of minutes ([`MINUTE_MS`], [`HOUR_MS`], ...).
    pub step_ms: u64,
    /// How many points, at most [`MAX_METRICS_POINTS`].
    pub points: usize,
}

impl MetricsRange {
    /// `points` of `step_ms` ending with the one that holds `now_ms`.
    pub fn ending_at(now_ms: u64, step_ms: u64, points: usize) -> MetricsRange {
        let step = step_ms.max(1);
        let last = now_ms - now_ms % step;
        let span = step.saturating_mul(u64::try_from(points.saturating_sub(1)).unwrap_or(u64::MAX));
        MetricsRange {
            start_ms: last.saturating_sub(span),
            step_ms,
            points,
        }
    }

    /// The console's "1h": 60 one-minute points up to `now_ms`.
    pub fn last_hour(now_ms: u64) -> MetricsRange {
        MetricsRange::ending_at(now_ms, MINUTE_MS, 60)
    }

    /// The console's "24h": 24 hourly points up to `now_ms`.
    pub fn last_day(now_ms: u64) -> MetricsRange {
        MetricsRange::ending_at(now_ms, HOUR_MS, 24)
    }

    /// The console's "7d": 168 hourly points up to `now_ms`.
    pub fn last_week(now_ms: u64) -> MetricsRange {
        MetricsRange::ending_at(now_ms, HOUR_MS, 7 * 24)
    }
}

/// One point of a function's metrics; a span with no data has zeros and no percentiles.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MetricsPoint {
    /// The span's start, unix ms.
    #[serde(rename = "t")]
    pub t_ms: u64,
    /// Invocation attempts started in the span.
    pub invocations: u64,
    /// Those that failed, by error type.
    pub errors: BTreeMap<String, u64>,
    /// Invocations refused for concurrency (from the samples).
    pub throttles: u64,
    /// Median duration, ms (within [`PERCENTILE_ERROR`]).
    pub p50_ms: Option<f64>,
    /// 95th percentile duration, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile duration, ms.
    pub p99_ms: Option<f64>,
    /// The most concurrent invocations sampled.
    pub max_concurrency: u32,
    /// Queued events: the minute's last sample, or an hour's maximum.
    pub queue_depth: u64,
    /// The age of the oldest queued event, ms: the minute's last sample, or an hour's maximum.
    pub queue_age_ms: u64,
}

impl MetricsPoint {
    fn empty(t_ms: u64) -> MetricsPoint {
        MetricsPoint {
            t_ms,
            invocations: 0,
            errors: BTreeMap::new(),
            throttles: 0,
            p50_ms: None,
            p95_ms: None,
            p99_ms: None,
            max_concurrency: 0,
            queue_depth: 0,
            queue_age_ms: 0,
        }
    }
}

/// A function's last 24 hours: the current hour and the 23 before it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FunctionSummary {
    /// The function (bare name).
    pub function: String,
    /// Invocation attempts.
    pub invocations: u64,
    /// Those that failed.
    pub errors: u64,
    /// Invocations refused for concurrency (from the samples).
    pub throttles: u64,
    /// 95th percentile duration, ms (within [`PERCENTILE_ERROR`]); `None` without invocations.
    pub p95_ms: Option<f64>,
    /// Invocations per hour, 24 of them, oldest first; the last is the current hour.
    pub hourly: Vec<u64>,
}

/// The rows a sample updates: its minute's and its hour's, as (granularity, bucket).
pub(crate) fn sample_buckets(sample: &Sample) -> [(i64, i64); 2] {
    GRANULARITIES.map(|granularity| {
        let bucket = sample.minute_ms - sample.minute_ms % granularity;
        (sql_u64(granularity), sql_u64(bucket))
    })
}

/// A [`StatsStore::function_metrics`] call under way: the checked range, the rows it reads
/// and the points those rows add up to.
pub(crate) struct MetricsPlan<'f> {
    /// The function's bare name.
    function: &'f str,
    /// The rows read: [`MINUTE_MS`] or [`HOUR_MS`].
    granularity: u64,
    /// Rows per point.
    per_point: u64,
    points: Vec<MetricsPoint>,
    durations: Vec<Histogram>,
}

impl<'f> MetricsPlan<'f> {
    /// Checks `range` (see [`StatsStore::function_metrics`]) and lays out the empty points of
    /// `function` (a qualified name reads the function's rows).
    pub(crate) fn new(
        function: &'f str,
        range: MetricsRange,
    ) -> Result<MetricsPlan<'f>, StoreError> {
        let invalid = || StoreError::InvalidMetricsRange {
            step_ms: range.step_ms,
            points: range.points,
            max_points: MAX_METRICS_POINTS,
        };
        let step = range.step_ms;
        if step == 0 || !step.is_multiple_of(MINUTE_MS) {
            return Err(invalid());
        }
        let granularity = if step.is_multiple_of(HOUR_MS) {
            HOUR_MS
        } else {
            MINUTE_MS
        };
        let per_point = step / granularity;
        let rows = u64::try_from(range.points)
            .ok()
            .and_then(|n| n.checked_mul(per_point))
            .filter(|&rows| rows <= MAX_METRICS_POINTS as u64)
            .ok_or_else(invalid)?;
        let start = range.start_ms - range.start_ms % step;
        start
            .checked_add(rows.saturating_mul(granularity))
            .ok_or_else(invalid)?;
        Ok(MetricsPlan {
            function: bare_name(function),
            granularity,
            per_point,
            points: (0..range.points as u64)
                .map(|i| MetricsPoint::empty(start + i * step))
                .collect(),
            durations: vec![Histogram::default(); range.points],
        })
    }

    /// The granularity and function of the rows read.
    pub(crate) fn key(&self) -> (i64, &'f str) {
        (sql_u64(self.granularity), self.function)
    }

    /// Every bucket the range reads, in order, with the index of the point it adds to.
    pub(crate) fn buckets(&self) -> impl Iterator<Item = (usize, i64)> + '_ {
        self.points.iter().enumerate().flat_map(move |(i, point)| {
            (0..self.per_point).map(move |j| (i, sql_u64(point.t_ms + j * self.granularity)))
        })
    }

    /// The point bucket `bucket` adds to, if it is in the range.
    pub(crate) fn point_of(&self, bucket: i64) -> Option<usize> {
        let first = self.points.first()?.t_ms;
        let step = self.granularity * self.per_point;
        let offset = u64::try_from(bucket).ok()?.checked_sub(first)?;
        usize::try_from(offset / step)
            .ok()
            .filter(|&i| i < self.points.len())
    }

    /// Adds a rollup row of [`STATS_ROW_SQL`]'s columns (`invocations, errors, duration_hist`)
    /// to point `i`.
    pub(crate) fn add_stats<C: Columns>(&mut self, i: usize, row: &C) -> Result<(), C::Error> {
        let (Some(point), Some(durations)) = (self.points.get_mut(i), self.durations.get_mut(i))
        else {
            return Ok(());
        };
        point.invocations = point.invocations.saturating_add(row.uint(0)?);
        for (error, n) in get_errors(row, 1)? {
            let count = point.errors.entry(error).or_default();
            *count = count.saturating_add(n);
        }
        durations.merge(&get_histogram(row, 2)?);
        Ok(())
    }

    /// Adds a sample row of [`SAMPLES_ROW_SQL`]'s columns (`throttles, peak_concurrency,
    /// queue_depth, queue_age_ms`) to point `i`.
    pub(crate) fn add_samples<C: Columns>(&mut self, i: usize, row: &C) -> Result<(), C::Error> {
        let Some(point) = self.points.get_mut(i) else {
            return Ok(());
        };
        let peak = row.int(1)?;
        let peak =
            u32::try_from(peak).map_err(|_| row.invalid(1, format!("peak concurrency {peak}")))?;
        point.throttles = point.throttles.saturating_add(row.uint(0)?);
        point.max_concurrency = point.max_concurrency.max(peak);
        point.queue_depth = point.queue_depth.max(row.uint(2)?);
        point.queue_age_ms = point.queue_age_ms.max(row.uint(3)?);
        Ok(())
    }

    /// The points, with their percentiles.
    pub(crate) fn finish(self) -> Vec<MetricsPoint> {
        let mut points = self.points;
        for (point, durations) in points.iter_mut().zip(&self.durations) {
            point.p50_ms = durations.percentile(0.50);
            point.p95_ms = durations.percentile(0.95);
            point.p99_ms = durations.percentile(0.99);
        }
        points
    }
}

/// A [`StatsStore::function_summaries`] call under way: its window and the summaries of the
/// rows read so far.
pub(crate) struct Summaries {
    /// The first hour's start.
    start: u64,
    /// The end of the current hour.
    end: u64,
    found: BTreeMap<String, (FunctionSummary, Histogram)>,
}

impl Summaries {
    /// The summaries of the 24 hours up to the one that holds `now_ms`.
    pub(crate) fn new(now_ms: u64) -> Summaries {
        let current = now_ms - now_ms % HOUR_MS;
        Summaries {
            start: current.saturating_sub((SUMMARY_HOURS - 1) * HOUR_MS),
            end: current.saturating_add(HOUR_MS),
            found: BTreeMap::new(),
        }
    }

    /// The parameters of [`STATS_WINDOW_SQL`] and [`SAMPLES_WINDOW_SQL`]: granularity, start
    /// and end of the window.
    pub(crate) fn window(&self) -> [i64; 3] {
        [sql_u64(HOUR_MS), sql_u64(self.start), sql_u64(self.end)]
    }

    /// The summary of `function`, created on its first row.
    fn entry(&mut self, function: String) -> &mut (FunctionSummary, Histogram) {
        self.found.entry(function).or_insert_with_key(|function| {
            let summary = FunctionSummary {
                function: function.clone(),
                invocations: 0,
                errors: 0,
                throttles: 0,
                p95_ms: None,
                hourly: vec![0; SUMMARY_HOURS as usize],
            };
            (summary, Histogram::default())
        })
    }

    /// Adds a rollup row of [`STATS_WINDOW_SQL`]'s columns.
    pub(crate) fn add_stats<C: Columns>(&mut self, row: &C) -> Result<(), C::Error> {
        let start = self.start;
        let invocations = row.uint(2)?;
        let hour = row.uint(1)?.saturating_sub(start) / HOUR_MS;
        let error_count = row.uint(3)?;
        let histogram = get_histogram(row, 4)?;
        let (s, durations) = self.entry(row.text(0)?);
        if let Some(hourly) = usize::try_from(hour).ok().and_then(|h| s.hourly.get_mut(h)) {
            *hourly = hourly.saturating_add(invocations);
        }
        s.invocations = s.invocations.saturating_add(invocations);
        s.errors = s.errors.saturating_add(error_count);
        durations.merge(&histogram);
        Ok(())
    }

    /// Adds a sample row of [`SAMPLES_WINDOW_SQL`]'s columns.
    pub(crate) fn add_samples<C: Columns>(&mut self, row: &C) -> Result<(), C::Error> {
        let throttles = row.uint(1)?;
        let (s, _) = self.entry(row.text(0)?);
        s.throttles = s.throttles.saturating_add(throttles);
        Ok(())
    }

    /// The summaries, by function name.
    pub(crate) fn finish(self) -> Vec<FunctionSummary> {
        self.found
            .into_values()
            .map(|(mut s, durations)| {
                s.p95_ms = durations.percentile(0.95);
                s
            })
            .collect()
    }
}

/// One function's rollup row: `?1` granularity, `?2` function, `?3` bucket (a primary-key
/// lookup).
pub(crate) const STATS_ROW_SQL: &str = "SELECT invocations, errors, duration_hist \
     FROM invocation_stats WHERE granularity_ms = ?1 AND bucket_ms = ?3 AND function = ?2";
/// One function's sample row, parameters as [`STATS_ROW_SQL`].
pub(crate) const SAMPLES_ROW_SQL: &str = "SELECT throttles, peak_concurrency, queue_depth, \
     queue_age_ms FROM function_samples \
     WHERE granularity_ms = ?1 AND bucket_ms = ?3 AND function = ?2";
/// Every function's rollup rows of granularity `?1` in the buckets `?2`..`?3` (end excluded): a
/// range of the primary key.
pub(crate) const STATS_WINDOW_SQL: &str = "SELECT function, bucket_ms, invocations, \
     error_count, duration_hist FROM invocation_stats \
     WHERE granularity_ms = ?1 AND bucket_ms >= ?2 AND bucket_ms < ?3";
/// Every function's sample rows in a window, parameters as [`STATS_WINDOW_SQL`].
pub(crate) const SAMPLES_WINDOW_SQL: &str = "SELECT function, throttles FROM function_samples \
     WHERE granularity_ms = ?1 AND bucket_ms >= ?2 AND bucket_ms < ?3";

/// Per-minute and per-hour rollups and samples the web console reads.
pub trait StatsStore {
    /// Stores the console sampler's per-minute samples, in one transaction: each updates its
    /// minute's row and its hour's row (throttles add up, the peak concurrency keeps the
    /// maximum, the queue fields keep the minute's latest sample and the hour's maximum).
    fn record_samples(&self, samples: &[Sample]) -> Result<(), StoreError>;

    /// One function's metrics over `range`: exactly `range.points` points, oldest first, those
    /// without data holding zeros. Reads the function's rollup and sample rows in the range,
    /// one primary-key lookup per bucket (hour rows when the step is whole hours, else minute
    /// rows, which are kept 48 h), never the invocation records.
    ///
    /// Fails with [`StoreError::InvalidMetricsRange`] unless the step is a positive whole number
    /// of minutes and the range spans at most [`MAX_METRICS_POINTS`] rows (points times the
    /// rows of a step).
    fn function_metrics(
        &self,
        function: &str,
        range: MetricsRange,
    ) -> Result<Vec<MetricsPoint>, StoreError>;

    /// The last 24 hours of every function with rollup or sample rows in them (the hour that
    /// holds `now_ms` and the 23 before it), by name. Reads the hourly rows of those 24 hours,
    /// one range of the primary key, never the invocation records.
    fn function_summaries(&self, now_ms: u64) -> Result<Vec<FunctionSummary>, StoreError>;
}

impl StatsStore for Sqlite {
    fn record_samples(&self, samples: &[Sample]) -> Result<(), StoreError> {
        if samples.is_empty() {
            return Ok(());
        }
        self.write("recording samples", |tx| {
            let mut minute = tx.prepare_cached(
                "INSERT INTO function_samples (granularity_ms, function, bucket_ms, throttles, \
                 peak_concurrency, queue_depth, queue_age_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT DO UPDATE SET throttles = throttles + excluded.throttles, \
                 peak_concurrency = max(peak_concurrency, excluded.peak_concurrency), \
                 queue_depth = excluded.queue_depth, queue_age_ms = excluded.queue_age_ms",
            )?;
            let mut hour = tx.prepare_cached(
                "INSERT INTO function_samples (granularity_ms, function, bucket_ms, throttles, \
                 peak_concurrency, queue_depth, queue_age_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) \
                 ON CONFLICT DO UPDATE SET throttles = throttles + excluded.throttles, \
                 peak_concurrency = max(peak_concurrency, excluded.peak_concurrency), \
                 queue_depth = max(queue_depth, excluded.queue_depth), \
                 queue_age_ms = max(queue_age_ms, excluded.queue_age_ms)",
            )?;
            for s in samples {
                let function = bare_name(&s.function);
                for (stmt, (granularity, bucket)) in
                    [&mut minute, &mut hour].into_iter().zip(sample_buckets(s))
                {
                    stmt.execute(params![
                        granularity,
                        function,
                        bucket,
                        sql_u64(s.throttles),
                        s.peak_concurrency,
                        sql_u64(s.queue_depth),
                        sql_u64(s.queue_age_ms),
                    ])?;
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
        let (g, function) = plan.key();
        let buckets: Vec<(usize, i64)> = plan.buckets().collect();
        self.read("reading function metrics", |conn| {
            let mut stats = conn.prepare_cached(STATS_ROW_SQL)?;
            let mut samples = conn.prepare_cached(SAMPLES_ROW_SQL)?;
            for (i, bucket) in buckets {
                let mut rows = stats.query(params![g, function, bucket])?;
                if let Some(row) = rows.next()? {
                    plan.add_stats(i, row)?;
                }
                let mut rows = samples.query(params![g, function, bucket])?;
                if let Some(row) = rows.next()? {
                    plan.add_samples(i, row)?;
                }
            }
            Ok(())
        })?;
        Ok(plan.finish())
    }

    fn function_summaries(&self, now_ms: u64) -> Result<Vec<FunctionSummary>, StoreError> {
        let mut summaries = Summaries::new(now_ms);
        let window = summaries.window();
        self.read("summarizing functions", |conn| {
            let mut stats = conn.prepare_cached(STATS_WINDOW_SQL)?;
            let mut rows = stats.query(window)?;
            while let Some(row) = rows.next()? {
                summaries.add_stats(row)?;
            }
            let mut samples = conn.prepare_cached(SAMPLES_WINDOW_SQL)?;
            let mut rows = samples.query(window)?;
            while let Some(row) = rows.next()? {
                summaries.add_samples(row)?;
            }
            Ok(())
        })?;
        Ok(summaries.finish())
    }
}

/// Used by `invocations.rs`: the rollup of a batch of records, as a transaction step.
pub(crate) fn roll_up_records(
    conn: &Connection,
    records: &[InvocationRecord],
) -> Result<(), TxError> {
    Ok(roll_up(conn, records.iter().map(Observation::from))?)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use fnhost_core::{Lineage, Trigger};

    use super::{HOUR_MS, Histogram, MINUTE_MS, PERCENTILE_ERROR};
    use crate::{
        Durability, FunctionSummary, InvocationRecord, MetricsPoint, MetricsRange, NewJob, Sample,
        Store, StoreError,
    };

    /// A whole hour, late 2025: every test's time base.
    const T0: u64 = 1_764_000_000_000 - 1_764_000_000_000 % HOUR_MS;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_with(&dir.path().join("db"), Durability::Normal).unwrap();
        (dir, store)
    }

    /// Runs each named test (`fn name(store: Store)`) once on a fresh SQLite file and once on
    /// a fresh PostgreSQL database: `name::sqlite` and `name::postgres`.
    macro_rules! both_backends {
        ($($name:ident),+ $(,)?) => {
            $(
                mod $name {
                    #[test]
                    fn sqlite() {
                        let (_dir, store) = super::store();
                        super::$name(store)
                    }

                    #[test]
                    fn postgres() {
                        let db = fnhost_testpg::Server::shared().database().unwrap();
                        let store = crate::Store::connect(db.url()).unwrap();
                        super::$name(store)
                    }
                }
            )+
        };
    }

    both_backends!(
        rollups_match_the_records_at_both_granularities,
        metrics_points_are_complete_and_ranges_checked,
        samples_merge_per_minute_and_hour,
        summaries_cover_the_last_24_hours_of_every_function,
        prune_removes_old_rollups_and_samples,
    );

    /// A small deterministic generator (xorshift64*), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// Uniform in 0..1.
        fn unit(&mut self) -> f64 {
            (self.next() >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    fn record(function: &str, started_at_ms: u64, duration_ms: f64) -> InvocationRecord {
        InvocationRecord {
            request_id: format!("r{started_at_ms}"),
            function: function.to_owned(),
            version: "$LATEST".to_owned(),
            trigger: Trigger::Http,
            started_at_ms,
            duration_ms,
            billed_ms: duration_ms.ceil() as u64,
            memory_mb: 128,
            max_memory_used_mb: 20,
            fuel: None,
            error_type: None,
            log: String::new(),
        }
    }

    /// `n` records over `functions` (some recorded as a published version `name:2`), started
    /// in `span_ms` from `start_ms`, durations log-uniform from 0.03 ms to 20 s, a fifth of
    /// them failed with one of two error types.
    fn records(
        rng: &mut Rng,
        n: usize,
        functions: &[&str],
        start_ms: u64,
        span_ms: u64,
    ) -> Vec<InvocationRecord> {
        (0..n)
            .map(|_| {
                let name = functions[rng.below(functions.len() as u64) as usize];
                let function = if rng.below(4) == 0 {
                    format!("{name}:2")
                } else {
                    name.to_owned()
                };
                let duration = 10f64.powf(-1.5 + 5.8 * rng.unit());
                let mut r = record(&function, start_ms + rng.below(span_ms), duration);
                r.error_type = match rng.below(10) {
                    0 => Some("Function.Timeout".to_owned()),
                    1 => Some("Unhandled".to_owned()),
                    _ => None,
                };
                r
            })
            .collect()
    }

    /// Records in batches of varied sizes, as the recorder writes them.
    fn record_in_batches(store: &Store, records: &[InvocationRecord]) {
        let sizes = [1, 7, 512, 100, 3, 1000];
        let mut rest = records;
        for size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (batch, tail) = rest.split_at((*size).min(rest.len()));
            store.record(batch).unwrap();
            rest = tail;
        }
    }

    /// The exact nearest-rank percentile.
    fn exact_percentile(sorted: &[f64], q: f64) -> Option<f64> {
        let rank = ((q * sorted.len() as f64).ceil() as usize).max(1);
        sorted.get(rank - 1).copied()
    }

    fn assert_close(estimate: Option<f64>, exact: Option<f64>, what: &str) {
        match (estimate, exact) {
            (None, None) => {}
            (Some(e), Some(x)) => assert!(
                (e - x).abs() <= x * (PERCENTILE_ERROR + 1e-9),
                "{what}: estimated {e}, exact {x}"
            ),
            _ => panic!("{what}: estimated {estimate:?}, exact {exact:?}"),
        }
    }

    /// The metrics point `[t, t + step)` of `function` computed from the raw records.
    fn expected_point(records: &[InvocationRecord], function: &str, t: u64, step: u64) -> Point {
        let mut point = Point::default();
        let mut durations = Vec::new();
        for r in records.iter().filter(|r| {
            r.function.split(':').next() == Some(function)
                && (t..t + step).contains(&r.started_at_ms)
        }) {
            point.invocations += 1;
            durations.push(r.duration_ms);
            if let Some(e) = &r.error_type {
                *point.errors.entry(e.clone()).or_default() += 1;
            }
        }
        durations.sort_by(f64::total_cmp);
        point.durations = durations;
        point
    }

    #[derive(Default)]
    struct Point {
        invocations: u64,
        errors: BTreeMap<String, u64>,
        durations: Vec<f64>,
    }

    fn assert_point(actual: &MetricsPoint, expected: &Point, what: &str) {
        assert_eq!(actual.invocations, expected.invocations, "{what}");
        assert_eq!(actual.errors, expected.errors, "{what}");
        for (q, estimate) in [
            (0.50, actual.p50_ms),
            (0.95, actual.p95_ms),
            (0.99, actual.p99_ms),
        ] {
            let exact = exact_percentile(&expected.durations, q);
            assert_close(estimate, exact, &format!("{what} p{}", q * 100.0));
        }
    }

    /// The scale: monotonic, every duration in its bucket, the encoding round-trips and
    /// malformed bytes are refused rather than misread.
    #[test]
    fn histogram_buckets_bound_durations_and_round_trip() {
        let mut previous = 0;
        let mut rng = Rng(7);
        let mut durations: Vec<f64> = (0..20_000)
            .map(|_| 10f64.powf(-2.0 + 8.5 * rng.unit()))
            .collect();
        durations.sort_by(f64::total_cmp);
        let mut histogram = Histogram::default();
        for &d in &durations {
            let i = Histogram::index_of(d);
            assert!(i >= previous, "{d}");
            previous = i;
            if (0.0093..=4_194_304.0).contains(&d) {
                assert!(
                    Histogram::lower(i) <= d * (1.0 + 1e-12)
                        && d <= Histogram::upper(i) * (1.0 + 1e-12),
                    "{d} in bucket {i}"
                );
            }
            histogram.add(d);
        }
        assert_eq!(Histogram::index_of(0.0), 0);
        assert_eq!(Histogram::index_of(-1.0), 0);
        assert_eq!(Histogram::index_of(f64::NAN), 0);
        assert_eq!(
            Histogram::index_of(f64::INFINITY),
            Histogram::index_of(1e12)
        );
        assert_eq!(histogram.count(), 20_000);
        let encoded = histogram.encode();
        assert_eq!(Histogram::decode(&encoded), Some(histogram.clone()));
        assert_eq!(Histogram::decode(&[]), Some(Histogram::default()));
        // A truncated varint, an index past the scale, a repeated index.
        assert_eq!(Histogram::decode(&[0x80]), None);
        assert_eq!(Histogram::decode(&[231, 1, 1]), None);
        assert_eq!(Histogram::decode(&[3, 1, 0, 1]), None);
        // Merging is adding.
        let mut twice = histogram.clone();
        twice.merge(&histogram);
        assert_eq!(twice.count(), 40_000);
        let in_scale: Vec<f64> = durations
            .iter()
            .copied()
            .filter(|d| (0.01..=4_194_304.0).contains(d))
            .collect();
        let mut scaled = Histogram::default();
        in_scale.iter().for_each(|&d| scaled.add(d));
        for q in [0.0, 0.01, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
            assert_close(
                scaled.percentile(q),
                exact_percentile(&in_scale, q),
                &format!("q {q}"),
            );
        }
        assert_eq!(Histogram::default().percentile(0.5), None);
    }

    /// Minute and hour rollups hold exactly the counts and errors of the records, and
    /// percentiles within the bound, across batches of any size; a published version's records
    /// count under the function's name.
    fn rollups_match_the_records_at_both_granularities(store: Store) {
        let mut rng = Rng(42);
        let functions = ["alpha", "beta", "gamma"];
        let records = records(&mut rng, 6_000, &functions, T0, 3 * HOUR_MS);
        record_in_batches(&store, &records);
        assert!(records.iter().any(|r| r.function == "alpha:2"));

        for function in functions {
            let hourly = store
                .function_metrics(
                    function,
                    MetricsRange {
                        start_ms: T0 - HOUR_MS,
                        step_ms: HOUR_MS,
                        points: 5,
                    },
                )
                .unwrap();
            assert_eq!(hourly.len(), 5);
            for (i, point) in hourly.iter().enumerate() {
                let t = T0 - HOUR_MS + i as u64 * HOUR_MS;
                assert_eq!(point.t_ms, t);
                let expected = expected_point(&records, function, t, HOUR_MS);
                assert_point(point, &expected, &format!("{function} hour {i}"));
            }
            assert_eq!(hourly[0].invocations, 0);
            assert_eq!(hourly[4].invocations, 0);
            let minutes = store
                .function_metrics(
                    function,
                    MetricsRange {
                        start_ms: T0,
                        step_ms: MINUTE_MS,
                        points: 180,
                    },
                )
                .unwrap();
            for (i, point) in minutes.iter().enumerate() {
                let t = T0 + i as u64 * MINUTE_MS;
                assert_eq!(point.t_ms, t);
                let expected = expected_point(&records, function, t, MINUTE_MS);
                assert_point(point, &expected, &format!("{function} minute {i}"));
            }
            // Five-minute steps are read from minute rows.
            let five = store
                .function_metrics(
                    function,
                    MetricsRange {
                        start_ms: T0 + 2 * MINUTE_MS,
                        step_ms: 5 * MINUTE_MS,
                        points: 12,
                    },
                )
                .unwrap();
            assert_eq!(five[0].t_ms, T0, "the start is rounded down to the step");
            for point in &five {
                let expected = expected_point(&records, function, point.t_ms, 5 * MINUTE_MS);
                assert_point(point, &expected, &format!("{function} at {}", point.t_ms));
            }
        }
        // The qualified name reads the same rows.
        assert_eq!(
            store
                .function_metrics("alpha:2", MetricsRange::ending_at(T0, HOUR_MS, 3))
                .unwrap(),
            store
                .function_metrics("alpha", MetricsRange::ending_at(T0, HOUR_MS, 3))
                .unwrap()
        );
    }

    /// Points without data are present, zero and without percentiles; the console's ranges
    /// have the documented shapes; bad ranges are refused.
    fn metrics_points_are_complete_and_ranges_checked(store: Store) {
        store.record(&[record("f", T0 + 90_000, 5.0)]).unwrap();
        let now = T0 + 30 * MINUTE_MS + 5;
        let hour = store
            .function_metrics("f", MetricsRange::last_hour(now))
            .unwrap();
        assert_eq!(hour.len(), 60);
        assert_eq!(hour[59].t_ms, T0 + 30 * MINUTE_MS);
        for (i, point) in hour.iter().enumerate() {
            assert_eq!(point.t_ms, T0 - 29 * MINUTE_MS + i as u64 * MINUTE_MS);
            if point.t_ms == T0 + MINUTE_MS {
                assert_eq!(point.invocations, 1);
                assert_close(point.p99_ms, Some(5.0), "p99");
            } else {
                assert_eq!(point, &MetricsPoint::empty(point.t_ms));
            }
        }
        let day = store
            .function_metrics("f", MetricsRange::last_day(now))
            .unwrap();
        assert_eq!(day.len(), 24);
        assert_eq!(day[23].t_ms, T0);
        assert_eq!(day[23].invocations, 1);
        let week = store
            .function_metrics("f", MetricsRange::last_week(now))
            .unwrap();
        assert_eq!(week.len(), 168);
        assert_eq!(week.iter().map(|p| p.invocations).sum::<u64>(), 1);
        let none = store
            .function_metrics("nobody", MetricsRange::last_week(now))
            .unwrap();
        assert!(
            none.iter()
                .all(|p| p == &MetricsPoint::empty(p.t_ms) && p.t_ms % HOUR_MS == 0)
        );
        let json = serde_json::to_value(&hour[30]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"t": T0 + MINUTE_MS, "invocations": 1, "errors": {},
                "throttles": 0, "p50Ms": hour[30].p50_ms, "p95Ms": hour[30].p95_ms,
                "p99Ms": hour[30].p99_ms, "maxConcurrency": 0, "queueDepth": 0, "queueAgeMs": 0})
        );

        for (step_ms, points) in [
            (0, 10),
            (30_000, 10),
            (90_000, 10),
            (MINUTE_MS, super::MAX_METRICS_POINTS + 1),
            // 200 points of 59 minute rows each.
            (59 * MINUTE_MS, 200),
            (u64::MAX - u64::MAX % MINUTE_MS, 3),
        ] {
            let err = store
                .function_metrics(
                    "f",
                    MetricsRange {
                        start_ms: T0,
                        step_ms,
                        points,
                    },
                )
                .unwrap_err();
            assert!(
                matches!(err, StoreError::InvalidMetricsRange { step_ms: s, points: p, .. } if s == step_ms && p == points),
                "{err:?}"
            );
        }
    }

    /// Samples add throttles, keep the peak, and keep the minute's latest queue sample and the
    /// hour's largest; points carry them.
    fn samples_merge_per_minute_and_hour(store: Store) {
        let sample = |function: &str, minute_ms, throttles, peak, depth, age| Sample {
            function: function.to_owned(),
            minute_ms,
            throttles,
            peak_concurrency: peak,
            queue_depth: depth,
            queue_age_ms: age,
        };
        store
            .record_samples(&[
                sample("f", T0 + 5, 2, 3, 10, 1_000),
                sample("f:1", T0 + 59_999, 1, 7, 4, 500),
                sample("f", T0 + MINUTE_MS, 5, 2, 1, 100),
                sample("g", T0, 9, 9, 9, 9),
            ])
            .unwrap();
        store
            .record_samples(&[sample("f", T0 + 20_000, 0, 5, 6, 700)])
            .unwrap();
        let minutes = store
            .function_metrics(
                "f",
                MetricsRange {
                    start_ms: T0,
                    step_ms: MINUTE_MS,
                    points: 3,
                },
            )
            .unwrap();
        let got: Vec<_> = minutes
            .iter()
            .map(|p| {
                (
                    p.throttles,
                    p.max_concurrency,
                    p.queue_depth,
                    p.queue_age_ms,
                )
            })
            .collect();
        assert_eq!(got, [(3, 7, 6, 700), (5, 2, 1, 100), (0, 0, 0, 0)]);
        let hour = store
            .function_metrics("f", MetricsRange::ending_at(T0, HOUR_MS, 1))
            .unwrap();
        assert_eq!(
            (
                hour[0].throttles,
                hour[0].max_concurrency,
                hour[0].queue_depth,
                hour[0].queue_age_ms
            ),
            (8, 7, 10, 1_000)
        );
        assert_eq!(hour[0].invocations, 0);
        store.record_samples(&[]).unwrap();
    }

    /// Summaries: every function with data in the current hour and the 23 before, exact counts,
    /// hourly counts oldest first, throttles from the samples, p95 within the bound; functions
    /// whose data is older are left out.
    fn summaries_cover_the_last_24_hours_of_every_function(store: Store) {
        let mut rng = Rng(3);
        let now = T0 + 30 * HOUR_MS + 17 * MINUTE_MS;
        assert!(store.function_summaries(now).unwrap().is_empty());
        let current = T0 + 30 * HOUR_MS;
        let records = records(&mut rng, 5_000, &["a", "b", "c"], T0, 31 * HOUR_MS);
        let mut all = records.clone();
        all.push(record("old", T0, 1.0));
        // After `now` (a clock step): in no hour of the summary.
        all.push(record("a", current + HOUR_MS, 1.0));
        record_in_batches(&store, &all);
        store
            .record_samples(&[
                Sample {
                    function: "a".to_owned(),
                    minute_ms: now - 3 * HOUR_MS,
                    throttles: 4,
                    peak_concurrency: 1,
                    queue_depth: 0,
                    queue_age_ms: 0,
                },
                Sample {
                    function: "quiet".to_owned(),
                    minute_ms: now,
                    throttles: 2,
                    peak_concurrency: 0,
                    queue_depth: 0,
                    queue_age_ms: 0,
                },
                Sample {
                    function: "a".to_owned(),
                    minute_ms: now - 24 * HOUR_MS,
                    throttles: 100,
                    peak_concurrency: 1,
                    queue_depth: 0,
                    queue_age_ms: 0,
                },
            ])
            .unwrap();
        let summaries = store.function_summaries(now).unwrap();
        let names: Vec<&str> = summaries.iter().map(|s| s.function.as_str()).collect();
        assert_eq!(names, ["a", "b", "c", "quiet"]);
        let start = current - 23 * HOUR_MS;
        for s in &summaries[..3] {
            let mut durations = Vec::new();
            let mut expected = FunctionSummary {
                function: s.function.clone(),
                invocations: 0,
                errors: 0,
                throttles: if s.function == "a" { 4 } else { 0 },
                p95_ms: None,
                hourly: vec![0; 24],
            };
            for r in records.iter().filter(|r| {
                r.function.split(':').next() == Some(&s.function)
                    && (start..current + HOUR_MS).contains(&r.started_at_ms)
            }) {
                expected.invocations += 1;
                expected.errors += u64::from(r.error_type.is_some());
                expected.hourly[((r.started_at_ms - start) / HOUR_MS) as usize] += 1;
                durations.push(r.duration_ms);
            }
            durations.sort_by(f64::total_cmp);
            assert_close(
                s.p95_ms,
                exact_percentile(&durations, 0.95),
                &format!("{} p95", s.function),
            );
            expected.p95_ms = s.p95_ms;
            assert_eq!(s, &expected);
            assert!(s.hourly.iter().all(|&n| n > 0), "{s:?}");
        }
        assert_eq!(
            summaries[3],
            FunctionSummary {
                function: "quiet".to_owned(),
                invocations: 0,
                errors: 0,
                throttles: 2,
                p95_ms: None,
                hourly: vec![0; 24],
            }
        );
        let json = serde_json::to_value(&summaries[3]).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"function": "quiet", "invocations": 0, "errors": 0,
                "throttles": 2, "p95Ms": null, "hourly": vec![0; 24]})
        );
    }

    /// Retention takes rollup and sample rows whose bucket ends by the cutoff, and minute rows
    /// older than 48 hours whatever the cutoff; the invocation pruning is unchanged.
    fn prune_removes_old_rollups_and_samples(store: Store) {
        let sample = |minute_ms| Sample {
            function: "f".to_owned(),
            minute_ms,
            throttles: 1,
            peak_concurrency: 1,
            queue_depth: 1,
            queue_age_ms: 1,
        };
        // Day 0 .. day 3, one record and one sample every 30 minutes.
        let times: Vec<u64> = (0..(3 * 48)).map(|i| T0 + i * 30 * MINUTE_MS).collect();
        let recs: Vec<_> = times.iter().map(|&t| record("f", t, 2.0)).collect();
        store.record(&recs).unwrap();
        store
            .record_samples(&times.iter().map(|&t| sample(t)).collect::<Vec<_>>())
            .unwrap();
        let now = T0 + 72 * HOUR_MS;
        // Keep 60 hours: records and hour rows from hour 12 on; minute rows only for 48 h.
        let cutoff = now - 60 * HOUR_MS + 30 * MINUTE_MS;
        let removed = store.prune_at(cutoff, now).unwrap();
        assert_eq!(removed, 25, "records before the cutoff (no log lines)");
        let hours = store
            .function_metrics("f", MetricsRange::ending_at(now - 1, HOUR_MS, 72))
            .unwrap();
        let kept: Vec<u64> = hours.iter().map(|p| p.invocations).collect();
        // Hour 12 ends after the cutoff (which is in it): kept whole, both records.
        assert_eq!(kept[..12], [0; 12]);
        assert_eq!(kept[12..], [2; 60]);
        assert!(hours[..12].iter().all(|p| p.throttles == 0));
        assert!(hours[12..].iter().all(|p| p.throttles == 2));
        let minutes = store
            .function_metrics(
                "f",
                MetricsRange {
                    start_ms: T0,
                    step_ms: MINUTE_MS,
                    points: 72 * 60,
                },
            )
            .unwrap();
        let minute_rows: Vec<u64> = minutes
            .iter()
            .filter(|p| p.invocations > 0 || p.throttles > 0)
            .map(|p| p.t_ms)
            .collect();
        assert_eq!(
            minute_rows,
            times
                .iter()
                .copied()
                .filter(|&t| t >= now - 48 * HOUR_MS)
                .collect::<Vec<_>>()
        );
        // Everything goes with a cutoff past the last bucket.
        store.prune_at(now + HOUR_MS, now + HOUR_MS).unwrap();
        for range in [
            MetricsRange::ending_at(now - 1, HOUR_MS, 72),
            MetricsRange::ending_at(now - 1, MINUTE_MS, 72 * 60),
        ] {
            let points = store.function_metrics("f", range).unwrap();
            assert!(
                points
                    .iter()
                    .all(|p| p.invocations == 0 && p.throttles == 0),
                "no rollup or sample row is left"
            );
        }
    }

    /// The queue per function: depth and the age of the oldest event, ready and running jobs
    /// alike.
    #[test]
    fn queue_by_function_counts_and_ages() {
        let (_dir, store) = store();
        let job = |function: &str, enqueued_at_ms| NewJob {
            function: function.to_owned(),
            payload: b"{}".to_vec(),
            trigger: Trigger::S3,
            request_id: format!("{function}{enqueued_at_ms}"),
            max_attempts: 3,
            enqueued_at_ms,
            expires_at_ms: u64::MAX / 2,
            not_before_ms: 0,
            lineage: Lineage {
                chain_id: "c".to_owned(),
                hop: 0,
            },
        };
        assert!(store.queue_by_function(100).unwrap().is_empty());
        store
            .enqueue(
                &[job("b", 50), job("a", 70), job("b", 20), job("b", 90)],
                &[],
            )
            .unwrap();
        store.claim(1_000, 1).unwrap();
        assert_eq!(
            store.queue_by_function(100).unwrap(),
            [("a".to_owned(), 1, 30), ("b".to_owned(), 3, 80)]
        );
        assert_eq!(
            store.queue_by_function(0).unwrap()[1],
            ("b".to_owned(), 3, 0)
        );
    }

    /// Opening a database of schema version 5 fills the rollups from its records, exactly as
    /// recording them does.
    #[test]
    fn the_migration_backfills_rollups_from_existing_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        let mut rng = Rng(11);
        let records = records(&mut rng, 3_000, &["x", "y"], T0, 2 * HOUR_MS);
        {
            let mut conn = rusqlite::Connection::open(&path).unwrap();
            crate::schema::migrate_to(&conn, 5).unwrap();
            let tx = conn.transaction().unwrap();
            for r in &records {
                crate::invocations::insert_record(&tx, r).unwrap();
            }
            tx.commit().unwrap();
        }
        let migrated = Store::open_with(&path, Durability::Normal).unwrap();
        let (_fresh_dir, fresh) = store();
        fresh.record(&records).unwrap();
        let now = T0 + 2 * HOUR_MS - 1;
        for function in ["x", "y"] {
            for range in [
                MetricsRange::ending_at(now, MINUTE_MS, 120),
                MetricsRange::last_day(now),
            ] {
                let points = migrated.function_metrics(function, range).unwrap();
                assert_eq!(points, fresh.function_metrics(function, range).unwrap());
                assert_eq!(
                    points.iter().map(|p| p.invocations).sum::<u64>(),
                    records
                        .iter()
                        .filter(|r| r.function.starts_with(function))
                        .count() as u64
                );
            }
        }
        assert_eq!(
            migrated.function_summaries(now).unwrap(),
            fresh.function_summaries(now).unwrap()
        );
        // Recording goes on adding to the backfilled rows.
        migrated.record(&records[..10]).unwrap();
        let total: u64 = ["x", "y"]
            .iter()
            .map(|f| {
                migrated
                    .function_summaries(now)
                    .unwrap()
                    .iter()
                    .find(|s| s.function == *f)
                    .unwrap()
                    .invocations
            })
            .sum();
        assert_eq!(total, 3_010);
    }

    /// 200,000 records over 1,000 functions: the summaries come from the rollup rows alone
    /// (they stay the same once the records are gone), 24 or fewer hourly rows per function,
    /// through the primary key (see `schema::tests::queries_use_their_indexes`). Release builds
    /// only: a debug build takes minutes to record them.
    #[cfg(not(debug_assertions))]
    #[test]
    fn summaries_of_a_million_records_read_only_rollup_rows() {
        use crate::{InvocationStore as _, StatsStore as _};
        // The SQLite backend itself, to count its rows in SQL.
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Sqlite::open_with(&dir.path().join("db"), Durability::Normal).unwrap();
        let mut rng = Rng(99);
        let names: Vec<String> = (0..1_000).map(|i| format!("fn-{i:04}")).collect();
        let now = T0 + 36 * HOUR_MS;
        let mut expected: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
        let mut hours = std::collections::BTreeSet::new();
        let mut batch = Vec::with_capacity(1_000);
        for _ in 0..200 {
            batch.clear();
            for _ in 0..1_000 {
                let name = &names[rng.below(1_000) as usize];
                let started = T0 + rng.below(36 * HOUR_MS);
                hours.insert((name, started / HOUR_MS));
                let mut r = record(name, started, 1.0 + rng.below(500) as f64);
                if rng.below(20) == 0 {
                    r.error_type = Some("Unhandled".to_owned());
                }
                if started >= now - now % HOUR_MS - 23 * HOUR_MS {
                    let e = expected.entry(name).or_default();
                    e.0 += 1;
                    e.1 += u64::from(r.error_type.is_some());
                }
                batch.push(r);
            }
            store.record(&batch).unwrap();
        }
        let summaries = store.function_summaries(now).unwrap();
        assert_eq!(summaries.len(), 1_000);
        for s in &summaries {
            assert_eq!(
                (s.invocations, s.errors),
                expected[s.function.as_str()],
                "{}",
                s.function
            );
            assert_eq!(s.hourly.iter().sum::<u64>(), s.invocations);
            assert!(s.p95_ms.is_some());
        }
        let count = |sql: &str| {
            store
                .read("counting", |conn| {
                    conn.query_row(sql, [], |row| row.get::<_, i64>(0))
                })
                .unwrap()
        };
        // One hourly row per function and hour with records (at most 36 per function, of which
        // the summaries read 24), against 200 records per function.
        assert_eq!(
            count("SELECT COUNT(*) FROM invocation_stats WHERE granularity_ms = 3600000"),
            hours.len() as i64
        );
        assert!(hours.len() <= 36_000);
        assert_eq!(count("SELECT COUNT(*) FROM invocations"), 200_000);
        store
            .read("emptying", |conn| {
                conn.execute("DELETE FROM invocations", [])
            })
            .unwrap();
        assert_eq!(store.function_summaries(now).unwrap(), summaries);
    }
}
