//! All of a project's buckets, by name and by directory.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use crate::bucket::Bucket;

/// The declared buckets, by name.
#[derive(Debug, Default)]
pub struct Buckets {
    by_name: BTreeMap<String, Arc<Bucket>>,
}

impl Buckets {
    /// The buckets, keyed by name (names are unique in a manifest; a repeated name keeps the
    /// last bucket and logs a warning).
    pub fn new(buckets: Vec<Bucket>) -> Self {
        let mut by_name = BTreeMap::new();
        for bucket in buckets {
            let name = bucket.name().to_owned();
            if by_name.insert(name.clone(), Arc::new(bucket)).is_some() {
                tracing::warn!(bucket = %name, "bucket declared twice; the last one is used");
            }
        }
        Self { by_name }
    }

    /// The bucket called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Bucket>> {
        self.by_name.get(name)
    }

    /// Every bucket, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Bucket>> {
        self.by_name.values()
    }

    /// Whether there are no buckets.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// The bucket whose directory holds `path` (the innermost, should roots nest) and the
    /// path's key there; `None` when no bucket holds it or the bucket has no key for it
    /// (ignored, temp file, invalid key).
    pub fn bucket_for_path(&self, path: &Path) -> Option<(&Arc<Bucket>, String)> {
        let bucket = self
            .by_name
            .values()
            .filter(|b| path.starts_with(b.root()))
            .max_by_key(|b| b.root().components().count())?;
        let key = bucket.key_for(path)?;
        Some((bucket, key))
    }

    /// The names, quoted and comma-separated, for messages (`` `a`, `b` ``).
    pub(crate) fn names(&self) -> String {
        self.by_name
            .keys()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}
