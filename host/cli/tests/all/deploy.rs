//! `fnhost deploy` to a second `fnhost up` started here with admin credentials, so every
//! request is SigV4-signed: the functions (a prebuilt Rust `.wasm` with a layer, grants and
//! configuration, and a Node.js function written by `fnhost new`) appear there and answer
//! through the Lambda API (invoked with real boto3), and a second deploy reports no changes
//! and changes nothing.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::new::new_function;
use crate::root;
use crate::up::Server;

const KEY_ID: &str = "AKIDdeploytest";
const SECRET: &str = "deploy-test-secret";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The packaging tools `.ci/guests.sh` installed.
fn tools_dir() -> String {
    root().join("target/guest-tools").display().to_string()
}

/// `fnhost -f MANIFEST deploy --endpoint ADMIN EXTRA…`, signing with `credentials`.
fn deploy(manifest: &Path, server: &Server, credentials: bool, extra: &[&str]) -> Output {
    let endpoint = format!("http://{}", server.admin);
    let mut command = Command::new(env!("CARGO_BIN_EXE_fnhost"));
    command
        .arg("-f")
        .arg(manifest)
        .args(["deploy", "--endpoint", &endpoint])
        .args(extra)
        .env_remove("FNHOST_ACCESS_KEY_ID")
        .env_remove("FNHOST_SECRET_ACCESS_KEY")
        .env_remove("FNHOST_ENDPOINT")
        .env_remove("FNHOST_STATE_DIR");
    if credentials {
        command
            .env("FNHOST_ACCESS_KEY_ID", KEY_ID)
            .env("FNHOST_SECRET_ACCESS_KEY", SECRET);
    }
    command.output().expect("run fnhost deploy")
}

/// `deploy --json`, which must succeed: its report.
fn deploy_json(manifest: &Path, server: &Server) -> Value {
    let out = deploy(manifest, server, true, &["--json"]);
    assert!(
        out.status.success(),
        "--- stderr\n{}\n--- stdout\n{}\n--- host stderr\n{}",
        text(&out.stderr),
        text(&out.stdout),
        server.stderr()
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Run `script` with real boto3 (the pytools venv), signed with the host's credentials; it
/// prints one JSON value, returned.
fn boto3(server: &Server, script: &str) -> Value {
    let python = root().join("target/pytools/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash .ci/pytools.sh`",
        python.display()
    );
    let prelude = "import boto3, json, sys\nlam = boto3.client('lambda', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])\n";
    let out = Command::new(python)
        .arg("-c")
        .arg(format!("{prelude}{script}"))
        .arg(format!("http://{}", server.admin))
        .args([KEY_ID, SECRET])
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stderr),
        server.stderr()
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out.stdout)))
}

/// Invoke `name` with `{"name": "Ada"}` and GetFunction it, through boto3.
fn invoke_and_get(server: &Server, name: &str) -> (Value, Value) {
    let v = boto3(
        server,
        &format!(
            "r = lam.invoke(FunctionName='{name}', Payload=b'{{\"name\":\"Ada\"}}')\n\
             f = lam.get_function(FunctionName='{name}')\n\
             print(json.dumps([json.loads(r['Payload'].read()), {{'Configuration': f['Configuration'], 'Tags': f.get('Tags', {{}})}}]))"
        ),
    );
    (v[0].clone(), v[1].clone())
}

/// `answer` is the tutorial's response greeting Ada with `greeting` (the body is JSON text,
/// spaced as the function's language spaces it).
fn assert_greeting(answer: &Value, greeting: &str) {
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body["message"],
        format!("{greeting}, Ada! This is your first AWS Lambda function.")
    );
}

