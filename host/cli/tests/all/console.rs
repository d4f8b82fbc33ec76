//! The web console (`/console/` on the admin listener) in a real headless Chromium, driven by
//! Selenium (the scripts `tests/py/console_*.py`) against a real `fnhost up`: the bundled
//! examples' list, test events and live tail; uploads, configuration and dead letters; sign-in,
//! cross-site requests and logout; and the list and Monitor tab with 1,000 functions and
//! 1,000,000 invocation records. Every test saves screenshots to
//! `target/console-screenshots/`. Chromium, chromedriver (`.ci/browser.sh`) and Selenium
//! (`.ci/pytools.sh`) must be installed: a missing one fails the test with the command to run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use fnhost_core::Trigger;
use fnhost_store::{InvocationRecord, Store};
use serde_json::{Value, json};

use crate::api::run_py;
use crate::root;
use crate::up::{Server, function, state_dir};

/// Where every test's screenshots (and the perf figures) go.
fn screenshots() -> PathBuf {
    let dir = root().join("target/console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Panics with the fix when the browser, its driver or Selenium is missing: these tests never
/// skip.
fn browser_ready() {
    for tool in ["chromium", "chromedriver"] {
        let found = Command::new(tool)
            .arg("--version")
            .output()
            .is_ok_and(|out| out.status.success());
        assert!(
            found,
            "`{tool}` is missing: run `bash .ci/browser.sh` (it installs Debian's chromium and chromium-driver)"
        );
    }
    let python = root().join("target/pytools/bin/python");
    let selenium = Command::new(&python)
        .args(["-c", "import selenium"])
        .output()
        .is_ok_and(|out| out.status.success());
    assert!(
        selenium,
        "Selenium is missing from {}: run `bash .ci/pytools.sh` (it installs selenium)",
        python.display()
    );
}

/// Run the browser script `script` against `server` with `env`; it must end with
/// `passed SCRIPT`. Returns its output.
fn run_browser(script: &str, server: &Server, env: &[(&str, &str)]) -> String {
    browser_ready();
    let shots = screenshots().display().to_string();
    let mut all = vec![("FNHOST_TEST_SCREENSHOTS", shots.as_str())];
    all.extend_from_slice(env);
    let out = run_py(script, server, &all);
    println!("{out}");
    assert!(out.contains(&format!("passed {script}")), "{out}");
    out
}

/// The repository's own `fnhost.toml` in `dir`, with its `source` and `code` paths made
/// absolute (they name the built examples in this checkout) and without `build` commands (the
/// guests are built by the test programs and `.ci/guests.sh`); buckets stay relative, so
/// they are made in `dir`. Returns the function names.
fn examples_manifest(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("fnhost.toml")).unwrap();
    let mut manifest: toml::Table = toml::from_str(&text).unwrap();
    let functions = manifest
        .get_mut("function")
        .and_then(toml::Value::as_table_mut)
        .expect("[function.*] tables in fnhost.toml");
    let mut names = Vec::new();
    for (name, config) in functions.iter_mut() {
        let config = config.as_table_mut().unwrap();
        config.remove("build");
        for key in ["source", "code"] {
            if let Some(toml::Value::String(path)) = config.get_mut(key) {
                let absolute = root().join(&*path);
                if key == "source" {
                    built_example(&absolute);
                }
                *path = absolute.display().to_string();
            }
        }
        names.push(name.clone());
    }
    std::fs::write(dir.join("fnhost.toml"), toml::to_string(&manifest).unwrap()).unwrap();
    names
}

/// Fails with the command that makes `path` when an example's file is missing.
fn built_example(path: &Path) {
    let known = fnhost_test_programs::GUESTS
        .iter()
        .find(|g| Path::new(g.path) == path);
    match known {
        // Checks it is built, with the command that builds it.
        Some(guest) => {
            fnhost_test_programs::guest(guest.name);
        }
        None => assert!(
            path.exists(),
            "{} is missing: run `bash .ci/guests.sh`",
            path.display()
        ),
    }
}

/// The packaging tools `.ci/guests.sh` installed (`FNHOST_TOOLS_DIR`, else target/guest-tools).
fn tools_dir() -> String {
    std::env::var("FNHOST_TOOLS_DIR")
        .unwrap_or_else(|_| root().join("target/guest-tools").display().to_string())
}

/// `fnhost up` on the bundled examples (a copy of the repository's manifest), with the Python
/// and JavaScript examples packaged first by `fnhost build` into a package directory that
/// every run shares (packaging is skipped while their source is unchanged).
fn examples_server() -> Server {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    examples_manifest(dir.path());
    let state = state_dir(dir.path());
    let packages = root().join("target/test-state/console-packages");
    std::fs::create_dir_all(&packages).unwrap();
    std::os::unix::fs::symlink(&packages, state.join("packages")).unwrap();
    let tools = tools_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(dir.path().join("fnhost.toml"))
        .arg("build")
        .env("FNHOST_STATE_DIR", &state)
        .env("FNHOST_TOOLS_DIR", &tools)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fnhost build of the examples: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Server::start_with_env(dir, &[], &[("FNHOST_TOOLS_DIR", &tools)])
}

/// The functions list shows every example with its triggers; a saved S3-put test event on
/// s3-logger shows the tutorial's Korean line and the REPORT figures; an upload from the
/// Buckets page shows up in the Logs tab's live tail within 2 s.
#[test]
fn examples_list_test_events_and_live_tail() {
    let server = examples_server();
    run_browser("console_examples.py", &server, &[]);
}

/// A function created by uploading a `.wasm`, its memory changed on the Configuration tab and
/// shown by the next REPORT; a dead letter of a manifest function re-driven from its page.
#[test]
fn uploads_configuration_and_dead_letters() {
    let functions = format!(
        "[events]\nretry_delay_ms = 50\n\n{}{}",
        function("hello", "hello", ""),
        function("fails", "fails", "")
    );
    let server = Server::start(&functions, &[]);
    run_browser("console_uploads.py", &server, &[]);
}

const ACCESS_KEY: &str = "AKIDFNHOSTCONSOLE";
const SECRET_KEY: &str = "fnhost-console-secret-do-not-log";

/// With credentials the console asks for them, refuses a wrong secret, refuses a cross-site
/// form POST from another origin, and logging out ends the session on the server.
#[test]
fn credentials_login_cross_site_posts_and_logout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", function("hello", "hello", "")),
    )
    .unwrap();
    crate::built();
    let env = [
        ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
        ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
    ];
    let server = Server::start_with_env(dir, &["-q"], &env);
    run_browser("console_auth.py", &server, &env);
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(SECRET_KEY),
        "the secret was printed:\n{logs}"
    );
}

