//! Every invocation path names its real trigger, read back from the state database (`fnhost
//! usage --json`, `fnhost logs --json`) and from `/metrics`; the reserved-concurrency rule is
//! the same at start-up and on reload; a cold start's Init Duration is the invocation's own.

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::up::{Server, client, function, metrics, state_dir};

/// `fnhost ARGS` on `server`'s manifest and state directory.
fn cli(server: &Server, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(server.dir.path().join("fnhost.toml"))
        .args(args)
        .env("FNHOST_STATE_DIR", state_dir(server.dir.path()))
        .output()
        .expect("run fnhost")
}

/// Requests per function and trigger, as `fnhost usage --json` reads them from the store.
fn usage(server: &Server) -> BTreeMap<String, BTreeMap<String, u64>> {
    let out = cli(server, &["usage", "--json"]);
    if !out.status.success() {
        return BTreeMap::new(); // no database yet
    }
    let usage: Value = serde_json::from_slice(&out.stdout).unwrap();
    usage["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            let triggers = u["triggers"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(t, n)| (t.clone(), n.as_u64().unwrap()))
                .collect();
            (u["function"].as_str().unwrap().to_owned(), triggers)
        })
        .collect()
}

/// Poll the store until `done` holds for the usage; panics with what was seen after a minute.
fn wait_usage(
    server: &Server,
    what: &str,
    done: impl Fn(&BTreeMap<String, BTreeMap<String, u64>>) -> bool,
) -> BTreeMap<String, BTreeMap<String, u64>> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let seen = usage(server);
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; usage by trigger: {seen:#?}\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn count(usage: &BTreeMap<String, BTreeMap<String, u64>>, function: &str, trigger: &str) -> u64 {
    usage
        .get(function)
        .and_then(|t| t.get(trigger))
        .copied()
        .unwrap_or(0)
}

