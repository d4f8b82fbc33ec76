//! The guests under `functions/` as fixtures: built once per test run, named by constants.
//!
//! The build script builds every Rust guest (`cargo build --profile guest --target
//! wasm32-wasip2`, all at once) and generates one path constant per directory under
//! `functions/`, named after the crate or directory: [`HELLO`], [`S3_PROBE`], [`CUSTOM_ECHO`],
//! [`PYTHON_HELLO`], [`ECHO_WAT`] ... Guests in Python, JavaScript and C need toolchains that
//! `bash .ci/guests.sh` installs, so that script packages them into `target/guests/`; [`built`]
//! and [`guest`] fail with that command when one is missing. Tests and benches take the paths
//! from here and never build or locate a guest themselves.

use std::path::Path;

/// How a guest's file is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Build {
    /// A Rust crate, built by this crate's build script.
    Cargo,
    /// Python, JavaScript or C, packaged by `bash .ci/guests.sh`.
    Script,
    /// A text module under `functions/`, loaded as written.
    Source,
}

/// One directory under `functions/`.
#[derive(Debug, Clone, Copy)]
pub struct Guest {
    /// The directory's name, e.g. `s3-probe` (the fixture manifest's function name).
    pub name: &'static str,
    /// The name of its constant, e.g. `S3_PROBE`.
    pub constant: &'static str,
    /// The file to load.
    pub path: &'static str,
    /// Who makes that file.
    pub build: Build,
}

include!(concat!(env!("OUT_DIR"), "/guests.rs"));

/// The guest in `functions/<name>`, checked like [`built`].
pub fn guest(name: &str) -> &'static Path {
    let found = GUESTS.iter().find(|g| g.name == name).unwrap_or_else(|| {
        panic!("no guest `{name}` under functions/ (the names are its directories)")
    });
    built(found.path)
}

/// `path`, one of this crate's constants, after checking that the file exists: a missing
/// guest fails with the command that builds it.
pub fn built(path: &'static str) -> &'static Path {
    let file = Path::new(path);
    if !file.is_file() {
        match GUESTS.iter().find(|g| g.path == path).map(|g| g.build) {
            Some(Build::Script) => panic!(
                "{path} is missing: build the Python, JavaScript and C guests with \
                 `bash .ci/guests.sh` (it installs componentize-py, componentize-qjs, clang and \
                 wasi-libc on first use)"
            ),
            _ => panic!(
                "{path} is missing: fnhost-test-programs builds it; if it was deleted, run \
                 `touch host/test-programs/build.rs` and build the tests again"
            ),
        }
    }
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `.rs` file under `dir`, recursively.
    fn sources(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                sources(&path, into);
            } else if path.extension().is_some_and(|e| e == "rs") {
                into.push(path);
            }
        }
    }

    /// Whether `text` has `word` with no identifier character on either side.
    fn has_word(text: &str, word: &str) -> bool {
        text.match_indices(word).any(|(at, _)| {
            let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
            !text[..at].ends_with(ident) && !text[at + word.len()..].starts_with(ident)
        })
    }

    /// As wasmtime's test-programs do, a guest no test uses fails: delete it or test it.
    #[test]
    fn every_guest_is_used_by_a_test_or_bench() {
        let host = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&host).unwrap().flatten() {
            if entry.file_name() == "test-programs" {
                continue;
            }
            sources(&entry.path().join("tests"), &mut files);
            sources(&entry.path().join("benches"), &mut files);
        }
        let texts: Vec<String> = files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect();
        let unused: Vec<&str> = GUESTS
            .iter()
            .filter(|g| {
                let quoted = format!("{:?}", g.name);
                !texts
                    .iter()
                    .any(|t| has_word(t, g.constant) || t.contains(&quoted))
            })
            .map(|g| g.name)
            .collect();
        assert!(
            unused.is_empty(),
            "no test or bench under host/ uses functions/{unused:?}: test it or remove it"
        );
    }

    #[test]
    fn constants_name_their_guests() {
        assert!(HELLO.ends_with("/wasm32-wasip2/guest/hello.wasm"));
        assert!(S3_PROBE.ends_with("/s3_probe.wasm"));
        assert!(
            CUSTOM_ECHO.ends_with("/custom-echo.wasm"),
            "a binary keeps its dashes"
        );
        assert!(PYTHON_HELLO.ends_with("/target/guests/python-hello.wasm"));
        assert!(ECHO_WAT.ends_with("/functions/echo-wat/echo.wat"));
        assert_eq!(guest("hello"), Path::new(HELLO));
    }
}
