//! End-to-end tests of the file-watch trigger, durable delivery and schedules: the real
//! `fnhost up` with real files in bucket directories; deliveries are counted by key from the
//! `s3-probe` fixture's own output.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::up::{Server, function, state_dir};

/// One `PROBE` line: a delivered S3 record as the function saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub function: String,
    pub event: String,
    pub bucket: String,
    pub key: String,
    pub size: i64,
    pub etag: String,
}

/// Every `PROBE` line in a host's stdout, in order.
pub fn probes(stdout: &str) -> Vec<Probe> {
    stdout
        .lines()
        .filter_map(|line| {
            let (prefix, rest) = line.split_once("] PROBE ")?;
            let function = prefix.split('[').next()?.to_owned();
            let rest = rest.strip_prefix("event=")?;
            let (event, rest) = rest.split_once(" bucket=")?;
            let (bucket, rest) = rest.split_once(" key=")?;
            let (key, rest) = rest.rsplit_once(" size=")?;
            let (size, rest) = rest.split_once(" etag=")?;
            let (etag, _) = rest.split_once(" seq=")?;
            Some(Probe {
                function,
                event: event.to_owned(),
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                size: size.parse().ok()?,
                etag: etag.to_owned(),
            })
        })
        .collect()
}

/// Poll the host's probes until `done` holds; panics with the output after `within`.
fn wait_probes(server: &Server, within: Duration, done: impl Fn(&[Probe]) -> bool) -> Vec<Probe> {
    let deadline = Instant::now() + within;
    loop {
        let seen = probes(&server.stdout());
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; probes so far: {seen:#?}\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// Whether every queued event has been delivered or dead-lettered: `fnhost_queue_depth` of the
/// admin `/metrics` counts the queued and running ones per function.
fn queue_is_empty(server: &Server) -> bool {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let text = runtime.block_on(crate::up::metrics(server.admin));
    text.lines()
        .filter(|l| l.starts_with("fnhost_queue_depth{"))
        .all(|l| l.ends_with(" 0"))
}

fn wait_queue_empty(server: &Server, within: Duration) {
    let deadline = Instant::now() + within;
    while !queue_is_empty(server) {
        assert!(
            Instant::now() < deadline,
            "the event queue never drained\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// The sentinel object of [`settle`] for hosts whose function takes every `.txt` in `uploads`.
const SENTINEL: &str = "sentinel.txt";

/// Every probe of what the host saw before this call, once all of it has been delivered:
/// counting them shows that nothing else fired, without sleeping. The sentinel `key` in `dir`
/// (some function must print a PROBE line for it) is written twice:
///
/// 1. held open, so that it fires only after the quiet period; the watcher takes events in
///    order and every path pending from before waits the same period, so once its line shows,
///    every earlier change has been queued;
/// 2. then the queue drains: each of those events has run (retries included), and handed its
///    log to the console before leaving the queue;
/// 3. then the second write, whose log the console prints after all of theirs.
///
/// Returns every probe but the sentinel's.
fn settle(server: &Server, dir: &Path, key: &str) -> Vec<Probe> {
    let sentinels = |seen: &[Probe]| seen.iter().filter(|p| p.key == key).count();
    let before = sentinels(&probes(&server.stdout()));
    let path = dir.join(key);
    let mut open = std::fs::File::create(&path).unwrap();
    open.write_all(b"1").unwrap();
    wait_probes(server, Duration::from_secs(20), |p| sentinels(p) > before);
    drop(open);
    wait_queue_empty(server, Duration::from_secs(60));
    std::fs::write(&path, "22").unwrap();
    let seen = wait_probes(server, Duration::from_secs(20), |p| {
        sentinels(p) > before + 1
    });
    seen.into_iter().filter(|p| p.key != key).collect()
}

/// A manifest body: bucket `uploads` (and `extra` lines), quick quiet period and retries.
fn manifest(functions: &str) -> String {
    format!(
        "[bucket.uploads]\npath = \"uploads\"\n\n[events]\nquiet_ms = 300\nretry_delay_ms = 100\n\n{functions}"
    )
}

fn probe_function(name: &str, triggers: &str, extra: &str) -> String {
    function(name, "s3-probe", &format!("{extra}\n{triggers}"))
}

fn s3(function: &str, bucket: &str, events: &str, prefix: &str, suffix: &str) -> String {
    format!(
        "[[function.{function}.s3]]\nbucket = \"{bucket}\"\nevents = {events}\nprefix = \"{prefix}\"\nsuffix = \"{suffix}\"\n"
    )
}

const ALL: &str = r#"["s3:ObjectCreated:*", "s3:ObjectRemoved:*"]"#;

fn md5_hex(data: &[u8]) -> String {
    // The host's ETag is the MD5 of the content; compute it independently with md5sum.
    let mut child = Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("md5sum");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_owned()
}

fn count_by_key(seen: &[Probe]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for p in seen {
        *counts.entry(p.key.clone()).or_insert(0) += 1;
    }
    counts
}

/// A host with one `probe` function subscribed to every change in `uploads` ending in `suffix`.
fn probe_server(suffix: &str) -> Server {
    Server::start(
        &manifest(&probe_function(
            "probe",
            &s3("probe", "uploads", ALL, "", suffix),
            "",
        )),
        &[],
    )
}

/// Run the `fnhost` CLI against a test host's manifest and state; panics on failure.
fn cli(server: &Server, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(server.dir.path().join("fnhost.toml"))
        .args(args)
        .env("FNHOST_STATE_DIR", state_dir(server.dir.path()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "fnhost {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn uploads(server: &Server) -> std::path::PathBuf {
    server.dir.path().join("uploads")
}

#[test]
fn object_changes_become_s3_records() {
    let server = probe_server("");
    let dir = uploads(&server);
    assert!(dir.is_dir(), "bucket directory created at start");
    assert!(server.stdout().contains("bucket `uploads`"));

    std::fs::write(dir.join("a.txt"), "hello").unwrap();
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() == 1);
    assert_eq!(seen[0].event, "ObjectCreated:Put");
    assert_eq!(seen[0].bucket, "uploads");
    assert_eq!(seen[0].key, "a.txt");
    assert_eq!(seen[0].size, 5);
    assert_eq!(seen[0].etag, md5_hex(b"hello"));

    // Overwrite: a second Put with the new size.
    std::fs::write(dir.join("a.txt"), "hello world").unwrap();
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() == 2);
    assert_eq!((seen[1].key.as_str(), seen[1].size), ("a.txt", 11));

    // Nested keys with spaces and non-ASCII, in a directory made just now.
    let nested = dir.join("2026/03");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::write(nested.join("red flower 사진.jpg"), b"\xff\xd8jpeg").unwrap();
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() == 3);
    assert_eq!(seen[2].key, "2026/03/red flower 사진.jpg");

    // A rename into the bucket counts as created.
    let outside = server.dir.path().join("outside.txt");
    std::fs::write(&outside, "moved in").unwrap();
    std::fs::rename(&outside, dir.join("moved.txt")).unwrap();
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() == 4);
    assert_eq!(
        (seen[3].event.as_str(), seen[3].key.as_str()),
        ("ObjectCreated:Copy", "moved.txt")
    );

    // Temporary files are ignored; deletes are ObjectRemoved:Delete without size.
    std::fs::write(dir.join("partial.tmp"), "ignored").unwrap();
    std::fs::write(dir.join(".hidden"), "ignored").unwrap();
    std::fs::remove_file(dir.join("a.txt")).unwrap();
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() == 5);
    assert_eq!(
        (seen[4].event.as_str(), seen[4].key.as_str(), seen[4].size),
        ("ObjectRemoved:Delete", "a.txt", -1)
    );
    // Nothing else arrives (each change exactly once, ignored files never).
    assert_eq!(
        settle(&server, &dir, SENTINEL).len(),
        5,
        "{}",
        server.stdout()
    );
}

#[test]
fn prefix_and_suffix_filters_pick_the_function() {
    let functions = format!(
        "{}{}",
        probe_function(
            "images",
            &s3(
                "images",
                "uploads",
                r#"["s3:ObjectCreated:*"]"#,
                "images/",
                ".png"
            ),
            ""
        ),
        probe_function(
            "docs",
            &s3(
                "docs",
                "uploads",
                r#"["s3:ObjectCreated:Put"]"#,
                "docs/",
                ""
            ),
            ""
        ),
    );
    let server = Server::start_with_dirs(
        &manifest(&functions),
        &["uploads/images", "uploads/docs"],
        &[],
    );
    let dir = uploads(&server);
    for key in [
        "images/a.png",
        "images/a.jpg",
        "docs/x.txt",
        "other.png",
        "docs.png",
    ] {
        std::fs::write(dir.join(key), key).unwrap();
    }
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() >= 2);
    let seen_all = settle(&server, &dir, "docs/sentinel.txt");
    assert_eq!(seen_all.len(), 2, "{seen:#?}");
    let mut got: Vec<(String, String)> = seen_all
        .iter()
        .map(|p| (p.function.clone(), p.key.clone()))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("docs".to_owned(), "docs/x.txt".to_owned()),
            ("images".to_owned(), "images/a.png".to_owned())
        ]
    );
}

