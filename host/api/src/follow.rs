//! Following the other nodes of a cluster: applying to this node's live registry what another
//! node changed in the shared store.
//!
//! Every node of a cluster accepts control-plane calls and writes them to the one PostgreSQL
//! store; the store announces each changed function ([`fnhost_store::ChangeFeed`]), and the
//! node's follower (a thread of `fnhost up`) calls [`Api::follow_function`] for it, or
//! [`Api::follow_all`] after the feed missed announcements and every 30 s anyway. Following a
//! function re-reads it whole — every version, its aliases, URLs, reserved concurrency and
//! tags — and makes the registry match, as the API calls would have on this node: a version
//! whose record changed is loaded again (its content fetched from the shared blobs when this
//! node lacks it, [`crate::shared`], and compiled into this node's artifact cache), versions
//! gone are undeployed, aliases and URLs are set or removed, the reservation is applied.
//! What already matches is left alone: each deployed version is remembered with the revision
//! and code it was loaded from ([`Applied`]), so the announcement of a change this node made
//! itself costs a few reads. Functions of `fnhost.toml` are per-node configuration and never
//! touched.
//!
//! Packaging a source upload is done by one node: [`Api::claim_build`] takes a lease in the
//! store per function revision; the others pick the packaged result up through the store.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Mutex, PoisonError};

use fnhost_dispatch::Origin;
use fnhost_store::{
    AliasRecord, FunctionRecord, FunctionState, FunctionUrlRecord, LATEST, UpdateStatus,
};

use crate::api::{Api, blocking, now_ms};
use crate::error::ApiError;
use crate::functions::key_of;

/// How long a node may package one change before another node may take the build over.
pub(crate) const BUILD_LEASE_MS: u64 = 10 * 60 * 1000;

/// What of the store this node runs: the revision and code each deployed upload was loaded
/// from, and what it last saw of each function's tags, aliases and URLs.
#[derive(Debug)]
pub(crate) struct Applied {
    /// This process, as the holder of build leases.
    holder: String,
    state: Mutex<AppliedState>,
}

impl Default for Applied {
    fn default() -> Self {
        Applied {
            holder: format!("api-{}", uuid::Uuid::new_v4().simple()),
            state: Mutex::default(),
        }
    }
}

#[derive(Debug, Default)]
struct AppliedState {
    /// Registry key → [`marker`] of the record deployed under it.
    deployed: HashMap<String, String>,
    /// Function name → what was last applied of it.
    functions: HashMap<String, Seen>,
    /// Builds running on this node (`build:NAME:REVISION`).
    building: HashSet<String>,
}

/// What a node last applied of one function besides its versions.
#[derive(Debug, Default, Clone)]
struct Seen {
    tags: BTreeMap<String, String>,
    aliases: BTreeSet<String>,
    urls: BTreeSet<String>,
}

/// What makes a deployed version stale: its revision (every change of code or configuration)
/// and its code (a component built behind the fast tier replaces the code in place).
fn marker(record: &FunctionRecord) -> String {
    format!("{}/{}", record.revision_id, record.code_sha256)
}

impl Applied {
    fn state(&self) -> std::sync::MutexGuard<'_, AppliedState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Note that `record` is deployed under its key now.
    pub(crate) fn deployed(&self, record: &FunctionRecord) {
        self.state().deployed.insert(key_of(record), marker(record));
    }

    fn is_current(&self, record: &FunctionRecord) -> bool {
        self.state().deployed.get(&key_of(record)) == Some(&marker(record))
    }

    fn forget(&self, key: &str) {
        self.state().deployed.remove(key);
    }
}

/// One function as the store has it.
struct Stored {
    versions: Vec<FunctionRecord>,
    aliases: Vec<AliasRecord>,
    urls: Vec<FunctionUrlRecord>,
    reserved: Option<u32>,
    tags: BTreeMap<String, String>,
}

/// Whether a stored version has code to run: `Active` (an update in progress keeps the
/// previous code running); `Pending` and `Failed` functions are not deployed.
fn runs(record: &FunctionRecord) -> bool {
    record.state == FunctionState::Active
}

