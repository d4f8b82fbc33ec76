//! The live function table. Readers never lock: the table is an `Arc` swapped whole on
//! reload, and each entry is an `Arc`, so an invocation that has looked up a function keeps
//! that version until it ends while new lookups see the new one.
//!
//! Keys are function names. Functions uploaded through the Lambda API may also have published
//! versions, kept under `name:version` (a `:` never appears in a function name), so a trigger
//! that looks up a plain name always gets `$LATEST`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use arc_swap::ArcSwap;
use fnhost_runtime::Function;

use crate::admission::Gate;
use crate::aliases::{AliasRoute, version_key};

/// Where a deployed function came from, which decides who may change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Declared in `fnhost.toml`: replaced by manifest reloads, never changed through the API.
    Manifest,
    /// Uploaded through the Lambda API: kept across manifest reloads.
    Api,
}

/// One deployed function version and the gate it runs behind.
#[derive(Debug)]
pub struct Deployed {
    /// The loaded, linked function.
    pub function: Arc<Function>,
    /// Its concurrency gate (shared or reserved).
    pub gate: Arc<Gate>,
    /// Its reserved concurrency, if any.
    pub reserved_concurrency: Option<u32>,
    /// Who deployed it.
    pub origin: Origin,
}

/// Function name → live version, and the aliases of uploaded functions.
#[derive(Debug, Default)]
pub struct Registry {
    table: ArcSwap<BTreeMap<String, Arc<Deployed>>>,
    /// `name:alias` → where it routes (see [`Registry::resolve`]).
    aliases: ArcSwap<HashMap<String, Arc<AliasRoute>>>,
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

    /// Replace the whole table at once.
    pub fn replace(&self, table: BTreeMap<String, Arc<Deployed>>) {
        self.table.store(Arc::new(table));
    }

    /// Replace every [`Origin::Manifest`] entry with `table` (a manifest reload), keeping the
    /// uploaded functions in the same atomic swap. A name in `table` wins over an uploaded
    /// function of the same name; the names that did so are returned.
    pub fn replace_manifest(&self, table: BTreeMap<String, Arc<Deployed>>) -> Vec<String> {
        let mut shadowed = Vec::new();
        self.table.rcu(|current| {
            shadowed.clear();
            let mut next = table.clone();
            for (name, deployed) in current.iter() {
                if deployed.origin != Origin::Api {
                    continue;
                }
                if next.contains_key(name) {
                    shadowed.push(name.clone());
                } else {
                    next.insert(name.clone(), deployed.clone());
                }
            }
            next
        });
        shadowed
    }

    /// Undeploy `name` (an exact key); returns what was there.
    pub fn remove(&self, name: &str) -> Option<Arc<Deployed>> {
        let previous = self.table.rcu(|table| {
            let mut table = BTreeMap::clone(table);
            table.remove(name);
            table
        });
        previous.get(name).cloned()
    }

    /// Names of the deployed functions.
    pub fn names(&self) -> Vec<String> {
        self.table.load().keys().cloned().collect()
    }

    /// The version `key` runs now: the deployed entry of a name or `name:version`, else, for
    /// `name:alias`, one of the alias's versions, chosen by its weights for this call.
    pub fn resolve(&self, key: &str) -> Option<Arc<Deployed>> {
        if let Some(deployed) = self.get(key) {
            return Some(deployed);
        }
        let route = self.aliases.load().get(key).cloned()?;
        self.get(&version_key(&route.function, route.pick(fastrand::f64())))
    }

    /// The route of alias `key` (`name:alias`).
    pub fn alias(&self, key: &str) -> Option<Arc<AliasRoute>> {
        self.aliases.load().get(key).cloned()
    }

    /// Add or replace an alias.
    pub fn set_alias(&self, route: AliasRoute) {
        let route = Arc::new(route);
        self.aliases.rcu(|aliases| {
            let mut aliases = HashMap::clone(aliases);
            aliases.insert(route.key(), route.clone());
            aliases
        });
    }

    /// Remove alias `key` (`name:alias`), if it is there.
    pub fn remove_alias(&self, key: &str) {
        self.aliases.rcu(|aliases| {
            let mut aliases = HashMap::clone(aliases);
            aliases.remove(key);
            aliases
        });
    }

