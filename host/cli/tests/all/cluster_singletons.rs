//! Cluster singletons end to end: three real `fnhost up` nodes share one PostgreSQL database
//! and one bucket directory. The scheduler and the bucket watcher each run on one node (the
//! holder of their lease, read from the store); `kill -9` of that node moves them to another
//! within `lease_s`. A `rate(1 second)` schedule fires once per tick across the nodes and the
//! kill; every file of a 2,000-file burst is delivered at least once across the kill.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use fnhost_core::unix_ms;
use fnhost_store::{InvocationQuery, Store};

use crate::up::{Server, function};

/// The lease the nodes run with: the default.
const LEASE: Duration = Duration::from_secs(10);

/// Three nodes `node-a`, `node-b`, `node-c`, each in a directory of its own with `manifest`,
/// all on the PostgreSQL database at `url`.
fn nodes(manifest: &str, url: &str) -> BTreeMap<String, Server> {
    ["node-a", "node-b", "node-c"]
        .into_iter()
        .map(|name| {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(
                dir.path().join("fnhost.toml"),
                format!("manifest_version = 1\n\n{manifest}"),
            )
            .unwrap();
            let server = Server::start_with_env(dir, &["--node", name], &[("FNHOST_STORE", url)]);
            (name.to_owned(), server)
        })
        .collect()
}

/// The node holding lease `name` now (by its node name; the holder is `NODE#suffix`).
fn holder(store: &Store, name: &str) -> Option<String> {
    let lease = store.lease(name).unwrap()?;
    if lease.until_ms <= unix_ms() {
        return None;
    }
    Some(lease.holder.split('#').next().unwrap().to_owned())
}