/// The triggers of `fnhost logs NAME --json`'s lines.
fn log_triggers(server: &Server, name: &str) -> Vec<String> {
    let out = cli(server, &["logs", name, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut triggers: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["trigger"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    triggers.sort();
    triggers.dedup();
    triggers
}

/// `POST /2015-03-31/functions/NAME/invocations` with an invocation type.
async fn api_invoke(server: &Server, name: &str, kind: &str) -> u16 {
    client()
        .post(format!(
            "http://{}/2015-03-31/functions/{name}/invocations",
            server.admin
        ))
        .header("X-Amz-Invocation-Type", kind)
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_trigger_is_recorded_as_itself() {
    let functions = [
        function("web", "hello", "[[function.web.http]]\nroute = \"/web\"\n"),
        function(
            "onfile",
            "hello",
            "[[function.onfile.s3]]\nbucket = \"drop\"\nevents = [\"s3:ObjectCreated:*\"]\n",
        ),
        function(
            "tick",
            "hello",
            "[[function.tick.schedule]]\nexpression = \"rate(1 second)\"\n",
        ),
        function("api", "hello", ""),
    ]
    .concat();
    let server = Server::start(
        &format!("[bucket.drop]\npath = \"drop\"\n\n[events]\nquiet_ms = 100\n\n{functions}"),
        &["-q"],
    );

    // http: a route.
    let web = client().get(server.url("/web")).send().await.unwrap();
    assert_eq!(web.status(), 200);
    // s3: a file in the bucket.
    std::fs::write(server.dir.path().join("drop/a.txt"), b"hello").unwrap();
    // api and api-event: the Lambda API, synchronous and queued.
    assert_eq!(api_invoke(&server, "api", "RequestResponse").await, 200);
    assert_eq!(api_invoke(&server, "api", "Event").await, 202);
    // schedule: rate(1 second) fires by itself.
    let seen = wait_usage(&server, "every host-side trigger", |u| {
        count(u, "web", "http") == 1
            && count(u, "onfile", "s3") == 1
            && count(u, "tick", "schedule") >= 1
            && count(u, "api", "api") == 1
            && count(u, "api", "api-event") == 1
    });
    // Each function ran by its own path and no other.
    assert_eq!(seen["web"].keys().collect::<Vec<_>>(), ["http"]);
    assert_eq!(seen["onfile"].keys().collect::<Vec<_>>(), ["s3"]);
    assert_eq!(seen["tick"].keys().collect::<Vec<_>>(), ["schedule"]);

    // cli: `fnhost invoke` from another process, into the same store.
    let out = cli(&server, &["invoke", "api", "--no-build"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = wait_usage(&server, "the cli record", |u| count(u, "api", "cli") == 1);
    assert_eq!(
        seen["api"],
        BTreeMap::from([
            ("api".to_owned(), 1),
            ("api-event".to_owned(), 1),
            ("cli".to_owned(), 1)
        ])
    );

    // The log lines carry the same trigger as their record.
    assert_eq!(log_triggers(&server, "web"), ["http"]);
    assert_eq!(log_triggers(&server, "onfile"), ["s3"]);
    assert_eq!(log_triggers(&server, "tick"), ["schedule"]);
    assert_eq!(log_triggers(&server, "api"), ["api", "api-event", "cli"]);

    // And so do the host's metrics (the cli invocation ran in another process).
    let metrics = metrics(server.admin).await;
    for sample in [
        "fnhost_trigger_invocations_total{function=\"web\",trigger=\"http\"} 1\n",
        "fnhost_trigger_invocations_total{function=\"onfile\",trigger=\"s3\"} 1\n",
        "fnhost_trigger_invocations_total{function=\"api\",trigger=\"api\"} 1\n",
        "fnhost_trigger_invocations_total{function=\"api\",trigger=\"api-event\"} 1\n",
        "fnhost_trigger_invocations_total{function=\"tick\",trigger=\"schedule\"} ",
    ] {
        assert!(metrics.contains(sample), "no `{sample}` in\n{metrics}");
    }
    assert!(!metrics.contains("trigger=\"unknown\""), "{metrics}");
}

/// Functions `a` and `b` with these reservations (`None` for none).
fn reserving(a: Option<u32>, b: Option<u32>) -> String {
    let line = |n: Option<u32>| n.map_or(String::new(), |n| format!("reserved_concurrency = {n}"));
    format!(
        "manifest_version = 1\n{}{}",
        function("a", "hello", &line(a)),
        function("b", "hello", &line(b))
    )
}

#[test]
fn a_reload_that_over_reserves_is_refused_as_a_start_is() {
    const REFUSED: &str = "reserved_concurrency adds up to 4 but max_concurrency is 4";
    // The same manifest at start-up: refused before binding.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(&manifest, reserving(Some(2), Some(2))).unwrap();
    let start = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest)
        .args(["up", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])
        .args(["--no-build", "--max-concurrency", "4"])
        .env("FNHOST_STATE_DIR", state_dir(dir.path()))
        .output()
        .unwrap();
    assert_eq!(start.status.code(), Some(2));
    let at_start = String::from_utf8_lossy(&start.stderr);
    assert!(at_start.contains(REFUSED), "{at_start}");

    // A host that started with one reservation, then reloads into the same manifest.
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(&manifest, reserving(Some(1), None)).unwrap();
    let server = Server::start_in(dir, &["--max-concurrency", "4"]);
    std::fs::write(&manifest, reserving(Some(2), Some(2))).unwrap();
    assert!(
        server.await_stderr("manifest reload refused", Duration::from_secs(60)),
        "{}",
        server.stderr()
    );
    let on_reload = server.stderr();
    assert!(on_reload.contains(REFUSED), "{on_reload}");
    // Word for word the start-up error, framed as a refused reload.
    let reason = at_start
        .lines()
        .find(|l| l.contains(REFUSED))
        .unwrap()
        .trim_start_matches("error: ")
        .trim();
    assert!(on_reload.contains(reason), "`{reason}` not in\n{on_reload}");

    // A reload that fits is taken.
    std::fs::write(&manifest, reserving(Some(3), None)).unwrap();
    assert!(
        server.await_stderr("manifest reloaded", Duration::from_secs(60)),
        "{}",
        server.stderr()
    );
}

/// The `Duration` and `Init Duration` of `function`'s REPORT lines on the host's console.
fn reports(stdout: &str, function: &str) -> Vec<(f64, Option<f64>)> {
    let field = |line: &str, name: &str| {
        line.split('\t')
            .find_map(|f| f.trim().strip_prefix(name))
            .map(|v| v.trim_end_matches(" ms").parse::<f64>().unwrap())
    };
    stdout
        .lines()
        .filter(|l| l.starts_with(&format!("{function}[")) && l.contains("REPORT RequestId:"))
        .map(|l| (field(l, "Duration: ").unwrap(), field(l, "Init Duration: ")))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cold_start_reports_its_own_init_not_the_start_up_compile() {
    // The host compiles (or loads the cached artifact of) the function before it listens.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!(
            "manifest_version = 1\n{}",
            function(
                "cold",
                "hello",
                "[[function.cold.http]]\nroute = \"/cold\"\n"
            )
        ),
    )
    .unwrap();
    let server = Server::start_in(dir, &[]);
    for _ in 0..2 {
        let r = client().get(server.url("/cold")).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let seen = loop {
        let seen = reports(&server.stdout(), "cold");
        if seen.len() == 2 || Instant::now() > deadline {
            break seen;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(seen.len(), 2, "{}", server.stdout());
    let (duration, init) = seen[0];
    let init = init.expect("the first invocation is a cold start and reports Init Duration");
    // Init is part of the invocation's own time (instantiation), never the compile that ran
    // before the host listened.
    assert!(
        init <= duration,
        "Init Duration {init} ms is more than the invocation's Duration {duration} ms"
    );
    assert_eq!(seen[1].1, None, "only the cold start reports init");
}
