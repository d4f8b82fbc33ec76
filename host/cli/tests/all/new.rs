//! `fnhost new` in a fresh directory, then `fnhost invoke` as its printed next step says, for
//! every runtime: Python and JavaScript packaged by fnhost (tools from `.ci/guests.sh` in
//! `target/guest-tools`), Rust built with cargo against the SDK `fnhost new` writes, C built by
//! its `build.sh` with clang and wasi-libc.

use std::path::Path;
use std::process::{Command, Output};

use crate::root;

/// The tutorial's answer to `events/NAME.json` (`{"name": "Ada"}`) in every language; the
/// body is JSON text, spaced as each language's serialiser spaces it.
fn assert_answer(stdout: &str) {
    let answer: serde_json::Value = serde_json::from_str(stdout).unwrap();
    assert_eq!(answer["statusCode"], 200, "{stdout}");
    let body: serde_json::Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        serde_json::json!({"message": "Hello, Ada! This is your first AWS Lambda function."})
    );
}

/// The packaging tools `.ci/guests.sh` installed.
fn tools_dir() -> String {
    root().join("target/guest-tools").display().to_string()
}

/// `fnhost ARGS` in `cwd`, with the packaging tools and a state directory of its own.
pub(crate) fn fnhost_in(cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .args(args)
        .current_dir(cwd)
        .env("FNHOST_TOOLS_DIR", tools_dir())
        .env_remove("FNHOST_MANIFEST")
        .env_remove("FNHOST_STATE_DIR")
        .output()
        .expect("run fnhost")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `fnhost new NAME --runtime RUNTIME --dir DIR` succeeds and prints the next command.
pub(crate) fn new_function(dir: &Path, name: &str, runtime: &str) {
    let out = fnhost_in(
        &root(),
        &[
            "new",
            name,
            "--runtime",
            runtime,
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(&format!("fnhost invoke {name} -e events/{name}.json")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("cd {}", dir.display())),
        "{stdout}"
    );
}

/// Write a function with `fnhost new` in a fresh directory and invoke it from there.
fn new_then_invoke(runtime: &str, files: &[&str]) {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path().join("app");
    let name = format!("hello-{runtime}");
    new_function(&dir, &name, runtime);
    for file in files {
        let path = dir.join("functions").join(&name).join(file);
        assert!(path.is_file(), "{} was not written", path.display());
    }
    let event = std::fs::read_to_string(dir.join(format!("events/{name}.json"))).unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&event).unwrap(),
        serde_json::json!({"name": "Ada"})
    );
    let manifest = std::fs::read_to_string(dir.join("fnhost.toml")).unwrap();
    assert!(manifest.starts_with("manifest_version = 1\n"), "{manifest}");

    let out = fnhost_in(
        &dir,
        &["invoke", &name, "-e", &format!("events/{name}.json")],
    );
    assert!(
        out.status.success(),
        "{manifest}\n--- stderr\n{}",
        text(&out.stderr)
    );
    assert_answer(&text(&out.stdout));
    assert!(
        text(&out.stderr).contains("Hello function invoked for Ada"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn new_python_function_invokes() {
    new_then_invoke("python", &["lambda_function.py"]);
}

#[test]
fn new_nodejs_function_invokes() {
    new_then_invoke("nodejs", &["index.mjs"]);
}

#[test]
fn new_rust_function_builds_against_the_written_sdk_and_invokes() {
    new_then_invoke("rust", &["Cargo.toml", "src/lib.rs"]);
}

#[test]
fn new_c_function_builds_with_its_script_and_invokes() {
    new_then_invoke("c", &["main.c", "build.sh"]);
}

#[test]
fn new_appends_to_a_manifest_and_refuses_what_exists() {
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    let before = "# my project\nmanifest_version = 1   # keep this comment\n\n[function.old]\nsource = \"old.wasm\" # and this one";
    std::fs::write(dir.join("fnhost.toml"), before).unwrap();
    new_function(dir, "second", "nodejs");
    let after = std::fs::read_to_string(dir.join("fnhost.toml")).unwrap();
    assert!(after.starts_with(before), "{after}");
    let added: toml::Table = toml::from_str(&after).unwrap();
    assert_eq!(
        added["function"]["second"]["runtime"].as_str(),
        Some("nodejs22.x")
    );
    assert_eq!(
        added["function"]["second"]["handler"].as_str(),
        Some("index.handler")
    );
    assert_eq!(
        added["function"]["second"]["code"].as_str(),
        Some("functions/second")
    );

    let refused = |args: &[&str], needle: &str| {
        let out = fnhost_in(dir, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{needle}: {err}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("fnhost.toml")).unwrap(),
            after,
            "a refused `new` changed the manifest"
        );
    };
    // Found from the working directory, as the other commands find it.
    refused(
        &["new", "old", "--runtime", "python"],
        "already declares function `old`",
    );
    refused(
        &["new", "second", "--runtime", "python"],
        "already declares function `second`",
    );
    std::fs::create_dir_all(dir.join("functions/third")).unwrap();
    refused(
        &["new", "third", "--runtime", "c"],
        "functions/third` already exists",
    );
    refused(&["new", "no such", "--runtime", "python"], "Lambda's rule");
    refused(
        &["new", "9lives", "--runtime", "rust"],
        "may not start with a digit",
    );
    assert!(!dir.join("functions/9lives").exists());
}
