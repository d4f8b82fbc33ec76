//! Function errors, Lambda's `{"errorType","errorMessage","stackTrace"}` payload.

use std::fmt::Display;

use crate::bindings::FunctionError;

/// A function error: what the invoker sees as `errorType`, `errorMessage` and `stackTrace`.
///
/// Any [`Display`] type converts into one, with its Rust type name as `error_type` (as AWS's Rust
/// runtime does), so a handler may return `Result<_, String>`, `Result<_, std::io::Error>` and
/// the like, or build a `Diagnostic` to choose the type itself. `Diagnostic` deliberately does not
/// implement `Display`: that keeps the blanket `From` coherent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostic {
    /// Lambda's `errorType`, e.g. `ValidationError`.
    pub error_type: String,
    /// Lambda's `errorMessage`.
    pub error_message: String,
    /// Lambda's `stackTrace`, one frame per entry; empty if none.
    pub stack_trace: Vec<String>,
}

impl Diagnostic {
    /// A diagnostic with the given `errorType` and `errorMessage` and no stack trace.
    pub fn new(error_type: impl Into<String>, error_message: impl Into<String>) -> Self {
        Diagnostic {
            error_type: error_type.into(),
            error_message: error_message.into(),
            stack_trace: Vec::new(),
        }
    }

    /// The same diagnostic with `frames` as its `stackTrace`.
    pub fn with_stack_trace<I, S>(mut self, frames: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.stack_trace = frames.into_iter().map(Into::into).collect();
        self
    }
}

impl<T: Display> From<T> for Diagnostic {
    fn from(error: T) -> Self {
        Diagnostic::new(std::any::type_name::<T>(), error.to_string())
    }
}

impl From<Diagnostic> for FunctionError {
    fn from(d: Diagnostic) -> Self {
        FunctionError {
            error_type: d.error_type,
            error_message: d.error_message,
            stack_trace: d.stack_trace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_types_convert_with_their_type_name() {
        let d = Diagnostic::from("name is required");
        assert_eq!(d.error_type, "&str");
        assert_eq!(d.error_message, "name is required");
        assert!(d.stack_trace.is_empty());

        let d = Diagnostic::from(String::from("boom"));
        assert_eq!(d.error_type, "alloc::string::String");

        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let d = Diagnostic::from(io);
        assert_eq!(d.error_type, "std::io::error::Error");
        assert_eq!(d.error_message, "no such file");
    }

    #[test]
    fn question_mark_converts_errors() {
        fn parse(text: &str) -> Result<serde_json::Value, Diagnostic> {
            Ok(serde_json::from_str(text)?)
        }
        let d = parse("{").unwrap_err();
        assert_eq!(d.error_type, "serde_json::error::Error");
        assert!(d.error_message.contains("EOF"), "{}", d.error_message);
    }

    #[test]
    fn new_with_stack_trace() {
        let d = Diagnostic::new("ValidationError", "name is required")
            .with_stack_trace(["validate (src/lib.rs:10)"]);
        assert_eq!(d.error_type, "ValidationError");
        assert_eq!(d.stack_trace, vec!["validate (src/lib.rs:10)".to_string()]);
    }
}
