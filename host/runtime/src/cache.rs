//! On-disk cache of compiled artifacts, keyed by content hash and engine compatibility, and an
//! index of source files' hashes so that a restart need not re-hash an unchanged source.
//!
//! Layout: `<state>/artifacts/<engine-hash>/<sha256>.cwasm`. An artifact is written to a
//! temporary name and renamed into place, so a crash never leaves a half-written file under
//! the real name, and a mapped artifact is never modified. Anything that fails to load (stale,
//! truncated, corrupted, from another wasmtime) is a cache miss: it is recompiled and replaced.
//!
//! The cache is bounded: an upload's compile is held in memory as a [`PendingArtifact`] until
//! the upload is accepted; [`ArtifactCache::collect`] removes the artifacts of code nothing
//! uses and stale temporary files; and every new artifact brings the directory back under its
//! size budget by removing the least recently used (a load refreshes an artifact's mtime).
//!
//! The source index ([`SourceIndex`], `<state>/sources/`) is engine-independent, hence beside
//! `artifacts/` rather than inside it.

use std::collections::HashSet;
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

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

/// The default size budget of `<state>/artifacts`: 2 GiB.
pub const DEFAULT_ARTIFACT_BUDGET: u64 = 2 * 1024 * 1024 * 1024;

/// How old a temporary file must be before a sweep removes it: older than any write takes, so
/// a sweep never removes one another process is writing right now.
const STALE_TEMP: Duration = Duration::from_secs(600);

/// The artifact directory of one engine.
#[derive(Debug, Clone)]
pub struct ArtifactCache {
    /// `<state>/artifacts`, shared by every engine.
    root: PathBuf,
    /// `<state>/artifacts/<engine-hash>`.
    dir: PathBuf,
    /// Most bytes of artifacts kept over all engines (see [`ArtifactCache::enforce_budget`]).
    budget: u64,
}

/// A compiled artifact kept in memory until [`PendingArtifact::store`] writes it to the cache:
/// an upload is compiled (proving it is runnable) before its quota, name and revision are
/// checked, and only code that is accepted may leave something on disk.
#[derive(Debug)]
pub struct PendingArtifact {
    cache: ArtifactCache,
    path: PathBuf,
    bytes: Vec<u8>,
}

impl PendingArtifact {
    /// Write the artifact under its real name (temp file, sync, rename), so the next start maps
    /// it instead of compiling again.
    pub fn store(self) -> Result<()> {
        self.cache.store(&self.path, &self.bytes)
    }
}

/// What [`ArtifactCache::collect`] removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Collected {
    /// Files removed: unused artifacts and stale temporary files.
    pub files: usize,
    /// Their bytes.
    pub bytes: u64,
}

impl ArtifactCache {
    /// The cache for `engine` under `state_dir`, with the default size budget.
    pub fn new(state_dir: &Path, engine: &Engine) -> Self {
        let mut hasher = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let root = state_dir.join("artifacts");
        let dir = root.join(format!("{:016x}", hasher.finish()));
        Self {
            root,
            dir,
            budget: DEFAULT_ARTIFACT_BUDGET,
        }
    }

    /// The same cache with another size budget, in bytes.
    pub fn with_budget(mut self, budget: u64) -> Self {
        self.budget = budget;
        self
    }

    /// This engine's directory.
    pub fn dir(&self) -> &Path {
        &self.dir
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
        let status = match self.try_load(&path, &load) {
            Ok(loaded) => return Ok((loaded, CacheStatus::Hit)),
            Err(status) => status,
        };
        let bytes = compile()?;
        self.store(&path, &bytes)?;
        let loaded = match load(&path) {
            Ok(loaded) => loaded,
            // A collection running at the same time (another state directory sharing this
            // cache, or an API delete) may have taken the new file: write it once more.
            Err(_) => {
                self.store(&path, &bytes)?;
                load(&path).map_err(|err| RuntimeError::Cache {
                    path: path.clone(),
                    source: std::io::Error::other(crate::error::one_line(&err)),
                })?
            }
        };
        Ok((loaded, status))
    }

