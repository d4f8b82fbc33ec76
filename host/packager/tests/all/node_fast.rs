//! The Node.js fast tier (`Packager::prepare`): the generic runtime component and a bundle per
//! function, made with the real tools `.ci/guests.sh` installs under `target/guest-tools`
//! (skipped, saying so, when they are not there). What the bundle does at event time is tested
//! through the API (provision) and by `node --test guest-sdk/js/test/generic.test.mjs`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use fnhost_core::runtimes::SourceLanguage;
use fnhost_packager::{PackageError, Packager, Prepared, Request};

/// The repository's tools directory, if the npm tools are installed there.
fn tools() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/guest-tools");
    let installed = std::fs::read_dir(&dir).ok().is_some_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with("js-")
                && e.path().join(".installed").is_file()
        })
    });
    if installed {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: {} lacks the npm tools; run `bash .ci/guests.sh` first",
            dir.display()
        );
        None
    }
}

fn write(dir: &Path, name: &str, text: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn request(code: &Path, handler: &str, out: &Path) -> Request {
    Request {
        language: SourceLanguage::Node,
        handler: handler.into(),
        code: code.to_path_buf(),
        opt_dir: None,
        out: out.to_path_buf(),
    }
}

/// Prepare, collecting the progress lines.
fn prepare(
    packager: &Packager,
    request: &Request,
) -> (Result<Prepared, PackageError>, Vec<String>) {
    let seen = Mutex::new(Vec::new());
    let result = packager
        .prepare(request, &|line| seen.lock().unwrap().push(line.to_owned()))
        .map(|p| p.expect("Node.js has a fast tier"));
    (result, seen.into_inner().unwrap())
}

fn bundle(prepared: &Prepared) -> String {
    let dir = prepared.runtime_dir.as_ref().expect("a runtime dir");
    std::fs::read_to_string(dir.join("function.js")).unwrap()
}

#[test]
fn js_hello_is_bundled_for_the_shared_generic_runtime_and_reused() {
    let Some(tools) = tools() else { return };
    let packager = Packager::new(Some(tools));
    let tmp = tempfile::tempdir().unwrap();
    let hello = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../functions/js-hello");
    let out = tmp.path().join("packages/js-hello.wasm");

    let (first, progress) = prepare(&packager, &request(&hello, "index.handler", &out));
    let first = first.unwrap_or_else(|e| panic!("{e}: {progress:?}"));
    // The generic component: one per SDK, in the tools directory, a real component, with its
    // hash and where its compiled code is shared.
    assert!(
        first.wasm.starts_with(packager.tools_dir())
            && first.wasm.ends_with("js-runtime/runtime.wasm"),
        "{}",
        first.wasm.display()
    );
    let bytes = std::fs::read(&first.wasm).unwrap();
    assert_eq!(&bytes[..8], b"\0asm\x0d\x00\x01\x00", "not a component");
    let sha256 = Command::new("sha256sum").arg(&first.wasm).output().unwrap();
    assert_eq!(
        first.sha256,
        String::from_utf8(sha256.stdout).unwrap()[..64],
        "the hash is the component's"
    );
    assert_eq!(first.compiled_dir, first.wasm.with_file_name("compiled"));
    assert_eq!(first.lang_dir, None);
    // The bundle: beside the output, CommonJS naming the file and the handler, ASCII only.
    let dir = first.runtime_dir.clone().unwrap();
    assert!(
        dir.starts_with(tmp.path().join("packages/js-runtime")),
        "{}",
        dir.display()
    );
    let text = bundle(&first);
    assert!(
        text.starts_with("//fnhost-file:/index.js\n"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("var setting = \"index.handler\";"), "{text}");
    assert!(text.contains("Hello function invoked for"), "{text}");
    assert!(text.contains("module.exports = "), "{text}");
    assert!(text.is_ascii());
    assert!(
        !out.exists(),
        "preparing writes no component of the function"
    );
    assert!(
        progress.iter().any(|l| l.starts_with("fnhost: bundled")),
        "{progress:?}"
    );

    // Unchanged code: the same directory, not bundled again.
    let (again, progress) = prepare(&packager, &request(&hello, "index.handler", &out));
    let again = again.unwrap();
    assert_eq!(again, first);
    assert!(
        progress.iter().any(|l| l.starts_with("fnhost: reusing")),
        "{progress:?}"
    );

    // Another function: its own directory, the same generic component.
    let other = tmp.path().join("other");
    write(
        &other,
        "src/app.js",
        "exports.main = (event, context, callback) => callback(null, { echo: event });\n",
    );
    let (third, _) = prepare(&packager, &request(&other, "src/app.main", &out));
    let third = third.unwrap();
    assert_eq!(third.wasm, first.wasm);
    assert_ne!(third.runtime_dir, first.runtime_dir);
    assert!(bundle(&third).starts_with("//fnhost-file:/app.js\n"));
    assert!(bundle(&third).contains("var setting = \"src/app.main\";"));

    // A changed file or handler is a new directory; the old one is left as it was.
    write(
        &other,
        "src/app.js",
        "exports.main = async (event) => ({ changed: true });\n",
    );
    let (changed, _) = prepare(&packager, &request(&other, "src/app.main", &out));
    let changed = changed.unwrap();
    assert_ne!(changed.runtime_dir, third.runtime_dir);
    assert!(bundle(&changed).contains("changed: true"));
    assert!(!bundle(&third).contains("changed: true"));
    let (renamed, _) = prepare(&packager, &request(&other, "src/app.other", &out));
    assert_ne!(renamed.unwrap().runtime_dir, changed.runtime_dir);
}

#[test]
fn fnhost_modules_and_layers_resolve_as_in_the_full_packaging() {
    let Some(tools) = tools() else { return };
    let packager = Packager::new(Some(tools));
    let tmp = tempfile::tempdir().unwrap();
    let code = tmp.path().join("code");
    write(
        &code,
        "index.mjs",
        "import { S3Client, GetObjectCommand } from \"@aws-sdk/client-s3\";\n\
         import { getObject } from \"fnhost-objects\";\n\
         import { shout } from \"shout\";\n\
         export const handler = async () => shout(typeof S3Client + typeof GetObjectCommand + typeof getObject);\n",
    );
    // A real @aws-sdk/client-s3 in node_modules loses to fnhost's, as in the full packaging.
    write(
        &code,
        "node_modules/@aws-sdk/client-s3/index.js",
        "throw new Error('the real SDK was bundled');\n",
    );
    let opt = tmp.path().join("opt");
    write(
        &opt,
        "nodejs/node_modules/shout/index.js",
        "exports.shout = (s) => s.toUpperCase() + '!LAYER-V1';\n",
    );
    let mut req = request(&code, "index.handler", &tmp.path().join("out/f.wasm"));
    req.opt_dir = Some(opt.clone());
    let (prepared, progress) = prepare(&packager, &req);
    let prepared = prepared.unwrap_or_else(|e| panic!("{e}: {progress:?}"));
    let text = bundle(&prepared);
    assert!(text.contains("LAYER-V1"), "the layer's package is bundled");
    assert!(!text.contains("the real SDK was bundled"));
    assert!(text.contains("require(\"@aws-sdk/client-s3\")"), "{text}");
    assert!(text.contains("require(\"fnhost-objects\")"), "{text}");

    // A new layer version is a new bundle.
    write(
        &opt,
        "nodejs/node_modules/shout/index.js",
        "exports.shout = (s) => s + '!LAYER-V2';\n",
    );
    let (updated, _) = prepare(&packager, &req);
    let updated = updated.unwrap();
    assert_ne!(updated.runtime_dir, prepared.runtime_dir);
    assert!(bundle(&updated).contains("LAYER-V2"));
}

#[test]
fn what_the_full_packaging_refuses_preparing_refuses_too() {
    let Some(tools) = tools() else { return };
    let packager = Packager::new(Some(tools));
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out/f.wasm");
    let fixtures = AtomicUsize::new(0);
    let failure = |files: &[(&str, &str)], handler: &str| {
        let code = tmp
            .path()
            .join(format!("code{}", fixtures.fetch_add(1, Ordering::Relaxed)));
        for (name, text) in files {
            write(&code, name, text);
        }
        match prepare(&packager, &request(&code, handler, &out)).0 {
            Err(e) => e,
            Ok(p) => panic!("prepared {p:?}"),
        }
    };

    // A missing module: Lambda's error, before any tool runs.
    match failure(
        &[("app.js", "exports.handler = () => 1;\n")],
        "index.handler",
    ) {
        PackageError::HandlerNotFound {
            error_type,
            message,
        } => {
            assert_eq!(error_type, "Runtime.ImportModuleError");
            assert_eq!(message, "Error: Cannot find module 'index'");
        }
        other => panic!("{other:?}"),
    }
    let message = |e: PackageError| match e {
        PackageError::Failed { message } => message,
        other => panic!("expected Failed, got {other:?}"),
    };
    // Node's built-in modules are not there.
    let m = message(failure(
        &[(
            "index.mjs",
            "import fs from \"fs\";\nexport const handler = () => fs.readFileSync(\"/x\");\n",
        )],
        "index.handler",
    ));
    assert!(m.contains("bundling") && m.contains("\"fs\""), "{m}");
    // A command fnhost's S3 client lacks, named with what it has.
    let m = message(failure(
        &[(
            "index.mjs",
            "import { DeleteObjectsCommand } from \"@aws-sdk/client-s3\";\nexport const handler = () => String(DeleteObjectsCommand);\n",
        )],
        "index.handler",
    ));
    assert!(
        m.contains("`DeleteObjectsCommand` from @aws-sdk/client-s3 is not supported by fnhost"),
        "{m}"
    );
    assert!(m.contains("GetObjectCommand"), "{m}");
    // Another AWS SDK package.
    let m = message(failure(
        &[(
            "index.mjs",
            "import { DynamoDBClient } from \"@aws-sdk/client-dynamodb\";\nexport const handler = () => typeof DynamoDBClient;\n",
        )],
        "index.handler",
    ));
    assert!(
        m.contains("`@aws-sdk/client-dynamodb` is not supported by fnhost"),
        "{m}"
    );
    // A WIT interface outside the specialised component's world.
    let m = message(failure(
        &[(
            "index.mjs",
            "import fsys from \"wasi:filesystem/preopens@0.2.12\";\nexport const handler = () => typeof fsys;\n",
        )],
        "index.handler",
    ));
    assert!(
        m.contains(
            "`wasi:filesystem/preopens@0.2.12` is not an interface JavaScript functions can import"
        ),
        "{m}"
    );
}
