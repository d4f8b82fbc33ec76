//! What can stop an invocation before or while it runs.

use std::time::Duration;

use crate::admission::ThrottleReason;

/// Why the dispatcher could not return an [`fnhost_runtime::Invocation`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DispatchError {
    /// No function of that name is deployed.
    #[error("function `{name}` is not deployed")]
    UnknownFunction {
        /// The name asked for.
        name: String,
    },
    /// The concurrency limit was reached and no slot freed up within the queue timeout.
    #[error("function `{function}` is throttled: {reason}")]
    Throttled {
        /// The function.
        function: String,
        /// Which limit was hit (Lambda's `Reason` value).
        reason: ThrottleReason,
        /// How long the caller should wait before retrying.
        retry_after: Duration,
    },
    /// The runtime refused the event or failed to run it (not a guest error: those are
    /// outcomes of a successful invocation).
    #[error(transparent)]
    Runtime(#[from] fnhost_runtime::RuntimeError),
}
