//! The guest's file system: a fresh, capped `/tmp` per invocation; `/var/task` and `/opt`
//! read-only; Lambda's environment variables.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnhost_runtime::{Function, InvokeRequest, Outcome, Runtime, Trigger};
use serde_json::{Value, json};

use crate::support::*;

/// WASI's errno values (wasi-libc), not Linux's.
const WASI_ENOSPC: i64 = 51;
const WASI_EROFS: i64 = 69;

/// The probe with `ephemeral_mb` of /tmp, and time for big writes on a loaded machine.
fn probe(rt: &Runtime, ephemeral_mb: u32) -> Function {
    let mut s = spec("tmp-probe");
    s.ephemeral_mb = ephemeral_mb;
    s.timeout = secs(120);
    load(rt, s, "tmp-probe")
}

async fn steps(rt: &Runtime, f: &Function, steps: Value) -> Vec<Value> {
    let done = invoke(rt, f, &json!({ "steps": steps }).to_string()).await;
    assert!(
        done.outcome.is_ok(),
        "{:?}\n{}",
        done.outcome,
        done.log_text()
    );
    serde_json::from_value(json(&done)).unwrap()
}

/// The invocation directories of `rt` that exist now.
fn invocation_dirs(rt: &Runtime) -> Vec<PathBuf> {
    let area = rt.tmp_area().expect("the tmp dir is set up");
    std::fs::read_dir(area)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != ".empty")
        .collect()
}

fn free_bytes(path: &Path) -> u64 {
    let st = rustix::fs::statvfs(path).unwrap();
    st.f_bavail * st.f_frsize
}

#[tokio::test]
async fn tmp_takes_100_mb_and_gives_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("tmp-probe");
    s.timeout = secs(120);
    let f = load(&rt, s, "tmp-probe");
    let out = steps(
        &rt,
        &f,
        json!([
            {"write": {"path": "/tmp/big", "bytes": 100 << 20}},
            {"read": "/tmp/big"},
            {"list": "/tmp"},
        ]),
    )
    .await;
    assert_eq!(out[0], json!({"ok": true, "written": 100 << 20}));
    assert_eq!(out[1]["bytes"], json!(100 << 20), "{}", out[1]);
    assert_eq!(out[1]["pattern"], json!(true));
    assert_eq!(out[2]["names"], json!(["big"]));
    assert_eq!(rt.tmp_dirs_created(), 1);
    assert!(
        invocation_dirs(&rt).is_empty(),
        "{:?}",
        invocation_dirs(&rt)
    );
    // The next invocation starts from an empty /tmp.
    let out = steps(&rt, &f, json!([{"list": "/tmp"}, {"read": "/tmp/big"}])).await;
    assert_eq!(out[0]["names"], json!([]));
    assert_eq!(out[1]["kind"], json!("NotFound"), "{}", out[1]);
}

#[tokio::test]
async fn writing_past_ephemeral_storage_is_enospc_in_the_guest() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = probe(&rt, 64);
    let before = free_bytes(dir.path());
    let out = steps(
        &rt,
        &f,
        json!([
            {"write": {"path": "/tmp/a", "bytes": 40 << 20}},
            // Positioned writes (`descriptor.write`) report ENOSPC.
            {"write_at": {"path": "/tmp/b", "bytes": 40 << 20}},
            {"remove": "/tmp/b"},
            // A stream write stops at the cap: what fits lands (a short write), the next
            // write fails (wasi-libc reports every stream error as EIO).
            {"write": {"path": "/tmp/c", "bytes": 40 << 20}},
            // Once the budget is spent, creating and writing files is ENOSPC.
            {"text": {"path": "/tmp/d", "data": "x"}},
            {"write": {"path": "/tmp/a", "bytes": 0, "append": true}},
            {"remove": "/tmp/c"},
            // Space freed by a remove (and by a truncating rewrite) is there again.
            {"write": {"path": "/tmp/e", "bytes": 20 << 20}},
            {"write": {"path": "/tmp/e", "bytes": 20 << 20}},
            {"read": "/tmp/a"},
        ]),
    )
    .await;
    assert_eq!(out[0]["ok"], json!(true), "{}", out[0]);
    let full = &out[1];
    assert_eq!(full["kind"], json!("StorageFull"), "{full}");
    assert_eq!(full["errno"], json!(WASI_ENOSPC), "{full}");
    assert!(full["written"].as_u64().unwrap() < 24 << 20, "{full}");
    assert_eq!(out[2], json!({"ok": true}));
    let stopped = &out[3];
    assert_eq!(stopped["ok"], json!(false), "{stopped}");
    let landed = stopped["written"].as_u64().unwrap();
    assert!(landed < 24 << 20, "{landed} bytes landed past the cap");
    assert_eq!(out[4]["kind"], json!("StorageFull"), "{}", out[4]);
    assert_eq!(out[4]["errno"], json!(WASI_ENOSPC), "{}", out[4]);
    assert_eq!(out[6], json!({"ok": true}));
    assert_eq!(out[7]["ok"], json!(true), "{}", out[7]);
    assert_eq!(out[8]["ok"], json!(true), "{}", out[8]);
    assert_eq!(out[9]["bytes"], json!(40 << 20));
    // Nothing stays on the host's disk: no blocks under the tmp dir. (The file system's free
    // space is shared with whatever else runs on this machine, so it is only logged.)
    assert!(invocation_dirs(&rt).is_empty());
    assert_eq!(blocks_under(&dir.path().join("tmp")), 0);
    eprintln!(
        "host free space: {before} B before, {} B after",
        free_bytes(dir.path())
    );
}

