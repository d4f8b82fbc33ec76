//! The event queue and its dead letters on PostgreSQL, shared by every node of a cluster.
//!
//! # Leases
//!
//! A claim leases the job to the claiming store handle (one per `fnhost up` process), named in
//! `leased_by`, until `lease_until_ms` ([`LEASE_MS`] after the claim). While the handle lives, a
//! thread of its own (started by its first claim) renews every lease it holds each
//! [`RENEW_EVERY`], so a job keeps its lease however long it runs. Claims lock the rows they
//! take with `FOR UPDATE SKIP LOCKED`, so nodes claiming at once never wait for each other and
//! never take the same job; a claim takes the ready jobs that are due and also the running jobs
//! whose lease ran out, in the order they became due.
//!
//! # What a crash means
//!
//! - A node that dies (`kill -9`, a lost machine) stops renewing. Its running jobs stay
//!   running until their leases run out, at most [`LEASE_MS`] after its last renewal; then any
//!   node's claim takes them again, the interrupted attempt counted (as SQLite's
//!   [`recover`](crate::QueueStore::recover) counts it), so retries, the maximum event age and
//!   dead letters apply as on one node. Delivery is at least once: the only jobs that run twice
//!   are those the dead node held. Jobs it had not claimed are not delayed at all.
//! - [`recover`](crate::QueueStore::recover) at a node's start puts back only the jobs whose
//!   lease already ran out; the running jobs of live nodes are theirs. A node restarted within
//!   a lease finds its own former jobs still leased; they are claimed when the lease ends.
//! - A node cut off from the database (or frozen) for longer than a lease loses its leases to
//!   other nodes, which run those jobs again. When it comes back, what it reports for them
//!   (completed, retried, dead-lettered) still applies to the job, as the trait's methods take
//!   no lease: a job may run twice, none is lost.
//! - Leases compare one node's clock (`now_ms` of the claim) with another's (the renewal):
//!   nodes' clocks must agree to well within a lease (NTP does).
//!
//! # Other differences from SQLite
//!
//! - The depth is not counted but kept by triggers in `job_count` (migration V21), so that the
//!   queue cap costs the same with a backlog of 100,000 jobs as with none.
//!   [`enqueue_within`](crate::QueueStore::enqueue_within) reads it and inserts in one
//!   statement, without locking the table: callers on several connections that read it at the
//!   same moment may each fit under the limit and overshoot it together, by their own jobs at
//!   most.
//! - [`next_due_ms`](crate::QueueStore::next_due_ms) reads ready jobs only, not leases about to
//!   run out (the delivery worker polls anyway).
//! - Batches are single statements: jobs are inserted from arrays (`UNNEST`), completed with
//!   `id = ANY($1)`; ids are assigned in the order of the batch. The statements of the hot path
//!   (enqueue, claim, complete) run in autocommit, one round trip each, prepared once per
//!   connection ([`Postgres::query_prepared`]); the rarer ones (retry, release, dead letters)
//!   are sent with their parameters' types.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::Duration;

use fnhost_core::unix_ms;
use postgres::types::Type;
use postgres::{Client, GenericClient, Row};
use r2d2::Pool;
use tracing::{debug, warn};

use super::checkpoints::apply_checkpoint_changes;
use super::{Manager, Param, Postgres, pg_u64, to_u64};
use crate::error::TxError;
use crate::queue::{
    DEAD_COLUMNS, JOB_COLUMNS, QUEUE_BY_FUNCTION_SQL, READY, RUNNING, StoredRow, dead_letter_from,
    distinct, job_from, recovered,
};
use crate::{CheckpointChange, DeadLetter, DeadReason, Job, NewJob, QueueStore, StoreError};

/// How long a claim holds a job without renewal: how long a dead node's jobs wait before
/// another node runs them.
pub(crate) const LEASE_MS: u64 = 30_000;

/// How often a live handle renews its leases: a third of a lease, so that two renewals in a
/// row may fail (a busy pool, a database restart) before a lease runs out.
pub(crate) const RENEW_EVERY: Duration = Duration::from_millis(LEASE_MS / 3);

