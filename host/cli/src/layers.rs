//! A manifest function's files besides its wasm: `/opt`, merged from its `[layer.NAME]`s, and
//! `/var/task`, its `code` (a `.zip` is unpacked first). The directories are built by
//! [`fnhost_api::opt`], the same code the Lambda API uses for uploaded functions and
//! published layer versions, so both kinds of function see layers the same way.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use fnhost_api::opt;
use fnhost_manifest::FunctionConfig;
use fnhost_runtime::FunctionSpec;

/// Each layer of `config` as a directory, in order (`.zip` layers unpacked under `state_dir`).
fn layer_dirs(config: &FunctionConfig, state_dir: &Path) -> Result<Vec<PathBuf>> {
    config
        .layers
        .iter()
        .map(|layer| {
            opt::as_dir(state_dir, &layer.path).with_context(|| {
                format!(
                    "layer `{}` of function `{}` (fnhost.toml line {})",
                    layer.name, config.name, layer.line
                )
            })
        })
        .collect()
}

/// `<state_dir>/opt/<stamp>/`: the function's layers merged, or `None` when it has none.
/// Blocking.
pub fn opt_dir(config: &FunctionConfig, state_dir: &Path) -> Result<Option<PathBuf>> {
    let dirs = layer_dirs(config, state_dir)?;
    opt::merge(state_dir, &dirs)
        .with_context(|| format!("cannot merge the layers of function `{}`", config.name))
}

/// Point `spec` at the function's `/opt` and `/var/task` directories, building them under
/// `state_dir` as needed. Blocking.
pub fn place(spec: &mut FunctionSpec, config: &FunctionConfig, state_dir: &Path) -> Result<()> {
    spec.opt_dir = opt_dir(config, state_dir)?;
    spec.task_dir = match &config.code {
        Some(code) => Some(
            opt::as_dir(state_dir, code)
                .with_context(|| format!("`code` of function `{}`", config.name))?,
        ),
        None => None,
    };
    Ok(())
}

/// A stamp of the function's layers, for the build's staleness check: the layer names in
/// order and a hash of each one's content (a directory's files, or a `.zip`'s size and time).
/// `None` when it has no layers. A layer that cannot be read is stamped by its error.
pub fn stamp(config: &FunctionConfig) -> Option<String> {
    if config.layers.is_empty() {
        return None;
    }
    let mut parts = Vec::new();
    for layer in &config.layers {
        let content = if layer.is_zip() {
            std::fs::metadata(&layer.path)
                .and_then(|m| Ok((m.len(), m.modified()?)))
                .map(|(len, time)| format!("zip {len} {time:?}"))
                .unwrap_or_else(|e| format!("unreadable: {e}"))
        } else {
            opt::stamp(std::slice::from_ref(&layer.path))
                .unwrap_or_else(|e| format!("unreadable: {e}"))
        };
        parts.push(format!("{} {} {content}", layer.name, layer.path.display()));
    }
    Some(parts.join("\n") + "\n")
}
