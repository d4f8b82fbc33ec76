//! Example: writes a resized copy of every uploaded PNG or JPEG to the thumbnails bucket.
//!
//! fnhost's version of the AWS tutorial "Using an Amazon S3 trigger to create thumbnail images":
//! for each `ObjectCreated` record whose key ends in `.png`, `.jpg` or `.jpeg` (any case), the
//! function reads the object, decodes it inside the guest (the `image` crate, PNG and JPEG
//! codecs only), scales it to fit 128 × 128 keeping its aspect ratio (never enlarging), and
//! writes it as PNG to `<key without extension>.png` in the thumbnail bucket, logging
//! `Resized {key}: {w}x{h} -> {w2}x{h2}, {bytes} bytes`. Other keys and events are skipped with
//! a log line, and so are objects in the thumbnail bucket itself (a thumbnail of a thumbnail
//! would trigger the function again).
//!
//! Environment:
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `THUMBNAIL_BUCKET` | `thumbnails` | bucket the thumbnails are written to |
//! | `THUMBNAIL_MAX` | `128` | longest side of a thumbnail, in pixels |
//!
//! Response: `{"resized":[{"source","thumbnail","width","height","bytes"}],"skipped":[{"source",
//! "reason"}]}` with the source and thumbnail keys, the thumbnail's size and its PNG length.
//! Errors: content that is not a decodable PNG or JPEG fails the invocation with `errorType`
//! `InvalidImage`; a bad `THUMBNAIL_MAX` with `InvalidConfiguration`; a failed object call with
//! its S3 code (`NoSuchKey`, `AccessDenied`, …).
//!
//! Wiring in `fnhost.toml`:
//!
//! ```toml
//! [bucket.photos]
//! path = "data/photos"
//!
//! [bucket.thumbnails]
//! path = "data/thumbnails"
//!
//! [function.thumbnail]
//! source = "target/wasm32-wasip2/guest/thumbnail.wasm"
//! build = "cargo build --profile guest --target wasm32-wasip2 -p thumbnail"
//! memory_mb = 256
//! objects = { read = ["photos"], write = ["thumbnails"] }
//! env = { THUMBNAIL_BUCKET = "thumbnails", THUMBNAIL_MAX = "128" }
//!
//! [[function.thumbnail.s3]]
//! bucket = "photos"
//! events = ["s3:ObjectCreated:*"]
//! suffix = ".jpg"
//!
//! [[function.thumbnail.s3]]
//! bucket = "photos"
//! events = ["s3:ObjectCreated:*"]
//! suffix = ".png"
//! ```

mod resize;

use fnhost_sdk::events::S3Event;
use fnhost_sdk::objects::{self, ObjectError};
use fnhost_sdk::{Context, Diagnostic};
use serde::Serialize;

use resize::{is_image_key, make_thumbnail, thumbnail_key};

/// Longest side of a thumbnail in pixels unless `THUMBNAIL_MAX` says otherwise.
pub const THUMBNAIL_MAX: u32 = 128;

/// Bucket the thumbnails go to unless `THUMBNAIL_BUCKET` says otherwise.
pub const THUMBNAIL_BUCKET: &str = "thumbnails";

/// Settings read from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Where thumbnails are written.
    pub bucket: String,
    /// Longest side of a thumbnail, in pixels (at least 1).
    pub max: u32,
}

impl Config {
    /// Read `THUMBNAIL_BUCKET` and `THUMBNAIL_MAX` through `var`, with the defaults above.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, Diagnostic> {
        let bucket = var("THUMBNAIL_BUCKET")
            .filter(|b| !b.trim().is_empty())
            .unwrap_or_else(|| THUMBNAIL_BUCKET.to_owned());
        let max = match var("THUMBNAIL_MAX") {
            None => THUMBNAIL_MAX,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(max) if max >= 1 => max,
                _ => {
                    return Err(Diagnostic::new(
                        "InvalidConfiguration",
                        format!(
                            "THUMBNAIL_MAX `{text}` must be a whole number of pixels of at least \
                             1, e.g. `128`"
                        ),
                    ));
                }
            },
        };
        Ok(Config { bucket, max })
    }
}

/// What the invocation returns.
#[derive(Debug, Default, Serialize)]
struct Summary {
    resized: Vec<Resized>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize)]
struct Resized {
    source: String,
    thumbnail: String,
    width: u32,
    height: u32,
    bytes: usize,
}

#[derive(Debug, Serialize)]
struct Skipped {
    source: String,
    reason: String,
}

/// Why a record is not resized, or `None` if it should be.
fn skip_reason(event_name: &str, bucket: &str, key: &str, config: &Config) -> Option<String> {
    let name = event_name.strip_prefix("s3:").unwrap_or(event_name);
    if !name.starts_with("ObjectCreated:") {
        Some(format!("event `{event_name}` is not ObjectCreated"))
    } else if bucket.is_empty() || key.is_empty() {
        Some("the record names no bucket or key".into())
    } else if bucket == config.bucket {
        Some(format!(
            "`{bucket}` is the thumbnail bucket; resizing its objects would trigger this function \
             again"
        ))
    } else if !is_image_key(key) {
        Some("not a .png, .jpg or .jpeg key".into())
    } else {
        None
    }
}

