//! The throwaway server against a real PostgreSQL (installed by `.ci/postgres.sh`).

use std::net::{Ipv4Addr, TcpStream};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use fnhost_testpg::{Server, Shutdown};

fn refuses(port: u16) -> bool {
    TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err()
}

/// Polls until `port` refuses connections or 30 s pass; returns whether it refuses.
fn eventually_refuses(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if refuses(port) {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    refuses(port)
}

fn admin(server: &Server) -> postgres::Client {
    postgres::Client::connect(&server.url(), postgres::NoTls).unwrap()
}

fn database_exists(server: &Server, name: &str) -> bool {
    let row = admin(server)
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .unwrap();
    row.get::<_, i64>(0) == 1
}

#[test]
fn the_shared_server_runs_with_test_settings() {
    let server = Server::shared();
    assert!(std::ptr::eq(server, Server::shared()));
    assert_ne!(server.port(), 0);
    assert_eq!(
        server.url(),
        format!("postgres://fnhost@127.0.0.1:{}/postgres", server.port())
    );
    let mut client = admin(server);
    let row = client
        .query_one(
            "SELECT current_user::text, current_setting('fsync'), \
             current_setting('server_encoding'), current_setting('max_connections')::int4, \
             current_setting('server_version_num')::int4, pg_backend_pid()",
            &[],
        )
        .unwrap();
    assert_eq!(row.get::<_, String>(0), "fnhost");
    assert_eq!(row.get::<_, String>(1), "off");
    assert_eq!(row.get::<_, String>(2), "UTF8");
    assert_eq!(row.get::<_, i32>(3), 200);
    assert_eq!(row.get::<_, i32>(4) as u32, server.version_num());
    // PostgreSQL refuses root: as root, its processes run as another user.
    let backend = row.get::<_, i32>(5);
    let status = std::fs::read_to_string(format!("/proc/{backend}/status")).unwrap();
    let uid_line = status
        .lines()
        .find(|line| line.starts_with("Uid:"))
        .unwrap();
    let backend_uid: u32 = uid_line.split_whitespace().nth(1).unwrap().parse().unwrap();
    if rustix::process::geteuid().is_root() {
        assert_ne!(backend_uid, 0, "{uid_line}");
    } else {
        assert_eq!(
            backend_uid,
            rustix::process::geteuid().as_raw(),
            "{uid_line}"
        );
    }
}

#[test]
fn databases_are_distinct_and_usable() {
    let server = Server::shared();
    let a = server.database().unwrap();
    let b = server.database().unwrap();
    assert_ne!(a.name(), b.name());
    assert_ne!(a.url(), b.url());
    assert_eq!(
        a.url(),
        format!("postgres://fnhost@127.0.0.1:{}/{}", server.port(), a.name())
    );

    // Through the URL, as the code under test connects.
    let mut client_a = postgres::Client::connect(a.url(), postgres::NoTls).unwrap();
    client_a
        .batch_execute("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)")
        .unwrap();
    client_a
        .execute(
            "INSERT INTO items VALUES (1, $1), (2, $2)",
            &[&"one", &"two"],
        )
        .unwrap();
    let mut client_b = b.connect().unwrap();
    client_b
        .batch_execute("CREATE TABLE items (id int PRIMARY KEY, label text NOT NULL)")
        .unwrap();
    client_b
        .execute("INSERT INTO items VALUES (7, 'seven')", &[])
        .unwrap();

    let labels = |client: &mut postgres::Client| -> Vec<String> {
        client
            .query("SELECT label FROM items ORDER BY id", &[])
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect()
    };
    assert_eq!(labels(&mut client_a), ["one", "two"]);
    assert_eq!(labels(&mut client_b), ["seven"]);
    let row = client_a
        .query_one("SELECT current_database()::text", &[])
        .unwrap();
    assert_eq!(row.get::<_, String>(0), a.name());
}

#[test]
fn dropping_a_database_removes_it() {
    let server = Server::shared();
    let db = server.database().unwrap();
    let name = db.name().to_owned();
    assert!(database_exists(server, &name));
    // An open connection does not keep it alive.
    let mut client = db.connect().unwrap();
    client.batch_execute("CREATE TABLE t (x int)").unwrap();
    drop(db);
    assert!(!database_exists(server, &name));
    assert!(client.batch_execute("SELECT 1").is_err());
}

#[test]
fn a_private_server_restarts_with_its_data_and_stops_on_drop() {
    let mut server = Server::start_private().unwrap();
    let port = server.port();
    assert_ne!(port, Server::shared().port());
    assert!(server.is_running());
    {
        let mut client = admin(&server);
        client
            .batch_execute("CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)")
            .unwrap();
    }

    server.stop(Shutdown::Immediate).unwrap();
    assert!(!server.is_running());
    assert!(refuses(port));
    server.start().unwrap();
    assert_eq!(server.port(), port);
    let row = admin(&server).query_one("SELECT x FROM kept", &[]).unwrap();
    assert_eq!(row.get::<_, i32>(0), 42);

    // A database handle outliving nothing: made and dropped while the server runs.
    let db = server.database().unwrap();
    assert!(database_exists(&server, db.name()));
    drop(db);

    server.stop(Shutdown::Fast).unwrap();
    server.start().unwrap();
    let log = server.log_path();
    assert!(log.is_file());
    let dir = log.parent().unwrap().to_owned();
    drop(server);
    assert!(refuses(port));
    assert!(!dir.exists(), "{}", dir.display());
}

/// The child half of `the_postmaster_dies_with_the_test_process`: starts the shared server,
/// prints its port and returns, ending its test process.
#[test]
fn child_starts_the_shared_server_and_exits() {
    if std::env::var_os("FNHOST_TESTPG_CHILD").is_none() {
        return;
    }
    println!("PORT={}", Server::shared().port());
}

/// Runs one test of this binary in a child process with `FNHOST_TESTPG_CHILD` set, plus
/// `env`; returns its standard output.
fn run_child(test: &str, env: &[(&str, &str)]) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env("FNHOST_TESTPG_CHILD", "1")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    stdout
}

