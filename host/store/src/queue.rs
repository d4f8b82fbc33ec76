//! The durable async event queue (file events, schedules, API `Event` invocations) and its dead
//! letters.
//!
//! A job is `ready` until a worker claims it, then `running` until the worker completes it (the
//! row is deleted), retries it (back to `ready` with a later `not_before_ms`) or dead-letters it
//! (moved to `dead_letters`). After a crash, `Store::recover` puts `running` jobs back.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use rusqlite::{Row, Transaction, params};
use serde::{Deserialize, Serialize};
use tracing::info;

use fnhost_core::{Lineage, Trigger};

use crate::CheckpointChange;
use crate::checkpoints::apply_checkpoint_changes;
use crate::error::{StoreError, TxError};
use crate::store::{Sqlite, get_u64, sql_u64, sql_usize};

/// `jobs.state` of a job waiting to be claimed.
pub(crate) const READY: i16 = 0;
/// `jobs.state` of a claimed job.
pub(crate) const RUNNING: i16 = 1;

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewJob {
    /// The function to invoke.
    pub function: String,
    /// The event, JSON.
    pub payload: Vec<u8>,
    /// What delivered the event (a queued trigger: s3, schedule or api-event); stored as its
    /// AWS event source.
    pub trigger: Trigger,
    /// The request id every attempt uses.
    pub request_id: String,
    /// Attempts before the job is dead-lettered (1..=3).
    pub max_attempts: u32,
    /// When the event was accepted (unix ms).
    pub enqueued_at_ms: u64,
    /// After this (unix ms) the event is too old to deliver.
    pub expires_at_ms: u64,
    /// Not claimed before this (unix ms).
    pub not_before_ms: u64,
    /// The invocation chain the event belongs to (loop guard).
    pub lineage: Lineage,
}

/// A queued job, as `Store::claim` hands it out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The job id (never reused).
    pub id: i64,
    /// The function to invoke.
    pub function: String,
    /// The event, JSON.
    pub payload: Vec<u8>,
    /// What delivered the event.
    pub trigger: Trigger,
    /// The request id every attempt uses.
    pub request_id: String,
    /// Attempts so far, including the one just claimed.
    pub attempts: u32,
    /// Attempts before the job is dead-lettered.
    pub max_attempts: u32,
    /// When the event was accepted (unix ms).
    pub enqueued_at_ms: u64,
    /// After this (unix ms) the event is too old to deliver.
    pub expires_at_ms: u64,
    /// Not claimed before this (unix ms).
    pub not_before_ms: u64,
    /// The invocation chain and this event's depth in it.
    pub lineage: Lineage,
    /// The error of the previous attempt, if any.
    pub last_error: Option<String>,
}

/// Why a job was dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeadReason {
    /// Every attempt failed.
    RetriesExhausted,
    /// The event outlived its maximum age before it could be delivered.
    EventTooOld,
    /// The chain re-triggered itself too often (loop guard).
    LoopDetected,
    /// The function no longer exists.
    FunctionGone,
}

impl DeadReason {
    /// Every reason, in declaration order.
    pub const ALL: [DeadReason; 4] = [
        DeadReason::RetriesExhausted,
        DeadReason::EventTooOld,
        DeadReason::LoopDetected,
        DeadReason::FunctionGone,
    ];

    /// The name stored and shown: `RetriesExhausted`, `EventTooOld`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DeadReason::RetriesExhausted => "RetriesExhausted",
            DeadReason::EventTooOld => "EventTooOld",
            DeadReason::LoopDetected => "LoopDetected",
            DeadReason::FunctionGone => "FunctionGone",
        }
    }
}

impl fmt::Display for DeadReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no [`DeadReason`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown dead-letter reason `{0}`: expected RetriesExhausted, EventTooOld, LoopDetected or FunctionGone"
)]
pub struct UnknownDeadReason(pub String);

impl FromStr for DeadReason {
    type Err = UnknownDeadReason;

    fn from_str(s: &str) -> Result<DeadReason, UnknownDeadReason> {
        DeadReason::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownDeadReason(s.to_owned()))
    }
}

