//! Uploaded code on disk: `<state>/code/<sha256>.wasm`, one file per distinct `.wasm`, written
//! to a temporary name, synced and renamed into place (then the directory is synced), so a
//! crash never leaves a half-written file under a real name. The directory is created on the
//! first write: a refused upload leaves the state directory as it was.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// The code directory.
#[derive(Debug, Clone)]
pub struct CodeStore {
    dir: PathBuf,
}

impl CodeStore {
    /// The code directory under `state_dir`.
    pub fn new(state_dir: &Path) -> Self {
        Self {
            dir: state_dir.join("code"),
        }
    }

    /// Where the code of `sha256` (hex) lives.
    pub fn path(&self, sha256: &str) -> PathBuf {
        self.dir.join(format!("{sha256}.wasm"))
    }

    /// Store `bytes` under `sha256` unless a file of that name is already there.
    pub fn write(&self, sha256: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path(sha256);
        if path.exists() {
            return Ok(path);
        }
        fs::create_dir_all(&self.dir)?;
        let temp = self
            .dir
            .join(format!(".{sha256}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = (|| {
            let mut file = fs::File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&temp, &path)?;
            fs::File::open(&self.dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map(|()| path)
    }

    /// Remove code files (and leftover temporary files) whose hash is not in `keep`; returns
    /// how many were removed.
    pub fn retain(&self, keep: &BTreeSet<String>) -> std::io::Result<usize> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(0),
            Err(err) => return Err(err),
        };
        let mut removed = 0;
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let stale = match name.strip_suffix(".wasm") {
                Some(sha) => !keep.contains(sha),
                None => name.ends_with(".tmp"),
            };
            if stale {
                fs::remove_file(entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_once_and_removes_what_is_not_kept() {
        let state = tempfile::tempdir().unwrap();
        let code = CodeStore::new(state.path());
        assert_eq!(code.retain(&BTreeSet::new()).unwrap(), 0);
        assert!(!state.path().join("code").exists());
        let a = code.write("aa", b"one").unwrap();
        code.write("aa", b"ignored: same hash").unwrap();
        code.write("bb", b"two").unwrap();
        fs::write(state.path().join("code/.cc.x.tmp"), b"half").unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"one");
        let keep = BTreeSet::from(["aa".to_string()]);
        assert_eq!(code.retain(&keep).unwrap(), 2);
        assert!(a.exists() && !code.path("bb").exists());
    }
}