    /// Remove every alias of `function` (it was deleted).
    pub fn remove_aliases(&self, function: &str) {
        self.aliases.rcu(|aliases| {
            let mut aliases = HashMap::clone(aliases);
            aliases.retain(|_, route| route.function != function);
            aliases
        });
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::admission::{Admission, AdmissionConfig};
    use fnhost_runtime::{FunctionSpec, Runtime, RuntimeConfig};

    /// A deployed do-nothing WASI p1 command of `origin`, behind the shared gate of `admission`.
    pub(crate) fn deployed_with(
        runtime: &Runtime,
        admission: &Admission,
        name: &str,
        origin: Origin,
    ) -> Deployed {
        let function = runtime
            .load_bytes(
                FunctionSpec::new(name),
                "noop.wat".as_ref(),
                br#"(module (memory (export "memory") 1) (func (export "_start")))"#.to_vec(),
                std::time::Instant::now(),
            )
            .unwrap();
        Deployed {
            function: Arc::new(function),
            gate: admission.gate(None),
            reserved_concurrency: None,
            origin,
        }
    }

    fn deployed(runtime: &Runtime, name: &str, origin: Origin) -> Deployed {
        let admission = Admission::new(AdmissionConfig::default(), 0);
        deployed_with(runtime, &admission, name, origin)
    }

    #[test]
    fn a_manifest_reload_keeps_uploaded_functions_and_wins_on_a_clash() {
        let state = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(RuntimeConfig::new(state.path()));
        let registry = Registry::new();
        registry.insert("m1", deployed(&runtime, "m1", Origin::Manifest));
        registry.insert("up", deployed(&runtime, "up", Origin::Api));
        registry.insert("up:1", deployed(&runtime, "up", Origin::Api));
        registry.insert("clash", deployed(&runtime, "clash", Origin::Api));

        let mut table = BTreeMap::new();
        table.insert(
            "m2".to_string(),
            Arc::new(deployed(&runtime, "m2", Origin::Manifest)),
        );
        table.insert(
            "clash".to_string(),
            Arc::new(deployed(&runtime, "clash", Origin::Manifest)),
        );
        let shadowed = registry.replace_manifest(table);
        assert_eq!(shadowed, vec!["clash".to_string()]);
        assert_eq!(registry.names(), ["clash", "m2", "up", "up:1"]);
        assert_eq!(registry.get("clash").unwrap().origin, Origin::Manifest);
        assert_eq!(registry.get("up:1").unwrap().origin, Origin::Api);

        assert!(registry.remove("up").is_some());
        assert!(registry.remove("up").is_none());
        assert_eq!(registry.names(), ["clash", "m2", "up:1"]);
    }

    #[test]
    fn aliases_resolve_to_their_versions_by_weight() {
        let state = tempfile::tempdir().unwrap();
        let runtime = Runtime::new(RuntimeConfig::new(state.path()));
        let registry = Registry::new();
        registry.insert("up", deployed(&runtime, "up", Origin::Api));
        registry.insert("up:1", deployed(&runtime, "up", Origin::Api));
        registry.insert("up:2", deployed(&runtime, "up", Origin::Api));
        let (one, two) = (registry.get("up:1").unwrap(), registry.get("up:2").unwrap());
        assert!(registry.resolve("up:live").is_none());
        registry.set_alias(AliasRoute {
            function: "up".into(),
            name: "live".into(),
            version: "1".into(),
            additional: None,
        });
        assert!(Arc::ptr_eq(&registry.resolve("up:live").unwrap(), &one));
        // An exact key is never an alias.
        assert!(Arc::ptr_eq(&registry.resolve("up:2").unwrap(), &two));
        registry.set_alias(AliasRoute {
            function: "up".into(),
            name: "live".into(),
            version: "1".into(),
            additional: Some(("2".into(), 0.5)),
        });
        let mut ran_two = 0;
        for _ in 0..1000 {
            let deployed = registry.resolve("up:live").unwrap();
            assert!(Arc::ptr_eq(&deployed, &one) || Arc::ptr_eq(&deployed, &two));
            ran_two += usize::from(Arc::ptr_eq(&deployed, &two));
        }
        assert!((400..=600).contains(&ran_two), "{ran_two} of 1000");
        registry.set_alias(AliasRoute {
            function: "up".into(),
            name: "head".into(),
            version: "$LATEST".into(),
            additional: None,
        });
        assert!(Arc::ptr_eq(
            &registry.resolve("up:head").unwrap(),
            &registry.get("up").unwrap()
        ));
        registry.remove_alias("up:live");
        assert!(registry.resolve("up:live").is_none());
        assert!(registry.alias("up:head").is_some());
        registry.remove_aliases("up");
        assert!(registry.alias("up:head").is_none());
    }
}
