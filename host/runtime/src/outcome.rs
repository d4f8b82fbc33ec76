//! How one invocation ended, with Lambda's error types and payloads.

use bytes::Bytes;
use serde_json::json;

/// Lambda's synchronous response limit as reported in its error (6 MiB + 100 bytes).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// Longest `errorType` kept, in bytes; longer ones are cut (at a character boundary). The type
/// becomes a metric label and a database column, and real ones are class names.
pub const MAX_ERROR_TYPE_BYTES: usize = 256;

/// Longest `errorMessage` kept, in bytes, the truncation marker included.
pub const MAX_ERROR_MESSAGE_BYTES: usize = 128 << 10;

/// Most bytes of `stackTrace` kept, over all frames (each frame also costs 4 bytes, so a flood
/// of empty frames is bounded too), the marker included.
///
/// With the type and message caps, an error object's fields stay under Lambda's 256 KB log
/// event, and its JSON under the 6 MB response limit even when every character is escaped.
pub const MAX_STACK_TRACE_BYTES: usize = 100 << 10;

/// What each frame costs against [`MAX_STACK_TRACE_BYTES`] besides its text (quotes, comma).
const FRAME_OVERHEAD: usize = 4;

/// Ends a cut `errorMessage` or stack frame.
const TRUNCATED: &str = " [truncated by fnhost]";

/// Lambda's own error types (the Runtime Interface Emulator's and its managed runtimes') and
/// fnhost's: metrics keep these as labels whatever a function reports besides.
pub const LAMBDA_ERROR_TYPES: &[&str] = &[
    "Extension.Crash",
    "Extension.ExitError",
    "Extension.InitError",
    "Function.ResponseSizeTooLarge",
    "Runtime.BuiltInModuleConflict",
    "Runtime.ExitError",
    "Runtime.HandlerNotFound",
    "Runtime.ImportModuleError",
    "Runtime.InitError",
    "Runtime.InvalidEntrypoint",
    "Runtime.InvalidWorkingDir",
    "Runtime.MalformedHandlerName",
    "Runtime.MarshalError",
    "Runtime.OutOfFuel",
    "Runtime.OutOfMemory",
    "Runtime.TruncatedResponse",
    "Runtime.Unknown",
    "Runtime.UnmarshalError",
    "Runtime.UserCodeSyntaxError",
    "Sandbox.Failure",
    "Sandbox.Timedout",
];

/// The end of one invocation. Every way a guest can fail is one variant with its own
/// Lambda error type, so triggers map them without parsing text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The function returned a response payload (JSON text for handlers, raw stdout for commands).
    Ok(Bytes),
    /// The function reported its own error (`function-error`, or a command's error JSON).
    /// Built with [`Outcome::function_error`], which bounds each field.
    FunctionError {
        /// e.g. `ValidationError`, `Runtime.UnmarshalError`.
        error_type: String,
        /// Human-readable message.
        message: String,
        /// Frames as the guest reported them.
        stack_trace: Vec<String>,
    },
    /// The wall-clock timeout passed (`Sandbox.Timedout`).
    Timeout {
        /// The configured timeout in seconds.
        timeout_s: f64,
    },
    /// The guest tried to grow its memory past the cap (`Runtime.OutOfMemory`).
    OutOfMemory {
        /// The cap in MB.
        cap_mb: u64,
    },
    /// The fuel budget ran out (`Runtime.OutOfFuel`, fnhost's own type).
    OutOfFuel {
        /// The budget the invocation started with.
        budget: u64,
    },
    /// The guest trapped (`Runtime.ExitError`): unreachable, stack overflow, out-of-bounds...
    Trap {
        /// The trap's one-line description.
        message: String,
    },
    /// A command exited with a non-zero status and no error JSON (`Runtime.ExitError`).
    Exit {
        /// The exit status.
        code: i32,
    },
    /// The response was larger than 6 MB (`Function.ResponseSizeTooLarge`).
    ResponseTooLarge {
        /// Bytes the function tried to return (a lower bound when output was capped).
        size: usize,
    },
    /// The host could not run the function (`Sandbox.Failure`); details are in the host log.
    HostFailure {
        /// What went wrong, safe to show the caller.
        message: String,
    },
}

