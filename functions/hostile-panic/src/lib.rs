//! Hostile fixture: panics with `boom: <event>`. Guests are built with `panic = "abort"`, so the
//! panic message goes to stderr and the call ends in a trap.

use std::convert::Infallible;

use fnhost_sdk::Context;
use serde_json::Value;

fn boom(event: Value, _ctx: &Context) -> Result<Value, Infallible> {
    panic!("boom: {event}");
}

fnhost_sdk::handler!(boom);
