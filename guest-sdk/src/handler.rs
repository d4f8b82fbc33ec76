//! Running a handler: a JSON event in, a JSON response or a [`Diagnostic`] out.

use std::any::type_name;

use serde::{Serialize, de::DeserializeOwned};

use crate::{Context, Diagnostic, bindings};

/// Export `handler` as this component's `handle` function.
///
/// `handler` is a function (or closure) `fn(E, &Context) -> Result<R, Er>` where
/// `E: DeserializeOwned` is the event type (a typed event or [`serde_json::Value`]),
/// `R: Serialize` is the response and `Er: Into<Diagnostic>` is the error. Use it once per crate,
/// at the top level: `fnhost_sdk::handler!(my_fn);`.
#[macro_export]
macro_rules! handler {
    ($handler:expr $(,)?) => {
        const _: () = {
            struct FnhostHandler;

            impl $crate::bindings::Guest for FnhostHandler {
                fn handle(
                    event: ::std::string::String,
                    ctx: $crate::bindings::Context,
                ) -> ::std::result::Result<::std::string::String, $crate::bindings::FunctionError>
                {
                    $crate::__handle(event, ctx, $handler)
                }
            }

    $crate::bindings::export!(FnhostHandler with_types_in $crate::bindings);
        };
    };
}

/// Run `handler` on a JSON `event` the way the host does: decode, call, encode.
///
/// Bad event JSON gives a `Runtime.UnmarshalError` diagnostic and an unserializable response a
/// `Runtime.MarshalError` one, as Lambda's runtimes report them. Handy for native unit tests of a
/// handler.
pub fn invoke<E, R, Er, F>(event: &str, ctx: &Context, handler: F) -> Result<String, Diagnostic>
where
    E: DeserializeOwned,
    R: Serialize,
    Er: Into<Diagnostic>,
    F: FnOnce(E, &Context) -> Result<R, Er>,
{
    let event: E = serde_json::from_str(event).map_err(|e| {
        Diagnostic::new(
            "Runtime.UnmarshalError",
            format!(
                "unable to unmarshal the event into `{}`: {e}",
                type_name::<E>()
            ),
        )
    })?;
    let response = handler(event, ctx).map_err(Into::into)?;
    serde_json::to_string(&response).map_err(|e| {
        Diagnostic::new(
            "Runtime.MarshalError",
            format!("unable to marshal the response `{}`: {e}", type_name::<R>()),
        )
    })
}

/// The body of the `handle` export that [`handler!`] generates.
#[doc(hidden)]
pub fn __handle<E, R, Er, F>(
    event: String,
    ctx: bindings::Context,
    handler: F,
) -> Result<String, bindings::FunctionError>
where
    E: DeserializeOwned,
    R: Serialize,
    Er: Into<Diagnostic>,
    F: FnOnce(E, &Context) -> Result<R, Er>,
{
    invoke(&event, &Context::from(ctx), handler).map_err(Into::into)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;
    use serde_json::{Value, json};

    use super::*;

    #[derive(Deserialize)]
    struct Greeting {
        name: String,
    }

    fn greet(event: Greeting, ctx: &Context) -> Result<Value, &'static str> {
        if event.name.is_empty() {
            return Err("name is empty");
        }
        Ok(json!({ "hello": event.name, "requestId": ctx.request_id }))
    }

    fn ctx() -> Context {
        Context {
            request_id: "r-1".into(),
            ..Default::default()
        }
    }

    #[test]
    fn ok_response_is_json() {
        let out = invoke(r#"{"name":"Ann"}"#, &ctx(), greet).unwrap();
        assert_eq!(out, r#"{"hello":"Ann","requestId":"r-1"}"#);
    }

    #[test]
    fn handler_error_becomes_diagnostic() {
        let err = invoke(r#"{"name":""}"#, &ctx(), greet).unwrap_err();
        assert_eq!(err, Diagnostic::new("&str", "name is empty"));
    }

    #[test]
    fn bad_event_is_unmarshal_error() {
        let err = invoke(r#"{"nom":"Ann"}"#, &ctx(), greet).unwrap_err();
        assert_eq!(err.error_type, "Runtime.UnmarshalError");
        assert!(
            err.error_message.contains("Greeting")
                && err.error_message.contains("missing field `name`"),
            "{}",
            err.error_message
        );

        let err = invoke("not json", &ctx(), greet).unwrap_err();
        assert_eq!(err.error_type, "Runtime.UnmarshalError");
        assert!(
            err.error_message.contains("expected"),
            "{}",
            err.error_message
        );
    }

    #[test]
    fn unserializable_response_is_marshal_error() {
        let bad = |_: Value, _: &Context| -> Result<HashMap<Vec<u8>, u8>, String> {
            Ok(HashMap::from([(vec![1], 1)]))
        };
        let err = invoke("{}", &ctx(), bad).unwrap_err();
        assert_eq!(err.error_type, "Runtime.MarshalError");
        assert!(
            err.error_message.contains("key must be a string"),
            "{}",
            err.error_message
        );
    }

    #[test]
    fn diagnostic_maps_to_the_wit_error() {
        let err = __handle(
            String::from("[]"),
            bindings::Context {
                request_id: String::new(),
                function_name: String::new(),
                function_version: String::new(),
                invoked_function_arn: String::new(),
                memory_limit_mb: 128,
                deadline_ms: 0,
                log_group_name: String::new(),
                log_stream_name: String::new(),
            },
            greet,
        )
        .unwrap_err();
        assert_eq!(err.error_type, "Runtime.UnmarshalError");
        assert!(err.stack_trace.is_empty());
    }
}