fn object_error(op: &str, bucket: &str, key: &str, e: ObjectError) -> Diagnostic {
    Diagnostic::new(e.code(), format!("{op} `{key}` in bucket `{bucket}`: {e}"))
}

fn handle(event: S3Event, ctx: &Context) -> Result<Summary, Diagnostic> {
    let config = Config::from_vars(|name| std::env::var(name).ok())?;
    // Leave the decoder half the function's memory: the encoded source and the thumbnail need
    // room too.
    let max_alloc = u64::from(ctx.memory_limit_mb.max(1)) * 1024 * 1024 / 2;
    let mut summary = Summary::default();
    for record in &event.records {
        let bucket = record.s3.bucket.name.as_deref().unwrap_or_default();
        let key = fnhost_sdk::url_decode_key(record.s3.object.key.as_deref().unwrap_or_default());
        let event_name = record.event_name.as_deref().unwrap_or_default();
        if let Some(reason) = skip_reason(event_name, bucket, &key, &config) {
            println!("Skipped {key}: {reason}");
            summary.skipped.push(Skipped {
                source: key,
                reason,
            });
            continue;
        }
        let original =
            objects::get_object(bucket, &key).map_err(|e| object_error("get", bucket, &key, e))?;
        let thumb = make_thumbnail(&original, config.max, max_alloc).map_err(|reason| {
            Diagnostic::new(
                "InvalidImage",
                format!("`{key}` in bucket `{bucket}`: {reason}"),
            )
        })?;
        let target = thumbnail_key(&key);
        objects::put_object(&config.bucket, &target, &thumb.png)
            .map_err(|e| object_error("put", &config.bucket, &target, e))?;
        let ((w, h), (w2, h2)) = (thumb.source_size, thumb.size);
        println!(
            "Resized {key}: {w}x{h} -> {w2}x{h2}, {} bytes",
            thumb.png.len()
        );
        summary.resized.push(Resized {
            source: key,
            thumbnail: target,
            width: w2,
            height: h2,
            bytes: thumb.png.len(),
        });
    }
    Ok(summary)
}

fnhost_sdk::handler!(handle);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            bucket: "thumbnails".into(),
            max: 128,
        }
    }

    #[test]
    fn config_defaults_and_overrides() {
        assert_eq!(Config::from_vars(|_| None).unwrap(), config());
        let vars = |name: &str| match name {
            "THUMBNAIL_BUCKET" => Some("small".to_string()),
            "THUMBNAIL_MAX" => Some(" 64 ".to_string()),
            _ => None,
        };
        assert_eq!(
            Config::from_vars(vars).unwrap(),
            Config {
                bucket: "small".into(),
                max: 64
            }
        );
        for bad in ["0", "-5", "big", ""] {
            let err = Config::from_vars(|name| (name == "THUMBNAIL_MAX").then(|| bad.to_string()))
                .unwrap_err();
            assert_eq!(err.error_type, "InvalidConfiguration");
            assert!(err.error_message.contains(&format!("`{bad}`")), "{err:?}");
        }
    }

    #[test]
    fn which_records_are_skipped() {
        let c = config();
        assert_eq!(
            skip_reason("ObjectCreated:Put", "photos", "a.jpg", &c),
            None
        );
        assert_eq!(
            skip_reason("s3:ObjectCreated:Copy", "photos", "A.PNG", &c),
            None
        );
        assert_eq!(
            skip_reason("ObjectRemoved:Delete", "photos", "a.jpg", &c).as_deref(),
            Some("event `ObjectRemoved:Delete` is not ObjectCreated")
        );
        assert_eq!(
            skip_reason("ObjectCreated:Put", "photos", "notes.txt", &c).as_deref(),
            Some("not a .png, .jpg or .jpeg key")
        );
        assert!(
            skip_reason("ObjectCreated:Put", "thumbnails", "a.png", &c)
                .unwrap()
                .contains("is the thumbnail bucket")
        );
        assert!(skip_reason("ObjectCreated:Put", "", "a.png", &c).is_some());
    }

    #[test]
    fn non_image_records_need_no_host() {
        // Every record is skipped before any object call, so this runs natively.
        let event = r#"{"Records":[
            {"eventName":"ObjectCreated:Put","eventTime":"2026-03-02T10:15:42.517Z",
             "userIdentity":{},"requestParameters":{},
             "s3":{"bucket":{"name":"photos"},"object":{"key":"notes+2026.txt","size":5}}},
            {"eventName":"ObjectRemoved:Delete","eventTime":"2026-03-02T10:15:43.000Z",
             "userIdentity":{},"requestParameters":{},
             "s3":{"bucket":{"name":"photos"},"object":{"key":"cat.jpg"}}}]}"#;
        let ctx = Context {
            memory_limit_mb: 128,
            ..Default::default()
        };
        let out = fnhost_sdk::invoke(event, &ctx, handle).unwrap();
        assert_eq!(
            out,
            r#"{"resized":[],"skipped":[{"source":"notes 2026.txt","reason":"not a .png, .jpg or .jpeg key"},{"source":"cat.jpg","reason":"event `ObjectRemoved:Delete` is not ObjectCreated"}]}"#
        );
    }
}
