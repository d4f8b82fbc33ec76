//! The files a function sees besides its wasm: `/opt`, merged from its layers, and
//! `/var/task`, its deployment package unzipped. Both the API (uploaded functions and
//! published layer versions) and the CLI (`[layer.NAME]` and `code` in `fnhost.toml`) build
//! them here, under the state directory:
//!
//! - `<state>/opt/<stamp>/`: the layers merged in order, a path present in several layers
//!   coming from the last (Lambda's rule). Files are hard links to the layers' own files
//!   (copies across filesystems), so a merge costs a directory walk, not the bytes. The stamp
//!   hashes every layer's paths, sizes and modification times, so a changed layer gets a new
//!   merge and an unchanged one reuses the existing directory.
//! - `<state>/unzipped/<sha256 of the zip>/`: a `.zip` named by the manifest, unpacked once
//!   by the same defensive reader as uploads ([`crate::package::extract`]).
//!
//! The guest sees both read-only: the runtime refuses writes under `/opt` and `/var/task`.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest as _, Sha256};

use crate::package::{self, PackageError};

/// Why a layer or package directory could not be prepared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OptError {
    /// Reading a layer or writing the merge failed.
    #[error("cannot prepare `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// A `.zip` that the package reader refused.
    #[error("cannot unzip `{}`: {source}", path.display())]
    Zip {
        /// The zip.
        path: PathBuf,
        /// Why it was refused.
        source: PackageError,
    },
}

fn io_at(path: &Path) -> impl FnOnce(io::Error) -> OptError + '_ {
    move |source| OptError::Io {
        path: path.to_owned(),
        source,
    }
}

/// A stamp of the content of `dirs` in order: SHA-256 (hex) over each one's relative paths,
/// kinds, sizes and modification times. Equal stamps mean an equal merge; a file added,
/// removed, resized or touched changes it. A missing directory is an error.
pub fn stamp(dirs: &[PathBuf]) -> Result<String, OptError> {
    let mut hash = Sha256::new();
    for (index, dir) in dirs.iter().enumerate() {
        hash.update(format!("layer {index}\0").as_bytes());
        let mut entries = Vec::new();
        walk(dir, Path::new(""), &mut entries)?;
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        for (relative, kind, meta) in entries {
            let mtime = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            hash.update(
                format!("{}\0{kind}\0{}\0{mtime}\0", relative.display(), meta.len()).as_bytes(),
            );
        }
    }
    Ok(hex::encode(hash.finalize()))
}

/// What a directory entry is, for [`walk`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File,
    Symlink,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Dir => "d",
            Kind::File => "f",
            Kind::Symlink => "l",
        })
    }
}

/// Every entry under `root` (not following symlinks), with its path relative to `root`.
fn walk(
    root: &Path,
    relative: &Path,
    out: &mut Vec<(PathBuf, Kind, fs::Metadata)>,
) -> Result<(), OptError> {
    let dir = root.join(relative);
    for entry in fs::read_dir(&dir).map_err(io_at(&dir))? {
        let entry = entry.map_err(io_at(&dir))?;
        let path = relative.join(entry.file_name());
        let meta = fs::symlink_metadata(entry.path()).map_err(io_at(&entry.path()))?;
        let kind = if meta.is_dir() {
            Kind::Dir
        } else if meta.file_type().is_symlink() {
            Kind::Symlink
        } else {
            Kind::File
        };
        out.push((path.clone(), kind, meta));
        if kind == Kind::Dir {
            walk(root, &path, out)?;
        }
    }
    Ok(())
}

/// The bytes of the regular files under `dir`.
pub fn dir_size(dir: &Path) -> Result<u64, OptError> {
    let mut entries = Vec::new();
    walk(dir, Path::new(""), &mut entries)?;
    Ok(entries
        .iter()
        .filter(|(_, kind, _)| *kind == Kind::File)
        .fold(0u64, |sum, (_, _, meta)| sum.saturating_add(meta.len())))
}

/// `<state>/opt/<stamp>/`: the directories in `layers` merged in order (later ones override
/// earlier files), built unless it exists; `None` when there are no layers.
pub fn merge(state_dir: &Path, layers: &[PathBuf]) -> Result<Option<PathBuf>, OptError> {
    if layers.is_empty() {
        return Ok(None);
    }
    let root = state_dir.join("opt");
    let target = root.join(stamp(layers)?);
    if target.is_dir() {
        return Ok(Some(target));
    }
    fs::create_dir_all(&root).map_err(io_at(&root))?;
    let temp = root.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let built = (|| {
        fs::create_dir(&temp).map_err(io_at(&temp))?;
        for layer in layers {
            let mut entries = Vec::new();
            walk(layer, Path::new(""), &mut entries)?;
            // Parents before children: read_dir lists a directory before walking into it.
            for (relative, kind, _) in entries {
                place(&layer.join(&relative), &temp.join(&relative), kind)?;
            }
        }
        match fs::rename(&temp, &target) {
            Ok(()) => Ok(()),
            // Built meanwhile by another merge of the same layers: use that one.
            Err(_) if target.is_dir() => {
                let _ = fs::remove_dir_all(&temp);
                Ok(())
            }
            Err(source) => Err(OptError::Io {
                path: target.clone(),
                source,
            }),
        }
    })();
    if built.is_err() {
        let _ = fs::remove_dir_all(&temp);
    }
    built.map(|()| Some(target))
}

