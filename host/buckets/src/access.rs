//! One function's view of the buckets: its grants applied, its writes journaled.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Instant;

use fnhost_runtime::{
    CallLimits, CallSlots, ObjectAccess, ObjectFailure, ObjectMeta, WriteOrigin, check_put_size,
};

use crate::bucket::Bucket;
use crate::buckets::Buckets;
use crate::journal::WriteJournal;

/// Which buckets a function may read (get, head, list, copy from) and write (put, delete, copy
/// to); write implies nothing about read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// Buckets the function may read.
    pub read: BTreeSet<String>,
    /// Buckets the function may write.
    pub write: BTreeSet<String>,
}

#[derive(Clone, Copy)]
enum Need {
    Read,
    Write,
}

impl Need {
    fn as_str(self) -> &'static str {
        match self {
            Need::Read => "read",
            Need::Write => "write",
        }
    }
}

/// The [`ObjectAccess`] of one function: the declared buckets, filtered by its [`Grants`].
#[derive(Debug)]
pub struct FunctionObjects {
    function: String,
    buckets: Arc<Buckets>,
    grants: Grants,
    journal: Arc<WriteJournal>,
    slots: CallSlots,
}

impl FunctionObjects {
    /// Object access for `function`, recording its writes in `journal`, with the default
    /// [`CallLimits`].
    pub fn new(
        function: &str,
        buckets: Arc<Buckets>,
        grants: Grants,
        journal: Arc<WriteJournal>,
    ) -> Self {
        Self {
            function: function.to_owned(),
            buckets,
            grants,
            journal,
            slots: CallSlots::new(CallLimits::default()),
        }
    }

    /// The same with other limits.
    pub fn with_limits(mut self, limits: CallLimits) -> Self {
        self.slots = CallSlots::new(limits);
        self
    }

    /// When a call that hashes or lists must give up: its budget from now, or the invocation's
    /// deadline if that comes first. (The runtime has already given the call one of the
    /// function's slots.)
    fn deadline(&self, invocation: Instant) -> Option<Instant> {
        Some(self.slots.limits().call_deadline(invocation))
    }

    /// The bucket, if it is declared and granted for `need`.
    fn bucket(&self, name: &str, need: Need) -> Result<&Arc<Bucket>, ObjectFailure> {
        let Some(bucket) = self.buckets.get(name) else {
            let declared = if self.buckets.is_empty() {
                "no buckets are declared".to_owned()
            } else {
                format!("declared buckets: {}", self.buckets.names())
            };
            return Err(ObjectFailure::NoSuchBucket(format!(
                "bucket `{name}` is not declared ({declared}); declare it with `[bucket.{name}]` in fnhost.toml"
            )));
        };
        let granted = match need {
            Need::Read => &self.grants.read,
            Need::Write => &self.grants.write,
        };
        if !granted.contains(name) {
            let need = need.as_str();
            let function = &self.function;
            return Err(ObjectFailure::AccessDenied(format!(
                "function `{function}` has no {need} access to bucket `{name}`: add \"{name}\" to `objects = {{ {need} = [...] }}` in [function.{function}]"
            )));
        }
        Ok(bucket)
    }
}

impl ObjectAccess for FunctionObjects {
    fn slots(&self) -> Option<&CallSlots> {
        Some(&self.slots)
    }

    fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ObjectFailure> {
        self.bucket(bucket, Need::Read)?.get_object(key, range)
    }

    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        origin: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        let bucket = self.bucket(bucket, Need::Write)?;
        check_put_size(body.len())?;
        bucket.put_object(key, body, &self.journal, origin)
    }

    fn head(
        &self,
        bucket: &str,
        key: &str,
        deadline: Instant,
    ) -> Result<ObjectMeta, ObjectFailure> {
        self.bucket(bucket, Need::Read)?
            .head_object(key, self.deadline(deadline))
    }

    fn delete(&self, bucket: &str, key: &str, origin: &WriteOrigin) -> Result<(), ObjectFailure> {
        self.bucket(bucket, Need::Write)?
            .delete_object(key, &self.journal, origin)
    }

    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        bucket: &str,
        key: &str,
        origin: &WriteOrigin,
        deadline: Instant,
    ) -> Result<ObjectMeta, ObjectFailure> {
        let source = self.bucket(src_bucket, Need::Read)?;
        let target = self.bucket(bucket, Need::Write)?;
        target.copy_object(
            source,
            src_key,
            key,
            &self.journal,
            origin,
            self.deadline(deadline),
        )
    }

    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
        deadline: Instant,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        self.bucket(bucket, Need::Read)?.list_objects(
            prefix,
            start_after,
            max_keys,
            self.deadline(deadline),
        )
    }
}
