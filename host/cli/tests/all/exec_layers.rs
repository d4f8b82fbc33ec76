//! Issue 13, layers: the Lambda Layers API through the real boto3 (`tests/py/layers.py`), a
//! function's `/opt` and `/var/task` at run time (through `functions/tmp-probe`), the manifest's
//! `[layer.NAME]` (a directory and a `.zip`) and `code`, and how layers reach a build
//! (`FNHOST_OPT_DIR`, re-packaging when a layer changes).

use std::path::Path;

use crate::api::run_py;
use crate::up::{Server, function};
use crate::{built, fnhost, text};

fn write(path: &Path, data: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, data).unwrap();
}

/// A zip of `entries` at `path`, written by Python's `zipfile` (the pytools venv the API
/// tests use anyway).
fn zip(path: &Path, entries: &[(&str, &str)]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let entries: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .map(|(name, data)| ((*name).to_owned(), (*data).into()))
        .collect();
    let status = std::process::Command::new(crate::root().join("target/pytools/bin/python"))
        .args([
            "-c",
            "import json, sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[1], 'w', zipfile.ZIP_DEFLATED) as z:\n\
             \x20   [z.writestr(k, v) for k, v in json.loads(sys.argv[2]).items()]",
        ])
        .arg(path)
        .arg(serde_json::Value::Object(entries).to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn layers_api_and_opt_at_run_time() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        &root.join("layers/dir/python/fromdir.py"),
        "X = 'dir layer'\n",
    );
    write(&root.join("layers/dir/python/both.txt"), "dir");
    zip(
        &root.join("layers/zipped.zip"),
        &[
            ("python/fromzip.py", "Y = 'zip layer'\n"),
            ("python/both.txt", "zip wins"),
        ],
    );
    write(&root.join("task/readme.txt"), "declared task");
    let manifest = format!(
        "manifest_version = 1\n\n[layer.dirlayer]\npath = \"layers/dir\"\n\n\
         [layer.ziplayer]\npath = \"layers/zipped.zip\"\n\n{}",
        function(
            "declared",
            "tmp-probe",
            "ephemeral_storage_mb = 2048\ncode = \"task\"\nlayers = [\"dirlayer\", \"ziplayer\"]\n",
        )
    );
    std::fs::write(root.join("fnhost.toml"), manifest).unwrap();
    let server = Server::start_in(dir, &["-q"]);
    let out = run_py("layers.py", &server, &[]);
    assert!(out.contains("passed layers.py"), "{out}");
    // Versions live under the state directory, one directory per published version; the
    // deleted and unused `libs:3` is gone, `other:1` (deleted, then dropped by `probe`) too.
    let layers = crate::up::state_dir(server.dir.path()).join("layers");
    assert!(layers.join("libs/1").is_dir() && layers.join("libs/4").is_dir());
    assert!(!layers.join("libs/3").exists(), "deleted version kept");
    assert!(
        !layers.join("other/1").exists(),
        "unused deleted version kept"
    );
}

/// Build `fixtures`-style: `fnhost build --json` in `dir`, returning each function's status.
fn build(dir: &Path) -> Vec<(String, String, String)> {
    let manifest = dir.join("fnhost.toml");
    let out = fnhost(
        &["-f", manifest.to_str().unwrap(), "build", "--json"],
        None,
        Some(&dir.join("state")),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let results: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    results
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[test]
fn builds_see_their_layers_and_rebuild_when_a_layer_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join("libs/python/a.py"), "A = 1\n");
    write(&root.join("more/python/a.py"), "A = 2\n");
    // The build records what it saw: the merged /opt's a.py, or that no layers were set.
    let command = |out: &str| {
        format!(
            "build = \"(cat \\\"$FNHOST_OPT_DIR/python/a.py\\\" 2>/dev/null || echo none-${{FNHOST_OPT_DIR-unset}}) > {out}.txt && printf wasm > {out}.wasm\""
        )
    };
    let manifest = format!(
        "manifest_version = 1\n\n[layer.libs]\npath = \"libs\"\n\n[layer.more]\npath = \"more\"\n\n\
         [function.layered]\nsource = \"layered.wasm\"\nlayers = [\"libs\", \"more\"]\n{}\n\n\
         [function.plain]\nsource = \"plain.wasm\"\n{}\n",
        command("layered"),
        command("plain"),
    );
    std::fs::write(root.join("fnhost.toml"), &manifest).unwrap();
    let statuses = build(root);
    assert!(
        statuses.iter().all(|(_, status, _)| status == "built"),
        "{statuses:?}"
    );
    // Later layers override earlier files in the merged directory the build sees.
    assert_eq!(
        std::fs::read_to_string(root.join("layered.txt")).unwrap(),
        "A = 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("plain.txt")).unwrap(),
        "none-unset\n"
    );
    assert!(
        build(root).iter().all(|(_, status, _)| status == "fresh"),
        "nothing changed, nothing rebuilt"
    );

    // Changed layer content: only the function using it is re-packaged.
    write(&root.join("more/python/a.py"), "A = 3 # changed\n");
    let statuses = build(root);
    assert!(
        statuses.contains(&(
            "layered".into(),
            "built".into(),
            "its layers changed".into()
        )),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&("plain".into(), "fresh".into(), String::new())),
        "{statuses:?}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("layered.txt")).unwrap(),
        "A = 3 # changed\n"
    );

    // A changed layer list (order) re-packages too.
    std::fs::write(
        root.join("fnhost.toml"),
        manifest.replace("[\"libs\", \"more\"]", "[\"more\", \"libs\"]"),
    )
    .unwrap();
    let statuses = build(root);
    assert!(
        statuses.contains(&(
            "layered".into(),
            "built".into(),
            "its layers changed".into()
        )),
        "{statuses:?}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("layered.txt")).unwrap(),
        "A = 1\n"
    );
}

/// The fixtures' `[layer.example]`: `fnhost invoke` of a function that lists it reads its file
/// under `/opt`, and cannot write there.
#[test]
fn fixture_layer_is_read_only_opt() {
    let state = tempfile::tempdir().unwrap();
    let event = r#"{"steps": [{"read": "/opt/python/example_layer.py"},
                              {"text": {"path": "/opt/python/new.py", "data": "x"}}]}"#;
    let out = crate::invoke("layer-probe", event, state.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let steps: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(steps[0]["ok"], true, "{steps}");
    assert!(
        steps[0]["text"]
            .as_str()
            .unwrap()
            .contains("hello from the example layer"),
        "{steps}"
    );
    assert_eq!(steps[1]["ok"], false, "{steps}");
    assert!(
        !crate::root()
            .join("functions/layers/example/python/new.py")
            .exists()
    );
}

/// A Python function imports a module that only its layer has: packaging put the layer's
/// `python/` on the import path, and at run time the module's `__file__` is under `/opt`.
#[test]
fn a_python_function_imports_from_its_layer() {
    let state = tempfile::tempdir().unwrap();
    let out = crate::invoke("python-layer", "{}", state.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(got["greeting"], "hello from the example layer", "{got}");
    assert_eq!(got["file"], "/opt/python/example_layer.py", "{got}");
}
