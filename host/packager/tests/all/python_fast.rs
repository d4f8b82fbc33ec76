//! The fast tier for Python: the generic runtime, built once into the tools directory, and what
//! `prepare` hands the host (real componentize-py; skipped, saying so, without the tools).

use std::path::{Path, PathBuf};

use fnhost_core::runtimes::SourceLanguage;
use fnhost_packager::{PackageError, Packager, Request};

/// The repository's tools directory, if `.ci/guests.sh` has installed componentize-py.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guest-tools");
    let installed = std::fs::read_dir(&dir).ok().is_some_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("componentize-py-")
                && e.path().join(".installed").is_file()
        })
    });
    if installed {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} lacks componentize-py; run `bash .ci/guests.sh` first",
            dir.display()
        );
        None
    }
}

fn request(code: &Path, handler: &str) -> Request {
    Request {
        language: SourceLanguage::Python,
        handler: handler.into(),
        code: code.to_owned(),
        opt_dir: None,
        out: code.join("unused.wasm"),
    }
}

#[test]
fn python_functions_share_one_generic_runtime_with_the_standard_library_beside_it() {
    let Some(tools) = tools() else { return };
    let packager = Packager::new(Some(tools));
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    for (dir, file) in [(&a, "lambda_function.py"), (&b, "app.py")] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(file), "def handler(e, c):\n    return 1\n").unwrap();
    }

    let first = packager
        .prepare(&request(&a, "lambda_function.handler"), &|_| {})
        .unwrap()
        .expect("Python has a fast tier");
    let second = packager
        .prepare(&request(&b, "app.handler"), &|line| {
            panic!("the runtime is built once, yet the second prepare printed {line}")
        })
        .unwrap()
        .unwrap();
    assert_eq!(
        first, second,
        "every function runs the same generic runtime"
    );

    let wasm = std::fs::read(&first.wasm).unwrap();
    assert_eq!(&wasm[..8], b"\0asm\x0d\x00\x01\x00", "not a component");
    let sha = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(&wasm))
    };
    assert_eq!(first.sha256, sha);
    assert!(packager.runtime_images().contains(&sha));

    // /var/lang: the standard library, compiled; /var/runtime: fnhost's modules and boto3.
    let lang = first.lang_dir.as_deref().unwrap();
    let stdlib = lang.join("lib/python3.14");
    for module in ["os.py", "csv.py", "json/__init__.py"] {
        assert!(
            stdlib.join(module).is_file(),
            "{module} missing in {}",
            stdlib.display()
        );
    }
    assert!(stdlib.join("__pycache__/csv.cpython-314.pyc").is_file());
    assert!(!stdlib.join("test").exists(), "the test suite is left out");
    let runtime = first.runtime_dir.as_deref().unwrap();
    for module in [
        "fnhost_lambda.py",
        "boto3/__init__.py",
        "botocore/__init__.py",
    ] {
        assert!(
            runtime.join(module).is_file(),
            "{module} missing in {}",
            runtime.display()
        );
    }
    let mounts = packager.runtime_mounts(SourceLanguage::Python);
    assert_eq!(mounts.lang_dir, first.lang_dir);
    assert_eq!(mounts.runtime_dir, first.runtime_dir);
}

#[test]
fn requirements_and_missing_modules_have_no_fast_tier() {
    let tmp = tempfile::tempdir().unwrap();
    // A tools directory with nothing in it: neither case may install or build anything.
    let tools = tmp.path().join("tools");
    let packager = Packager::new(Some(tools.clone()));
    let code = tmp.path().join("code");
    std::fs::create_dir_all(&code).unwrap();
    std::fs::write(code.join("app.py"), "def handler(e, c):\n    return 1\n").unwrap();
    std::fs::write(code.join("requirements.txt"), "requests\n").unwrap();
    let quiet = |line: &str| panic!("a tool ran: {line}");
    assert_eq!(
        packager
            .prepare(&request(&code, "app.handler"), &quiet)
            .unwrap(),
        None,
        "requirements.txt is installed while packaging: no fast tier"
    );
    match packager.prepare(&request(&code, "lambda_function.handler"), &quiet) {
        Err(PackageError::HandlerNotFound { message, .. }) => assert_eq!(
            message,
            "Unable to import module 'lambda_function': No module named 'lambda_function'"
        ),
        other => panic!("expected HandlerNotFound, got {other:?}"),
    }
    assert!(!tools.exists());
    assert_eq!(
        packager.runtime_mounts(SourceLanguage::Python),
        Default::default()
    );
}
