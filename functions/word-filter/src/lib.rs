//! Example: flags banned words in uploaded text files and writes a JSON report.
//!
//! For each `ObjectCreated` record whose key ends in `.txt` (any case), the function reads the
//! object, looks for the banned words (case-insensitive, whole words: `spam` matches `Spam!` but
//! not `spammer`) and writes a report to `<key>.report.json` in the report bucket:
//!
//! ```json
//! {"source":{"bucket":"uploads","key":"notes/a.txt"},"flagged":true,
//!  "matches":[{"word":"spam","line":3,"column":12}],"words":120,"matchCount":1,"lossy":false}
//! ```
//!
//! `line` and `column` are 1-based, columns in characters; `words` counts all words. At most
//! 1000 matches are listed; `matchCount` counts them all. Reading is bounded: objects up to 1 MiB
//! are read whole, larger ones in 1 MiB ranges (`get_object_range`), scanned as they arrive, so
//! memory stays small whatever the size. Text that is not UTF-8 is decoded lossily (invalid
//! bytes read as U+FFFD), logged, and noted in the report as `"lossy":true`.
//!
//! Environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `BANNED_WORDS` | `spam,scam,phishing` | comma-separated words, matched case-insensitively |
//! | `REPORT_BUCKET` | `reports` | bucket the reports are written to |
//!
//! Response: `{"reports":[{"source","report","flagged","matchCount"}],"skipped":[{"source",
//! "reason"}]}`. Errors: a `BANNED_WORDS` entry that is not a single word fails with
//! `errorType` `InvalidConfiguration`; a failed object call with its S3 code (`NoSuchKey`,
//! `AccessDenied`, …).
//!
//! Wiring in `fnhost.toml`:
//!
//! ```toml
//! [bucket.uploads]
//! path = "data/uploads"
//!
//! [bucket.reports]
//! path = "data/reports"
//!
//! [function.word-filter]
//! source = "target/wasm32-wasip2/guest/word_filter.wasm"
//! build = "cargo build --profile guest --target wasm32-wasip2 -p word-filter"
//! objects = { read = ["uploads"], write = ["reports"] }
//! env = { BANNED_WORDS = "spam,scam,phishing", REPORT_BUCKET = "reports" }
//!
//! [[function.word-filter.s3]]
//! bucket = "uploads"
//! events = ["s3:ObjectCreated:*"]
//! suffix = ".txt"
//! ```

mod scan;

use fnhost_sdk::events::S3Event;
use fnhost_sdk::objects::{self, ObjectError};
use fnhost_sdk::{Context, Diagnostic};
use serde::Serialize;

use scan::{BannedWords, Match, Scan, Scanner, ranges};

/// Banned words unless `BANNED_WORDS` says otherwise.
pub const DEFAULT_BANNED_WORDS: &str = "spam,scam,phishing";

/// Bucket the reports go to unless `REPORT_BUCKET` says otherwise.
pub const DEFAULT_REPORT_BUCKET: &str = "reports";

/// Objects larger than this are read in ranges of this many bytes (1 MiB).
pub const CHUNK_BYTES: u64 = 1024 * 1024;

/// Settings read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    banned: BannedWords,
    report_bucket: String,
}

impl Config {
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, Diagnostic> {
        let list = var("BANNED_WORDS").unwrap_or_else(|| DEFAULT_BANNED_WORDS.to_owned());
        let banned = BannedWords::parse(&list).map_err(|reason| {
            Diagnostic::new("InvalidConfiguration", format!("BANNED_WORDS: {reason}"))
        })?;
        let report_bucket = var("REPORT_BUCKET")
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_REPORT_BUCKET.to_owned());
        Ok(Config {
            banned,
            report_bucket,
        })
    }
}

/// The report written for one object.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    source: Source<'a>,
    flagged: bool,
    matches: &'a [Match],
    words: u64,
    match_count: u64,
    lossy: bool,
}

#[derive(Debug, Serialize)]
struct Source<'a> {
    bucket: &'a str,
    key: &'a str,
}

impl<'a> Report<'a> {
    fn new(bucket: &'a str, key: &'a str, scan: &'a Scan) -> Self {
        Report {
            source: Source { bucket, key },
            flagged: scan.match_count > 0,
            matches: &scan.matches,
            words: scan.words,
            match_count: scan.match_count,
            lossy: scan.lossy,
        }
    }
}

