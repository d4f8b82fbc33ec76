//! Builds every Rust guest under `functions/` once, with one nested cargo, and writes a path
//! constant for every guest there (wasmtime's `crates/test-programs/artifacts/build.rs`).
//!
//! The guests land where they always do, `target/wasm32-wasip2/guest/`, so `fnhost build` and
//! the fixture manifest see the same files. The `guest` profile has its own build lock, so the
//! nested cargo runs while the outer one holds `target/release` or `target/debug`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The guests' target triple.
const TARGET: &str = "wasm32-wasip2";

/// How a guest's file is made; mirrors `fnhost_test_programs::Build`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Build {
    Cargo,
    Script,
    Source,
}

struct Guest {
    /// Its directory under `functions/`.
    dir: String,
    /// The cargo package, for Rust guests.
    package: Option<String>,
    build: Build,
    path: PathBuf,
}

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir
        .join("../..")
        .canonicalize()
        .expect("the workspace root");
    let target_dir = target_dir(&root);
    let guests = discover(&root, &target_dir);
    build(&root, &target_dir, &guests);
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap()).join("guests.rs");
    std::fs::write(&out, generate(&guests)).expect("write guests.rs");
}

/// The workspace's target directory, where `cargo build` in the root puts the guests.
fn target_dir(root: &Path) -> PathBuf {
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root.join(dir),
        None => root.join("target"),
    }
}

/// Every directory under `functions/`: a Cargo.toml makes it a Rust guest, a lone `.wat` file
/// a text module loaded as is; anything else is packaged by `.ci/guests.sh` into
/// `target/guests/<dir>.wasm`.
fn discover(root: &Path, target_dir: &Path) -> Vec<Guest> {
    let functions = root.join("functions");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&functions)
        .expect("read functions/")
        .map(|entry| entry.expect("read functions/").path())
        // Not `.fnhost/`, where `fnhost build` over the fixtures merges layers.
        .filter(|path| {
            path.is_dir()
                && !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    dirs.sort();
    // Besides each Rust guest's own files (below); a new non-Rust guest is added to
    // `.ci/guests.sh`.
    for file in [
        "Cargo.toml",
        "Cargo.lock",
        "guest-sdk/Cargo.toml",
        "guest-sdk/src",
        "wit",
        ".ci/guests.sh",
    ] {
        rerun_if_changed(&root.join(file));
    }
    let mut guests = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .unwrap()
            .to_str()
            .expect("UTF-8 names")
            .to_owned();
        let cargo_toml = dir.join("Cargo.toml");
        if cargo_toml.is_file() {
            rerun_if_changed(&cargo_toml);
            rerun_if_changed(&dir.join("src"));
            let (package, file) = cargo_output(&cargo_toml);
            guests.push(Guest {
                dir: name,
                package: Some(package),
                build: Build::Cargo,
                path: target_dir.join(TARGET).join("guest").join(file),
            });
            continue;
        }
        let wat: Vec<PathBuf> = std::fs::read_dir(&dir)
            .expect("read a guest directory")
            .map(|entry| entry.expect("read a guest directory").path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "wat"))
            .collect();
        let (build, path) = match wat.as_slice() {
            [file] => (Build::Source, file.clone()),
            [] => (
                Build::Script,
                root.join("target/guests").join(format!("{name}.wasm")),
            ),
            _ => panic!(
                "{}: more than one .wat file; keep one per guest",
                dir.display()
            ),
        };
        guests.push(Guest {
            dir: name,
            package: None,
            build,
            path,
        });
    }
    guests
}