impl Outcome {
    /// A function's own error, with each field cut to its cap ([`MAX_ERROR_TYPE_BYTES`],
    /// [`MAX_ERROR_MESSAGE_BYTES`], [`MAX_STACK_TRACE_BYTES`]): what a guest reports must not
    /// grow host memory, the metrics or the database without bound.
    pub fn function_error(error_type: String, message: String, stack_trace: Vec<String>) -> Self {
        Outcome::FunctionError {
            error_type: truncate(error_type, MAX_ERROR_TYPE_BYTES, ""),
            message: truncate(message, MAX_ERROR_MESSAGE_BYTES, TRUNCATED),
            stack_trace: bounded_trace(stack_trace),
        }
    }

    /// Whether the function succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// Lambda's `errorType`, or `None` for success.
    pub fn error_type(&self) -> Option<&str> {
        Some(match self {
            Outcome::Ok(_) => return None,
            Outcome::FunctionError { error_type, .. } => error_type,
            Outcome::Timeout { .. } => "Sandbox.Timedout",
            Outcome::OutOfMemory { .. } => "Runtime.OutOfMemory",
            Outcome::OutOfFuel { .. } => "Runtime.OutOfFuel",
            Outcome::Trap { .. } | Outcome::Exit { .. } => "Runtime.ExitError",
            Outcome::ResponseTooLarge { .. } => "Function.ResponseSizeTooLarge",
            Outcome::HostFailure { .. } => "Sandbox.Failure",
        })
    }

    /// Lambda's `errorMessage` for a failure, `None` for success.
    pub fn error_message(&self, request_id: &str) -> Option<String> {
        Some(match self {
            Outcome::Ok(_) => return None,
            Outcome::FunctionError { message, .. } => message.clone(),
            Outcome::Timeout { timeout_s } => {
                format!(
                    "RequestId: {request_id} Error: Task timed out after {timeout_s:.2} seconds"
                )
            }
            Outcome::OutOfMemory { cap_mb } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: memory limit of {cap_mb} MB exceeded"
            ),
            Outcome::OutOfFuel { budget } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: fuel budget of {budget} exhausted"
            ),
            Outcome::Trap { message } => {
                format!("RequestId: {request_id} Error: Runtime exited with error: {message}")
            }
            Outcome::Exit { code } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            ),
            Outcome::ResponseTooLarge { .. } => format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            ),
            Outcome::HostFailure { message } => {
                format!("RequestId: {request_id} Error: {message}")
            }
        })
    }

    /// What the caller receives: the function's payload, or Lambda's error object.
    pub fn payload(&self, request_id: &str) -> Bytes {
        match self {
            Outcome::Ok(body) => body.clone(),
            Outcome::FunctionError {
                error_type,
                message,
                stack_trace,
            } => Bytes::from(
                json!({
                    "errorMessage": message,
                    "errorType": error_type,
                    "requestId": request_id,
                    "stackTrace": stack_trace,
                })
                .to_string(),
            ),
            other => Bytes::from(
                json!({
                    "errorType": other.error_type(),
                    "errorMessage": other.error_message(request_id),
                })
                .to_string(),
            ),
        }
    }
}

/// `text` cut to at most `max` bytes at a character boundary, ending in `marker` when cut.
fn truncate(mut text: String, max: usize, marker: &str) -> String {
    if text.len() <= max {
        return text;
    }
    let end = text.floor_char_boundary(max.saturating_sub(marker.len()));
    text.truncate(end);
    text.push_str(marker);
    text
}

