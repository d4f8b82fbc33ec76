//! A temp directory with two buckets, `uploads` and `thumbnails`, and helpers around them.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnhost_buckets::{Bucket, Buckets, FunctionObjects, Grants, WriteJournal};
use fnhost_runtime::{Lineage, WriteOrigin};
use tempfile::TempDir;

/// An invocation deadline far enough away not to matter, for direct `head`/`list` calls.
pub fn later() -> Instant {
    Instant::now() + Duration::from_secs(3600)
}

/// The manifest's default ignore patterns.
pub fn default_ignore() -> Vec<String> {
    [".*", "*.tmp", "*.part", "*.swp", "*~"]
        .map(String::from)
        .to_vec()
}

pub struct Fixture {
    /// Holds everything; `outside` is a sibling of the buckets, never reachable through them.
    pub dir: TempDir,
    pub buckets: Arc<Buckets>,
    pub journal: Arc<WriteJournal>,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("outside/secret.txt"), b"secret").unwrap();
        let buckets = Buckets::new(vec![
            Bucket::open(
                "uploads",
                &dir.path().join("data/uploads"),
                &default_ignore(),
            )
            .unwrap(),
            Bucket::open(
                "thumbnails",
                &dir.path().join("data/thumbs"),
                &default_ignore(),
            )
            .unwrap(),
        ]);
        Self {
            dir,
            buckets: Arc::new(buckets),
            journal: Arc::new(WriteJournal::new()),
        }
    }

    pub fn uploads(&self) -> &Arc<Bucket> {
        self.buckets.get("uploads").unwrap()
    }

    /// Root of the `uploads` bucket.
    pub fn root(&self) -> PathBuf {
        self.uploads().root().to_path_buf()
    }

    pub fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    /// The object access of `function` with these grants.
    pub fn access(&self, function: &str, read: &[&str], write: &[&str]) -> FunctionObjects {
        FunctionObjects::new(
            function,
            Arc::clone(&self.buckets),
            grants(read, write),
            Arc::clone(&self.journal),
        )
    }

    /// Full access to both buckets.
    pub fn full(&self) -> FunctionObjects {
        let both = ["uploads", "thumbnails"];
        self.access("tester", &both, &both)
    }
}

pub fn grants(read: &[&str], write: &[&str]) -> Grants {
    Grants {
        read: read.iter().map(|s| s.to_string()).collect(),
        write: write.iter().map(|s| s.to_string()).collect(),
    }
}

pub fn origin() -> WriteOrigin {
    WriteOrigin {
        function: "tester".into(),
        request_id: "req-1".into(),
        lineage: Some(Lineage {
            chain_id: "chain-1".into(),
            hop: 2,
        }),
    }
}

/// Every file name under `dir`, recursively, relative and sorted (temp files included).
pub fn files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                pending.push(path);
            } else {
                out.push(
                    path.strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
    }
    out.sort();
    out
}