/// A job that will not be retried, kept for inspection and redrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadLetter {
    /// The dead-letter id (never reused).
    pub id: i64,
    /// The function.
    pub function: String,
    /// The event, JSON.
    pub payload: Vec<u8>,
    /// What delivered the event.
    pub trigger: Trigger,
    /// The request id.
    pub request_id: String,
    /// Attempts made.
    pub attempts: u32,
    /// Attempts allowed.
    pub max_attempts: u32,
    /// The last error.
    pub error: String,
    /// Why it was given up.
    pub reason: DeadReason,
    /// The invocation chain and the event's depth in it.
    pub lineage: Lineage,
    /// When the event was accepted (unix ms).
    pub enqueued_at_ms: u64,
    /// When it was given up (unix ms).
    pub failed_at_ms: u64,
}

/// The columns of a job, in the order [`job_from`] reads them.
pub(crate) const JOB_COLUMNS: &str = "id, function, payload, source, request_id, attempts, \
     max_attempts, enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop, last_error";

/// Claims the due jobs (`?1` now, `?2` limit): the subquery walks the index
/// `(state, not_before_ms, id)` in order, so its cost is the limit, not the backlog.
pub(crate) static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE jobs SET state = {RUNNING}, attempts = attempts + 1 \
         WHERE id IN (SELECT id FROM jobs WHERE state = {READY} AND not_before_ms <= ?1 \
                      ORDER BY not_before_ms, id LIMIT ?2) \
         RETURNING {JOB_COLUMNS}"
    )
});

/// The number of queued jobs, which triggers keep (schema migration 9).
const JOB_COUNT_SQL: &str = "SELECT n FROM job_count WHERE id = 0";

/// Depth and oldest event per function, from the index `jobs_function` alone.
pub(crate) const QUEUE_BY_FUNCTION_SQL: &str = "SELECT function, COUNT(*), MIN(enqueued_at_ms) \
     FROM jobs GROUP BY function ORDER BY function";

/// A stored row read by column position: what decoding a [`Job`], a [`DeadLetter`] or a
/// [`Checkpoint`](crate::Checkpoint) needs from a row of either backend, so that each decoding
/// is written once ([`job_from`], [`dead_letter_from`], `checkpoint_from`).
pub(crate) trait StoredRow {
    /// The backend's error.
    type Error;

    /// A signed integer column.
    fn int(&self, i: usize) -> Result<i64, Self::Error>;

    /// A non-negative integer column.
    fn uint(&self, i: usize) -> Result<u64, Self::Error>;

    /// A small non-negative integer column (attempts, hops).
    fn small(&self, i: usize) -> Result<u32, Self::Error>;

    /// A text column.
    fn text(&self, i: usize) -> Result<String, Self::Error>;

    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;

    /// A blob column.
    fn blob(&self, i: usize) -> Result<Vec<u8>, Self::Error>;

    /// The error for column `i`, whose value was read but does not decode.
    fn invalid(&self, i: usize, error: Box<dyn std::error::Error + Send + Sync>) -> Self::Error;
}

impl StoredRow for Row<'_> {
    type Error = rusqlite::Error;

    fn int(&self, i: usize) -> rusqlite::Result<i64> {
        self.get(i)
    }

    fn uint(&self, i: usize) -> rusqlite::Result<u64> {
        get_u64(self, i)
    }

    fn small(&self, i: usize) -> rusqlite::Result<u32> {
        self.get(i)
    }

    fn text(&self, i: usize) -> rusqlite::Result<String> {
        self.get(i)
    }

    fn opt_text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }

    fn blob(&self, i: usize) -> rusqlite::Result<Vec<u8>> {
        self.get(i)
    }

    fn invalid(
        &self,
        i: usize,
        error: Box<dyn std::error::Error + Send + Sync>,
    ) -> rusqlite::Error {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, error)
    }
}

/// The trigger stored in column `i` as its AWS event source.
fn trigger_from<R: StoredRow>(row: &R, i: usize) -> Result<Trigger, R::Error> {
    let source = row.text(i)?;
    Trigger::from_event_source(&source).map_err(|e| row.invalid(i, Box::new(e)))
}

