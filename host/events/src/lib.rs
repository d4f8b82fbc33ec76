//! AWS-shaped events, built the way API Gateway, S3 and EventBridge shape them.
//!
//! Triggers and `fnhost generate-event` use the same builders, so a generated sample is exactly
//! what a function receives in production. Field names and formats follow
//! `shared/reference/lambda.md` §5.

mod http;
mod s3;
mod schedule;

pub use http::{HttpRequest, IamCaller, PayloadVersion, UrlContext, http_event};
pub use s3::{S3Change, S3Object, s3_event, url_encode_key};
pub use schedule::scheduled_event;

pub use fnhost_core::limits::{ACCOUNT, REGION};

/// `02/Mar/2026:10:15:42 +0000`, API Gateway's request time format.
fn clf_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%d/%b/%Y:%H:%M:%S +0000").to_string()
}
