//! End-to-end tests of `fnhost up`: the real binary on 127.0.0.1:0, driven with reqwest.

use std::io::{BufRead as _, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{built, root};

/// A `[function.NAME]` table for the guest in `functions/<guest>`, plus extra lines (routes,
/// limits).
pub fn function(name: &str, guest: &str, extra: &str) -> String {
    format!(
        "[function.{name}]\nsource = {:?}\n{extra}\n",
        fnhost_test_programs::guest(guest).to_string_lossy()
    )
}

/// The state directory of a test's host: its own database, but compiled artifacts and the
/// source-hash index shared by all tests of a run (and kept warm between runs).
pub fn state_dir(dir: &std::path::Path) -> PathBuf {
    let state = dir.join("state");
    if !state.exists() {
        let shared = root().join("target/test-state");
        std::fs::create_dir_all(&state).unwrap();
        for sub in ["artifacts", "sources"] {
            std::fs::create_dir_all(shared.join(sub)).unwrap();
            std::os::unix::fs::symlink(shared.join(sub), state.join(sub)).unwrap();
        }
    }
    state
}

/// Run `fnhost up FLAGS` on `functions` in a fresh directory, expecting it to refuse to start
/// (with `FNHOST_NODE` unset); its output.
pub fn refused_up(functions: &str, flags: &[&str]) -> std::process::Output {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{functions}"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(dir.path().join("fnhost.toml"))
        .args(["up", "--listen", "127.0.0.1:0", "--no-build"])
        .args(["--admin", "127.0.0.1:0"])
        .args(flags)
        .env("FNHOST_STATE_DIR", state_dir(dir.path()))
        .env_remove("FNHOST_NODE")
        .output()
        .unwrap();
    assert!(!out.status.success(), "`fnhost up {flags:?}` started");
    out
}

/// A running `fnhost up`, killed on drop.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The admin listener (Lambda API, /metrics).
    pub admin: SocketAddr,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    /// Reads stdout until the host closes it.
    stdout_pump: Option<std::thread::JoinHandle<()>>,
    pub dir: tempfile::TempDir,
}

fn pump(
    stream: impl Read + Send + 'static,
    into: Arc<Mutex<String>>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            let mut text = into.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    })
}

impl Server {
    /// Write `functions` as a manifest in a fresh directory and serve it.
    pub fn start(functions: &str, flags: &[&str]) -> Server {
        Self::start_with_dirs(functions, &[], flags)
    }

