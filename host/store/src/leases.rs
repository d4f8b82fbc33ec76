//! Leases: which node runs a cluster singleton (the bucket watcher, the scheduler).
//!
//! A lease is a row `(name, holder, until_ms)`. A node takes or renews it with
//! [`LeaseStore::acquire_lease`], which succeeds when nobody holds it, the node already holds
//! it, or the holder let it expire (`until_ms <= now`); one statement decides, so two nodes
//! can never both succeed for an unexpired lease. The holder renews well before `until_ms`
//! (a heartbeat); a node that dies stops renewing and another takes over once the lease
//! expires. Time is each node's wall clock, passed in by the caller: nodes' clocks must agree
//! to well within the lease (NTP gives milliseconds; leases are seconds).
//!
//! A lease alone cannot promise that a schedule fires once per tick: the old holder may fire a
//! tick just as its lease runs out and the new one takes over. So each tick is also claimed,
//! [`LeaseStore::claim_tick`]: one conditional update per schedule, which only one node wins.

use rusqlite::params;

use crate::error::StoreError;
use crate::store::{Sqlite, get_u64, sql_u64};

/// Who holds a lease, and until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The lease's name (e.g. `scheduler`).
    pub name: String,
    /// The node holding it.
    pub holder: String,
    /// When it expires unless renewed, unix ms.
    pub until_ms: u64,
}

/// Leases of cluster singletons.
pub trait LeaseStore {
    /// Takes or renews lease `name` for `holder` until `now_ms + ttl_ms`; `true` when `holder`
    /// holds it now. Fails to take it (`false`, nothing changed) while another holder's lease
    /// is unexpired.
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<bool, StoreError>;

    /// Gives lease `name` up if `holder` holds it (a node that stops cleanly), so another node
    /// takes over at once instead of after the lease; `true` when it was released.
    fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError>;

    /// The lease `name`, expired or not, if anyone took it.
    fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError>;

    /// Claims tick `tick_ms` of `schedule` for firing: `true` for the first claim of a tick
    /// later than any claimed before; `false` for a tick claimed already or older than the
    /// last one claimed. Whoever gets `true` fires it; so a tick fires at most once across the
    /// nodes, whichever of them holds the scheduler's lease.
    fn claim_tick(&self, schedule: &str, tick_ms: u64) -> Result<bool, StoreError>;
}

/// The upsert both backends run: insert, or take over a row that `holder` holds or that has
/// expired. `RETURNING` gives a row only when the lease changed hands or was renewed.
/// Parameters: name, holder, until_ms, now_ms (numbered in order of first use, which is how
/// SQLite numbers `$N` parameters too).
pub(crate) const ACQUIRE_SQL: &str = "INSERT INTO leases (name, holder, until_ms) \
     VALUES ($1, $2, $3) \
     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms \
     WHERE leases.holder = excluded.holder OR leases.until_ms <= $4 \
     RETURNING holder";

/// The conditional upsert behind [`LeaseStore::claim_tick`] on both backends; a row comes back
/// only when the tick was claimed. Parameters: schedule, tick_ms.
pub(crate) const CLAIM_TICK_SQL: &str = "INSERT INTO schedule_ticks (schedule, tick_ms) \
     VALUES ($1, $2) \
     ON CONFLICT (schedule) DO UPDATE SET tick_ms = excluded.tick_ms \
     WHERE schedule_ticks.tick_ms < excluded.tick_ms \
     RETURNING tick_ms";

/// The lease's expiry: `now_ms + ttl_ms`, saturating.
pub(crate) fn lease_until(now_ms: u64, ttl_ms: u64) -> u64 {
    now_ms.saturating_add(ttl_ms)
}

impl LeaseStore for Sqlite {
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<bool, StoreError> {
        let until = lease_until(now_ms, ttl_ms);
        self.write("acquiring a lease", |tx| {
            let mut stmt = tx.prepare_cached(ACQUIRE_SQL)?;
            let mut rows = stmt.query(params![name, holder, sql_u64(until), sql_u64(now_ms)])?;
            Ok(rows.next()?.is_some())
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        self.write("releasing a lease", |tx| {
            let n = tx
                .prepare_cached("DELETE FROM leases WHERE name = ?1 AND holder = ?2")?
                .execute([name, holder])?;
            Ok(n > 0)
        })
    }

    fn claim_tick(&self, schedule: &str, tick_ms: u64) -> Result<bool, StoreError> {
        self.write("claiming a schedule tick", |tx| {
            let mut stmt = tx.prepare_cached(CLAIM_TICK_SQL)?;
            let mut rows = stmt.query(params![schedule, sql_u64(tick_ms)])?;
            Ok(rows.next()?.is_some())
        })
    }

    fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        self.read("reading a lease", |conn| {
            conn.prepare_cached("SELECT name, holder, until_ms FROM leases WHERE name = ?1")?
                .query_map([name], |row| {
                    Ok(Lease {
                        name: row.get(0)?,
                        holder: row.get(1)?,
                        until_ms: get_u64(row, 2)?,
                    })
                })?
                .next()
                .transpose()
        })
    }
}
