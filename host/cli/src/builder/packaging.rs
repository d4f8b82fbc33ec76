//! Source runtimes (`runtime = "python3.x"` / `"nodejs…"`): fnhost packages the function's
//! `code` itself into `<state>/packages/<name>.wasm` with the packager embedded in the binary,
//! and packages again only when the stamp beside the package changes: the code tree (paths,
//! sizes, modification times), the handler, the runtime, the layers and the packager's
//! fingerprint. A `.zip` `code` is unpacked into the state directory first, by the same
//! defensive reader as uploads. The function's `/var/task` stays its code.

use std::path::{Path, PathBuf};
use std::time::{Instant, UNIX_EPOCH};

use anyhow::{Context as _, Result, anyhow};
use fnhost_api::opt;
use fnhost_manifest::{FunctionConfig, Manifest, packaged_source};
use fnhost_packager::{Packaged, Packager, Request};
use indicatif::ProgressBar;
use sha2::{Digest as _, Sha256};

/// Directories never part of a function's code for staleness and watching: packaging itself
/// writes Python's byte-code cache into the code.
const SKIPPED_DIRS: &[&str] = &["__pycache__"];

/// Most files of a code directory watched for hot reload (a `node_modules` can be huge).
const MAX_WATCHED: usize = 10_000;

/// Point every source-runtime function's `source` at `<state_dir>/packages/<name>.wasm`, where
/// fnhost packages it (the manifest alone assumes the default state directory).
pub fn place_packages(manifest: &mut Manifest, state_dir: &Path) {
    for function in manifest.functions.values_mut() {
        if function.runtime.language().is_some() {
            function.source = packaged_source(state_dir, &function.name);
        }
    }
}

