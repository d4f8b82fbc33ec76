//! Deployment packages: `Code.ZipFile` is either a zip holding exactly one `.wasm`, or the raw
//! `.wasm` itself. Zips are read defensively: the uncompressed sizes they declare are checked
//! before anything is inflated, the one `.wasm` is inflated with a cap (so a zip that lies about
//! its sizes stops at the cap too), and entry names that climb out of the package (`../`,
//! absolute paths) are refused.

use std::io::{Cursor, Read as _};
use std::path::{Path, PathBuf};

/// Largest zipped package accepted in a request (Lambda's direct-upload limit).
pub const MAX_ZIPPED_BYTES: usize = 52_428_800;
/// Largest unzipped package (Lambda's limit, all entries together).
pub const MAX_UNZIPPED_BYTES: u64 = 262_144_000;

/// The `.wasm` found in a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unpacked {
    /// The wasm binary.
    pub wasm: Vec<u8>,
    /// Where it came from: the entry name in the zip, or `ZipFile` for a raw upload.
    pub origin: String,
}

/// Why a package was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PackageError {
    /// Over [`MAX_ZIPPED_BYTES`].
    #[error("Zipped size must be smaller than {MAX_ZIPPED_BYTES} bytes")]
    ZippedTooLarge,
    /// The entries add up to more than [`MAX_UNZIPPED_BYTES`] (declared or actual).
    #[error("Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes")]
    UnzippedTooLarge,
    /// Neither a zip nor a wasm binary, or a zip that cannot be read.
    #[error(
        "Could not unzip uploaded file. Please check your file, then try to upload again. ({0}; Code.ZipFile must be a zip holding one .wasm, or the .wasm itself)"
    )]
    Unreadable(String),
    /// An entry name that would land outside the package.
    #[error(
        "the package entry `{0}` is an absolute path or climbs out of the package with `..`; zip the files with relative paths inside the package"
    )]
    PathEscapes(String),
    /// No `.wasm` in the zip.
    #[error("the package holds no .wasm file; put the function's .wasm in the zip")]
    NoWasm,
    /// The unpacked files could not be written (a server-side failure, not the package's).
    #[error("cannot write the unpacked package: {0}")]
    Write(String),
    /// More than one `.wasm` in the zip.
    #[error(
        "the package holds {} .wasm files ({}); put exactly one in the zip",
        .0.len(),
        .0.join(", ")
    )]
    ManyWasm(Vec<String>),
}

/// Find the function's wasm in `package` (a zip, or a raw `.wasm`).
pub fn unpack(package: &[u8]) -> Result<Unpacked, PackageError> {
    if package.len() > MAX_ZIPPED_BYTES {
        return Err(PackageError::ZippedTooLarge);
    }
    if package.starts_with(b"\0asm") {
        return Ok(Unpacked {
            wasm: package.to_vec(),
            origin: "ZipFile".into(),
        });
    }
    if !package.starts_with(b"PK\x03\x04") && !package.starts_with(b"PK\x05\x06") {
        return Err(PackageError::Unreadable(
            "neither a zip nor a wasm binary".into(),
        ));
    }
    let unreadable = |e: zip::result::ZipError| PackageError::Unreadable(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).map_err(unreadable)?;
    let mut declared: u64 = 0;
    let mut wasm = Vec::new();
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        let name = entry.name().to_owned();
        if escapes(&name) {
            return Err(PackageError::PathEscapes(name));
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_UNZIPPED_BYTES {
            return Err(PackageError::UnzippedTooLarge);
        }
        if !entry.is_dir() && name.to_ascii_lowercase().ends_with(".wasm") {
            wasm.push((index, name, entry.size()));
        }
    }
    let (index, name, size) = match wasm.len() {
        0 => return Err(PackageError::NoWasm),
        1 => wasm.remove(0),
        _ => {
            return Err(PackageError::ManyWasm(
                wasm.into_iter().map(|w| w.1).collect(),
            ));
        }
    };
    let entry = archive.by_index(index).map_err(unreadable)?;
    // Read one byte past what the entry declares: more means it lied.
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(MAX_ZIPPED_BYTES));
    entry
        .take(size.saturating_add(1).min(MAX_UNZIPPED_BYTES + 1))
        .read_to_end(&mut bytes)
        .map_err(|e| PackageError::Unreadable(format!("cannot inflate `{name}`: {e}")))?;
    if bytes.len() as u64 > MAX_UNZIPPED_BYTES {
        return Err(PackageError::UnzippedTooLarge);
    }
    if bytes.len() as u64 != size {
        return Err(PackageError::Unreadable(format!(
            "`{name}` inflates to more than the {size} bytes its header declares"
        )));
    }
    Ok(Unpacked {
        wasm: bytes,
        origin: name,
    })
}