/// Inserts the jobs of the arrays `$1` … `$10`, in array order (so ids rise in that order).
const INSERT_JOBS: &str = "INSERT INTO jobs (function, payload, source, request_id, state, \
     attempts, max_attempts, enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop) \
     SELECT function, payload, source, request_id, 0, 0, max_attempts, enqueued_at_ms, \
     expires_at_ms, not_before_ms, chain_id, hop \
     FROM UNNEST($1::text[], $2::bytea[], $3::text[], $4::text[], $5::integer[], $6::bigint[], \
     $7::bigint[], $8::bigint[], $9::text[], $10::integer[]) WITH ORDINALITY \
     AS batch(function, payload, source, request_id, max_attempts, enqueued_at_ms, expires_at_ms, \
     not_before_ms, chain_id, hop, pos)";

/// [`INSERT_JOBS`], returning the new ids.
static ENQUEUE_SQL: LazyLock<String> =
    LazyLock::new(|| format!("{INSERT_JOBS} ORDER BY pos RETURNING id"));

/// The number of queued jobs, from the counter the triggers of migration V21 keep.
const DEPTH: &str = "(SELECT COALESCE(SUM(n), 0)::BIGINT FROM job_count)";

/// [`INSERT_JOBS`] only if the queue holds no more than `$11` jobs with the `$12` new ones;
/// returns the new ids (none if refused).
static ENQUEUE_WITHIN_SQL: LazyLock<String> =
    LazyLock::new(|| format!("{INSERT_JOBS} WHERE {DEPTH} + $12 <= $11 ORDER BY pos RETURNING id"));

/// The soonest a ready job is due.
static NEXT_DUE_SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT MIN(not_before_ms) FROM jobs WHERE state = {READY}"));

/// Claims due jobs (`$1` now, `$2` limit) for holder `$3` until `$4`: ready ones from the
/// index `(state, not_before_ms, id)`, running ones whose lease ran out from the partial index
/// `jobs_leases`, skipping rows other nodes are claiming.
static CLAIM_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH ready AS ( \
             SELECT id, not_before_ms FROM jobs \
             WHERE state = {READY} AND not_before_ms <= $1 \
             ORDER BY not_before_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
         lapsed AS ( \
             SELECT id, not_before_ms FROM jobs \
             WHERE state = {RUNNING} AND lease_until_ms <= $1 \
             ORDER BY lease_until_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED), \
         picked AS ( \
             SELECT id AS job FROM (SELECT * FROM ready UNION ALL SELECT * FROM lapsed) due \
             ORDER BY not_before_ms, id LIMIT $2) \
         UPDATE jobs SET state = {RUNNING}, attempts = attempts + 1, leased_by = $3, \
             lease_until_ms = $4 \
         FROM picked WHERE jobs.id = picked.job \
         RETURNING {JOB_COLUMNS}"
    )
});

/// Moves the (locked) dead letters `$1` back into the queue in array order, due at `$2`,
/// expiring at `$3`; returns the new job ids.
static REDRIVE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH wanted AS (SELECT id, pos FROM UNNEST($1::bigint[]) WITH ORDINALITY AS w(id, pos)), \
         gone AS (DELETE FROM dead_letters d USING wanted WHERE d.id = wanted.id \
                  RETURNING d.*, wanted.pos) \
         INSERT INTO jobs (function, payload, source, request_id, state, attempts, max_attempts, \
             enqueued_at_ms, expires_at_ms, not_before_ms, chain_id, hop, last_error) \
         SELECT function, payload, source, request_id, {READY}, 0, max_attempts, $2, $3, $2, \
             chain_id, hop, error FROM gone ORDER BY pos \
         RETURNING id"
    )
});