/// The lineage stored in columns `chain` (chain id) and `chain + 1` (hop).
fn lineage_from<R: StoredRow>(row: &R, chain: usize) -> Result<Lineage, R::Error> {
    Ok(Lineage {
        chain_id: row.text(chain)?,
        hop: row.small(chain + 1)?,
    })
}

/// A job from a row of [`JOB_COLUMNS`].
pub(crate) fn job_from<R: StoredRow>(row: &R) -> Result<Job, R::Error> {
    Ok(Job {
        id: row.int(0)?,
        function: row.text(1)?,
        payload: row.blob(2)?,
        trigger: trigger_from(row, 3)?,
        request_id: row.text(4)?,
        attempts: row.small(5)?,
        max_attempts: row.small(6)?,
        enqueued_at_ms: row.uint(7)?,
        expires_at_ms: row.uint(8)?,
        not_before_ms: row.uint(9)?,
        lineage: lineage_from(row, 10)?,
        last_error: row.opt_text(12)?,
    })
}

/// The columns of a dead letter, in the order [`dead_letter_from`] reads them.
pub(crate) const DEAD_COLUMNS: &str = "id, function, payload, source, request_id, attempts, \
     max_attempts, error, reason, chain_id, hop, enqueued_at_ms, failed_at_ms";

/// A dead letter from a row of [`DEAD_COLUMNS`].
pub(crate) fn dead_letter_from<R: StoredRow>(row: &R) -> Result<DeadLetter, R::Error> {
    let reason = row.text(8)?;
    let reason = reason.parse().map_err(|e| row.invalid(8, Box::new(e)))?;
    Ok(DeadLetter {
        id: row.int(0)?,
        function: row.text(1)?,
        payload: row.blob(2)?,
        trigger: trigger_from(row, 3)?,
        request_id: row.text(4)?,
        attempts: row.small(5)?,
        max_attempts: row.small(6)?,
        error: row.text(7)?,
        reason,
        lineage: lineage_from(row, 9)?,
        enqueued_at_ms: row.uint(11)?,
        failed_at_ms: row.uint(12)?,
    })
}

/// `ids` without repeats, in the order each first appears (what [`QueueStore::redrive`] moves).
pub(crate) fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Logs what [`QueueStore::recover`] put back, and returns it.
pub(crate) fn recovered(jobs: u64) -> u64 {
    if jobs > 0 {
        info!(jobs, "put jobs interrupted by a crash back in the queue");
    }
    jobs
}

/// Inserts jobs inside an open transaction, returning their ids in order.
fn insert_jobs(tx: &Transaction<'_>, jobs: &[NewJob]) -> rusqlite::Result<Vec<i64>> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO jobs (function, payload, source, request_id, state, attempts, max_attempts, \
         enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop) \
         VALUES (?1, ?2, ?3, ?4, 0, 0, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    jobs.iter()
        .map(|job| {
            stmt.insert(params![
                job.function,
                job.payload,
                job.trigger.event_source(),
                job.request_id,
                job.max_attempts,
                sql_u64(job.enqueued_at_ms),
                sql_u64(job.expires_at_ms),
                sql_u64(job.not_before_ms),
                job.lineage.chain_id,
                job.lineage.hop,
            ])
        })
        .collect()
}

/// The asynchronous event queue and its dead letters.
pub trait QueueStore {
    /// Enqueues `jobs` and applies `checkpoints` in one transaction: both happen or neither.
    /// Returns the job ids in the order of `jobs`.
    fn enqueue(
        &self,
        jobs: &[NewJob],
        checkpoints: &[CheckpointChange],
    ) -> Result<Vec<i64>, StoreError>;

