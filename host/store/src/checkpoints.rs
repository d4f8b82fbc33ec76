//! File-watch checkpoints: what the host last saw of each object, so a startup scan can tell
//! which files changed while it was down.

use rusqlite::{Transaction, params};
use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::queue::StoredRow;
use crate::store::{Sqlite, sql_u64};

/// What the host last saw of one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The bucket name.
    pub bucket: String,
    /// The object key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Modification time, ns since the epoch.
    pub mtime_ns: i64,
    /// The eTag reported in events.
    pub etag: String,
    /// The sequencer reported in events.
    pub sequencer: String,
}

/// A change to the checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckpointChange {
    /// Insert or replace the checkpoint of `(bucket, key)`.
    Put(Checkpoint),
    /// Forget an object (no error if it was not there).
    Delete {
        /// The bucket name.
        bucket: String,
        /// The object key.
        key: String,
    },
}

/// The columns of a checkpoint, in the order [`checkpoint_from`] reads them.
pub(crate) const COLUMNS: &str = "bucket, key, size, mtime_ns, etag, sequencer";

/// A checkpoint from a row of [`COLUMNS`].
pub(crate) fn checkpoint_from<R: StoredRow>(row: &R) -> Result<Checkpoint, R::Error> {
    Ok(Checkpoint {
        bucket: row.text(0)?,
        key: row.text(1)?,
        size: row.uint(2)?,
        mtime_ns: row.int(3)?,
        etag: row.text(4)?,
        sequencer: row.text(5)?,
    })
}

/// What an insert of a checkpoint that exists does: replace it.
pub(crate) const REPLACE: &str = "ON CONFLICT (bucket, key) DO UPDATE SET size = excluded.size, \
     mtime_ns = excluded.mtime_ns, etag = excluded.etag, sequencer = excluded.sequencer";

/// Applies checkpoint changes inside an open transaction, in order.
pub(crate) fn apply_checkpoint_changes(
    tx: &Transaction<'_>,
    changes: &[CheckpointChange],
) -> rusqlite::Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut put = tx.prepare_cached(&format!(
        "INSERT INTO checkpoints ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6) {REPLACE}"
    ))?;
    let mut delete = tx.prepare_cached("DELETE FROM checkpoints WHERE bucket = ?1 AND key = ?2")?;
    for change in changes {
        match change {
            CheckpointChange::Put(c) => {
                put.execute(params![
                    c.bucket,
                    c.key,
                    sql_u64(c.size),
                    c.mtime_ns,
                    c.etag,
                    c.sequencer
                ])?;
            }
            CheckpointChange::Delete { bucket, key } => {
                delete.execute(params![bucket, key])?;
            }
        }
    }
    Ok(())
}

/// File-watch checkpoints: what each watched bucket held when last seen.
pub trait CheckpointStore {
    /// Every checkpoint of a bucket, sorted by key.
    fn checkpoints(&self, bucket: &str) -> Result<Vec<Checkpoint>, StoreError>;

    /// The checkpoint of one object.
    fn checkpoint(&self, bucket: &str, key: &str) -> Result<Option<Checkpoint>, StoreError>;

    /// Applies checkpoint changes in one transaction, in order.
    fn apply_checkpoints(&self, changes: &[CheckpointChange]) -> Result<(), StoreError>;
}

impl CheckpointStore for Sqlite {
    fn checkpoints(&self, bucket: &str) -> Result<Vec<Checkpoint>, StoreError> {
        self.read("listing checkpoints", |conn| {
            conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM checkpoints WHERE bucket = ?1 ORDER BY key"
            ))?
            .query_map([bucket], |row| checkpoint_from(row))?
            .collect()
        })
    }

    fn checkpoint(&self, bucket: &str, key: &str) -> Result<Option<Checkpoint>, StoreError> {
        self.read("reading a checkpoint", |conn| {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM checkpoints WHERE bucket = ?1 AND key = ?2"
            ))?;
            let mut rows = stmt.query_map([bucket, key], |row| checkpoint_from(row))?;
            rows.next().transpose()
        })
    }

    fn apply_checkpoints(&self, changes: &[CheckpointChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        self.write("applying checkpoints", |tx| {
            Ok(apply_checkpoint_changes(tx, changes)?)
        })
    }
}
