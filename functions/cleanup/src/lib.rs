//! Example: a scheduled function that deletes old objects from a bucket
//!
//! Scaffold: the example is being written.

use fnhost_sdk::Context;

fn handle(event: serde_json::Value, _ctx: &Context) -> Result<serde_json::Value, serde_json::Error> {
    Ok(event)
}

fnhost_sdk::handler!(handle);
