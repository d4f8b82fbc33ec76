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

/// `fnhost up` on a PostgreSQL server that accepts only TLS, with the certificate verified
/// (`sslmode=verify-full&sslrootcert=…`); a wrong CA or `sslmode=disable` is refused with the
/// reason.
#[tokio::test(flavor = "multi_thread")]
async fn a_host_reaches_postgres_over_verified_tls() {
    let (ca, chain, key) = crate::admin_security::certificates();
    let pg = tokio::task::spawn_blocking(move || {
        let server = fnhost_testpg::Server::start_private_tls(&fnhost_testpg::Tls {
            cert_pem: chain,
            key_pem: key,
            client_ca_pem: ca.clone(),
        })
        .expect("a PostgreSQL server with TLS");
        let mut admin = server.admin().unwrap();
        admin.batch_execute("CREATE ROLE app LOGIN").unwrap();
        admin
            .batch_execute("CREATE DATABASE app OWNER app")
            .unwrap();
        (server, ca)
    })
    .await
    .unwrap();
    let (pg, ca) = pg;
    let certs = tempfile::tempdir().unwrap();
    let ca_path = certs.path().join("ca.pem");
    std::fs::write(&ca_path, ca).unwrap();
    let (other_ca, _, _) = crate::admin_security::certificates();
    let other_path = certs.path().join("other-ca.pem");
    std::fs::write(&other_path, other_ca).unwrap();
    let url = |query: String| format!("postgres://app@localhost:{}/app?{query}", pg.port());
    let verified = url(format!(
        "sslmode=verify-full&sslrootcert={}",
        ca_path.display()
    ));

    let server = Server::start(
        &format!(
            "[store]\nurl = \"{verified}\"\n\n{}",
            function(
                "hello",
                "hello",
                "[[function.hello.http]]\nroute = \"/hello\"\n",
            )
        ),
        &[],
    );
    let (status, _, body) = get(&server.url("/hello?name=Ada")).await;
    assert_eq!(status, 200, "{body}");

    let refused = |url: String| {
        let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
            .args(["logs", "hello", "--store", &url])
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let stderr = refused(url(format!(
        "sslmode=verify-full&sslrootcert={}",
        other_path.display()
    )));
    // (UnknownIssuer, or BadSignature: that CA has the same name as the real one.)
    assert!(stderr.contains("invalid peer certificate"), "{stderr}");
    let stderr = refused(url("sslmode=disable".to_owned()));
    assert!(stderr.contains("no encryption"), "{stderr}");
    assert_eq!(
        stderr.matches("postgres://").count(),
        1,
        "the store is named once: {stderr}"
    );
    drop(server);
    tokio::task::spawn_blocking(move || drop(pg)).await.unwrap();
}