/// How many functions and records per function the performance test seeds.
const PERF_FUNCTIONS: usize = 1_000;
const PERF_RECORDS: usize = 1_000;

/// One function's seeded records in the last 24 h: invocations and errors, as its row in the
/// list must show them.
#[derive(Debug, Clone, Copy, Default)]
struct DayCounts {
    invocations: u64,
    errors: u64,
}

/// Write `PERF_RECORDS` invocation records for each of `functions` into the store at `db`,
/// the way the host records them (`Store::record`, batches of 10,000). Function `k` has
/// `400 + k % 200` records in the last 24 h (between 23 h and 1 minute ago, so none crosses
/// the 24 h edge while the test runs), the rest between 6.5 days and 25 hours ago (inside the
/// default 7 d retention); every 17th record is an error. Returns each function's last-24-h
/// counts.
fn seed_invocations(db: &Path, functions: &[String]) -> Vec<DayCounts> {
    let store = Store::open(db).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    const HOUR: u64 = 3_600_000;
    let mut counts = vec![DayCounts::default(); functions.len()];
    let mut batch = Vec::with_capacity(10_000);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    // Newest first, every function's i-th record together: the time index grows at its ends,
    // as it does on a real host, instead of at random places (which is several times slower).
    for i in 0..PERF_RECORDS {
        for (k, name) in functions.iter().enumerate() {
            let recent = 400 + k % 200;
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let started = if i < recent {
                let slot = (23 * HOUR - 60_000) / recent as u64;
                now - 60_000 - i as u64 * slot - seed % slot
            } else {
                let slot = (6 * 24 * HOUR + 12 * HOUR - 25 * HOUR) / (PERF_RECORDS - recent) as u64;
                now - 25 * HOUR - (i - recent) as u64 * slot - seed % slot
            };
            let error = (i % 17 == 0).then(|| "ValidationError".to_owned());
            if i < recent {
                counts[k].invocations += 1;
                counts[k].errors += u64::from(error.is_some());
            }
            let duration = 0.5 + (seed % 4_000) as f64 / 100.0;
            let billed = duration.ceil() as u64;
            let used = 18 + seed % 30;
            let request_id = format!("{k:08x}-{i:04x}-4000-8000-{:012x}", seed & 0xffff_ffff_ffff);
            let mut log = format!(
                "START RequestId: {request_id} Version: $LATEST\nHello function invoked for World\n"
            );
            if let Some(error) = &error {
                log.push_str(&format!(
                    "{{\"errorType\":\"{error}\",\"errorMessage\":\"name is required\"}}\n"
                ));
            }
            log.push_str(&format!(
                "END RequestId: {request_id}\nREPORT RequestId: {request_id}\tDuration: {duration:.2} ms\tBilled Duration: {billed} ms\tMemory Size: 128 MB\tMax Memory Used: {used} MB"
            ));
            batch.push(InvocationRecord {
                request_id,
                function: name.clone(),
                version: "$LATEST".to_owned(),
                trigger: if i % 3 == 0 {
                    Trigger::Api
                } else {
                    Trigger::Http
                },
                started_at_ms: started,
                duration_ms: duration,
                billed_ms: billed,
                memory_mb: 128,
                max_memory_used_mb: used,
                fuel: None,
                error_type: error,
                log,
            });
            if batch.len() == batch.capacity() {
                store.record(&batch).unwrap();
                batch.clear();
            }
        }
    }
    store.record(&batch).unwrap();
    counts
}