/// Put one entry of a layer at `to`, replacing what an earlier layer put there.
fn place(from: &Path, to: &Path, kind: Kind) -> Result<(), OptError> {
    let existing = fs::symlink_metadata(to).ok();
    match kind {
        Kind::Dir => {
            if existing.as_ref().is_some_and(|m| !m.is_dir()) {
                fs::remove_file(to).map_err(io_at(to))?;
            }
            if !to.is_dir() {
                fs::create_dir(to).map_err(io_at(to))?;
            }
        }
        Kind::File | Kind::Symlink => {
            match existing {
                Some(m) if m.is_dir() => fs::remove_dir_all(to).map_err(io_at(to))?,
                Some(_) => fs::remove_file(to).map_err(io_at(to))?,
                None => {}
            }
            if kind == Kind::Symlink {
                // Kept as a link: the guest's filesystem resolves it inside /opt only.
                let target = fs::read_link(from).map_err(io_at(from))?;
                std::os::unix::fs::symlink(target, to).map_err(io_at(to))?;
            } else if fs::hard_link(from, to).is_err() {
                fs::copy(from, to).map_err(io_at(to))?;
            }
        }
    }
    Ok(())
}

/// `<state>/unzipped/<sha256 of the zip>/`: the zip at `zip` unpacked (once; an existing
/// directory is reused) by the package reader's rules.
pub fn unzip_once(state_dir: &Path, zip: &Path) -> Result<PathBuf, OptError> {
    let bytes = fs::read(zip).map_err(io_at(zip))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let root = state_dir.join("unzipped");
    let target = root.join(&sha);
    if target.is_dir() {
        return Ok(target);
    }
    fs::create_dir_all(&root).map_err(io_at(&root))?;
    let temp = root.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
    let unpacked = package::extract(&bytes, &temp)
        .map_err(|source| OptError::Zip {
            path: zip.to_owned(),
            source,
        })
        .and_then(|_| match fs::rename(&temp, &target) {
            Ok(()) => Ok(()),
            Err(_) if target.is_dir() => Ok(()),
            Err(source) => Err(OptError::Io {
                path: target.clone(),
                source,
            }),
        });
    if unpacked.is_err() || temp.exists() {
        let _ = fs::remove_dir_all(&temp);
    }
    unpacked.map(|()| target)
}

/// A layer or package path as a directory: itself, or for a `.zip` its unpacked copy.
pub fn as_dir(state_dir: &Path, path: &Path) -> Result<PathBuf, OptError> {
    let is_zip = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        unzip_once(state_dir, path)
    } else if path.is_dir() {
        Ok(path.to_owned())
    } else {
        Err(OptError::Io {
            path: path.to_owned(),
            source: io::Error::new(
                io::ErrorKind::NotFound,
                "not a directory or a .zip; create it or fix the path in fnhost.toml",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    #[test]
    fn later_layers_win_and_merges_are_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, state) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("s"),
        );
        write(&a.join("python/shared.py"), "a");
        write(&a.join("python/only_a.py"), "a");
        write(&b.join("python/shared.py"), "b");
        write(&b.join("bin/tool"), "b");
        let merged = merge(&state, &[a.clone(), b.clone()]).unwrap().unwrap();
        assert!(merged.starts_with(state.join("opt")));
        let read = |p: &str| fs::read_to_string(merged.join(p)).unwrap();
        assert_eq!(read("python/shared.py"), "b");
        assert_eq!(read("python/only_a.py"), "a");
        assert_eq!(read("bin/tool"), "b");
        // The other order is another merge, where `a` wins.
        let reversed = merge(&state, &[b.clone(), a.clone()]).unwrap().unwrap();
        assert_ne!(reversed, merged);
        assert_eq!(
            fs::read_to_string(reversed.join("python/shared.py")).unwrap(),
            "a"
        );
        // Same layers, same content: the same directory, not rebuilt.
        assert_eq!(
            merge(&state, &[a.clone(), b.clone()]).unwrap().unwrap(),
            merged
        );
        // A changed layer gets a new merge.
        write(&a.join("python/new.py"), "n");
        let changed = merge(&state, &[a.clone(), b.clone()]).unwrap().unwrap();
        assert_ne!(changed, merged);
        assert!(changed.join("python/new.py").exists());
        assert_eq!(merge(&state, &[]).unwrap(), None);
        assert!(merge(&state, &[tmp.path().join("missing")]).is_err());
    }

    #[test]
    fn a_file_replaced_by_a_directory_and_back() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, state) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("s"),
        );
        write(&a.join("x"), "file");
        write(&b.join("x/inner"), "dir");
        let merged = merge(&state, &[a.clone(), b.clone()]).unwrap().unwrap();
        assert_eq!(fs::read_to_string(merged.join("x/inner")).unwrap(), "dir");
        let merged = merge(&state, &[b, a]).unwrap().unwrap();
        assert_eq!(fs::read_to_string(merged.join("x")).unwrap(), "file");
    }
}
