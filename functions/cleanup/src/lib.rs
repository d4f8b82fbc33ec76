//! Example: a scheduled function that deletes old objects from a bucket.
//!
//! Invoked by a schedule with EventBridge's "Scheduled Event" input, it lists the bucket page by
//! page (`list_objects` with `start_after`, 1000 keys a page) and deletes every object whose
//! last modification is more than the maximum age before the event's `time`. Ages are measured
//! from the event, not the clock, so a run is reproducible (and a test chooses "now" by the
//! event it sends). Each deletion is logged.
//!
//! Environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `CLEANUP_BUCKET` | `reports` | bucket to clean |
//! | `CLEANUP_MAX_AGE_S` | `86400` | objects older than this many seconds are deleted |
//!
//! Response: `{"deleted":[keys…],"kept":N,"time":"2026-03-02T10:15:00Z"}` (the event's time).
//! Errors: an event without `time` fails with `errorType` `InvalidEvent`; a bad
//! `CLEANUP_MAX_AGE_S` with `InvalidConfiguration`; a failed object call with its S3 code
//! (`NoSuchBucket`, `AccessDenied`, …).
//!
//! Wiring in `fnhost.toml` (deleting needs the write grant; listing, the read grant):
//!
//! ```toml
//! [bucket.reports]
//! path = "data/reports"
//!
//! [function.cleanup]
//! source = "target/wasm32-wasip2/guest/cleanup.wasm"
//! build = "cargo build --profile guest --target wasm32-wasip2 -p cleanup"
//! objects = { read = ["reports"], write = ["reports"] }
//! env = { CLEANUP_BUCKET = "reports", CLEANUP_MAX_AGE_S = "86400" }
//!
//! [[function.cleanup.schedule]]
//! expression = "cron(0 0 * * ? *)"
//! ```

use chrono::SecondsFormat;
use fnhost_sdk::events::ScheduledEvent;
use fnhost_sdk::objects::{self, ObjectError, ObjectInfo};
use fnhost_sdk::{Context, Diagnostic};
use serde::Serialize;

/// Bucket to clean unless `CLEANUP_BUCKET` says otherwise.
pub const DEFAULT_BUCKET: &str = "reports";

/// Maximum age in seconds unless `CLEANUP_MAX_AGE_S` says otherwise (one day).
pub const DEFAULT_MAX_AGE_S: u64 = 86_400;

/// Keys asked for per `list_objects` call.
const PAGE_SIZE: u32 = 1000;

/// Settings read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    bucket: String,
    max_age_s: u64,
}

impl Config {
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, Diagnostic> {
        let bucket = var("CLEANUP_BUCKET")
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_BUCKET.to_owned());
        let max_age_s = match var("CLEANUP_MAX_AGE_S") {
            None => DEFAULT_MAX_AGE_S,
            Some(text) => text.trim().parse::<u64>().map_err(|_| {
                Diagnostic::new(
                    "InvalidConfiguration",
                    format!(
                        "CLEANUP_MAX_AGE_S `{text}` must be a whole number of seconds, e.g. \
                         `86400` for one day"
                    ),
                )
            })?,
        };
        Ok(Config { bucket, max_age_s })
    }
}

/// Whether an object last modified at `last_modified_ms` is more than `max_age_s` seconds older
/// than `now_ms` (both Unix milliseconds). Objects newer than `now_ms` are never expired.
fn is_expired(now_ms: i64, last_modified_ms: u64, max_age_s: u64) -> bool {
    let age_ms = i128::from(now_ms) - i128::from(last_modified_ms);
    age_ms > i128::from(max_age_s) * 1000
}

/// Split one page of a listing into the objects to delete and the number kept.
fn select(page: &[ObjectInfo], now_ms: i64, max_age_s: u64) -> (Vec<&ObjectInfo>, usize) {
    let expired: Vec<&ObjectInfo> = page
        .iter()
        .filter(|o| is_expired(now_ms, o.last_modified_ms, max_age_s))
        .collect();
    let kept = page.len() - expired.len();
    (expired, kept)
}

/// What the invocation returns.
#[derive(Debug, Serialize)]
struct Outcome {
    deleted: Vec<String>,
    kept: usize,
    time: String,
}

fn object_error(op: &str, bucket: &str, e: ObjectError) -> Diagnostic {
    Diagnostic::new(e.code(), format!("{op} in bucket `{bucket}`: {e}"))
}