fn actions(report: &Value) -> Vec<(String, String)> {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["action"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn deploy_creates_functions_that_answer_and_a_second_deploy_changes_nothing() {
    crate::built();
    let tools = tools_dir();
    // The target: an upload-only host that requires signatures.
    let server = Server::start_with_env(
        tempfile::tempdir().unwrap(),
        &["-q"],
        &[
            ("FNHOST_TOOLS_DIR", &tools),
            ("FNHOST_ACCESS_KEY_ID", KEY_ID),
            ("FNHOST_SECRET_ACCESS_KEY", SECRET),
        ],
    );

    // The project: a Python function from `fnhost new`, plus a prebuilt Rust one with a layer,
    // grants and configuration.
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    new_function(dir, "js", "nodejs");
    std::fs::create_dir_all(dir.join("layers/assets")).unwrap();
    std::fs::write(dir.join("layers/assets/greeting.txt"), "hi\n").unwrap();
    let manifest = dir.join("fnhost.toml");
    let hello = fnhost_test_programs::guest("hello");
    let mut text_before = std::fs::read_to_string(&manifest).unwrap();
    text_before.push_str(&format!(
        "\n[layer.assets]\npath = \"layers/assets\"\n\n[function.hello]\nsource = {:?}\ndescription = \"the tutorial in Rust\"\nmemory_mb = 256\ntimeout_s = 5\nenv = {{ GREETING = \"hi\" }}\nlayers = [\"assets\"]\ninvoke = [\"js\"]\nallowed_outbound_hosts = [\"https://api.example.com\"]\nurl = true\n",
        hello.to_string_lossy()
    ));
    std::fs::write(&manifest, &text_before).unwrap();

    // Unsigned, the target refuses: nothing is deployed.
    let unsigned = deploy(&manifest, &server, false, &[]);
    assert_eq!(
        unsigned.status.code(),
        Some(2),
        "{}",
        text(&unsigned.stderr)
    );
    assert!(
        text(&unsigned.stderr).contains("MissingAuthenticationTokenException"),
        "{}",
        text(&unsigned.stderr)
    );

    let first = deploy_json(&manifest, &server);
    assert_eq!(
        actions(&first),
        [
            ("hello".into(), "created".into()),
            ("js".into(), "created".into())
        ]
    );
    assert_eq!(first["layers"][0]["action"], "published");
    let layer_arn = first["layers"][0]["arn"].as_str().unwrap().to_owned();

    let (answer, hello_fn) = invoke_and_get(&server, "hello");
    assert_greeting(&answer, "Hello");
    let config = &hello_fn["Configuration"];
    assert_eq!(config["MemorySize"], 256);
    assert_eq!(config["Timeout"], 5);
    assert_eq!(config["Description"], "the tutorial in Rust");
    assert_eq!(config["Environment"]["Variables"]["GREETING"], "hi");
    assert_eq!(config["Layers"][0]["Arn"], layer_arn.as_str());
    assert_eq!(hello_fn["Tags"]["fnhost:invoke"], "js");
    assert_eq!(
        hello_fn["Tags"]["fnhost:allowed-outbound-hosts"],
        "https://api.example.com"
    );
    // Its function URL answers on the target's HTTP listener (the path form of the URL).
    let url = first["functions"][0]["functionUrl"].as_str().unwrap();
    let id = url
        .strip_prefix("http://")
        .and_then(|u| u.split_once(".lambda-url."))
        .map(|(id, _)| id)
        .unwrap_or_else(|| panic!("not a function URL: {url}"));
    let (status, _, body) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(crate::up::get(
            &server.url(&format!("/lambda-url/{id}/?name=Ada")),
        ));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Ada!"), "{body}");
    let (answer, js_fn) = invoke_and_get(&server, "js");
    assert_greeting(&answer, "Hello");
    assert_eq!(js_fn["Configuration"]["Runtime"], "nodejs22.x");
    assert_eq!(js_fn["Configuration"]["Handler"], "index.handler");
    assert_eq!(js_fn["Configuration"]["State"], "Active");
    let revisions = |a: &Value, b: &Value| {
        (
            a["Configuration"]["RevisionId"]
                .as_str()
                .unwrap()
                .to_owned(),
            b["Configuration"]["RevisionId"]
                .as_str()
                .unwrap()
                .to_owned(),
        )
    };
    let before = revisions(&hello_fn, &js_fn);

    // Nothing changed: nothing is changed, and the summary says so.
    let second = deploy(&manifest, &server, true, &[]);
    assert!(second.status.success(), "{}", text(&second.stderr));
    assert_eq!(
        text(&second.stdout),
        "= layer assets unchanged (version 1)\n= hello unchanged\n= js unchanged\n"
    );
    let (_, hello_fn) = invoke_and_get(&server, "hello");
    let (_, js_fn) = invoke_and_get(&server, "js");
    assert_eq!(revisions(&hello_fn, &js_fn), before);

    // One configuration change and one code change, each reported and applied.
    std::fs::write(
        &manifest,
        text_before.replace("memory_mb = 256", "memory_mb = 512"),
    )
    .unwrap();
    let handler = dir.join("functions/js/index.mjs");
    let code = std::fs::read_to_string(&handler).unwrap();
    std::fs::write(&handler, code.replace("Hello, ${name}!", "Hi, ${name}!")).unwrap();
    let third = deploy(&manifest, &server, true, &["hello", "js"]);
    assert!(third.status.success(), "{}", text(&third.stderr));
    assert_eq!(
        text(&third.stdout),
        "= layer assets unchanged (version 1)\n~ memory 256 → 512 of hello\n~ updated code of js\n"
    );
    let (_, hello_fn) = invoke_and_get(&server, "hello");
    assert_eq!(hello_fn["Configuration"]["MemorySize"], 512);
    let (answer, _) = invoke_and_get(&server, "js");
    assert_greeting(&answer, "Hi");
}

#[test]
fn a_function_that_fails_to_deploy_exits_non_zero_with_lambdas_reason() {
    crate::built();
    let tools = tools_dir();
    let server = Server::start_with_env(
        tempfile::tempdir().unwrap(),
        &["-q"],
        &[("FNHOST_TOOLS_DIR", &tools)],
    );
    let project = tempfile::tempdir().unwrap();
    let dir = project.path();
    new_function(dir, "broken", "python");
    // The handler names a module the code does not have.
    let manifest = dir.join("fnhost.toml");
    let text_now = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text_now.replace("lambda_function.lambda_handler", "missing.lambda_handler"),
    )
    .unwrap();
    // No credentials on either side: a loopback host takes unsigned requests.
    let out = deploy(&manifest, &server, false, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.starts_with("! broken failed: "), "{stdout}");
    assert!(stdout.contains("missing"), "{stdout}");
}