#[test]
fn a_slowly_written_large_file_fires_once_after_close() {
    let server = probe_server("");
    let path = uploads(&server).join("big.bin");
    let chunk = vec![7u8; 512 * 1024];
    let mut file = std::fs::File::create(&path).unwrap();
    for _ in 0..16 {
        file.write_all(&chunk).unwrap();
        file.flush().unwrap();
        // Slow on purpose: each pause is shorter than the quiet period, so only the close fires.
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            probes(&server.stdout()).is_empty(),
            "fired while the file was still open for writing"
        );
    }
    drop(file);
    let seen = wait_probes(&server, Duration::from_secs(20), |p| !p.is_empty());
    let seen_all = settle(&server, &uploads(&server), SENTINEL);
    assert_eq!(seen_all.len(), 1, "{seen:#?}");
    assert_eq!(seen_all[0].size, 16 * 512 * 1024);
}

/// Write `count` small files named `prefix-NNNN.txt`.
fn burst(dir: &Path, prefix: &str, count: usize) {
    for i in 0..count {
        std::fs::write(
            dir.join(format!("{prefix}-{i:04}.txt")),
            format!("{prefix} {i}"),
        )
        .unwrap();
    }
}

#[test]
fn a_burst_of_2000_files_is_delivered_exactly_once() {
    let server = probe_server(".txt");
    burst(&uploads(&server), "burst", 2000);
    let seen = wait_probes(&server, Duration::from_secs(120), |p| {
        count_by_key(p).len() >= 2000
    });
    let counts = count_by_key(&settle(&server, &uploads(&server), SENTINEL));
    assert_eq!(
        counts.len(),
        2000,
        "every file delivered: {} probes",
        seen.len()
    );
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
}

