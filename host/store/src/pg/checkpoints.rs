//! File-watch checkpoints on PostgreSQL.
//!
//! What differs from SQLite: a batch of changes is applied as two statements, not one per
//! change. Each change replaces or removes the whole checkpoint of its object, so only the last
//! change of each object decides what the batch leaves; those are written in `(bucket, key)`
//! order, so two nodes writing overlapping batches lock the rows in the same order and do not
//! deadlock. Keys sort bytewise (`COLLATE "C"`, migration V20), as in SQLite.

use std::collections::BTreeMap;

use postgres::Transaction;
use postgres::types::Type;

use super::{Postgres, pg_u64};
use crate::checkpoints::{COLUMNS, REPLACE, checkpoint_from};
use crate::error::TxError;
use crate::{Checkpoint, CheckpointChange, CheckpointStore, StoreError};

/// Applies checkpoint changes inside an open transaction, with the effect of applying them in
/// order.
pub(crate) fn apply_checkpoint_changes(
    tx: &mut Transaction<'_>,
    changes: &[CheckpointChange],
) -> Result<(), TxError> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut last = BTreeMap::new();
    for change in changes {
        let object = match change {
            CheckpointChange::Put(c) => (c.bucket.as_str(), c.key.as_str()),
            CheckpointChange::Delete { bucket, key } => (bucket.as_str(), key.as_str()),
        };
        last.insert(object, change);
    }
    let mut puts = Puts::default();
    let (mut gone_buckets, mut gone_keys) = (Vec::new(), Vec::new());
    for ((bucket, key), change) in last {
        match change {
            CheckpointChange::Put(c) => puts.push(c),
            CheckpointChange::Delete { .. } => {
                gone_buckets.push(bucket);
                gone_keys.push(key);
            }
        }
    }
    if !puts.bucket.is_empty() {
        tx.execute_typed(
            &format!(
                "INSERT INTO checkpoints ({COLUMNS}) \
                 SELECT * FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::bigint[], \
                 $5::text[], $6::text[]) {REPLACE}"
            ),
            &[
                (&puts.bucket, Type::TEXT_ARRAY),
                (&puts.key, Type::TEXT_ARRAY),
                (&puts.size, Type::INT8_ARRAY),
                (&puts.mtime_ns, Type::INT8_ARRAY),
                (&puts.etag, Type::TEXT_ARRAY),
                (&puts.sequencer, Type::TEXT_ARRAY),
            ],
        )?;
    }
    if !gone_keys.is_empty() {
        tx.execute_typed(
            "DELETE FROM checkpoints c USING UNNEST($1::text[], $2::text[]) AS gone(bucket, key) \
             WHERE c.bucket = gone.bucket AND c.key = gone.key",
            &[
                (&gone_buckets, Type::TEXT_ARRAY),
                (&gone_keys, Type::TEXT_ARRAY),
            ],
        )?;
    }
    Ok(())
}

/// Checkpoints to write, as the columns of one `UNNEST`.
#[derive(Default)]
struct Puts<'a> {
    bucket: Vec<&'a str>,
    key: Vec<&'a str>,
    size: Vec<i64>,
    mtime_ns: Vec<i64>,
    etag: Vec<&'a str>,
    sequencer: Vec<&'a str>,
}

impl<'a> Puts<'a> {
    fn push(&mut self, c: &'a Checkpoint) {
        self.bucket.push(&c.bucket);
        self.key.push(&c.key);
        self.size.push(pg_u64(c.size));
        self.mtime_ns.push(c.mtime_ns);
        self.etag.push(&c.etag);
        self.sequencer.push(&c.sequencer);
    }
}

impl CheckpointStore for Postgres {
    fn checkpoints(&self, bucket: &str) -> Result<Vec<Checkpoint>, StoreError> {
        self.read("listing checkpoints", |client| {
            client
                .query_typed(
                    &format!("SELECT {COLUMNS} FROM checkpoints WHERE bucket = $1 ORDER BY key"),
                    &[(&bucket, Type::TEXT)],
                )?
                .iter()
                .map(checkpoint_from)
                .collect()
        })
    }

    fn checkpoint(&self, bucket: &str, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.read("reading a checkpoint", |client| {
            client
                .query_typed_opt(
                    &format!("SELECT {COLUMNS} FROM checkpoints WHERE bucket = $1 AND key = $2"),
                    &[(&bucket, Type::TEXT), (&key, Type::TEXT)],
                )?
                .as_ref()
                .map(checkpoint_from)
                .transpose()
        })
    }

    fn apply_checkpoints(&self, changes: &[CheckpointChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write_committed("applying checkpoints", |tx| {
            apply_checkpoint_changes(tx, changes)
        })
    }
}
