//! S3 event notifications (`Records[]`), as S3 sends them to Lambda.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// What happened to the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Change {
    /// `ObjectCreated:Put`.
    Put,
    /// `ObjectCreated:Copy` (a rename into the bucket).
    Copy,
    /// `ObjectRemoved:Delete`.
    Delete,
}

impl S3Change {
    /// The `eventName` S3 uses (without the `s3:` prefix).
    pub fn event_name(self) -> &'static str {
        match self {
            S3Change::Put => "ObjectCreated:Put",
            S3Change::Copy => "ObjectCreated:Copy",
            S3Change::Delete => "ObjectRemoved:Delete",
        }
    }
}

/// One object change.
#[derive(Debug, Clone)]
pub struct S3Object {
    /// Bucket name.
    pub bucket: String,
    /// Object key, not encoded.
    pub key: String,
    /// Size in bytes (created events only).
    pub size: u64,
    /// Hex MD5 (created events only).
    pub etag: String,
    /// Monotonic per-key ordering token, hex.
    pub sequencer: String,
    /// When it happened.
    pub time: DateTime<Utc>,
}

/// `{"Records":[...]}` with one record for `object`.
pub fn s3_event(change: S3Change, object: &S3Object) -> Value {
    let mut obj = json!({
        "key": url_encode_key(&object.key),
        "sequencer": object.sequencer,
    });
    if change != S3Change::Delete {
        obj["size"] = json!(object.size);
        obj["eTag"] = json!(object.etag);
    }
    json!({
        "Records": [{
            "eventVersion": "2.1",
            "eventSource": "aws:s3",
            "awsRegion": crate::REGION,
            "eventTime": object.time.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            "eventName": change.event_name(),
            "userIdentity": { "principalId": "fnhost" },
            "requestParameters": { "sourceIPAddress": "127.0.0.1" },
            "responseElements": {
                "x-amz-request-id": object.sequencer,
                "x-amz-id-2": "fnhost",
            },
            "s3": {
                "s3SchemaVersion": "1.0",
                "configurationId": "fnhost",
                "bucket": {
                    "name": object.bucket,
                    "ownerIdentity": { "principalId": "fnhost" },
                    "arn": format!("arn:aws:s3:::{}", object.bucket),
                },
                "object": obj,
            },
        }]
    })
}

/// Form-style URL encoding as S3 applies it to keys: space → `+`, unreserved bytes and `/`
/// kept, everything else `%XX`.
pub fn url_encode_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    for &b in key.as_bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object() -> S3Object {
        S3Object {
            bucket: "photos".into(),
            key: "2026/red flower.jpg".into(),
            size: 48213,
            etag: "9b2cf535f27731c974343645a3985328".into(),
            sequencer: "0065E2F0A1B2C3D4E5".into(),
            time: DateTime::from_timestamp_millis(1_772_446_542_517).unwrap(),
        }
    }

    #[test]
    fn put_record_matches_s3() {
        let e = s3_event(S3Change::Put, &object());
        let r = &e["Records"][0];
        assert_eq!(r["eventName"], "ObjectCreated:Put");
        assert_eq!(r["eventTime"], "2026-03-02T10:15:42.517Z");
        assert_eq!(r["s3"]["bucket"]["arn"], "arn:aws:s3:::photos");
        assert_eq!(r["s3"]["object"]["key"], "2026/red+flower.jpg");
        assert_eq!(r["s3"]["object"]["size"], 48213);
    }

    #[test]
    fn delete_record_has_no_size_or_etag() {
        let e = s3_event(S3Change::Delete, &object());
        let o = &e["Records"][0]["s3"]["object"];
        assert!(o.get("size").is_none() && o.get("eTag").is_none());
        assert_eq!(e["Records"][0]["eventName"], "ObjectRemoved:Delete");
    }

    #[test]
    fn keys_are_form_encoded() {
        assert_eq!(
            url_encode_key("새 파일.txt"),
            "%EC%83%88+%ED%8C%8C%EC%9D%BC.txt"
        );
        assert_eq!(url_encode_key("a+b"), "a%2Bb");
    }
}