/// A `usize` count or limit as `BIGINT`, saturating.
fn pg_usize(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// A `u32` (attempts, hops) as `INTEGER`, saturating.
fn pg_u32(value: u32) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// The name of column `i` of `row`, for messages.
fn column_name(row: &Row, i: usize) -> &str {
    row.columns().get(i).map_or("?", |c| c.name())
}

impl StoredRow for Row {
    type Error = TxError;

    fn int(&self, i: usize) -> Result<i64, TxError> {
        let ty = self.columns().get(i).map(|c| c.type_());
        Ok(if ty == Some(&Type::INT2) {
            i64::from(self.try_get::<_, i16>(i)?)
        } else if ty == Some(&Type::INT4) {
            i64::from(self.try_get::<_, i32>(i)?)
        } else {
            self.try_get::<_, i64>(i)?
        })
    }

    fn uint(&self, i: usize) -> Result<u64, TxError> {
        to_u64(self.int(i)?, column_name(self, i))
    }

    fn small(&self, i: usize) -> Result<u32, TxError> {
        let value = self.int(i)?;
        u32::try_from(value).map_err(|_| {
            TxError::Corrupt(format!("`{}` out of range: {value}", column_name(self, i)))
        })
    }

    fn text(&self, i: usize) -> Result<String, TxError> {
        Ok(self.try_get(i)?)
    }

    fn opt_text(&self, i: usize) -> Result<Option<String>, TxError> {
        Ok(self.try_get(i)?)
    }

    fn blob(&self, i: usize) -> Result<Vec<u8>, TxError> {
        Ok(self.try_get(i)?)
    }

    fn invalid(&self, i: usize, error: Box<dyn std::error::Error + Send + Sync>) -> TxError {
        TxError::Corrupt(format!("`{}`: {error}", column_name(self, i)))
    }
}

/// New jobs as the arrays of [`INSERT_JOBS`].
struct Columns<'a> {
    function: Vec<&'a str>,
    payload: Vec<&'a [u8]>,
    source: Vec<&'static str>,
    request_id: Vec<&'a str>,
    max_attempts: Vec<i32>,
    enqueued_at_ms: Vec<i64>,
    expires_at_ms: Vec<i64>,
    not_before_ms: Vec<i64>,
    chain_id: Vec<&'a str>,
    hop: Vec<i32>,
}

impl<'a> Columns<'a> {
    fn of(jobs: &'a [NewJob]) -> Columns<'a> {
        Columns {
            function: jobs.iter().map(|j| j.function.as_str()).collect(),
            payload: jobs.iter().map(|j| j.payload.as_slice()).collect(),
            source: jobs.iter().map(|j| j.trigger.event_source()).collect(),
            request_id: jobs.iter().map(|j| j.request_id.as_str()).collect(),
            max_attempts: jobs.iter().map(|j| pg_u32(j.max_attempts)).collect(),
            enqueued_at_ms: jobs.iter().map(|j| pg_u64(j.enqueued_at_ms)).collect(),
            expires_at_ms: jobs.iter().map(|j| pg_u64(j.expires_at_ms)).collect(),
            not_before_ms: jobs.iter().map(|j| pg_u64(j.not_before_ms)).collect(),
            chain_id: jobs.iter().map(|j| j.lineage.chain_id.as_str()).collect(),
            hop: jobs.iter().map(|j| pg_u32(j.lineage.hop)).collect(),
        }
    }

    /// The parameters `$1` … `$10` of [`INSERT_JOBS`].
    fn params(&self) -> [Param<'_>; 10] {
        [
            (&self.function, Type::TEXT_ARRAY),
            (&self.payload, Type::BYTEA_ARRAY),
            (&self.source, Type::TEXT_ARRAY),
            (&self.request_id, Type::TEXT_ARRAY),
            (&self.max_attempts, Type::INT4_ARRAY),
            (&self.enqueued_at_ms, Type::INT8_ARRAY),
            (&self.expires_at_ms, Type::INT8_ARRAY),
            (&self.not_before_ms, Type::INT8_ARRAY),
            (&self.chain_id, Type::TEXT_ARRAY),
            (&self.hop, Type::INT4_ARRAY),
        ]
    }
}

/// Inserts jobs in one statement, returning their ids in order.
fn insert_jobs(tx: &mut impl GenericClient, jobs: &[NewJob]) -> Result<Vec<i64>, TxError> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let columns = Columns::of(jobs);
    let rows = tx.query_typed(ENQUEUE_SQL.as_str(), &columns.params())?;
    inserted_ids(&rows)
}

/// The ids an insert returned, in the order it inserted the rows: identity values rise in
/// insertion order, while RETURNING promises no order.
fn inserted_ids(rows: &[Row]) -> Result<Vec<i64>, TxError> {
    let mut ids = rows
        .iter()
        .map(|row| row.try_get::<_, i64>(0))
        .collect::<Result<Vec<i64>, _>>()?;
    ids.sort_unstable();
    Ok(ids)
}

