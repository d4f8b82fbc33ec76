//! The live function table. Readers never lock: the table is an `Arc` swapped whole on
//! reload, and each entry is an `Arc`, so an invocation that has looked up a function keeps
//! that version until it ends while new lookups see the new one.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use fnhost_runtime::Function;

use crate::admission::Gate;

/// One deployed function version and the gate it runs behind.
#[derive(Debug)]
pub struct Deployed {
    /// The loaded, linked function.
    pub function: Arc<Function>,
    /// Its concurrency gate (shared or reserved).
    pub gate: Arc<Gate>,
    /// Its reserved concurrency, if any.
    pub reserved_concurrency: Option<u32>,
}

/// Function name → live version.
#[derive(Debug, Default)]
pub struct Registry {
    table: ArcSwap<BTreeMap<String, Arc<Deployed>>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// The live version of `name`.
    pub fn get(&self, name: &str) -> Option<Arc<Deployed>> {
        self.table.load().get(name).cloned()
    }

    /// A snapshot of the whole table.
    pub fn snapshot(&self) -> Arc<BTreeMap<String, Arc<Deployed>>> {
        self.table.load_full()
    }

    /// Deploy (or replace) one function.
    pub fn insert(&self, name: &str, deployed: Deployed) {
        let deployed = Arc::new(deployed);
        self.table.rcu(|table| {
            let mut table = BTreeMap::clone(table);
            table.insert(name.to_owned(), deployed.clone());
            table
        });
    }

    /// Replace the whole table at once (a manifest reload).
    pub fn replace(&self, table: BTreeMap<String, Arc<Deployed>>) {
        self.table.store(Arc::new(table));
    }

    /// Names of the deployed functions.
    pub fn names(&self) -> Vec<String> {
        self.table.load().keys().cloned().collect()
    }
}
