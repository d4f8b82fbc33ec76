//! The AWS SDK modules' cost: one `get_object` of 1 MiB per event from Python's boto3 (fnhost's
//! own, `functions/python-aws`) next to the Rust SDK's `objects::get_object`
//! (`functions/objects-ops`), each a whole invocation through fnhost's invoke path, in the same
//! run. Both read from the same in-memory object store, so the difference is the guest side:
//! the interpreter, the shim's response shapes and the copy into a `bytes` object.
//!
//! Needs the Python guests built by `bash .ci/guests.sh`. Run with
//! `cargo bench -p fnhost-runtime --bench sdk`.

use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group};
use fnhost_runtime::{
    CallSlots, FunctionSpec, InvokeRequest, ObjectAccess, ObjectFailure, ObjectMeta, Runtime,
    RuntimeConfig, Trigger, WriteOrigin,
};
use fnhost_test_programs::{OBJECTS_OPS, PYTHON_AWS, built};

/// One object of 1 MiB under every key, served from memory; nothing else is allowed.
#[derive(Debug)]
struct OneMiB(Vec<u8>);

impl OneMiB {
    fn refuse<T>() -> Result<T, ObjectFailure> {
        Err(ObjectFailure::AccessDenied("the bench only reads".into()))
    }
}

impl ObjectAccess for OneMiB {
    fn slots(&self) -> Option<&CallSlots> {
        None
    }
    fn get(&self, _: &str, _: &str, range: Option<(u64, u64)>) -> Result<Vec<u8>, ObjectFailure> {
        Ok(match range {
            Some((first, last)) => {
                let end = usize::try_from(last + 1).unwrap().min(self.0.len());
                self.0[usize::try_from(first).unwrap().min(end)..end].to_vec()
            }
            None => self.0.clone(),
        })
    }
    fn put(
        &self,
        _: &str,
        _: &str,
        _: &[u8],
        _: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        Self::refuse()
    }
    fn head(&self, _: &str, key: &str, _: Instant) -> Result<ObjectMeta, ObjectFailure> {
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: self.0.len() as u64,
            etag: "0123456789abcdef0123456789abcdef".into(),
            last_modified_ms: 0,
        })
    }
    fn delete(&self, _: &str, _: &str, _: &WriteOrigin) -> Result<(), ObjectFailure> {
        Self::refuse()
    }
    fn list(
        &self,
        _: &str,
        _: &str,
        _: Option<&str>,
        _: u32,
        _: Instant,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        Self::refuse()
    }
    fn copy(
        &self,
        _: &str,
        _: &str,
        _: &str,
        _: &str,
        _: &WriteOrigin,
        _: Instant,
    ) -> Result<ObjectMeta, ObjectFailure> {
        Self::refuse()
    }
}

fn get_object_1mib(c: &mut Criterion) {
    let state = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let store: Arc<dyn ObjectAccess> = Arc::new(OneMiB(vec![b'x'; 1 << 20]));
    let mut group = c.benchmark_group("get-object-1mib");
    for (label, wasm, event) in [
        (
            "rust-sdk",
            OBJECTS_OPS,
            r#"{"op":"size","bucket":"b","key":"k"}"#,
        ),
        (
            "python-boto3",
            PYTHON_AWS,
            r#"{"op":"get-size","bucket":"b","key":"k"}"#,
        ),
    ] {
        let mut spec = FunctionSpec::new(label);
        spec.objects = store.clone();
        spec.memory_mb = 256;
        spec.timeout = std::time::Duration::from_secs(30);
        let f = runtime.load(spec, built(wasm)).unwrap();
        let run = || {
            let done = tokio
                .block_on(runtime.invoke(&f, InvokeRequest::new(event, Trigger::Cli)))
                .unwrap();
            assert!(done.outcome.is_ok(), "{label}: {:?}", done.outcome);
            let size: serde_json::Value = serde_json::from_slice(&done.payload()).unwrap();
            assert_eq!(size["size"], 1 << 20, "{label}");
            done
        };
        run();
        group.bench_function(label, |b| b.iter(run));
    }
    group.finish();
}

criterion_group!(benches, get_object_1mib);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