/// The lease holder a store handle is, and the thread renewing its leases.
pub(crate) struct Leases {
    /// `host/pid/start ms/handle`: unique per handle, and telling an operator who holds a job.
    holder: String,
    renewer: Mutex<Option<Renewer>>,
}

impl Leases {
    /// A new holder, renewing nothing until [`Leases::keep_renewed`].
    pub(crate) fn new() -> Leases {
        static HANDLES: AtomicU64 = AtomicU64::new(0);
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "host".to_owned());
        Leases {
            holder: format!(
                "{host}/{}/{}/{}",
                std::process::id(),
                unix_ms(),
                HANDLES.fetch_add(1, Ordering::Relaxed)
            ),
            renewer: Mutex::new(None),
        }
    }

    /// Starts the renewing thread unless it runs. If no thread can be started, the jobs still
    /// run, but one that outlives its lease may run again elsewhere: said in a warning, and
    /// tried again at the next claim.
    fn keep_renewed(&self, pool: &Pool<Manager>) {
        let mut renewer = self
            .renewer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if renewer.is_some() {
            return;
        }
        let (stop, stopped) = mpsc::channel();
        let (pool, holder) = (pool.clone(), self.holder.clone());
        match std::thread::Builder::new()
            .name("fnhost-store-leases".to_owned())
            .spawn(move || renew_until_stopped(&pool, &holder, &stopped))
        {
            Ok(thread) => {
                *renewer = Some(Renewer {
                    stop: Some(stop),
                    thread: Some(thread),
                })
            }
            Err(e) => warn!(error = %e, "cannot start the thread renewing the queue's leases"),
        }
    }
}

/// The renewing thread; dropping it stops the thread and waits for it.
struct Renewer {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Renewer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            warn!("the thread renewing the queue's leases panicked");
        }
    }
}

/// Renews `holder`'s leases every [`RENEW_EVERY`] until `stopped` hangs up.
fn renew_until_stopped(pool: &Pool<Manager>, holder: &str, stopped: &mpsc::Receiver<()>) {
    while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(RENEW_EVERY) {
        let renewed = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut client| {
                renew(&mut client, holder, unix_ms()).map_err(|e| e.to_string())
            });
        match renewed {
            Ok(n) => debug!(holder, jobs = n, "renewed the queue's leases"),
            Err(error) => warn!(holder, %error, "cannot renew the queue's leases"),
        }
    }
}

/// Extends every lease `holder` holds to [`LEASE_MS`] after `now_ms` (never shortening one);
/// returns how many.
pub(crate) fn renew(
    client: &mut Client,
    holder: &str,
    now_ms: u64,
) -> Result<u64, postgres::Error> {
    client.execute_typed(
        &format!(
            "UPDATE jobs SET lease_until_ms = GREATEST(lease_until_ms, $2) \
             WHERE state = {RUNNING} AND leased_by = $1"
        ),
        &[
            (&holder, Type::TEXT),
            (&pg_u64(now_ms.saturating_add(LEASE_MS)), Type::INT8),
        ],
    )
}

impl Postgres {
    /// How long the jobs a node claimed wait, once it stopped renewing its leases (it died),
    /// before another node claims them again: ms.
    pub const QUEUE_LEASE_MS: u64 = LEASE_MS;

    /// Runs `f`, which sends one statement, in autocommit: the statement is its own
    /// transaction (`READ COMMITTED`, atomic as any), without the `BEGIN` and `COMMIT` round
    /// trips of [`Postgres::write_committed`], which the queue's hot path (an enqueue, a claim
    /// and a completion per event) cannot afford. Not retried: claims skip locked jobs instead of
    /// waiting, and the other statements lock the jobs of one call, which no other node works
    /// on while it holds their lease; should one still fail, the caller handles it as any store
    /// error (a job not completed runs again).
    fn statement<T: Send>(
        &self,
        op: &'static str,
        f: impl FnOnce(&mut Client) -> Result<T, TxError> + Send,
    ) -> Result<T, StoreError> {
        self.read(op, f)
    }