impl Api {
    /// Make this node run function `name` as the store has it now (another node changed it).
    /// Returns whether anything changed here.
    pub async fn follow_function(&self, name: &str) -> Result<bool, ApiError> {
        // Under the write lock, read then apply: a change this node makes meanwhile is not
        // overtaken by an older read.
        let _writes = self.writes.lock().await;
        let (store, owned) = (self.store.clone(), name.to_owned());
        let stored = blocking(move || {
            let err = |what: &'static str| move |e| ApiError::internal(what, e);
            Ok(Stored {
                versions: store
                    .versions(&owned)
                    .map_err(err("reading the function registry"))?,
                aliases: store
                    .aliases(&owned, None)
                    .map_err(err("reading aliases"))?,
                urls: store
                    .function_urls(&owned)
                    .map_err(err("reading function urls"))?,
                reserved: store
                    .function_concurrency(&owned)
                    .map_err(err("reading reserved concurrency"))?,
                tags: store
                    .function_tags(&owned)
                    .map_err(err("reading the function's tags"))?,
            })
        })
        .await?;
        let registry = self.dispatcher.registry();
        if registry
            .get(name)
            .is_some_and(|d| d.origin == Origin::Manifest)
        {
            return Ok(false);
        }
        let mut changed = false;
        let mut code_changed = false;
        // The reservation first: the versions deploy behind their function's gate.
        if self.reserved_of(name) != stored.reserved {
            self.apply_reservation(name, stored.reserved);
            changed = true;
        }
        let seen = self.applied.state().functions.get(name).cloned();
        // Tags hold grants, which live in each loaded version.
        let retag = seen.as_ref().is_some_and(|s| s.tags != stored.tags);
        let mut wanted = HashSet::new();
        for record in stored.versions.iter().filter(|r| runs(r)) {
            let key = key_of(record);
            wanted.insert(key.clone());
            let deployed = registry.get(&key).is_some_and(|d| d.origin == Origin::Api);
            if deployed && !retag && self.applied.is_current(record) {
                continue;
            }
            match self.load_stored(record).await {
                Ok(function) => {
                    registry.insert(&key, self.deployed(function));
                    self.applied.deployed(record);
                    tracing::info!(function = %record.name, version = %record.version, sha256 = %record.code_sha256, "deployed a change made on another node");
                    changed = true;
                    code_changed = true;
                }
                Err(err) => {
                    tracing::warn!(function = %record.name, version = %record.version, %err, "cannot deploy a change made on another node");
                }
            }
        }
        let prefix = format!("{name}:");
        for key in registry.names() {
            if (key == name || key.starts_with(&prefix))
                && !wanted.contains(&key)
                && registry.get(&key).is_some_and(|d| d.origin == Origin::Api)
            {
                registry.remove(&key);
                self.applied.forget(&key);
                tracing::info!(function = %key, "undeployed: deleted on another node");
                changed = true;
                code_changed = true;
            }
        }
        let mut now = Seen {
            tags: stored.tags,
            ..Seen::default()
        };
        for alias in &stored.aliases {
            let route = crate::aliases::route_of(alias);
            now.aliases.insert(alias.name.clone());
            if registry.alias(&route.key()).as_deref() != Some(&route) {
                registry.set_alias(route);
                changed = true;
            }
        }
        let before = seen.unwrap_or_default();
        for gone in before.aliases.difference(&now.aliases) {
            registry.remove_alias(&format!("{name}:{gone}"));
            changed = true;
        }
        if let Some(urls) = &self.config.urls {
            for record in &stored.urls {
                match crate::urls::target_of(record) {
                    Ok(target) => {
                        now.urls.insert(target.url_id.clone());
                        if urls.get(&target.url_id).as_deref() != Some(&target) {
                            urls.insert(target);
                            changed = true;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(function = %name, url_id = %record.url_id, %err, "cannot serve a function url made on another node");
                    }
                }
            }
            for gone in before.urls.difference(&now.urls) {
                urls.remove(gone);
                changed = true;
            }
        }
        if stored.versions.is_empty() {
            // Deleted: nothing of it may stay, whatever this node saw before.
            registry.remove_aliases(name);
            if let Some(urls) = &self.config.urls {
                urls.remove_function(name);
            }
            self.applied.state().functions.remove(name);
        } else {
            self.applied.state().functions.insert(name.to_owned(), now);
        }
        if code_changed {
            self.collect_code().await?;
        }
        Ok(changed)
    }

    /// Make this node run every uploaded function as the store has it (after the change feed
    /// missed announcements, and periodically), and take over packaging that no node does
    /// (its node stopped). Returns how many functions changed here.
    pub async fn follow_all(&self) -> Result<usize, ApiError> {
        let store = self.store.clone();
        let latest = blocking(move || {
            store
                .functions()
                .map_err(|e| ApiError::internal("listing functions", e))
        })
        .await?;
        let mut names: BTreeSet<String> = latest.iter().map(|r| r.name.clone()).collect();
        for (key, deployed) in self.dispatcher.registry().snapshot().iter() {
            if deployed.origin == Origin::Api {
                names.insert(key.split(':').next().unwrap_or(key).to_owned());
            }
        }
        names.extend(self.applied.state().functions.keys().cloned());
        let mut changed = 0;
        for name in &names {
            match self.follow_function(name).await {
                Ok(true) => changed += 1,
                Ok(false) => {}
                Err(err) => tracing::warn!(function = %name, %err, "cannot follow a function"),
            }
        }
        for record in latest {
            if record.version == LATEST
                && (record.state == FunctionState::Pending
                    || record.last_update == UpdateStatus::InProgress)
            {
                // Packaged here only if no node holds the build (`claim_build`).
                self.provision(record, false);
            }
        }
        Ok(changed)
    }

    /// Take the build of `record` (a source upload to package): `false` when it runs on this
    /// node already, or another node of a cluster holds its lease. With a shared store, the
    /// source and layers are fetched from the shared blobs when this node lacks them.
    pub(crate) async fn claim_build(&self, record: &FunctionRecord) -> bool {
        if !self.hold_build_lease(record).await {
            return false;
        }
        if self.store.shared_blobs().is_none() {
            return true;
        }
        let (store, code, state) = (
            self.store.clone(),
            self.code.clone(),
            self.config.state_dir.clone(),
        );
        let fetched = record.clone();
        let result =
            blocking(move || crate::shared::ensure_record(&store, &code, &state, &fetched)).await;
        if let Err(err) = result {
            // The build fails on the missing files and records why.
            tracing::warn!(function = %record.name, %err, "cannot fetch what the build needs");
        }
        true
    }

    /// Take the build lease of `record` and nothing else (no fetching): `false` when this
    /// node builds it already, or another node holds it.
    pub(crate) async fn hold_build_lease(&self, record: &FunctionRecord) -> bool {
        let lease = format!("build:{}:{}", record.name, record.revision_id);
        if !self.applied.state().building.insert(lease.clone()) {
            return false;
        }
        if self.store.shared_blobs().is_none() {
            return true;
        }
        let (store, holder, owned) = (
            self.store.clone(),
            self.applied.holder.clone(),
            lease.clone(),
        );
        let held = blocking(move || {
            store
                .acquire_lease(&owned, &holder, now_ms(), BUILD_LEASE_MS)
                .map_err(|e| ApiError::internal("taking the build's lease", e))
        })
        .await;
        match held {
            Ok(true) => true,
            Ok(false) => {
                self.applied.state().building.remove(&lease);
                false
            }
            Err(err) => {
                tracing::warn!(function = %record.name, %err, "cannot take the build; another node or the next re-read will");
                self.applied.state().building.remove(&lease);
                false
            }
        }
    }

    /// The build of `record` ended (deployed, failed or superseded): give its lease up.
    pub(crate) async fn release_build(&self, record: &FunctionRecord) {
        let lease = format!("build:{}:{}", record.name, record.revision_id);
        self.applied.state().building.remove(&lease);
        if self.store.shared_blobs().is_none() {
            return;
        }
        let (store, holder) = (self.store.clone(), self.applied.holder.clone());
        let released = blocking(move || {
            store
                .release_lease(&lease, &holder)
                .map_err(|e| ApiError::internal("releasing the build's lease", e))
        })
        .await;
        if let Err(err) = released {
            tracing::debug!(function = %record.name, %err, "cannot release a build lease; it expires");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_version_is_stale_when_its_revision_or_code_changes() {
        let applied = Applied::default();
        let mut record = fnhost_store::FunctionRecord {
            name: "f".into(),
            version: LATEST.into(),
            code_sha256: "aa".into(),
            revision_id: "r1".into(),
            ..crate::config::new_record("f")
        };
        assert!(!applied.is_current(&record));
        applied.deployed(&record);
        assert!(applied.is_current(&record));
        record.code_sha256 = "bb".into();
        assert!(!applied.is_current(&record), "a component built in place");
        applied.deployed(&record);
        record.revision_id = "r2".into();
        assert!(!applied.is_current(&record), "a new revision");
        applied.forget("f");
        record.version = "1".into();
        applied.deployed(&record);
        assert!(applied.state().deployed.contains_key("f:1"));
    }
}