/// The first frames that fit [`MAX_STACK_TRACE_BYTES`] (the one that crosses it cut), then one
/// frame saying how many were dropped.
fn bounded_trace(frames: Vec<String>) -> Vec<String> {
    let total = frames.len();
    let marker = |dropped: usize| format!("[fnhost: {dropped} more frames truncated]");
    // Room for the marker frame, whatever the count it names.
    let mut left = MAX_STACK_TRACE_BYTES - FRAME_OVERHEAD - marker(usize::MAX).len();
    let mut kept = Vec::new();
    for frame in frames {
        let cost = frame.len() + FRAME_OVERHEAD;
        if cost > left {
            if left > FRAME_OVERHEAD + TRUNCATED.len() {
                kept.push(truncate(frame, left - FRAME_OVERHEAD, TRUNCATED));
            }
            break;
        }
        left -= cost;
        kept.push(frame);
    }
    if kept.len() < total {
        kept.push(marker(total - kept.len()));
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_payload_matches_lambda() {
        let outcome = Outcome::Timeout { timeout_s: 3.0 };
        let payload: serde_json::Value = serde_json::from_slice(&outcome.payload("abc")).unwrap();
        assert_eq!(
            payload,
            json!({"errorType": "Sandbox.Timedout",
                   "errorMessage": "RequestId: abc Error: Task timed out after 3.00 seconds"})
        );
    }

    #[test]
    fn function_error_payload_has_the_four_python_keys() {
        let outcome = Outcome::FunctionError {
            error_type: "KeyError".into(),
            message: "'bucket'".into(),
            stack_trace: vec!["frame".into()],
        };
        let payload: serde_json::Value = serde_json::from_slice(&outcome.payload("r1")).unwrap();
        assert_eq!(payload["errorType"], "KeyError");
        assert_eq!(payload["errorMessage"], "'bucket'");
        assert_eq!(payload["requestId"], "r1");
        assert_eq!(payload["stackTrace"], json!(["frame"]));
    }

    #[test]
    fn function_error_fields_are_capped() {
        let frames = vec!["f".repeat(1000); 1000];
        let outcome =
            Outcome::function_error("T".repeat(100_000), "é".repeat(100_000), frames.clone());
        let Outcome::FunctionError {
            error_type,
            message,
            stack_trace,
        } = &outcome
        else {
            panic!("{outcome:?}")
        };
        assert_eq!(error_type.len(), MAX_ERROR_TYPE_BYTES);
        assert!(message.len() <= MAX_ERROR_MESSAGE_BYTES && message.len() > 100_000);
        assert!(message.ends_with(" [truncated by fnhost]"));
        let cost: usize = stack_trace.iter().map(|f| f.len() + FRAME_OVERHEAD).sum();
        assert!(cost <= MAX_STACK_TRACE_BYTES, "{cost}");
        assert_eq!(stack_trace[0], frames[0]);
        assert!(stack_trace[stack_trace.len() - 2].ends_with(" [truncated by fnhost]"));
        let kept = stack_trace.len() - 1;
        assert_eq!(
            stack_trace.last().unwrap(),
            &format!("[fnhost: {} more frames truncated]", 1000 - kept)
        );
        // The whole object stays far below the response limit.
        let payload = outcome.payload("r");
        assert!(payload.len() < 300 << 10, "{}", payload.len());

        // A flood of empty frames is bounded too, and small errors pass untouched.
        let Outcome::FunctionError { stack_trace, .. } =
            Outcome::function_error("E".into(), "m".into(), vec![String::new(); 1 << 20])
        else {
            unreachable!()
        };
        assert!(stack_trace.len() < MAX_STACK_TRACE_BYTES / FRAME_OVERHEAD);
        let small = Outcome::function_error("KeyError".into(), "'b'".into(), vec!["x".into()]);
        assert_eq!(
            small,
            Outcome::FunctionError {
                error_type: "KeyError".into(),
                message: "'b'".into(),
                stack_trace: vec!["x".into()],
            }
        );
    }

    #[test]
    fn multibyte_types_are_cut_at_a_character_boundary() {
        let Outcome::FunctionError { error_type, .. } =
            Outcome::function_error("한".repeat(200), String::new(), vec![])
        else {
            unreachable!()
        };
        assert_eq!(error_type, "한".repeat(MAX_ERROR_TYPE_BYTES / 3));
    }

    #[test]
    fn response_too_large_uses_lambdas_text() {
        let outcome = Outcome::ResponseTooLarge { size: 7 << 20 };
        assert_eq!(
            outcome.error_message("x").unwrap(),
            "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
        );
        assert_eq!(outcome.error_type(), Some("Function.ResponseSizeTooLarge"));
    }
}
