//! The top-level `[events]` table: how file events are detected and delivered.

use fnhost_manifest::EventsConfig;

use crate::{HEAD, error, parse};

/// `HEAD` followed by an `[events]` table (on line 5) holding `extra` (from line 6).
fn events(extra: &str) -> String {
    format!("{HEAD}[events]\n{extra}")
}

#[test]
fn defaults_when_absent_or_empty() {
    let expected = EventsConfig {
        quiet_ms: 2000,
        workers: 8,
        loop_hops: 16,
        retry_delay_ms: 60_000,
        rescan_s: None,
    };
    assert_eq!(parse(HEAD).unwrap().events, expected);
    assert_eq!(parse(&events("")).unwrap().events, expected);
    assert_eq!(EventsConfig::default(), expected);
}

#[test]
fn defaults_fit_their_ranges() {
    type C = EventsConfig;
    assert!(C::QUIET_MS_RANGE.contains(&C::DEFAULT_QUIET_MS));
    assert!(C::WORKERS_RANGE.contains(&C::DEFAULT_WORKERS));
    assert!(C::LOOP_HOPS_RANGE.contains(&C::DEFAULT_LOOP_HOPS));
    assert!(C::RETRY_DELAY_MS_RANGE.contains(&C::DEFAULT_RETRY_DELAY_MS));
}

#[test]
fn every_field_at_its_boundaries() {
    let low = parse(&events(
        "quiet_ms = 50\nworkers = 1\nloop_hops = 1\nretry_delay_ms = 10\nrescan_s = 0\n",
    ))
    .unwrap();
    let expected = EventsConfig {
        quiet_ms: 50,
        workers: 1,
        loop_hops: 1,
        retry_delay_ms: 10,
        rescan_s: Some(0),
    };
    assert_eq!(low.events, expected);
    let high = parse(&events(
        "quiet_ms = 600_000\nworkers = 1024\nloop_hops = 1000\nretry_delay_ms = 3_600_000\nrescan_s = 3600\n",
    ))
    .unwrap();
    let expected = EventsConfig {
        quiet_ms: 600_000,
        workers: 1024,
        loop_hops: 1000,
        retry_delay_ms: 3_600_000,
        rescan_s: Some(3600),
    };
    assert_eq!(high.events, expected);
}

#[test]
fn one_field_keeps_the_others_default() {
    let config = parse(&events("workers = 2\n")).unwrap().events;
    assert_eq!(
        (config.quiet_ms, config.workers, config.loop_hops),
        (2000, 2, 16)
    );
}

#[test]
fn out_of_range() {
    const QUIET: &str =
        "use 50 to 600000 (milliseconds without a change before an unclosed write fires)";
    const WORKERS: &str = "use 1 to 1024 (events delivered at once)";
    const HOPS: &str = "use 1 to 1000 (events one chain may cause before the loop guard stops it)";
    const RETRY: &str = "use 10 to 3600000 (milliseconds before the first retry of a failed event; \
                         the second waits twice as long)";
    const RESCAN: &str =
        "use 0 to 3600 (seconds between rescans of the buckets; 0 = only at start-up)";
    for (line, fix) in [
        ("quiet_ms = 49", QUIET),
        ("quiet_ms = 600001", QUIET),
        ("quiet_ms = -5", QUIET),
        ("workers = 0", WORKERS),
        ("workers = 1025", WORKERS),
        ("loop_hops = 0", HOPS),
        ("loop_hops = 1001", HOPS),
        ("retry_delay_ms = 9", RETRY),
        ("retry_delay_ms = 3600001", RETRY),
        ("rescan_s = -1", RESCAN),
        ("rescan_s = 3601", RESCAN),
    ] {
        let (field, value) = line.split_once(" = ").unwrap();
        assert_eq!(
            error(&events(&format!("{line}\n"))),
            format!("fnhost.toml:6: events.{field} = `{value}` is out of range; {fix}")
        );
    }
}

#[test]
fn unknown_field_with_suggestion() {
    assert_eq!(
        error(&events("worker = 4\n")),
        "fnhost.toml:6: unknown field `worker` in `[events]`; expected one of `quiet_ms`, \
         `workers`, `loop_hops`, `retry_delay_ms`, `rescan_s` (did you mean `workers`?)"
    );
}

#[test]
fn wrong_types() {
    assert_eq!(
        error(&events("quiet_ms = \"2s\"\n")),
        "fnhost.toml:6: events.quiet_ms: invalid type: string \"2s\", expected an integer"
    );
    assert_eq!(
        error("manifest_version = 1\nevents = 5\n"),
        "fnhost.toml:2: events: invalid type: integer `5`, expected a table"
    );
}

#[test]
fn cluster_lease_is_read_and_checked() {
    use fnhost_manifest::ClusterConfig;
    assert_eq!(parse(HEAD).unwrap().cluster, ClusterConfig::default());
    assert_eq!(parse(HEAD).unwrap().cluster.lease_s, None);
    let cluster = |body: &str| format!("{HEAD}[cluster]\n{body}");
    assert_eq!(
        parse(&cluster("lease_s = 3\n")).unwrap().cluster.lease_s,
        Some(3)
    );
    assert!(ClusterConfig::LEASE_S_RANGE.contains(&ClusterConfig::DEFAULT_LEASE_S));
    for value in ["0", "601", "-2"] {
        assert_eq!(
            error(&cluster(&format!("lease_s = {value}\n"))),
            format!(
                "fnhost.toml:6: cluster.lease_s = `{value}` is out of range; use 1 to 600 \
                 (seconds within which another node takes over the bucket watcher and the \
                 scheduler)"
            )
        );
    }
    assert_eq!(
        error(&cluster("lease = 3\n")),
        "fnhost.toml:6: unknown field `lease` in `[cluster]`; expected `lease_s` (did you mean \
         `lease_s`?)"
    );
}

#[test]
fn store_url_is_read_and_checked() {
    assert_eq!(parse(HEAD).unwrap().store.url, None);
    let store = |body: &str| format!("{HEAD}[store]\n{body}");
    for url in [
        "postgres://fnhost:pw@db:5432/fnhost",
        "postgresql://db/fnhost",
        "sqlite:///var/lib/fnhost/fnhost.db",
        "state/fnhost.db",
    ] {
        let manifest = parse(&store(&format!("url = \"{url}\"\n"))).unwrap();
        assert_eq!(manifest.store.url.as_deref(), Some(url));
        assert!(!format!("{:?}", manifest.store).contains(":pw@"));
    }
    assert_eq!(
        error(&store("url = \"mysql://u:pw@db/x\"\n")),
        "fnhost.toml:6: store.url = `mysql://u:***@db/x` is not a store URL; use \
         postgres://user:password@host:port/database, sqlite://PATH or the path of an SQLite file"
    );
    assert!(error(&store("url = \"\"\n")).contains("is not a store URL"));
    assert!(error(&store("uri = \"x\"\n")).contains("unknown field `uri` in `[store]`"));
}
