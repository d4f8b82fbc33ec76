//! `[store] url` / `--store`: a host keeping its state in PostgreSQL, read back by `fnhost logs`
//! from another directory with no manifest.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::up::{Server, function, get, state_dir};

/// `fnhost logs hello --store URL`, run where there is no fnhost.toml.
fn logs_from_anywhere(url: &str) -> String {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .current_dir(elsewhere.path())
        .args(["logs", "hello", "--store", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_host_on_postgres_is_read_from_anywhere() {
    let db = tokio::task::spawn_blocking(|| fnhost_testpg::Server::shared().database())
        .await
        .unwrap()
        .expect("a PostgreSQL database");
    let url = db.url().to_owned();
    let server = Server::start(
        &format!(
            "[store]\nurl = \"{url}\"\n\n{}",
            function(
                "hello",
                "hello",
                "[[function.hello.http]]\nroute = \"/hello\"\n",
            )
        ),
        &[],
    );
    let (status, _, _) = get(&server.url("/hello?name=Ada")).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let read = url.clone();
        let logs = tokio::task::spawn_blocking(move || logs_from_anywhere(&read))
            .await
            .unwrap();
        if logs.contains("Hello function invoked for Ada") {
            break;
        }
        assert!(Instant::now() < deadline, "not in the store's logs: {logs}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing went to an SQLite file in the state directory.
    assert!(!state_dir(server.dir.path()).join("fnhost.db").exists());

    // A URL that is not a store is refused with the reason, and no password is shown.
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .args(["logs", "hello", "--store", "mysql://u:s3cret@db/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid store URL"), "{stderr}");
    assert!(!stderr.contains("s3cret"), "{stderr}");
}
