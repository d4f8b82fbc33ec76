//! Loading manifest functions into the runtime and wrapping them for the registry.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use fnhost_dispatch::{Admission, Deployed, Origin};
use fnhost_manifest::{FunctionConfig, Manifest};
use fnhost_runtime::{CacheStatus, Function, Runtime};
use indicatif::{ProgressBar, ProgressStyle};

use crate::project::{Objects, spec};

/// Load one function off the async workers (compiling can take seconds).
pub async fn load(
    runtime: &Arc<Runtime>,
    objects: &Objects,
    config: &FunctionConfig,
) -> Result<Function> {
    let loader = runtime.clone();
    let (mut spec, source) = (spec(config, objects), config.source.clone());
    let placed = config.clone();
    tokio::task::spawn_blocking(move || {
        // /opt (layers merged) and /var/task (`code`, unzipped): directory work, off the workers.
        crate::layers::place(&mut spec, &placed, &loader.config().state_dir)?;
        anyhow::Ok(loader.load(spec, &source)?)
    })
    .await
    .context("loading the function panicked")?
    .with_context(|| format!("cannot load function `{}`", config.name))
}

/// Load every function of `manifest`, with a progress bar on a terminal. The first error
/// stops `fnhost up` before it binds a socket.
pub async fn load_all(
    runtime: &Arc<Runtime>,
    objects: &Objects,
    manifest: &Manifest,
) -> Result<BTreeMap<String, Function>> {
    let bar = ProgressBar::new(manifest.functions.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} loading {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut loaded = BTreeMap::new();
    for config in manifest.functions.values() {
        bar.set_message(config.name.clone());
        let function = match load(runtime, objects, config).await {
            Ok(f) => f,
            Err(err) => {
                bar.abandon();
                return Err(err);
            }
        };
        let info = function.info();
        if bar.is_hidden() && info.cache != CacheStatus::Hit {
            eprintln!(
                "compiled {} in {:.0} ms",
                config.name,
                info.load_duration.as_secs_f64() * 1000.0
            );
        }
        tracing::info!(function = %config.name, cache = ?info.cache, kind = ?info.kind, "loaded");
        bar.inc(1);
        loaded.insert(config.name.clone(), function);
    }
    bar.finish_and_clear();
    Ok(loaded)
}

/// Wrap a loaded function for the registry, keeping the concurrency gate of `previous` when
/// the reservation did not change (so running invocations still count against it).
pub fn deployed(
    admission: &Admission,
    function: Function,
    config: &FunctionConfig,
    previous: Option<&Deployed>,
) -> Deployed {
    let gate = match previous {
        Some(p) if p.reserved_concurrency == config.reserved_concurrency => p.gate.clone(),
        _ => admission.gate(config.reserved_concurrency),
    };
    Deployed {
        function: Arc::new(function),
        gate,
        reserved_concurrency: config.reserved_concurrency,
        origin: Origin::Manifest,
    }
}
