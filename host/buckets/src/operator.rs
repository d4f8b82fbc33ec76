//! The operator's hands on a bucket (the web console): the same key rules, atomic writes and
//! caps as the functions' own calls, without grants. An operator's write has no origin, so the
//! watcher takes it for a file dropped into the directory and runs the bucket's triggers with
//! no lineage, as for any other write from outside.

use fnhost_runtime::{ObjectFailure, ObjectMeta, WriteOrigin};

use crate::{Bucket, WriteJournal};

impl Bucket {
    /// Write object `key` (at most [`crate::MAX_PUT_BYTES`]).
    pub fn operator_put(&self, key: &str, body: &[u8]) -> Result<ObjectMeta, ObjectFailure> {
        // Nobody reads this journal: the write goes unattributed, which is what the watcher
        // needs to see for a write that no function made.
        self.put_object(key, body, &WriteJournal::new(), &operator())
    }

    /// Object `key`, whole (at most [`crate::MAX_GET_BYTES`]).
    pub fn operator_get(&self, key: &str) -> Result<Vec<u8>, ObjectFailure> {
        self.get_object(key, None)
    }

    /// Remove object `key`; a missing key succeeds, as in S3.
    pub fn operator_delete(&self, key: &str) -> Result<(), ObjectFailure> {
        self.delete_object(key, &WriteJournal::new(), &operator())
    }

    /// Objects whose keys start with `prefix`, after `start_after`, sorted, at most `max_keys`
    /// (capped at [`crate::MAX_LIST_KEYS`]).
    pub fn operator_list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        self.list_objects(prefix, start_after, max_keys, None)
    }
}

fn operator() -> WriteOrigin {
    WriteOrigin {
        function: String::new(),
        request_id: String::new(),
        lineage: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operator_reads_writes_lists_and_deletes_within_the_key_rules() {
        let dir = tempfile::tempdir().unwrap();
        let bucket = Bucket::open("b", dir.path(), &[]).unwrap();
        let meta = bucket.operator_put("사진/a.txt", b"hello").unwrap();
        assert_eq!(meta.size, 5);
        assert_eq!(meta.etag, "5d41402abc4b2a76b9719d911017c592");
        assert_eq!(
            std::fs::read(dir.path().join("사진/a.txt")).unwrap(),
            b"hello"
        );
        assert_eq!(bucket.operator_get("사진/a.txt").unwrap(), b"hello");
        let listed = bucket.operator_list("사진/", None, 10).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].key, "사진/a.txt");
        for bad in ["../escape", "/abs", "a/../../b", "a\\b"] {
            assert!(
                matches!(
                    bucket.operator_put(bad, b"x"),
                    Err(ObjectFailure::InvalidKey(_))
                ),
                "{bad}"
            );
        }
        bucket.operator_delete("사진/a.txt").unwrap();
        bucket.operator_delete("사진/a.txt").unwrap();
        assert!(matches!(
            bucket.operator_get("사진/a.txt"),
            Err(ObjectFailure::NoSuchKey(_))
        ));
    }
}
