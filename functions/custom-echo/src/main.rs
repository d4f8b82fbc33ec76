//! Custom-runtime fixture, a WASI command rather than a handler component.
//!
//! The convention: the event arrives on stdin, the response goes to stdout, logs to stderr; exit
//! code 0 is success and anything else a function error (stdout then holds the error payload).
//! The context comes in `AWS_REQUEST_ID`, `AWS_LAMBDA_FUNCTION_NAME`,
//! `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, `AWS_LAMBDA_FUNCTION_VERSION` and `FNHOST_DEADLINE_MS`.
//!
//! Response: `{"echo": <event>, "requestId": .., "functionName": .., "memoryMb": ..}`, with
//! `memoryMb` a number (null if the variable is unset or not a number) and the others strings or
//! null. `{"fail": true}` gives `{"errorType":"CustomError","errorMessage":"asked to fail"}` and
//! exit code 3; an event that is not JSON gives a `Runtime.UnmarshalError` payload and exit code 2.
//! (Built for wasm32-wasip2 the host sees both codes as 1, see `main`.)

use std::io::{Read, Write};

use serde::Serialize;
use serde_json::Value;

/// What goes to stdout; a struct so the keys keep the documented order.
#[derive(Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
enum Response {
    Echo {
        echo: Value,
        request_id: Option<String>,
        function_name: Option<String>,
        memory_mb: Option<u64>,
    },
    Error {
        error_type: &'static str,
        error_message: String,
    },
}

fn main() {
    let code = run();
    // Exit through `exit` even for a failure detected in `run`, so the host always sees an
    // `I32Exit`. Note WASI 0.2's `exit` only carries ok/err: wasmtime reports every non-zero code
    // of a wasm32-wasip2 command as 1. A preview1 module (`proc_exit`) keeps the exact code.
    if code != 0 {
        std::process::exit(code);
    }
}

/// Handle the one event; returns the exit code.
fn run() -> i32 {
    let mut input = Vec::new();
    if let Err(e) = std::io::stdin().read_to_end(&mut input) {
        eprintln!("custom-echo: reading stdin failed: {e}");
        return 1;
    }
    eprintln!(
        "custom-echo: request {} got {} bytes",
        env("AWS_REQUEST_ID").unwrap_or_default(),
        input.len()
    );

    let (response, code) = match serde_json::from_slice::<Value>(&input) {
        Err(e) => (
            Response::Error {
                error_type: "Runtime.UnmarshalError",
                error_message: format!("unable to unmarshal the event: {e}"),
            },
            2,
        ),
        Ok(event) if event.get("fail") == Some(&Value::Bool(true)) => (
            Response::Error {
                error_type: "CustomError",
                error_message: "asked to fail".into(),
            },
            3,
        ),
        Ok(event) => (
            Response::Echo {
                echo: event,
                request_id: env("AWS_REQUEST_ID"),
                function_name: env("AWS_LAMBDA_FUNCTION_NAME"),
                memory_mb: env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE").and_then(|m| m.parse().ok()),
            },
            0,
        ),
    };

    let mut stdout = std::io::stdout().lock();
    let written = serde_json::to_writer(&mut stdout, &response)
        .map_err(std::io::Error::from)
        .and_then(|()| stdout.flush());
    if let Err(e) = written {
        eprintln!("custom-echo: writing the response failed: {e}");
        return 1;
    }
    code
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}