/// The unzipped size the entries of the zip `package` declare, or `None` if it is not a
/// readable zip.
pub fn declared_size(package: &[u8]) -> Option<u64> {
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).ok()?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        total = total.saturating_add(archive.by_index_raw(index).ok()?.size());
    }
    Some(total)
}

/// Unpack every entry of the zip `package` into the new directory `dest` (created; it must
/// not exist), under the same rules as [`unpack`]: declared sizes checked before anything is
/// inflated, each entry inflated with a cap, names that climb out refused. Returns the bytes
/// unpacked. On error `dest` may hold part of the files; the caller removes it.
pub fn extract(package: &[u8], dest: &Path) -> Result<u64, PackageError> {
    if package.len() > MAX_ZIPPED_BYTES {
        return Err(PackageError::ZippedTooLarge);
    }
    if !package.starts_with(b"PK\x03\x04") && !package.starts_with(b"PK\x05\x06") {
        return Err(PackageError::Unreadable("not a zip file".into()));
    }
    let unreadable = |e: zip::result::ZipError| PackageError::Unreadable(e.to_string());
    let write = |e: std::io::Error| PackageError::Write(e.to_string());
    let mut archive = zip::ZipArchive::new(Cursor::new(package)).map_err(unreadable)?;
    let mut declared: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(unreadable)?;
        if escapes(entry.name()) {
            return Err(PackageError::PathEscapes(entry.name().to_owned()));
        }
        declared = declared.saturating_add(entry.size());
        if declared > MAX_UNZIPPED_BYTES {
            return Err(PackageError::UnzippedTooLarge);
        }
    }
    std::fs::create_dir_all(dest.parent().unwrap_or(dest)).map_err(write)?;
    std::fs::create_dir(dest).map_err(write)?;
    let mut total: u64 = 0;
    for index in 0..archive.len() {
        let entry = archive.by_index(index).map_err(unreadable)?;
        let name = entry.name().replace('\\', "/");
        let relative: PathBuf = name
            .split('/')
            .filter(|part| !part.is_empty() && *part != ".")
            .collect();
        if relative.as_os_str().is_empty() {
            continue;
        }
        let path = dest.join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(write)?;
            continue;
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(write)?;
        }
        let size = entry.size();
        // Symlinks and special entries are written as plain files holding their bytes.
        let mut file = std::fs::File::create(&path).map_err(write)?;
        let copied = std::io::copy(
            &mut entry.take(size.saturating_add(1).min(MAX_UNZIPPED_BYTES + 1)),
            &mut file,
        )
        .map_err(|e| PackageError::Unreadable(format!("cannot inflate `{name}`: {e}")))?;
        if copied != size {
            return Err(PackageError::Unreadable(format!(
                "`{name}` inflates to more than the {size} bytes its header declares"
            )));
        }
        total = total.saturating_add(copied);
    }
    Ok(total)
}