    /// Like [`Server::start`], with `dirs` (relative to the manifest) made before the host
    /// starts, so that its file watch covers them from the first event.
    pub fn start_with_dirs(functions: &str, dirs: &[&str], flags: &[&str]) -> Server {
        built();
        let dir = tempfile::tempdir().unwrap();
        for sub in dirs {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let manifest = dir.path().join("fnhost.toml");
        std::fs::write(&manifest, format!("manifest_version = 1\n\n{functions}")).unwrap();
        Self::start_in(dir, flags)
    }

    /// Serve the `fnhost.toml` already written in `dir`.
    pub fn start_in(dir: tempfile::TempDir, flags: &[&str]) -> Server {
        Self::start_with_env(dir, flags, &[])
    }

    /// Like [`Server::start_in`] with extra environment variables. The admin listener is on
    /// 127.0.0.1:0 unless `flags` has its own `--admin`. Without an `fnhost.toml` in `dir`,
    /// `fnhost up` starts in `dir` with no manifest: an upload-only host.
    pub fn start_with_env(dir: tempfile::TempDir, flags: &[&str], env: &[(&str, &str)]) -> Server {
        let manifest = dir.path().join("fnhost.toml");
        let admin: &[&str] = if flags.contains(&"--admin") {
            &[]
        } else {
            &["--admin", "127.0.0.1:0"]
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_fnhost"));
        // Without a manifest in `dir`, an empty host started there (it finds none).
        if manifest.exists() {
            command.arg("-f").arg(&manifest);
        }
        let mut child = command
            .current_dir(dir.path())
            .args(["up", "--listen", "127.0.0.1:0", "--no-build"])
            .args(admin)
            .args(flags)
            .env("FNHOST_STATE_DIR", state_dir(dir.path()))
            .env_remove("FNHOST_LISTEN")
            .env_remove("FNHOST_ADMIN")
            .env_remove("FNHOST_ADMIN_AUTH")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn fnhost up");
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let stdout_pump = Some(pump(child.stdout.take().unwrap(), stdout.clone()));
        let _ = pump(child.stderr.take().unwrap(), stderr.clone());
        let deadline = Instant::now() + Duration::from_secs(180);
        let addr = loop {
            if let Some(addr) = stdout
                .lock()
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("listening on http://"))
                .map(|a| a.parse::<SocketAddr>().unwrap())
            {
                break addr;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "fnhost up exited with {status}\nstdout:\n{}\nstderr:\n{}",
                    stdout.lock().unwrap(),
                    stderr.lock().unwrap()
                );
            }
            assert!(Instant::now() < deadline, "fnhost up did not start");
            std::thread::sleep(Duration::from_millis(20));
        };
        // Printed before the HTTP listener's line.
        let admin = stdout
            .lock()
            .unwrap()
            .lines()
            .find_map(|l| {
                // `https://` when the admin listener serves TLS.
                l.strip_prefix("admin: http://")
                    .or_else(|| l.strip_prefix("admin: https://"))
            })
            .map(|a| a.parse::<SocketAddr>().unwrap())
            .expect("fnhost up printed no `admin:` line");
        Server {
            child,
            addr,
            admin,
            stdout,
            stderr,
            stdout_pump,
            dir,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The host's peak resident set so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).unwrap();
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().strip_suffix("kB"))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("no VmHWM in {status}"));
        kb * 1024
    }

    /// The host's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Wait until stderr contains `needle` (true) or `within` passes (false).
    pub fn await_stderr(&self, needle: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if self.stderr().contains(needle) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Send SIGTERM.
    pub fn signal_term(&self) {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain kill(2) on our own child's pid.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0);
    }

    /// SIGKILL the host (no drain, nothing flushed) and hand back its directory, so a new
    /// host can start on the same manifest and state.
    pub fn kill9(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    /// Send SIGTERM and wait for the exit.
    pub fn terminate(&mut self) -> ExitStatus {
        self.signal_term();
        self.wait_exit()
    }

    /// SIGTERM, then wait for the exit and the end of stdout: all the host ever printed there.
    pub fn stdout_to_end(&mut self) -> String {
        assert!(self.terminate().success(), "{}", self.stderr());
        if let Some(pump) = self.stdout_pump.take() {
            pump.join().unwrap();
        }
        self.stdout()
    }

    /// Wait for the process to exit.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "fnhost up did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// The admin listener's `/metrics` text, with the `node` label every sample carries (checked
/// by [`without_node`]) taken out, so that a test of one host matches samples by their own
/// labels.
pub async fn metrics(admin: SocketAddr) -> String {
    let (text, _) = without_node(&raw_metrics(admin).await);
    text
}

/// The admin listener's `/metrics` text as served.
pub async fn raw_metrics(admin: SocketAddr) -> String {
    let (status, _, text) = get(&format!("http://{admin}/metrics")).await;
    assert_eq!(status, 200, "{text}");
    text
}

/// `text` (exposition format) without the `node="..."` label, which must come first on every
/// sample line; and the node names seen (one for one host).
pub fn without_node(text: &str) -> (String, std::collections::BTreeSet<String>) {
    let mut out = String::with_capacity(text.len());
    let mut nodes = std::collections::BTreeSet::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            out.push_str(line);
        } else {
            let (name, labels) = line
                .split_once("{node=\"")
                .unwrap_or_else(|| panic!("a sample without a node label: {line}"));
            // A node name has no quote or backslash, so the first quote ends it.
            let (node, rest) = labels.split_once('"').unwrap();
            nodes.insert(node.to_owned());
            match rest.strip_prefix(',') {
                Some(others) => out.push_str(&format!("{name}{{{others}")),
                None => out.push_str(&format!("{name}{}", rest.strip_prefix('}').unwrap())),
            }
        }
        out.push('\n');
    }
    (out, nodes)
}

