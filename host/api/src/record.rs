//! [`RecordSink`]: every finished invocation, from any trigger, becomes an
//! [`InvocationRecord`] with its whole log (START ... REPORT), written to the store in batches
//! by a [`Recorder`] off the hot path; a flush ([`LogSink::flush`]) commits what is pending,
//! which the delivery of queued events does before their jobs leave the queue. `fnhost logs`
//! and `fnhost usage` read them back.

use std::sync::Arc;

use fnhost_dispatch::LogSink;
use fnhost_runtime::Invocation;
use fnhost_store::{InvocationRecord, Recorder};

/// Writes invocation records through a [`Recorder`].
#[derive(Debug, Clone)]
pub struct RecordSink {
    recorder: Arc<Recorder>,
}

impl RecordSink {
    /// A sink submitting to `recorder`.
    pub fn new(recorder: Arc<Recorder>) -> Self {
        Self { recorder }
    }

    /// The recorder (to flush it on shutdown, or read how many records it dropped).
    pub fn recorder(&self) -> &Arc<Recorder> {
        &self.recorder
    }
}

/// The record of `invocation` of registry key `function` (`name` or `name:version`).
pub fn record(function: &str, invocation: &Invocation) -> InvocationRecord {
    let report = &invocation.report;
    let now_ms = fnhost_core::unix_ms();
    let duration_ms = report.duration.as_secs_f64() * 1000.0;
    InvocationRecord {
        request_id: invocation.request_id.clone(),
        function: function.split(':').next().unwrap_or(function).to_owned(),
        version: report.version.clone(),
        trigger: invocation.trigger,
        started_at_ms: now_ms.saturating_sub(duration_ms as u64),
        duration_ms,
        billed_ms: report.billed_duration_ms,
        memory_mb: report.memory_size_mb,
        max_memory_used_mb: report.max_memory_used_mb,
        fuel: report.fuel_consumed,
        error_type: invocation.outcome.error_type().map(str::to_owned),
        log: invocation.log_text(),
    }
}

impl LogSink for RecordSink {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        self.recorder.submit(record(function, invocation));
    }

    /// A queued event's record is committed before the queue forgets its job (the delivery
    /// flushes first), so after a crash every delivered event has its log: an event whose
    /// record is missing is still queued, and runs again.
    fn flush(&self) {
        flush(&self.recorder);
    }
}

/// Wait for `recorder` to commit. On a multi-threaded tokio worker the wait is announced with
/// `block_in_place`, so the worker's other tasks (HTTP requests) move to another thread instead
/// of waiting behind the commit.
fn flush(recorder: &Recorder) {
    let on_worker = tokio::runtime::Handle::try_current()
        .is_ok_and(|h| h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread);
    if on_worker {
        tokio::task::block_in_place(|| recorder.flush());
    } else {
        recorder.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fnhost_store::{InvocationQuery, LogQuery, Store};

    #[tokio::test]
    async fn invocations_land_in_the_store_with_their_log() {
        let state = tempfile::tempdir().unwrap();
        let store = Store::open(&state.path().join("fnhost.db")).unwrap();
        let runtime =
            fnhost_runtime::Runtime::new(fnhost_runtime::RuntimeConfig::new(state.path()));
        let mut spec = fnhost_runtime::FunctionSpec::new("noop");
        spec.version = "2".into();
        let function = runtime
            .load_bytes(
                spec,
                "noop.wat".as_ref(),
                br#"(module (memory (export "memory") 1) (func (export "_start")))"#.to_vec(),
                std::time::Instant::now(),
            )
            .unwrap();
        let request = fnhost_runtime::InvokeRequest::new("{}", fnhost_core::Trigger::Api);
        let done = runtime.invoke(&function, request).await.unwrap();

        let sink = RecordSink::new(Arc::new(Recorder::start(store.clone())));
        sink.invocation("noop:2", &done);
        LogSink::flush(&sink);
        let records = store.invocations(&InvocationQuery::default()).unwrap();
        assert_eq!(records.len(), 1);
        let r = &records[0];
        assert_eq!((r.function.as_str(), r.version.as_str()), ("noop", "2"));
        assert_eq!(r.trigger, fnhost_core::Trigger::Api);
        assert_eq!(r.request_id, done.request_id);
        assert_eq!(r.error_type, None);
        let lines = store.logs(&LogQuery::default()).unwrap();
        assert!(lines[0].line.starts_with("START RequestId: "), "{lines:?}");
        assert!(lines.last().unwrap().line.starts_with("REPORT RequestId: "));
    }
}
