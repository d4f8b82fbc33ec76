//! Building functions: which are stale, running their build commands or packaging their
//! source (`runtime = "python3.x"` / `"nodejs…"`, with the packager embedded in fnhost),
//! showing progress.

mod packaging;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result, bail};
use fnhost_manifest::{FunctionConfig, Manifest};
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

pub use packaging::{package_if_stale, place_packages, watched_files};

/// Why a function needs building or packaging, or `None` if its output is current.
pub fn stale_reason(manifest: &Manifest, function: &FunctionConfig) -> Option<String> {
    if function.runtime.language().is_some() {
        return packaging::stale_reason(function);
    }
    let build = function.build.as_ref()?;
    let built = match std::fs::metadata(&function.source).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(_) => return Some(format!("`{}` does not exist", function.source.display())),
    };
    // A function's layers are part of its package (Python and JS bundle them at build time):
    // a changed layer list or layer content re-packages it.
    let recorded = std::fs::read_to_string(stamp_path(function)).ok();
    if recorded != crate::layers::stamp(function) {
        return Some("its layers changed".to_owned());
    }
    for pattern in &build.watch {
        let full = manifest.dir.join(pattern);
        let Ok(paths) = glob::glob(&full.to_string_lossy()) else {
            continue;
        };
        for path in paths.flatten() {
            if modified(&path).is_some_and(|t| t > built) {
                return Some(format!("`{}` changed", path.display()));
            }
        }
    }
    None
}

/// `<source>.layers`: the layer stamp the last successful build saw.
fn stamp_path(function: &FunctionConfig) -> PathBuf {
    let mut path = function.source.clone().into_os_string();
    path.push(".layers");
    PathBuf::from(path)
}

/// Record the layers a successful build of `function` saw (or that it has none).
fn record_stamp(function: &FunctionConfig) -> Result<()> {
    let path = stamp_path(function);
    match crate::layers::stamp(function) {
        Some(stamp) => std::fs::write(&path, stamp)
            .with_context(|| format!("cannot write `{}`", path.display())),
        None => match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove `{}`", path.display()))
            }
            _ => Ok(()),
        },
    }
}

/// Where a build finds its function's layers merged (`FNHOST_OPT_DIR`): under `.fnhost/`
/// beside the manifest, the default state directory. Blocking.
fn build_opt_dir(manifest: &Manifest, function: &FunctionConfig) -> Result<Option<PathBuf>> {
    crate::layers::opt_dir(function, &manifest.dir.join(".fnhost"))
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// What happened to one function.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Built {
    /// The function.
    pub name: String,
    /// `built`, `packaged` (source packaged by fnhost), `fresh` (nothing to do) or `no-build`
    /// (no build command).
    pub status: &'static str,
    /// Why it was built.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds the command took.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
}

