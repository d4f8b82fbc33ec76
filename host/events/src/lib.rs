//! AWS-shaped events, built the way API Gateway, S3 and EventBridge shape them.
//!
//! Triggers and `fnhost generate-event` use the same builders, so a generated sample is exactly
//! what a function receives in production. Field names and formats follow
//! `shared/reference/lambda.md` §5.

mod http;
mod s3;
mod schedule;

pub use http::{
    HttpRequest, IamCaller, PayloadVersion, ProxyEvent, UrlContext, http_event, proxy_event,
};
pub use s3::{S3Change, S3Object, s3_event, url_encode_key};
pub use schedule::scheduled_event;

pub use fnhost_core::limits::{ACCOUNT, REGION};

/// `02/Mar/2026:10:15:42 +0000`, API Gateway's request time format.
fn clf_time(t: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::format::{Item, StrftimeItems};
    // Parsed once: parsing the format string on every event was a visible share of a request.
    static CLF: std::sync::LazyLock<Vec<Item<'static>>> = std::sync::LazyLock::new(|| {
        StrftimeItems::new("%d/%b/%Y:%H:%M:%S +0000")
            .parse_to_owned()
            .unwrap_or_default()
    });
    t.format_with_items(CLF.iter()).to_string()
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    #[test]
    fn clf_time_is_api_gateways_format() {
        let t = chrono::Utc
            .with_ymd_and_hms(2026, 11, 3, 7, 5, 9)
            .single()
            .unwrap();
        assert_eq!(super::clf_time(t), "03/Nov/2026:07:05:09 +0000");
    }
}
