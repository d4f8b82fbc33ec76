//! [`Store`], the handle every part of fnhost holds on its persistent state, whichever backend
//! keeps it.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

use crate::backend::Backend;
use crate::error::StoreError;
use crate::pg::Postgres;

/// A handle on the store. Cheap to clone; clones share one backend.
///
/// Its methods are those of [`Backend`] (the store trait and its parts), reached through
/// `Deref`. Every call blocks; async callers wrap calls in `tokio::task::spawn_blocking`.
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
}

impl Store {
    /// A handle on `backend`.
    pub fn new(backend: impl Backend + 'static) -> Store {
        Store {
            backend: Arc::new(backend),
        }
    }
}

impl Store {
    /// Connects to the PostgreSQL database at `url` (`postgres://user:password@host/db`) that
    /// the nodes of a cluster share, creating or migrating its tables.
    pub fn connect(url: &str) -> Result<Store, StoreError> {
        Postgres::connect(url).map(Store::new)
    }
}

impl Deref for Store {
    type Target = dyn Backend;

    fn deref(&self) -> &Self::Target {
        &*self.backend
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.backend.fmt(f)
    }
}
