//! On-disk cache of compiled artifacts, keyed by content hash and engine compatibility, and an
//! index of source files' hashes so that a restart need not re-hash an unchanged source.
//!
//! Layout: `<state>/artifacts/<engine-hash>/<sha256>.cwasm`. An artifact is written to a
//! temporary name and renamed into place, so a crash never leaves a half-written file under
//! the real name, and a mapped artifact is never modified. Anything that fails to load (stale,
//! truncated, corrupted, from another wasmtime) is a cache miss: it is recompiled and replaced.
//!
//! The source index ([`SourceIndex`], `<state>/sources/`) is engine-independent, hence beside
//! `artifacts/` rather than inside it.

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