/// The package name in `cargo_toml` and the file cargo builds from it: a `cdylib` library is
/// `<lib name, with underscores>.wasm`, a binary (`src/main.rs`) `<package>.wasm`.
///
/// A few lines of section-aware reading rather than a TOML parser: the guests' manifests are
/// ours and plain, and a build dependency would cost every test build.
fn cargo_output(cargo_toml: &Path) -> (String, String) {
    let text = std::fs::read_to_string(cargo_toml).expect("read a guest's Cargo.toml");
    let (mut section, mut package, mut lib_name, mut cdylib) = (String::new(), None, None, false);
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_owned();
            assert!(
                section != "[[bin]]",
                "{}: a [[bin]] table; teach host/test-programs/build.rs its output name",
                cargo_toml.display()
            );
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        match (section.as_str(), key) {
            ("[package]", "name") => package = Some(value.trim_matches('"').to_owned()),
            ("[lib]", "name") => lib_name = Some(value.trim_matches('"').to_owned()),
            ("[lib]", "crate-type") => cdylib = value.contains("\"cdylib\""),
            _ => {}
        }
    }
    let package = package.unwrap_or_else(|| panic!("{}: no package name", cargo_toml.display()));
    let file = if cdylib {
        format!(
            "{}.wasm",
            lib_name.as_ref().unwrap_or(&package).replace('-', "_")
        )
    } else if cargo_toml.with_file_name("src/main.rs").is_file() {
        format!("{package}.wasm")
    } else {
        panic!(
            "{}: neither a cdylib nor a binary, so it builds no guest",
            cargo_toml.display()
        );
    };
    (package, file)
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}

/// `cargo build --profile guest --target wasm32-wasip2 -p ...` for every Rust guest at once.
fn build(root: &Path, target_dir: &Path, guests: &[Guest]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root)
        .args([
            "build",
            "--profile",
            "guest",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(target_dir)
        // Cargo's output belongs on stderr: a build script's stdout is read as instructions.
        .stdout(Stdio::from(std::io::stderr()));
    for package in guests.iter().filter_map(|g| g.package.as_deref()) {
        cmd.args(["-p", package]);
    }
    // What the outer cargo set up for its own build must not leak into the guests': flags for
    // the host target, clippy's driver (`cargo clippy` sets it for workspace members) and a
    // target directory the command names already. The jobserver (CARGO_MAKEFLAGS) stays, so
    // the nested build shares the outer one's job slots.
    for var in [
        "CARGO_ENCODED_RUSTFLAGS",
        "RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "RUSTC_WORKSPACE_WRAPPER",
        "CLIPPY_ARGS",
        "CLIPPY_CONF_DIR",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("run cargo to build the guests");
    assert!(
        status.success(),
        "building the guests under functions/ failed (cargo's output is above); is the target \
         installed? `rustup target add {TARGET}`"
    );
    for guest in guests.iter().filter(|g| g.build == Build::Cargo) {
        assert!(
            guest.path.is_file(),
            "cargo built functions/{} but {} is not there",
            guest.dir,
            guest.path.display()
        );
    }
}

/// `python-s3-logger` -> `PYTHON_S3_LOGGER`.
fn constant(name: &str) -> String {
    name.to_ascii_uppercase().replace('-', "_")
}

fn generate(guests: &[Guest]) -> String {
    let mut code = String::from("// Generated by host/test-programs/build.rs.\n\n");
    let mut names = Vec::new();
    for guest in guests {
        let name = constant(guest.package.as_deref().unwrap_or(&guest.dir));
        assert!(
            !names.contains(&name),
            "two guests under functions/ are both named `{name}`"
        );
        let doc = match guest.build {
            Build::Cargo => "built by cargo",
            Build::Script => "packaged by `bash .ci/guests.sh`; check it with [`built`]",
            Build::Source => "a text module, loaded as written",
        };
        writeln!(
            code,
            "/// `functions/{}`, {doc}.\npub const {name}: &str = {:?};",
            guest.dir,
            guest.path.to_str().expect("UTF-8 paths")
        )
        .unwrap();
        names.push(name);
    }
    code.push_str(
        "\n/// Every guest under `functions/`, by directory.\npub const GUESTS: &[Guest] = &[\n",
    );
    for (guest, name) in guests.iter().zip(&names) {
        let build = match guest.build {
            Build::Cargo => "Cargo",
            Build::Script => "Script",
            Build::Source => "Source",
        };
        writeln!(
            code,
            "    Guest {{ name: {:?}, constant: {name:?}, path: {name}, build: Build::{build} }},",
            guest.dir
        )
        .unwrap();
    }
    code.push_str("];\n");
    code
}
