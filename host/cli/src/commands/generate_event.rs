//! `fnhost generate-event`: sample events, built by the same code the triggers use.

use anyhow::Result;
use clap::Subcommand;
use fnhost_events::{
    HttpRequest, PayloadVersion, S3Change, S3Object, http_event, s3_event, scheduled_event,
};

/// Arguments of `fnhost generate-event`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
}

#[derive(Debug, Subcommand)]
enum Kind {
    /// An API Gateway proxy event (HTTP API 2.0 by default).
    Http {
        /// HTTP method.
        #[arg(long, default_value = "GET")]
        method: String,
        /// Request path.
        #[arg(long, default_value = "/")]
        path: String,
        /// Raw query string, e.g. `name=Ada&age=30`.
        #[arg(long, default_value = "")]
        query: String,
        /// Request body.
        #[arg(long)]
        body: Option<String>,
        /// A header `Name: value` (repeatable).
        #[arg(long = "header", short = 'H')]
        headers: Vec<String>,
        /// REST API payload format 1.0 instead of 2.0.
        #[arg(long)]
        v1: bool,
    },
    /// An S3 `ObjectCreated:Put` notification.
    S3Put {
        /// Bucket name.
        #[arg(long, default_value = "uploads")]
        bucket: String,
        /// Object key (unencoded; it is URL-encoded as S3 does).
        #[arg(long, default_value = "example.txt")]
        key: String,
        /// Object size in bytes.
        #[arg(long, default_value_t = 1024)]
        size: u64,
        /// Object ETag (hex MD5).
        #[arg(long, default_value = "0123456789abcdef0123456789abcdef")]
        etag: String,
    },
    /// An S3 `ObjectRemoved:Delete` notification.
    S3Delete {
        /// Bucket name.
        #[arg(long, default_value = "uploads")]
        bucket: String,
        /// Object key (unencoded).
        #[arg(long, default_value = "example.txt")]
        key: String,
    },
    /// An EventBridge scheduled event.
    Schedule {
        /// Rule name, used in `resources`.
        #[arg(long, default_value = "every-5-minutes")]
        rule: String,
    },
}

fn sequencer() -> String {
    format!(
        "{:018X}",
        chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default()
    )
}

/// Run `fnhost generate-event`.
pub fn run(args: Args) -> Result<bool> {
    let event = match args.kind {
        Kind::Http {
            method,
            path,
            query,
            body,
            headers,
            v1,
        } => {
            let mut request = HttpRequest::new(method, path);
            request.query = query;
            request.body = body.unwrap_or_default().into_bytes();
            request
                .headers
                .push(("Host".into(), "localhost:8080".into()));
            for h in headers {
                let (name, value) = h
                    .split_once(':')
                    .ok_or_else(|| anyhow::anyhow!("header `{h}` is not `Name: value`"))?;
                request
                    .headers
                    .push((name.trim().into(), value.trim().into()));
            }
            let version = if v1 {
                PayloadVersion::V1
            } else {
                PayloadVersion::V2
            };
            http_event(&request, version)
        }
        Kind::S3Put {
            bucket,
            key,
            size,
            etag,
        } => s3_event(
            S3Change::Put,
            &S3Object {
                bucket,
                key,
                size,
                etag,
                sequencer: sequencer(),
                time: chrono::Utc::now(),
            },
        ),
        Kind::S3Delete { bucket, key } => s3_event(
            S3Change::Delete,
            &S3Object {
                bucket,
                key,
                size: 0,
                etag: String::new(),
                sequencer: sequencer(),
                time: chrono::Utc::now(),
            },
        ),
        Kind::Schedule { rule } => scheduled_event(&rule, chrono::Utc::now()),
    };
    println!("{}", serde_json::to_string_pretty(&event)?);
    Ok(true)
}