    /// Runs one statement that changes job `id`, failing with [`StoreError::UnknownJob`] when
    /// it changed nothing.
    fn change_job(
        &self,
        op: &'static str,
        sql: &str,
        params: &[Param<'_>],
        id: i64,
    ) -> Result<(), StoreError> {
        self.statement(op, |client| match client.execute_typed(sql, params)? {
            0 => Err(StoreError::UnknownJob { id }.into()),
            _ => Ok(()),
        })
    }
}

impl QueueStore for Postgres {
    fn enqueue(
        &self,
        jobs: &[NewJob],
        checkpoints: &[CheckpointChange],
    ) -> Result<Vec<i64>, StoreError> {
        if jobs.is_empty() && checkpoints.is_empty() {
            return Ok(Vec::new());
        }
        if checkpoints.is_empty() {
            let columns = Columns::of(jobs);
            let rows =
                self.query_prepared("enqueuing jobs", ENQUEUE_SQL.as_str(), &columns.params())?;
            return inserted_ids(&rows).map_err(|e| e.into_store("enqueuing jobs"));
        }
        self.write_committed("enqueuing jobs", |tx| {
            let ids = insert_jobs(tx, jobs)?;
            apply_checkpoint_changes(tx, checkpoints)?;
            Ok(ids)
        })
    }

    fn claim(&self, now_ms: u64, limit: usize) -> Result<Vec<Job>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        self.leases.keep_renewed(&self.pool);
        let holder = self.leases.holder.as_str();
        let until = pg_u64(now_ms.saturating_add(LEASE_MS));
        let rows = self.query_prepared(
            "claiming jobs",
            CLAIM_SQL.as_str(),
            &[
                (&pg_u64(now_ms), Type::INT8),
                (&pg_usize(limit), Type::INT8),
                (&holder, Type::TEXT),
                (&until, Type::INT8),
            ],
        )?;
        let mut jobs = rows
            .iter()
            .map(job_from)
            .collect::<Result<Vec<Job>, _>>()
            .map_err(|e| e.into_store("claiming jobs"))?;
        // RETURNING yields rows in no promised order.
        jobs.sort_by_key(|job| (job.not_before_ms, job.id));
        Ok(jobs)
    }

    fn next_due_ms(&self) -> Result<Option<u64>, StoreError> {
        const OP: &str = "reading the next due job";
        let rows = self.query_prepared(OP, NEXT_DUE_SQL.as_str(), &[])?;
        let due = match rows.first() {
            Some(row) => row.try_get::<_, Option<i64>>(0).map_err(TxError::from),
            None => Ok(None),
        };
        due.and_then(|due| due.map(|due| to_u64(due, "not_before_ms")).transpose())
            .map_err(|e| e.into_store(OP))
    }

    fn complete(&self, ids: &[i64]) -> Result<(), StoreError> {
        if ids.is_empty() {
            return Ok(());
        }
        self.execute_prepared(
            "completing jobs",
            "DELETE FROM jobs WHERE id = ANY($1)",
            &[(&ids, Type::INT8_ARRAY)],
        )?;
        Ok(())
    }

    fn retry(&self, id: i64, error: &str, not_before_ms: u64) -> Result<(), StoreError> {
        self.change_job(
            "retrying a job",
            &format!(
                "UPDATE jobs SET state = {READY}, last_error = $2, not_before_ms = $3, \
                 leased_by = NULL, lease_until_ms = NULL WHERE id = $1"
            ),
            &[
                (&id, Type::INT8),
                (&error, Type::TEXT),
                (&pg_u64(not_before_ms), Type::INT8),
            ],
            id,
        )
    }

    fn release(&self, id: i64, not_before_ms: u64) -> Result<(), StoreError> {
        self.change_job(
            "releasing a job",
            &format!(
                "UPDATE jobs SET state = {READY}, attempts = GREATEST(attempts - 1, 0), \
                 not_before_ms = $2, leased_by = NULL, lease_until_ms = NULL WHERE id = $1"
            ),
            &[(&id, Type::INT8), (&pg_u64(not_before_ms), Type::INT8)],
            id,
        )
    }

