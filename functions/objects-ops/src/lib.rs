//! Fixture for the `objects` interface: each event is one call, named by `op`.
//!
//! | event | response |
//! |---|---|
//! | `{"op":"put","bucket":B,"key":K,"body":"text"}` (or `"fill":N`: a body of N bytes `x`) | object info |
//! | `{"op":"get","bucket":B,"key":K}` (optional `"range":[start,end]`, inclusive) | `{"body":"text","size":N}` |
//! | `{"op":"size","bucket":B,"key":K}` | `{"size":N}` (a whole get; the bench's Rust side) |
//! | `{"op":"head","bucket":B,"key":K}` | object info |
//! | `{"op":"delete","bucket":B,"key":K}` | `{"deleted":true}` |
//! | `{"op":"list","bucket":B,"prefix":P,"startAfter":S?,"maxKeys":N?}` | `{"objects":[info…]}` |
//!
//! Object info is `{"key","size","etag","lastModifiedMs"}`; a body that is not UTF-8 comes back
//! with U+FFFD. A failed call is a function error whose `errorType` is the S3 code
//! (`NoSuchKey`, `AccessDenied`, …) and whose `errorMessage` is the error's text.

use fnhost_sdk::objects::{self, ObjectError, ObjectInfo};
use fnhost_sdk::{Context, Diagnostic};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum Op {
    Put {
        bucket: String,
        key: String,
        #[serde(default)]
        body: String,
        /// A body of this many bytes, made in the guest (events stop at 6 MB; bodies may not).
        fill: Option<usize>,
    },
    Get {
        bucket: String,
        key: String,
        range: Option<(u64, u64)>,
    },
    Size {
        bucket: String,
        key: String,
    },
    Head {
        bucket: String,
        key: String,
    },
    Delete {
        bucket: String,
        key: String,
    },
    #[serde(rename_all = "camelCase")]
    List {
        bucket: String,
        #[serde(default)]
        prefix: String,
        start_after: Option<String>,
        #[serde(default = "default_max_keys")]
        max_keys: u32,
    },
}

fn default_max_keys() -> u32 {
    1000
}

fn handle(op: Op, _ctx: &Context) -> Result<Value, Diagnostic> {
    // Report object errors under their S3 code rather than the Rust type name.
    call(op).map_err(|e| Diagnostic::new(e.code(), e.to_string()))
}

fn call(op: Op) -> Result<Value, ObjectError> {
    let response = match op {
        Op::Put {
            bucket,
            key,
            body,
            fill,
        } => {
            let body = match fill {
                Some(len) => vec![b'x'; len],
                None => body.into_bytes(),
            };
            info(&objects::put_object(&bucket, &key, &body)?)
        }
        Op::Get { bucket, key, range } => {
            let body = match range {
                Some((start, end)) => objects::get_object_range(&bucket, &key, start, end)?,
                None => objects::get_object(&bucket, &key)?,
            };
            json!({"body": String::from_utf8_lossy(&body), "size": body.len()})
        }
        Op::Size { bucket, key } => json!({"size": objects::get_object(&bucket, &key)?.len()}),
        Op::Head { bucket, key } => info(&objects::head_object(&bucket, &key)?),
        Op::Delete { bucket, key } => {
            objects::delete_object(&bucket, &key)?;
            json!({"deleted": true})
        }
        Op::List {
            bucket,
            prefix,
            start_after,
            max_keys,
        } => {
            let found = objects::list_objects(&bucket, &prefix, start_after.as_deref(), max_keys)?;
            json!({"objects": found.iter().map(info).collect::<Vec<_>>()})
        }
    };
    Ok(response)
}

fn info(info: &ObjectInfo) -> Value {
    json!({
        "key": info.key,
        "size": info.size,
        "etag": info.etag,
        "lastModifiedMs": info.last_modified_ms,
    })
}

fnhost_sdk::handler!(handle);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_op_is_an_unmarshal_error() {
        let err = fnhost_sdk::invoke(r#"{"op":"copy"}"#, &Context::default(), handle).unwrap_err();
        assert_eq!(err.error_type, "Runtime.UnmarshalError");
        assert!(
            err.error_message.contains("unknown variant `copy`"),
            "{}",
            err.error_message
        );
    }
}