/// An absolute path, a Windows drive or a `..` component anywhere.
fn escapes(name: &str) -> bool {
    let name = name.replace('\\', "/");
    name.starts_with('/')
        || name.as_bytes().get(1) == Some(&b':')
        || name.split('/').any(|part| part == "..")
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use zip::write::SimpleFileOptions;

    use super::*;

    const WASM: &[u8] = b"\0asm\x01\0\0\0";

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, data) in entries {
            writer
                .start_file(*name, SimpleFileOptions::default())
                .unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn one_wasm_in_a_zip_or_raw() {
        let unpacked = unpack(&zip_of(&[("README.md", b"hi"), ("fn/app.wasm", WASM)])).unwrap();
        assert_eq!(unpacked.wasm, WASM);
        assert_eq!(unpacked.origin, "fn/app.wasm");
        assert_eq!(unpack(WASM).unwrap().origin, "ZipFile");
    }

    #[test]
    fn tricks_and_mistakes_are_refused() {
        assert_eq!(
            unpack(&zip_of(&[("../evil.wasm", WASM)])),
            Err(PackageError::PathEscapes("../evil.wasm".into()))
        );
        assert!(matches!(
            unpack(&zip_of(&[("/etc/x.wasm", WASM)])),
            Err(PackageError::PathEscapes(_))
        ));
        assert!(matches!(
            unpack(&zip_of(&[("a\\..\\..\\x.txt", b"")])),
            Err(PackageError::PathEscapes(_))
        ));
        assert_eq!(
            unpack(&zip_of(&[("a.wasm", WASM), ("b.wasm", WASM)])),
            Err(PackageError::ManyWasm(vec![
                "a.wasm".into(),
                "b.wasm".into()
            ]))
        );
        assert_eq!(
            unpack(&zip_of(&[("a.txt", b"x")])),
            Err(PackageError::NoWasm)
        );
        assert!(matches!(
            unpack(b"hello world"),
            Err(PackageError::Unreadable(_))
        ));
        assert!(matches!(
            unpack(b"PK\x03\x04truncated"),
            Err(PackageError::Unreadable(_))
        ));
        assert_eq!(
            unpack(&vec![0u8; MAX_ZIPPED_BYTES + 1]),
            Err(PackageError::ZippedTooLarge)
        );
    }

    #[test]
    fn extract_writes_every_entry_and_refuses_tricks() {
        let tmp = tempfile::tempdir().unwrap();
        let dest = tmp.path().join("x");
        let zip = zip_of(&[
            ("python/m.py", b"X = 1"),
            ("a.wasm", WASM),
            ("./b.txt", b"b"),
        ]);
        assert_eq!(extract(&zip, &dest).unwrap(), 5 + 8 + 1);
        assert_eq!(std::fs::read(dest.join("python/m.py")).unwrap(), b"X = 1");
        assert_eq!(std::fs::read(dest.join("b.txt")).unwrap(), b"b");
        let escape = zip_of(&[("ok.txt", b""), ("../evil", b"x")]);
        assert!(matches!(
            extract(&escape, &tmp.path().join("y")),
            Err(PackageError::PathEscapes(_))
        ));
        assert!(!tmp.path().join("evil").exists() && !tmp.path().join("y").exists());
        assert!(matches!(
            extract(WASM, &tmp.path().join("z")),
            Err(PackageError::Unreadable(_))
        ));
    }

    #[test]
    fn a_bomb_is_stopped_by_its_declared_size() {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .large_file(true);
        writer.start_file("bomb.wasm", options).unwrap();
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..(MAX_UNZIPPED_BYTES >> 20) + 1 {
            writer.write_all(&chunk).unwrap();
        }
        writer.finish().unwrap();
        let zip = out.into_inner();
        assert!(zip.len() < 1 << 20, "{}", zip.len());
        assert_eq!(unpack(&zip), Err(PackageError::UnzippedTooLarge));
        let tmp = tempfile::tempdir().unwrap();
        assert_eq!(
            extract(&zip, &tmp.path().join("x")),
            Err(PackageError::UnzippedTooLarge)
        );
    }

    #[test]
    fn a_bomb_that_lies_about_its_size_is_stopped_while_inflating() {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        let options =
            SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        writer.start_file("bomb.wasm", options).unwrap();
        writer.write_all(&vec![0u8; 4 << 20]).unwrap();
        writer.finish().unwrap();
        let mut zip = out.into_inner();
        // Rewrite the declared uncompressed size (local header offset 22, central directory
        // offset 24) to 1000 bytes.
        let lie = 1000u32.to_le_bytes();
        zip[22..26].copy_from_slice(&lie);
        let central = zip.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
        zip[central + 24..central + 28].copy_from_slice(&lie);
        let err = unpack(&zip).unwrap_err();
        assert!(matches!(err, PackageError::Unreadable(_)), "{err}");
        let tmp = tempfile::tempdir().unwrap();
        let err = extract(&zip, &tmp.path().join("x")).unwrap_err();
        assert!(matches!(err, PackageError::Unreadable(_)), "{err}");
    }
}
