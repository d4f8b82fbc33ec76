//! The embedded packaging scripts, extracted once per fingerprint under the tools directory as
//! `<tools>/sdk-<fingerprint>/`, in the repository's layout (`guest-sdk/python/package.sh` finds
//! the WIT at `../../wit`, as it does in a checkout).
//!
//! Extraction is atomic and safe between processes: files are written to a temporary directory
//! beside the target, which is renamed into place under an exclusive lock on
//! `<tools>/.sdk.lock`. A directory that exists is complete; nothing rewrites it.

use std::fs::{self, File};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use fnhost_core::runtimes::SourceLanguage;

use crate::PackageError;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub(crate) use embedded::{
    COMPONENTIZE_PY_VERSION, COMPONENTIZE_QJS_VERSION, ESBUILD_VERSION, FINGERPRINT, GUEST_PYTHON,
    JS_LOCK_HASH,
};

/// The embedded files: paths relative to the repository root, and their bytes.
pub(crate) fn files() -> &'static [(&'static str, &'static [u8])] {
    embedded::FILES
}

/// An exclusive lock on `<tools>/.<name>.lock`, held until the file is dropped: one process at
/// a time writes what it guards. Blocking.
pub(crate) fn lock(tools: &Path, name: &str) -> Result<File, PackageError> {
    let path = tools.join(format!(".{name}.lock"));
    let file = File::create(&path).map_err(PackageError::io(format!(
        "cannot create `{}`",
        path.display()
    )))?;
    file.lock().map_err(PackageError::io(format!(
        "cannot lock `{}`",
        path.display()
    )))?;
    Ok(file)
}

/// The extracted SDK's packaging script for `language`.
pub(crate) fn script(sdk: &Path, language: SourceLanguage) -> PathBuf {
    sdk.join("guest-sdk")
        .join(match language {
            SourceLanguage::Python => "python",
            SourceLanguage::Node => "js",
        })
        .join("package.sh")
}

/// `<tools>/sdk-<fingerprint>`, extracted if it is not there yet. Blocking.
pub(crate) fn extract(tools: &Path) -> Result<PathBuf, PackageError> {
    let target = tools.join(format!("sdk-{FINGERPRINT}"));
    if target.is_dir() {
        return Ok(target);
    }
    fs::create_dir_all(tools).map_err(PackageError::io(format!(
        "cannot create the tools directory `{}`",
        tools.display()
    )))?;
    let _lock = lock(tools, "sdk")?;
    // Another process may have finished while this one waited.
    if target.is_dir() {
        return Ok(target);
    }
    let staging = tools.join(format!(".sdk-{FINGERPRINT}.{}.tmp", std::process::id()));
    let written = write_all(&staging).and_then(|()| {
        fs::rename(&staging, &target).map_err(PackageError::io(format!(
            "cannot move the packaging scripts into `{}`",
            target.display()
        )))
    });
    if written.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    written?;
    tracing::debug!(dir = %target.display(), "extracted the packaging scripts");
    Ok(target)
}

/// Write every embedded file under `dir` (created afresh).
fn write_all(dir: &Path) -> Result<(), PackageError> {
    if dir.exists() {
        fs::remove_dir_all(dir).map_err(PackageError::io(format!(
            "cannot remove the stale `{}`",
            dir.display()
        )))?;
    }
    for (rel, bytes) in files() {
        let path = dir.join(rel);
        let io = PackageError::io(format!("cannot write `{}`", path.display()));
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(PackageError::io(format!(
                "cannot create `{}`",
                parent.display()
            )))?;
        }
        let mut file = File::create(&path).map_err(PackageError::io(format!(
            "cannot create `{}`",
            path.display()
        )))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_the_scripts_and_the_wit_but_no_tests() {
        let names: Vec<&str> = files().iter().map(|(name, _)| *name).collect();
        for expected in [
            "guest-sdk/python/package.sh",
            "guest-sdk/python/fnhost_lambda.py",
            "guest-sdk/python/aws/boto3/__init__.py",
            "guest-sdk/js/package.sh",
            "guest-sdk/js/package.mjs",
            "guest-sdk/js/package-lock.json",
            "guest-sdk/js/runtime.js",
            "guest-sdk/js/aws/client-s3.js",
            "guest-sdk/js/wit/js.wit",
            "wit/handler.wit",
            "wit/deps/http/http.wit",
        ] {
            assert!(names.contains(&expected), "{expected} is not embedded");
        }
        for name in &names {
            assert!(
                !name.contains("/tests/")
                    && !name.contains("/test/")
                    && !name.contains("__pycache__")
                    && !name.contains("node_modules"),
                "{name} should not be embedded"
            );
        }
        assert_eq!(FINGERPRINT.len(), 16);
        assert!(!COMPONENTIZE_PY_VERSION.is_empty() && !ESBUILD_VERSION.is_empty());
    }

    #[test]
    fn extraction_is_idempotent() {
        let tools = tempfile::tempdir().unwrap();
        let dir = extract(tools.path()).unwrap();
        assert_eq!(dir, tools.path().join(format!("sdk-{FINGERPRINT}")));
        for (rel, bytes) in files() {
            assert_eq!(fs::read(dir.join(rel)).unwrap(), *bytes, "{rel}");
        }
        // A second call finds the directory and leaves it alone.
        let marker = dir.join("guest-sdk/python/marker");
        fs::write(&marker, "kept").unwrap();
        assert_eq!(extract(tools.path()).unwrap(), dir);
        assert_eq!(fs::read_to_string(&marker).unwrap(), "kept");
        let leftovers: Vec<_> = fs::read_dir(tools.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn concurrent_extractions_agree() {
        let tools = tempfile::tempdir().unwrap();
        let dirs: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| extract(tools.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(dirs.iter().all(|d| d == &dirs[0]));
        for (rel, bytes) in files() {
            assert_eq!(fs::read(dirs[0].join(rel)).unwrap(), *bytes, "{rel}");
        }
        let entries: Vec<_> = fs::read_dir(tools.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(entries.len(), 2, "only the lock and the sdk: {entries:?}");
    }
}
