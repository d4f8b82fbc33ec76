//! The Buckets page: the manifest's buckets with the functions they trigger, their objects by
//! prefix (with S3's `/`-delimited common prefixes as folders), and uploads, downloads and
//! deletes. An upload is an atomic write into the bucket's directory, so the watcher runs the
//! bucket's triggers as for any file dropped there.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use fnhost_buckets::{Bucket, MAX_LIST_KEYS};
use fnhost_runtime::ObjectFailure;
use http::Response;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, HeaderValue};
use http_body_util::Full;
use serde_json::{Value, json};

use crate::console::{Console, Reply, blocking, json_ok, no_content};
use crate::error::ConsoleError;

impl Console {
    fn bucket(&self, name: &str) -> Result<std::sync::Arc<Bucket>, ConsoleError> {
        self.buckets
            .get(name)
            .cloned()
            .ok_or_else(|| ConsoleError::NotFound(format!("bucket `{name}` does not exist")))
    }

    /// `GET buckets`.
    pub(crate) fn bucket_list(&self) -> Reply {
        let manifest = self.manifest.load_full();
        let mut triggers: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        for (name, function) in &manifest.functions {
            for s3 in &function.s3 {
                triggers.entry(s3.bucket.as_str()).or_default().push(json!({
                    "function": name,
                    "events": s3.events.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "prefix": s3.prefix,
                    "suffix": s3.suffix,
                }));
            }
        }
        let buckets: Vec<Value> = self
            .buckets
            .iter()
            .map(|b| {
                json!({
                    "name": b.name(),
                    "path": b.root().display().to_string(),
                    "triggers": triggers.remove(b.name()).unwrap_or_default(),
                })
            })
            .collect();
        json_ok(&json!({ "buckets": buckets }))
    }

    /// `GET buckets/{b}/objects?prefix=&delimiter=/&after=&limit=`.
    pub(crate) async fn objects(&self, bucket: &str, query: &BTreeMap<String, String>) -> Reply {
        let bucket = self.bucket(bucket)?;
        let prefix = query.get("prefix").cloned().unwrap_or_default();
        let folders = query.get("delimiter").is_some_and(|d| d == "/");
        let after = query.get("after").cloned().filter(|a| !a.is_empty());
        let limit = match query.get("limit") {
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_LIST_KEYS).contains(n))
                .ok_or_else(|| {
                    ConsoleError::BadRequest(format!(
                        "limit `{v}` is not from 1 to {MAX_LIST_KEYS}"
                    ))
                })?,
            None => MAX_LIST_KEYS,
        };
        let listed = blocking(move || {
            bucket
                .operator_list(&prefix, after.as_deref(), limit)
                .map(|objects| (objects, prefix))
                .map_err(object_error)
        })
        .await?;
        let (objects, prefix) = listed;
        let full = objects.len() == limit as usize;
        let next = if full {
            objects.last().map(|o| o.key.clone())
        } else {
            None
        };
        let mut prefixes = BTreeSet::new();
        let mut shown = Vec::new();
        for object in objects {
            let rest = object.key.strip_prefix(&prefix).unwrap_or(&object.key);
            match rest.find('/') {
                Some(slash) if folders => {
                    prefixes.insert(format!("{prefix}{}", &rest[..=slash]));
                }
                _ => shown.push(json!({
                    "key": object.key,
                    "size": object.size,
                    "lastModifiedMs": object.last_modified_ms,
                    "etag": object.etag,
                })),
            }
        }
        json_ok(&json!({ "objects": shown, "prefixes": prefixes, "next": next }))
    }

    /// `PUT buckets/{b}/objects/{key}`: the body is the object.
    pub(crate) async fn put_object(&self, bucket: &str, key: &str, body: Bytes) -> Reply {
        let bucket = self.bucket(bucket)?;
        let key = key.to_owned();
        let meta = blocking(move || bucket.operator_put(&key, &body).map_err(object_error)).await?;
        json_ok(&json!({ "key": meta.key, "etag": meta.etag, "size": meta.size }))
    }

    /// `GET buckets/{b}/objects/{key}`: a download.
    pub(crate) async fn get_object(&self, bucket: &str, key: &str) -> Reply {
        let bucket = self.bucket(bucket)?;
        let owned = key.to_owned();
        let bytes = blocking(move || bucket.operator_get(&owned).map_err(object_error)).await?;
        let mut response = Response::new(Full::new(Bytes::from(bytes)));
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/octet-stream"),
        );
        headers.insert(CONTENT_DISPOSITION, attachment(key));
        Ok(response)
    }

    /// `DELETE buckets/{b}/objects/{key}`.
    pub(crate) async fn delete_object(&self, bucket: &str, key: &str) -> Reply {
        let bucket = self.bucket(bucket)?;
        let key = key.to_owned();
        blocking(move || bucket.operator_delete(&key).map_err(object_error)).await?;
        Ok(no_content())
    }
}

/// `attachment; filename*=UTF-8''<last segment, percent-encoded>`.
fn attachment(key: &str) -> HeaderValue {
    let file = key.rsplit('/').next().unwrap_or(key);
    let mut encoded = String::new();
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!("attachment; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

fn object_error(failure: ObjectFailure) -> ConsoleError {
    match failure {
        ObjectFailure::NoSuchKey(m) | ObjectFailure::NoSuchBucket(m) => ConsoleError::NotFound(m),
        ObjectFailure::InvalidKey(m) => ConsoleError::BadRequest(m),
        ObjectFailure::TooLarge(m) => ConsoleError::TooLarge(m),
        other => ConsoleError::internal("a bucket operation", other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_are_attachments_with_an_encoded_name() {
        assert_eq!(
            attachment("사진/빨간 꽃.jpg"),
            "attachment; filename*=UTF-8''%EB%B9%A8%EA%B0%84%20%EA%BD%83.jpg"
        );
        assert_eq!(
            attachment("a\"b\r\n.txt"),
            "attachment; filename*=UTF-8''a%22b%0D%0A.txt"
        );
    }
}
