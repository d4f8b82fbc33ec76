//! Embeds the packaging scripts (guest-sdk/python, guest-sdk/js) and the WIT they use (wit/)
//! into the crate, so an `fnhost` installed anywhere can package source without the repository.
//! Writes `$OUT_DIR/embedded.rs`: the files as `(repository path, bytes)` pairs, the tool
//! versions the scripts pin, and a fingerprint of all of it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

/// What to embed: a directory of the repository, the file names taken at its top level, and
/// the subdirectories taken whole.
struct Root {
    dir: &'static str,
    top: fn(&str) -> bool,
    subdirs: &'static [&'static str],
}

const ROOTS: &[Root] = &[
    Root {
        dir: "guest-sdk/python",
        top: |name| name == "package.sh" || name.ends_with(".py"),
        subdirs: &["aws"],
    },
    Root {
        dir: "guest-sdk/js",
        top: |name| {
            matches!(
                name,
                "package.sh" | "package.mjs" | "package.json" | "package-lock.json"
            ) || name.ends_with(".js")
        },
        subdirs: &["aws", "wit"],
    },
    Root {
        dir: "wit",
        top: |name| name.ends_with(".wit"),
        subdirs: &["deps"],
    },
];

/// Never embedded, wherever they appear: caches and installed packages.
fn skipped(name: &str) -> bool {
    name == "__pycache__"
        || name == "node_modules"
        || name.ends_with(".pyc")
        || name.starts_with('.')
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if skipped(&name) {
            continue;
        }
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The value of `NAME=VALUE` on a line of `text`.
fn assignment<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("no `{name}=` line in package.sh"))
        .trim()
}

/// The version of `package` in package.json's dependencies.
fn dependency<'a>(text: &'a str, package: &str) -> &'a str {
    let key = format!("\"{package}\":");
    let rest = &text[text
        .find(&key)
        .unwrap_or_else(|| panic!("no {package} in package.json"))
        + key.len()..];
    rest.split('"').nth(1).unwrap()
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let repo = manifest_dir.join("../..").canonicalize().unwrap();
    println!("cargo::rerun-if-changed=build.rs");

    let mut files = Vec::new();
    for root in ROOTS {
        let dir = repo.join(root.dir);
        // A directory is scanned whole by cargo: files added or removed re-run this script.
        println!("cargo::rerun-if-changed={}", dir.display());
        let mut names: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file())
            .filter(|p| (root.top)(&p.file_name().unwrap().to_string_lossy()))
            .collect();
        names.sort();
        files.extend(names);
        for sub in root.subdirs {
            walk(&dir.join(sub), &mut files);
        }
    }
    files.sort();

    let read = |rel: &str| std::fs::read_to_string(repo.join(rel)).unwrap();
    let python_sh = read("guest-sdk/python/package.sh");
    let package_json = read("guest-sdk/js/package.json");
    let componentize_py = assignment(&python_sh, "COMPONENTIZE_PY_VERSION");
    let guest_python = assignment(&python_sh, "GUEST_PYTHON");
    let componentize_qjs = dependency(&package_json, "componentize-qjs");
    let esbuild = dependency(&package_json, "esbuild");

    let mut hash = Sha256::new();
    hash.update(format!(
        "fnhost-packager {} componentize-py {componentize_py} python {guest_python} \
         componentize-qjs {componentize_qjs} esbuild {esbuild}\n",
        std::env::var("CARGO_PKG_VERSION").unwrap()
    ));
    let mut table = String::new();
    for path in &files {
        let rel = path
            .strip_prefix(&repo)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = std::fs::read(path).unwrap();
        hash.update(rel.as_bytes());
        hash.update([0]);
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(&bytes);
        writeln!(
            table,
            "    ({rel:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .unwrap();
    }
    let fingerprint = &hex::encode(hash.finalize())[..16];
    // package.sh installs the npm tools under `js-<first 16 hex digits of the lock's SHA-256>`.
    let lock = std::fs::read(repo.join("guest-sdk/js/package-lock.json")).unwrap();
    let js_lock_hash = &hex::encode(Sha256::digest(&lock))[..16];

    let code = format!(
        "/// The embedded files: a path relative to the repository root, and the bytes.\n\
         pub(crate) static FILES: &[(&str, &[u8])] = &[\n{table}];\n\
         /// Hash of the embedded files and the tool versions they pin.\n\
         pub(crate) const FINGERPRINT: &str = {fingerprint:?};\n\
         /// componentize-py, pinned by guest-sdk/python/package.sh.\n\
         pub(crate) const COMPONENTIZE_PY_VERSION: &str = {componentize_py:?};\n\
         /// The CPython componentize-py embeds.\n\
         pub(crate) const GUEST_PYTHON: &str = {guest_python:?};\n\
         /// componentize-qjs, pinned by guest-sdk/js/package.json.\n\
         pub(crate) const COMPONENTIZE_QJS_VERSION: &str = {componentize_qjs:?};\n\
         /// esbuild, pinned by guest-sdk/js/package.json.\n\
         pub(crate) const ESBUILD_VERSION: &str = {esbuild:?};\n\
         /// The hash in the npm tools' directory name (`<tools>/js-<hash>`).\n\
         pub(crate) const JS_LOCK_HASH: &str = {js_lock_hash:?};\n"
    );
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("embedded.rs");
    std::fs::write(out, code).unwrap();
}
