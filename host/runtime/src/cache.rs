//! On-disk cache of compiled artifacts, keyed by content hash and engine compatibility.
//!
//! Layout: `<state>/artifacts/<engine-hash>/<sha256>.cwasm`. An artifact is written to a
//! temporary name and renamed into place, so a crash never leaves a half-written file under
//! the real name, and a mapped artifact is never modified. Anything that fails to load (stale,
//! truncated, corrupted, from another wasmtime) is a cache miss: it is recompiled and replaced.

use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use wasmtime::Engine;

use crate::error::{Result, RuntimeError};

/// Whether a load used the cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status", content = "reason")]
pub enum CacheStatus {
    /// A valid artifact was loaded; nothing was compiled.
    Hit,
    /// No artifact existed; the wasm was compiled and stored.
    Miss,
    /// An artifact existed but could not be used; it was recompiled and replaced.
    Recompiled(String),
}

/// The artifact directory of one engine.
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    dir: PathBuf,
}

impl ArtifactCache {
    /// The cache for `engine` under `state_dir`.
    pub fn new(state_dir: &Path, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let dir = state_dir
            .join("artifacts")
            .join(format!("{:016x}", hasher.finish()));
        Self { dir }
    }

    /// Where the artifact of `sha256` lives.
    pub fn path_for(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.cwasm"))
    }

    /// Load an artifact with `load`, compiling with `compile` on a miss or a bad artifact.
    pub fn get_or_compile<T>(
        &self,
        sha256: &str,
        compile: impl FnOnce() -> Result<Vec<u8>>,
        load: impl Fn(&Path) -> wasmtime::Result<T>,
    ) -> Result<(T, CacheStatus)> {
        let path = self.path_for(sha256);
        let mut status = CacheStatus::Miss;
        if path.exists() {
            match load(&path) {
                Ok(loaded) => return Ok((loaded, CacheStatus::Hit)),
                Err(err) => {
                    let reason = crate::error::one_line(&err);
                    tracing::warn!(artifact = %path.display(), %reason, "unusable artifact, recompiling");
                    status = CacheStatus::Recompiled(reason);
                }
            }
        }
        let bytes = compile()?;
        self.store(&path, &bytes)?;
        let loaded = load(&path).map_err(|err| RuntimeError::Cache {
            path: path.clone(),
            source: std::io::Error::other(crate::error::one_line(&err)),
        })?;
        Ok((loaded, status))
    }

    fn store(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let cache_err = |source| RuntimeError::Cache {
            path: self.dir.clone(),
            source,
        };
        fs::create_dir_all(&self.dir).map_err(cache_err)?;
        let tmp = self.dir.join(format!(
            ".{}.{}.tmp",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("artifact"),
            uuid::Uuid::new_v4().simple()
        ));
        let write = || -> std::io::Result<()> {
            let mut file = fs::File::create(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            cache_err(e)
        })
    }
}