    /// Like [`ArtifactCache::get_or_compile`], but a fresh compile is loaded from memory with
    /// `load_bytes` and handed back as a [`PendingArtifact`] instead of being written.
    pub fn get_or_compile_pending<T>(
        &self,
        sha256: &str,
        compile: impl FnOnce() -> Result<Vec<u8>>,
        load: impl Fn(&Path) -> wasmtime::Result<T>,
        load_bytes: impl FnOnce(&[u8]) -> wasmtime::Result<T>,
    ) -> Result<(T, CacheStatus, Option<PendingArtifact>)> {
        let path = self.path_for(sha256);
        let status = match self.try_load(&path, &load) {
            Ok(loaded) => return Ok((loaded, CacheStatus::Hit, None)),
            Err(status) => status,
        };
        let bytes = compile()?;
        let loaded = load_bytes(&bytes).map_err(|err| RuntimeError::Cache {
            path: path.clone(),
            source: std::io::Error::other(crate::error::one_line(&err)),
        })?;
        let pending = PendingArtifact {
            cache: self.clone(),
            path,
            bytes,
        };
        Ok((loaded, status, Some(pending)))
    }

    /// The artifact at `path` if it loads (marking it recently used); otherwise whether it was
    /// missing or unusable.
    fn try_load<T>(
        &self,
        path: &Path,
        load: &impl Fn(&Path) -> wasmtime::Result<T>,
    ) -> std::result::Result<T, CacheStatus> {
        if !path.exists() {
            return Err(CacheStatus::Miss);
        }
        match load(path) {
            Ok(loaded) => {
                // The budget evicts the least recently used first; a failure only makes this
                // artifact look older.
                let _ = fs::File::open(path).and_then(|f| f.set_modified(SystemTime::now()));
                Ok(loaded)
            }
            Err(err) => {
                let reason = crate::error::one_line(&err);
                tracing::warn!(artifact = %path.display(), %reason, "unusable artifact, recompiling");
                Err(CacheStatus::Recompiled(reason))
            }
        }
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
        })?;
        if let Err(err) = self.enforce_budget(path) {
            tracing::warn!(artifacts = %self.root.display(), %err, "cannot enforce the artifact cache budget");
        }
        Ok(())
    }

    /// Keep `<state>/artifacts` (every engine's directory) within the budget: remove the least
    /// recently used artifacts (by mtime, which a load refreshes) until the rest fit, never
    /// `keep`. A removed artifact that a running function uses stays mapped and working; the
    /// next start compiles it again.
    fn enforce_budget(&self, keep: &Path) -> std::io::Result<()> {
        let mut artifacts = Vec::new();
        let mut total = 0u64;
        for (path, meta) in artifact_files(&self.root)? {
            if path.extension().is_some_and(|e| e == "cwasm") {
                total += meta.len();
                let used = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
                artifacts.push((used, meta.len(), path));
            }
        }
        if total <= self.budget {
            return Ok(());
        }
        artifacts.sort();
        for (_, size, path) in artifacts {
            if total <= self.budget {
                break;
            }
            if path == keep {
                continue;
            }
            match fs::remove_file(&path) {
                Ok(()) => {
                    total -= size;
                    tracing::info!(artifact = %path.display(), size, "artifact evicted: the cache is over its budget");
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => total -= size,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Garbage collection: remove every artifact that is not in one of `live` (the directories
    /// of the engines in use) under a name in `keep` (the sha256 of every function and version
    /// that can be loaded), and temporary files left by a crash. A `<state>/artifacts` that is
    /// a symbolic link is shared with other state directories whose functions this host cannot
    /// know, so it is left to the size budget alone.
    pub fn collect(
        root: &Path,
        live: &[PathBuf],
        keep: &HashSet<String>,
    ) -> std::io::Result<Collected> {
        let mut collected = Collected::default();
        if fs::symlink_metadata(root).is_ok_and(|m| m.file_type().is_symlink()) {
            tracing::debug!(artifacts = %root.display(), "shared artifact cache: not collected");
            return Ok(collected);
        }
        let now = SystemTime::now();
        for (path, meta) in artifact_files(root)? {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let in_live_dir = path.parent().is_some_and(|d| live.iter().any(|l| l == d));
            let unused = match name.strip_suffix(".cwasm") {
                Some(sha) => !(in_live_dir && keep.contains(sha)),
                None => {
                    name.ends_with(".tmp")
                        && meta
                            .modified()
                            .ok()
                            .and_then(|m| now.duration_since(m).ok())
                            .is_some_and(|age| age > STALE_TEMP)
                }
            };
            if unused {
                match fs::remove_file(&path) {
                    Ok(()) => {
                        collected.files += 1;
                        collected.bytes += meta.len();
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        // Engine directories left empty (another wasmtime, other settings) go too.
        if let Ok(dirs) = fs::read_dir(root) {
            for dir in dirs.flatten() {
                let _ = fs::remove_dir(dir.path());
            }
        }
        Ok(collected)
    }
}

/// Every regular file in the engine directories under `root` (`root/<engine>/<file>`), with
/// its metadata; a missing `root` has none.
fn artifact_files(root: &Path) -> std::io::Result<Vec<(PathBuf, fs::Metadata)>> {
    let engines = match fs::read_dir(root) {
        Ok(engines) => engines,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for engine in engines {
        let engine = engine?;
        if !engine.file_type()?.is_dir() {
            continue;
        }
        let Ok(entries) = fs::read_dir(engine.path()) else {
            continue;
        };
        for entry in entries.flatten() {
            if let Ok(meta) = entry.metadata()
                && meta.is_file()
            {
                files.push((entry.path(), meta));
            }
        }
    }
    Ok(files)
}

/// What the index remembers of a source file: enough to load its artifact without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Digest {
    /// sha256 of the wasm binary (after WAT is parsed), the artifact's name.
    pub sha256: String,
    /// A component rather than a core module (they deserialize differently).
    pub component: bool,
}

/// The identity of a file's content as the file system tells it, without reading the file.
/// `ctime` changes on every write and cannot be set back by `touch`, so a rewrite is noticed
/// even when it keeps the size and restores the mtime; the inode changes when a build renames a
/// new file into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Stamp {
    /// The stamp of `meta`; `None` where the platform has no inode numbers (then nothing is
    /// indexed and every load hashes the file, as before the index existed).
    pub fn of(meta: &fs::Metadata) -> Option<Self> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            let ns = |secs: i64, nanos: i64| i128::from(secs) * 1_000_000_000 + i128::from(nanos);
            Some(Self {
                dev: meta.dev(),
                ino: meta.ino(),
                size: meta.size(),
                mtime_ns: ns(meta.mtime(), meta.mtime_nsec()),
                ctime_ns: ns(meta.ctime(), meta.ctime_nsec()),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// Whether a change made after `now` would surely get other timestamps. File systems stamp
    /// with a coarse clock (a scheduler tick; whole seconds on some), so a write in the same
    /// tick as the one read can keep every field: only files changed longer ago are indexed.
    fn settled(&self, now: SystemTime) -> bool {
        let Ok(now) = now.duration_since(SystemTime::UNIX_EPOCH) else {
            return false;
        };
        let limit = (now.saturating_sub(SourceIndex::SETTLE)).as_nanos() as i128;
        self.mtime_ns < limit && self.ctime_ns < limit
    }
}

/// sha256 of source files by (canonical path, device, inode, size, mtime, ctime), so that a
/// restart with an unchanged file maps its artifact instead of reading and hashing the whole
/// wasm, which dominates a warm start of a large component such as a Python one.
///
/// One small file per source, `<state>/sources/<sha256 of the path, 32 hex>`, holding
/// `v1 DEV INO SIZE MTIME_NS CTIME_NS component|module SHA256`, a newline and the canonical
/// path. Entries are written to a temporary name and renamed, so concurrent loads never see
/// half an entry; anything unreadable, malformed or not matching the file's current stamp is
/// ignored and the file is read and hashed as usual. A file whose stamp cannot be trusted (see
/// [`Stamp`]) is never indexed. What the index cannot notice is a rewrite with the same size
/// under a clock set back to before the recorded times.
#[derive(Debug, Clone)]
pub(crate) struct SourceIndex {
    dir: PathBuf,
}

impl SourceIndex {
    /// How long ago a file must have been changed to be indexed: more than any file system's
    /// timestamp granularity (2 s on FAT, 1 s on ext3, a few ms on ext4 and tmpfs).
    pub const SETTLE: Duration = Duration::from_secs(2);

    /// The index under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("sources"),
        }
    }

    /// The recorded digest of `path`, if the file is unchanged since it was recorded.
    pub fn lookup(&self, path: &Path) -> Option<Digest> {
        let canonical = fs::canonicalize(path).ok()?;
        let stamp = Stamp::of(&fs::metadata(&canonical).ok()?)?;
        let entry = fs::read(self.entry_path(&canonical)).ok()?;
        let (recorded, digest) = parse_entry(&entry, &canonical)?;
        (recorded == stamp).then_some(digest)
    }

    /// Remember `digest` for `path`, whose content was read after taking `stamp` from the open
    /// file at time `now`. Best effort: the index is an optimization, so failures are ignored.
    pub fn record(&self, path: &Path, stamp: Option<Stamp>, digest: &Digest, now: SystemTime) {
        let Some(stamp) = stamp.filter(|s| s.settled(now)) else {
            return;
        };
        let Ok(canonical) = fs::canonicalize(path) else {
            return;
        };
        let entry = self.entry_path(&canonical);
        let mut text = format!(
            "v1 {} {} {} {} {} {} {}\n",
            stamp.dev,
            stamp.ino,
            stamp.size,
            stamp.mtime_ns,
            stamp.ctime_ns,
            if digest.component {
                "component"
            } else {
                "module"
            },
            digest.sha256
        )
        .into_bytes();
        text.extend_from_slice(canonical.as_os_str().as_encoded_bytes());
        let tmp = self
            .dir
            .join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = fs::create_dir_all(&self.dir)
            .and_then(|()| fs::write(&tmp, &text))
            .and_then(|()| fs::rename(&tmp, &entry));
        if let Err(err) = written {
            let _ = fs::remove_file(&tmp);
            tracing::debug!(index = %self.dir.display(), %err, "cannot record a source hash");
        }
    }

    fn entry_path(&self, canonical: &Path) -> PathBuf {
        let name = sha256_hex(canonical.as_os_str().as_encoded_bytes());
        self.dir.join(&name[..32])
    }
}

/// An entry's stamp and digest, if it is well-formed and for `canonical`.
fn parse_entry(entry: &[u8], canonical: &Path) -> Option<(Stamp, Digest)> {
    let newline = entry.iter().position(|&b| b == b'\n')?;
    let (header, path) = (&entry[..newline], &entry[newline + 1..]);
    if path != canonical.as_os_str().as_encoded_bytes() {
        return None;
    }
    let fields: Vec<&str> = std::str::from_utf8(header).ok()?.split(' ').collect();
    let ["v1", dev, ino, size, mtime_ns, ctime_ns, kind, sha256] = fields[..] else {
        return None;
    };
    let component = match kind {
        "component" => true,
        "module" => false,
        _ => return None,
    };
    let is_sha256 = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    let stamp = Stamp {
        dev: dev.parse().ok()?,
        ino: ino.parse().ok()?,
        size: size.parse().ok()?,
        mtime_ns: mtime_ns.parse().ok()?,
        ctime_ns: ctime_ns.parse().ok()?,
    };
    is_sha256.then(|| {
        let sha256 = sha256.to_string();
        (stamp, Digest { sha256, component })
    })
}

/// sha256 as lowercase hex: artifact names and source digests.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache(state: &Path) -> ArtifactCache {
        ArtifactCache::new(state, &Engine::default())
    }

    fn read(p: &Path) -> wasmtime::Result<Vec<u8>> {
        Ok(fs::read(p)?)
    }

    fn artifacts(state: &Path) -> Vec<String> {
        let mut names: Vec<String> = artifact_files(&state.join("artifacts"))
            .unwrap()
            .into_iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_pending_artifact_is_written_only_when_stored() {
        let state = tempfile::tempdir().unwrap();
        let cache = cache(state.path());
        let (loaded, status, pending) = cache
            .get_or_compile_pending("aa", || Ok(b"compiled".to_vec()), read, |b| Ok(b.to_vec()))
            .unwrap();
        assert_eq!(
            (loaded.as_slice(), status),
            (&b"compiled"[..], CacheStatus::Miss)
        );
        assert!(artifacts(state.path()).is_empty(), "nothing on disk yet");
        drop(pending);
        assert!(!state.path().join("artifacts").exists());
        let (_, _, pending) = cache
            .get_or_compile_pending("aa", || Ok(b"compiled".to_vec()), read, |b| Ok(b.to_vec()))
            .unwrap();
        pending.unwrap().store().unwrap();
        assert_eq!(artifacts(state.path()), ["aa.cwasm"]);
        let (_, status, pending) = cache
            .get_or_compile_pending(
                "aa",
                || panic!("a hit compiles nothing"),
                read,
                |b| Ok(b.to_vec()),
            )
            .unwrap();
        assert_eq!(status, CacheStatus::Hit);
        assert!(pending.is_none());
    }

    #[test]
    fn the_budget_evicts_the_least_recently_used_artifacts() {
        let state = tempfile::tempdir().unwrap();
        let cache = cache(state.path()).with_budget(25);
        let compile = |n: u8| move || Ok(vec![n; 10]);
        cache.get_or_compile("a", compile(1), read).unwrap();
        cache.get_or_compile("b", compile(2), read).unwrap();
        // `a` is used again, so `b` is now the least recently used.
        let old = SystemTime::now() - Duration::from_secs(60);
        fs::File::open(cache.path_for("b"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        fs::File::open(cache.path_for("a"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert_eq!(
            cache.get_or_compile("a", compile(1), read).unwrap().1,
            CacheStatus::Hit
        );
        cache.get_or_compile("c", compile(3), read).unwrap();
        assert_eq!(artifacts(state.path()), ["a.cwasm", "c.cwasm"]);
        // An artifact larger than the whole budget is still kept (it was just written).
        cache.get_or_compile("d", || Ok(vec![4; 40]), read).unwrap();
        assert_eq!(artifacts(state.path()), ["d.cwasm"]);
    }

    #[test]
    fn collection_keeps_only_live_artifacts_and_fresh_temporary_files() {
        let state = tempfile::tempdir().unwrap();
        let cache = cache(state.path());
        for sha in ["used", "unused"] {
            cache
                .get_or_compile(sha, || Ok(b"x".to_vec()), read)
                .unwrap();
        }
        let other_engine = state.path().join("artifacts/0123456789abcdef");
        fs::create_dir_all(&other_engine).unwrap();
        fs::write(other_engine.join("used.cwasm"), b"old wasmtime").unwrap();
        let stale = cache.dir().join(".used.cwasm.1.tmp");
        fs::write(&stale, b"crashed").unwrap();
        fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        let fresh = cache.dir().join(".used.cwasm.2.tmp");
        fs::write(&fresh, b"being written").unwrap();
        let keep = HashSet::from(["used".to_string()]);
        let live = [cache.dir().to_path_buf()];
        let root = state.path().join("artifacts");
        let collected = ArtifactCache::collect(&root, &live, &keep).unwrap();
        assert_eq!(
            collected.files, 3,
            "unused, the other engine's, the stale temp"
        );
        assert_eq!(artifacts(state.path()), [".used.cwasm.2.tmp", "used.cwasm"]);
        assert!(!other_engine.exists(), "an emptied engine directory goes");

        // A shared (symlinked) cache is left alone.
        let shared = tempfile::tempdir().unwrap();
        let linked = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(shared.path(), linked.path().join("artifacts")).unwrap();
        let cache = ArtifactCache::new(linked.path(), &Engine::default());
        cache
            .get_or_compile("unused", || Ok(b"x".to_vec()), read)
            .unwrap();
        let collected =
            ArtifactCache::collect(&linked.path().join("artifacts"), &[], &HashSet::new()).unwrap();
        assert_eq!(collected, Collected::default());
        assert!(cache.path_for("unused").exists());
    }

    fn digest(sha: char) -> Digest {
        Digest {
            sha256: sha.to_string().repeat(64),
            component: true,
        }
    }

    fn stamp(path: &Path) -> Option<Stamp> {
        Stamp::of(&fs::metadata(path).unwrap())
    }

    /// Long enough after any write in the test for entries to be recorded.
    fn later() -> SystemTime {
        SystemTime::now() + Duration::from_secs(60)
    }

    fn set_mtime(path: &Path, t: SystemTime) {
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        index: SourceIndex,
        file: PathBuf,
    }

    /// A source file `f.wasm` with an entry recorded for it.
    fn recorded() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let index = SourceIndex::new(&dir.path().join("state"));
        let file = dir.path().join("f.wasm");
        fs::write(&file, b"first content").unwrap();
        index.record(&file, stamp(&file), &digest('a'), later());
        assert_eq!(index.lookup(&file), Some(digest('a')));
        Fixture {
            _dir: dir,
            index,
            file,
        }
    }

    #[test]
    fn an_unchanged_file_is_known_under_any_spelling_of_its_path() {
        let f = recorded();
        let dotted = f.file.parent().unwrap().join(".").join("f.wasm");
        assert_eq!(f.index.lookup(&dotted), Some(digest('a')));
    }

    #[test]
    fn a_rewrite_with_the_same_size_and_a_new_mtime_is_not_known() {
        let f = recorded();
        let mtime = fs::metadata(&f.file).unwrap().modified().unwrap();
        fs::write(&f.file, b"other content").unwrap();
        set_mtime(&f.file, mtime + Duration::from_secs(1));
        assert_eq!(f.index.lookup(&f.file), None);
    }

    #[test]
    fn a_replacement_with_the_same_size_and_mtime_is_not_known() {
        let f = recorded();
        let mtime = fs::metadata(&f.file).unwrap().modified().unwrap();
        let new = f.file.with_extension("new");
        fs::write(&new, b"other content").unwrap();
        set_mtime(&new, mtime);
        fs::rename(&new, &f.file).unwrap();
        assert_eq!(f.index.lookup(&f.file), None, "a new inode");
    }

    #[test]
    fn a_file_changed_just_now_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let index = SourceIndex::new(dir.path());
        let file = dir.path().join("f.wasm");
        fs::write(&file, b"content").unwrap();
        // A second write in the same clock tick could keep every timestamp.
        index.record(&file, stamp(&file), &digest('a'), SystemTime::now());
        assert_eq!(index.lookup(&file), None);
        assert!(!dir.path().join("sources").exists());
    }

    #[test]
    fn corrupt_or_foreign_entries_are_ignored_and_replaced() {
        let f = recorded();
        let entry = f.index.entry_path(&fs::canonicalize(&f.file).unwrap());
        let good = fs::read(&entry).unwrap();
        let text = String::from_utf8(good.clone()).unwrap();
        for bad in [
            Vec::new(),
            b"garbage".to_vec(),
            good[..good.len() / 2].to_vec(),
            text.replace("component", "library").into_bytes(),
            text.replace(&"a".repeat(64), "../../etc/passwd")
                .into_bytes(),
            text.replace("f.wasm", "g.wasm").into_bytes(),
            text.replacen("v1", "v2", 1).into_bytes(),
        ] {
            fs::write(&entry, &bad).unwrap();
            assert_eq!(
                f.index.lookup(&f.file),
                None,
                "{:?}",
                String::from_utf8_lossy(&bad)
            );
        }
        f.index
            .record(&f.file, stamp(&f.file), &digest('b'), later());
        assert_eq!(f.index.lookup(&f.file), Some(digest('b')));
    }

    #[test]
    fn an_unwritable_index_is_not_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        fs::write(&state, b"a file where the state directory should be").unwrap();
        let index = SourceIndex::new(&state);
        let file = dir.path().join("f.wasm");
        fs::write(&file, b"content").unwrap();
        index.record(&file, stamp(&file), &digest('a'), later());
        assert_eq!(index.lookup(&file), None);
        assert_eq!(index.lookup(&dir.path().join("missing.wasm")), None);
    }
}