    fn dead_letter(
        &self,
        id: i64,
        error: &str,
        reason: DeadReason,
        now_ms: u64,
    ) -> Result<i64, StoreError> {
        self.statement("dead-lettering a job", |client| {
            let row = client.query_typed_opt(
                "WITH gone AS (DELETE FROM jobs WHERE id = $1 RETURNING *) \
                 INSERT INTO dead_letters (function, payload, source, request_id, attempts, \
                 max_attempts, error, reason, chain_id, hop, enqueued_at_ms, failed_at_ms) \
                 SELECT function, payload, source, request_id, attempts, max_attempts, $2, $3, \
                 chain_id, hop, enqueued_at_ms, $4 FROM gone RETURNING id",
                &[
                    (&id, Type::INT8),
                    (&error, Type::TEXT),
                    (&reason.as_str(), Type::TEXT),
                    (&pg_u64(now_ms), Type::INT8),
                ],
            )?;
            match row {
                Some(row) => Ok(row.try_get(0)?),
                None => Err(StoreError::UnknownJob { id }.into()),
            }
        })
    }

    fn recover(&self) -> Result<u64, StoreError> {
        let now = pg_u64(unix_ms());
        let n = self.statement("recovering running jobs", |client| {
            Ok(client.execute_typed(
                &format!(
                    "UPDATE jobs SET state = {READY}, leased_by = NULL, lease_until_ms = NULL \
                     WHERE state = {RUNNING} AND (lease_until_ms <= $1 OR lease_until_ms IS NULL)"
                ),
                &[(&now, Type::INT8)],
            )?)
        })?;
        Ok(recovered(n))
    }

    fn enqueue_within(&self, jobs: &[NewJob], limit: u64) -> Result<Vec<i64>, StoreError> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let columns = Columns::of(jobs);
        let (limit_sql, added) = (pg_u64(limit), pg_usize(jobs.len()));
        let mut params = columns.params().to_vec();
        params.extend::<[Param<'_>; 2]>([(&limit_sql, Type::INT8), (&added, Type::INT8)]);
        let rows = self.query_prepared("enqueuing jobs", ENQUEUE_WITHIN_SQL.as_str(), &params)?;
        if !rows.is_empty() {
            return inserted_ids(&rows).map_err(|e| e.into_store("enqueuing jobs"));
        }
        // Refused: the depth for the message (it may have changed since; it is only told).
        self.read("enqueuing jobs", |client| {
            let depth = client.query_typed_one(&format!("SELECT {DEPTH}"), &[])?;
            let depth = depth.uint(0)?;
            Err(StoreError::QueueFull { depth, limit }.into())
        })
    }

    fn prune_dead_letters(&self, older_than_ms: u64) -> Result<u64, StoreError> {
        self.statement("pruning dead letters", |client| {
            Ok(client.execute_typed(
                "DELETE FROM dead_letters WHERE failed_at_ms < $1",
                &[(&pg_u64(older_than_ms), Type::INT8)],
            )?)
        })
    }

    fn queue_depth(&self) -> Result<u64, StoreError> {
        self.read("counting queued jobs", |client| {
            client
                .query_typed_one(&format!("SELECT {DEPTH}"), &[])?
                .uint(0)
        })
    }

    fn queue_depth_by_function(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read("counting queued jobs per function", |client| {
            client
                .query_typed(
                    "SELECT function, COUNT(*) FROM jobs GROUP BY function ORDER BY function",
                    &[],
                )?
                .iter()
                .map(|row| Ok((row.text(0)?, row.uint(1)?)))
                .collect()
        })
    }

    fn queue_by_function(&self, now_ms: u64) -> Result<Vec<(String, u64, u64)>, StoreError> {
        self.read("measuring the queue per function", |client| {
            client
                .query_typed(QUEUE_BY_FUNCTION_SQL, &[])?
                .iter()
                .map(|row| {
                    let oldest = row.uint(2)?;
                    Ok((row.text(0)?, row.uint(1)?, now_ms.saturating_sub(oldest)))
                })
                .collect()
        })
    }

    fn dead_letters(&self, function: Option<&str>) -> Result<Vec<DeadLetter>, StoreError> {
        self.read("listing dead letters", |client| {
            client
                .query_typed(
                    &format!(
                        "SELECT {DEAD_COLUMNS} FROM dead_letters \
                         WHERE $1::text IS NULL OR function = $1 ORDER BY id"
                    ),
                    &[(&function, Type::TEXT)],
                )?
                .iter()
                .map(dead_letter_from)
                .collect()
        })
    }