    /// Claims up to `limit` ready jobs whose `not_before_ms <= now_ms` and marks them running,
    /// counting the attempt. Jobs come in the order they became due (`not_before_ms`, then id):
    /// for jobs enqueued to run at once that is enqueue order, and the index
    /// `(state, not_before_ms, id)` serves it without sorting, however long the backlog.
    ///
    /// On a queue that several nodes share (PostgreSQL), a claim is a lease that the claiming
    /// handle keeps renewing while it lives; a running job whose lease ran out (its node died)
    /// is claimed again like a ready one, its interrupted attempt counted.
    fn claim(&self, now_ms: u64, limit: usize) -> Result<Vec<Job>, StoreError>;

    /// The earliest `not_before_ms` among ready jobs (a worker with nothing to claim sleeps
    /// until then), or `None` when no job is ready.
    fn next_due_ms(&self) -> Result<Option<u64>, StoreError>;

    /// Removes finished jobs, in one transaction. Ids no longer queued are ignored.
    fn complete(&self, ids: &[i64]) -> Result<(), StoreError>;

    /// Puts a claimed job back to ready, not to be claimed before `not_before_ms`, with the
    /// attempt's error.
    fn retry(&self, id: i64, error: &str, not_before_ms: u64) -> Result<(), StoreError>;

    /// Puts a claimed job back without counting the claim as an attempt (the invocation never
    /// ran, e.g. it was throttled); it becomes due again at `not_before_ms`.
    fn release(&self, id: i64, not_before_ms: u64) -> Result<(), StoreError>;

    /// Moves a job from the queue into the dead letters, in one transaction; returns the
    /// dead-letter id.
    fn dead_letter(
        &self,
        id: i64,
        error: &str,
        reason: DeadReason,
        now_ms: u64,
    ) -> Result<i64, StoreError>;

    /// At startup: puts every running job (claimed by a process that died) back to ready and
    /// returns how many. The interrupted attempt still counts against `max_attempts`, so an
    /// event that kills the host cannot loop forever. On a queue that several nodes share
    /// (PostgreSQL), only the jobs whose lease ran out go back: other nodes' running jobs are
    /// left alone.
    fn recover(&self) -> Result<u64, StoreError>;

    /// Like `Store::enqueue` without checkpoints, but only while the queue holds fewer than
    /// `limit` jobs (ready or running) once `jobs` are added: otherwise nothing is queued and
    /// the call fails with [`StoreError::QueueFull`]. The count and the insert are one
    /// transaction, so on SQLite concurrent callers cannot overshoot the limit together; on
    /// PostgreSQL, callers on several connections that count at the same moment may overshoot
    /// it by their own jobs (the limit bounds the disk, and an accepted job is never dropped).
    fn enqueue_within(&self, jobs: &[NewJob], limit: u64) -> Result<Vec<i64>, StoreError>;

    /// Dead-letter retention: deletes the dead letters that failed before `older_than_ms`;
    /// returns how many went.
    fn prune_dead_letters(&self, older_than_ms: u64) -> Result<u64, StoreError>;

    /// Jobs in the queue, ready or running.
    fn queue_depth(&self) -> Result<u64, StoreError>;

    /// Jobs in the queue (ready or running) per function, by name.
    fn queue_depth_by_function(&self) -> Result<Vec<(String, u64)>, StoreError>;

    /// The queue per function, by name: jobs queued (ready or running) and the age at `now_ms`
    /// of the oldest one's event (since it was accepted), ms. Read from the index
    /// `(function, enqueued_at_ms)` alone.
    fn queue_by_function(&self, now_ms: u64) -> Result<Vec<(String, u64, u64)>, StoreError>;

    /// Dead letters, oldest first, of one function or all.
    fn dead_letters(&self, function: Option<&str>) -> Result<Vec<DeadLetter>, StoreError>;

    /// How many dead letters there are.
    fn dead_letter_count(&self) -> Result<u64, StoreError>;

