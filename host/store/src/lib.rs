//! fnhost's persistent state: the function registry, the async event queue and its dead
//! letters, file-watch checkpoints, invocation records with their logs, and the leases of
//! cluster singletons.
//!
//! One store trait ([`Backend`], in parts per concern: [`FunctionStore`], [`QueueStore`] …)
//! has two backends, and callers hold a [`Store`] handle on either: [`Sqlite`], one embedded
//! database file (`<state_dir>/fnhost.db`) for one machine, the default; and [`Postgres`], one
//! PostgreSQL database the nodes of a cluster share (`--store postgres://…`, see [`StoreUrl`]),
//! with a [`ChangeFeed`] telling each node what the others changed. The rest of this page is
//! about the SQLite backend; `pg/mod.rs` says how the PostgreSQL one differs.
//!
//! # Why SQLite
//!
//! - **Crash safety**: the database runs in write-ahead-log mode and every multi-row change is
//!   one transaction, so after a crash or `kill -9` a reopened database shows each transaction
//!   either whole or not at all. With `synchronous=NORMAL` (the default, [`Durability::Normal`])
//!   a committed transaction survives the process dying; a power loss or kernel crash may lose
//!   the last transactions (never corrupt the file) unless `FNHOST_SYNC=full`
//!   ([`Durability::Full`]) syncs the log on every commit.
//! - **Concurrent readers**: WAL lets `fnhost logs` and `fnhost usage` read from another process
//!   (`Store::open_read_only`) while the host writes, without blocking it.
//! - **Queries**: logs (by function, time, substring, sequence) and usage sums are SQL over
//!   indexed tables. Each invocation is one row holding its whole log; log lines are split out
//!   when read, with sequence numbers derived from the row (see [`LogLine::seq`]).
//!
//! The `bundled` build compiles SQLite into the binary, so every machine runs the same SQLite
//! and needs no system library. Statements are prepared once per connection and cached, and
//! each hot query walks an index (pinned by a test). Jobs are enqueued, claimed and completed
//! in batches, because a transaction per event costs several times a batched one; an
//! invocation is one row holding its whole log, with no index on the random request ids,
//! because a row per line and a UUID index made recording several times dearer.
//! `benches/queue.rs` and `benches/record.rs` measure both; their figures, with the command
//! and the date, are in `docs/performance.md`.
//!
//! The web console reads rollups, never the records: `Store::record` adds each batch to
//! per-minute and per-hour rows per function (counts, errors by type, a duration histogram for
//! percentiles within [`PERCENTILE_ERROR`]) in the same transaction, and the console's sampler
//! stores throttles, concurrency and the queue per minute (`Store::record_samples`); the
//! functions list (`Store::function_summaries`) and the Monitor tab
//! (`Store::function_metrics`) read those. Saved test events are kept per function
//! (`Store::put_test_event`).
//!
//! The state directory is private: `Store::open` creates it `0700` and the database files
//! `0600`, and [`StateLock`] lets one host own it at a time. What the database holds is
//! bounded: `Store::enqueue_within` caps the queue, `Store::prune_dead_letters` and
//! `Store::prune` / `Store::prune_log_bytes` apply retention and the log size cap, and
//! [`code_storage`] is the code quota's one counting rule.
//!
//! The schema is versioned with `PRAGMA user_version`; opening a database written by a newer
//! fnhost fails with [`StoreError::SchemaTooNew`].
//!
//! Every call blocks; async callers wrap calls in `tokio::task::spawn_blocking`. Invocation
//! records are best written through a [`Recorder`], which batches them off the hot path.

mod aliases;
mod backend;
mod blobs;
mod changes;
mod checkpoints;
mod concurrency;
mod error;
mod functions;
mod handle;
mod invocations;
mod layers;
mod leases;
mod pg;
mod queue;
mod recorder;
mod schema;
mod state_dir;
mod stats;
mod store;
mod tags;
mod test_events;
mod url;
mod urls;

pub use aliases::{AliasRecord, AliasStore};
pub use backend::{Backend, Location, StoreInfo};
pub use blobs::BlobStore;
pub use changes::{Change, ChangeFeed, ChangeStore};
pub use checkpoints::{Checkpoint, CheckpointChange, CheckpointStore};
pub use concurrency::ConcurrencyStore;
pub use error::StoreError;
pub use functions::{
    FunctionRecord, FunctionState, FunctionStore, LATEST, Reason, UpdateStatus, code_storage,
};
pub use handle::Store;
pub use invocations::{
    InvocationQuery, InvocationRecord, InvocationStore, LINES_PER_INVOCATION, LogLine, LogQuery,
    Usage,
};
pub use layers::{FunctionLayer, LayerStore, LayerVersionRecord};
pub use leases::{Lease, LeaseStore};
pub use pg::{Postgres, is_postgres_url, redact_url};
pub use queue::{DeadLetter, DeadReason, Job, NewJob, QueueStore, UnknownDeadReason};
pub use recorder::{RECORDER_BATCH, RECORDER_CAPACITY, RECORDER_INTERVAL, Recorder};
pub use state_dir::{LOCK_FILE, StateLock, create_private_dir};
pub use stats::{
    FunctionSummary, HOUR_MS, MAX_METRICS_POINTS, MINUTE_MS, MINUTE_ROWS_KEPT_MS, MetricsPoint,
    MetricsRange, PERCENTILE_ERROR, Sample, StatsStore,
};
pub use store::{Durability, Sqlite};
pub use tags::TagStore;
pub use test_events::{TEST_EVENT_MAX_BYTES, TEST_EVENTS_PER_FUNCTION, TestEvent, TestEventStore};
pub use url::StoreUrl;
pub use urls::{FunctionUrlRecord, UrlStore};

/// The schema version this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: i64 = schema::SCHEMA_VERSION;

#[cfg(test)]
mod tests {
    /// Handles are shared across threads and tasks.
    #[test]
    fn handles_are_send_and_sync() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<crate::Store>();
        shared::<crate::Recorder>();
        shared::<crate::StoreError>();
    }
}
