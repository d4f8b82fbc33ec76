//! Source runtimes in the manifest through the real binary: `runtime = "python3.12"` or
//! `"nodejs22.x"` with `handler` and `code`, in a directory outside the repository, packaged by
//! fnhost itself (the embedded packager) on `fnhost invoke`, again only when the code changes.
//!
//! The packaging tools come from `target/guest-tools`, where `.ci/guests.sh` installed them.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::text;

/// The Python function of Lambda's getting-started tutorial.
const PYTHON_TUTORIAL: &str = r#"import json
import logging

logger = logging.getLogger()
logger.setLevel(logging.INFO)

def lambda_handler(event, context):
    # Get the length and width parameters from the event object. The
    # runtime converts the event object to a Python dictionary
    length = event['length']
    width = event['width']

    area = calculate_area(length, width)
    print(f"The area is {area}")

    logger.info(f"CloudWatch logs group: {context.log_group_name}")

    # return the calculated area as a JSON string
    data = {"area": area}
    return json.dumps(data)

def calculate_area(length, width):
    return length*width
"#;

/// The Node.js function of Lambda's getting-started tutorial.
const NODE_TUTORIAL: &str = r#"export const handler = async (event, context) => {
  const length = event.length;
  const width = event.width;
  let area = calculateArea(length, width);
  console.log(`The area is ${area}`);
  console.log('CloudWatch log group: ', context.logGroupName);

  let data = {
    "area": area,
  };
    return JSON.stringify(data);

  function calculateArea(length, width) {
    return length * width;
  }
};
"#;

const EVENT: &str = r#"{"length": 6, "width": 7}"#;

/// A project in a fresh temporary directory (outside the repository): `fnhost.toml` with one
/// function `area` of `runtime`, its code in `functions/area/<file>`.
fn project(runtime: &str, handler: &str, file: &str, code: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let functions = dir.path().join("functions/area");
    std::fs::create_dir_all(&functions).unwrap();
    std::fs::write(functions.join(file), code).unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!(
            "manifest_version = 1\n\n[function.area]\nruntime = \"{runtime}\"\n\
             handler = \"{handler}\"\ncode = \"functions/area\"\n"
        ),
    )
    .unwrap();
    dir
}

/// `fnhost invoke area` in `dir` (its own fnhost.toml and `.fnhost/` state), with the
/// repository's packaging tools.
fn invoke(dir: &Path) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .args(["invoke", "area", "-e", "-"])
        .current_dir(dir)
        .env("FNHOST_TOOLS_DIR", crate::root().join("target/guest-tools"))
        .env_remove("FNHOST_MANIFEST")
        .env_remove("FNHOST_STATE_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn fnhost");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(EVENT.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// The `packaged area in …s (reason)` line `fnhost invoke` printed, if it packaged.
fn packaged(out: &Output) -> Option<String> {
    text(&out.stderr)
        .lines()
        .find(|l| l.starts_with("packaged area in "))
        .map(str::to_owned)
}

#[test]
fn python_source_is_packaged_and_answers_then_repackaged_only_when_changed() {
    let dir = project(
        "python3.12",
        "lambda_function.lambda_handler",
        "lambda_function.py",
        PYTHON_TUTORIAL,
    );
    let first = invoke(dir.path());
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(text(&first.stdout), "\"{\\\"area\\\": 42}\"\n");
    assert!(text(&first.stderr).contains("The area is 42"));
    let line = packaged(&first).expect("the first invoke packages");
    assert!(line.ends_with("(not packaged yet)"), "{line}");
    assert!(dir.path().join(".fnhost/packages/area.wasm").is_file());

    // Nothing changed: the package is reused.
    let second = invoke(dir.path());
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(packaged(&second), None, "{}", text(&second.stderr));
    assert_eq!(text(&second.stdout), text(&first.stdout));

    // A changed handler file is packaged again, and its new answer comes back.
    std::fs::write(
        dir.path().join("functions/area/lambda_function.py"),
        PYTHON_TUTORIAL.replace(
            r#"data = {"area": area}"#,
            r#"data = {"area": area, "unit": "m2"}"#,
        ),
    )
    .unwrap();
    let third = invoke(dir.path());
    assert!(third.status.success(), "{}", text(&third.stderr));
    let line = packaged(&third).expect("a changed handler is packaged again");
    assert!(line.ends_with("(its code changed)"), "{line}");
    assert_eq!(
        text(&third.stdout),
        "\"{\\\"area\\\": 42, \\\"unit\\\": \\\"m2\\\"}\"\n"
    );
}

#[test]
fn node_source_is_packaged_and_answers() {
    let dir = project("nodejs22.x", "index.handler", "index.mjs", NODE_TUTORIAL);
    let out = invoke(dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "\"{\\\"area\\\":42}\"\n");
    assert!(text(&out.stderr).contains("The area is 42"));
    assert!(packaged(&out).is_some(), "{}", text(&out.stderr));
}

#[test]
fn a_missing_handler_module_gives_lambdas_import_error() {
    for (runtime, handler, file, expected) in [
        (
            "python3.12",
            "lambda_function.lambda_handler",
            "app.py",
            "Runtime.ImportModuleError: Unable to import module 'lambda_function': \
             No module named 'lambda_function'",
        ),
        (
            "nodejs22.x",
            "index.handler",
            "app.mjs",
            "Runtime.ImportModuleError: Error: Cannot find module 'index'",
        ),
    ] {
        let dir = project(runtime, handler, file, "");
        let out = invoke(dir.path());
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(expected), "{runtime}: {stderr}");
        assert!(
            stderr.contains("packaging function `area`"),
            "{runtime}: {stderr}"
        );
        assert!(!dir.path().join(".fnhost/packages/area.wasm").exists());
    }
}