    /// Moves dead letters back into the queue in one transaction: those in `ids` (each must
    /// exist and, if `function` is given, belong to it), or with `ids` empty every dead letter
    /// (of `function` if given). The new jobs keep request id, payload, source, max attempts,
    /// chain and hop, start again at attempt 0, are due at `now_ms` and expire at
    /// `expires_at_ms`; their `last_error` is the dead letter's error. Returns the new job ids,
    /// in the order of `ids` (or of the dead-letter ids).
    fn redrive(
        &self,
        ids: &[i64],
        function: Option<&str>,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<Vec<i64>, StoreError>;
}

impl QueueStore for Sqlite {
    fn enqueue(
        &self,
        jobs: &[NewJob],
        checkpoints: &[CheckpointChange],
    ) -> Result<Vec<i64>, StoreError> {
        if jobs.is_empty() && checkpoints.is_empty() {
            return Ok(Vec::new());
        }
        self.write("enqueuing jobs", |tx| {
            let ids = insert_jobs(tx, jobs)?;
            apply_checkpoint_changes(tx, checkpoints)?;
            Ok(ids)
        })
    }

    fn claim(&self, now_ms: u64, limit: usize) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.write("claiming jobs", |tx| {
            let mut stmt = tx.prepare_cached(&CLAIM_SQL)?;
            let mut jobs = stmt
                .query_map(params![sql_u64(now_ms), sql_usize(limit)], |row| {
                    job_from(row)
                })?
                .collect::<rusqlite::Result<Vec<Job>>>()?;
            // RETURNING yields rows in no promised order.
            jobs.sort_by_key(|job| (job.not_before_ms, job.id));
            Ok(jobs)
        })
    }

