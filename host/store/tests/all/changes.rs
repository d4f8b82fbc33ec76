//! The change feed: registry changes made through one node reach another's feed.

use std::time::{Duration, Instant};

use fnhost_store::{Change, Store};

/// Waits until the feed has given every change in `want` (it may give others too).
fn wait_for(feed: &mut fnhost_store::ChangeFeed, want: &[Change]) -> Vec<Change> {
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while !want.iter().all(|w| seen.contains(w)) {
        assert!(
            Instant::now() < deadline,
            "waited 5 s for {want:?}, saw {seen:?}"
        );
        seen.extend(feed.wait(Duration::from_millis(200)));
    }
    seen
}

fn function(name: &str) -> Change {
    Change::Function(name.to_owned())
}

#[test]
fn sqlite_has_nothing_to_follow() {
    let (_dir, store) = crate::temp_store();
    assert!(store.follow_changes().unwrap().is_none());
}

#[test]
fn a_change_on_one_node_reaches_the_others_feed() {
    let (db, _node_a) = crate::pg_store();
    let node_b = Store::connect(db.url()).unwrap();
    let mut feed = node_b
        .follow_changes()
        .unwrap()
        .expect("PostgreSQL has a feed");
    // Nothing yet.
    assert_eq!(feed.wait(Duration::from_millis(100)), Vec::new());

    let mut sql = db.connect().unwrap();
    sql.batch_execute(
        "INSERT INTO functions (name, version, code_sha256, code_size, description, memory_mb, \
         timeout_s, env, revision_id, last_modified_ms) \
         VALUES ('hello', '$LATEST', 'aa', 1, '', 128, 3, '{}', 'r1', 1)",
    )
    .unwrap();
    let started = Instant::now();
    wait_for(&mut feed, &[function("hello")]);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );

    // Aliases, URLs, concurrency and tags announce their function; a transaction of many rows
    // announces each function once; deletes announce too.
    sql.batch_execute(
        "BEGIN; \
         INSERT INTO aliases (function, name, function_version, description, revision_id) \
           VALUES ('hello', 'live', '$LATEST', '', 'r'); \
         INSERT INTO function_tags (name, key, value) VALUES ('tagged', 'k', 'v'), ('tagged', 'k2', 'v'); \
         INSERT INTO function_concurrency (function, reserved) VALUES ('limited', 3); \
         INSERT INTO function_urls (function, qualifier, url_id, auth_type, invoke_mode, created_ms, modified_ms) \
           VALUES ('public', '', 'u1', 'NONE', 'BUFFERED', 1, 1); \
         COMMIT;",
    )
    .unwrap();
    let seen = wait_for(
        &mut feed,
        &[
            function("hello"),
            function("tagged"),
            function("limited"),
            function("public"),
        ],
    );
    assert_eq!(
        seen.iter().filter(|c| **c == function("tagged")).count(),
        1,
        "{seen:?}"
    );
    sql.batch_execute("DELETE FROM functions WHERE name = 'hello'")
        .unwrap();
    wait_for(&mut feed, &[function("hello")]);
    // A rolled-back change is not announced.
    sql.batch_execute(
        "BEGIN; INSERT INTO function_concurrency (function, reserved) VALUES ('ghost', 1); ROLLBACK;",
    )
    .unwrap();
    let quiet = feed.wait(Duration::from_millis(300));
    assert!(!quiet.contains(&function("ghost")), "{quiet:?}");
}

#[test]
fn a_dropped_feed_reconnects_and_says_it_missed_changes() {
    let (db, store) = crate::pg_store();
    let mut feed = store.follow_changes().unwrap().unwrap();
    let mut sql = db.connect().unwrap();
    let killed: i64 = sql
        .query_one(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(killed, 1);
    // Changed while the feed was cut off: not announced to it.
    sql.batch_execute("INSERT INTO function_concurrency (function, reserved) VALUES ('lost', 1)")
        .unwrap();
    let seen = wait_for(&mut feed, &[Change::Missed]);
    assert!(!seen.contains(&function("lost")), "{seen:?}");
    // And it follows again.
    sql.batch_execute("INSERT INTO function_concurrency (function, reserved) VALUES ('after', 1)")
        .unwrap();
    wait_for(&mut feed, &[function("after")]);
}

/// rust-postgres blocks to close a connection, which panics on a thread driving a tokio
/// runtime: the store, its feed and their connections are used and dropped there all the same.
#[test]
fn a_store_is_used_and_dropped_on_a_runtime_thread() {
    let (db, _first) = crate::pg_store();
    let url = db.url().to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let store = Store::connect(&url).unwrap();
        assert!(store.acquire_lease("x", "a", 1, 1_000).unwrap());
        let mut feed = store.follow_changes().unwrap().unwrap();
        assert_eq!(feed.wait(Duration::from_millis(10)), Vec::new());
        drop(feed);
        drop(store);
    });
}
