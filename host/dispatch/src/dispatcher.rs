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

    /// Run `request` on function `name` and wait for the outcome.
    ///
    /// A guest failure (error, timeout, out of memory...) is an `Ok` invocation whose outcome
    /// says so; `Err` means the invocation never ran.
    pub async fn invoke(
        &self,
        name: &str,
        mut request: InvokeRequest,
    ) -> Result<Invocation, DispatchError> {
        let deployed = self
            .registry
            .get(name)
            .ok_or_else(|| DispatchError::UnknownFunction {
                name: name.to_owned(),
            })?;
        let request_id = request
            .request_id
            .get_or_insert_with(fnhost_runtime::new_request_id)
            .clone();
        let span = tracing::info_span!("invoke", function = name, request_id = %request_id);
        async {
            let _permit = self
                .admission
                .admit(&deployed.gate)
                .await
                .map_err(|reason| {
                    tracing::info!(%reason, "throttled");
                    DispatchError::Throttled {
                        function: name.to_owned(),
                        reason,
                        retry_after: RETRY_AFTER,
                    }
                })?;
            let invocation = self.runtime.invoke(&deployed.function, request).await?;
            self.logs.invocation(name, &invocation);
            Ok(invocation)
        }
        .instrument(span)
        .await
    }
}