/// The value of a per-function sample `name{function="..."}` on `/metrics` (0 when absent).
pub async fn metric(admin: SocketAddr, name: &str, function: &str) -> u64 {
    let prefix = format!("{name}{{function=\"{function}\"}} ");
    metrics(admin)
        .await
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub async fn get(url: &str) -> (u16, reqwest::header::HeaderMap, String) {
    let r = client().get(url).send().await.unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.text().await.unwrap())
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

const EXAMPLES: &str = r#"
[[function.hello.http]]
route = "/hello"
methods = ["GET"]
"#;

fn examples() -> String {
    function("hello", "hello", EXAMPLES)
        + &function(
            "greet-query",
            "greet-query",
            "[[function.greet-query.http]]\nroute = \"/greet\"\n",
        )
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_examples_answer_over_http_with_utf8_intact() {
    let server = Server::start(&examples(), &[]);
    let (status, headers, body) = get(&server.url("/hello?name=Gemini")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert!(headers.contains_key("apigw-requestid"));
    assert_eq!(
        json(&body),
        json(r#"{"message": "Hello, Gemini! This is your first AWS Lambda function."}"#)
    );

    let url = format!("{}?name=%EC%B2%A0%EC%88%98&age=30", server.url("/greet"));
    let (status, headers, body) = get(&url).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        body,
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#
    );

    // The health endpoint runs no function.
    let (status, _, body) = get(&server.url("/.well-known/fnhost/health")).await;
    assert_eq!(status, 200);
    let health = json(&body);
    assert_eq!(health["status"], "ok");
    // Counts only (http_security::health_lists_counts_not_function_names).
    assert_eq!(health["functions"], 2);

    // Logs on the console, prefixed with the function and request id.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.stdout().contains("REPORT RequestId") && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let out = server.stdout();
    let hello: Vec<&str> = out.lines().filter(|l| l.starts_with("hello[")).collect();
    assert!(
        hello.iter().any(|l| l.contains("] START RequestId: ")),
        "{out}"
    );
    assert!(
        hello
            .iter()
            .any(|l| l.ends_with("] Hello function invoked for Gemini")),
        "{out}"
    );
    assert!(
        hello.iter().any(|l| l.contains("] REPORT RequestId: ")),
        "{out}"
    );
    assert!(out.contains("GET  /hello  -> hello (payload 2.0)"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn quiet_mode_prints_no_invocation_logs() {
    let mut server = Server::start(&examples(), &["-q"]);
    let (status, _, _) = get(&server.url("/hello")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&server.url("/hello")).await;
    assert_eq!(status, 200);
    // Logs are handed to the console before the response is sent; the host's output is
    // complete once it has exited and closed stdout.
    let out = server.stdout_to_end();
    assert!(!out.contains("RequestId"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_routes_and_methods_get_404() {
    let server = Server::start(&examples(), &["-q"]);
    for (method, path) in [
        ("GET", "/nope"),
        ("POST", "/hello"),
        ("GET", "/hello/extra"),
        ("GET", "/"),
    ] {
        let r = client()
            .request(method.parse().unwrap(), server.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{method} {path}");
        assert_eq!(r.text().await.unwrap(), r#"{"message":"Not Found"}"#);
    }
}

#[test]
fn conflicting_routes_are_refused_before_binding() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    let text = format!(
        "manifest_version = 1\n{}{}",
        function(
            "a",
            "hello",
            "[[function.a.http]]\nroute = \"/users/{id}\"\n"
        ),
        function(
            "b",
            "hello",
            "[[function.b.http]]\nroute = \"/users/{name}\"\nmethods = [\"GET\"]\n"
        ),
    );
    std::fs::write(&manifest, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest)
        .args(["up", "--listen", "127.0.0.1:0", "--no-build"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("conflicts with"), "{err}");
    assert!(err.contains("`b`") && err.contains("`a`"), "{err}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

#[test]
fn reserved_concurrency_over_the_global_limit_is_refused() {
    built();
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    let text = format!(
        "manifest_version = 1\n{}{}",
        function("a", "hello", "reserved_concurrency = 4\n"),
        function("b", "hello", ""),
    );
    std::fs::write(&manifest, text).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest)
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--no-build",
            "--max-concurrency",
            "4",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reserved_concurrency adds up to 4 but max_concurrency is 4"),
        "{err}"
    );
}

/// Invoke `name` through the Lambda API of the admin listener `admin`: the status, the
/// `X-Amz-Function-Error` header and the JSON response.
pub async fn invoke_api(
    admin: SocketAddr,
    name: &str,
    event: &Value,
) -> (u16, Option<String>, Value) {
    let r = client()
        .post(format!(
            "http://{admin}/2015-03-31/functions/{name}/invocations"
        ))
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let error = r
        .headers()
        .get("x-amz-function-error")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = r.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, error, value)
}

/// `POST /2015-03-31/functions` with `body`: the status and the answer.
pub async fn create_function(admin: SocketAddr, body: &Value) -> (u16, Value) {
    let r = client()
        .post(format!("http://{admin}/2015-03-31/functions"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// The tag that carries an uploaded function's `allowed_outbound_hosts`.
pub const OUTBOUND_TAG: &str = "fnhost:allowed-outbound-hosts";

/// A CreateFunction body maker for the guest in `functions/<guest>` (its `.wasm` as the
/// `ZipFile`): call it with the function's name and its `Tags`.
pub fn uploader(guest: &str) -> impl Fn(&str, Value) -> Value {
    use base64::Engine as _;
    let wasm = std::fs::read(fnhost_test_programs::guest(guest)).unwrap();
    let code = base64::engine::general_purpose::STANDARD.encode(wasm);
    move |name, tags| {
        serde_json::json!({
            "FunctionName": name,
            "Role": "arn:aws:iam::000000000000:role/x",
            "Code": {"ZipFile": code},
            "Tags": tags,
        })
    }
}
