//! Logs every object an S3 event notification reports.
//!
//! Response: `{"statusCode":200,"body":B}` where `B` is the JSON text
//! `{"processed":N,"files":[{"bucket":"photos","key":"2026/red flower.jpg"},…]}`: the number of
//! records and, per record in order, the bucket and the URL-decoded key.

use fnhost_sdk::Context;
use fnhost_sdk::events::S3Event;
use serde::Serialize;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status_code: u16,
    body: String,
}

#[derive(Serialize)]
struct Summary {
    processed: usize,
    files: Vec<File>,
}

#[derive(Serialize)]
struct File {
    bucket: String,
    key: String,
}

fn log_uploads(event: S3Event, _ctx: &Context) -> Result<Response, serde_json::Error> {
    let files: Vec<File> = event
        .records
        .iter()
        .map(|record| File {
            bucket: record.s3.bucket.name.clone().unwrap_or_default(),
            key: fnhost_sdk::url_decode_key(record.s3.object.key.as_deref().unwrap_or_default()),
        })
        .collect();
    for file in &files {
        println!(
            "새로운 파일이 감지되었습니다! 버킷: {}, 파일명: {}",
            file.bucket, file.key
        );
    }
    let summary = Summary {
        processed: files.len(),
        files,
    };
    Ok(Response {
        status_code: 200,
        body: serde_json::to_string(&summary)?,
    })
}

fnhost_sdk::handler!(log_uploads);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarizes_records_with_decoded_keys() {
        let event = r#"{"Records":[{"eventTime":"2026-03-02T10:15:42.517Z","userIdentity":{},
            "requestParameters":{},"s3":{"bucket":{"name":"photos"},
            "object":{"key":"%EC%82%AC%EC%A7%84/red+flower.jpg","size":1}}}]}"#;
        let out = fnhost_sdk::invoke(event, &Context::default(), log_uploads).unwrap();
        assert_eq!(
            out,
            r#"{"statusCode":200,"body":"{\"processed\":1,\"files\":[{\"bucket\":\"photos\",\"key\":\"사진/red flower.jpg\"}]}"}"#
        );
    }

    #[test]
    fn no_records() {
        let out = fnhost_sdk::invoke(r#"{"Records":[]}"#, &Context::default(), log_uploads);
        assert_eq!(
            out.unwrap(),
            r#"{"statusCode":200,"body":"{\"processed\":0,\"files\":[]}"}"#
        );
    }
}
