//! The state directory under attack or abuse: one owner at a time, private modes, uploads that
//! leave nothing behind until accepted, bounded queues, build commands without the admin
//! secret, and a second Ctrl-C that stops a draining host at once.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::up::{Server, client, function, metric};

/// A fresh project directory with its own state directory (a real one, not the artifact cache
/// the other tests share, so that what is in it is this test's alone).
fn project(functions: &str) -> tempfile::TempDir {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("state")).unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{functions}"),
    )
    .unwrap();
    dir
}

/// Waits until `/metrics` shows `function` running.
async fn await_running(server: &Server, function: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if metric(server.admin, "fnhost_concurrent_executions", function).await == 1 {
            return;
        }
        assert!(Instant::now() < deadline, "`{function}` never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Files directly in each engine directory of `<state>/artifacts`.
fn artifacts(state: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(engines) = std::fs::read_dir(state.join("artifacts")) else {
        return names;
    };
    for engine in engines {
        for file in std::fs::read_dir(engine.unwrap().path()).unwrap() {
            names.push(file.unwrap().file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    names
}

fn code_files(state: &Path) -> usize {
    std::fs::read_dir(state.join("code")).map_or(0, |d| d.count())
}

/// A WASI p1 command module with an empty `_start`, made distinct by a custom section holding
/// `n` and padded towards `size` bytes (at most 158): compiles in a moment, and each `n` is new
/// code.
fn module(n: u32, size: usize) -> Vec<u8> {
    let mut wasm = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    wasm.extend([0x01, 0x04, 0x01, 0x60, 0x00, 0x00]); // type 0: () -> ()
    wasm.extend([0x03, 0x02, 0x01, 0x00]); // func 0: type 0
    wasm.extend([0x07, 0x0a, 0x01, 0x06]); // export "_start" = func 0
    wasm.extend(b"_start");
    wasm.extend([0x00, 0x00]);
    wasm.extend([0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b]); // code: empty body
    // Custom section "n": the number, then padding; sizes below 128 are one LEB128 byte.
    let payload_len = size.saturating_sub(wasm.len() + 4).clamp(8, 120);
    let mut payload = n.to_le_bytes().to_vec();
    payload.resize(payload_len - 2, 0xAA);
    wasm.extend([0x00, payload_len as u8, 0x01, b'n']);
    wasm.extend(payload);
    wasm
}

struct Api {
    base: String,
}

impl Api {
    fn of(server: &Server) -> Api {
        Api {
            base: format!("http://{}/2015-03-31/functions", server.admin),
        }
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Value) -> (u16, Value) {
        let r = client()
            .request(method, format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let kind = r
            .headers()
            .get("x-amzn-ErrorType")
            .map(|v| v.to_str().unwrap().to_owned());
        let text = r.text().await.unwrap();
        let mut value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if let (Some(kind), Some(object)) = (kind, value.as_object_mut()) {
            object.insert("errorType".into(), kind.into());
        }
        (status, value)
    }

    async fn create(&self, name: &str, wasm: &[u8]) -> (u16, Value) {
        let zip = base64::engine::general_purpose::STANDARD.encode(wasm);
        let body = json!({
            "FunctionName": name,
            "Role": "arn:aws:iam::000000000000:role/lambda-exec",
            "Runtime": "provided.al2023",
            "Handler": "bootstrap",
            "Code": { "ZipFile": zip },
        });
        self.send(reqwest::Method::POST, "", body).await
    }

    async fn update_code(&self, name: &str, wasm: &[u8], dry_run: bool) -> (u16, Value) {
        let zip = base64::engine::general_purpose::STANDARD.encode(wasm);
        let body = json!({ "ZipFile": zip, "DryRun": dry_run });
        self.send(reqwest::Method::PUT, &format!("/{name}/code"), body)
            .await
    }
}

/// Finding 8: an upload is compiled in memory; only accepted code leaves an artifact, and the
/// artifacts of replaced or deleted code are collected. Published versions count toward the
/// code storage quota.
#[tokio::test(flavor = "multi_thread")]
async fn only_accepted_uploads_leave_artifacts_and_unused_ones_are_collected() {
    let dir = project(&function("hello", "hello", ""));
    let state = dir.path().join("state");
    let server = Server::start_in(dir, &["-q", "--code-storage-limit", "250"]);
    let api = Api::of(&server);
    let manifest_only = artifacts(&state);
    assert_eq!(manifest_only.len(), 1, "{manifest_only:?}");

    let base = module(0, 300);
    let (status, body) = api.create("base", &base).await;
    assert_eq!(status, 201, "{body}");
    let first = artifacts(&state);
    assert_eq!(first.len(), 2, "{first:?}");

    // 100 distinct DryRun uploads: each compiled and checked, none stored.
    for n in 1..=100 {
        let (status, body) = api.update_code("base", &module(n, 300), true).await;
        assert_eq!(status, 200, "{body}");
    }
    // Uploads refused by the quota (158 + 158 > 250): compiled, then refused, nothing stored.
    for n in 101..=110 {
        let (status, body) = api.create(&format!("big{n}"), &module(n, 300)).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["errorType"], "CodeStorageExceededException", "{body}");
    }
    // A published version costs its code too: base's 158 twice is over 250.
    let (status, body) = api
        .send(reqwest::Method::POST, "/base/versions", json!({}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["errorType"], "CodeStorageExceededException", "{body}");
    assert_eq!(artifacts(&state), first, "nothing but the accepted upload");
    assert_eq!(code_files(&state), 1);

    // Replacing the code collects the old artifact; deleting the function collects the rest.
    let (status, body) = api.update_code("base", &module(200, 300), false).await;
    assert_eq!(status, 200, "{body}");
    let replaced = artifacts(&state);
    assert_eq!(replaced.len(), 2, "{replaced:?}");
    assert_ne!(replaced, first);
    assert!(replaced.contains(&manifest_only[0]), "{replaced:?}");
    let (status, body) = api
        .send(reqwest::Method::DELETE, "/base", Value::Null)
        .await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(artifacts(&state), manifest_only);
    assert_eq!(code_files(&state), 0);
}

/// Finding 8: stale artifact temp files (a crash mid-write) and artifacts nothing uses are
/// removed at start; those of the manifest's functions stay.
#[test]
fn a_restart_collects_stale_temp_files_and_unused_artifacts() {
    let dir = project(&function("hello", "hello", ""));
    let state = dir.path().join("state");
    let server = Server::start_in(dir, &["-q"]);
    let used = artifacts(&state);
    assert_eq!(used.len(), 1, "{used:?}");
    let dir = server.kill9();
    let engine = std::fs::read_dir(state.join("artifacts"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let stale = engine.join(".deadbeef.cwasm.0123.tmp");
    std::fs::write(&stale, vec![0u8; 4096]).unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    std::fs::write(engine.join(format!("{}.cwasm", "0".repeat(64))), b"unused").unwrap();
    let other_engine = state.join("artifacts/00000000deadbeef");
    std::fs::create_dir(&other_engine).unwrap();
    std::fs::write(other_engine.join(&used[0]), b"an older wasmtime's").unwrap();

    let _server = Server::start_in(dir, &["-q"]);
    assert_eq!(artifacts(&state), used);
    assert!(!other_engine.exists());
}

/// Finding 8: Event invocations past `--event-queue-limit` get TooManyRequestsException.
#[tokio::test(flavor = "multi_thread")]
async fn event_invocations_past_the_queue_cap_get_429() {
    let dir = project(&function("sleepy", "hostile-sleep", "timeout_s = 120\n"));
    let server = Server::start_in(dir, &["-q", "--event-queue-limit", "3"]);
    let api = Api::of(&server);
    let event = |api: &Api| {
        let url = format!("{}/sleepy/invocations", api.base);
        async move {
            let r = client()
                .post(url)
                .header("X-Amz-Invocation-Type", "Event")
                .header("Content-Type", "application/json")
                .body(r#"{"ms":60000}"#)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let kind = r
                .headers()
                .get("x-amzn-ErrorType")
                .map(|v| v.to_str().unwrap().to_owned());
            (status, kind)
        }
    };
    for _ in 0..3 {
        assert_eq!(event(&api).await, (202, None));
    }
    // Queued or running, the three still count: the fourth is refused, like Lambda's 429.
    for _ in 0..5 {
        let (status, kind) = event(&api).await;
        assert_eq!(status, 429);
        assert_eq!(kind.as_deref(), Some("TooManyRequestsException"));
    }
    let state = server.dir.path().join("state/fnhost.db");
    let store = fnhost_store::Store::open_read_only(&state).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 3);
}

/// Finding 9: a second `fnhost up` on the same state directory exits non-zero naming the
/// first one's pid, before it touches anything: the first one's running job stays running
/// (not re-queued) and runs once.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_host_on_the_same_state_directory_exits_and_touches_nothing() {
    let dir = project(&function("sleepy", "hostile-sleep", "timeout_s = 120\n"));
    let state = dir.path().join("state");
    let manifest = dir.path().join("fnhost.toml");
    let server = Server::start_in(dir, &[]);
    let r = client()
        .post(format!(
            "http://{}/2015-03-31/functions/sleepy/invocations",
            server.admin
        ))
        .header("X-Amz-Invocation-Type", "Event")
        .header("Content-Type", "application/json")
        .body(r#"{"ms":8000}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    await_running(&server, "sleepy").await;
    let store = fnhost_store::Store::open_read_only(&state.join("fnhost.db")).unwrap();
    assert_eq!(store.queue_depth().unwrap(), 1);
    assert_eq!(store.next_due_ms().unwrap(), None, "claimed: running");

    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest)
        .args(["up", "--listen", "127.0.0.1:0", "--no-build"])
        .args(["--admin", "127.0.0.1:0"])
        .env("FNHOST_STATE_DIR", &state)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let expected = format!(
        "state directory `{}` is in use by pid {}",
        state.display(),
        server.pid()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("listening on"),
        "the second host served"
    );

    // Still running in the first host: not put back to ready by the second one's start.
    assert_eq!(store.queue_depth().unwrap(), 1);
    assert_eq!(
        store.next_due_ms().unwrap(),
        None,
        "the running job was re-queued"
    );
    // It finishes once, in the first host.
    let deadline = Instant::now() + Duration::from_secs(60);
    while !server.stdout().contains("REPORT RequestId") {
        assert!(Instant::now() < deadline, "the event never finished");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.stdout().matches("START RequestId").count(), 1);
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Low: the state directory is 0700, the database and its WAL files 0600, whatever the umask.
#[tokio::test(flavor = "multi_thread")]
async fn the_state_directory_is_private() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{}", function("hello", "hello", "")),
    )
    .unwrap();
    // A fresh state directory, two levels deep, made by fnhost itself.
    let state = dir.path().join("private/state");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(dir.path().join("fnhost.toml"))
        .args(["up", "-q", "--listen", "127.0.0.1:0", "--no-build"])
        .args(["--admin", "127.0.0.1:0"])
        .env("FNHOST_STATE_DIR", &state)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(120);
    while !line.starts_with("listening on") {
        line.clear();
        assert!(
            std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0,
            "fnhost up exited"
        );
        assert!(Instant::now() < deadline);
    }
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(mode(&state), 0o700);
    for file in ["fnhost.db", "fnhost.db-wal", "fnhost.db-shm", "fnhost.lock"] {
        let path: PathBuf = state.join(file);
        assert!(path.exists(), "{file}");
        assert_eq!(mode(&path), 0o600, "{file}");
    }
}

/// Low: build commands run without the admin secret (the access key id is not secret).
#[test]
fn build_commands_do_not_see_the_admin_secret() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let guest = fnhost_test_programs::guest("hello");
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!(
            "manifest_version = 1\n\n[function.f]\nsource = \"f.wasm\"\nbuild = {{ command = \"env > build-env.txt && cp {} f.wasm\" }}\n",
            guest.display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(dir.path().join("fnhost.toml"))
        .arg("build")
        .env("FNHOST_STATE_DIR", dir.path().join("state"))
        .env("FNHOST_ACCESS_KEY_ID", "AKIDBUILDTEST")
        .env("FNHOST_SECRET_ACCESS_KEY", "build-must-not-see-this")
        .env("FNHOST_BUILD_TEST_MARKER", "inherited")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let env = std::fs::read_to_string(dir.path().join("build-env.txt")).unwrap();
    assert!(env.contains("FNHOST_BUILD_TEST_MARKER=inherited"), "{env}");
    assert!(env.contains("FNHOST_ACCESS_KEY_ID=AKIDBUILDTEST"), "{env}");
    assert!(!env.contains("FNHOST_SECRET_ACCESS_KEY"), "{env}");
    assert!(!env.contains("build-must-not-see-this"), "{env}");
}

/// Low: a second SIGINT during the drain exits at once (130) instead of waiting for a slow
/// in-flight request; the drain would have waited up to 120 s.
#[tokio::test(flavor = "multi_thread")]
async fn a_second_ctrl_c_stops_the_drain_at_once() {
    let dir = project(&function(
        "sleepy",
        "hostile-sleep",
        "timeout_s = 120\n[[function.sleepy.http]]\nroute = \"/sleep\"\n",
    ));
    let mut server = Server::start_in(dir, &["--drain-timeout-s", "120"]);
    let url = server.url("/sleep");
    let request = tokio::spawn(async move { client().get(url).send().await });
    await_running(&server, "sleepy").await;
    let interrupt = |pid: u32| {
        // SAFETY: plain kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid as libc::pid_t, libc::SIGINT) }, 0);
    };
    interrupt(server.pid());
    assert!(
        server.await_stderr("shutting down", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );
    let second = Instant::now();
    interrupt(server.pid());
    let status = server.wait_exit();
    assert!(
        second.elapsed() < Duration::from_secs(20),
        "the second Ctrl-C took {:?}",
        second.elapsed()
    );
    assert_eq!(status.code(), Some(130), "{}", server.stderr());
    assert!(
        server.stderr().contains("interrupted again"),
        "{}",
        server.stderr()
    );
    request.abort();
}

/// Finding 8: `--log-size-limit` prunes the oldest invocation records (at start and every
/// 10 minutes, alongside `--log-retention`).
#[tokio::test(flavor = "multi_thread")]
async fn invocation_logs_past_the_size_cap_are_pruned() {
    let dir = project(&function(
        "hello",
        "hello",
        "[[function.hello.http]]\nroute = \"/hello\"\n",
    ));
    let db = dir.path().join("state/fnhost.db");
    let server = Server::start_in(dir, &["-q"]);
    let (status, _, _) = crate::up::get(&server.url("/hello?name=Ada")).await;
    assert_eq!(status, 200);
    let query = fnhost_store::InvocationQuery {
        limit: 100,
        ..fnhost_store::InvocationQuery::default()
    };
    let store = fnhost_store::Store::open_read_only(&db).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while store.invocations(&query).unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the invocation was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let dir = server.kill9();

    // Any log is more than one byte: the cap at start prunes the record.
    let _server = Server::start_in(dir, &["-q", "--log-size-limit", "1"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !store.invocations(&query).unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the log size cap pruned nothing");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
