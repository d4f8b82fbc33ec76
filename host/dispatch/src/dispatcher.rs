//! The dispatcher: look up, admit, run, log.

use std::sync::Arc;
use std::time::Duration;

use fnhost_runtime::{Invocation, InvokeRequest, Runtime};
use tracing::Instrument as _;

use crate::admission::Admission;
use crate::console::LogSink;
use crate::error::DispatchError;
use crate::registry::Registry;

/// How long a throttled caller is told to wait (`Retry-After`, whole seconds).
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Tells the sink an invocation runs, and that it stopped when dropped (which also covers a
/// runtime error and a caller that went away mid-run).
struct Running<'a> {
    logs: &'a dyn LogSink,
    name: &'a str,
}

impl<'a> Running<'a> {
    fn new(logs: &'a dyn LogSink, name: &'a str) -> Self {
        logs.started(name);
        Self { logs, name }
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.logs.stopped(self.name);
    }
}

/// Runs events on deployed functions under the concurrency limits. Cheap to share in an `Arc`.
pub struct Dispatcher {
    runtime: Arc<Runtime>,
    registry: Arc<Registry>,
    admission: Arc<Admission>,
    logs: Arc<dyn LogSink>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("registry", &self.registry.names())
            .field("admission", &self.admission)
            .finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// A dispatcher over `registry`, running on `runtime`, logging to `logs`.
    pub fn new(
        runtime: Arc<Runtime>,
        registry: Arc<Registry>,
        admission: Arc<Admission>,
        logs: Arc<dyn LogSink>,
    ) -> Self {
        Self {
            runtime,
            registry,
            admission,
            logs,
        }
    }

    /// The runtime.
    pub fn runtime(&self) -> &Arc<Runtime> {
        &self.runtime
    }

    /// The live function table.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.registry
    }

    /// The limits.
    pub fn admission(&self) -> &Arc<Admission> {
        &self.admission
    }

    /// Waits until the record of every invocation that ended so far is kept for good
    /// ([`LogSink::flush`]); blocks, so call it from blocking work.
    pub fn flush_logs(&self) {
        self.logs.flush();
    }

    /// Run `request` on function `name` (a registry key, or `name:alias`: see
    /// [`Registry::resolve`]) and wait for the outcome. A qualified `name` without an
    /// `invoked_function_arn` runs with the qualified ARN (an HTTP route to `name:alias`).
    ///
    /// A guest failure (error, timeout, out of memory...) is an `Ok` invocation whose outcome
    /// says so; `Err` means the invocation never ran.
    pub async fn invoke(
        &self,
        name: &str,
        mut request: InvokeRequest,
    ) -> Result<Invocation, DispatchError> {
        let deployed =
            self.registry
                .resolve(name)
                .ok_or_else(|| DispatchError::UnknownFunction {
                    name: name.to_owned(),
                })?;
        // A qualified name (`name:alias`, `name:version`) is what the function was invoked as,
        // whichever trigger used it: the context's ARN says so, as Lambda's does.
        if request.invoked_function_arn.is_none()
            && let Some((_, qualifier)) = name.split_once(':')
        {
            request.invoked_function_arn = Some(format!("{}:{qualifier}", deployed.function.arn()));
        }
        let request_id = request
            .request_id
            .get_or_insert_with(fnhost_runtime::new_request_id)
            .clone();
        let span = tracing::info_span!(
            "invoke",
            function = name,
            request_id = %request_id,
            trigger = %request.trigger
        );
        async {
            let _permit = self
                .admission
                .admit(&deployed.gate)
                .await
                .map_err(|reason| {
                    tracing::info!(%reason, "throttled");
                    self.logs.throttled(name);
                    DispatchError::Throttled {
                        function: name.to_owned(),
                        reason,
                        retry_after: RETRY_AFTER,
                    }
                })?;
            let _running = Running::new(&*self.logs, name);
            let invocation = self.runtime.invoke(&deployed.function, request).await?;
            self.logs.invocation(name, &invocation);
            Ok(invocation)
        }
        .instrument(span)
        .await
    }
}

#[cfg(test)]
mod tests {
    use fnhost_runtime::Trigger;

    use std::sync::Mutex;

    use fnhost_runtime::RuntimeConfig;

    use super::*;
    use crate::admission::AdmissionConfig;
    use crate::console::Tee;
    use crate::registry::{Origin, tests::deployed_with};

    /// Records every sink event as text.
    #[derive(Default)]
    struct Events(Mutex<Vec<String>>);

    impl LogSink for Events {
        fn invocation(&self, function: &str, invocation: &fnhost_runtime::Invocation) {
            let ok = invocation.outcome.is_ok();
            self.0
                .lock()
                .unwrap()
                .push(format!("invocation {function} {ok}"));
        }
        fn throttled(&self, function: &str) {
            self.0.lock().unwrap().push(format!("throttled {function}"));
        }
        fn started(&self, function: &str) {
            self.0.lock().unwrap().push(format!("started {function}"));
        }
        fn stopped(&self, function: &str) {
            self.0.lock().unwrap().push(format!("stopped {function}"));
        }
    }

    #[tokio::test]
    async fn sinks_hear_runs_refusals_and_throttles() {
        let state = tempfile::tempdir().unwrap();
        let runtime = Arc::new(Runtime::new(RuntimeConfig::new(state.path())));
        let admission = Arc::new(Admission::new(
            AdmissionConfig {
                max_concurrency: 1,
                queue_depth: 1,
                queue_timeout: Duration::from_millis(10),
            },
            0,
        ));
        let registry = Arc::new(Registry::new());
        registry.insert(
            "noop",
            deployed_with(&runtime, &admission, "noop", Origin::Api),
        );
        let (a, b) = (Arc::new(Events::default()), Arc::new(Events::default()));
        let tee = Tee::new(vec![a.clone(), b.clone()]);
        let dispatcher = Dispatcher::new(runtime, registry.clone(), admission, Arc::new(tee));

        let done = dispatcher
            .invoke("noop", InvokeRequest::new("{}", Trigger::Cli))
            .await
            .unwrap();
        assert!(done.outcome.is_ok(), "{:?}", done.outcome);
        // The runtime refuses a non-JSON event after admission: started and stopped, no log.
        assert!(
            dispatcher
                .invoke("noop", InvokeRequest::new("{oops", Trigger::Cli))
                .await
                .is_err()
        );
        // The deployed function shares the (one-slot) shared gate; hold it to throttle.
        let gate = registry.get("noop").unwrap().gate.clone();
        let _held = dispatcher.admission().admit(&gate).await.unwrap();
        let err = dispatcher
            .invoke("noop", InvokeRequest::new("{}", Trigger::Cli))
            .await
            .unwrap_err();
        assert!(matches!(err, DispatchError::Throttled { .. }), "{err}");

        let expected = [
            "started noop",
            "invocation noop true",
            "stopped noop",
            "started noop",
            "stopped noop",
            "throttled noop",
        ];
        assert_eq!(*a.0.lock().unwrap(), expected);
        assert_eq!(*b.0.lock().unwrap(), expected);
    }
}
