//! The Lambda API of `fnhost up` driven by the real clients: boto3 and the aws CLI (installed
//! by `.ci/pytools.sh` into `target/pytools`), running the scripts of `tests/py/` against a
//! real host. A missing venv fails the tests: they never skip.

use std::path::PathBuf;
use std::process::Command;

use crate::root;
use crate::up::{Server, function, state_dir};

/// The venv's python; panics with the fix when `.ci/pytools.sh` has not run.
fn python() -> PathBuf {
    let python = root().join("target/pytools/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash .ci/pytools.sh` (it installs boto3 and awscli)",
        python.display()
    );
    python
}

/// Every guest by name, as the scripts' `guest(name)` reads them.
fn guests_json() -> String {
    let guests: serde_json::Map<String, serde_json::Value> = fnhost_test_programs::GUESTS
        .iter()
        .map(|g| (g.name.to_owned(), g.path.into()))
        .collect();
    serde_json::Value::Object(guests).to_string()
}

/// `python tests/py/SCRIPT` pointed at `server` (admin URL, state, guests, manifest, fnhost),
/// with the pytools venv first on PATH and nothing from the machine's own AWS setup.
fn py_command(script: &str, server: &Server) -> Command {
    let py = root().join("host/cli/tests/py");
    let bin = root().join("target/pytools/bin");
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new(python());
    command
        .arg(py.join(script))
        .current_dir(&py)
        .env("PATH", path)
        .env("FNHOST_TEST_ADMIN", format!("http://{}", server.admin))
        .env("FNHOST_TEST_STATE", state_dir(server.dir.path()))
        .env("FNHOST_TEST_GUESTS", guests_json())
        .env(
            "FNHOST_TEST_MANIFEST",
            server.dir.path().join("fnhost.toml"),
        )
        .env("FNHOST_BIN", env!("CARGO_BIN_EXE_fnhost"))
        .env("AWS_CONFIG_FILE", "/dev/null")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .env_remove("AWS_ENDPOINT_URL_LAMBDA");
    command
}

/// Run `tests/py/SCRIPT` against `server`; it must exit 0.
/// Run `script` signing with `secret` (in `env`): it must pass, and the host must never have
/// printed the secret.
pub fn run_signed_py(script: &str, server: &Server, env: &[(&str, &str)], secret: &str) {
    let out = run_py(script, server, env);
    assert!(out.contains(&format!("passed {script}")), "{out}");
    let logs = server.stdout() + &server.stderr();
    assert!(!logs.contains(secret), "the secret was printed:\n{logs}");
}

pub fn run_py(script: &str, server: &Server, env: &[(&str, &str)]) -> String {
    let out = py_command(script, server)
        .envs(env.iter().copied())
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed\n--- stdout\n{stdout}\n--- stderr\n{}\n--- host stdout\n{}\n--- host stderr\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.stdout(),
        server.stderr()
    );
    stdout
}

/// `hello` and `fails` from the manifest, for listing and invoking through the API.
pub(crate) fn manifest() -> String {
    function("hello", "hello", "") + &function("fails", "fails", "")
}

#[test]
fn boto3_creates_invokes_lists_updates_publishes_and_deletes() {
    let server = Server::start(&manifest(), &["-q"]);
    let out = run_py("lifecycle.py", &server, &[]);
    assert!(out.contains("passed lifecycle.py"), "{out}");
}

#[test]
fn every_error_row_and_refused_uploads_leave_no_trace() {
    let functions = manifest()
        + &function(
            "sleepy",
            "hostile-sleep",
            "timeout_s = 10\nreserved_concurrency = 1\n",
        );
    let server = Server::start(
        &functions,
        &[
            "-q",
            "--code-storage-limit",
            "200000",
            "--queue-timeout-ms",
            "100",
        ],
    );
    let out = run_py("errors.py", &server, &[]);
    assert!(out.contains("passed errors.py"), "{out}");
    for code in [
        "ResourceNotFoundException",
        "ResourceConflictException",
        "InvalidParameterValueException",
        "RequestEntityTooLargeException",
        "TooManyRequestsException",
        "InvalidRequestContentException",
        "CodeStorageExceededException",
    ] {
        assert!(out.contains(code), "{code} not produced:\n{out}");
    }
}

