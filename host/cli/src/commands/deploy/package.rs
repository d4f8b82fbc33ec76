//! Deployment packages as Lambda takes them: zips made the same way every time (entries
//! sorted, fixed timestamps and modes), so that unchanged files give unchanged bytes and the
//! same SHA-256, which is how `fnhost deploy` knows that nothing changed.

use std::io::{Cursor, Read as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};
use sha2::{Digest as _, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

/// Lambda's limit on a zip sent in a request (`Code.ZipFile`, `Content.ZipFile`).
pub const MAX_ZIP_BYTES: usize = 52_428_800;

/// Names never packaged: caches and version-control data that change without the code
/// changing.
const SKIPPED: &[&str] = &["__pycache__", ".git", ".DS_Store", ".fnhost"];

/// One file of a package: its name in the zip (`/`-separated), its bytes, and whether it is
/// executable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The name in the zip.
    pub name: String,
    /// The contents.
    pub data: Vec<u8>,
    /// Mode 0755 instead of 0644.
    pub executable: bool,
}

/// A zip and its SHA-256 (lowercase hex).
#[derive(Debug, Clone)]
pub struct Package {
    /// The zip's bytes.
    pub zip: Vec<u8>,
    /// SHA-256 of `zip`, lowercase hex.
    pub sha256: String,
}

impl Package {
    /// Base64 of the zip, for `ZipFile`.
    pub fn base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.zip)
    }

    /// The SHA-256 as Lambda shows `CodeSha256`: base64 of the digest.
    pub fn sha256_b64(&self) -> String {
        use base64::Engine as _;
        let digest = hex::decode(&self.sha256).unwrap_or_default();
        base64::engine::general_purpose::STANDARD.encode(digest)
    }
}

/// The entries under `path`: the files of a directory (recursively, symbolic links followed as
/// `zip -r` does), or the entries of a `.zip`.
pub fn entries(path: &Path) -> Result<Vec<Entry>> {
    let is_zip = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        return zip_entries(path);
    }
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    if !meta.is_dir() {
        bail!("`{}` is neither a directory nor a .zip", path.display());
    }
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let listing =
            std::fs::read_dir(&dir).with_context(|| format!("cannot list `{}`", dir.display()))?;
        for item in listing {
            let item = item.with_context(|| format!("cannot list `{}`", dir.display()))?;
            let file_name = item.file_name();
            if SKIPPED.iter().any(|s| file_name == *s) {
                continue;
            }
            let full = item.path();
            let meta = std::fs::metadata(&full)
                .with_context(|| format!("cannot read `{}`", full.display()))?;
            if meta.is_dir() {
                stack.push(full);
                continue;
            }
            let relative = full.strip_prefix(path).unwrap_or(&full);
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let data = std::fs::read(&full)
                .with_context(|| format!("cannot read `{}`", full.display()))?;
            use std::os::unix::fs::PermissionsExt as _;
            out.push(Entry {
                name,
                data,
                executable: meta.permissions().mode() & 0o111 != 0,
            });
        }
    }
    Ok(out)
}

/// The files of an existing zip.
fn zip_entries(path: &Path) -> Result<Vec<Entry>> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    let mut archive = ZipArchive::new(Cursor::new(bytes))
        .with_context(|| format!("`{}` is not a zip", path.display()))?;
    let mut out = Vec::new();
    for i in 0..archive.len() {
        let mut file = archive
            .by_index(i)
            .with_context(|| format!("cannot read entry {i} of `{}`", path.display()))?;
        if file.is_dir() {
            continue;
        }
        let name = file.name().to_owned();
        let executable = file.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mut data = Vec::new();
        file.read_to_end(&mut data)
            .with_context(|| format!("cannot read `{name}` in `{}`", path.display()))?;
        out.push(Entry {
            name,
            data,
            executable,
        });
    }
    Ok(out)
}

/// A zip of `entries`, the same bytes for the same entries in any order.
pub fn zip(mut entries: Vec<Entry>) -> Result<Package> {
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(pair) = entries.windows(2).find(|w| w[0].name == w[1].name) {
        bail!("the package holds `{}` twice", pair[0].name);
    }
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let stamp = DateTime::default(); // 1980-01-01 00:00:00, the zip epoch
    for entry in &entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(stamp)
            .unix_permissions(if entry.executable { 0o755 } else { 0o644 })
            .large_file(entry.data.len() >= 0xFFFF_FFFF);
        writer
            .start_file(entry.name.as_str(), options)
            .with_context(|| format!("cannot add `{}` to the zip", entry.name))?;
        writer
            .write_all(&entry.data)
            .with_context(|| format!("cannot add `{}` to the zip", entry.name))?;
    }
    let zip = writer
        .finish()
        .context("cannot finish the zip")?
        .into_inner();
    if zip.len() > MAX_ZIP_BYTES {
        bail!(
            "the package is {} bytes zipped; Lambda takes at most {MAX_ZIP_BYTES} (50 MB) in a request",
            zip.len()
        );
    }
    let sha256 = hex::encode(Sha256::digest(&zip));
    Ok(Package { zip, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(name: &str, data: &str) -> Entry {
        Entry {
            name: name.into(),
            data: data.as_bytes().to_vec(),
            executable: false,
        }
    }

    #[test]
    fn the_same_files_make_the_same_zip() {
        let a = zip(vec![entry("b.py", "x = 1\n"), entry("a/c.py", "y = 2\n")]).unwrap();
        let b = zip(vec![entry("a/c.py", "y = 2\n"), entry("b.py", "x = 1\n")]).unwrap();
        assert_eq!(a.zip, b.zip);
        assert_eq!(a.sha256, b.sha256);
        let c = zip(vec![entry("a/c.py", "y = 3\n"), entry("b.py", "x = 1\n")]).unwrap();
        assert_ne!(a.sha256, c.sha256);
        assert!(zip(vec![entry("a", "1"), entry("a", "2")]).is_err());
    }

    #[test]
    fn directories_and_zips_give_the_same_entries() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("pkg/__pycache__")).unwrap();
        std::fs::write(dir.path().join("pkg/app.py"), "print(1)\n").unwrap();
        std::fs::write(dir.path().join("pkg/__pycache__/app.pyc"), "junk").unwrap();
        std::fs::write(dir.path().join("main.py"), "import pkg\n").unwrap();
        let from_dir = entries(dir.path()).unwrap();
        let package = zip(from_dir.clone()).unwrap();
        let names: Vec<&str> = {
            let mut n: Vec<&str> = from_dir.iter().map(|e| e.name.as_str()).collect();
            n.sort();
            n
        };
        assert_eq!(names, ["main.py", "pkg/app.py"]);
        let file = dir.path().join("code.zip");
        std::fs::write(&file, &package.zip).unwrap();
        let again = zip(entries(&file).unwrap()).unwrap();
        assert_eq!(again.sha256, package.sha256);
    }
}
