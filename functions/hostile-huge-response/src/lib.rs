//! Hostile fixture: returns a JSON string of 7 MiB of `x` (7 MiB + 2 bytes with the quotes),
//! above Lambda's 6 MB response limit.

use std::convert::Infallible;

use fnhost_sdk::Context;
use serde_json::Value;

fn huge(_event: Value, _ctx: &Context) -> Result<String, Infallible> {
    Ok("x".repeat(7 << 20))
}

fnhost_sdk::handler!(huge);