/// Build `functions` (all stale ones, or all when `force`), one command at a time, with a
/// progress bar on a terminal. Identical commands in the same directory run once.
pub async fn build(
    manifest: &Manifest,
    functions: &[&FunctionConfig],
    force: bool,
) -> Result<Vec<Built>> {
    let mut results = Vec::new();
    let mut todo = Vec::new();
    let mut packages = Vec::new();
    for f in functions {
        if f.runtime.language().is_some() {
            match stale_reason(manifest, f) {
                None if !force => results.push(Built {
                    name: f.name.clone(),
                    status: "fresh",
                    reason: None,
                    seconds: None,
                }),
                reason => packages.push((*f, reason.unwrap_or_else(|| "forced".into()))),
            }
            continue;
        }
        match (&f.build, stale_reason(manifest, f)) {
            (None, _) => results.push(Built {
                name: f.name.clone(),
                status: "no-build",
                reason: None,
                seconds: None,
            }),
            (Some(_), None) if !force => results.push(Built {
                name: f.name.clone(),
                status: "fresh",
                reason: None,
                seconds: None,
            }),
            (Some(b), reason) => todo.push((*f, b, reason.unwrap_or_else(|| "forced".into()))),
        }
    }
    if todo.is_empty() && packages.is_empty() {
        return Ok(results);
    }
    let bar = ProgressBar::new((todo.len() + packages.len()) as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} building {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    let mut done: Vec<(String, PathBuf, Option<PathBuf>, f64)> = Vec::new();
    for (f, b, reason) in todo {
        bar.set_message(f.name.clone());
        let opt = match build_opt_dir(manifest, f) {
            Ok(opt) => opt,
            Err(err) => {
                bar.abandon();
                return Err(err.context(format!("building function `{}` failed", f.name)));
            }
        };
        let seconds = match done
            .iter()
            .find(|(cmd, dir, o, _)| *cmd == b.command && *dir == b.workdir && *o == opt)
        {
            Some((_, _, _, secs)) => *secs,
            None => {
                let started = Instant::now();
                if let Err(err) = run_command(&b.command, &b.workdir, opt.as_deref()).await {
                    bar.abandon();
                    return Err(err.context(format!("building function `{}` failed", f.name)));
                }
                let secs = started.elapsed().as_secs_f64();
                done.push((b.command.clone(), b.workdir.clone(), opt.clone(), secs));
                secs
            }
        };
        if !f.source.exists() {
            bar.abandon();
            bail!(
                "building function `{}` succeeded but `{}` does not exist; check `source` and `build` in fnhost.toml",
                f.name,
                f.source.display()
            );
        }
        if let Err(err) = record_stamp(f) {
            bar.abandon();
            return Err(err);
        }
        bar.inc(1);
        if bar.is_hidden() {
            eprintln!("built {} in {seconds:.1}s ({reason})", f.name);
        }
        results.push(Built {
            name: f.name.clone(),
            status: "built",
            reason: Some(reason),
            seconds: Some(seconds),
        });
    }
    for (f, reason) in packages {
        bar.set_message(format!("{} (packaging)", f.name));
        let started = Instant::now();
        if let Err(err) = packaging::package(f, &bar).await {
            bar.abandon();
            return Err(err);
        }
        let seconds = started.elapsed().as_secs_f64();
        bar.inc(1);
        if bar.is_hidden() {
            eprintln!("packaged {} in {seconds:.1}s ({reason})", f.name);
        }
        results.push(Built {
            name: f.name.clone(),
            status: "packaged",
            reason: Some(reason),
            seconds: Some(seconds),
        });
    }
    bar.finish_and_clear();
    Ok(results)
}

/// The admin API's secret, which build commands do not inherit.
const SECRET_KEY_ENV: &str = fnhost_core::env::ADMIN_SECRET_KEY_ENV;

/// The variable naming the merged `/opt` of the function being built (its layers), set only
/// when it has layers; `guest-sdk/python/package.sh` and `guest-sdk/js/package.mjs` read it.
pub const OPT_DIR_ENV: &str = "FNHOST_OPT_DIR";

async fn run_command(command: &str, workdir: &Path, opt: Option<&Path>) -> Result<()> {
    let mut child = tokio::process::Command::new("sh");
    child.arg("-c").arg(command).current_dir(workdir);
    match opt {
        Some(opt) => child.env(OPT_DIR_ENV, opt),
        None => child.env_remove(OPT_DIR_ENV),
    };
    let output = child
        // A build runs the project's own scripts and their dependencies' build scripts; none
        // needs the admin API's secret. The access key id is not secret and stays.
        .env_remove(SECRET_KEY_ENV)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("cannot run `{command}` in `{}`", workdir.display()))?;
    if output.status.success() {
        return Ok(());
    }
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    let tail: Vec<&str> = text.lines().rev().take(20).collect();
    for line in tail.iter().rev() {
        eprintln!("  | {line}");
    }
    bail!("`{command}` exited with {}", output.status)
}
