//! [`BlobStore`] on PostgreSQL: one `BYTEA` row per blob (`migrations/V4__blobs.sql`).
//!
//! Putting a blob that exists only refreshes its `written_ms` (the bytes are the same, their
//! hash is the name), without sending the bytes again; an upsert settles two nodes putting
//! the same new blob at once.

use std::collections::BTreeSet;

use super::{Postgres, pg_u64};
use crate::blobs::BlobStore;
use crate::error::StoreError;

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl BlobStore for Postgres {
    fn put_blob(&self, sha256: &str, bytes: &[u8]) -> Result<bool, StoreError> {
        let now = pg_u64(now_ms());
        let size = pg_u64(bytes.len() as u64);
        self.write_committed("storing a blob", |tx| {
            let touched = tx.execute(
                "UPDATE blobs SET written_ms = $2 WHERE sha256 = $1",
                &[&sha256, &now],
            )?;
            if touched > 0 {
                return Ok(false);
            }
            let inserted = tx.execute(
                "INSERT INTO blobs (sha256, bytes, size, written_ms) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (sha256) DO UPDATE SET written_ms = excluded.written_ms",
                &[&sha256, &bytes, &size, &now],
            )?;
            Ok(inserted > 0)
        })
    }

    fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.read("reading a blob", |client| {
            Ok(client
                .query_opt("SELECT bytes FROM blobs WHERE sha256 = $1", &[&sha256])?
                .map(|row| row.get::<_, Vec<u8>>(0)))
        })
    }

    fn has_blob(&self, sha256: &str) -> Result<bool, StoreError> {
        self.read("looking for a blob", |client| {
            Ok(client
                .query_opt("SELECT 1 FROM blobs WHERE sha256 = $1", &[&sha256])?
                .is_some())
        })
    }

    fn retain_blobs(
        &self,
        keep: &BTreeSet<String>,
        written_before_ms: u64,
    ) -> Result<usize, StoreError> {
        let keep: Vec<&str> = keep.iter().map(String::as_str).collect();
        let before = pg_u64(written_before_ms);
        self.write_committed("deleting unused blobs", |tx| {
            let deleted = tx.execute(
                "DELETE FROM blobs WHERE written_ms < $1 AND NOT (sha256 = ANY($2))",
                &[&before, &keep],
            )?;
            Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
        })
    }

    fn blob_names(&self) -> Result<Vec<String>, StoreError> {
        self.read("listing blobs", |client| {
            Ok(client
                .query("SELECT sha256 FROM blobs ORDER BY sha256", &[])?
                .iter()
                .map(|row| row.get::<_, String>(0))
                .collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use crate::Store;

    #[test]
    fn blobs_are_kept_once_fetched_whole_and_collected_after_their_grace() {
        let db = fnhost_testpg::Server::shared()
            .database()
            .expect("a throwaway PostgreSQL database");
        let store = Store::connect(db.url()).unwrap();
        let blobs = store.shared_blobs().expect("PostgreSQL shares blobs");
        let big: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        assert!(blobs.put_blob("aa", &big).unwrap());
        assert!(!blobs.put_blob("aa", &big).unwrap(), "already stored");
        assert!(blobs.put_blob("bb", b"two").unwrap());
        assert_eq!(blobs.blob("aa").unwrap().as_deref(), Some(&big[..]));
        assert!(blobs.has_blob("bb").unwrap());
        assert_eq!(blobs.blob("cc").unwrap(), None);
        assert!(!blobs.has_blob("cc").unwrap());
        let keep = BTreeSet::from(["aa".to_owned()]);
        // Written just now: within the grace period nothing goes.
        assert_eq!(blobs.retain_blobs(&keep, 1).unwrap(), 0);
        assert_eq!(blobs.retain_blobs(&keep, u64::MAX / 2).unwrap(), 1);
        assert_eq!(blobs.blob_names().unwrap(), vec!["aa".to_owned()]);
        // Another node's handle sees the same blobs.
        let other = Store::connect(db.url()).unwrap();
        let theirs = other.shared_blobs().unwrap();
        assert_eq!(theirs.blob("aa").unwrap().map(|b| b.len()), Some(big.len()));
    }

    #[test]
    fn an_sqlite_store_shares_no_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fnhost.db")).unwrap();
        assert!(store.shared_blobs().is_none());
    }
}
