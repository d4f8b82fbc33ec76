//! The per-invocation context, Lambda's `context` object.

use std::time::{Duration, SystemTime};

use crate::bindings;

/// What Lambda's `context` object carries for one invocation.
///
/// All fields are public so tests can build one (`Context { request_id: .., ..Default::default() }`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// Unique id of this invocation (a UUID), as in the START/END/REPORT log lines.
    pub request_id: String,
    /// The function's name as deployed.
    pub function_name: String,
    /// `$LATEST` or a published version number.
    pub function_version: String,
    /// ARN the caller used, e.g. `arn:aws:lambda:us-east-1:000000000000:function:hello`.
    pub invoked_function_arn: String,
    /// The function's memory cap in MB.
    pub memory_limit_mb: u32,
    /// Wall-clock deadline of this invocation, in Unix milliseconds.
    pub deadline_ms: u64,
    /// `/aws/lambda/<function-name>`.
    pub log_group_name: String,
    /// `YYYY/MM/DD/[<version>]<32 hex>`.
    pub log_stream_name: String,
}

impl Context {
    /// Time left until the deadline, floored at zero (Lambda's `get_remaining_time_in_millis()`).
    ///
    /// Asks the host. Outside wasm (native unit tests) it is computed from [`Context::deadline`].
    pub fn remaining_time(&self) -> Duration {
        #[cfg(target_arch = "wasm32")]
        {
            Duration::from_millis(bindings::fnhost::function::runtime::remaining_time_ms())
        }
        #[cfg(not(target_arch = "wasm32"))]
        {
            self.deadline()
                .duration_since(SystemTime::now())
                .unwrap_or_default()
        }
    }

    /// Wall-clock deadline of this invocation.
    pub fn deadline(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(self.deadline_ms)
    }
}

impl From<bindings::Context> for Context {
    fn from(ctx: bindings::Context) -> Self {
        Context {
            request_id: ctx.request_id,
            function_name: ctx.function_name,
            function_version: ctx.function_version,
            invoked_function_arn: ctx.invoked_function_arn,
            memory_limit_mb: ctx.memory_limit_mb,
            deadline_ms: ctx.deadline_ms,
            log_group_name: ctx.log_group_name,
            log_stream_name: ctx.log_stream_name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_is_unix_milliseconds() {
        let ctx = Context {
            deadline_ms: 1_772_446_542_517,
            ..Default::default()
        };
        let since_epoch = ctx
            .deadline()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap();
        assert_eq!(since_epoch, Duration::from_millis(1_772_446_542_517));
    }

    #[test]
    fn remaining_time_is_floored_at_zero_natively() {
        let past = Context {
            deadline_ms: 1,
            ..Default::default()
        };
        assert_eq!(past.remaining_time(), Duration::ZERO);
    }
}