#[test]
fn metrics_parse_and_match_the_invocations() {
    let functions = manifest()
        + &function(
            "sleepy",
            "hostile-sleep",
            "timeout_s = 10\nreserved_concurrency = 1\n",
        );
    let flags = ["-q", "--queue-timeout-ms", "100", "--node", "py-node.1"];
    let server = Server::start(&functions, &flags);
    let out = run_py("metrics.py", &server, &[("EXPECT_NODE", "py-node.1")]);
    assert!(out.contains("passed metrics.py"), "{out}");
}

#[test]
fn the_aws_cli_waits_lists_creates_and_invokes() {
    let server = Server::start(&manifest(), &["-q"]);
    let out = run_py("awscli.py", &server, &[]);
    assert!(out.contains("passed awscli.py"), "{out}");
}

const ACCESS_KEY: &str = "AKIDFNHOSTTEST";
const SECRET_KEY: &str = "fnhost-test-secret-do-not-log";

#[test]
fn off_loopback_every_request_is_signed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let env = [
        ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
        ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let mut server = Server::start_with_env(dir, &["-q", "--admin", "0.0.0.0:0"], &env);
    assert!(
        server.stdout().contains("SigV4 signatures required"),
        "{}",
        server.stdout()
    );
    // The listener is on every interface; the clients use loopback.
    server.admin = std::net::SocketAddr::from(([127, 0, 0, 1], server.admin.port()));
    run_signed_py("auth.py", &server, &env, SECRET_KEY);
}

#[test]
fn off_loopback_without_credentials_fnhost_up_refuses_to_start() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let manifest_path = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest_path,
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest_path)
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-build",
            "--admin",
            "0.0.0.0:0",
        ])
        .env("FNHOST_STATE_DIR", state_dir(dir.path()))
        .env_remove("FNHOST_ACCESS_KEY_ID")
        .env_remove("FNHOST_SECRET_ACCESS_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not on loopback") && err.contains("FNHOST_SECRET_ACCESS_KEY"),
        "{err}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

#[test]
fn kill_9_during_uploads_and_events_loses_nothing_accepted() {
    let server = Server::start(&manifest(), &["-q"]);
    let accepted = server.dir.path().join("accepted.jsonl");
    let mut burst = py_command("burst.py", &server)
        .env("FNHOST_TEST_ACCEPTED", &accepted)
        .spawn()
        .expect("run burst.py");
    // Kill once a few uploads and events were accepted, while the burst goes on.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let text = std::fs::read_to_string(&accepted).unwrap_or_default();
        let uploads = text.matches("\"upload\"").count();
        let events = text.matches("\"event\"").count();
        if uploads >= 3 && events >= 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the burst did not get going: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let dir = server.kill9();
    assert!(burst.wait().unwrap().success(), "burst.py failed");
    let restarted = Server::start_in(dir, &["-q"]);
    let out = run_py(
        "after_kill.py",
        &restarted,
        &[("FNHOST_TEST_ACCEPTED", accepted.to_str().unwrap())],
    );
    assert!(out.contains("passed after_kill.py"), "{out}");
}

#[test]
fn boto3_reserves_concurrency_for_an_upload_and_it_survives_a_restart() {
    let functions = manifest()
        + &function(
            "sleepy",
            "hostile-sleep",
            "timeout_s = 10\nreserved_concurrency = 2\n",
        );
    let flags = ["-q", "--max-concurrency", "10", "--queue-timeout-ms", "100"];
    let mut server = Server::start(&functions, &flags);
    let out = run_py("concurrency.py", &server, &[("FNHOST_TEST_PHASE", "first")]);
    assert!(out.contains("passed concurrency.py"), "{out}");
    assert!(server.terminate().success(), "{}", server.stderr());
    let dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
    let restarted = Server::start_in(dir, &flags);
    let out = run_py(
        "concurrency.py",
        &restarted,
        &[("FNHOST_TEST_PHASE", "restarted")],
    );
    assert!(out.contains("passed concurrency.py"), "{out}");
}
