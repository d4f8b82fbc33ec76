//! The store trait: what every backend holds, split by concern, and [`Backend`], the sum of the
//! parts that [`Store`](crate::Store) hands out.
//!
//! Two backends implement it: [`Sqlite`](crate::Sqlite), one embedded database file for one
//! machine (the default), and [`Postgres`](crate::Postgres), one PostgreSQL database that the
//! nodes of a cluster share. Callers never name a backend: they hold a [`Store`](crate::Store)
//! and call these methods through it (trait-object methods need no `use`).

use std::fmt;
use std::path::Path;

use crate::aliases::AliasStore;
use crate::blobs::BlobStore;
use crate::changes::ChangeStore;
use crate::checkpoints::CheckpointStore;
use crate::concurrency::ConcurrencyStore;
use crate::functions::FunctionStore;
use crate::invocations::InvocationStore;
use crate::layers::LayerStore;
use crate::leases::LeaseStore;
use crate::queue::QueueStore;
use crate::stats::StatsStore;
use crate::store::Durability;
use crate::tags::TagStore;
use crate::test_events::TestEventStore;
use crate::urls::UrlStore;

/// Where a store keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location<'a> {
    /// An SQLite database file.
    File(&'a Path),
    /// A PostgreSQL database, as its URL with any password left out.
    Server(&'a str),
}

impl fmt::Display for Location<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Server(url) => f.write_str(url),
        }
    }
}

/// What a backend says about itself.
pub trait StoreInfo {
    /// Where the data is.
    fn location(&self) -> Location<'_>;

    /// True for a store opened for reading only (`Store::open_read_only`(crate::Store::open_read_only)).
    fn is_read_only(&self) -> bool;

    /// How hard a commit tries to reach the disk.
    fn durability(&self) -> Durability;

    /// The blobs the nodes sharing this store keep their content in (code, packages, layers,
    /// by SHA-256); `None` for a store one host uses alone (SQLite), whose files stay on its
    /// disk.
    fn shared_blobs(&self) -> Option<&dyn BlobStore> {
        None
    }

    /// The database file, for the SQLite backend.
    fn path(&self) -> Option<&Path> {
        match self.location() {
            Location::File(path) => Some(path),
            Location::Server(_) => None,
        }
    }
}

/// Everything a store holds: the one trait both backends implement, in parts.
pub trait Backend:
    StoreInfo
    + AliasStore
    + ChangeStore
    + CheckpointStore
    + ConcurrencyStore
    + FunctionStore
    + InvocationStore
    + LayerStore
    + LeaseStore
    + QueueStore
    + StatsStore
    + TagStore
    + TestEventStore
    + UrlStore
    + fmt::Debug
    + Send
    + Sync
{
}

impl<T> Backend for T where
    T: StoreInfo
        + AliasStore
        + ChangeStore
        + CheckpointStore
        + ConcurrencyStore
        + FunctionStore
        + InvocationStore
        + LayerStore
        + LeaseStore
        + QueueStore
        + StatsStore
        + TagStore
        + TestEventStore
        + UrlStore
        + fmt::Debug
        + Send
        + Sync
{
}
