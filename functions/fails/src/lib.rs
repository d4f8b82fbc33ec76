//! Always fails with the guest's own error shape, whatever the event:
//! `{"errorType":"ValidationError","errorMessage":"name is required",
//!   "stackTrace":["validate (src/lib.rs)","fail (src/lib.rs)"]}`.

use fnhost_sdk::{Context, Diagnostic};
use serde_json::Value;

fn fail(event: Value, _ctx: &Context) -> Result<Value, Diagnostic> {
    validate(&event).map_err(|d| {
        let mut trace = d.stack_trace.clone();
        trace.push("fail (src/lib.rs)".into());
        d.with_stack_trace(trace)
    })?;
    Ok(event)
}

fn validate(_event: &Value) -> Result<(), Diagnostic> {
    Err(Diagnostic::new("ValidationError", "name is required")
        .with_stack_trace(["validate (src/lib.rs)"]))
}

fnhost_sdk::handler!(fail);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fails_with_validation_error() {
        let err = fnhost_sdk::invoke(r#"{"name":"Ann"}"#, &Context::default(), fail).unwrap_err();
        assert_eq!(err.error_type, "ValidationError");
        assert_eq!(err.error_message, "name is required");
        assert_eq!(
            err.stack_trace,
            ["validate (src/lib.rs)", "fail (src/lib.rs)"]
        );
    }
}
