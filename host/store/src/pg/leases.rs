//! [`LeaseStore`] on PostgreSQL: the same single upsert as SQLite's; PostgreSQL's row lock on
//! the conflicting row makes a second node's concurrent upsert wait and then see the first
//! one's lease, so at most one node holds an unexpired lease.

use super::{Postgres, pg_u64, to_u64};
use crate::error::StoreError;
use crate::leases::{ACQUIRE_SQL, CLAIM_TICK_SQL, Lease, LeaseStore, lease_until};

impl LeaseStore for Postgres {
    fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now_ms: u64,
        ttl_ms: u64,
    ) -> Result<bool, StoreError> {
        let until = pg_u64(lease_until(now_ms, ttl_ms));
        let now = pg_u64(now_ms);
        self.write_committed("acquiring a lease", |tx| {
            Ok(!tx
                .query(ACQUIRE_SQL, &[&name, &holder, &until, &now])?
                .is_empty())
        })
    }

    fn release_lease(&self, name: &str, holder: &str) -> Result<bool, StoreError> {
        self.write_committed("releasing a lease", |tx| {
            let n = tx.execute(
                "DELETE FROM leases WHERE name = $1 AND holder = $2",
                &[&name, &holder],
            )?;
            Ok(n > 0)
        })
    }

    fn claim_tick(&self, schedule: &str, tick_ms: u64) -> Result<bool, StoreError> {
        let tick = pg_u64(tick_ms);
        self.write_committed("claiming a schedule tick", |tx| {
            Ok(!tx.query(CLAIM_TICK_SQL, &[&schedule, &tick])?.is_empty())
        })
    }

    fn lease(&self, name: &str) -> Result<Option<Lease>, StoreError> {
        self.read("reading a lease", |client| {
            client
                .query_opt(
                    "SELECT name, holder, until_ms FROM leases WHERE name = $1",
                    &[&name],
                )?
                .map(|row| {
                    Ok(Lease {
                        name: row.get(0),
                        holder: row.get(1),
                        until_ms: to_u64(row.get(2), "until_ms")?,
                    })
                })
                .transpose()
        })
    }
}