/// 512-byte blocks allocated to regular files under `dir`.
fn blocks_under(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let mut total = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            total += blocks_under(&entry.path());
        } else {
            total += meta.blocks();
        }
    }
    total
}

#[tokio::test]
async fn tmp_is_removed_after_ok_error_and_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Arc::new(runtime(dir.path()));
    let f = probe(&rt, 512);
    // Ok.
    let out = steps(
        &rt,
        &f,
        json!([{"write": {"path": "/tmp/x", "bytes": 1 << 20}}]),
    )
    .await;
    assert_eq!(out[0]["ok"], json!(true), "{}", out[0]);
    assert!(invocation_dirs(&rt).is_empty());
    // A function error.
    let done = invoke(
        &rt,
        &f,
        &json!({"steps": [{"write": {"path": "/tmp/x", "bytes": 1 << 20}}, {"fail": "after a write"}]})
            .to_string(),
    )
    .await;
    assert_eq!(done.outcome.error_type(), Some("ProbeError"));
    assert_eq!(rt.tmp_dirs_created(), 2);
    assert!(invocation_dirs(&rt).is_empty());
    // A timeout, while the guest sleeps in a host call after writing.
    let mut s = spec("tmp-probe");
    s.timeout = secs(2);
    let slow = Arc::new(load(&rt, s, "tmp-probe"));
    let running = tokio::spawn({
        let (rt, slow) = (Arc::clone(&rt), Arc::clone(&slow));
        async move {
            let event = json!({"steps": [
                {"write": {"path": "/tmp/x", "bytes": 1 << 20}},
                {"sleep_ms": 60_000},
            ]});
            rt.invoke(&slow, InvokeRequest::new(event.to_string(), Trigger::Cli))
                .await
                .unwrap()
        }
    });
    let seen = Instant::now() + Duration::from_secs(30);
    while invocation_dirs(&rt).is_empty() {
        assert!(Instant::now() < seen, "the invocation never wrote /tmp");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let done = running.await.unwrap();
    assert!(
        matches!(done.outcome, Outcome::Timeout { .. }),
        "{:?}",
        done.outcome
    );
    assert!(
        invocation_dirs(&rt).is_empty(),
        "{:?}",
        invocation_dirs(&rt)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_invocations_each_see_only_their_own_tmp() {
    let dir = tempfile::tempdir().unwrap();
    let rt = Arc::new(runtime(dir.path()));
    let f = Arc::new(probe(&rt, 512));
    let mut tasks = Vec::new();
    for i in 0..32 {
        let (rt, f) = (Arc::clone(&rt), Arc::clone(&f));
        tasks.push(tokio::spawn(async move {
            let event = json!({"steps": [
                {"list": "/tmp"},
                {"text": {"path": format!("/tmp/mine-{i}"), "data": format!("invocation {i}")}},
                {"sleep_ms": 200},
                {"list": "/tmp"},
                {"read": format!("/tmp/mine-{i}")},
            ]});
            let done = rt
                .invoke(&f, InvokeRequest::new(event.to_string(), Trigger::Cli))
                .await
                .unwrap();
            (i, json(&done))
        }));
    }
    for task in tasks {
        let (i, out) = task.await.unwrap();
        assert_eq!(out[0]["names"], json!([]), "{i}: {out}");
        assert_eq!(out[1], json!({"ok": true}), "{i}: {out}");
        assert_eq!(out[3]["names"], json!([format!("mine-{i}")]), "{i}: {out}");
        assert_eq!(
            out[4]["text"],
            json!(format!("invocation {i}")),
            "{i}: {out}"
        );
    }
    assert_eq!(rt.tmp_dirs_created(), 32);
    assert!(invocation_dirs(&rt).is_empty());
}

#[tokio::test]
async fn an_invocation_that_does_not_write_creates_no_directory() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let hello = load(&rt, spec("hello"), "hello");
    assert!(invoke(&rt, &hello, r#"{"name":"x"}"#).await.outcome.is_ok());
    let f = probe(&rt, 512);
    let out = steps(
        &rt,
        &f,
        json!([
            {"list": "/tmp"},
            {"exists": "/tmp/nothing"},
            {"read": "/tmp/nothing"},
            {"remove": "/tmp/nothing"},
            {"list": "/var/task"},
        ]),
    )
    .await;
    assert_eq!(out[0]["names"], json!([]), "{}", out[0]);
    assert_eq!(out[1]["exists"], json!(false));
    assert_eq!(out[2]["kind"], json!("NotFound"), "{}", out[2]);
    assert_eq!(out[3]["kind"], json!("NotFound"), "{}", out[3]);
    assert_eq!(out[4]["names"], json!([]), "{}", out[4]);
    assert_eq!(rt.tmp_dirs_created(), 0);
    // The first write is what creates one.
    let out = steps(&rt, &f, json!([{"text": {"path": "/tmp/y", "data": "y"}}])).await;
    assert_eq!(out[0], json!({"ok": true}));
    assert_eq!(rt.tmp_dirs_created(), 1);
}

#[tokio::test]
async fn var_task_and_opt_are_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let task = tempfile::tempdir().unwrap();
    let opt = tempfile::tempdir().unwrap();
    std::fs::write(task.path().join("data.json"), r#"{"answer":42}"#).unwrap();
    std::fs::create_dir(opt.path().join("python")).unwrap();
    std::fs::write(opt.path().join("python/layer.txt"), "from a layer").unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("tmp-probe");
    s.task_dir = Some(task.path().to_owned());
    s.opt_dir = Some(opt.path().to_owned());
    let f = load(&rt, s, "tmp-probe");
    let out = steps(
        &rt,
        &f,
        json!([
            {"read": "/var/task/data.json"},
            {"list": "/var/task"},
            {"text": {"path": "/var/task/new.txt", "data": "x"}},
            {"text": {"path": "/var/task/data.json", "data": "x"}},
            {"remove": "/var/task/data.json"},
            {"mkdir": "/var/task/d"},
            {"rename": ["/var/task/data.json", "/var/task/moved.json"]},
            {"read": "/opt/python/layer.txt"},
            {"text": {"path": "/opt/python/layer.txt", "data": "x"}},
        ]),
    )
    .await;
    assert_eq!(out[0]["text"], json!(r#"{"answer":42}"#), "{}", out[0]);
    assert_eq!(out[1]["names"], json!(["data.json"]));
    for (i, o) in out.iter().enumerate().skip(2).take(5).chain([(8, &out[8])]) {
        assert_eq!(o["kind"], json!("ReadOnlyFilesystem"), "step {i}: {o}");
        assert_eq!(o["errno"], json!(WASI_EROFS), "step {i}: {o}");
    }
    assert_eq!(out[7]["text"], json!("from a layer"), "{}", out[7]);
    assert_eq!(
        std::fs::read_to_string(task.path().join("data.json")).unwrap(),
        r#"{"answer":42}"#
    );
    assert_eq!(std::fs::read_dir(task.path()).unwrap().count(), 1);
    assert_eq!(rt.tmp_dirs_created(), 0);

    // Without a task dir /var/task is empty; without layers there is no /opt.
    let f = probe(&rt, 512);
    let out = steps(&rt, &f, json!([{"list": "/var/task"}, {"exists": "/opt"}])).await;
    assert_eq!(out[0]["names"], json!([]), "{}", out[0]);
    assert_eq!(out[1]["exists"], json!(false));
}

#[tokio::test]
async fn a_missing_task_dir_fails_the_load() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("tmp-probe");
    s.task_dir = Some(dir.path().join("not-there"));
    let err = rt.load(s, wasm("tmp-probe")).unwrap_err().to_string();
    assert!(err.contains("not-there"), "{err}");
}

#[tokio::test]
async fn lambda_environment_variables_are_set_and_reserved() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("tmp-probe");
    s.env = vec![
        ("LAMBDA_TASK_ROOT".into(), "/elsewhere".into()),
        ("LANG".into(), "ko_KR.UTF-8".into()),
        ("MINE".into(), "1".into()),
    ];
    let f = load(&rt, s, "tmp-probe");
    let out = steps(&rt, &f, json!([{"env": true}])).await;
    let env = &out[0]["env"];
    assert_eq!(env["LAMBDA_TASK_ROOT"], json!("/var/task"));
    assert_eq!(env["LAMBDA_RUNTIME_DIR"], json!("/var/runtime"));
    assert!(
        env["PATH"].as_str().unwrap().ends_with(":/opt/bin"),
        "{env}"
    );
    assert!(
        env["LD_LIBRARY_PATH"]
            .as_str()
            .unwrap()
            .ends_with(":/opt/lib"),
        "{env}"
    );
    assert_eq!(env["LANG"], json!("ko_KR.UTF-8"));
    assert_eq!(env["MINE"], json!("1"));
}

#[tokio::test]
async fn leftovers_of_a_host_that_is_gone_are_removed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let tmp = dir.path().join("tmp");
    // What a killed host leaves: its area (with an invocation's file) and its unlocked lock.
    std::fs::create_dir_all(tmp.join("4242-00000000deadbeef/0")).unwrap();
    std::fs::write(tmp.join("4242-00000000deadbeef/0/scratch"), vec![7u8; 4096]).unwrap();
    std::fs::write(tmp.join("4242-00000000deadbeef.lock"), "").unwrap();
    let first = {
        let mut config = fnhost_runtime::RuntimeConfig::new(dir.path());
        config.tmp_dir = tmp.clone();
        Runtime::new(config)
    };
    assert!(!tmp.join("4242-00000000deadbeef").exists());
    assert!(!tmp.join("4242-00000000deadbeef.lock").exists());
    // A host that is running keeps its area when another starts on the same tmp dir.
    let mine = first.tmp_area().unwrap().to_owned();
    let second = {
        let mut config = fnhost_runtime::RuntimeConfig::new(dir.path());
        config.tmp_dir = tmp.clone();
        Runtime::new(config)
    };
    assert!(mine.join(".empty").is_dir());
    assert_ne!(second.tmp_area().unwrap(), mine);
    drop(first);
    assert!(
        !mine.exists(),
        "a runtime removes its own area when dropped"
    );
}

#[tokio::test]
async fn c_stdio_uses_tmp_and_var_task_through_the_p1_adapter() {
    let dir = tempfile::tempdir().unwrap();
    let task = tempfile::tempdir().unwrap();
    std::fs::write(
        task.path().join("data.txt"),
        "packaged beside the handler\n",
    )
    .unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("c-tmp");
    s.ephemeral_mb = 8;
    s.timeout = secs(120);
    s.task_dir = Some(task.path().to_owned());
    let f = load(&rt, s, "c-tmp");
    // A p1 module that opens files runs as a p2 command (same /tmp as components).
    assert_eq!(f.info().kind, fnhost_runtime::FunctionKind::Command);
    let done = invoke(&rt, &f, "{}").await;
    assert!(
        done.outcome.is_ok(),
        "{:?}\n{}",
        done.outcome,
        done.log_text()
    );
    let out = json(&done);
    assert_eq!(out["read"], json!("hello from C"), "{out}");
    assert_eq!(out["task"], json!("packaged beside the handler"), "{out}");
    assert_eq!(out["task_write_errno"], json!(WASI_EROFS), "{out}");
    assert_eq!(out["fill_errno"], json!(WASI_ENOSPC), "{out}");
    assert!(out["filled_mb"].as_u64().unwrap() < 8, "{out}");
    assert_eq!(rt.tmp_dirs_created(), 1);
    assert!(invocation_dirs(&rt).is_empty());
    // A p1 module that cannot open files stays a module.
    let echo = load(&rt, spec("echo-wat"), "echo-wat");
    assert_eq!(echo.info().kind, fnhost_runtime::FunctionKind::Module);
}
