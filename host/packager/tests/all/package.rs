//! Real packagings with the embedded scripts, on the tools `.ci/guests.sh` installs under
//! `target/guest-tools` (skipped, saying so, when they are not there).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use fnhost_core::runtimes::SourceLanguage;
use fnhost_packager::{PackageError, Packager, Request};

/// The repository's tools directory, if `.ci/guests.sh` has installed both languages' tools.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guest-tools");
    let installed = |prefix: &str| {
        std::fs::read_dir(&dir).ok().is_some_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name().to_string_lossy().starts_with(prefix)
                    && e.path().join(".installed").is_file()
            })
        })
    };
    if installed("componentize-py-") && installed("js-") {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} lacks componentize-py or the npm tools; run `bash .ci/guests.sh` first",
            dir.display()
        );
        None
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), text).unwrap();
}

/// A component binary: wasm magic and the component layer's version.
fn assert_component(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\0asm\x0d\x00\x01\x00",
        "{} is not a component",
        path.display()
    );
    assert!(bytes.len() > 100_000, "{} is too small", path.display());
}

#[test]
fn packages_python_and_javascript() {
    let Some(tools) = tools() else { return };
    let packager = Packager::new(Some(tools));
    let tmp = tempfile::tempdir().unwrap();

    let py = tmp.path().join("py");
    write(
        &py,
        "lambda_function.py",
        "def lambda_handler(event, context):\n    return {'hello': event.get('name')}\n",
    );
    let broken = tmp.path().join("broken");
    write(
        &broken,
        "app.py",
        "import os\nTABLE = os.environ['TABLE_NAME']\ndef handler(event, context):\n    return 1\n",
    );
    let js = tmp.path().join("js");
    write(
        &js,
        "index.mjs",
        "export const handler = async (event) => ({ hello: event.name });\n",
    );
    let requests = [
        Request {
            language: SourceLanguage::Python,
            handler: "lambda_function.lambda_handler".into(),
            code: py,
            opt_dir: None,
            out: tmp.path().join("out/py.wasm"),
        },
        Request {
            language: SourceLanguage::Python,
            handler: "app.handler".into(),
            code: broken,
            opt_dir: None,
            out: tmp.path().join("out/broken.wasm"),
        },
        Request {
            language: SourceLanguage::Node,
            handler: "index.handler".into(),
            code: js,
            opt_dir: None,
            out: tmp.path().join("out/js.wasm"),
        },
    ];
    // Concurrently, as the API runs them.
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = requests
            .iter()
            .map(|request| {
                let packager = &packager;
                s.spawn(move || {
                    let seen = Mutex::new(Vec::new());
                    let result = packager
                        .package(request, &|line| seen.lock().unwrap().push(line.to_owned()));
                    (result, seen.into_inner().unwrap())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for ((result, progress), request) in results.iter().zip(&requests) {
        let packaged = result
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", request.handler));
        assert_eq!(packaged.out, request.out);
        assert_component(&packaged.out);
        assert!(
            progress.iter().any(|l| l.starts_with("fnhost: packaged")),
            "no progress lines: {progress:?}"
        );
    }
    assert_eq!(results[0].0.as_ref().unwrap().init_error, None);
    assert_eq!(
        results[1].0.as_ref().unwrap().init_error.as_deref(),
        Some("KeyError: 'TABLE_NAME'")
    );
    assert_eq!(results[2].0.as_ref().unwrap().init_error, None);
    // Only the outputs: no temporary files left beside them.
    let mut outs: Vec<_> = std::fs::read_dir(tmp.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    outs.sort();
    assert_eq!(outs, ["broken.wasm", "js.wasm", "py.wasm"]);
}

#[test]
fn a_missing_handler_module_fails_before_any_tool_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let tools = tmp.path().join("tools");
    let packager = Packager::new(Some(tools.clone()));
    let code = tmp.path().join("code");
    write(&code, "app.py", "def handler(e, c):\n    return 1\n");
    for (language, handler, message) in [
        (
            SourceLanguage::Python,
            "lambda_function.lambda_handler",
            "Unable to import module 'lambda_function': No module named 'lambda_function'",
        ),
        (
            SourceLanguage::Node,
            "index.handler",
            "Error: Cannot find module 'index'",
        ),
    ] {
        let request = Request {
            language,
            handler: handler.into(),
            code: code.clone(),
            opt_dir: None,
            out: tmp.path().join("out.wasm"),
        };
        match packager.package(&request, &|line| panic!("a tool ran: {line}")) {
            Err(PackageError::HandlerNotFound {
                error_type,
                message: m,
            }) => {
                assert_eq!(error_type, "Runtime.ImportModuleError");
                assert_eq!(m, message);
            }
            other => panic!("expected HandlerNotFound, got {other:?}"),
        }
    }
    assert!(
        !tools.exists(),
        "nothing is extracted or installed for a missing handler"
    );
    assert!(!tmp.path().join("out.wasm").exists());
}
