//! End to end: the real `objects-ops` guest calls the objects interface through
//! `Runtime::invoke`, backed by `FunctionObjects` over real directories.

use std::path::Path;
use std::sync::Arc;

use fnhost_buckets::{JournalChange, WriteJournal};
use fnhost_runtime::{
    Function, FunctionSpec, Invocation, InvokeRequest, Lineage, ObjectAccess, Outcome, Runtime,
    RuntimeConfig,
};
use serde_json::{Value, json};

use crate::support::Fixture;

struct Host {
    fx: Fixture,
    runtime: Runtime,
    _state: tempfile::TempDir,
}

impl Host {
    fn new() -> Self {
        let state = tempfile::tempdir().unwrap();
        Self {
            fx: Fixture::new(),
            runtime: Runtime::new(RuntimeConfig::new(state.path())),
            _state: state,
        }
    }

    fn function(&self, name: &str, read: &[&str], write: &[&str]) -> Function {
        let mut spec = FunctionSpec::new(name);
        spec.objects = Arc::new(self.fx.access(name, read, write));
        let wasm = Path::new(fnhost_test_programs::OBJECTS_OPS);
        self.runtime.load(spec, wasm).unwrap()
    }

    async fn call(&self, f: &Function, event: Value) -> Invocation {
        self.call_with(f, event, None).await
    }

    async fn call_with(&self, f: &Function, event: Value, lineage: Option<Lineage>) -> Invocation {
        let mut request = InvokeRequest::new(event.to_string(), fnhost_runtime::Trigger::S3);
        request.lineage = lineage;
        self.runtime.invoke(f, request).await.unwrap()
    }
}

fn ok(done: &Invocation) -> Value {
    assert!(
        done.outcome.is_ok(),
        "{:?}\n{}",
        done.outcome,
        done.log_text()
    );
    serde_json::from_slice(&done.payload()).unwrap()
}

fn function_error(done: &Invocation) -> (String, String) {
    match &done.outcome {
        Outcome::FunctionError {
            error_type,
            message,
            ..
        } => (error_type.clone(), message.clone()),
        other => panic!("expected a function error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_guest_puts_gets_lists_heads_and_deletes_with_grants() {
    let host = Host::new();
    let journal: &WriteJournal = &host.fx.journal;
    let f = host.function("thumbnail", &["uploads"], &["uploads"]);
    let key = "사진/red flower.txt";
    let lineage = Lineage {
        chain_id: "chain-7".into(),
        hop: 3,
    };

    let put = host
        .call_with(
            &f,
            json!({"op": "put", "bucket": "uploads", "key": key, "body": "hello world"}),
            Some(lineage.clone()),
        )
        .await;
    assert_eq!(put.trigger, fnhost_runtime::Trigger::S3);
    assert_eq!(put.lineage.as_ref(), Some(&lineage));
    let info = ok(&put);
    assert_eq!(info["key"], key);
    assert_eq!(info["size"], 11);
    assert_eq!(info["etag"], "5eb63bbbe01eeed093cb22bb8f5acdc3");
    assert_eq!(
        std::fs::read(host.fx.root().join("사진/red flower.txt")).unwrap(),
        b"hello world"
    );
    // The journal knows who wrote it: this function, this invocation, this chain.
    let origin = journal
        .take(
            "uploads",
            key,
            &JournalChange::Put {
                etag: "5eb63bbbe01eeed093cb22bb8f5acdc3".into(),
            },
        )
        .expect("the put is journaled");
    assert_eq!(origin.function, "thumbnail");
    assert_eq!(origin.request_id, put.request_id);
    assert_eq!(origin.lineage, Some(lineage));

    let got = ok(&host
        .call(&f, json!({"op": "get", "bucket": "uploads", "key": key}))
        .await);
    assert_eq!(got, json!({"body": "hello world", "size": 11}));
    let range = json!({"op": "get", "bucket": "uploads", "key": key, "range": [6, 100]});
    assert_eq!(ok(&host.call(&f, range).await)["body"], "world");

    let head = ok(&host
        .call(&f, json!({"op": "head", "bucket": "uploads", "key": key}))
        .await);
    assert_eq!(head, info);

    host.fx
        .full()
        .put("uploads", "other.txt", b"x", &crate::support::origin())
        .unwrap();
    let listed = ok(&host
        .call(&f, json!({"op": "list", "bucket": "uploads"}))
        .await);
    let keys: Vec<&str> = listed["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["other.txt", key]);
    let paged = json!({"op": "list", "bucket": "uploads", "startAfter": "other.txt", "maxKeys": 5});
    assert_eq!(ok(&host.call(&f, paged).await)["objects"][0], info);

    let deleted = host
        .call(&f, json!({"op": "delete", "bucket": "uploads", "key": key}))
        .await;
    assert_eq!(ok(&deleted), json!({"deleted": true}));
    assert!(!host.fx.root().join("사진/red flower.txt").exists());
    let origin = journal
        .take("uploads", key, &JournalChange::Delete)
        .expect("the delete is journaled");
    assert_eq!(origin.request_id, deleted.request_id);
    assert_eq!(origin.lineage, None);

    let missing = host
        .call(&f, json!({"op": "get", "bucket": "uploads", "key": key}))
        .await;
    let (error_type, message) = function_error(&missing);
    assert_eq!(error_type, "NoSuchKey");
    assert_eq!(message, format!("no such key: `{key}` in bucket `uploads`"));
}

#[tokio::test]
async fn the_guest_is_denied_without_grants_and_told_what_to_add() {
    let host = Host::new();
    host.fx
        .full()
        .put("uploads", "in.txt", b"x", &crate::support::origin())
        .unwrap();
    let reader = host.function("thumbnail", &["uploads"], &[]);

    let put = json!({"op": "put", "bucket": "thumbnails", "key": "t.png", "body": "png"});
    let (error_type, message) = function_error(&host.call(&reader, put).await);
    assert_eq!(error_type, "AccessDenied");
    assert_eq!(
        message,
        "access denied: function `thumbnail` has no write access to bucket `thumbnails`: add \"thumbnails\" to `objects = { write = [...] }` in [function.thumbnail]"
    );
    let get = json!({"op": "get", "bucket": "thumbnails", "key": "t.png"});
    let (error_type, message) = function_error(&host.call(&reader, get).await);
    assert_eq!(error_type, "AccessDenied");
    assert!(
        message.contains("add \"thumbnails\" to `objects = { read = [...] }`"),
        "{message}"
    );
    let delete = json!({"op": "delete", "bucket": "uploads", "key": "in.txt"});
    let (error_type, _) = function_error(&host.call(&reader, delete).await);
    assert_eq!(error_type, "AccessDenied");
    assert!(host.fx.root().join("in.txt").exists());

    let escape = json!({"op": "get", "bucket": "uploads", "key": "../thumbs/x"});
    let (error_type, _) = function_error(&host.call(&reader, escape).await);
    assert_eq!(error_type, "InvalidArgument");

    let unknown = json!({"op": "list", "bucket": "photos"});
    let (error_type, message) = function_error(&host.call(&reader, unknown).await);
    assert_eq!(error_type, "NoSuchBucket");
    assert!(
        message.contains("declared buckets: `thumbnails`, `uploads`"),
        "{message}"
    );
    assert_eq!(
        host.fx.journal.len(),
        1,
        "only the setup's put is journaled"
    );
}
