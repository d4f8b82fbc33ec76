//! Invocation records and logs in the state database: kept across restarts, deleted once
//! older than `--log-retention`.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::up::{Server, function, get, state_dir};

fn logs(server: &Server) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(server.dir.path().join("fnhost.toml"))
        .args(["logs", "hello"])
        .env("FNHOST_STATE_DIR", state_dir(server.dir.path()))
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
async fn logs_survive_a_restart_and_expire_after_the_retention() {
    let mut server = Server::start(
        &function(
            "hello",
            "hello",
            "[[function.hello.http]]\nroute = \"/hello\"\n",
        ),
        &[],
    );
    let (status, _, _) = get(&server.url("/hello?name=Ada")).await;
    assert_eq!(status, 200);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !logs(&server).contains("Hello function invoked for Ada") {
        assert!(
            Instant::now() < deadline,
            "the invocation's log never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let recorded = Instant::now();
    assert!(server.terminate().success());
    let dir = server.kill9();

    // Default retention (7 days): still there after a restart.
    let server = Server::start_in(dir, &[]);
    assert!(logs(&server).contains("Hello function invoked for Ada"));
    let dir = server.kill9();

    // A retention shorter than the records' age deletes them at start. Not a wait for an
    // absence: the record must really be older than the shortest retention, one second.
    std::thread::sleep(Duration::from_millis(1100).saturating_sub(recorded.elapsed()));
    let server = Server::start_in(dir, &["--log-retention", "1s"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while logs(&server).contains("Hello function invoked for Ada") {
        assert!(Instant::now() < deadline, "old records were not pruned");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