/// The state directory a source-runtime function is packaged in: its package is
/// `<state>/packages/<name>.wasm` ([`place_packages`]), and the unpacked `code` zip and merged
/// layers go beside it in the same state directory.
fn state_dir(function: &FunctionConfig) -> PathBuf {
    function
        .source
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// `<package>.stamp`: the stamp the last successful packaging saw.
fn stamp_path(function: &FunctionConfig) -> PathBuf {
    let mut path = function.source.clone().into_os_string();
    path.push(".stamp");
    PathBuf::from(path)
}

/// The function's code as a directory (a `.zip` unpacked under the state directory).
fn code_dir(function: &FunctionConfig) -> Result<PathBuf> {
    let code = function.code.as_ref().ok_or_else(|| {
        anyhow!(
            "function `{}` has runtime `{}` but no `code`",
            function.name,
            function.runtime
        )
    })?;
    opt::as_dir(&state_dir(function), code)
        .with_context(|| format!("`code` of function `{}`", function.name))
}

/// Every file under `dir` (not entering [`SKIPPED_DIRS`] or symlinked directories), with its
/// path relative to `dir`, sorted.
fn code_files(dir: &Path) -> std::io::Result<Vec<(PathBuf, std::fs::Metadata)>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        for entry in std::fs::read_dir(dir.join(&relative))? {
            let entry = entry?;
            let name = entry.file_name();
            let path = relative.join(&name);
            let kind = entry.file_type()?;
            if kind.is_dir() {
                if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    pending.push(path);
                }
            } else if let Ok(meta) = std::fs::metadata(entry.path()) {
                files.push((path, meta));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// SHA-256 (hex) over the code tree's relative paths, sizes and modification times.
fn tree_hash(dir: &Path) -> Result<String> {
    let mut hash = Sha256::new();
    for (relative, meta) in
        code_files(dir).with_context(|| format!("cannot read `{}`", dir.display()))?
    {
        let mtime = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        hash.update(format!("{}\0{}\0{mtime}\0", relative.display(), meta.len()).as_bytes());
    }
    Ok(hex::encode(hash.finalize()))
}

/// The stamp of what the package is made from: one `key value` line per input.
fn stamp(function: &FunctionConfig, packager: &Packager) -> Result<String> {
    let code = code_dir(function)?;
    let layers = crate::layers::stamp(function)
        .map_or_else(|| "none".to_owned(), |s| hex::encode(Sha256::digest(s)));
    Ok(format!(
        "packager {}\nruntime {}\nhandler {}\ncode {} {}\nlayers {layers}\n",
        packager.fingerprint(),
        function.runtime,
        function.handler.as_deref().unwrap_or_default(),
        code.display(),
        tree_hash(&code)?,
    ))
}

/// What differs between two stamps, in words.
fn change(recorded: &str, current: &str) -> String {
    let value = |stamp: &str, key: &str| {
        stamp
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ').map(str::to_owned))
    };
    for (key, words) in [
        ("packager", "fnhost's packager changed"),
        ("runtime", "its runtime changed"),
        ("handler", "its handler changed"),
        ("code", "its code changed"),
        ("layers", "its layers changed"),
    ] {
        if value(recorded, key) != value(current, key) {
            return words.to_owned();
        }
    }
    "its inputs changed".to_owned()
}

/// Why a source-runtime function needs packaging, or `None` if its package is current.
pub(super) fn stale_reason(function: &FunctionConfig) -> Option<String> {
    if !function.source.is_file() {
        return Some("not packaged yet".to_owned());
    }
    let current = match stamp(function, &Packager::new(None)) {
        Ok(stamp) => stamp,
        Err(err) => return Some(format!("{err:#}")),
    };
    match std::fs::read_to_string(stamp_path(function)) {
        Ok(recorded) if recorded == current => None,
        Ok(recorded) => Some(change(&recorded, &current)),
        Err(_) => Some("not packaged yet".to_owned()),
    }
}

/// Package `function` now, passing the packager's lines to `progress`, and record its stamp.
/// Blocking.
fn package_blocking(function: &FunctionConfig, progress: &dyn Fn(&str)) -> Result<Packaged> {
    let packager = Packager::new(None);
    let language = function.runtime.language().ok_or_else(|| {
        anyhow!(
            "function `{}` has runtime `{}`, which is not packaged from source",
            function.name,
            function.runtime
        )
    })?;
    // Taken before packaging: a file changed meanwhile makes the next run package again.
    let stamp = stamp(function, &packager)?;
    let request = Request {
        language,
        handler: function.handler.clone().unwrap_or_default(),
        code: code_dir(function)?,
        opt_dir: crate::layers::opt_dir(function, &state_dir(function))?,
        out: function.source.clone(),
    };
    let packaged = packager.package(&request, progress).with_context(|| {
        format!(
            "packaging function `{}` (runtime `{}`, handler `{}`, code `{}`) failed",
            function.name,
            function.runtime,
            request.handler,
            request.code.display()
        )
    })?;
    let path = stamp_path(function);
    let tmp = path.with_extension(format!("stamp.{}.tmp", std::process::id()));
    std::fs::write(&tmp, stamp)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(packaged)
}

/// The warning for a package whose handler cannot be loaded.
fn init_warning(function: &FunctionConfig, error: &str) -> String {
    format!(
        "fnhost: warning: function `{}`: handler `{}` cannot be loaded; every invocation will \
         fail with: {error} (top-level code runs at packaging time: read environment variables \
         inside the handler)",
        function.name,
        function.handler.as_deref().unwrap_or_default()
    )
}

/// Package `function` off the async workers, showing the packager's progress on `bar` (on a
/// terminal) or its one-time tool installs as lines (otherwise).
pub(super) async fn package(function: &FunctionConfig, bar: &ProgressBar) -> Result<()> {
    let owned = function.clone();
    let shown = bar.clone();
    let packaged = tokio::task::spawn_blocking(move || {
        package_blocking(&owned, &|line| {
            if shown.is_hidden() {
                if line.starts_with("fnhost: installing") {
                    eprintln!("{line}");
                }
            } else {
                let line: String = line.chars().take(60).collect();
                shown.set_message(format!("{} ({line})", owned.name));
            }
        })
    })
    .await
    .context("packaging panicked")??;
    if let Some(error) = &packaged.init_error {
        bar.suspend(|| eprintln!("{}", init_warning(function, error)));
    }
    Ok(())
}

/// Package `function` if it is a source runtime whose package is stale, printing what
/// happens as `fnhost:` lines (for hot reload, where a progress bar would tangle with the
/// log). The seconds it took, or `None` when there was nothing to do.
pub async fn package_if_stale(function: &FunctionConfig) -> Result<Option<f64>> {
    if function.runtime.language().is_none() {
        return Ok(None);
    }
    let owned = function.clone();
    let done = tokio::task::spawn_blocking(move || {
        let Some(reason) = stale_reason(&owned) else {
            return Ok(None);
        };
        eprintln!("fnhost: packaging `{}` ({reason})", owned.name);
        let started = Instant::now();
        let packaged = package_blocking(&owned, &|line| {
            if line.starts_with("fnhost: installing") {
                eprintln!("{line}");
            }
        })?;
        if let Some(error) = &packaged.init_error {
            eprintln!("{}", init_warning(&owned, error));
        }
        anyhow::Ok(Some(started.elapsed().as_secs_f64()))
    })
    .await
    .context("packaging panicked")??;
    Ok(done)
}

/// The files whose change makes hot reload load `function` again: its `source`, or for a
/// source runtime the files of its `code` (a `.zip` itself), which it then packages again.
/// Absolute paths.
pub fn watched_files(function: &FunctionConfig) -> Vec<PathBuf> {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let code = match (&function.code, function.runtime.language()) {
        (Some(code), Some(_)) => absolute(code),
        _ => return vec![absolute(&function.source)],
    };
    if !code.is_dir() {
        return vec![code];
    }
    match code_files(&code) {
        Ok(files) => files
            .into_iter()
            .take(MAX_WATCHED)
            .map(|(relative, _)| code.join(relative))
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_follow_the_code_but_not_its_byte_code_cache() {
        let dir = tempfile::tempdir().unwrap();
        let code = dir.path().join("code");
        std::fs::create_dir_all(code.join("__pycache__")).unwrap();
        std::fs::write(code.join("app.py"), "x = 1\n").unwrap();
        let before = tree_hash(&code).unwrap();
        std::fs::write(code.join("__pycache__/app.cpython-314.pyc"), "cache").unwrap();
        assert_eq!(tree_hash(&code).unwrap(), before);
        std::fs::write(code.join("app.py"), "x = 22\n").unwrap();
        assert_ne!(tree_hash(&code).unwrap(), before);
    }

    #[test]
    fn changes_are_named() {
        let a = "packager 1\nruntime python3.12\nhandler a.b\ncode /c 1\nlayers none\n";
        let b = a.replace("handler a.b", "handler a.c");
        assert_eq!(change(a, &b), "its handler changed");
        let c = a.replace("code /c 1", "code /c 2");
        assert_eq!(change(a, &c), "its code changed");
        let d = a.replace("packager 1", "packager 2");
        assert_eq!(change(a, &d), "fnhost's packager changed");
    }
}
