//! Hot reload: a changed `.wasm` is recompiled in the background and swapped in atomically; a
//! changed manifest is re-read and applied function by function. Invocations in flight finish
//! on the version they started with. A version that does not load is refused with a log line
//! and the previous one keeps serving; an invalid manifest is refused as a whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use fnhost_dispatch::{Admission, Deployed, Origin, Registry};

use super::watch::Watcher;
use fnhost_http::App;
use fnhost_manifest::Manifest;
use fnhost_runtime::Runtime;

use super::deploy;
use super::settings::reserved_total;
use crate::project::Objects;

/// Changes closer together than this are applied as one.
const QUIET: Duration = Duration::from_millis(150);

struct Reloader {
    manifest: Manifest,
    runtime: Arc<Runtime>,
    objects: Objects,
    admission: Arc<Admission>,
    app: Arc<App>,
    console: Arc<fnhost_console::Console>,
}

/// Start watching the manifest and every function's source.
pub fn spawn(
    manifest: Manifest,
    runtime: Arc<Runtime>,
    objects: Objects,
    admission: Arc<Admission>,
    app: Arc<App>,
    console: Arc<fnhost_console::Console>,
) -> Result<()> {
    let (mut watcher, mut batches) =
        Watcher::new(QUIET).context("cannot start watching files for hot reload")?;
    let mut reloader = Reloader {
        manifest,
        runtime,
        objects,
        admission,
        app,
        console,
    };
    for err in watcher.watch_only(reloader.files().iter().map(PathBuf::as_path)) {
        eprintln!("fnhost: hot reload: {err}");
    }
    tokio::spawn(async move {
        while let Some(batch) = batches.recv().await {
            reloader.apply(&batch).await;
            for err in watcher.watch_only(reloader.files().iter().map(PathBuf::as_path)) {
                eprintln!("fnhost: hot reload: {err}");
            }
        }
    });
    Ok(())
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Reloader {
    fn registry(&self) -> &Arc<Registry> {
        self.app.dispatcher().registry()
    }

    fn files(&self) -> Vec<PathBuf> {
        let mut files = vec![absolute(&self.manifest.path)];
        files.extend(
            self.manifest
                .functions
                .values()
                .flat_map(crate::builder::watched_files),
        );
        files
    }

    async fn apply(&mut self, batch: &BTreeSet<PathBuf>) {
        if batch.contains(&absolute(&self.manifest.path)) {
            self.reload_manifest(batch).await;
            return;
        }
        let changed: Vec<_> = self
            .manifest
            .functions
            .values()
            .filter(|f| {
                crate::builder::watched_files(f)
                    .iter()
                    .any(|p| batch.contains(p))
            })
            .cloned()
            .collect();
        for config in changed {
            let previous = self.registry().get(&config.name);
            if let Some(deployed) = self.load(&config, previous.as_deref()).await {
                self.registry().insert(&config.name, deployed);
            }
        }
    }

    /// Load `config`; on failure say so and return `None` (the caller keeps what runs).
    async fn load(
        &self,
        config: &fnhost_manifest::FunctionConfig,
        previous: Option<&Deployed>,
    ) -> Option<Deployed> {
        // A source runtime (python3.x, nodejs…) is packaged again first when its code changed.
        if let Err(err) = crate::builder::package_if_stale(config).await {
            eprintln!(
                "fnhost: reload of `{}` refused: {err:#}; {}",
                config.name,
                if previous.is_some() {
                    "still serving the previous version"
                } else {
                    "the function is not deployed"
                }
            );
            return None;
        }
        match deploy::load(&self.runtime, &self.objects, config).await {
            Ok(function) => {
                let info = function.info();
                eprintln!(
                    "fnhost: reloaded `{}` (sha256 {}, {:?}, {:.0} ms)",
                    config.name,
                    &info.sha256[..12],
                    info.cache,
                    info.load_duration.as_secs_f64() * 1000.0
                );
                Some(deploy::deployed(
                    &self.admission,
                    function,
                    config,
                    previous,
                ))
            }
            Err(err) => {
                let keeping = if previous.is_some() {
                    "still serving the previous version"
                } else {
                    "the function is not deployed"
                };
                eprintln!(
                    "fnhost: reload of `{}` refused: {err:#}; {keeping}",
                    config.name
                );
                None
            }
        }
    }

    async fn reload_manifest(&mut self, batch: &BTreeSet<PathBuf>) {
        let mut new = match Manifest::load(&self.manifest.path) {
            Ok(m) => m,
            Err(err) => {
                eprintln!(
                    "fnhost: manifest reload refused: {err}; still serving the previous manifest"
                );
                return;
            }
        };
        crate::builder::place_packages(&mut new, &self.runtime.config().state_dir);
        if let Err(err) = reserved_total(
            &new,
            self.admission.config().max_concurrency,
            self.admission.reserved_by_api(),
        ) {
            eprintln!(
                "fnhost: manifest reload refused: {err}; still serving the previous manifest"
            );
            return;
        }
        if new.http != self.manifest.http {
            eprintln!("fnhost: changes to [http] take effect after a restart");
        }
        if new.network != self.manifest.network {
            eprintln!(
                "fnhost: changes to [network] take effect after a restart \
                 (functions' allowed_outbound_hosts apply now)"
            );
        }
        if triggers_changed(&self.manifest, &new) {
            eprintln!(
                "fnhost: changes to buckets, [events], s3 triggers, schedules and async settings \
                 take effect after a restart"
            );
        }
        // Only manifest entries are replaced; functions uploaded through the API stay.
        let old: BTreeMap<String, Arc<Deployed>> = self
            .registry()
            .snapshot()
            .iter()
            .filter(|(_, d)| d.origin == Origin::Manifest)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut table: BTreeMap<String, Arc<Deployed>> = BTreeMap::new();
        for config in new.functions.values() {
            let previous = old.get(&config.name);
            let unchanged = self.manifest.functions.get(&config.name) == Some(config)
                && !crate::builder::watched_files(config)
                    .iter()
                    .any(|p| batch.contains(p));
            if unchanged && let Some(p) = previous {
                table.insert(config.name.clone(), p.clone());
                continue;
            }
            match self.load(config, previous.map(|p| &**p)).await {
                Some(deployed) => {
                    table.insert(config.name.clone(), Arc::new(deployed));
                }
                None => {
                    if let Some(p) = previous {
                        table.insert(config.name.clone(), p.clone());
                    }
                }
            }
        }
        // The shared gate gives up (or gets back) what the reservations now take; a function
        // that failed to reload keeps its previous gate, so the sum is taken over what runs.
        self.admission.set_reserved(
            table
                .values()
                .filter_map(|d| d.reserved_concurrency)
                .fold(0u32, u32::saturating_add),
        );
        // Added functions must be deployed before a route points at them, and removed ones
        // stay deployed until no route does: union, then routes, then the new table.
        let mut union = old;
        union.extend(table.iter().map(|(k, v)| (k.clone(), v.clone())));
        self.registry().replace_manifest(union);
        super::routes::set_aliases(self.registry(), &new);
        let router = super::routes::router(&new, |name| table.contains_key(name));
        let routes = router.table().len();
        self.app.set_router(router);
        self.app
            .urls()
            .set_from_manifest(&new, |name| table.contains_key(name));
        for name in self.registry().replace_manifest(table) {
            eprintln!(
                "fnhost: function `{name}` of fnhost.toml replaces the uploaded function of that name; the upload stays stored and comes back once the name leaves fnhost.toml and fnhost restarts"
            );
        }
        super::routes::remove_stale_aliases(self.registry(), &self.manifest, &new);
        eprintln!(
            "fnhost: manifest reloaded: {} function(s), {routes} route(s)",
            new.functions.len()
        );
        self.console.set_manifest(Arc::new(new.clone()));
        self.manifest = new;
    }
}

/// Whether anything the asynchronous triggers were started from differs.
fn triggers_changed(old: &Manifest, new: &Manifest) -> bool {
    if old.buckets != new.buckets || old.events != new.events {
        return true;
    }
    let shape = |m: &Manifest| {
        m.functions
            .values()
            .map(|f| {
                (
                    f.name.clone(),
                    f.s3.clone(),
                    f.schedules.clone(),
                    f.async_config,
                )
            })
            .collect::<Vec<_>>()
    };
    shape(old) != shape(new)
}