    fn next_due_ms(&self) -> Result<Option<u64>, StoreError> {
        self.read("reading the next due job", |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT MIN(not_before_ms) FROM jobs WHERE state = {READY}"
            ))?;
            stmt.query_row([], |row| crate::store::get_opt_u64(row, 0))
        })
    }

    fn complete(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write("completing jobs", |tx| {
            let mut stmt = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
            for id in ids {
                stmt.execute([id])?;
            }
            Ok(())
        })
    }

    fn retry(&self, id: i64, error: &str, not_before_ms: u64) -> Result<(), StoreError> {
        self.write("retrying a job", |tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE jobs SET state = {READY}, last_error = ?2, not_before_ms = ?3 WHERE id = ?1"
            ))?;
            match stmt.execute(params![id, error, sql_u64(not_before_ms)])? {
                0 => Err(StoreError::UnknownJob { id }.into()),
                _ => Ok(()),
            }
        })
    }

    fn release(&self, id: i64, not_before_ms: u64) -> Result<(), StoreError> {
        self.write("releasing a job", |tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE jobs SET state = {READY}, attempts = MAX(attempts - 1, 0), \
                 not_before_ms = ?2 WHERE id = ?1"
            ))?;
            match stmt.execute(params![id, sql_u64(not_before_ms)])? {
                0 => Err(StoreError::UnknownJob { id }.into()),
                _ => Ok(()),
            }
        })
    }

    fn dead_letter(
        &self,
        id: i64,
        error: &str,
        reason: DeadReason,
        now_ms: u64,
    ) -> Result<i64, StoreError> {
        self.write("dead-lettering a job", |tx| {
            let mut insert = tx.prepare_cached(
                "INSERT INTO dead_letters (function, payload, source, request_id, attempts, \
                 max_attempts, error, reason, chain_id, hop, enqueued_at_ms, failed_at_ms) \
                 SELECT function, payload, source, request_id, attempts, max_attempts, ?2, ?3, \
                 chain_id, hop, enqueued_at_ms, ?4 FROM jobs WHERE id = ?1",
            )?;
            if insert.execute(params![id, error, reason.as_str(), sql_u64(now_ms)])? == 0 {
                return Err(StoreError::UnknownJob { id }.into());
            }
            let dead_id = tx.last_insert_rowid();
            tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?
                .execute([id])?;
            Ok(dead_id)
        })
    }

    fn recover(&self) -> Result<u64, StoreError> {
        let n = self.write("recovering running jobs", |tx| {
            let mut stmt = tx.prepare_cached(&format!(
                "UPDATE jobs SET state = {READY} WHERE state = {RUNNING}"
            ))?;
            Ok(stmt.execute([])?)
        })?;
        Ok(recovered(n as u64))
    }

    fn enqueue_within(&self, jobs: &[NewJob], limit: u64) -> Result<Vec<i64>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        self.write("enqueuing jobs", |tx| {
            let depth = tx
                .prepare_cached(JOB_COUNT_SQL)?
                .query_row([], |row| get_u64(row, 0))?;
            if depth.saturating_add(jobs.len() as u64) > limit {
                return Err(StoreError::QueueFull { depth, limit }.into());
            }
            Ok(insert_jobs(tx, jobs)?)
        })
    }

    fn prune_dead_letters(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        self.write("pruning dead letters", |tx| {
            let n = tx
                .prepare_cached("DELETE FROM dead_letters WHERE failed_at_ms < ?1")?
                .execute([sql_u64(older_than_ms)])?;
            Ok(n as u64)
        })
    }

    fn queue_depth(&self) -> Result<u64, StoreError> {
        self.read("counting queued jobs", |conn| {
            conn.prepare_cached(JOB_COUNT_SQL)?
                .query_row([], |row| get_u64(row, 0))
        })
    }

    fn queue_depth_by_function(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read("counting queued jobs per function", |conn| {
            conn.prepare_cached(
                "SELECT function, COUNT(*) FROM jobs GROUP BY function ORDER BY function",
            )?
            .query_map([], |row| Ok((row.get(0)?, get_u64(row, 1)?)))?
            .collect()
        })
    }

    fn queue_by_function(&self, now_ms: u64) -> Result<Vec<(String, u64, u64)>, StoreError> {
        self.read("measuring the queue per function", |conn| {
            conn.prepare_cached(QUEUE_BY_FUNCTION_SQL)?
                .query_map([], |row| {
                    let oldest = get_u64(row, 2)?;
                    Ok((row.get(0)?, get_u64(row, 1)?, now_ms.saturating_sub(oldest)))
                })?
                .collect()
        })
    }

    fn dead_letters(&self, function: Option<&str>) -> Result<Vec<DeadLetter>, StoreError> {
        self.read("listing dead letters", |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {DEAD_COLUMNS} FROM dead_letters \
                 WHERE ?1 IS NULL OR function = ?1 ORDER BY id"
            ))?;
            stmt.query_map([function], |row| dead_letter_from(row))?
                .collect()
        })
    }

    fn dead_letter_count(&self) -> Result<u64, StoreError> {
        self.read("counting dead letters", |conn| {
            conn.prepare_cached("SELECT COUNT(*) FROM dead_letters")?
                .query_row([], |row| get_u64(row, 0))
        })
    }

    fn redrive(
        &self,
        ids: &[i64],
        function: Option<&str>,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<Vec<i64>, StoreError> {
        self.write("redriving dead letters", |tx| {
            let ids = if ids.is_empty() {
                tx.prepare_cached(
                    "SELECT id FROM dead_letters WHERE ?1 IS NULL OR function = ?1 ORDER BY id",
                )?
                .query_map([function], |row| row.get::<_, i64>(0))?
                .collect::<rusqlite::Result<Vec<i64>>>()?
            } else {
                distinct(ids)
            };
            let mut insert = tx.prepare_cached(
                "INSERT INTO jobs (function, payload, source, request_id, state, attempts, \
                 max_attempts, enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop, \
                 last_error) \
                 SELECT function, payload, source, request_id, 0, 0, max_attempts, ?3, ?4, ?3, \
                 chain_id, hop, error FROM dead_letters \
                 WHERE id = ?1 AND (?2 IS NULL OR function = ?2)",
            )?;
            let mut delete = tx.prepare_cached("DELETE FROM dead_letters WHERE id = ?1")?;
            let mut new_ids = Vec::with_capacity(ids.len());
            for id in ids {
                if insert.execute(params![
                    id,
                    function,
                    sql_u64(now_ms),
                    sql_u64(expires_at_ms)
                ])? == 0
                {
                    return Err(TxError::Store(StoreError::UnknownDeadLetter { id }));
                }
                new_ids.push(tx.last_insert_rowid());
                delete.execute([id])?;
            }
            Ok(new_ids)
        })
    }
}