/// The list and the Monitor tab with 1,000 functions (one manifest entry each, all the same
/// built `hello`, so one compile) and 1,000,000 invocation records: the browser's own figures
/// are printed and written to target/console-screenshots/perf.json (no timing assert).
#[test]
fn a_thousand_functions_and_a_million_records() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..PERF_FUNCTIONS).map(|k| format!("f{k:04}")).collect();
    let mut manifest = String::from("manifest_version = 1\n\n");
    for (k, name) in names.iter().enumerate() {
        manifest += &function(
            name,
            "hello",
            &format!("[[function.{name}.http]]\nroute = \"/f/{k:04}\"\nmethods = [\"GET\"]\n"),
        );
    }
    std::fs::write(dir.path().join("fnhost.toml"), manifest).unwrap();
    let seeding = Instant::now();
    let counts = seed_invocations(&state_dir(dir.path()).join("fnhost.db"), &names);
    let seed_s = seeding.elapsed().as_secs_f64();
    println!(
        "seeded {} records for {} functions in {seed_s:.1} s",
        PERF_FUNCTIONS * PERF_RECORDS,
        PERF_FUNCTIONS
    );
    let starting = Instant::now();
    let server = Server::start_in(dir, &["-q"]);
    let start_s = starting.elapsed().as_secs_f64();
    println!("fnhost up with {PERF_FUNCTIONS} functions started in {start_s:.1} s");
    // Rows the script checks against what was seeded: the first, a middle and the last.
    let expect: serde_json::Map<String, Value> = [0, PERF_FUNCTIONS / 2, PERF_FUNCTIONS - 1]
        .into_iter()
        .map(|k| {
            let c = counts[k];
            (
                names[k].clone(),
                json!({"invocations": c.invocations, "errors": c.errors}),
            )
        })
        .collect();
    let expect = Value::Object(expect).to_string();
    let out = run_browser(
        "console_perf.py",
        &server,
        &[("FNHOST_TEST_PERF_EXPECT", &expect)],
    );
    let mut figures: Value = out
        .lines()
        .find_map(|l| l.strip_prefix("perf "))
        .map(|l| serde_json::from_str(l).unwrap())
        .unwrap_or_else(|| panic!("console_perf.py printed no `perf` line:\n{out}"));
    figures["functions"] = json!(PERF_FUNCTIONS);
    figures["invocationRecords"] = json!(PERF_FUNCTIONS * PERF_RECORDS);
    figures["seedSeconds"] = json!(seed_s);
    figures["hostStartSeconds"] = json!(start_s);
    let path = screenshots().join("perf.json");
    std::fs::write(&path, serde_json::to_string_pretty(&figures).unwrap()).unwrap();
    println!("{}: {figures}", path.display());
}
