//! `/tmp` and `/var/task` end to end: the real `fnhost up`, the `tmp-probe` fixture invoked
//! through the Lambda API; a host killed mid-write leaves nothing behind once restarted.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::up::{Server, client, function};

async fn invoke(admin: SocketAddr, event: &Value) -> (u16, Value) {
    let r = client()
        .post(format!(
            "http://{admin}/2015-03-31/functions/probe/invocations"
        ))
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// Every file under `dir`, recursively.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The invocation directories under the host's tmp dir (`<state>/tmp/<host>/<n>`).
fn invocation_dirs(tmp: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for host in std::fs::read_dir(tmp).into_iter().flatten().flatten() {
        if host.path().is_dir() {
            for inv in std::fs::read_dir(host.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if inv.file_name() != ".empty" {
                    out.push(inv.path());
                }
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_host_leaves_no_tmp_files_and_var_task_is_the_code_dir() {
    let manifest = function(
        "probe",
        "tmp-probe",
        "timeout_s = 120\nephemeral_storage_mb = 1024\ncode = \"task\"",
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("task")).unwrap();
    std::fs::write(
        dir.path().join("task/data.json"),
        r#"{"from":"the package"}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{manifest}"),
    )
    .unwrap();
    let server = Server::start_in(dir, &["-q"]);
    let tmp = crate::up::state_dir(server.dir.path()).join("tmp");
    let admin = server.admin;

    // /var/task is the function's `code` directory, read-only.
    let (status, out) = invoke(
        admin,
        &json!({"steps": [
            {"read": "/var/task/data.json"},
            {"text": {"path": "/var/task/data.json", "data": "x"}},
            {"env": true},
        ]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out[0]["text"], json!(r#"{"from":"the package"}"#), "{out}");
    assert_eq!(out[1]["kind"], json!("ReadOnlyFilesystem"), "{out}");
    assert_eq!(out[2]["env"]["LAMBDA_TASK_ROOT"], json!("/var/task"));

    // Kill the host while an invocation has a big file in /tmp.
    let writing = tokio::spawn(async move {
        let _ = client()
            .post(format!(
                "http://{admin}/2015-03-31/functions/probe/invocations"
            ))
            .body(
                json!({"steps": [
                    {"write": {"path": "/tmp/big", "bytes": 64 << 20}},
                    {"sleep_ms": 120_000},
                ]})
                .to_string(),
            )
            .send()
            .await;
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while !files(&tmp).iter().any(|f| f.ends_with("big")) {
        assert!(Instant::now() < deadline, "the invocation never wrote /tmp");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let dir = server.kill9();
    let _ = writing.await;
    assert!(files(&tmp).iter().any(|f| f.ends_with("big")));

    let server = Server::start_in(dir, &["-q"]);
    assert!(
        invocation_dirs(&tmp).is_empty(),
        "left after the restart: {:?}",
        files(&tmp)
    );
    assert!(
        !files(&tmp).iter().any(|f| f.ends_with("big")),
        "{:?}",
        files(&tmp)
    );
    // The restarted host's /tmp works.
    let (status, out) = invoke(
        server.admin,
        &json!({"steps": [{"list": "/tmp"}, {"text": {"path": "/tmp/x", "data": "y"}}]}),
    )
    .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out[0]["names"], json!([]), "{out}");
    assert_eq!(out[1], json!({"ok": true}), "{out}");
    assert!(invocation_dirs(&tmp).is_empty());
}
