//! The manifest of the buckets-and-triggers docs, parsed into exactly the expected values.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use fnhost_manifest::{
    AsyncConfig, BucketConfig, EventsConfig, FunctionConfig, HttpServerConfig, ObjectGrants,
    Runtime, S3EventType, S3Trigger, ScheduleTrigger,
};
use fnhost_schedule::Schedule;

use crate::parse;

const EXAMPLE: &str = r#"manifest_version = 1

[bucket.uploads]
path = "data/uploads"
ignore = ["*.tmp", "*.part", ".*"]

[bucket.thumbnails]
path = "data/thumbnails"

[events]
quiet_ms = 500
workers = 4

[function.thumbnail]
source = "thumbnail.wasm"
objects = { read = ["uploads"], write = ["thumbnails"] }
async = { retries = 1, max_event_age_s = 3600 }

[[function.thumbnail.s3]]
bucket = "uploads"
events = ["s3:ObjectCreated:*"]
prefix = "images/"
suffix = ".png"

[[function.thumbnail.s3]]
bucket = "uploads"
events = ["ObjectRemoved:Delete"]
prefix = "images/"

[function.cleanup]
source = "cleanup.wasm"
objects = { write = ["uploads", "thumbnails"] }

[[function.cleanup.schedule]]
expression = "rate(5 minutes)"

[[function.cleanup.schedule]]
expression = "cron(0 3 * * ? *)"
name = "nightly-cleanup"
enabled = false
allow_overlap = true
input = '{"job":"cleanup"}'
"#;

fn strings<const N: usize>(items: [&str; N]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn set<const N: usize>(items: [&str; N]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// A function with every field at its default apart from name and source.
fn function(name: &str) -> FunctionConfig {
    FunctionConfig {
        name: name.to_owned(),
        description: None,
        source: PathBuf::from(format!("/proj/{name}.wasm")),
        build: None,
        memory_mb: 128,
        timeout_s: 3,
        fuel: None,
        reserved_concurrency: None,
        env: BTreeMap::new(),
        http: vec![],
        objects: ObjectGrants::default(),
        async_config: AsyncConfig::default(),
        s3: vec![],
        schedules: vec![],
        ephemeral_storage_mb: 512,
        code: None,
        runtime: Runtime::Wasm,
        handler: None,
        layers: vec![],
        invoke: vec![],
        allowed_outbound_hosts: Default::default(),
        url: None,
        auto_publish_alias: None,
    }
}

#[test]
fn full_example() {
    let manifest = parse(EXAMPLE).unwrap();

    let uploads = BucketConfig {
        name: "uploads".to_owned(),
        path: PathBuf::from("/proj/data/uploads"),
        ignore: strings(["*.tmp", "*.part", ".*"]),
        line: 3,
    };
    let thumbnails = BucketConfig {
        name: "thumbnails".to_owned(),
        path: PathBuf::from("/proj/data/thumbnails"),
        ignore: strings([".*", "*.tmp", "*.part", "*.swp", "*~"]),
        line: 7,
    };
    let buckets = BTreeMap::from([
        ("thumbnails".to_owned(), thumbnails),
        ("uploads".to_owned(), uploads),
    ]);
    assert_eq!(manifest.buckets, buckets);

    let events = EventsConfig {
        quiet_ms: 500,
        workers: 4,
        loop_hops: 16,
        retry_delay_ms: 60_000,
        rescan_s: None,
    };
    assert_eq!(manifest.events, events);
    assert_eq!(manifest.http, HttpServerConfig::default());

    let thumbnail = FunctionConfig {
        objects: ObjectGrants {
            read: set(["uploads"]),
            write: set(["thumbnails"]),
        },
        async_config: AsyncConfig {
            retries: 1,
            max_event_age_s: 3600,
        },
        s3: vec![
            S3Trigger {
                bucket: "uploads".to_owned(),
                events: vec![S3EventType::CreatedAll],
                prefix: "images/".to_owned(),
                suffix: ".png".to_owned(),
                line: 20,
            },
            S3Trigger {
                bucket: "uploads".to_owned(),
                events: vec![S3EventType::RemovedDelete],
                prefix: "images/".to_owned(),
                suffix: String::new(),
                line: 26,
            },
        ],
        ..function("thumbnail")
    };
    let cleanup = FunctionConfig {
        objects: ObjectGrants {
            read: BTreeSet::new(),
            write: set(["thumbnails", "uploads"]),
        },
        schedules: vec![
            ScheduleTrigger {
                name: "cleanup-1".to_owned(),
                expression: "rate(5 minutes)".to_owned(),
                schedule: Schedule::parse("rate(5 minutes)").unwrap(),
                enabled: true,
                allow_overlap: false,
                input: None,
                line: 35,
            },
            ScheduleTrigger {
                name: "nightly-cleanup".to_owned(),
                expression: "cron(0 3 * * ? *)".to_owned(),
                schedule: Schedule::parse("cron(0 3 * * ? *)").unwrap(),
                enabled: false,
                allow_overlap: true,
                input: Some("{\"job\":\"cleanup\"}".to_owned()),
                line: 38,
            },
        ],
        ..function("cleanup")
    };
    let functions = BTreeMap::from([
        ("cleanup".to_owned(), cleanup),
        ("thumbnail".to_owned(), thumbnail),
    ]);
    assert_eq!(manifest.functions, functions);
}

#[test]
fn example_triggers_match_the_right_objects() {
    let manifest = parse(EXAMPLE).unwrap();
    let thumbnail = &manifest.functions["thumbnail"];
    let fired = |event: &str, key: &str| -> Vec<usize> {
        (0..thumbnail.s3.len())
            .filter(|&i| thumbnail.s3[i].matches(event, key))
            .collect()
    };
    assert_eq!(fired("ObjectCreated:Put", "images/cat.png"), [0]);
    assert_eq!(fired("ObjectRemoved:Delete", "images/cat.png"), [1]);
    assert_eq!(fired("ObjectRemoved:Delete", "images/notes.txt"), [1]);
    assert!(fired("ObjectCreated:Put", "images/notes.txt").is_empty());
    assert!(fired("ObjectCreated:Put", "docs/cat.png").is_empty());
    let uploads = &manifest.buckets["uploads"];
    assert!(uploads.ignores("images/cat.png.part"));
    assert!(!uploads.ignores("images/cat.png~"));
    assert!(manifest.buckets["thumbnails"].ignores("cat.png~"));
}