/// What the invocation returns.
#[derive(Debug, Default, Serialize)]
struct Summary {
    reports: Vec<Written>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Written {
    source: String,
    report: String,
    flagged: bool,
    match_count: u64,
}

#[derive(Debug, Serialize)]
struct Skipped {
    source: String,
    reason: String,
}

/// Why a record is not scanned, or `None` if it should be.
fn skip_reason(event_name: &str, bucket: &str, key: &str) -> Option<String> {
    let name = event_name.strip_prefix("s3:").unwrap_or(event_name);
    if !name.starts_with("ObjectCreated:") {
        Some(format!("event `{event_name}` is not ObjectCreated"))
    } else if bucket.is_empty() || key.is_empty() {
        Some("the record names no bucket or key".into())
    } else if !key.to_ascii_lowercase().ends_with(".txt") {
        Some("not a .txt key".into())
    } else {
        None
    }
}

fn object_error(op: &str, bucket: &str, key: &str, e: ObjectError) -> Diagnostic {
    Diagnostic::new(e.code(), format!("{op} `{key}` in bucket `{bucket}`: {e}"))
}

/// Read `bucket/key` into `scanner`, whole or in [`CHUNK_BYTES`] ranges.
fn read_into(scanner: &mut Scanner<'_>, bucket: &str, key: &str) -> Result<u64, Diagnostic> {
    let size = objects::head_object(bucket, key)
        .map_err(|e| object_error("head", bucket, key, e))?
        .size;
    if size <= CHUNK_BYTES {
        let body =
            objects::get_object(bucket, key).map_err(|e| object_error("get", bucket, key, e))?;
        scanner.feed(&body);
        return Ok(body.len() as u64);
    }
    let mut read = 0;
    for (start, end) in ranges(size, CHUNK_BYTES) {
        let chunk = objects::get_object_range(bucket, key, start, end)
            .map_err(|e| object_error("get", bucket, key, e))?;
        read += chunk.len() as u64;
        scanner.feed(&chunk);
    }
    Ok(read)
}

fn handle(event: S3Event, _ctx: &Context) -> Result<Summary, Diagnostic> {
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    let mut summary = Summary::default();
    for record in &event.records {
        let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
        let key = fnhost_sdk::url_decode_key(record.s3.object.key.as_deref().unwrap_or_default());
        let event_name = record.event_name.as_deref().unwrap_or_default();
        if let Some(reason) = skip_reason(event_name, bucket, &key) {
            println!("Skipped {key}: {reason}");
            summary.skipped.push(Skipped {
                source: key,
                reason,
            });
            continue;
        }
        let mut scanner = Scanner::new(&config.banned);
        let bytes = read_into(&mut scanner, bucket, &key)?;
        let scan = scanner.finish();
        if scan.lossy {
            println!("{key} is not valid UTF-8; invalid bytes were read as U+FFFD");
        }
        let report = Report::new(bucket, &key, &scan);
        let json = serde_json::to_vec(&report)?;
        let target = format!("{key}.report.json");
        objects::put_object(&config.report_bucket, &target, &json)
            .map_err(|e| object_error("put", &config.report_bucket, &target, e))?;
        println!(
            "Scanned {key}: {bytes} bytes, {} words, {} banned word(s) -> {}/{target}",
            scan.words, scan.match_count, config.report_bucket
        );
        summary.reports.push(Written {
            source: key,
            report: target,
            flagged: scan.match_count > 0,
            match_count: scan.match_count,
        });
    }
    Ok(summary)
}

fnhost_sdk::handler!(handle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_overrides() {
        let c = Config::from_vars(|_| None).unwrap();
        assert_eq!(
            c.banned.iter().collect::<Vec<_>>(),
            ["phishing", "scam", "spam"]
        );
        assert_eq!(c.report_bucket, "reports");
        let c = Config::from_vars(|name| match name {
            "BANNED_WORDS" => Some("Lorem, IPSUM".into()),
            "REPORT_BUCKET" => Some("audit".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.banned.iter().collect::<Vec<_>>(), ["ipsum", "lorem"]);
        assert_eq!(c.report_bucket, "audit");
        let err =
            Config::from_vars(|name| (name == "BANNED_WORDS").then(|| "a b".into())).unwrap_err();
        assert_eq!(err.error_type, "InvalidConfiguration");
        assert!(
            err.error_message
                .starts_with("BANNED_WORDS: `a b` is not a single word"),
            "{}",
            err.error_message
        );
    }

    #[test]
    fn report_shape() {
        let banned = BannedWords::parse(DEFAULT_BANNED_WORDS).unwrap();
        let mut scanner = Scanner::new(&banned);
        scanner.feed(b"Buy now!\nThis is not SPAM.\n");
        let scan = scanner.finish();
        let json = serde_json::to_string(&Report::new("uploads", "notes/a.txt", &scan)).unwrap();
        assert_eq!(
            json,
            r#"{"source":{"bucket":"uploads","key":"notes/a.txt"},"flagged":true,"matches":[{"word":"spam","line":2,"column":13}],"words":6,"matchCount":1,"lossy":false}"#
        );
        let mut scanner = Scanner::new(&banned);
        scanner.feed(b"clean \xff text");
        let scan = scanner.finish();
        let json = serde_json::to_string(&Report::new("uploads", "b.txt", &scan)).unwrap();
        assert_eq!(
            json,
            r#"{"source":{"bucket":"uploads","key":"b.txt"},"flagged":false,"matches":[],"words":2,"matchCount":0,"lossy":true}"#
        );
    }

    #[test]
    fn which_records_are_skipped() {
        assert_eq!(skip_reason("ObjectCreated:Put", "uploads", "a.txt"), None);
        assert_eq!(skip_reason("ObjectCreated:Copy", "uploads", "A.TXT"), None);
        assert_eq!(
            skip_reason("ObjectCreated:Put", "uploads", "a.txt.report.json").as_deref(),
            Some("not a .txt key")
        );
        assert!(skip_reason("ObjectRemoved:Delete", "uploads", "a.txt").is_some());
        assert!(skip_reason("ObjectCreated:Put", "uploads", "").is_some());
    }

    #[test]
    fn non_text_records_need_no_host() {
        let event = r#"{"Records":[{"eventName":"ObjectCreated:Put",
            "eventTime":"2026-03-02T10:15:42.517Z","userIdentity":{},"requestParameters":{},
            "s3":{"bucket":{"name":"uploads"},"object":{"key":"photo%201.jpg","size":5}}}]}"#;
        let out = fnhost_sdk::invoke(event, &Context::default(), handle).unwrap();
        assert_eq!(
            out,
            r#"{"reports":[],"skipped":[{"source":"photo 1.jpg","reason":"not a .txt key"}]}"#
        );
    }
}