fn handle(event: ScheduledEvent, _ctx: &Context) -> Result<Outcome, Diagnostic> {
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let time = event.time.ok_or_else(|| {
        Diagnostic::new(
            "InvalidEvent",
            "the event has no `time`; cleanup measures ages from a Scheduled Event's `time`, \
             e.g. \"2026-03-02T10:15:00Z\"",
        )
    })?;
    let now_ms = time.timestamp_millis();
    let time = time.to_rfc3339_opts(SecondsFormat::AutoSi, true);
    let bucket = config.bucket.as_str();
    let mut outcome = Outcome {
        deleted: Vec::new(),
        kept: 0,
        time,
    };
    let mut start_after: Option<String> = None;
    loop {
        let page = objects::list_objects(bucket, "", start_after.as_deref(), PAGE_SIZE)
            .map_err(|e| object_error("list", bucket, e))?;
        let (expired, kept) = select(&page, now_ms, config.max_age_s);
        outcome.kept += kept;
        for object in expired {
            objects::delete_object(bucket, &object.key)
                .map_err(|e| object_error(&format!("delete `{}`", object.key), bucket, e))?;
            let age_s = (i128::from(now_ms) - i128::from(object.last_modified_ms)) / 1000;
            println!(
                "Deleted {bucket}/{}: {age_s} s old at {}, older than {} s",
                object.key, outcome.time, config.max_age_s
            );
            outcome.deleted.push(object.key.clone());
        }
        // A short page is the last one; deleting keys already listed does not move the cursor.
        match page.last() {
            Some(last) if page.len() >= PAGE_SIZE as usize => start_after = Some(last.key.clone()),
            _ => break,
        }
    }
    println!(
        "Cleaned {bucket}: deleted {}, kept {}",
        outcome.deleted.len(),
        outcome.kept
    );
    Ok(outcome)
}

fnhost_sdk::handler!(handle);

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-02T10:15:00Z in Unix milliseconds.
    const NOW_MS: i64 = 1_772_446_500_000;
    const DAY_MS: u64 = 86_400_000;

    fn object(key: &str, last_modified_ms: u64) -> ObjectInfo {
        ObjectInfo {
            key: key.into(),
            size: 1,
            etag: String::new(),
            last_modified_ms,
        }
    }

    #[test]
    fn age_selection() {
        let now = NOW_MS as u64;
        assert!(is_expired(NOW_MS, now - DAY_MS - 1, 86_400));
        assert!(
            !is_expired(NOW_MS, now - DAY_MS, 86_400),
            "exactly the max age is kept"
        );
        assert!(!is_expired(NOW_MS, now, 86_400));
        assert!(
            !is_expired(NOW_MS, now + DAY_MS, 86_400),
            "newer than the event"
        );
        assert!(is_expired(NOW_MS, now - 1, 0));
        assert!(!is_expired(NOW_MS, 0, u64::MAX));
        assert!(is_expired(i64::MAX, 0, 1));
    }

    #[test]
    fn select_splits_a_page() {
        let now = NOW_MS as u64;
        let page = [
            object("a.report.json", now - 3 * DAY_MS),
            object("b.report.json", now - 60_000),
            object("c.report.json", now - DAY_MS - 1_000),
            object("d.report.json", now + 5_000),
        ];
        let (expired, kept) = select(&page, NOW_MS, 86_400);
        let keys: Vec<&str> = expired.iter().map(|o| o.key.as_str()).collect();
        assert_eq!(keys, ["a.report.json", "c.report.json"]);
        assert_eq!(kept, 2);
        let (expired, kept) = select(&page, NOW_MS, 7 * 86_400);
        assert!(expired.is_empty());
        assert_eq!(kept, 4);
    }

    #[test]
    fn config_defaults_and_overrides() {
        assert_eq!(
            Config::from_vars(|_| None).unwrap(),
            Config {
                bucket: "reports".into(),
                max_age_s: 86_400
            }
        );
        let c = Config::from_vars(|name| match name {
            "CLEANUP_BUCKET" => Some("tmp".into()),
            "CLEANUP_MAX_AGE_S" => Some("60".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!((c.bucket.as_str(), c.max_age_s), ("tmp", 60));
        for bad in ["-1", "1d", ""] {
            let err = Config::from_vars(|name| (name == "CLEANUP_MAX_AGE_S").then(|| bad.into()))
                .unwrap_err();
            assert_eq!(err.error_type, "InvalidConfiguration");
            assert!(err.error_message.contains(&format!("`{bad}`")));
        }
    }

    #[test]
    fn event_without_time_is_refused() {
        let event = r#"{"version":"0","id":"1","detail-type":"Scheduled Event",
            "source":"aws.events","account":"000000000000","region":"us-east-1",
            "resources":[],"detail":{}}"#;
        let err = fnhost_sdk::invoke(event, &Context::default(), handle).unwrap_err();
        assert_eq!(err.error_type, "InvalidEvent");
        assert!(
            err.error_message.contains("no `time`"),
            "{}",
            err.error_message
        );
    }

    #[test]
    fn time_is_echoed_in_eventbridge_form() {
        let event: ScheduledEvent = serde_json::from_str(
            r#"{"detail-type":"Scheduled Event","source":"aws.events",
                "time":"2026-03-02T10:15:00Z","detail":{}}"#,
        )
        .unwrap();
        let time = event.time.unwrap();
        assert_eq!(time.timestamp_millis(), NOW_MS);
        assert_eq!(
            time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
            "2026-03-02T10:15:00Z"
        );
    }
}