/// The child half of `a_missing_install_names_the_script`.
#[test]
fn child_reports_why_the_server_cannot_start() {
    if std::env::var_os("FNHOST_TESTPG_CHILD").is_none() {
        return;
    }
    match Server::try_shared() {
        Ok(server) => println!("STARTED on {}", server.port()),
        Err(err) => println!("ERROR={err}"),
    }
}

#[test]
fn a_missing_install_names_the_script() {
    let stdout = run_child(
        "child_reports_why_the_server_cannot_start",
        &[("FNHOST_PG_BIN", "/nonexistent/bin")],
    );
    let error = stdout
        .lines()
        .find_map(|line| line.split("ERROR=").nth(1))
        .unwrap_or_else(|| panic!("no error in {stdout}"));
    assert!(error.contains("`bash .ci/postgres.sh`"), "{error}");
    assert!(
        error.contains("FNHOST_PG_BIN=`/nonexistent/bin`"),
        "{error}"
    );
}

#[test]
fn the_postmaster_dies_with_the_test_process() {
    let stdout = run_child("child_starts_the_shared_server_and_exits", &[]);
    let port: u16 = stdout
        .lines()
        .find_map(|line| line.split("PORT=").nth(1))
        .unwrap_or_else(|| panic!("no port in {stdout}"))
        .parse()
        .unwrap();
    assert!(eventually_refuses(port), "port {port} still accepts");
}

#[test]
fn works_on_a_tokio_worker() {
    // The synchronous client panics on a runtime thread; the crate's own calls move off it.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let name = runtime
        .block_on(runtime.spawn(async {
            let db = Server::shared().database().unwrap();
            let name = db.name().to_owned();
            drop(db);
            name
        }))
        .unwrap();
    assert!(name.starts_with("test_"));
    assert!(!database_exists(Server::shared(), &name));
}