/// Deliveries per key, from the marker objects `s3-probe` writes (durably, before the
/// invocation ends) into `dir`.
fn marks(dir: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if let Some((key, _)) = name.split_once('@') {
            *counts.entry(key.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

#[test]
fn kill_9_mid_burst_then_restart_delivers_everything() {
    // A consumer slow enough (20 ms per event, 8 workers) that the kill lands mid-burst. Each
    // delivery leaves a marker object, so deliveries whose console lines were lost with the
    // killed process still count.
    let functions = format!(
        "[bucket.marks]\npath = \"marks\"\n\n{}",
        probe_function(
            "probe",
            &s3("probe", "uploads", ALL, "", ".txt"),
            "env = { DELAY_MS = \"20\", MARK_BUCKET = \"marks\" }\n\
             objects = { write = [\"marks\"] }",
        )
    );
    let server = Server::start(&manifest(&functions), &[]);
    let dir = uploads(&server);
    let mark_dir = server.dir.path().join("marks");
    burst(&dir, "first", 2000);
    // Kill once some, but not all, have been delivered.
    wait_probes(&server, Duration::from_secs(60), |p| p.len() >= 300);
    let dir_handle = server.kill9();
    let before = marks(&mark_dir);
    eprintln!("killed after {} of 2000 deliveries", before.len());
    assert!(before.len() < 2000, "the kill must land mid-burst");
    // Files created while the host is down.
    burst(&dir_handle.path().join("uploads"), "offline", 100);
    let server = Server::start_in(dir_handle, &[]);
    let deadline = Instant::now() + Duration::from_secs(120);
    let counts = loop {
        let counts = marks(&mark_dir);
        if counts.len() >= 2100 || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(
        counts.len(),
        2100,
        "every file delivered at least once\n{}",
        server.stderr()
    );
    // Only events that were running at the kill may run twice: at most the worker count.
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.len() <= 8, "delivered twice: {twice:?}");
    assert!(counts.values().all(|n| *n <= 2));
    // What the first host finished is not delivered again, apart from those in flight.
    let again = counts
        .iter()
        .filter(|(k, n)| before.get(*k).is_some_and(|b| *n > b))
        .count();
    assert!(
        again <= 8,
        "{again} keys the first host delivered ran again"
    );
}

fn dead_letters(server: &Server) -> Vec<Value> {
    let out = cli(server, &["dead-letters", "list", "--json"]);
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

#[test]
fn failures_are_retried_twice_then_dead_lettered_and_redrive_works() {
    let body = |fail_on: &str| {
        manifest(&probe_function(
            "probe",
            &s3("probe", "uploads", r#"["s3:ObjectCreated:*"]"#, "", ""),
            &format!("env = {{ FAIL_ON = \"{fail_on}\" }}"),
        ))
    };
    let server = Server::start(&body("fail"), &[]);
    std::fs::write(uploads(&server).join("please-fail.txt"), "x").unwrap();
    assert!(
        server.await_stderr("dead letter #", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );
    let seen = probes(&server.stdout());
    assert_eq!(seen.len(), 3, "1 attempt + 2 retries: {seen:#?}");
    let letters = dead_letters(&server);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["function"], "probe");
    assert_eq!(letters[0]["reason"], "RetriesExhausted");
    assert_eq!(letters[0]["attempts"], 3);
    assert!(
        letters[0]["error"]
            .as_str()
            .unwrap()
            .contains("ProbeFailure")
    );
    assert_eq!(
        letters[0]["event"]["Records"][0]["s3"]["object"]["key"],
        "please-fail.txt"
    );

    // Fix the function (hot reload of the manifest), then re-drive.
    std::fs::write(
        server.dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{}", body("")),
    )
    .unwrap();
    assert!(server.await_stderr("reloaded", Duration::from_secs(30)));
    let id = letters[0]["id"].as_i64().unwrap().to_string();
    let out = cli(&server, &["dead-letters", "redrive", &id]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("re-queued 1 event"));
    wait_probes(&server, Duration::from_secs(20), |p| p.len() == 4);
    // Delivered, or failed until it is a dead letter again: either way it leaves the queue.
    wait_queue_empty(&server, Duration::from_secs(30));
    assert!(dead_letters(&server).is_empty(), "re-driven and delivered");
}

#[test]
fn the_loop_guard_stops_a_self_triggering_function() {
    // `sentinel` takes only the sentinel object of `settle`.
    let created = r#"["s3:ObjectCreated:*"]"#;
    let functions = format!(
        "{}{}",
        probe_function(
            "echo",
            &s3("echo", "uploads", created, "echo/", ""),
            "env = { ECHO_BUCKET = \"uploads\" }\nobjects = { read = [\"uploads\"], write = [\"uploads\"] }",
        ),
        probe_function(
            "sentinel",
            &s3("sentinel", "uploads", created, SENTINEL, ""),
            ""
        ),
    );
    let server = Server::start_with_dirs(&manifest(&functions), &["uploads/echo"], &[]);
    let dir = uploads(&server).join("echo");
    std::fs::write(dir.join("0.txt"), "start").unwrap();
    assert!(
        server.await_stderr("stopped a loop", Duration::from_secs(60)),
        "{}",
        server.stderr()
    );
    let seen = settle(&server, &uploads(&server), SENTINEL);
    assert_eq!(seen.len(), 16, "16 hops, then stopped: {seen:#?}");
    let letters = dead_letters(&server);
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["reason"], "LoopDetected");
    assert_eq!(letters[0]["hop"], 16);
}

#[test]
fn a_seconds_rate_schedule_fires_on_time() {
    let server = Server::start(
        &manifest(&probe_function(
            "tick",
            "[[function.tick.schedule]]\nexpression = \"rate(1 second)\"\nname = \"ticker\"\n",
            "",
        )),
        &[],
    );
    assert!(
        server
            .stdout()
            .contains("schedule `ticker` rate(1 second) -> tick")
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let runs = loop {
        let runs: Vec<(i64, i64)> = server
            .stdout()
            .lines()
            .filter_map(|l| {
                let rest = l.split_once("SCHEDULED ")?.1;
                assert!(rest.contains("rule=arn:aws:events:us-east-1:000000000000:rule/ticker"));
                let time = rest.split_once("time=")?.1.split(' ').next()?;
                let now: i64 = rest.split_once("now_ms=")?.1.trim().parse().ok()?;
                let t = chrono::DateTime::parse_from_rfc3339(time)
                    .ok()?
                    .timestamp_millis();
                Some((t, now))
            })
            .collect();
        if runs.len() >= 4 || Instant::now() > deadline {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(runs.len() >= 4, "{}", server.stdout());
    for pair in runs.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            (1000..=1000).contains(&gap),
            "fire times 1 s apart: {runs:?}"
        );
    }
    for (time, started) in &runs {
        // The event's time is whole seconds; the handler starts within a second of it.
        let late = started - time;
        assert!(
            (0..1000 + 999).contains(&late),
            "late by {late} ms: {runs:?}"
        );
    }
}

#[test]
fn changes_made_while_the_host_was_down_are_delivered_once_after_restart() {
    let mut server = probe_server("");
    let dir = uploads(&server);
    for key in ["changed.txt", "removed.txt", "kept.txt"] {
        std::fs::write(dir.join(key), key).unwrap();
    }
    wait_probes(&server, Duration::from_secs(20), |p| p.len() == 3);
    assert!(server.terminate().success());
    let handle = server.kill9();
    let dir = handle.path().join("uploads");
    std::fs::write(dir.join("changed.txt"), "changed while down").unwrap();
    std::fs::remove_file(dir.join("removed.txt")).unwrap();
    std::fs::write(dir.join("added.txt"), "added").unwrap();
    // Written long enough ago that the start-up scan does not wait for the quiet period.
    std::thread::sleep(Duration::from_millis(400));

    let server = Server::start_in(handle, &[]);
    let seen = wait_probes(&server, Duration::from_secs(20), |p| p.len() >= 3);
    let mut got: Vec<(String, String, i64)> = settle(&server, &dir, SENTINEL)
        .into_iter()
        .map(|p| (p.key, p.event, p.size))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            ("added.txt".into(), "ObjectCreated:Put".into(), 5),
            ("changed.txt".into(), "ObjectCreated:Put".into(), 18),
            ("removed.txt".into(), "ObjectRemoved:Delete".into(), -1),
        ],
        "{seen:#?}"
    );
}

#[test]
fn a_schedule_skips_a_run_while_the_previous_one_is_still_going() {
    let server = Server::start(
        &manifest(&probe_function(
            "slow",
            "[[function.slow.schedule]]\nexpression = \"rate(1 second)\"\nname = \"slow-tick\"\n",
            "timeout_s = 10\nenv = { DELAY_MS = \"2500\" }",
        )),
        &[],
    );
    assert!(
        server.await_stderr(
            "schedule `slow-tick` skipped its run",
            Duration::from_secs(20)
        ),
        "{}",
        server.stderr()
    );
    // Runs never overlap: each starts after the previous one ended (2.5 s apart at least).
    let deadline = Instant::now() + Duration::from_secs(20);
    let starts = loop {
        let starts: Vec<i64> = server
            .stdout()
            .lines()
            .filter_map(|l| l.split_once("now_ms=")?.1.trim().parse().ok())
            .collect();
        if starts.len() >= 2 || Instant::now() > deadline {
            break starts;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(starts.len() >= 2, "{}", server.stdout());
    for pair in starts.windows(2) {
        assert!(pair[1] - pair[0] >= 2500, "overlapping runs: {starts:?}");
    }
}