/// Wait (up to `within`) for the lease to be held by a node other than `not`.
fn await_holder(store: &Store, name: &str, not: Option<&str>, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Some(node) = holder(store, name)
            && Some(node.as_str()) != not
        {
            return node;
        }
        assert!(Instant::now() < deadline, "nobody took lease `{name}` over");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sleep until unix time `at_ms`.
fn sleep_until_ms(at_ms: u64) {
    let now = unix_ms();
    if at_ms > now {
        std::thread::sleep(Duration::from_millis(at_ms - now));
    }
}

/// Every scheduled run recorded in the store: its event's `time` and its request ids.
fn scheduled_runs(store: &Store) -> BTreeMap<String, BTreeSet<String>> {
    let records = store
        .invocations(&InvocationQuery {
            function: Some("tick".into()),
            limit: 100_000,
            with_log: true,
            ..InvocationQuery::default()
        })
        .unwrap();
    let mut runs: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for record in records {
        for line in record.log.lines() {
            if let Some(rest) = line.split("SCHEDULED ").nth(1)
                && let Some(time) = rest
                    .split(' ')
                    .find_map(|field| field.strip_prefix("time="))
            {
                runs.entry(time.to_owned())
                    .or_default()
                    .insert(record.request_id.clone());
            }
        }
    }
    runs
}

/// The `time` field of the scheduled event for the tick at `ms`.
fn tick_time(ms: u64) -> String {
    chrono::DateTime::from_timestamp_millis(ms as i64)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

#[test]
fn a_rate_schedule_fires_once_per_tick_across_three_nodes_and_a_kill() {
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let store = Store::connect(db.url()).unwrap();
    let manifest = function(
        "tick",
        "s3-probe",
        "[[function.tick.schedule]]\nexpression = \"rate(1 second)\"\nallow_overlap = true\n",
    );
    let mut nodes = nodes(&manifest, db.url());
    let first = await_holder(&store, "scheduler", None, Duration::from_secs(60));
    // Thirty ticks, whole seconds from two seconds on.
    let window_start = (unix_ms() / 1000 + 2) * 1000;
    let window: Vec<u64> = (0..30).map(|i| window_start + i * 1000).collect();
    sleep_until_ms(window_start + 8_000);
    let killed_ms = unix_ms();
    drop(nodes.remove(&first).unwrap().kill9());
    let second = await_holder(&store, "scheduler", Some(&first), LEASE * 3);
    let failover_ms = unix_ms() - killed_ms;
    eprintln!("scheduler: {first} killed, {second} took over after {failover_ms} ms");
    sleep_until_ms(window_start + 30_000);

    // A clean stop gives the lease up: the third node takes over at once.
    let stopped_ms = unix_ms();
    let mut leaving = nodes.remove(&second).unwrap();
    leaving.signal_term();
    let third = await_holder(&store, "scheduler", Some(&second), LEASE * 3);
    let handover_ms = unix_ms() - stopped_ms;
    eprintln!("scheduler: {second} stopped, {third} took over after {handover_ms} ms");
    assert!(leaving.wait_exit().success(), "{}", leaving.stderr());
    std::thread::sleep(Duration::from_secs(4));

    // Deliveries are asynchronous: wait until the window's runs are recorded.
    let deadline = Instant::now() + Duration::from_secs(30);
    let runs = loop {
        let runs = scheduled_runs(&store);
        let fired = window.iter().filter(|t| runs.contains_key(&tick_time(**t)));
        if fired.count() >= window.len() || Instant::now() > deadline {
            break runs;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    // Never twice for one tick: one request id per event time (a retry keeps its id).
    let twice: Vec<_> = runs.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(twice.is_empty(), "ticks fired twice: {twice:#?}");
    let fired = window
        .iter()
        .filter(|t| runs.contains_key(&tick_time(**t)))
        .count();
    let missing: Vec<String> = window
        .iter()
        .map(|t| tick_time(*t))
        .filter(|t| !runs.contains_key(t))
        .collect();
    eprintln!(
        "{fired} of 30 ticks fired in the window ({} runs in all); missing: {missing:?}",
        runs.len()
    );
    assert!((29..=31).contains(&fired), "missing: {missing:?}");
}

/// `count` files `PREFIX-NNNN.txt` in `dir`.
fn burst(dir: &Path, prefix: &str, range: std::ops::Range<usize>) {
    for i in range {
        std::fs::write(
            dir.join(format!("{prefix}-{i:04}.txt")),
            format!("{prefix} {i}"),
        )
        .unwrap();
    }
}

/// Deliveries per key, from the marker objects the probe leaves (`KEY@...`).
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
fn a_2000_file_burst_survives_a_kill_of_the_watcher_node() {
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let store = Store::connect(db.url()).unwrap();
    // The directory all nodes share, as a network filesystem would be.
    let shared = tempfile::tempdir().unwrap();
    let (inbox, mark_dir) = (shared.path().join("inbox"), shared.path().join("marks"));
    std::fs::create_dir_all(&inbox).unwrap();
    std::fs::create_dir_all(&mark_dir).unwrap();
    let manifest = format!(
        "[bucket.inbox]\npath = {:?}\n\n[bucket.marks]\npath = {:?}\n\n[events]\nquiet_ms = 300\n\n{}",
        inbox.to_str().unwrap(),
        mark_dir.to_str().unwrap(),
        function(
            "probe",
            "s3-probe",
            "env = { DELAY_MS = \"20\", MARK_BUCKET = \"marks\" }\n\
             objects = { write = [\"marks\"] }\n\
             [[function.probe.s3]]\nbucket = \"inbox\"\nevents = [\"s3:ObjectCreated:*\"]\n",
        )
    );
    let mut nodes = nodes(&manifest, db.url());
    let watcher = await_holder(&store, "bucket-watcher", None, Duration::from_secs(60));
    burst(&inbox, "burst", 0..700);
    // Kill the watcher once deliveries are under way, the burst still going on.
    let deadline = Instant::now() + Duration::from_secs(60);
    while marks(&mark_dir).len() < 100 {
        assert!(Instant::now() < deadline, "no deliveries");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed_ms = unix_ms();
    drop(nodes.remove(&watcher).unwrap().kill9());
    let before = marks(&mark_dir).len();
    burst(&inbox, "burst", 700..2000);
    let next = await_holder(&store, "bucket-watcher", Some(&watcher), LEASE * 3);
    let failover_ms = unix_ms() - killed_ms;
    eprintln!(
        "watcher: {watcher} killed after {before} deliveries, {next} took over after {failover_ms} ms"
    );
    let deadline = Instant::now() + Duration::from_secs(120);
    let counts = loop {
        let counts = marks(&mark_dir);
        if counts.len() >= 2000 || Instant::now() > deadline {
            break counts;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let twice = counts.values().filter(|n| **n > 1).count();
    eprintln!(
        "{} of 2000 files delivered, {twice} of them more than once, {} s after the kill",
        counts.len(),
        (unix_ms() - killed_ms) / 1000
    );
    let stderr: Vec<String> = nodes.values().map(Server::stderr).collect();
    assert_eq!(counts.len(), 2000, "every file at least once\n{stderr:#?}");
}