    fn dead_letter_count(&self) -> Result<u64, StoreError> {
        self.read("counting dead letters", |client| {
            client
                .query_typed_one("SELECT COUNT(*) FROM dead_letters", &[])?
                .uint(0)
        })
    }

    fn redrive(
        &self,
        ids: &[i64],
        function: Option<&str>,
        now_ms: u64,
        expires_at_ms: u64,
    ) -> Result<Vec<i64>, StoreError> {
        let wanted = distinct(ids);
        self.write_committed("redriving dead letters", |tx| {
            // Lock the dead letters first: a node redriving them at the same time waits, then
            // finds them gone.
            let locked = tx
                .query_typed(
                    "SELECT id FROM dead_letters \
                     WHERE (cardinality($1::bigint[]) = 0 OR id = ANY($1)) \
                     AND ($2::text IS NULL OR function = $2) ORDER BY id FOR UPDATE",
                    &[(&wanted, Type::INT8_ARRAY), (&function, Type::TEXT)],
                )?
                .iter()
                .map(|row| row.try_get::<_, i64>(0))
                .collect::<Result<Vec<i64>, _>>()?;
            let moving = if wanted.is_empty() {
                locked
            } else {
                if let Some(&id) = wanted.iter().find(|id| locked.binary_search(id).is_err()) {
                    return Err(StoreError::UnknownDeadLetter { id }.into());
                }
                wanted.clone()
            };
            if moving.is_empty() {
                return Ok(Vec::new());
            }
            let rows = tx.query_typed(
                REDRIVE_SQL.as_str(),
                &[
                    (&moving, Type::INT8_ARRAY),
                    (&pg_u64(now_ms), Type::INT8),
                    (&pg_u64(expires_at_ms), Type::INT8),
                ],
            )?;
            // Inserted in the order of `moving`.
            inserted_ids(&rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use fnhost_core::{Lineage, Trigger};

    use super::*;

    fn job(n: u32) -> NewJob {
        NewJob {
            function: "f".to_owned(),
            payload: b"{}".to_vec(),
            trigger: Trigger::S3,
            request_id: format!("req-{n}"),
            max_attempts: 3,
            enqueued_at_ms: 0,
            expires_at_ms: u64::MAX,
            not_before_ms: 0,
            lineage: Lineage {
                chain_id: format!("chain-{n}"),
                hop: 0,
            },
        }
    }

    /// A renewal moves the end of its holder's leases, and of no one else's.
    #[test]
    fn renewing_extends_only_the_holders_leases() {
        let db = fnhost_testpg::Server::shared().database().unwrap();
        let (a, b) = (
            Postgres::connect(db.url()).unwrap(),
            Postgres::connect(db.url()).unwrap(),
        );
        let ids = a.enqueue(&[job(1), job(2)], &[]).unwrap();
        let base = unix_ms();
        assert_eq!(a.claim(base, 1).unwrap()[0].id, ids[0]);
        assert_eq!(b.claim(base, 1).unwrap()[0].id, ids[1]);
        let mut client = db.connect().unwrap();
        assert_eq!(
            renew(&mut client, &a.leases.holder, base + 3 * LEASE_MS).unwrap(),
            1
        );
        // Past the first leases (and any renewal of B's by its thread since), before A's
        // renewed one: only B's job is claimed again.
        let lapsed = a.claim(base + 2 * LEASE_MS, 10).unwrap();
        assert_eq!(lapsed.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1]]);
        let row = client
            .query_one("SELECT leased_by FROM jobs WHERE id = $1", &[&ids[1]])
            .unwrap();
        assert_eq!(row.get::<_, String>(0), a.leases.holder);
        // A renewal never shortens a lease: A's first job holds until base + 4 leases, while
        // the one it claimed again ran out at base + 3.
        renew(&mut client, &a.leases.holder, base).unwrap();
        let lapsed = b.claim(base + 4 * LEASE_MS - 1, 10).unwrap();
        assert_eq!(lapsed.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[1]]);
        assert_eq!(lapsed[0].attempts, 3);
        let lapsed = b.claim(base + 4 * LEASE_MS, 10).unwrap();
        assert_eq!(lapsed.iter().map(|j| j.id).collect::<Vec<_>>(), [ids[0]]);
        assert_eq!(lapsed[0].attempts, 2);
    }
}
